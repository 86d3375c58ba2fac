"""Lesson 05's checkers from both sides: plausible wrong answers are rejected with a hint naming the
real cause, and right answers written differently from the solution pass."""

import copy

import numpy as np
import pytest
import torch
from torch import nn

from checker_helpers import accepts, rejected
from gradflow.exercises import clone as ex


def verdict(capsys) -> str:
    return capsys.readouterr().out


# --- 05.1 copy a value out of the graph (warm-up) ---------------------------------------------------


test_ex1_accepts_copies_outside_the_graph = accepts(ex.copy_out_of_graph, "05.1", {
    "detach-clone": lambda t: t.detach().clone(),  # the solution's spelling
    "clone-detach": lambda t: t.clone().detach(),  # the order the lesson calls wasteful, but right
    "times-one": lambda t: t.detach() * 1,  # arithmetic makes new memory too
    "numpy-copy": lambda t: torch.from_numpy(t.detach().numpy().copy()),  # through a NumPy copy
})


@pytest.mark.parametrize("wrong, message, hint", [
    (lambda t: t.detach(), "shares storage", "add .clone()"),
    (lambda t: t.data, "shares storage", "add .clone()"),
    (lambda t: t.clone(), "still in the graph (grad_fn=CloneBackward0)", "detach() first, then clone()"),
    (lambda t: torch.tensor(t), "To copy construct from a tensor", "torch.tensor(t) is for Python data"),
    (lambda t: copy.deepcopy(t), "a new trainable leaf", "copy.deepcopy and requires_grad_()"),
    (lambda t: t.detach().numpy(), "NumPy array", "stay with tensors"),
    (lambda t: t.detach().clone().double(), "dtype torch.float64", "keep its dtype"),
    (lambda t: t.detach().clone().requires_grad_(), "a new trainable leaf", "nothing more"),
    (lambda t: None, "returned None", "return"),
    (lambda t: t.copy(), "your function raised AttributeError", "inside your function"),
], ids=["detach", "data", "clone", "torch-tensor", "deepcopy", "numpy", "double", "trainable", "none", "numpy-habit"])
def test_ex1_rejects_views_graph_copies_and_warnings(wrong, message, hint, capsys):
    rejected(ex.copy_out_of_graph, wrong, "05.1", message, hint=hint, capsys=capsys)


def test_ex1_not_attempted_and_not_a_function(capsys):
    assert not ex.copy_out_of_graph(...)
    assert "not attempted yet" in verdict(capsys)
    torch.manual_seed(0)
    assert not ex.copy_out_of_graph(torch.ones(3))
    assert "pass your function copy_value itself" in verdict(capsys)


# --- 05.2 an independent trainable copy (Modify) ----------------------------------------------------


test_ex2_accepts_new_trainable_leaves = accepts(ex.trainable_copy, "05.2", {
    "detach-clone-requires": lambda t: t.detach().clone().requires_grad_(True),
    "from-list": lambda t: torch.tensor(t.tolist(), requires_grad=True),  # from Python numbers: no warning
    "clone-detach": lambda t: t.clone().detach().requires_grad_(),
    "parameter": lambda t: nn.Parameter(t.detach().clone()),
})


@pytest.mark.parametrize("wrong, message, hint", [
    (lambda t: t.clone(), "not a leaf", "then requires_grad_(True)"),
    (lambda t: t.detach().requires_grad_(), "shares storage", "add .clone()"),
    (lambda t: nn.Parameter(t.detach()), "shares storage", "add .clone()"),
    (lambda t: t.detach().clone(), "does not require grad", "add .requires_grad_(True)"),
    (lambda t: copy.deepcopy(t), "only leaf tensors support copy.deepcopy", "start from t.detach()"),
    (lambda t: torch.tensor(t, requires_grad=True), "To copy construct from a tensor", "detach().clone()"),
    (lambda t: t, "shares storage", "add .clone()"),
], ids=["clone", "detach-requires", "parameter-view", "no-grad", "deepcopy", "torch-tensor", "itself"])
def test_ex2_rejects_copies_that_are_not_independent_leaves(wrong, message, hint, capsys):
    rejected(ex.trainable_copy, wrong, "05.2", message, hint=hint, capsys=capsys)


