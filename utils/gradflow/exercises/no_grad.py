"""Checkers for lesson 03: no_grad, inference_mode and eval()."""

from __future__ import annotations

import copy

import torch
from torch import nn

from ..checking import Wrong, exercise, expect_choice, expect_function, expect_number, expect_tensor, run_learner
from ..memory import SavedTensors
from ..models import make_blobs

LESSON = "03_no_grad"


# --- Exercise 1: predict requires_grad -------------------------------------------------------

#: why each result of the exercise's snippet does or does not require grad
_WHY = {
    "a": "outside no_grad, a result requires grad as soon as one input does (w does)",
    "b": "inside torch.no_grad() no operation is recorded: a new result such as w * x has requires_grad=False",
    "c": "no_grad changes no existing tensor: c is w itself, a leaf that still has requires_grad=True",
    "d": "torch.enable_grad() switches recording back on inside no_grad",
    "e": "leaving no_grad does not re-attach b: b * 2 has no input that requires grad",
    "f": "inference_mode switches recording off, like no_grad (and skips more bookkeeping)",
}


def _snippet_truth() -> dict[str, bool]:
    """Run the snippet of exercise 1 and read the answers from the pinned PyTorch itself."""
    w = torch.ones(3, requires_grad=True)
    x = torch.full((3,), 2.0)
    a = w * x
    with torch.no_grad():
        b = w * x
        c = w
        with torch.enable_grad():
            d = w * x
    e = b * 2
    with torch.inference_mode():
        f = w * x
    return {name: t.requires_grad for name, t in zip("abcdef", (a, b, c, d, e, f))}


@exercise(LESSON, 1, "predict requires_grad")
def predict_requires_grad(a, b, c, d, e, f):
    answers = dict(zip("abcdef", (a, b, c, d, e, f)))
    for name, value in answers.items():
        if type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"):
            answers[name] = value = bool(value)  # a NumPy bool is a truth value too (04.1 and 07.2 take it)
        if not isinstance(value, bool):
            kind = f"the string {value!r}" if isinstance(value, str) else f"a {type(value).__module__}." \
                f"{type(value).__name__}" if type(value).__module__ != "builtins" else f"a {type(value).__name__}"
            raise Wrong(f"pred_{name} should be True or False, got {kind}",
                        "write your prediction as a Python bool (True or False, without quotes), without running "
                        "the snippet")
    truth = _snippet_truth()
    wrong = [name for name in "abcdef" if answers[name] != truth[name]]
    if wrong:
        raise Wrong(f"{6 - len(wrong)} of 6 right; look again at {', '.join(wrong)}",
                    f"{wrong[0]}: {_WHY[wrong[0]]}")
    return "6 of 6"


# --- Exercise 2: only no_grad in a validation loop -------------------------------------------

_CHOICES = {
    "a": "no: nothing is recorded under no_grad, so no gradient can reach the parameters",
    "b": "right",
    "c": "no: no_grad touches autograd only; the layers still behave as in training (dropout, batch statistics)",
    "d": "no: no error is raised, which is what makes this bug silent (a batch of one sample is the exception)",
}


@exercise(LESSON, 2, "no_grad without eval()")
def no_grad_without_eval(answer):
    if not isinstance(answer, str):
        raise Wrong(f"answer should be one of the letters {', '.join(repr(k) for k in _CHOICES)}, "
                    f"got {type(answer).__name__}", 'write one letter in quotes, for example answer = "a"')
    if answer.strip().lower().strip("()") not in _CHOICES:
        raise Wrong(f"{answer!r} is not an option; choose one of {', '.join(repr(k) for k in _CHOICES)}",
                    "read the four options above the cell and write the letter of one")
    expect_choice(answer.strip().lower().strip("()"), _CHOICES, "b")


# --- Exercise 3: evaluate(model, x, y) -------------------------------------------------------


