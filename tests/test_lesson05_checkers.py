"""Lesson 05's checkers from both sides: plausible wrong answers are rejected with a hint naming the
real cause, and right answers written differently from the solution pass."""

import copy

import numpy as np
import pytest
import torch
from torch import nn

from checker_helpers import WrongAnswers, accepts, rejected
from gradflow import ParamTracker
from gradflow.exercises import clone as ex
from gradflow.models import TwoLayerNet

wrong = WrongAnswers("05")


def verdict(capsys) -> str:
    return capsys.readouterr().out


# --- 05.1 copy a value out of the graph (warm-up) ---------------------------------------------------


test_ex1_accepts_copies_outside_the_graph = accepts(ex.copy_out_of_graph, "05.1", {
    "detach-clone": lambda t: t.detach().clone(),  # the solution's spelling
    "clone-detach": lambda t: t.clone().detach(),  # the order the lesson calls wasteful, but right
    "times-one": lambda t: t.detach() * 1,  # arithmetic makes new memory too
    "numpy-copy": lambda t: torch.from_numpy(t.detach().numpy().copy()),  # through a NumPy copy
    "clone-in-no-grad": lambda t: _clone_without_recording(t),  # a clone made with recording off is outside the graph
})


def _clone_without_recording(t):
    with torch.no_grad():
        return t.clone()


wrong.case(1, lambda t: t.detach(), "shares storage", "add .clone()", id="detach", kind="other")
wrong.case(1, lambda t: t.data, "shares storage", "add .clone()", id="data", kind="data")
wrong.case(1, lambda t: t.clone(), "still in the graph (grad_fn=CloneBackward0)", "detach() first, then clone()",
           id="clone", kind="other")
wrong.case(1, lambda t: torch.tensor(t), "To copy construct from a tensor", "torch.tensor(t) is for Python data",
           id="torch-tensor", kind="shortcut")
wrong.case(1, lambda t: copy.deepcopy(t), "a new trainable leaf", "copy.deepcopy and requires_grad_()",
           id="deepcopy", kind="narrow")
wrong.case(1, lambda t: t.detach().numpy(), "NumPy array", "stay with tensors", id="numpy", kind="return")
wrong.case(1, lambda t: t.detach().clone().double(), "dtype torch.float64", "keep its dtype", id="double",
           kind="return")
wrong.case(1, lambda t: t.detach().clone().requires_grad_(), "a new trainable leaf", "nothing more", id="trainable",
           kind="other")
wrong.case(1, lambda t: None, "returned None", "return", id="none", kind="return")
wrong.case(1, lambda t: t.copy(), "your function raised AttributeError", "inside your function", id="numpy-habit")
wrong.case(1, lambda t: t.detach_().clone(), "after your function, a leaf that requires grad has requires_grad=False",
           "detach_() change the caller's tensor itself", id="detach-in-place", kind="state")


def _freeze_then_clone(t):  # "switch the gradient off, then copy": the caller's leaf stays frozen
    if t.is_leaf:
        t.requires_grad_(False)
    return t.detach().clone()


wrong.case(1, _freeze_then_clone, "took the original out of the graph", "leaves t alone", id="freeze-original",
           kind="state")


def _clone_with_recording_off(t):  # the clone made with recording switched off, and left off
    torch.set_grad_enabled(False)
    return t.clone()


wrong.case(1, _clone_with_recording_off, "gradient recording was still off", "`with torch.no_grad():`",
           id="grad-off", kind="state")


def _zero_the_view(t):  # a copy "reset" through a view: writes into the caller's memory
    out = t.detach()
    return out.mul_(1).clone()


wrong.case(1, _zero_the_view, "a leaf that requires grad was written in place (its version counter moved",
           "never into t or a view of it", id="write-through-view", kind="state")
test_ex1_rejects_views_graph_copies_and_warnings = wrong.rejects(1, ex.copy_out_of_graph)


def test_ex1_not_attempted_and_not_a_function(capsys):
    assert not ex.copy_out_of_graph(...)
    assert "not attempted yet" in verdict(capsys)
    torch.manual_seed(0)
    assert not ex.copy_out_of_graph(torch.ones(3))
    assert "pass your function copy_value itself" in verdict(capsys)


# --- 05.2 edit a copy, keep the graph (Modify) ------------------------------------------------------


def _with_row(h, i, row):
    out = h.clone()
    out[i] = row
    return out


