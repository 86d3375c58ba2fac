"""Lesson 10's checkers from both sides: mutants of the reference answers are rejected with the cause and
hint their line must state, and right answers written differently pass (tests/checker_helpers.py)."""

import torch
from torch.nn import functional as F

from checker_helpers import WrongAnswers, accepts
from gradflow.exercises import audit as ex

wrong = WrongAnswers("10")


# --- 10.1 the step the report flagged -------------------------------------------------------------


def _step(model, opt, x, y, *, zero="before", item=True, loss_fn=F.cross_entropy, step=True, backwards=1,
          set_to_none=True):
    """A training step with one knob per plausible mistake."""
    if zero == "before":
        opt.zero_grad(set_to_none=set_to_none)
    loss = loss_fn(model(x), y)
    for k in range(backwards):
        loss.backward(retain_graph=k + 1 < backwards)
    if step:
        opt.step()
    if zero == "after":
        opt.zero_grad()
    return loss.item() if item else loss


def _zero_after(model, opt, x, y):
    return _step(model, opt, x, y, zero="after")


def _zero_in_place(model, opt, x, y):
    return _step(model, opt, x, y, set_to_none=False)


def _model_zero_grad(model, opt, x, y):
    model.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return float(loss.detach())


test_ex1_accepts_steps_written_differently = accepts(ex.train_step, "10.1",
                                                     [_step, _zero_after, _zero_in_place, _model_zero_grad])

wrong.case(1, lambda m, o, x, y: _step(m, o, x, y, zero="never"), "grad_accumulated", "zero_grad",
           id="never_zeroed", kind="symptom")
wrong.case(1, lambda m, o, x, y: _step(m, o, x, y, item=False), "returned a tensor", "loss.item()",
           id="returns_the_loss_tensor", kind="return")
wrong.case(1, lambda m, o, x, y: _step(m, o, x, y, step=False), "0 update(s)", "opt.step()",
           id="no_step", kind="other")
wrong.case(1, lambda m, o, x, y: _step(m, o, x, y, backwards=2), "6 backward pass(es)", "one backward",
           id="two_backwards", kind="other")
wrong.case(1, lambda m, o, x, y: _step(m, o, x, y, loss_fn=lambda out, t: F.mse_loss(out.softmax(1),
                                                                                       F.one_hot(t, 3).float())),
           "expected the loss", "computed before the update", id="other_loss", kind="ignored")
wrong.case(1, lambda m, o, x, y: _step(m, torch.optim.SGD(m.parameters(), lr=0.1), x, y),
           "0 update(s)", "opt.step()", id="new_optimizer_each_step", kind="ignored")
wrong.case(1, lambda m, o, x, y: 1.0, "0 backward pass(es)", "one backward", id="hard_coded_loss",
           kind="hard-coded")
wrong.case(1, None, "pass your function", id="not_a_function")


def _step_then_report(model, opt, x, y):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    torch.set_grad_enabled(False)  # "so the report below runs without a graph"
    try:
        return loss.item()
    finally:
        torch.set_grad_enabled(True)


test_ex1_rejects_mutants = wrong.rejects(1, ex.train_step)


def test_ex1_accepts_the_order_forward_then_zero(capsys):
    assert ex.train_step(_step_then_report)


# --- 10.2 an evaluation pass the audit calls clean ----------------------------------------------------


def _evaluate(model, x, *, mode=True, no_grad=True, restore=True, grad_mode_off=False, detach=False):
    if mode:
        model.eval()
    if grad_mode_off:
        torch.set_grad_enabled(False)
        out = model(x)
    elif no_grad:
        with torch.no_grad():
            out = model(x)
    else:
        out = model(x)
    if restore:
        model.train()
    return out.detach() if detach else out


def _evaluate_inference_mode(model, x):
    was = model.training
    model.eval()
    with torch.inference_mode():
        out = model(x).clone()
    model.train(was)
    return out


def _evaluate_detached(model, x):
    return _evaluate(model, x, no_grad=False, detach=True)


test_ex2_accepts_evaluations_written_differently = accepts(ex.evaluate, "10.2",
                                                           [_evaluate, _evaluate_inference_mode, _evaluate_detached])

wrong.case(2, lambda m, x: _evaluate(m, x, mode=False), "train_mode_eval", "model.eval()", id="no_eval",
           kind="other")
wrong.case(2, lambda m, x: _evaluate(m, x, no_grad=False), "graph_kept_alive", "torch.no_grad()",
           id="no_no_grad", kind="symptom")
wrong.case(2, lambda m, x: _evaluate(m, x, restore=False), "left the model in eval mode", "model.train()",
           id="mode_not_restored", kind="state")
wrong.case(2, lambda m, x: _evaluate(m, x, grad_mode_off=True, restore=True), "switched off",
           "torch.no_grad()", id="grad_mode_left_off", kind="state")
wrong.case(2, lambda m, x: _evaluate(m, x, mode=False, no_grad=True).detach(), "train_mode_eval", "model.eval()",
           id="no_grad_without_eval", kind="other")
wrong.case(2, lambda m, x: _evaluate(m, x).argmax(1), "not the model's eval-mode output", "model.eval()",
           id="returns_classes", kind="return")
wrong.case(2, lambda m, x: _evaluate(m, torch.zeros(12, 5)), "not the model's eval-mode output", "model.eval()",
           id="ignores_x", kind="ignored")
wrong.case(2, lambda m, x: _evaluate(m, x).tolist(), "not the output tensor", "return model(x)",
           id="a_list", kind="return")

test_ex2_rejects_mutants = wrong.rejects(2, ex.evaluate)