def _classifier(seed: int, x: torch.Tensor, y: torch.Tensor) -> nn.Module:
    """A small classifier with batch norm and dropout, trained for a few steps on ``(x, y)``."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))
    for _ in range(30):  # plain gradient descent (a torch.optim optimizer would import torch._dynamo: slow)
        loss = nn.functional.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.3 * p.grad
    model.zero_grad()
    return model


def _reference_accuracy(model: nn.Module, batches) -> tuple[float, float]:
    """(accuracy over all rows, mean of the per-batch accuracies) of a copy of ``model`` in eval mode."""
    model = copy.deepcopy(model).eval()
    with torch.no_grad():
        hits = [(model(x).argmax(dim=1) == y).float() for x, y in batches]
    return torch.cat(hits).mean().item(), sum(h.mean().item() for h in hits) / len(hits)


def _modes(model: nn.Module) -> dict[str, bool]:
    return {f"module {name} ({type(m).__name__})" if name else "the model itself": m.training
            for name, m in model.named_modules()}


def _scenarios(x: torch.Tensor, y: torch.Tensor):
    """(what, model) pairs: training mode, fine-tuning with batch norm kept in eval, eval mode."""
    trained = _classifier(4, x, y)
    in_training = copy.deepcopy(trained).train()
    fine_tuning = copy.deepcopy(trained).train()
    fine_tuning[1].eval()  # batch norm frozen in eval mode on purpose, the rest trains
    in_eval = copy.deepcopy(trained).eval()
    return [("in training mode", in_training), ("in the middle of fine-tuning (batch norm kept in eval mode)",
                                                 fine_tuning), ("in eval mode", in_eval)]


def _grad_mode_restored() -> bool:
    """Switch gradient recording back on (what the answer broke, for the learner's next cells); was it off?"""
    left_off = not torch.is_grad_enabled()
    torch.set_grad_enabled(True)
    return left_off


def _grad_mode_left_off(name: str) -> Wrong:
    return Wrong(f"after {name}, gradient recording is still off for the whole program (torch.is_grad_enabled() is "
                 "False)", "look at torch.is_grad_enabled() after your call: torch.set_grad_enabled(False) lasts until "
                 "it is switched back; use `with torch.no_grad():`, which restores the mode when it ends")


@exercise(LESSON, 3, "an evaluation function")
def evaluate_function(evaluate):
    expect_function(evaluate, "evaluate")
    x, y = make_blobs(n_per_class=20, seed=3)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(3))
    x, y = x[order], y[order]
    batches = list(zip(x.split(25), y.split(25)))  # 25, 25 and 10 rows: a smaller last batch
    for what, model in _scenarios(x, y):
        expected, per_batch_mean = _reference_accuracy(model, batches)
        modes = _modes(model)
        stats_before = [b.clone() for b in model[1].buffers()]
        torch.manual_seed(5)
        try:
            with SavedTensors(exclude=model) as saved:
                value = run_learner(evaluate, model, list(batches), name="evaluate", hints={"TypeError": (
                    "evaluate takes two arguments, the model and a list of (x, y) batches, and loops "
                    "`for x, y in batches` inside")})
        finally:
            left_off = _grad_mode_restored()
        if left_off:
            raise _grad_mode_left_off("evaluate")
        accuracy = expect_number(value, "evaluate's result",
                                 "return the accuracy as a Python float, for example correct / total")
        if not all(p.requires_grad for p in model.parameters()):
            raise Wrong("after evaluate, some parameters have requires_grad=False",
                        "do not freeze the model to evaluate it: run the forward pass under torch.no_grad()")
        if saved.count:
            raise Wrong(f"on a model {what}, evaluate built an autograd graph ({saved.count} tensors saved for "
                        "backward)", "run the forward passes inside `with torch.no_grad():` (or decorate evaluate "
                        "with @torch.no_grad())")
        if any(not torch.equal(a, b) for a, b in zip(stats_before, model[1].buffers())):
            raise Wrong(f"on a model {what}, batch norm's running statistics changed: the forward pass ran in "
                        "training mode", "call model.eval() before the forward passes; no_grad alone does not "
                        "change the layers")
        changed = [(name, was) for name, was in modes.items() if _modes(model)[name] != was]
        if changed:
            name, was = changed[0]
            before, after = ("training", "eval") if was else ("eval", "training")
            keep = "remember each module's own mode first, modes = [(m, m.training) for m in model.modules()], and put each back"
            if what.startswith("in the middle") and not any(was for _, was in changed):
                hint = ("model.train(...) switches every submodule, including the batch norm that the training code "
                        "kept in eval mode; " + keep)
            elif "the model itself" not in dict(changed):
                hint = "setting model.training changes only the top module's flag, not its submodules'; " + keep
            else:
                hint = "evaluate must leave the model in the mode it found it; " + keep
            raise Wrong(f"on a model {what}, {name} was in {before} mode before evaluate and is in {after} mode "
                        f"after it", hint)
        if abs(accuracy - expected) <= 1e-6:
            continue
        if abs(accuracy - per_batch_mean) <= 1e-6:
            raise Wrong(f"evaluate returned {accuracy:.4f}, the mean of the per-batch accuracies, expected "
                        f"{expected:.4f}", "the last batch is smaller: count the correct rows over all batches, "
                        "then divide by the total number of rows")
        if abs(accuracy - expected * len(y)) < 1e-4:
            raise Wrong(f"evaluate returned {accuracy:.4g}, the number of correct predictions",
                        f"divide by the number of rows ({len(y)}): accuracy is a fraction between 0 and 1")
        if abs(accuracy - 100 * expected) < 1e-3:
            raise Wrong(f"evaluate returned {accuracy:.4g}, which is a percentage", "return a fraction between 0 and 1")
        raise Wrong(f"on a model {what}, evaluate returned {accuracy:.4f}, expected an accuracy of {expected:.4f}",
                    "accuracy = correct rows over all batches / all rows, with model(x).argmax(dim=1) as the "
                    "prediction and dropout off (model.eval())")
    return "no graph, eval-mode layers, every module's mode restored, in all three cases"


