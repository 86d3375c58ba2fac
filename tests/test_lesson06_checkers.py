"""Right and specific wrong answers for lesson 06's checkers (retain_graph)."""

import pytest
import torch
from torch import nn

from gradflow.exercises import retain_graph as ex

# --- exercise 1 ------------------------------------------------------------------------------------


def test_first_failing_runs_the_sequence_for_real():
    assert ex.first_failing() == 3
    assert ex.first_failing([("d", True), ("e", True), ("d", False), ("e", False)]) == 4  # seed 001's sequence
    assert ex.first_failing([("d", True), ("e", False)]) == 0


def test_which_call_fails(capsys):
    assert ex.which_call_fails(3)
    assert not ex.which_call_fails(4)
    assert "cannot bring back a graph" in capsys.readouterr().out
    assert not ex.which_call_fails(2)
    assert "call 1 kept the graph" in capsys.readouterr().out
    assert not ex.which_call_fails(0)
    assert "one of them fails" in capsys.readouterr().out
    assert not ex.which_call_fails(7)
    assert "no call number 7" in capsys.readouterr().out
    assert not ex.which_call_fails("3")
    assert "number of the call" in capsys.readouterr().out
    assert not ex.which_call_fails(True)


# --- exercise 2 ------------------------------------------------------------------------------------


def _accumulate(model, x, y, k):
    model.zero_grad()
    for xp, yp in zip(x.chunk(k), y.chunk(k)):
        (nn.functional.mse_loss(model(xp), yp) / k).backward()


def _unscaled(model, x, y, k):
    model.zero_grad()
    for xp, yp in zip(x.chunk(k), y.chunk(k)):
        nn.functional.mse_loss(model(xp), yp).backward()


def _no_zero_grad(model, x, y, k):
    for xp, yp in zip(x.chunk(k), y.chunk(k)):
        (nn.functional.mse_loss(model(xp), yp) / k).backward()


def _zero_inside_loop(model, x, y, k):
    for xp, yp in zip(x.chunk(k), y.chunk(k)):
        model.zero_grad()
        (nn.functional.mse_loss(model(xp), yp) / k).backward()


def _full_batch(model, x, y, k):
    model.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()


def _full_batch_k_times(model, x, y, k):
    model.zero_grad()
    for _ in range(k):
        (nn.functional.mse_loss(model(x), y) / k).backward()


def _hard_coded_k(model, x, y, k):
    _accumulate(model, x, y, 4)


def _retained_single_forward(model, x, y, k):
    model.zero_grad()
    loss = nn.functional.mse_loss(model(x), y) / k
    for _ in range(k):
        loss.backward(retain_graph=True)


def test_accumulation_right_answer(capsys):
    assert ex.accumulation(_accumulate)
    assert "passed" in capsys.readouterr().out


# --- exercise 3 ------------------------------------------------------------------------------------


def _run_chunk(cell, xs, ys, h):
    loss = 0.0
    for x, y in zip(xs, ys):
        h = cell(x, h)
        loss = loss + nn.functional.mse_loss(cell.readout(h), y)
    return loss / len(xs), h


def _train_chunk(cell, opt, xs, ys, h):
    loss, h = _run_chunk(cell, xs, ys, h.detach())
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item(), h


def _train_chunk_detach_at_end(cell, opt, xs, ys, h):
    loss, h = _run_chunk(cell, xs, ys, h)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item(), h.detach()


def _no_detach(cell, opt, xs, ys, h):
    loss, h = _run_chunk(cell, xs, ys, h)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item(), h


def _retain_graph(cell, opt, xs, ys, h):
    loss, h = _run_chunk(cell, xs, ys, h)
    opt.zero_grad()
    loss.backward(retain_graph=True)
    opt.step()
    return loss.item(), h


def _reset_state(cell, opt, xs, ys, h):
    return _train_chunk(cell, opt, xs, ys, torch.zeros_like(h))


def _detach_every_step(cell, opt, xs, ys, h):
    loss = 0.0
    for x, y in zip(xs, ys):
        h = cell(x, h.detach())
        loss = loss + nn.functional.mse_loss(cell.readout(h), y)
    loss = loss / len(xs)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item(), h


def _returns_tensor_loss(cell, opt, xs, ys, h):
    loss, h = _run_chunk(cell, xs, ys, h.detach())
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss, h


def _no_step(cell, opt, xs, ys, h):
    loss, h = _run_chunk(cell, xs, ys, h.detach())
    opt.zero_grad()
    loss.backward()
    return loss.item(), h


def _returns_loss_only(cell, opt, xs, ys, h):
    return _train_chunk(cell, opt, xs, ys, h)[0]


def test_truncated_bptt_right_answers(capsys):
    assert ex.truncated_bptt(_train_chunk)
    assert ex.truncated_bptt(_train_chunk_detach_at_end)
    assert capsys.readouterr().out.count("passed") == 2


def _wrong_answers():
    """(checker, answer, what its feedback must say), for both exercises that run the learner's function."""
    return [(ex.accumulation, answer, text) for answer, text in [
        (_unscaled, "divide it by k"), (_no_zero_grad, "old gradients"), (_zero_inside_loop, "not inside it"),
        (_full_batch, "micro-batches of"), (_full_batch_k_times, "micro-batches of"),
        (_hard_coded_k, "backward reached the model 4 times, expected 2"),
        (_retained_single_forward, "micro-batches of")]] + [(ex.truncated_bptt, answer, text) for answer, text in [
        (_no_detach, "detach it before the chunk"), (_retain_graph, "opt.step() changed the weights"),
        (_reset_state, "restarted from zeros"), (_detach_every_step, "detach once per chunk"),
        (_returns_tensor_loss, "still attached"), (_no_step, "differ from truncated BPTT"),
        (_returns_loss_only, "should return a pair")]]


@pytest.mark.parametrize("check, answer, text", _wrong_answers(), ids=lambda v: getattr(v, "__name__", None))
def test_specific_wrong_answers(check, answer, text, capsys):
    assert not check(answer)
    assert text in capsys.readouterr().out


def test_make_waves_targets_are_next_inputs():
    xs, ys = ex.make_waves(n_chunks=3, chunk_len=4, batch=2)
    assert xs.shape == ys.shape == (3, 4, 2, 1)
    assert torch.equal(xs.flatten(0, 1)[1:], ys.flatten(0, 1)[:-1])