# --- 05.3 a snapshot that detects change (Modify) ---------------------------------------------------


test_ex3_accepts_real_snapshots = accepts(ex.real_snapshot, "05.3", {
    "detach-clone": lambda m: {n: p.detach().clone() for n, p in m.named_parameters()},
    "deepcopy-state-dict": lambda m: copy.deepcopy(m.state_dict()),  # buffers come along: fine
    "numpy-copy": lambda m: {n: p.detach().numpy().copy() for n, p in m.named_parameters()},
    # state_dict tensors are already detached
    "state-dict-clone": lambda m: {n: t.clone() for n, t in m.state_dict().items()},
})


@pytest.mark.parametrize("wrong, message, hint", [
    (lambda m: {n: p.detach() for n, p in m.named_parameters()}, "changed during training", "share storage"),
    (lambda m: {n: p.data for n, p in m.named_parameters()}, "changed during training", "detach().clone()"),
    (lambda m: m.state_dict(), "changed during training", "state_dict() share storage"),
    (lambda m: {n: p.detach().numpy() for n, p in m.named_parameters()}, "changed during training", ".numpy()"),
    (lambda m: {n: p.clone() for n, p in m.named_parameters()}, "grad_fn=CloneBackward0", "detach() first"),
    (lambda m: copy.deepcopy(dict(m.named_parameters())), "requires grad", "copy.deepcopy of a parameter"),
    (lambda m: {n: p.tolist() for n, p in m.named_parameters()}, "should be a tensor", ".tolist() does copy"),
    (lambda m: [p.detach().clone() for p in m.parameters()], "should return a dict", "named_parameters()"),
    (lambda m: {"weight": m.layer1.weight.detach().clone()}, "no entry for 'layer1.weight'", "names"),
    (lambda m: dict(m.named_parameters()), "is the parameter itself", "holds the live parameters"),
    (lambda m: {n: p.copy() for n, p in m.named_parameters()}, "your snapshot raised AttributeError", "inside"),
], ids=["detach", "data", "state-dict", "numpy-view", "clone", "deepcopy-params", "tolist", "list", "names",
        "live-params", "numpy-habit"])
def test_ex3_rejects_snapshots_that_follow_training(wrong, message, hint, capsys):
    rejected(ex.real_snapshot, wrong, "05.3", message, hint=hint, capsys=capsys)


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


@pytest.mark.parametrize("wrong, message, hint", [
    (_lookahead(lambda m: m.state_dict()), "ends where plain SGD ends", "state_dict() share memory"),
    (_lookahead(lambda m: {n: p.detach() for n, p in m.named_parameters()}), "ends where plain SGD ends",
     "take p.detach().clone()"),
    (_lookahead(lambda m: {n: p.data for n, p in m.named_parameters()}, in_place=False), "first sync changed nothing",
     "the optimizer moved your 'slow' copy too"),
    (_lookahead(lambda m: m.state_dict(), in_place=False), "first sync changed nothing", "state_dict()"),
    (_lookahead(deepcopy_state, reset=False), "ends where plain SGD ends", "p.copy_(slow)"),
    (_lookahead(cloned_params, no_grad=False), "in-place operation", "torch.no_grad()"),
    (_lookahead(cloned_params, sync=lambda step, k: True), "synced after every step", "step % k == 0"),
    (_lookahead(cloned_params, sync=lambda step, k: step % 3 == 0), "differ from lookahead's", "every k-th step"),
], ids=["state-dict-alias", "detach-views", "data-views-replaced", "state-dict-replaced", "no-reset", "no-no-grad",
        "every-step", "hard-coded-k"])
def test_ex4_rejects_slow_weights_that_do_not_survive(wrong, message, hint, capsys):
    rejected(ex.lookahead_slow_weights, wrong, "05.4", message, hint=hint, capsys=capsys)


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
    assert not ex.trainable_copy(lambda t: np.array(t.tolist()))
    assert "NumPy array" in verdict(capsys)
