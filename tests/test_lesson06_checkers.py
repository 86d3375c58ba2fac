"""Right and specific wrong answers for lesson 06's checkers (retain_graph)."""

import numpy as np
import pytest
import torch
from torch import nn

from checker_helpers import WrongAnswers, accepts
from gradflow.exercises import retain_graph as ex

wrong = WrongAnswers("06")

# --- exercise 1 ------------------------------------------------------------------------------------


def test_first_failing_runs_the_sequence_for_real():
    assert ex.first_failing() == 3
    assert ex.first_failing([("d", True), ("e", True), ("d", False), ("e", False)]) == 4  # seed 001's sequence
    assert ex.first_failing([("d", True), ("e", False)]) == 0


test_ex1_accepts_the_number_in_any_numeric_form = accepts(ex.which_call_fails, "06.1", {
    "int": 3,
    "float": 3.0,
    "numpy": np.int64(3),
    "tensor": torch.tensor(3),
})


wrong.case(1, 4, "call 4 is not the first to fail", "cannot bring back a graph", kind="other")
wrong.case(1, 2, "call 2 is not the first to fail", "call 1 kept the graph", kind="other")
wrong.case(1, 1, "call 1 is not the first to fail", "always runs", kind="other")
wrong.case(1, 0, "call 0 is not the first to fail", "one of them fails", kind="other")
wrong.case(1, 7, "no call number 7", "answer 1, 2, 3 or 4", kind="narrow")
wrong.case(1, "3", "got '3'", "without quotes", kind="return")
wrong.case(1, True, "got bool", "whole number", kind="return")
wrong.case(1, 2.5, "got 2.5", "whole number", kind="return")
test_ex1_rejects_wrong_calls_and_forms = wrong.rejects(1, ex.which_call_fails)


# --- exercise 2 ------------------------------------------------------------------------------------


def _accumulate(model, x, y, sizes):
    model.zero_grad()
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        (nn.functional.mse_loss(model(xp), yp) * len(xp) / len(x)).backward()


def _accumulate_sum_reduced(model, x, y, sizes):  # sum-reduced losses over the rows, divided by all rows
    for p in model.parameters():
        p.grad = None
    start = 0
    for size in sizes:
        xp, yp = x[start:start + size], y[start:start + size]
        start += size
        (nn.functional.mse_loss(model(xp), yp, reduction="sum") / y.numel()).backward()


@wrong(2, "every micro-batch weighed the same (loss / k): its 8 rows counted as much as its 16",
       "scale it by len(x_part) / len(x)", kind="narrow")
def _per_k(model, x, y, sizes):  # the lesson's 1/k, right only for equal sizes
    model.zero_grad()
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        (nn.functional.mse_loss(model(xp), yp) / len(sizes)).backward()


@wrong(2, "the sum of the micro-batches' mean-loss gradients", "len(x_part) / len(x)", kind="other")
def _unscaled(model, x, y, sizes):
    model.zero_grad()
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        nn.functional.mse_loss(model(xp), yp).backward()


@wrong(2, "the model saw batches of [12, 12] rows", "x.split(sizes)", kind="ignored")
def _equal_chunks(model, x, y, sizes):  # ignores the sizes: the lesson's x.chunk(k)
    model.zero_grad()
    k = len(sizes)
    for xp, yp in zip(x.chunk(k), y.chunk(k)):
        (nn.functional.mse_loss(model(xp), yp) / k).backward()


@wrong(2, "old gradients (all ones)", "clear the gradients once", kind="state")
def _no_zero_grad(model, x, y, sizes):
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        (nn.functional.mse_loss(model(xp), yp) * len(xp) / len(x)).backward()


@wrong(2, "differs from the full-batch gradient", "not inside it", kind="other")
def _zero_inside_loop(model, x, y, sizes):
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        model.zero_grad()
        (nn.functional.mse_loss(model(xp), yp) * len(xp) / len(x)).backward()


@wrong(2, "the model saw batches of [24] rows", "x.split(sizes)", kind="shortcut")
def _full_batch(model, x, y, sizes):
    model.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()


