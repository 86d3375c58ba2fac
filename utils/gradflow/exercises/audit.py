"""Checkers of lesson 10 · Audit your own training loop (``from gradflow.exercises import audit as ex``).

Each checker runs the learner's function on fresh models the notebook never shows, inside ``gradflow.audit``:
the answer passes when the audit reports no warning and the training it does equals a reference step. Its
tests, with the mutants it must reject, are in tests/test_lesson10_checkers.py.
"""

import torch
from torch import nn
from torch.nn import functional as F

from gradflow.audit import audit
from gradflow.checking import Wrong, exercise, expect_function, run_learner

LESSON = "10_audit"


def _net(seed: int, n_in: int = 5, hidden: int = 7, n_out: int = 3, dropout: float = 0.0) -> nn.Sequential:
    torch.manual_seed(seed)
    layers = [nn.Linear(n_in, hidden), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else []) + [
        nn.Linear(hidden, n_out)]
    return nn.Sequential(*layers)


def _batch(seed: int, n: int = 12, n_in: int = 5, n_out: int = 3):
    g = torch.Generator().manual_seed(1000 + seed)
    return torch.randn(n, n_in, generator=g), torch.randint(0, n_out, (n,), generator=g)


def _reference_step(model, opt, x, y) -> float:
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


def _warnings(report) -> None:
    found = report.warnings
    if found:
        f = found[0]
        raise Wrong(f"the audit of your step reports {f.kind} on {f.where}: {f.evidence}", f.fix)


def _grad_mode_back() -> None:
    if not torch.is_grad_enabled():
        torch.set_grad_enabled(True)  # put it back for the learner, then say so
        raise Wrong("your function left gradient tracking switched off",
                    "use `with torch.no_grad():` (it restores the mode) rather than torch.set_grad_enabled(False)")


@exercise(LESSON, 1, "Modify: the step the report flagged")
def train_step(fn):
    """fn(model, opt, x, y) does one training step with cross-entropy and returns the loss as a number."""
    expect_function(fn, "train_step")
    for seed, make_opt in ((1, lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
                           (2, lambda p: torch.optim.Adam(p, lr=0.01))):
        model, reference = _net(seed), _net(seed)
        opt, ref_opt = make_opt(model.parameters()), make_opt(reference.parameters())
        batches = [_batch(10 * seed + i) for i in range(3)]
        expected = [_reference_step(reference, ref_opt, x, y) for x, y in batches]
        with audit(model, opt) as report:
            got = [run_learner(fn, model, opt, x, y, name="train_step") for x, y in batches]
        _warnings(report)
        if report.updates != 3 or report.backwards != 3:
            raise Wrong(f"3 steps ran {report.backwards} backward pass(es) and {report.updates} update(s)",
                        "one backward and one opt.step() per call")
        for i, (loss, right) in enumerate(zip(got, expected)):
            if isinstance(loss, torch.Tensor):
                raise Wrong("train_step returned a tensor: the graph behind it stays alive while you keep it",
                            "return loss.item()")
            if not isinstance(loss, float) or abs(loss - right) > 1e-5 * max(1.0, abs(right)):
                raise Wrong(f"step {i + 1} returned {loss!r}, expected the loss {right:.4g}",
                            "return loss.item() of this step's loss, computed before the update")
        for (name, p), q in zip(model.named_parameters(), reference.parameters()):
            if not torch.allclose(p, q, atol=1e-6, rtol=1e-5):
                raise Wrong(f"after 3 steps {name} differs from a correct step's result",
                            "zero_grad, forward, cross-entropy, backward, step: once each, in that order")


@exercise(LESSON, 2, "Make: an evaluation pass the audit calls clean")
def evaluate(fn):
    """fn(model, x) returns the model's eval-mode outputs for x, leaves no graph, and puts the mode back."""
    expect_function(fn, "evaluate")
    for seed in (3, 4):
        model = _net(seed, dropout=0.5)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        kept = []
        with audit(model, opt) as report:
            for i in range(4):  # kept graphs show as growth over three steps
                x, y = _batch(20 * seed + i)
                _reference_step(model, opt, x, y)
                kept.append(run_learner(fn, model, x, name="evaluate"))
                _grad_mode_back()
                if not model.training:
                    raise Wrong("your function left the model in eval mode: the next training step runs without "
                                "dropout", "call model.train() again before returning")
        _warnings(report)
        out = kept[-1]
        if not isinstance(out, torch.Tensor):
            raise Wrong(f"evaluate returned {type(out).__name__}, not the output tensor", "return model(x)")
        if out.requires_grad:
            raise Wrong("the output requires grad: a graph stays behind it", "run the forward under torch.no_grad()")
        model.eval()
        with torch.no_grad():
            expected = model(x)
        model.train()
        if out.shape != expected.shape or not torch.allclose(out, expected, atol=1e-6):
            raise Wrong("the output is not the model's eval-mode output for x (is dropout still on?)",
                        "model.eval() before the forward")

#: what the lesson's notebook uses (its checkers); the other names serve the checkers and their tests
__all__ = ["train_step", "evaluate"]
