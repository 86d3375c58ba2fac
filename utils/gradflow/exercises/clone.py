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

from ..checking import Wrong, exercise, expect_function, globals_read, grad_mode_kept, run_learner
from ..models import TwoLayerNet

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
        before = _caller_state(t)
        with grad_mode_kept(fn_name):
            copy = _call_copy(fn, t, name)
        _caller_kept(t, before, name)
        _copy_checks(copy, t, name)
        yield name, copy, t


def _caller_state(t: torch.Tensor):
    """What a copy must leave as it was: values, version counter, flag, graph node and .grad of the original."""
    return t.detach().clone(), t._version, t.requires_grad, t.grad_fn, t.grad if t.is_leaf else None


def _caller_kept(t: torch.Tensor, before, name: str):
    values, version, flag, node, grad = before
    if t.requires_grad != flag or t.grad_fn is not node:
        raise Wrong(f"after your function, {name} has requires_grad={t.requires_grad} and grad_fn="
                    f"{type(t.grad_fn).__name__ if t.grad_fn else None} (it had {flag} and "
                    f"{type(node).__name__ if node else None}): your function took the original out of the graph",
                    "requires_grad_(False) and detach_() change the caller's tensor itself; detach() (no underscore) "
                    "returns a new view and leaves t alone: t.detach().clone()")
    if t._version != version or not torch.equal(t.detach(), values):
        raise Wrong(f"after your function, {name} was written in place (its version counter moved from {version} "
                    f"to {t._version})", "write only into your copy, never into t or a view of it (detach() and "
                    ".data share t's memory): t.detach().clone()")
    if t.is_leaf and t.grad is not grad:
        raise Wrong(f"after your function, {name}.grad changed", "a copy of the values needs no backward: "
                    "t.detach().clone()")


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


# --- exercise 3 (Modify): which parameters did one step change? -------------------------------------


def _two_layer(frozen: str | None = None):
    torch.manual_seed(7)
    model = TwoLayerNet()
    if frozen:
        model.get_submodule(frozen).requires_grad_(False)
    return model


def _sequential():
    torch.manual_seed(8)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model[0].bias.requires_grad_(False)
    return model


def _sgd_step(model, params, lr: float, inputs: int, outputs: int):
    """A training step with SGD over ``params`` only (every parameter that requires grad gets a .grad)."""
    opt = torch.optim.SGD(params, lr=lr)
    g = torch.Generator().manual_seed(11)
    x, y = torch.randn(6, inputs, generator=g), torch.randn(6, outputs, generator=g)

    def step():
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return step


def _frozen_layer_step(model):
    """layer1 frozen: SGD over all parameters moves layer2 only (a frozen parameter gets no .grad)."""
    return _sgd_step(model, model.parameters(), 0.05, 10, 3)


def _hand_edit_step(model):
    """0.bias (requires_grad=False) shifted by hand; SGD over 2.weight only, though every trainable one gets .grad."""
    train = _sgd_step(model, [model[2].weight], 0.1, 3, 2)

    def step():
        train()
        with torch.no_grad():
            model[0].bias.add_(0.25)
    return step


def _same_values_step(model):
    """layer1.weight touched in place without a change of value (its version counter moves); layer2.bias shifted."""
    def step():
        with torch.no_grad():
            model.layer1.weight.mul_(1.0)
            model.layer2.bias.sub_(0.1)
    return step


def _lr_zero_step(model):
    """A full training step whose update is zero (lr=0): gradients everywhere, versions moved, no value changed."""
    return _sgd_step(model, [p for p in model.parameters() if p.requires_grad], 0.0, 3, 2)


#: (what the step does, its model, its step): models that are not all TwoLayerNet, frozen parameters
CHANGE_CASES = [
    ("a training step with layer1 frozen", lambda: _two_layer("layer1"), _frozen_layer_step),
    ("a step that edits a parameter that does not require grad", _sequential, _hand_edit_step),
    ("a step that touches a parameter in place without changing it", _two_layer, _same_values_step),
    ("a training step with lr=0", _sequential, _lr_zero_step),
]


def _values(model) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _truth(make_model, make_step):
    """The names one call of the step changes, the values and versions it leaves, on a model of the same seed."""
    model = make_model()
    before, versions = _values(model), {n: p._version for n, p in model.named_parameters()}
    make_step(model)()
    after = _values(model)
    changed = [n for n in before if not torch.equal(before[n], after[n])]
    moved = {n: p._version - versions[n] for n, p in model.named_parameters()}
    return changed, after, moved