# --- Exercise 4: features cached under inference_mode -----------------------------------------


def _backbone(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU())


@exercise(LESSON, 4, "features a head can train on")
def cached_features(cache_features):
    expect_function(cache_features, "cache_features")
    backbone = _backbone(seed=6)
    torch.manual_seed(7)
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    with torch.no_grad():
        expected = backbone(x)
    try:
        with SavedTensors(exclude=backbone) as saved:
            hint = "it takes the backbone and a batch and returns backbone(x); the message names what failed"
            features = run_learner(cache_features, backbone, x, name="cache_features",
                                   hints={"TypeError": hint, "AttributeError": hint, "ValueError": hint})
    finally:
        left_off = _grad_mode_restored()
    if left_off:
        raise _grad_mode_left_off("cache_features")
    frozen = [n for n, p in backbone.named_parameters() if not p.requires_grad]
    if frozen:
        for p in backbone.parameters():
            p.requires_grad_(True)
        raise Wrong(f"after cache_features, the backbone's {frozen[0]} no longer requires grad: your function "
                    "changed the caller's model", "look at the backbone's requires_grad after your call: a cache "
                    "must leave the model as it found it; torch.no_grad() around the forward builds no graph and "
                    "changes no flag")
    torch.manual_seed(8)
    head = nn.Linear(8, 3)
    if not isinstance(features, torch.Tensor):
        raise Wrong(f"cache_features should return a tensor, got {type(features).__name__}",
                    "return the backbone's output for x")
    if features.is_inference():
        raise Wrong("the features are still an inference tensor (features.is_inference() is True)",
                    "compute them under torch.no_grad() instead, or return a .clone() made outside inference mode")
    if features.requires_grad and features.grad_fn is None:
        raise Wrong("the features require grad (requires_grad=True, no grad_fn): you switched it on after the "
                    "forward pass", "the head needs no gradient for its inputs: return the features as they come "
                    "out of torch.no_grad(), without requires_grad_()")
    if features.requires_grad:
        raise Wrong("the features are attached to the backbone's graph (requires_grad=True)",
                    "compute them under torch.no_grad(): the backbone is frozen, it needs no graph")
    if saved.count:
        raise Wrong(f"cache_features built a graph through the backbone ({saved.count} tensors saved) "
                    "and threw it away", "skip the graph altogether: run the backbone under torch.no_grad()")
    expect_tensor(features, expected, "the features", "return backbone(x), computed without a graph")
    loss = nn.functional.cross_entropy(head(features), y)
    loss.backward()
    if head.weight.grad is None or any(p.grad is not None for p in backbone.parameters()):
        raise Wrong("training the head on your features did not give gradients to the head only")
    return "a head trains on them, and no graph was built through the backbone"

#: what the lesson's notebook uses (its checkers); the other names serve the checkers and their tests
__all__ = ["predict_requires_grad", "no_grad_without_eval", "evaluate_function", "cached_features"]
