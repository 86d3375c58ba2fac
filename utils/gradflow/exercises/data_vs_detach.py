"""Checkers for lesson 04, ``.data`` versus ``detach()``."""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from ..checking import (Wrong, differing, exercise, expect_function, expect_value, globals_read, grad_mode_kept,
                        run_learner, train)

LESSON = "04_data_vs_detach"

_IN_PLACE_ERROR = "modified by an inplace operation"


def _share(moved: list[torch.Tensor], towards: list[torch.Tensor]) -> float | None:
    """The one number r with moved ~= r * towards (least squares over every element), or None."""
    m = torch.cat([t.flatten().double() for t in moved]) if moved else torch.zeros(0)
    d = torch.cat([t.flatten().double() for t in towards]) if towards else torch.zeros(0)
    norm = float((d * d).sum())
    return None if norm == 0 else float((m * d).sum()) / norm


#: a .grad that is None, used as a tensor -> what that means in an update
_NONE_GRAD = {"NoneType": "a .grad was None when your function used it: gradients exist only after backward, so "
                          "clear them before the next backward, never inside the update"}


# --- exercise 1: which backward raises? -------------------------------------------------------


def _snippet_a():
    a = torch.tensor([7.0, 0.0, 0.0], requires_grad=True)
    s = torch.exp(a)
    loss = s.sum()
    s.detach().mul_(2)
    loss.backward()


def _snippet_b():
    a = torch.tensor([7.0, 0.0, 0.0], requires_grad=True)
    h = a * 3
    loss = (h ** 2).sum()
    h.data.add_(1)
    loss.backward()


def _snippet_c():
    a = torch.tensor([7.0, 0.0, 0.0], requires_grad=True)
    m = a.clone()
    loss = (m * 2).sum()
    m.detach().zero_()
    loss.backward()


def _snippet_d():
    a = torch.tensor([7.0, 0.0, 0.0], requires_grad=True)
    w = torch.ones(3, requires_grad=True)
    loss = (a * w).sum()
    with torch.no_grad():
        w.mul_(0.5)
    loss.backward()


SNIPPETS = {"A": _snippet_a, "B": _snippet_b, "C": _snippet_c, "D": _snippet_d}

