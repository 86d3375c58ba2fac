"""Lesson 04's checkers from both sides (.data versus detach): plausible wrong answers are rejected with a hint
naming the real cause, and right answers written differently from the solution pass."""

import numpy as np
import pytest
import torch
from torch import nn

from checker_helpers import WrongAnswers, accepts, rejected
from gradflow.exercises import data_vs_detach as ex
from gradflow.quizzes import data_vs_detach as quiz

wrong = WrongAnswers("04")

RIGHT = {"A": True, "B": False, "C": False, "D": True}


def test_snippets_behave_as_the_exercise_says():
    assert {k: ex._raises(f) for k, f in ex.SNIPPETS.items()} == RIGHT


# --- 04.1 which backward raises ----------------------------------------------------------------


@pytest.mark.parametrize("answer", [
    dict(RIGHT),
    {k.lower(): v for k, v in RIGHT.items()},             # lower-case keys name the same snippets
    {k: np.bool_(v) for k, v in RIGHT.items()},           # numpy bools, e.g. from a comparison
])
def test_ex1_accepts_the_right_answers(answer, capsys):
    assert ex.which_raises(answer)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("answer, cause, hint", [
    ({**RIGHT, "A": False}, "snippet A raises", "exp saves its output"),          # only inputs thought saved
    ({**RIGHT, "B": True}, "snippet B runs without error", "version counter of its own"),  # .data thought seen
    ({**RIGHT, "C": True}, "snippet C runs without error", "never saved"),        # every edit thought fatal
    ({**RIGHT, "D": False}, "snippet D raises", "ordinary in-place operation"),   # no_grad thought invisible
    ({"A": True, "B": False}, "no answer for C, D", "give True or False for each"),
    ({**RIGHT, "B": "yes"}, "should be True or False", "True if backward raises"),
    ([True, False, False, True], "should be a dict", "one entry per snippet"),
])
def test_ex1_rejects_plausible_mistakes(answer, cause, hint, capsys):
    rejected(ex.which_raises, answer, "04.1", cause, hint, capsys=capsys)


def test_ex1_not_attempted(capsys):
    assert not ex.which_raises({**RIGHT, "B": ...})
    assert "not attempted yet" in capsys.readouterr().out


# --- 04.2 a manual SGD step (warm-up) ------------------------------------------------------------


def _sgd_sub(params, lr):
    with torch.no_grad():
        for p in params:
            p.sub_(lr * p.grad)


def _sgd_add_alpha(params, lr):
    with torch.no_grad():
        for p in params:
            p.add_(p.grad, alpha=-lr)


test_ex2_accepts_in_place_updates_written_differently = accepts(ex.manual_sgd, "04.2", [_sgd_sub, _sgd_add_alpha])


@wrong(2, "autograd did not see the update", "did you write through .data")
def _sgd_data(params, lr):
    for p in params:
        p.data -= lr * p.grad


@wrong(2, "leaf Variable that requires grad", "torch.no_grad()")
def _sgd_no_no_grad(params, lr):
    for p in params:
        p -= lr * p.grad


@wrong(2, "did not change", "only rebinds the loop variable")
def _sgd_rebind(params, lr):
    with torch.no_grad():
        for p in params:
            p = p - lr * p.grad  # noqa: F841  (the bug under test)


@wrong(2, "differ from torch.optim.SGD", "minus: a step downhill")
def _sgd_wrong_sign(params, lr):
    with torch.no_grad():
        for p in params:
            p += lr * p.grad


@wrong(2, "their gradients are zero", "never between backward and the update")
def _sgd_zeroes_first(params, lr):  # zero_grad in the wrong place: between backward and the update
    with torch.no_grad():
        for p in params:
            p.grad.zero_()
            p -= lr * p.grad


@wrong(2, "raised TypeError", "a .grad was None when your function used it")
def _sgd_clears_first(params, lr):
    for p in params:
        p.grad = None
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad


test_ex2_rejects_plausible_mistakes = wrong.rejects(2, ex.manual_sgd)