@wrong(2, "backward reached the model 1 times", "one backward() per micro-batch", kind="shortcut")
def _summed_then_one_backward(model, x, y, sizes):
    model.zero_grad()
    total = sum(nn.functional.mse_loss(model(xp), yp) * len(xp) / len(x)
                for xp, yp in zip(x.split(sizes), y.split(sizes)))
    total.backward()


@wrong(2, "your accumulate raised TypeError", "the error comes from inside your accumulate")
def _old_keyword(model, x, y, sizes):  # the seeds' pre-0.4 spelling
    model.zero_grad()
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        (nn.functional.mse_loss(model(xp), yp) * len(xp) / len(x)).backward(retain_variables=True)


@wrong(2, "no .grad after your function", "do not clear .grad after the last one", kind="state")
def _zero_after_loop(model, x, y, sizes):
    _accumulate(model, x, y, sizes)
    model.zero_grad()


test_ex2_accepts_accumulation_written_in_two_ways = accepts(ex.accumulation, "06.2", {
    "solution": _accumulate,
    "sum-reduced": _accumulate_sum_reduced,
})


test_ex2_rejects_accumulation_mistakes = wrong.rejects(2, ex.accumulation)


# --- exercise 3 ------------------------------------------------------------------------------------


def _run_chunk(cell, xs, ys, state, *, cut_every_step=False):
    """The chunk's mean loss and the state after it, for either cell (one state tensor, or a tuple)."""
    loss = 0.0
    for x, y in zip(xs, ys):
        state = cell(x, ex._detached(state) if cut_every_step else state)
        loss = loss + nn.functional.mse_loss(cell.readout(state), y)
    return loss / len(xs), state


def _train_chunk(cell, opt, xs, ys, state, *, cut=ex._detached, cut_every_step=False, zero=True, retain=False,
                 step=True, number=True):
    """One chunk of truncated BPTT, for either cell; each keyword introduces one plausible mistake."""
    loss, state = _run_chunk(cell, xs, ys, cut(state), cut_every_step=cut_every_step)
    if zero:
        opt.zero_grad()
    loss.backward(retain_graph=retain)
    if step:
        opt.step()
    return (loss.item() if number else loss), state


def _mistake(**keywords):
    """A train_chunk (of either exercise) with the mistakes the keywords name."""
    return lambda cell, opt, xs, ys, state: _train_chunk(cell, opt, xs, ys, state, **keywords)


def _train_chunk_detach_at_end(cell, opt, xs, ys, h):
    loss, h = _train_chunk(cell, opt, xs, ys, h, cut=lambda h: h)
    return loss, h.detach()


wrong.case(3, _mistake(cut=lambda h: h), "chunk 2 failed", "detach it before the chunk", kind="other")
wrong.case(3, _mistake(cut=lambda h: h, retain=True), "still holds its saved tensors",
           "detach h at the start of the chunk", kind="symptom")
wrong.case(3, _mistake(cut=torch.zeros_like), "differ from truncated BPTT", "restarted from zeros", kind="other")
wrong.case(3, _mistake(cut_every_step=True), "differ from truncated BPTT", "detach once per chunk", kind="other")
wrong.case(3, _mistake(number=False), "still attached", "return loss.item(), h", kind="return")
wrong.case(3, _mistake(step=False), "weights have not moved", "step must come after backward", kind="other")
wrong.case(3, lambda cell, opt, xs, ys, h: _train_chunk(cell, opt, xs, ys, h)[0], "should return a pair", kind="return")
wrong.case(3, _mistake(retain=True), "still holds its saved tensors",  # right values, each chunk's graph kept
           "retain_graph=True keeps every chunk's activations", kind="symptom")
wrong.case(3, _mistake(zero=False), "differ from truncated BPTT", "opt.zero_grad() before each backward", kind="state")


def _train_chunk_autograd_grad(cell, opt, xs, ys, h):  # no .backward(): gradients set by hand
    loss, h = _run_chunk(cell, xs, ys, h.detach().requires_grad_())
    params = list(cell.parameters())
    for p, g in zip(params, torch.autograd.grad(loss, params)):
        p.grad = g
    opt.step()
    return loss.detach(), h


