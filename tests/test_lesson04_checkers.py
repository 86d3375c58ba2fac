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


wrong.case(1, {**RIGHT, "A": False}, "snippet A raises", "exp saves its output", kind="other")  # only inputs saved
wrong.case(1, {**RIGHT, "B": True}, "snippet B runs without error", "version counter of its own", kind="data")
wrong.case(1, {**RIGHT, "C": True}, "snippet C runs without error", "never saved", kind="narrow")  # every edit fatal
wrong.case(1, {**RIGHT, "D": False}, "snippet D raises", "ordinary in-place operation", kind="other")
wrong.case(1, {"A": True, "B": False}, "no answer for C, D", "give True or False for each", kind="narrow")
wrong.case(1, {**RIGHT, "B": "yes"}, "should be True or False", "True if backward raises", kind="return")
wrong.case(1, [True, False, False, True], "should be a dict", "one entry per snippet", kind="return")
wrong.case(1, {k: int(v) for k, v in RIGHT.items()}, "should be True or False, got int", "True if backward raises",
           kind="return")
test_ex1_rejects_plausible_mistakes = wrong.rejects(1, ex.which_raises)


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


@torch.no_grad()
def _sgd_foreach(params, lr):
    torch._foreach_add_(params, [p.grad for p in params], alpha=-lr)


test_ex2_accepts_in_place_updates_written_differently = accepts(ex.manual_sgd, "04.2",
                                                                [_sgd_sub, _sgd_add_alpha, _sgd_foreach])

#: what a notebook holds when a learner's function reads its globals (the notebook's lr and model)
lr = 0.1
model = nn.Linear(3, 1)


@wrong(2, "moved each parameter by 0.1 * p.grad instead of 0.05 * p.grad", "the lr argument, whatever its value",
       kind="hard-coded")
def _sgd_lr_written_in(params, lr):
    with torch.no_grad():
        for p in params:
            p -= 0.1 * p.grad


@wrong(2, "reads the notebook's `lr`, not its lr argument", "check the parameter's spelling", kind="hard-coded")
def _sgd_lr_typo(params, learning_rate):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad


@wrong(2, "did not change: your function reads the notebook's `model`", "update the tensors of the params argument",
       kind="ignored")
def _sgd_notebook_model(params, lr):
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad if p.grad is not None else 0


@wrong(2, "gradient recording was still off", "`with torch.no_grad():` switches it back on", kind="state")
def _sgd_grad_mode_off(params, lr):
    torch.set_grad_enabled(False)
    for p in params:
        p -= lr * p.grad


@wrong(2, "no longer trainable leaves", "do not change requires_grad", kind="state")
def _sgd_flags_off(params, lr):
    for p in params:
        p.requires_grad_(False)
        p -= lr * p.grad



@wrong(2, "autograd did not see the update", "did you write through .data", kind="data")
def _sgd_data(params, lr):
    for p in params:
        p.data -= lr * p.grad


@wrong(2, "leaf Variable that requires grad", "torch.no_grad()")
def _sgd_no_no_grad(params, lr):
    for p in params:
        p -= lr * p.grad


@wrong(2, "did not change", "only rebinds the loop variable", kind="other")
def _sgd_rebind(params, lr):
    with torch.no_grad():
        for p in params:
            p = p - lr * p.grad  # noqa: F841  (the bug under test)


@wrong(2, "moved each parameter by -0.05 * p.grad", "its sign is minus", kind="other")
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


@wrong(2, "bias in params did not change, though others did", "every tensor in params", kind="narrow")
def _sgd_matrices_only(params, lr):  # "weights only": right for a list of matrices, the notebook's case of mind
    with torch.no_grad():
        for p in params:
            if p.dim() > 1:
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


@wrong(3, "autograd did not see the change", "did you write through .data", kind="data")
def _clip_data(model, c):
    for p in model.parameters():
        p.data.clamp_(-c, c)


@wrong(3, "leaf Variable that requires grad", "torch.no_grad()", kind="other")
def _clip_no_no_grad(model, c):
    for p in model.parameters():
        p.clamp_(-c, c)