_WHY = {
    "A": "exp saves its output s (the derivative of exp is exp itself), and the edit through s.detach() moved "
         "s's version counter: backward finds the saved s at version 1",
    "B": "h ** 2 saves h, but .data gets a version counter of its own: h's counter stays 0, the check passes, and "
         "backward silently uses h + 1 (a.grad is [132, 6, 6] instead of [126, 0, 0])",
    "C": "the gradient of m * 2 is 2 whatever m holds, so m was never saved and nothing checks its version",
    "D": "a * w saves both inputs (each one's gradient is the other), and an update under no_grad is an ordinary "
         "in-place operation: it moves w's counter",
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
        raise Wrong(f"raises should be a dict like {{'A': True, ...}}, got {type(raises).__name__}",
                    "one entry per snippet: raises = {'A': True, 'B': False, ...}")
    raises = {str(k).strip().upper(): v for k, v in raises.items()}  # 'a' and 'A' name the same snippet
    missing = [k for k in SNIPPETS if k not in raises]
    if missing:
        raise Wrong(f"raises has no answer for {', '.join(missing)}", "give True or False for each of A, B, C, D")
    for key, snippet in SNIPPETS.items():
        truth = _raises(snippet)
        answer = raises[key]
        if type(answer).__module__ == "numpy" and type(answer).__name__ in {"bool", "bool_"}:
            answer = bool(answer)  # a numpy bool is a yes/no answer too
        if not isinstance(answer, bool):
            raise Wrong(f"raises[{key!r}] should be True or False, got {type(answer).__name__}",
                        "True if backward raises the in-place error, False if it runs")
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


#: (lr, which parameters are passed) per round: never the notebook's lr = 0.1, and once a subset of the model
SGD_ROUNDS = [(0.05, "all"), (0.3, "weight")]


@exercise(LESSON, 2, "a manual SGD step")
def manual_sgd(sgd_step):
    expect_function(sgd_step, "sgd_step")
    x, y = _data()
    for lr, which in SGD_ROUNDS:
        _sgd_round(sgd_step, lr, which, x, y)
    return ("three steps match torch.optim.SGD at lr=0.05 (every parameter) and lr=0.3 (the weight only), and "
            "autograd saw every update")


def _sgd_round(sgd_step, lr: float, which: str, x, y) -> None:
    where = f"with lr={lr}" + (" and only the weight passed" if which == "weight" else "")
    reference = _model()
    chosen = list(reference.parameters()) if which == "all" else [reference.weight]
    train(reference, torch.optim.SGD(chosen, lr=lr), [(x, y)] * 3, nn.functional.mse_loss)
    model = _model()
    start = [p.detach().clone() for p in model.parameters()]
    params = list(model.parameters()) if which == "all" else [model.weight]
    given = list(params)
    versions_moved, first_share = True, None
    for step in range(3):
        for p in model.parameters():
            p.grad = None
        nn.functional.mse_loss(model(x), y).backward()
        before = [p._version for p in params]
        values = [p.detach().clone() for p in params]
        grads = [p.grad.clone() for p in params]
        with grad_mode_kept("sgd_step"):
            run_learner(sgd_step, params, lr, name="sgd_step", hints=_NONE_GRAD)
        _expect_trainable(list(model.parameters()), "your step", "update in place")
        if step == 0:
            first_share = _share([v - p.detach() for p, v in zip(params, values)], grads)
        versions_moved &= all(p._version > v for p, v in zip(params, before))
    if len(params) != len(given) or any(p is not q for p, q in zip(params, given)):
        raise Wrong(f"{where}, your sgd_step changed the list it was given",
                    "only the tensors in params change, not the list: loop over it and update each in place")
    if any(p is not q for p, q in zip(params, [m for m in model.parameters() if any(m is g for g in given)])):
        raise Wrong("the model's parameters were replaced", "update each tensor in place (p -= ...), do not rebind it")
    _expect_trainable(list(model.parameters()), "your step", "update in place")
    read = globals_read(sgd_step, (nn.Module, torch.optim.Optimizer, torch.Tensor, list, tuple, float, int))
    if all(torch.equal(p, s) for p, s in zip(model.parameters(), start)):
        if read:
            raise Wrong(f"{where}, the parameters passed to sgd_step did not change: your function reads the "
                        f"notebook's `{read[0]}`", "update the tensors of the params argument; the checker passes "
                        "its own model's parameters, not the notebook's")
        if all(p.grad is not None and not p.grad.any() for p in params):
            raise Wrong(f"{where}, the parameters did not change, and their gradients are zero",
                        "the gradients were cleared before the update used them: clear them before the next "
                        "backward, never between backward and the update")
        raise Wrong(f"{where}, the parameters did not change",
                    "`p = p - lr * p.grad` only rebinds the loop variable; write into the tensor: `p -= lr * p.grad`")
    if differing(model, reference):
        names = {id(p): n for n, p in model.named_parameters()}
        still = [names[id(p)] for p, s0 in zip(params, [s0 for (_, q), s0 in zip(model.named_parameters(), start)
                                                         if any(q is g for g in params)]) if torch.equal(p.detach(), s0)]
        if still and len(still) < len(params):
            raise Wrong(f"{where}, the {still[0]} in params did not change, though others did",
                        "update every tensor in params, whatever its shape: a bias is a parameter too")
        moved_outside = [n for (n, p), s0 in zip(model.named_parameters(), start)
                         if which == "weight" and n != "weight" and not torch.equal(p.detach(), s0)]
        if moved_outside:
            raise Wrong(f"{where}, the {moved_outside[0]} moved too, though it was not in params",
                        "update exactly the tensors in params: the caller chooses them (the model may have others "
                        "that must stay)" + (f"; your function reads the notebook's `{read[0]}`" if read else ""))
        if first_share is not None and not math.isclose(first_share, lr, rel_tol=1e-3):
            if read and any(isinstance(sgd_step.__globals__[n], (int, float)) for n in read):
                number = next(n for n in read if isinstance(sgd_step.__globals__[n], (int, float)))
                raise Wrong(f"{where}, a step moved each parameter by {first_share:.3g} * p.grad: your function reads "
                            f"the notebook's `{number}`, not its lr argument",
                            "measure: compare (p_before - p_after) / p.grad with lr; then use the argument "
                            "(check the parameter's spelling in the def line)")
            raise Wrong(f"{where}, a step moved each parameter by {first_share:.3g} * p.grad instead of "
                        f"{lr} * p.grad",
                        "measure: (p_before - p_after) / p.grad is the step size your function used; it must be "
                        "the lr argument, whatever its value (no number written in the function), and its sign "
                        "is minus: a step downhill, p -= lr * p.grad")
        raise Wrong(f"{where}, after 3 steps the parameters differ from torch.optim.SGD",
                    "the SGD update is p -= lr * p.grad (minus: a step downhill), for every parameter in params")
    _expect_seen(versions_moved, "update", "p -= lr * p.grad")


# --- exercise 3: weight clipping without .data ------------------------------------------------


#: the bounds the checker clips to (never one value only: a number written into the function must show)
CLIP_BOUNDS = (0.3, 0.05)


def _critic(seed: int, widths: tuple[int, ...]) -> nn.Module:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for a, b in zip(widths, widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3)  # make sure plenty of values lie outside [-c, c]
    return model


@exercise(LESSON, 3, "weight clipping without .data")
def weight_clipping(clip_weights_):
    expect_function(clip_weights_, "clip_weights_")
    for c, seed, widths in zip(CLIP_BOUNDS, (2, 7), ((4, 6, 2), (3, 5, 5, 1))):
        _clip_round(clip_weights_, c, _critic(seed, widths))
    return f"clipped in place to c = {CLIP_BOUNDS[0]} and {CLIP_BOUNDS[1]}, visible to autograd"


def _clip_round(clip_weights_, c: float, model: nn.Module) -> None:
    originals = dict(model.named_parameters())
    expected = {n: p.detach().clamp(-c, c) for n, p in originals.items()}
    model(torch.randn(5, model[0].in_features)).pow(2).sum().backward()  # as after a training step: gradients are present
    before = {n: p.detach().clone() for n, p in originals.items()}
    versions = {n: p._version for n, p in originals.items()}
    with grad_mode_kept("clip_weights_"):
        run_learner(clip_weights_, model, c, name="clip_weights_", hints=_NONE_GRAD)
    now = dict(model.named_parameters())
    replaced = [n for n in originals if now.get(n) is not originals[n]]
    if replaced:
        raise Wrong(f"{replaced[0]} was replaced by a new tensor",
                    "an optimizer built earlier still holds the old parameter: clamp in place with p.clamp_(-c, c)")
    _expect_trainable(now.values(), "clipping", "clamp in place")
    untouched = [n for n, p in now.items() if torch.equal(p.detach(), before[n]) and not torch.equal(p.detach(), expected[n])]
    if all(torch.equal(p.detach(), before[n]) for n, p in now.items()):
        read = globals_read(clip_weights_, (nn.Module, torch.Tensor, list, tuple))
        if read:
            raise Wrong(f"with c={c}, the model passed to clip_weights_ was not clipped: your function reads the "
                        f"notebook's `{read[0]}`", "clip the parameters of the model argument: the checker passes its "
                        "own critic")
    if untouched and len(untouched) < len(now):
        raise Wrong(f"{untouched[0]} was not clipped, though other parameters were",
                    "clip every parameter: loop over model.parameters(), which yields each weight and each bias")
    for name, p in now.items():
        if torch.equal(p.detach(), before[name]) and not torch.equal(p.detach(), expected[name]):
            raise Wrong(f"{name} was not clipped",
                        "`p = p.clamp(...)` only rebinds the name, and clip_grad_value_ clips gradients, not "
                        "weights; clamp each parameter in place: p.clamp_(-c, c)")
    if not all(torch.allclose(p.detach(), expected[n]) for n, p in now.items()):
        bound = max(p.detach().abs().max().item() for p in now.values())
        low = min(p.detach().min().item() for p in now.values())
        if not math.isclose(bound, c, rel_tol=1e-4) and bound < max(b.abs().max().item() for b in before.values()):
            raise Wrong(f"with c={c}, the largest weight after clipping is {bound:.3g}, not {c}",
                        "measure: the largest |weight| after clipping must be the c argument, whatever its value; "
                        "clamp to (-c, c), with no number written in the function")
        if low > -c + 1e-6 and any(b.min().item() < -c for b in before.values()) and low >= 0:
            raise Wrong(f"with c={c}, no weight is negative after clipping",
                        "clamp to both bounds, -c below and c above: p.clamp_(-c, c)")
        raise Wrong(f"with c={c}, the parameters are not clamped to [-c, c]",
                    "measure: compare each parameter with p.clamp(-c, c); then clamp in place, p.clamp_(-c, c), "
                    "on every parameter")
    _expect_seen(all(now[n]._version > v for n, v in versions.items()), "change", "p.clamp_(-c, c)")


# --- exercise 4: values for a log -------------------------------------------------------------


#: what torch says when .numpy() meets a tensor on a GPU (torch/csrc/utils/tensor_numpy.cpp)
GPU_NUMPY_ERROR = ("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host "
                   "memory first.")


class OnGPU(torch.Tensor):
    """A CPU tensor that answers like one on a GPU where this exercise looks: ``.numpy()`` refuses it with torch's
    GPU message, ``.device`` says ``cuda:0``, and ``.cpu()`` (or ``.to('cpu')``) brings back a plain tensor. So a
    checker without a GPU can tell whether an answer moves the tensor to the host first."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.Tensor.numpy and not kwargs.get("force", False):
            raise TypeError(GPU_NUMPY_ERROR)
        if getattr(func, "__self__", None) is torch.Tensor.device:  # the getter of the .device property
            return torch.device("cuda", 0)
        plain = func in (torch.Tensor.cpu, torch.Tensor.numpy) or (
            func is torch.Tensor.to and any(str(a) == "cpu" for a in (*args[1:], *kwargs.values())))
        with torch._C.DisableTorchFunctionSubclass():
            result = func(*args, **kwargs)
        if plain or not isinstance(result, torch.Tensor):
            return result.as_subclass(torch.Tensor) if isinstance(result, torch.Tensor) else result
        return result.as_subclass(cls)


def _log_inputs():
    leaf = torch.tensor([[1.0, -2.0], [0.5, 4.0]], requires_grad=True)
    leaf.grad = torch.full_like(leaf, 0.5)  # as after a backward: must stay as it is
    attached = leaf * 3
    plain = torch.tensor([0.25, 0.75])
    on_gpu = (torch.tensor([2.0, -1.0, 3.5]) * 1).as_subclass(OnGPU)
    return leaf, {"a tensor that requires grad": attached, "a leaf that requires grad": leaf, "a plain tensor": plain,
                  "a tensor on a GPU": on_gpu}


@exercise(LESSON, 4, "values for a log")
def values_for_log(to_numpy):
    expect_function(to_numpy, "to_numpy")
    leaf, inputs = _log_inputs()
    grad_before = leaf.grad.clone()
    attached = inputs["a tensor that requires grad"]
    for name, t in inputs.items():
        with torch._C.DisableTorchFunctionSubclass():
            expected = t.detach().clone().as_subclass(torch.Tensor)
        with grad_mode_kept("to_numpy"):
            result = run_learner(to_numpy, t, name="to_numpy", errors={
                "requires grad": (f"on {name} your function raised: Can't call numpy() on Tensor that requires grad",
                                  "detach first: t.detach().cpu().numpy()"),
                "device type tensor to numpy": (f"on {name} your function raised: {GPU_NUMPY_ERROR}",
                                                "NumPy arrays live in host memory: .cpu() before .numpy() "
                                                "(t.detach().cpu().numpy(); on a CPU tensor .cpu() costs nothing)")})
        if isinstance(result, torch.Tensor):
            raise Wrong(f"on {name} your function returned a tensor, not a NumPy array", "finish with .numpy()")
        if not isinstance(result, np.ndarray):
            raise Wrong(f"on {name} your function returned {type(result).__name__}, not a NumPy array",
                        "t.detach().cpu().numpy() returns an array")
        expect_value(tuple(result.shape), tuple(expected.shape), "the array's shape",
                     "convert the whole tensor, without reshaping or indexing it")
        if not np.allclose(result, expected.numpy()):
            raise Wrong(f"on {name} the array holds other values than the tensor", "do not change the values")
        with torch._C.DisableTorchFunctionSubclass():
            changed = not torch.equal(t.detach().as_subclass(torch.Tensor), expected)
        if changed:
            raise Wrong("your function changed the tensor it was given", "only read: detach() and convert")
        if t is attached and not (attached.requires_grad and attached.grad_fn is not None):
            raise Wrong("the tensor given to your function left the graph", "detach() returns a new tensor; "
                        "do not call detach_() or requires_grad_(False) on the original")
    if not leaf.requires_grad:
        raise Wrong("after your function, the leaf it was given no longer requires grad",
                    "measure: t.requires_grad after the call; detach() returns a new tensor, while detach_() and "
                    "requires_grad_(False) switch off the caller's tensor: read through t.detach()")
    if leaf.grad is None or not torch.equal(leaf.grad, grad_before):
        raise Wrong("after your function, the .grad of the leaf it was given changed",
                    "a log only reads values: leave t.grad alone")
    return "works with and without requires_grad, and on a GPU tensor"


# --- exercise 5: a soft target-network update (Make) --------------------------------------------

_TAU = 0.1  # not 0.5: a swapped (1 - tau) / tau would give the same numbers
#: tau at each step: two values (never 0.5), so that a tau written into the function shows
_TAUS = (0.1, 0.3, 0.1, 0.3, 0.1)
_STEPS = len(_TAUS)
#: float32 rounding of two ways to write one average (t.lerp_, t.mul_().add_(), copy_ of an expression):
#: a few 1e-8 per step at these weights; a wrong tau or a skipped step is off by 1e-3 or more
_ATOL = 1e-6


def _online_and_target():
    torch.manual_seed(11)
    online = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    target = copy.deepcopy(online)  # a plain deep copy: its parameters require grad (lesson 05)
    with torch.no_grad():
        for p in target.parameters():
            p.add_(0.5 * torch.randn_like(p))  # start away from the online network
    g = torch.Generator().manual_seed(12)
    x, y = torch.randn(32, 3, generator=g), torch.randn(32, 2, generator=g)
    return online, target, x, y


def _online_step(online: nn.Module, x, y, lr: float = 0.2) -> None:
    params = list(online.parameters())
    grads = torch.autograd.grad(nn.functional.mse_loss(online(x), y), params)
    with torch.no_grad():
        for p, g in zip(params, grads):
            p -= lr * g


def _close(a, b) -> bool:
    return all(torch.allclose(p, q, rtol=0, atol=_ATOL) for p, q in zip(a, b))


@exercise(LESSON, 5, "a soft target-network update")
def soft_target_update(soft_update_):
    expect_function(soft_update_, "soft_update_")
    online, target, x, y = _online_and_target()
    params = list(target.parameters())
    reference = [p.detach().double().clone() for p in params]  # the average, kept in float64 by the checker
    for step, tau in enumerate(_TAUS, start=1):
        _online_step(online, x, y)
        before = [p.detach().clone() for p in params]
        online_before = [p.detach().clone() for p in online.parameters()]
        online_versions = [p._version for p in online.parameters()]
        versions = [p._version for p in params]
        hint = ("it takes the two modules and a number; walk their parameters in pairs with "
                "zip(target.parameters(), online.parameters()) (a module's layers may have no weight)")
        with grad_mode_kept("soft_update_"):
            run_learner(soft_update_, target, online, tau, name="soft_update_",
                        hints={"TypeError": hint, "AttributeError": hint})
        now = list(target.parameters())
        where = f"after step {step} (tau={tau})"
        if not all(torch.equal(p.detach(), q) for p, q in zip(online.parameters(), online_before)) or \
                [p._version for p in online.parameters()] != online_versions:
            raise Wrong(f"{where} the online network changed", "only the target moves; the arguments are "
                        "soft_update_(target, online, tau): write into target's parameters, read online's")
        if len(now) != len(params) or any(p is not q for p, q in zip(now, params)):
            raise Wrong(f"{where} the target's parameters were replaced by new tensors",
                        "an optimizer or a pending graph still holds the old ones: write into each tensor in "
                        "place (mul_, add_, lerp_ or copy_)")
        if not all(p.is_leaf and p.requires_grad for p in params):
            raise Wrong(f"{where} the target's parameters no longer require grad (or are no longer leaves)",
                        "freezing is the caller's choice; the update only needs `with torch.no_grad():`")
        online_now = [p.detach() for p in online.parameters()]
        values = [p.detach() for p in params]
        expected = [(1 - tau) * b + tau * o for b, o in zip(before, online_now)]
        if all(torch.equal(v, b) for v, b in zip(values, before)):
            read = globals_read(soft_update_, (nn.Module, torch.Tensor, list, tuple))
            if read:
                raise Wrong(f"{where} the target passed to soft_update_ did not move: your function reads the "
                            f"notebook's `{read[0]}`", "update the modules of the arguments: the checker passes its "
                            "own target and online networks")
            raise Wrong(f"{where} the target did not move",
                        "`t = (1 - tau) * t + tau * o` only rebinds the loop variable; write into the tensor: "
                        "t.mul_(1 - tau).add_(o, alpha=tau), or t.lerp_(o, tau)")
        if not _close(values, expected):
            if _close(values, online_now):
                raise Wrong(f"{where} the target is a copy of the online network (a hard update)",
                            "move only a share tau of the way: (1 - tau) * target + tau * online")
            if _close(values, [tau * b + (1 - tau) * o for b, o in zip(before, online_now)]):
                raise Wrong(f"{where} the target moved (1 - tau) of the way instead of tau",
                            "tau is the online network's share: (1 - tau) * target + tau * online")
            share = _share([v - b for v, b in zip(values, before)], [o - b for o, b in zip(online_now, before)])
            if share is not None and _close(values, [b + share * (o - b) for b, o in zip(before, online_now)]):
                raise Wrong(f"{where} the target moved {share:.3g} of the way to the online network, not tau",
                            "measure: (target_after - target_before) / (online - target_before) is the share your "
                            "function used; it must be the tau argument, whatever its value (no number written "
                            "in the function)")
            raise Wrong(f"{where} the target's parameters are not (1 - tau) * target + tau * online",
                        "pair each target parameter with the online one of the same name, e.g. "
                        "zip(target.parameters(), online.parameters()), and update every one")
        if not all(p._version > v for p, v in zip(params, versions)):
            raise Wrong(f"{where} the values are right, but autograd did not see the update (the version counters "
                        "did not move)", "did you write through .data? Then a graph that saved the target's "
                        "weights would silently use the new values (section 4); use `with torch.no_grad():` "
                        "and in-place operations on the parameters themselves")
        reference = [(1 - tau) * r + tau * o.double() for r, o in zip(reference, online_now)]
    if not all(torch.allclose(p.detach().double(), r, rtol=0, atol=_ATOL) for p, r in zip(params, reference)):
        raise Wrong(f"after {_STEPS} steps the target drifted from the average", "update every parameter once per call")
    return (f"{_STEPS} steps with tau = {_TAUS[0]} and {_TAUS[1]} match the average within {_ATOL:g}, in place, "
            "and autograd saw every update")

#: what the lesson's notebook uses (its checkers); the other names serve the checkers and their tests
__all__ = ["which_raises", "manual_sgd", "weight_clipping", "values_for_log", "soft_target_update"]