# --- 04.3 weight clipping without .data (Modify) -------------------------------------------------


def _clip_copy(model, c):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.clamp(-c, c))


@torch.no_grad()
def _clip_min_max(model, c):
    for p in model.parameters():
        p.clamp_(min=-c, max=c)


test_ex3_accepts_in_place_clipping_written_differently = accepts(ex.weight_clipping, "04.3",
                                                                 [_clip_copy, _clip_min_max])


@wrong(3, "autograd did not see the change", "did you write through .data")
def _clip_data(model, c):
    for p in model.parameters():
        p.data.clamp_(-c, c)


@wrong(3, "leaf Variable that requires grad", "torch.no_grad()")
def _clip_no_no_grad(model, c):
    for p in model.parameters():
        p.clamp_(-c, c)


@wrong(3, "was not clipped", "only rebinds the name")
def _clip_rebind(model, c):
    for p in model.parameters():
        p = p.clamp(-c, c)  # noqa: F841


@wrong(3, "replaced by a new tensor", "optimizer built earlier still holds the old parameter")
def _clip_replace(model, c):
    for module in model.modules():
        if isinstance(module, nn.Linear):
            module.weight = nn.Parameter(module.weight.detach().clamp(-c, c))
            module.bias = nn.Parameter(module.bias.detach().clamp(-c, c))


@wrong(3, "was not clipped", "clip_grad_value_ clips gradients, not weights")
def _clip_gradients(model, c):  # the wrong tool: clips .grad (None here), not the weights
    nn.utils.clip_grad_value_(model.parameters(), c)


@wrong(3, "0.bias was not clipped, though other parameters were", "each weight and each bias")
def _clip_weights_only(model, c):
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                module.weight.clamp_(-c, c)


test_ex3_rejects_plausible_mistakes = wrong.rejects(3, ex.weight_clipping)


# --- 04.4 values for a log ----------------------------------------------------------------------


@pytest.mark.parametrize("right", [lambda t: t.detach().numpy().copy(), lambda t: np.array(t.tolist())])
def test_ex4_accepts_arrays_made_differently(right, capsys):
    assert ex.values_for_log(right)
    assert "passed" in capsys.readouterr().out


@wrong(4, "left the graph", "detach() returns a new tensor")
def _detach_in_place(t):
    return t.detach_().numpy()


wrong.case(4, lambda t: t.numpy(), "Can't call numpy() on Tensor that requires grad", "detach first")
wrong.case(4, lambda t: t.detach(), "returned a tensor", "finish with .numpy()")
wrong.case(4, lambda t: t.detach().tolist(), "not a NumPy array", "t.detach().cpu().numpy()")
wrong.case(4, lambda t: np.zeros(tuple(t.shape)), "other values", "do not change the values")
wrong.case(4, lambda t: t.detach().to_numpy(), "your to_numpy raised AttributeError",
           "the error comes from inside your to_numpy")
wrong.case(4, lambda t: t.detach().numpy().ravel()[:1], "the array's shape", "without reshaping or indexing")
test_ex4_rejects_plausible_mistakes = wrong.rejects(4, ex.values_for_log)


# --- 04.5 a soft target-network update (Make) ------------------------------------------------------


def _lerp(target, online, tau):
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            t.lerp_(o, tau)


def _through_state_dicts(target, online, tau):
    online_state = online.state_dict()
    target.load_state_dict({k: (1 - tau) * v + tau * online_state[k] for k, v in target.state_dict().items()})


def _foreach(target, online, tau):
    with torch.no_grad():
        torch._foreach_lerp_(list(target.parameters()), list(online.parameters()), tau)


def _state_dict_views_in_place(target, online, tau):  # state_dict() values are detached views: edits are seen
    online_state = online.state_dict()
    for k, v in target.state_dict().items():
        v.mul_(1 - tau).add_(online_state[k], alpha=tau)