@wrong(3, "was not clipped", "only rebinds the name", kind="other")
def _clip_rebind(model, c):
    for p in model.parameters():
        p = p.clamp(-c, c)  # noqa: F841


@wrong(3, "replaced by a new tensor", "optimizer built earlier still holds the old parameter", kind="state")
def _clip_replace(model, c):
    for module in model.modules():
        if isinstance(module, nn.Linear):
            module.weight = nn.Parameter(module.weight.detach().clamp(-c, c))
            module.bias = nn.Parameter(module.bias.detach().clamp(-c, c))


@wrong(3, "was not clipped", "clip_grad_value_ clips gradients, not weights", kind="symptom")
def _clip_gradients(model, c):  # the wrong tool: clips .grad (None here), not the weights
    nn.utils.clip_grad_value_(model.parameters(), c)


@wrong(3, "0.bias was not clipped, though other parameters were", "each weight and each bias", kind="narrow")
def _clip_weights_only(model, c):
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                module.weight.clamp_(-c, c)


@wrong(3, "the largest weight after clipping is 0.3, not 0.05", "the c argument, whatever its value",
       kind="hard-coded")
def _clip_written_in(model, c):
    with torch.no_grad():
        for p in model.parameters():
            p.clamp_(-0.3, 0.3)


critic = nn.Linear(4, 6)  # the notebook's critic, as a learner's function might read it


@wrong(3, "was not clipped: your function reads the notebook's `critic`", "the checker passes its own critic",
       kind="ignored")
def _clip_notebook_critic(model, c):
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(-c, c)


@wrong(3, "gradient recording was still off", "`with torch.no_grad():` switches it back on", kind="state")
def _clip_grad_mode_off(model, c):
    torch.set_grad_enabled(False)
    for p in model.parameters():
        p.clamp_(-c, c)


@wrong(3, "no weight is negative after clipping", "both bounds", kind="other")
def _clip_zero_to_c(model, c):
    with torch.no_grad():
        for p in model.parameters():
            p.clamp_(0, c)


test_ex3_rejects_plausible_mistakes = wrong.rejects(3, ex.weight_clipping)


# --- 04.4 values for a log ----------------------------------------------------------------------


test_ex4_accepts_arrays_made_differently = accepts(ex.values_for_log, "04.4", {
    "cpu-first": lambda t: t.cpu().detach().numpy(),
    "copy": lambda t: t.detach().cpu().numpy().copy(),
    "from-list": lambda t: np.array(t.tolist()),
    "force": lambda t: t.numpy(force=True),
    "to-cpu": lambda t: t.detach().to("cpu").numpy(),
})


@wrong(4, "left the graph", "detach() returns a new tensor", kind="state")
def _detach_in_place(t):
    return t.detach_().numpy()


@wrong(4, "the leaf it was given no longer requires grad", "requires_grad_(False) switch off the caller's tensor",
       kind="state")
def _switch_off(t):
    if t.is_leaf:
        t.requires_grad_(False)
        return t.cpu().numpy()
    return t.detach().cpu().numpy()


@wrong(4, "the .grad of the leaf it was given changed", "leave t.grad alone", kind="state")
def _tidy_grad(t):
    t.grad = None
    return t.detach().cpu().numpy()


@wrong(4, "gradient recording was still off", "`with torch.no_grad():` switches it back on", kind="state")
def _grad_mode_off(t):
    torch.set_grad_enabled(False)
    return t.detach().cpu().numpy()


wrong.case(4, lambda t: t.detach().numpy(), "on a tensor on a GPU your function raised: can't convert cuda:0",
           ".cpu() before .numpy()", kind="narrow")
wrong.case(4, lambda t: t.numpy(), "Can't call numpy() on Tensor that requires grad", "detach first", kind="other")
wrong.case(4, lambda t: t.detach(), "returned a tensor", "finish with .numpy()", kind="return")
wrong.case(4, lambda t: t.detach().tolist(), "not a NumPy array", "t.detach().cpu().numpy()", kind="return")
wrong.case(4, lambda t: np.zeros(tuple(t.shape)), "other values", "do not change the values", kind="other")
wrong.case(4, lambda t: t.detach().to_numpy(), "your to_numpy raised AttributeError",
           "the error comes from inside your to_numpy")
