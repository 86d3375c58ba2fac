"""Checkers for lesson 04, ``.data`` versus ``detach()``."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..checking import Wrong, differing, exercise, expect_function, expect_value, run_learner, train

LESSON = "04_data_vs_detach"

_IN_PLACE_ERROR = "modified by an inplace operation"


# --- exercise 1: which backward raises? -------------------------------------------------------


def _snippet_a():
    a = torch.tensor([7.0, 0.0, 0.0], requires_grad=True)
    b = a + 2
    loss = (b * b).mean()
    b.data.zero_()
    loss.backward()


def _snippet_b():
    a = torch.tensor([7.0, 0.0, 0.0], requires_grad=True)
    b = a + 2
    loss = (b * b).mean()
    b.detach().zero_()
    loss.backward()


def _snippet_c():
    a = torch.tensor([7.0, 0.0, 0.0], requires_grad=True)
    b = a + 2
    loss = b.sum()
    b.detach().zero_()
    loss.backward()


def _snippet_d():
    a = torch.tensor([7.0, 0.0, 0.0], requires_grad=True)
    loss = (a * a).sum()
    with torch.no_grad():
        a -= 0.1
    loss.backward()


SNIPPETS = {"A": _snippet_a, "B": _snippet_b, "C": _snippet_c, "D": _snippet_d}

_WHY = {
    "A": ".data gets a version counter of its own: b's counter stays 0, the check passes, and backward "
         "silently uses the zeros (a.grad = [0, 0, 0])",
    "B": "detach() shares b's version counter; b * b saved b at version 0 and finds it at version 1",
    "C": "the gradient of a sum does not need b's values, so b was never saved and nothing is checked",
    "D": "an update under no_grad is an ordinary in-place operation: it advances a's counter, and a * a saved a",
}


def _raises(snippet) -> bool:
    """Run one snippet on the installed PyTorch: does its backward raise the in-place error?"""
    try:
        snippet()
    except RuntimeError as error:
        if _IN_PLACE_ERROR in str(error):
            return True
        raise
    return False


@exercise(LESSON, 1, "which backward raises")
def which_raises(raises):
    if not isinstance(raises, dict):
        raise Wrong(f"raises should be a dict like {{'A': True, ...}}, got {type(raises).__name__}")
    missing = [k for k in SNIPPETS if k not in raises]
    if missing:
        raise Wrong(f"raises has no answer for {', '.join(missing)}", "give True or False for each of A, B, C, D")
    for key, snippet in SNIPPETS.items():
        truth = _raises(snippet)
        answer = raises[key]
        if not isinstance(answer, bool):
            raise Wrong(f"raises[{key!r}] should be True or False, got {type(answer).__name__}")
        if answer != truth:
            verb = "raises" if truth else "runs without error"
            raise Wrong(f"snippet {key} {verb}", _WHY[key])
    return "all four match what PyTorch does"


def _expect_trainable(params, what: str, fix: str) -> None:
    if not all(p.is_leaf and p.requires_grad for p in params):
        raise Wrong(f"after {what} the parameters are no longer trainable leaves",
                    f"{fix} under torch.no_grad(); do not change requires_grad")


def _expect_seen(versions_moved: bool, what: str, fix: str) -> None:
    if not versions_moved:
        raise Wrong(f"the values are right, but autograd did not see the {what} (the version counter did not move)",
                    f"did you write through .data? use `with torch.no_grad(): {fix}` instead")


# --- exercise 2: a manual SGD step ------------------------------------------------------------


def _data(seed: int = 3):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(16, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    return x, y


def _model(seed: int = 1) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Linear(3, 1)


@exercise(LESSON, 2, "a manual SGD step")
def manual_sgd(sgd_step):
    expect_function(sgd_step, "sgd_step")
    lr = 0.1
    x, y = _data()
    reference = _model()
    train(reference, torch.optim.SGD(reference.parameters(), lr=lr), [(x, y)] * 3, nn.functional.mse_loss)
    model = _model()
    start = [p.detach().clone() for p in model.parameters()]
    params = list(model.parameters())
    versions_moved = True
    for _ in range(3):
        for p in params:
            p.grad = None
        nn.functional.mse_loss(model(x), y).backward()
        before = [p._version for p in params]
        run_learner(sgd_step, params, lr)
        versions_moved &= all(p._version > v for p, v in zip(params, before))
    if any(p is not q for p, q in zip(params, model.parameters())):
        raise Wrong("the model's parameters were replaced", "update each tensor in place (p -= ...), do not rebind it")
    _expect_trainable(params, "your step", "update in place")
    if all(torch.equal(p, s) for p, s in zip(params, start)):
        raise Wrong("the parameters did not change",
                    "`p = p - lr * p.grad` only rebinds the loop variable; write into the tensor: `p -= lr * p.grad`")
    if differing(model, reference):
        raise Wrong("after 3 steps the parameters differ from torch.optim.SGD",
                    "the SGD update is p -= lr * p.grad (minus: a step downhill), for every parameter")
    _expect_seen(versions_moved, "update", "p -= lr * p.grad")
    return "three steps match torch.optim.SGD, and autograd saw every update"


# --- exercise 3: weight clipping without .data ------------------------------------------------


@exercise(LESSON, 3, "weight clipping without .data")
def weight_clipping(clip_weights_):
    expect_function(clip_weights_, "clip_weights_")
    c = 0.3
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3)  # make sure plenty of values lie outside [-c, c]
    originals = dict(model.named_parameters())
    expected = {n: p.detach().clamp(-c, c) for n, p in originals.items()}
    versions = {n: p._version for n, p in originals.items()}
    run_learner(clip_weights_, model, c)
    now = dict(model.named_parameters())
    replaced = [n for n in originals if now.get(n) is not originals[n]]
    if replaced:
        raise Wrong(f"{replaced[0]} was replaced by a new tensor",
                    "an optimizer built earlier still holds the old parameter: clamp in place with p.clamp_(-c, c)")
    _expect_trainable(now.values(), "clipping", "clamp in place")
    for name, p in now.items():
        if torch.equal(p.detach(), originals[name].detach()) and not torch.equal(p.detach(), expected[name]):
            raise Wrong(f"{name} was not clipped",
                        "`p = p.clamp(...)` only rebinds the name; clamp in place: p.clamp_(-c, c)")
        if not torch.allclose(p.detach(), expected[name]):
            raise Wrong(f"{name} is not clamped to [-c, c]", "use p.clamp_(-c, c) on every parameter")
    _expect_seen(all(now[n]._version > v for n, v in versions.items()), "change", "p.clamp_(-c, c)")
    return "clipped in place, visible to autograd"


# --- exercise 4: values for a log -------------------------------------------------------------


@exercise(LESSON, 4, "values for a log")
def values_for_log(to_numpy):
    expect_function(to_numpy, "to_numpy")
    leaf = torch.tensor([[1.0, -2.0], [0.5, 4.0]], requires_grad=True)
    attached = leaf * 3
    plain = torch.tensor([0.25, 0.75])
    for name, t in (("a tensor that requires grad", attached), ("a plain tensor", plain)):
        expected = t.detach().clone()
        try:
            result = to_numpy(t)
        except RuntimeError as error:
            if "requires grad" in str(error):
                raise Wrong(f"on {name} your function raised: Can't call numpy() on Tensor that requires grad",
                            "detach first: t.detach().cpu().numpy()") from None
            raise
        if isinstance(result, torch.Tensor):
            raise Wrong(f"on {name} your function returned a tensor, not a NumPy array", "finish with .numpy()")
        if not isinstance(result, np.ndarray):
            raise Wrong(f"on {name} your function returned {type(result).__name__}, not a NumPy array",
                        "t.detach().cpu().numpy() returns an array")
        expect_value(tuple(result.shape), tuple(expected.shape), "the array's shape")
        if not np.allclose(result, expected.numpy()):
            raise Wrong(f"on {name} the array holds other values than the tensor", "do not change the values")
        if not torch.equal(t.detach(), expected):
            raise Wrong("your function changed the tensor it was given", "only read: detach() and convert")
    if not (attached.requires_grad and attached.grad_fn is not None):
        raise Wrong("the tensor given to your function left the graph", "detach() returns a new tensor; "
                    "do not call detach_() or requires_grad_(False) on the original")
    return "works with and without requires_grad"