test_ex2_accepts_edited_copies_written_differently = accepts(ex.edited_copy, "05.2", {
    "solution": _with_row,
    "index-copy": lambda h, i, row: h.index_copy(0, torch.tensor([i % len(h)]), row.unsqueeze(0)),
    "where": lambda h, i, row: torch.where((torch.arange(len(h)) == i % len(h)).unsqueeze(1), row, h),
    "cat": lambda h, i, row: torch.cat([h[:i % len(h)], row.unsqueeze(0), h[i % len(h) + 1:]]),
})


@wrong(2, "your function changed h, the caller's tensor", "edit a copy that stays in the graph", kind="state")
def _edit_h_itself(h, i, row):
    h[i] = row
    return h


@wrong(2, "does not reach h's inputs", "clone(), not detach().clone()", kind="other")
def _detached_copy(h, i, row):
    out = h.detach().clone()
    out[i] = row
    return out


@wrong(2, "does not reach row", "not row.detach() or row.data", kind="data")
def _row_data(h, i, row):
    out = h.clone()
    out[i] = row.data
    return out


@wrong(2, "your copy has row 0 replaced, not row 2", "use the i argument, whatever its value", kind="hard-coded")
def _first_row(h, i, row):
    out = h.clone()
    out[0] = row
    return out


@wrong(2, "returned list, not a tensor", "stay with tensors", kind="return")
def _as_list(h, i, row):
    return _with_row(h, i, row).tolist()


@wrong(2, "not in the graph (grad_fn is None), so no gradient reaches a leaf of its own", "requires_grad_() makes a new leaf",
       kind="shortcut")
def _new_leaf(h, i, row):
    out = h.detach().clone().requires_grad_()
    with torch.no_grad():
        out[i] = row
    return out


@wrong(2, "gradient recording was still off", "`with torch.no_grad():` switches it back on", kind="state")
def _grad_off(h, i, row):
    torch.set_grad_enabled(False)
    return _with_row(h, i, row)


@wrong(2, "with i=-1, your result is not h with row i replaced by row", "compare your result with h row by row",
       kind="narrow")
def _slices_for_positive_i(h, i, row):  # right for the i >= 0 the notebook tries
    return torch.cat([h[:i], row.unsqueeze(0), h[i + 1:]])


@wrong(2, "not in the graph (grad_fn is None)", "detach() (and torch.no_grad()) cut the graph", kind="symptom")
def _silence_with_no_grad(h, i, row):  # the in-place error silenced by leaving the graph
    with torch.no_grad():
        out = h.clone()
        out[i] = row
    return out


wrong.case(2, None, "pass your function with_row itself", "def with_row")
test_ex2_rejects_edits_that_break_or_leave_the_graph = wrong.rejects(2, ex.edited_copy)


# --- 05.3 which parameters did a step change? (Modify) ---------------------------------------------


def _changed_by(model, step):
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    step()
    return [n for n, p in model.named_parameters() if not torch.equal(p, before[n])]


def _changed_by_tracker(model, step):  # the lesson's ParamTracker (the checker's models have no buffers)
    tracker = ParamTracker(model)
    step()
    return tracker.changed()


def _changed_by_state_dict(model, step):  # a deep copy of the state dict, compared with allclose
    before = copy.deepcopy(model.state_dict())
    step()
    return [n for n, p in model.named_parameters() if not torch.allclose(p.detach(), before[n], rtol=0, atol=0)]


def _changed_by_lists(model, step):  # plain Python numbers, compared as lists
    before = [p.tolist() for p in model.parameters()]
    step()
    return [n for (n, p), old in zip(model.named_parameters(), before) if p.tolist() != old]


test_ex3_accepts_change_detectors_written_differently = accepts(ex.real_snapshot, "05.3", [
    _changed_by, _changed_by_tracker, _changed_by_state_dict, _changed_by_lists])


@wrong(3, "you returned [], the step changed ['layer2.weight', 'layer2.bias']",
       "it is a view of the parameter's memory", kind="data")
def _data_snapshot(model, step):
    before = {n: p.data for n, p in model.named_parameters()}
    step()
    return [n for n, p in model.named_parameters() if not torch.equal(p, before[n])]


@wrong(3, "you returned []", "copy each value with p.detach().clone() before step()", kind="other")
def _detach_snapshot(model, step):
    before = {n: p.detach() for n, p in model.named_parameters()}
    step()
    return [n for n, p in model.named_parameters() if not torch.equal(p, before[n])]