def _names_hint(given: list, expected: list, model, grads: dict, touched: list) -> str:
    """Where to look for the answer ``given`` (a measurement), what it means, the fix's shape."""
    extra = [n for n in given if n not in expected]
    missing = [n for n in expected if n not in given]
    if expected and not given:
        return ("measure: print your 'before' copy of one of them right after step(): it shows the new values, so it "
                "is a view of the parameter's memory (detach(), .data, .numpy() and state_dict() share storage with "
                "it); copy each value with p.detach().clone() before step()")
    if extra and all(n in touched for n in extra):
        return (f"measure: compare {extra[0]} before and after with torch.equal: its values did not change, only "
                "its version counter (an in-place operation ran on it); compare values, not _version")
    if extra and all(grads.get(n) for n in extra):
        return (f"measure: {extra[0]} has a .grad but its values did not change (the optimizer did not update it, or "
                "lr was 0): a gradient says nothing about an update; compare the values before and after")
    if missing and not all(grads.get(n) for n in missing):
        return (f"measure: {missing[0]}.requires_grad is False and it has no .grad, yet its values changed: a step "
                "may edit any tensor in place; compare every parameter's values, whatever its flags")
    return ("measure: p.detach().clone() of every parameter before step(), then torch.equal with the parameter after: "
            "the names where they differ, in the order of model.named_parameters()")


@exercise(LESSON, 3, "which parameters did a step change?")
def real_snapshot(changed_by):
    expect_function(changed_by, "changed_by")
    for what, make_model, make_step in CHANGE_CASES:
        expected, after, moved = _truth(make_model, make_step)
        model = make_model()
        flags = {n: p.requires_grad for n, p in model.named_parameters()}
        versions = {n: p._version for n, p in model.named_parameters()}
        inner, calls = make_step(model), []

        def step():
            calls.append(1)
            inner()

        with grad_mode_kept("changed_by"):
            result = run_learner(changed_by, model, step, name="changed_by", hints={
                "does not require grad and does not have a grad_fn": "step() trains the model, so it needs gradient "
                "recording on: call step() as it is, not inside torch.no_grad() or after torch.set_grad_enabled(False)",
                "has no attribute": "the checker's models are not all TwoLayerNet: take the names and tensors from "
                "model.named_parameters()"})
        where = f"with {what}"
        if len(calls) != 1:
            raise Wrong(f"{where}, your changed_by called step() {len(calls)} times",
                        "call it exactly once: every call changes the parameters again (a copy before, step(), "
                        "a comparison after)" if calls else "call step() once, between a copy of the values and "
                        "the comparison")
        changed_flags = [n for n, p in model.named_parameters() if p.requires_grad != flags[n]]
        if changed_flags:
            raise Wrong(f"{where}, your changed_by switched requires_grad of {changed_flags[0]} to "
                        f"{model.get_parameter(changed_flags[0]).requires_grad}",
                        "a copy needs no flag change: p.detach().clone() is already outside the graph; leave the "
                        "model's flags as they were")
        live = _values(model)
        if any(not torch.equal(live[n], after[n]) for n in after):
            undone = [n for n in expected if torch.equal(live[n], make_model().get_parameter(n).detach())]
            raise Wrong(f"{where}, after your changed_by the model does not hold what step() left in it"
                        + (f" ({undone[0]} is back at its old values)" if undone else ""),
                        "measure the step, do not undo or repeat it: copy the values, call step(), compare, and "
                        "leave the parameters alone")
        extra_writes = [n for n, p in model.named_parameters() if p._version - versions[n] != moved[n]]
        if extra_writes:
            raise Wrong(f"{where}, your changed_by wrote into {extra_writes[0]} (its version counter moved "
                        f"{model.get_parameter(extra_writes[0])._version - versions[extra_writes[0]]} times, step() "
                        f"moves it {moved[extra_writes[0]]})",
                        "read the parameters, never write them: copies with p.detach().clone(), comparisons with "
                        "torch.equal")
        if isinstance(result, (set, dict)) or not isinstance(result, (list, tuple)) or not all(
                isinstance(n, str) for n in result):
            kind = type(result).__name__
            raise Wrong(f"{where}, your changed_by returned {kind}"
                        + ("" if isinstance(result, (list, tuple)) else ", not a list of names"),
                        "return a list of the names (strings) of the changed parameters, in the order of "
                        "model.named_parameters()")
        given = list(result)
        names = [n for n, _ in model.named_parameters()]
        strangers = [n for n in given if n not in names]
        if strangers:
            read = globals_read(changed_by, nn.Module)
            raise Wrong(f"{where}, {strangers[0]!r} is not a parameter of the model passed in"
                        + (f": your function reads the notebook's `{read[0]}`" if read else ""),
                        "take the names from model.named_parameters() of the model argument")
        if given == expected:
            continue
        if sorted(given) == sorted(expected):
            raise Wrong(f"{where}, your names are right but out of order: {given}",
                        "keep the order of model.named_parameters()")
        read = globals_read(changed_by, nn.Module)
        if read:
            raise Wrong(f"{where}, you returned {given}, the step changed {expected}: your function reads the "
                        f"notebook's `{read[0]}`", f"measure: which model your function copies and compares; the checker "
                        f"passes its own models: use the model argument, not `{read[0]}`")
        grads = {n: p.grad is not None for n, p in model.named_parameters()}
        touched = [n for n in names if moved[n] and n not in expected]
        raise Wrong(f"{where}, you returned {given}, the step changed {expected}",
                    _names_hint(given, expected, model, grads, touched))
    return "right names for a frozen layer, a frozen parameter edited by hand, an in-place no-op and lr=0"


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
