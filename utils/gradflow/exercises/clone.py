"""Checkers for lesson 05, ``clone()``.

1. warm-up: ``copy_value(t)``, a copy of a value out of the graph (own storage, no graph, no warning);
2. Modify: ``with_row(h, i, row)``, h with one row replaced, in a copy that stays in the graph (clone to edit);
3. Modify: ``snapshot(model)``, section 4's snapshot as a function, checked across training;
4. Make: ``lookahead(model, opt, batches, k, alpha)``, slow weights that must survive ``k`` optimizer steps.

Every checker builds its own tensors and models, so nothing in the learner's notebook is trusted.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

from ..checking import Wrong, exercise, expect_function, run_learner
from ..models import TwoLayerNet
from .data_vs_detach import grad_mode_kept

LESSON = "05_clone"

TORCH_TENSOR_WARNING = "To copy construct from a tensor"
DEEPCOPY = "support the deepcopy protocol"


def _as_tensor(value):
    """A snapshot entry as a tensor: tensors as they are, NumPy arrays without copying (to see sharing)."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    return value


def _storage(t: torch.Tensor) -> int:
    """Where a tensor's memory starts: two views of one storage give the same number, whatever their offsets."""
    return t.untyped_storage().data_ptr()


def _inputs():
    """The tensors the copy checkers copy: a leaf that requires grad, an activation in a graph, a parameter."""
    torch.manual_seed(5)
    leaf = torch.tensor([0.5, -1.5, 2.0], requires_grad=True)
    hidden = torch.relu(nn.Linear(4, 3)(torch.randn(2, 4)))
    weight = nn.Linear(3, 2).weight
    return {"a leaf that requires grad": leaf, "an activation inside a graph": hidden, "a parameter": weight}


def _call_copy(fn, t: torch.Tensor, name: str):
    """Call the learner's copy function; a copy made through ``torch.tensor(t)`` (it warns) is wrong."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        copy = run_learner(fn, t, errors={DEEPCOPY: (
            f"copying {name} raised: only leaf tensors support copy.deepcopy",
            "deepcopy refuses a tensor that has a graph behind it: start from t.detach(), then clone()")},
            name="function")
    if any(TORCH_TENSOR_WARNING in str(w.message) for w in caught):
        raise Wrong(f"copying {name} raised PyTorch's warning 'To copy construct from a tensor ...'",
                    "torch.tensor(t) is for Python data; for a tensor write t.detach().clone(), as the warning says")
    return copy


def _copies(fn, fn_name: str):
    """``(name, copy, original)`` for each input, once ``fn``'s copy of it is a tensor with the original's dtype,
    shape and values, in storage of its own."""
    expect_function(fn, fn_name)
    for name, t in _inputs().items():
        copy = _call_copy(fn, t, name)
        _copy_checks(copy, t, name)
        yield name, copy, t


def _copy_checks(copy, original, name: str):
    """A tensor with the original's dtype, shape and values, in storage of its own."""
    if copy is None:
        raise Wrong(f"your function returned None for {name}", "end it with return ...")
    if isinstance(copy, np.ndarray):
        raise Wrong(f"your function returned a NumPy array for {name}, not a tensor",
                    ".numpy() leaves torch (and on the CPU still shares memory): stay with tensors, detach().clone()")
    if not isinstance(copy, torch.Tensor):
        raise Wrong(f"your function should return a tensor, got {type(copy).__name__} for {name}",
                    "return t.detach().clone()")
    if copy.dtype != original.dtype:
        raise Wrong(f"the copy of {name} has dtype {copy.dtype}, the original {original.dtype}",
                    "copy the tensor itself: detach() and clone() keep its dtype")
    if copy.shape != original.shape or not torch.equal(copy.detach(), original.detach()):
        raise Wrong(f"the copy of {name} does not hold the original's values", "copy t itself: t.detach().clone()")
    if _storage(copy) == _storage(original):
        raise Wrong(f"the copy of {name} shares storage with the original",
                    "detach() (and .data) give a view of the same memory: add .clone() to copy it")