@wrong(3, "you returned ['layer1.weight', 'layer2.bias'], the step changed ['layer2.bias']",
       "only its version counter", kind="shortcut")
def _version_counter(model, step):  # lesson 04's version counter as a change detector
    before = {n: p._version for n, p in model.named_parameters()}
    step()
    return [n for n, p in model.named_parameters() if p._version != before[n]]


@wrong(3, "the step changed ['0.bias', '2.weight']", "requires_grad is False and it has no .grad", kind="narrow")
def _trainable_only(model, step):  # only what requires grad can change: true of an optimizer, not of every step
    before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    step()
    return [n for n, p in model.named_parameters() if n in before and not torch.equal(p, before[n])]


@wrong(3, "you returned ['0.weight', '2.weight', '2.bias']", "a gradient says nothing about an update",
       kind="symptom")
def _has_grad(model, step):  # a .grad as the sign of an update
    step()
    return [n for n, p in model.named_parameters() if p.grad is not None]


@wrong(3, "called step() 2 times", "call it exactly once", kind="other")
def _step_twice(model, step):  # a dry run first
    step()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    step()
    return [n for n, p in model.named_parameters() if not torch.equal(p, before[n])]


@wrong(3, "does not hold what step() left in it (layer2.weight is back at its old values)",
       "do not undo or repeat it", kind="state")
def _undo_step(model, step):  # "measure without side effects": the step undone afterwards
    before = copy.deepcopy(model.state_dict())
    step()
    names = [n for n, p in model.named_parameters() if not torch.equal(p, before[n])]
    model.load_state_dict(before)
    return names


@wrong(3, "switched requires_grad of layer1.weight to True", "leave the model's flags as they were", kind="state")
def _freeze_to_copy(model, step):  # flags switched off to copy, then all switched on: a frozen layer thaws
    model.requires_grad_(False)
    before = {n: p.clone() for n, p in model.named_parameters()}
    model.requires_grad_(True)
    step()
    return [n for n, p in model.named_parameters() if not torch.equal(p, before[n])]


@wrong(3, "does not require grad and does not have a grad_fn", "needs gradient recording on", kind="state")
def _no_grad_around(model, step):  # the whole measurement under no_grad, the step included
    with torch.no_grad():
        return _changed_by(model, step)


@wrong(3, "your changed_by returned dict", "return a list of the names", kind="return")
def _as_dict(model, step):
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    step()
    return {n: not torch.equal(p, before[n]) for n, p in model.named_parameters()}


@wrong(3, "the step changed ['layer2.weight', 'layer2.bias']: your function reads the notebook's `net`",
       "use the model argument", kind="ignored")
def _global_net(model, step):  # the notebook's net measured instead of the model argument
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    step()
    return [n for n, p in net.named_parameters() if not torch.equal(p, before[n])]


@wrong(3, "raised AttributeError", "not all TwoLayerNet", kind="hard-coded")
def _two_layer_names(model, step):  # the names of the notebook's TwoLayerNet written out
    names = ["layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias"]
    before = {n: model.get_parameter(n).detach().clone() for n in names}
    step()
    return [n for n in names if not torch.equal(model.get_parameter(n), before[n])]


@wrong(3, "out of order", "keep the order of model.named_parameters()", kind="return")
def _sorted_names(model, step):
    return sorted(_changed_by(model, step))


wrong.case(3, None, "pass your function changed_by itself", "def changed_by")
test_ex3_rejects_detectors_fooled_by_views_flags_or_versions = wrong.rejects(3, ex.real_snapshot)


torch.manual_seed(0)
net = TwoLayerNet()  # a notebook global that an answer may read instead of its argument


# --- 05.4 lookahead (Make) --------------------------------------------------------------------------


def _lookahead(make_slow, *, sync=lambda step, k: step % k == 0, no_grad=True, reset=True, in_place=True):
    """A lookahead written with dicts of named tensors; each keyword introduces one plausible mistake."""

    def lookahead(model, opt, batches, k, alpha):
        slow = make_slow(model)
        for step, (x, y) in enumerate(batches, start=1):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()
            if sync(step, k):
                with torch.no_grad() if no_grad else torch.enable_grad():
                    for name, p in model.named_parameters():
                        if in_place:
                            slow[name].add_(alpha * (p - slow[name]))
                        else:
                            slow[name] = torch.lerp(slow[name], p.detach(), alpha)
                        if reset:
                            p.copy_(slow[name])

    return lookahead