wrong.case(4, lambda t: t.detach().numpy().ravel()[:1], "the array's shape", "without reshaping or indexing")
wrong.case(4, lambda t: t.detach().cpu().numpy().reshape(2, 2), "raised ValueError", kind="narrow")  # the notebook's shape
test_ex4_rejects_plausible_mistakes = wrong.rejects(4, ex.values_for_log)


def test_ex4_fake_gpu_tensor_behaves_as_a_gpu_tensor_where_it_matters():
    t = torch.tensor([1.0, 2.0]).as_subclass(ex.OnGPU)
    assert t.device.type == "cuda" and type(t.detach()) is ex.OnGPU
    with pytest.raises(TypeError, match="Use Tensor.cpu"):
        t.detach().numpy()
    assert type(t.cpu()) is torch.Tensor and t.detach().cpu().numpy().tolist() == [1.0, 2.0]


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


@wrong(5, "autograd did not see the update", "did you write through .data", kind="data")
def _with_data(target, online, tau):  # the classic RL line
    for t, o in zip(target.parameters(), online.parameters()):
        t.data.copy_(tau * o.data + (1 - tau) * t.data)


@wrong(5, "moved (1 - tau) of the way instead of tau", "tau is the online network's share", kind="other")
def _swapped(target, online, tau):
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            t.copy_(tau * t + (1 - tau) * o)


@wrong(5, "leaf Variable that requires grad", "torch.no_grad()", kind="other")
def _no_no_grad(target, online, tau):
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(1 - tau).add_(o, alpha=tau)


@wrong(5, "the target did not move", "only rebinds the loop variable")
def _rebind(target, online, tau):
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            t = (1 - tau) * t + tau * o  # noqa: F841


@wrong(5, "a copy of the online network", "move only a share tau of the way", kind="shortcut")
def _hard_copy(target, online, tau):
    target.load_state_dict(online.state_dict())


@wrong(5, "the online network changed", "only the target moves", kind="state")
def _moves_online(target, online, tau):  # the arguments read the other way round
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            o.lerp_(t, tau)


@wrong(5, "replaced by new tensors", "write into each tensor in place")
def _new_parameters(target, online, tau):
    for (name, t), o in zip(list(target.named_parameters()), online.parameters()):
        module, attr = name.rsplit(".", 1)
        setattr(target.get_submodule(module), attr, nn.Parameter((1 - tau) * t.detach() + tau * o.detach()))


@wrong(5, "no longer require grad", "freezing is the caller's choice", kind="state")
def _freezes_target(target, online, tau):
    target.requires_grad_(False)
    _lerp(target, online, tau)


@wrong(5, "are not (1 - tau) * target + tau * online", "update every one", kind="narrow")
def _first_layer_only(target, online, tau):
    with torch.no_grad():
        target[0].weight.lerp_(online[0].weight, tau)


@wrong(5, "raised AttributeError", "a module's layers may have no weight")
def _zips_the_modules(target, online, tau):
    with torch.no_grad():
        for t, o in zip(target, online):
            t.weight.lerp_(o.weight, tau)  # Tanh has no weight: AttributeError


wrong.case(5, lambda target, online: None, "raised TypeError", "takes the two modules and a number")


@wrong(5, "(tau=0.3) the target moved 0.1 of the way to the online network, not tau", "the tau argument, whatever its value",
       kind="hard-coded")
def _tau_written_in(target, online, tau):
    _lerp(target, online, 0.1)


online_net = nn.Linear(3, 2)  # the notebook's networks, as a learner's function might read them
target_net = nn.Linear(3, 2)


@wrong(5, "did not move: your function reads the notebook's `online_net`", "the checker passes its own target",
       kind="ignored")
def _notebook_networks(target, online, tau):
    _lerp(target_net, online_net, tau)


@wrong(5, "gradient recording was still off", "`with torch.no_grad():` switches it back on", kind="state")
def _grad_mode_off_5(target, online, tau):
    torch.set_grad_enabled(False)
    for t, o in zip(target.parameters(), online.parameters()):
        t.lerp_(o, tau)
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