test_ex3_accepts_truncated_bptt_written_differently = accepts(ex.truncated_bptt, "06.3", {
    "solution": _train_chunk,
    "detach-at-end": _train_chunk_detach_at_end,
    "autograd-grad": _train_chunk_autograd_grad,
})


wrong.case(3, lambda cell, opt, xs, ys, h: (_train_chunk(cell, opt, xs, ys, h)[0], h), "the h you were given",
           "the chunk's last step", kind="return")
test_ex3_rejects_loops_that_are_not_truncated_bptt = wrong.rejects(3, ex.truncated_bptt)


# --- exercise 4 (Make): a cell with two states ------------------------------------------------------


def two_state_solution(cell, opt, xs, ys, state):
    return _train_chunk(cell, opt, xs, ys, state)


def two_state_with_lists(cell, opt, xs, ys, state):  # a list state, stacked losses, set_to_none=False
    state = [s.detach() for s in state]
    losses = []
    for x, y in zip(xs, ys):
        state = list(cell(x, state))
        losses.append(nn.functional.mse_loss(cell.readout(state), y))
    loss = torch.stack(losses).mean()
    opt.zero_grad(set_to_none=False)
    loss.backward()
    opt.step()
    return loss.detach(), state


def two_state_fresh_leaves(cell, opt, xs, ys, state):  # detach().requires_grad_(): new leaves, also a cut
    h, m = (s.detach().requires_grad_() for s in state)
    return _train_chunk(cell, opt, xs, ys, (h, m), cut=lambda s: s)


test_ex4_accepts_truncated_bptt_of_both_states = accepts(ex.two_state_tbptt, "06.4", {
    "solution": two_state_solution,
    "lists": two_state_with_lists,
    "fresh-leaves": two_state_fresh_leaves,
})


@wrong(4, "chunk 1 failed", "at the start of the chunk", kind="other")
def _detach_at_end(cell, opt, xs, ys, state):
    loss, state = _train_chunk(cell, opt, xs, ys, state, cut=lambda s: s)
    return loss, tuple(s.detach() for s in state)


wrong.case(4, _mistake(cut=lambda s: (s[0].detach(), s[1])), "chunk 1 failed", "detach both h and m", kind="narrow")
wrong.case(4, _mistake(cut=lambda s: (s[0], s[1].detach())), "chunk 1 failed", "one is not enough", kind="narrow")
wrong.case(4, _mistake(cut=lambda s: s, retain=True), "chunk 1 failed", "detach both h and m", kind="symptom")
wrong.case(4, _mistake(retain=True), "still holds its saved tensors", "retain_graph=True is not the fix", kind="symptom")
wrong.case(4, _mistake(zero=False), "differ from truncated BPTT", "opt.zero_grad()", kind="state")
wrong.case(4, _mistake(cut=lambda s: tuple(torch.zeros_like(t) for t in s)), "differ from truncated BPTT",
           "restarted from zeros", kind="other")
wrong.case(4, _mistake(cut_every_step=True), "differ from truncated BPTT", "detach once per chunk", kind="other")
wrong.case(4, lambda cell, opt, xs, ys, state: _train_chunk(cell, opt, xs, ys, state)[1][0],
           "should return a pair", "return loss.item(), state", kind="return")
wrong.case(4, lambda cell, opt, xs, ys, state: (_train_chunk(cell, opt, xs, ys, state)[0], None),
           "a pair (h, m)", "both parts", kind="return")
wrong.case(4, lambda cell, opt, xs, ys, state: (_train_chunk(cell, opt, xs, ys, state)[0], state),
           "the state you were given", "the chunk's last step", kind="return")
test_ex4_rejects_states_that_carry_their_history = wrong.rejects(4, ex.two_state_tbptt)


def test_ex4_graph_stays_bounded_for_the_reference():
    rows, _ = ex._two_state_reference()
    assert len({nodes for _, nodes in rows}) == 1  # the same graph size every chunk


def test_make_waves_targets_are_next_inputs():
    xs, ys = ex.make_waves(n_chunks=3, chunk_len=4, batch=2)
    assert xs.shape == ys.shape == (3, 4, 2, 1)
    assert torch.equal(xs.flatten(0, 1)[1:], ys.flatten(0, 1)[:-1])