def deepcopy_state(model):
    return copy.deepcopy(model.state_dict())


def cloned_params(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def the_solution(model, opt, batches, k, alpha):
    slow = [p.detach().clone() for p in model.parameters()]
    for step, (x, y) in enumerate(batches, start=1):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        if step % k == 0:
            with torch.no_grad():
                for p, s in zip(model.parameters(), slow):
                    s.add_(alpha * (p - s))
                    p.copy_(s)


def slow_model_copy(model, opt, batches, k, alpha):  # the slow weights as a whole deep-copied model
    slow = copy.deepcopy(model)
    for step, (x, y) in enumerate(batches, start=1):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        if step % k == 0:
            with torch.no_grad():
                for p, s in zip(model.parameters(), slow.parameters()):
                    s.lerp_(p, alpha)
                    p.copy_(s)


test_ex4_accepts_lookahead_written_in_several_ways = accepts(ex.lookahead_slow_weights, "05.4", {
    "solution": the_solution,
    "deepcopy-state-dict": _lookahead(deepcopy_state),
    "lerp-new-tensors": _lookahead(cloned_params, in_place=False),
    "deepcopy-model": slow_model_copy,
})


wrong.case(4, _lookahead(lambda m: m.state_dict()), "ends where plain SGD ends", "state_dict() share memory",
           id="state-dict-alias", kind="shortcut")
wrong.case(4, _lookahead(lambda m: {n: p.detach() for n, p in m.named_parameters()}), "ends where plain SGD ends",
           "take p.detach().clone()", id="detach-views", kind="other")
wrong.case(4, _lookahead(lambda m: {n: p.data for n, p in m.named_parameters()}, in_place=False),
           "first sync changed nothing", "the optimizer moved your 'slow' copy too", id="data-views-replaced", kind="data")
wrong.case(4, _lookahead(lambda m: m.state_dict(), in_place=False), "first sync changed nothing", "state_dict()",
           id="state-dict-replaced", kind="other")
wrong.case(4, _lookahead(deepcopy_state, reset=False), "ends where plain SGD ends", "p.copy_(slow)", id="no-reset",
           kind="symptom")
wrong.case(4, _lookahead(cloned_params, no_grad=False), "in-place operation", "torch.no_grad()", id="no-no-grad",
           kind="other")
wrong.case(4, _lookahead(cloned_params, sync=lambda step, k: True), "synced after every step", "step % k == 0",
           id="every-step", kind="narrow")
wrong.case(4, _lookahead(cloned_params, sync=lambda step, k: step % 3 == 0), "differ from lookahead's",
           "every k-th step", id="hard-coded-k", kind="hard-coded")


def _own_optimizer(model, opt, batches, k, alpha):  # the optimizer passed in ignored, a new one built inside
    the_solution(model, torch.optim.SGD(model.parameters(), lr=0.2), batches, k, alpha)


wrong.case(4, _own_optimizer, "called opt.step() 0 times", "one training step", kind="ignored")
def _grad_mode_left_off(model, opt, batches, k, alpha):
    the_solution(model, opt, batches, k, alpha)
    torch.set_grad_enabled(False)  # "no more recording: we are done"


wrong.case(4, _grad_mode_left_off, "gradient recording was still off", "`with torch.no_grad():`", kind="state")
test_ex4_rejects_slow_weights_that_do_not_survive = wrong.rejects(4, ex.lookahead_slow_weights)


def test_ex4_rejects_a_loop_that_skips_batches(capsys):
    def first_batch_only(model, opt, batches, k, alpha):
        the_solution(model, opt, batches[:1], k, alpha)

    assert not ex.lookahead_slow_weights(first_batch_only)
    out = verdict(capsys)
    assert "called opt.step() 1 times for 7 batches" in out and "one training step" in out


def test_ex4_reference_modes_really_differ():
    k, alpha = ex.SETTINGS[0]
    results = {mode: ex._reference_lookahead(k, alpha, mode) for mode in ("right", "plain", "late", "every-step")}
    for a in results:
        for b in results:
            if a < b:
                assert not ex._close(results[a], results[b]), (a, b)


def test_numpy_answers_never_crash(capsys):
    assert not ex.edited_copy(lambda h, i, row: np.array(h.tolist()))
    assert "returned ndarray, not a tensor" in verdict(capsys)