@exercise(LESSON, 1, "copy a value out of the graph")
def copy_out_of_graph(copy_value):
    for name, copy, _ in _copies(copy_value, "copy_value"):
        if copy.requires_grad and copy.grad_fn is not None:
            raise Wrong(f"the copy of {name} is still in the graph (grad_fn={type(copy.grad_fn).__name__})",
                        "clone() copies memory but keeps the graph: detach() first, then clone()")
        if copy.requires_grad:
            raise Wrong(f"the copy of {name} requires grad: it is a new trainable leaf, not a plain value",
                        "copy.deepcopy and requires_grad_() give a trainable copy; for a value, detach() first, "
                        "then clone(), and nothing more")
    return "own storage, no graph, for a leaf, an activation and a parameter"


# --- exercise 2 (Modify): edit a copy, keep the graph ---------------------------------------------


def _row_problem(seed: int, rows: int):
    """h = sigmoid(w * x): sigmoid saves its output h for backward, so an in-place edit of h breaks that backward;
    and a row that requires grad (a leaf, or a result inside a graph)."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(rows, 3, generator=g).requires_grad_()
    h = torch.sigmoid(w * torch.randn(rows, 3, generator=g))
    v = torch.randn(3, generator=g).requires_grad_()
    return w, h, v


#: (seed, rows of h, i, whether row is v itself or computed from it): i never only 0, and once counted from the end
ROW_CASES = [(1, 4, 2, False), (2, 5, 0, True), (3, 3, -1, False)]


@exercise(LESSON, 2, "edit a copy, keep the graph")
def edited_copy(with_row):
    expect_function(with_row, "with_row")
    for seed, rows, i, computed in ROW_CASES:
        w, h, v = _row_problem(seed, rows)
        row = v * 2 if computed else v
        where = f"with i={i}"
        h_before, version = h.detach().clone(), h._version
        expected = h_before.clone()
        expected[i] = row.detach()
        with grad_mode_kept("with_row"):
            out = run_learner(with_row, h, i, row, name="with_row")
        if out is None:
            raise Wrong(f"{where}, your with_row returned None", "return the edited copy")
        if not isinstance(out, torch.Tensor):
            raise Wrong(f"{where}, your with_row returned {type(out).__name__}, not a tensor",
                        "stay with tensors: autograd follows only them")
        if h._version != version or not torch.equal(h.detach(), h_before):
            raise Wrong(f"{where}, your function changed h, the caller's tensor (its version counter moved from "
                        f"{version} to {h._version})",
                        "sigmoid saved h for its backward, so an edit of h breaks that backward: edit a copy that "
                        "stays in the graph, out = h.clone(), then out[i] = row")
        if out.shape != h.shape or not torch.allclose(out.detach(), expected):
            other = next((j for j in range(rows) if j != i % rows and torch.equal(out.detach()[j], row.detach())),
                         None) if out.shape == h.shape else None
            if other is not None:
                raise Wrong(f"{where}, your copy has row {other} replaced, not row {i}",
                            "measure: which row of your result equals row; use the i argument, whatever its value")
            raise Wrong(f"{where}, your result is not h with row i replaced by row",
                        "measure: compare your result with h row by row; out = h.clone(), then out[i] = row")
        if out.grad_fn is None:
            raise Wrong(f"{where}, your result is not in the graph (grad_fn is None), so no gradient reaches "
                        f"{'a leaf of its own' if out.requires_grad else 'h or row'}",
                        "detach() (and torch.no_grad()) cut the graph, requires_grad_() makes a new leaf: "
                        "clone() copies the memory and keeps the graph")
        weights = torch.arange(1.0, out.numel() + 1).reshape(out.shape)
        try:
            grad_w, grad_v = torch.autograd.grad((out * weights).sum(), (w, v), allow_unused=True,
                                                 retain_graph=True)
        except RuntimeError as error:
            raise Wrong(f"{where}, backward through your result failed: {str(error).splitlines()[0]}",
                        "edit a copy that has memory of its own: out = h.clone(), then out[i] = row") from None
        w2, h2, v2 = _row_problem(seed, rows)
        ref = h2.clone()
        ref[i] = v2 * 2 if computed else v2
        ref_w, ref_v = torch.autograd.grad((ref * weights).sum(), (w2, v2))
        if grad_w is None or not torch.allclose(grad_w, ref_w, atol=1e-6):
            raise Wrong(f"{where}, the gradient of your result does not reach h's inputs (w.grad is "
                        f"{'None' if grad_w is None else 'wrong'})",
                        "measure: torch.autograd.grad(out.sum(), w); the copy must stay in h's graph: clone(), not "
                        "detach().clone()")
        if grad_v is None or not torch.allclose(grad_v, ref_v, atol=1e-6):
            raise Wrong(f"{where}, the gradient of your result does not reach row (its gradient is "
                        f"{'None' if grad_v is None else 'wrong'})",
                        "measure: torch.autograd.grad(out.sum(), row); write row itself into the copy, not "
                        "row.detach() or row.data")
        try:
            h.sum().backward()  # the caller's own graph still works
        except RuntimeError as error:
            raise Wrong(f"{where}, after your function h's own backward fails: {str(error).splitlines()[0]}",
                        "an edit of h (or of a view of it) breaks what sigmoid saved: edit h.clone()") from None
    return "h kept intact; the copy's gradients reach both h's inputs and row, for i = 2, 0 and -1"


@exercise(LESSON, 3, "a snapshot that detects change")
def real_snapshot(snapshot):
    expect_function(snapshot, "snapshot")
    torch.manual_seed(5)
    model = TwoLayerNet()
    inputs, targets = torch.randn(8, 10), torch.randn(8, 3)
    truth = {name: p.detach().clone() for name, p in model.named_parameters()}
    taken = run_learner(snapshot, model, name="snapshot")
    if isinstance(taken, torch.Tensor) or not isinstance(taken, dict):
        raise Wrong(f"snapshot should return a dict name -> tensor, got {type(taken).__name__}",
                    "build it from model.named_parameters()")
    missing = [name for name in truth if name not in taken]
    if missing:
        raise Wrong(f"the snapshot has no entry for {missing[0]!r}", "use the names from model.named_parameters()")
    for name, live in model.named_parameters():
        value = _as_tensor(taken[name])
        if isinstance(value, (list, float)):
            raise Wrong(f"snapshot[{name!r}] should be a tensor, got {type(taken[name]).__name__}",
                        ".tolist() does copy, but the snapshot is compared as tensors: use p.detach().clone()")
        if not isinstance(value, torch.Tensor):
            raise Wrong(f"snapshot[{name!r}] should be a tensor, got {type(taken[name]).__name__}",
                        "use p.detach().clone()")
        if value.requires_grad:
            if _storage(value) == _storage(live):
                raise Wrong(f"snapshot[{name!r}] is the parameter itself, not a copy",
                            "dict(model.named_parameters()) holds the live parameters: copy each with p.detach().clone()")
            if value.grad_fn is not None:
                raise Wrong(f"snapshot[{name!r}] is still in the graph (grad_fn={type(value.grad_fn).__name__})",
                            "clone() alone keeps the graph: detach() first, then clone()")
            raise Wrong(f"snapshot[{name!r}] requires grad: it is a trainable copy, not a record of values",
                        "copy.deepcopy of a parameter keeps requires_grad=True: use p.detach().clone()")
        if value.shape != live.shape or not torch.equal(value.to(live.dtype), truth[name]):
            raise Wrong(f"snapshot[{name!r}] does not hold the parameter's current values",
                        "copy each parameter as it is: p.detach().clone()")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(5):
        opt.zero_grad()
        nn.functional.mse_loss(model(inputs), targets).backward()
        opt.step()
    for name in truth:
        if not torch.equal(_as_tensor(taken[name]).to(truth[name].dtype), truth[name]):
            raise Wrong(f"snapshot[{name!r}] changed during training, so 'before' equals 'after'",
                        "detach(), .data, .numpy() and state_dict() share storage with the parameter: "
                        "copy it with detach().clone()")
    return "the snapshot kept the old values while all 4 tensors trained"


# --- exercise 4 (Make): lookahead, slow weights that survive the optimizer ------------------------

#: the (k, alpha) settings the checker tries; 7 steps, so the last steps are not followed by a sync
SETTINGS = [(3, 0.5), (2, 0.8)]
STEPS = 7


def _lookahead_problem():
    torch.manual_seed(5)
    model = TwoLayerNet()
    batches = [(torch.randn(8, 10), torch.randn(8, 3)) for _ in range(STEPS)]
    return model, torch.optim.SGD(model.parameters(), lr=0.2), batches


def _reference_lookahead(k: int, alpha: float, mode: str = "right") -> list[torch.Tensor]:
    """The weights after ``STEPS`` steps. mode: 'right'; 'plain' (no lookahead: what an aliased slow copy
    updated in place gives, and also a sync that never puts the slow weights back into the model);
    'late' (an aliased copy replaced by a new tensor at the first sync: the slow weights start at step k);
    'every-step' (a sync after every step)."""
    model, opt, batches = _lookahead_problem()
    params = list(model.parameters())
    slow = [p.detach().clone() for p in params]
    for step, (x, y) in enumerate(batches, start=1):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        if mode == "plain" or (mode != "every-step" and step % k):
            continue
        with torch.no_grad():
            if mode == "late" and step == k:
                slow = [p.detach().clone() for p in params]
            for p, s in zip(params, slow):
                s.add_(alpha * (p - s))
                p.copy_(s)
    return [p.detach().clone() for p in params]


def _close(weights, expected) -> bool:
    return all(torch.allclose(w, e, atol=1e-5, rtol=1e-4) for w, e in zip(weights, expected))


@exercise(LESSON, 4, "lookahead: slow weights that survive the optimizer")
def lookahead_slow_weights(lookahead):
    expect_function(lookahead, "lookahead")
    for k, alpha in SETTINGS:
        model, opt, batches = _lookahead_problem()
        start = [p.detach().clone() for p in model.parameters()]
        steps = []
        handle = opt.register_step_post_hook(lambda *_: steps.append(1))
        try:
            with grad_mode_kept("lookahead"):
                run_learner(lookahead, model, opt, batches, k, alpha, name="lookahead", hints={
                    "does not require grad and does not have a grad_fn": "the loss has no graph: gradient recording "
                    "was off when it was computed; keep torch.no_grad() around the sync only"})
        finally:
            handle.remove()
        weights = [p.detach().clone() for p in model.parameters()]
        if len(steps) != STEPS:
            raise Wrong(f"with k={k}, your function called opt.step() {len(steps)} times for {STEPS} batches",
                        "one training step (zero_grad, loss, backward, opt.step()) per batch")
        if _close(weights, start):
            raise Wrong(f"with k={k}, the model did not move at all", "train on every batch: opt.step() after backward")
        if _close(weights, _reference_lookahead(k, alpha)):
            continue
        if _close(weights, _reference_lookahead(k, alpha, "plain")):
            raise Wrong(f"with k={k}, the model ends where plain SGD ends: the syncs changed nothing",
                        "either your slow copy moved with the model (detach(), .data and state_dict() share memory "
                        "with the parameters: take p.detach().clone() or copy.deepcopy before the loop), or the "
                        "model never took the slow weights back (p.copy_(slow) under torch.no_grad())")
        if _close(weights, _reference_lookahead(k, alpha, "late")):
            raise Wrong(f"with k={k}, your first sync changed nothing: at that point the slow weights equalled "
                        "the model's",
                        "detach(), .data and state_dict() share memory with the parameters, so the optimizer moved "
                        "your 'slow' copy too: take p.detach().clone() (or copy.deepcopy) before the loop")
        if _close(weights, _reference_lookahead(k, alpha, "every-step")):
            raise Wrong(f"with k={k}, your function synced after every step", "sync only when step % k == 0")
        raise Wrong(f"with k={k} and alpha={alpha}, the final weights differ from lookahead's",
                    "per batch: a training step; every k-th step: slow += alpha * (fast - slow), then fast = slow")
    return f"right for (k, alpha) = {SETTINGS[0]} and {SETTINGS[1]}, over {STEPS} steps each"

#: what the lesson's notebook uses (its checkers); the other names serve the checkers and their tests
__all__ = ["copy_out_of_graph", "edited_copy", "real_snapshot", "lookahead_slow_weights"]