@pytest.mark.parametrize("right", [_lerp, _through_state_dicts, _foreach, _state_dict_views_in_place])
def test_ex5_accepts_soft_updates_written_differently(right, capsys):
    assert ex.soft_target_update(right)
    assert "passed" in capsys.readouterr().out


@wrong(5, "autograd did not see the update", "did you write through .data")
def _with_data(target, online, tau):  # the classic RL line
    for t, o in zip(target.parameters(), online.parameters()):
        t.data.copy_(tau * o.data + (1 - tau) * t.data)


@wrong(5, "moved (1 - tau) of the way instead of tau", "tau is the online network's share")
def _swapped(target, online, tau):
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            t.copy_(tau * t + (1 - tau) * o)


@wrong(5, "leaf Variable that requires grad", "torch.no_grad()")
def _no_no_grad(target, online, tau):
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(1 - tau).add_(o, alpha=tau)


@wrong(5, "the target did not move", "only rebinds the loop variable")
def _rebind(target, online, tau):
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            t = (1 - tau) * t + tau * o  # noqa: F841


@wrong(5, "a copy of the online network", "move only a share tau of the way")
def _hard_copy(target, online, tau):
    target.load_state_dict(online.state_dict())


@wrong(5, "the online network changed", "only the target moves")
def _moves_online(target, online, tau):  # the arguments read the other way round
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            o.lerp_(t, tau)


@wrong(5, "replaced by new tensors", "write into each tensor in place")
def _new_parameters(target, online, tau):
    for (name, t), o in zip(list(target.named_parameters()), online.parameters()):
        module, attr = name.rsplit(".", 1)
        setattr(target.get_submodule(module), attr, nn.Parameter((1 - tau) * t.detach() + tau * o.detach()))


@wrong(5, "no longer require grad", "freezing is the caller's choice")
def _freezes_target(target, online, tau):
    target.requires_grad_(False)
    _lerp(target, online, tau)


@wrong(5, "are not (1 - tau) * target + tau * online", "update every one")
def _first_layer_only(target, online, tau):
    with torch.no_grad():
        target[0].weight.lerp_(online[0].weight, tau)


@wrong(5, "raised AttributeError", "a module's layers may have no weight")
def _zips_the_modules(target, online, tau):
    with torch.no_grad():
        for t, o in zip(target, online):
            t.weight.lerp_(o.weight, tau)  # Tanh has no weight: AttributeError


wrong.case(5, lambda target, online: None, "raised TypeError", "takes the two modules and a number")
test_ex5_rejects_plausible_mistakes = wrong.rejects(5, ex.soft_target_update)


def test_ex5_not_attempted(capsys):
    def stub(target, online, tau):
        raise NotImplementedError

    assert not ex.soft_target_update(stub)
    assert not ex.soft_target_update(...)
    assert capsys.readouterr().out.count("not attempted yet") == 2


def test_ex5_tolerance_is_far_below_a_wrong_tau():
    # the checker's float32 rounding allowance must be much smaller than the effect of tau = 0.11 instead of 0.1
    online, target, *_ = ex._online_and_target()
    moved = [(p - q).abs().max().item() * 0.01 for p, q in zip(target.parameters(), online.parameters())]
    assert min(moved) > 100 * ex._ATOL


# --- the lesson's questions --------------------------------------------------------------------


def test_every_question_has_its_answer_among_its_options_and_a_why_for_each():
    questions = [quiz.data_zero, quiz.detach_zero, quiz.shares_storage, quiz.leaf_in_place,
                 quiz.update_before_backward, quiz.sigmoid_data, quiz.set_weights, *quiz.recap.questions]
    assert len(quiz.recap.questions) == 4
    for q in questions:
        assert q.answer in q.options and all(o.why for o in q.options.values())
        assert q.label.startswith("04.")


def test_set_weights_takes_the_capital_letter_of_the_lesson(capsys):
    assert quiz.set_weights.reveal("B")
    assert not quiz.set_weights.reveal("C")
    assert "never steps the new one" in capsys.readouterr().out
