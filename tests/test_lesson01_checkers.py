"""Lesson 01's checkers from both sides: plausible wrong answers are rejected with a hint naming the
real cause, and right answers written differently from the solution pass."""

import pytest
import torch

from checker_helpers import WrongAnswers, accepts
from gradflow.exercises import detach as ex
from gradflow.gan import bce

wrong = WrongAnswers("01")


def out_of(capsys) -> str:
    return capsys.readouterr().out


# --- 01.1 cut the side branch (the warm-up) -----------------------------------------------------


def branch(detach_p=True, detach_w=False, run_branch=True, w_backwards=1, branch_backwards=1):
    """(x.grad, q.grad) of the 56/48 example: the reference answer, unless a keyword names a mistake."""
    x = torch.tensor([1.0], requires_grad=True)
    z = 2 * x**2
    w = (z.detach() if detach_w else z) ** 3
    p = z.detach() if detach_p else z
    q = torch.tensor([2.0], requires_grad=True)
    if run_branch:
        for _ in range(branch_backwards):
            (p * q).backward(retain_graph=True)
    for _ in range(w_backwards):
        if w.requires_grad:
            w.backward(retain_graph=True)
    return x.grad, q.grad


def cut_branch(answer):
    return ex.cut_branch(*answer)


def with_autograd_grad():  # written differently: the two gradients asked for by autograd.grad
    x = torch.tensor([1.0], requires_grad=True)
    q = torch.tensor([2.0], requires_grad=True)
    z = 2 * x**2
    (q_grad,) = torch.autograd.grad(z.detach() * q, q)
    (x_grad,) = torch.autograd.grad(z**3, x)
    return x_grad, q_grad


test_ex1_accepts_right_answers = accepts(cut_branch, "01.1", {
    "reference": branch(), "autograd_grad": with_autograd_grad(), "numbers_as_floats": (48.0, 2.0)})

wrong.case(1, branch(detach_p=False, run_branch=False), "q.grad is None: the branch's backward never ran",
           "look at q.grad", kind="symptom")  # the issue: no detach, the branch's backward dropped: x.grad = 48
wrong.case(1, branch(detach_p=False), "the side branch p * q still sends its gradient", "48 of it comes from w",
           kind="other")
wrong.case(1, branch(detach_p=False, detach_w=True), "only the side branch reached x", "detach the branch's input p",
           kind="other")
wrong.case(1, branch(w_backwards=2), "twice 48", "call each output's backward once", kind="state")
wrong.case(1, branch(branch_backwards=2), "q.grad is 4", "once", kind="state")
wrong.case(1, (torch.tensor([1.0], requires_grad=True), torch.tensor([2.0])), "it is x itself", "x_grad = x.grad",
           kind="return")
wrong.case(1, ((2 * torch.tensor([1.0], requires_grad=True) ** 2) ** 3, torch.tensor([2.0])),
           "a result of the computation", "x_grad = x.grad", kind="return")
wrong.case(1, (None, torch.tensor([2.0])), "no backward reached this x", "call backward on both outputs", kind="other")
test_ex1_rejects_mutants = wrong.rejects(1, cut_branch)


def test_ex1_x_instead_of_its_grad_is_not_blamed_on_the_graph(capsys):
    x = torch.tensor([1.0], requires_grad=True)
    ex.cut_branch(x, torch.tensor([2.0]))
    out = out_of(capsys)
    assert "x_grad = x.grad" in out and "attached to the autograd graph" not in out


def test_ex1_not_attempted(capsys):
    assert not ex.cut_branch(..., ...)
    assert "not attempted yet" in out_of(capsys)


# --- 01.2 move the cut (Modify) --------------------------------------------------------------------


def test_ex2_accepts_the_names_in_any_order_and_container(capsys):
    assert ex.gradients_after_detach(["lin3.weight", "lin3.bias"])
    assert ex.gradients_after_detach(("lin3.bias", "lin3.weight"))
    assert ex.gradients_after_detach({"lin3.bias", "lin3.weight"})
    assert out_of(capsys).count("passed") == 3


wrong.case(2, ["lin2.weight", "lin2.bias", "lin3.weight", "lin3.bias"],  # section 3's answer, retyped
           "these get no gradient: ['lin2.bias', 'lin2.weight']", "only layers after the cut learn", kind="hard-coded")
wrong.case(2, ["lin0.weight", "lin0.bias", "lin1.weight", "lin1.bias", "lin2.weight", "lin2.bias"],
           "these get no gradient", "detach cuts every path to the layers *before* it", kind="other")
wrong.case(2, ["lin3.weight"], "missing ['lin3.bias']", "only layers after the cut learn", kind="other")
wrong.case(2, ["lin2.weight", "lin2.bias"], "missing", "only layers after the cut learn", kind="other")
wrong.case(2, [f"lin{i}.{k}" for i in range(4) for k in ("weight", "bias")], "these get no gradient",
           "detach cuts", kind="narrow")  # every parameter: what a chain without a cut gives
wrong.case(2, ["layer3.weight"], "not parameters of the chain", "model.named_parameters()", kind="other")
wrong.case(2, "lin3.weight", "not a single string", "for example", kind="return")
wrong.case(2, None, "got NoneType", "put the names in a list", kind="return")
wrong.case(2, [3, 4], "every item should be a parameter name", kind="return")
test_ex2_rejects_mutants = wrong.rejects(2, ex.gradients_after_detach)


# --- 01.3 k discriminator steps on one fake batch (Modify) -----------------------------------------


def d_loss(D, real, fake):
    return bce(D(real), 1.0) + bce(D(fake), 0.0)


def d_steps(*, detach=True, fresh=False, zero_grad="first", keep=lambda loss: loss.item()):
    """A d_steps function: the solution, unless a keyword names a mistake. ``fresh`` makes the fakes again at
    every step; ``zero_grad`` is "first" (each step), "once" (before the loop) or "last" (after each step);
    ``keep`` turns each step's loss into what the list holds."""

    def steps(G, D, opt_D, real, noise, k):
        def fakes():
            return G(noise).detach() if detach else G(noise)

        fake = None if fresh else fakes()
        if zero_grad == "once":
            opt_D.zero_grad()
        losses = []
        for _ in range(k):
            if zero_grad == "first":
                opt_D.zero_grad()
            loss = d_loss(D, real, fakes() if fresh else fake)
            loss.backward()
            opt_D.step()
            if zero_grad == "last":
                opt_D.zero_grad()
            losses.append(keep(loss))
        return losses

    return steps


steps_right = d_steps()
steps_fresh_detached_fakes = d_steps(fresh=True, keep=lambda loss: float(loss.detach()))  # G is fixed meanwhile


def steps_under_no_grad(G, D, opt_D, real, noise, k):
    with torch.no_grad():  # the fakes carry no graph at all: also cannot reach G
        fake = G(noise)

    def one():
        D.zero_grad(set_to_none=False)  # zeros instead of None: the same update
        loss = bce(D(fake), 0.0) + bce(D(real), 1.0)  # the terms in the other order
        loss.backward()
        opt_D.step()
        return loss.detach()  # a one-element tensor without a graph counts as a number

    return tuple(one() for _ in range(k))


wrong.case(3, d_steps(detach=False), "the second D step raised 'Trying to backward through the graph a second time'",
           "make the fakes once as G(noise).detach()", kind="other")
wrong.case(3, d_steps(detach=False, fresh=True), "reached the generator", "fake.detach()", kind="other")
wrong.case(3, d_steps(zero_grad="once"), "used gradients left in .grad", "at the start of every one of the k steps",
           kind="other")
wrong.case(3, d_steps(zero_grad="last"), "used gradients left in .grad", "at the start of every one of the k steps",
           kind="state")  # the stale gradients D arrives with are added into the first step
wrong.case(3, d_steps(keep=lambda loss: loss), "loss 1 of 2 is a tensor still attached to the graph",
           "append loss.item()", kind="return")


@wrong(3, "G.0.weight no longer requires grad", "leave G's flags alone", kind="state")
def steps_freezing_G(G, D, opt_D, real, noise, k):  # the issue: no detach, G frozen and never unfrozen
    G.requires_grad_(False)
    fake = G(noise)
    return [_d_step(D, opt_D, real, fake) for _ in range(k)]


def _d_step(D, opt_D, real, fake):
    opt_D.zero_grad()
    loss = d_loss(D, real, fake)
    loss.backward()
    opt_D.step()
    return loss.item()


@wrong(3, "stepped another optimizer", "use the opt_D argument", kind="ignored")
def steps_with_an_optimizer_of_their_own(G, D, opt_D, real, noise, k):
    opt = torch.optim.SGD(D.parameters(), lr=0.1)  # the notebook's optimizer, rebuilt
    fake = G(noise).detach()
    return [_d_step(D, opt, real, fake) for _ in range(k)]


@wrong(3, "with k = 3, d_steps returned 2 losses", "take exactly k steps", kind="hard-coded")
def steps_two_always(G, D, opt_D, real, noise, k):
    fake = G(noise).detach()
    return [_d_step(D, opt_D, real, fake) for _ in range(2)]


@wrong(3, "reached the generator", "fake.detach()", kind="symptom")
def steps_retaining_the_graph(G, D, opt_D, real, noise, k):  # hides the second-backward error, keeps the leak
    fake = G(noise)
    losses = []
    for _ in range(k):
        opt_D.zero_grad()
        loss = d_loss(D, real, fake)
        loss.backward(retain_graph=True)
        opt_D.step()
        losses.append(loss.item())
    return losses


@wrong(3, "G is in another train/eval mode", "leave G's mode as you found it", kind="state")
def steps_leaving_G_in_eval(G, D, opt_D, real, noise, k):
    G.eval()
    return steps_right(G, D, opt_D, real, noise, k)


@wrong(3, "its gradients are empty after your steps", "zero_grad() ran between backward and step", kind="other")
def steps_zero_grad_between(G, D, opt_D, real, noise, k):
    fake = G(noise).detach()
    for _ in range(k):
        d_loss(D, real, fake).backward()
        opt_D.zero_grad()
        opt_D.step()
    return [0.0] * k


@wrong(3, "d_steps returned one number, expected a list of 2 losses", "return the whole list", kind="return")
def steps_returning_the_last_loss(G, D, opt_D, real, noise, k):
    return steps_right(G, D, opt_D, real, noise, k)[-1]


@wrong(3, "the losses you returned are not each step's D loss", "before opt_D.step()", kind="return")
def steps_losses_after_the_update(G, D, opt_D, real, noise, k):
    fake = G(noise).detach()
    losses = []
    for _ in range(k):
        opt_D.zero_grad()
        d_loss(D, real, fake).backward()
        opt_D.step()
        losses.append(d_loss(D, real, fake).item())  # measured after the step: not the loss it stepped on
    return losses


@wrong(3, "your d_steps raised RuntimeError", "the error comes from inside your d_steps")
def steps_that_throw(G, D, opt_D, real, noise, k):
    fake = G(real).detach()  # G takes noise: a shape error
    return [d_loss(D, real, fake).item()] * k


def test_ex3_accepts_no_grad_fakes_fresh_detached_fakes_and_tensor_losses(capsys):
    assert ex.discriminator_steps(steps_right)
    assert ex.discriminator_steps(steps_under_no_grad)
    assert ex.discriminator_steps(steps_fresh_detached_fakes)
    assert out_of(capsys).count("passed") == 3


test_ex3_rejects_undetached_fakes_one_zero_grad_and_wrong_losses = wrong.rejects(3, ex.discriminator_steps)


def test_ex3_zero_grad_between_backward_and_step_is_not_told_to_call_step(capsys):
    ex.discriminator_steps(steps_zero_grad_between)
    assert "call step()" not in out_of(capsys)


@pytest.mark.parametrize("answer, line", [(..., "not attempted yet"), (None, "pass your function d_steps itself"),
                                          ("d_steps", "pass your function d_steps itself")])
def test_ex3_placeholders_and_wrong_types(answer, line, capsys):
    assert not ex.discriminator_steps(answer)
    assert line in out_of(capsys)


# --- 01.4 a straight-through estimator (Make) ---------------------------------------------------------


class RoundThrough(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, q):
        return q(x)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


@pytest.mark.parametrize("ste", [
    lambda x, q: x + (q(x) - x).detach(),
    lambda x, q: x - (x - q(x)).detach(),
    lambda x, q: (q(x) - x).detach() + x,
    lambda x, q: RoundThrough.apply(x, q),
])
def test_ex4_accepts_any_straight_through_form(ste, capsys):
    assert ex.straight_through(ste)
    assert "passed" in out_of(capsys)


wrong.case(4, lambda x, q: q(x), "gradient with respect to x is zero", "(q(x) - x) must be detached as a whole",
           kind="other")
wrong.case(4, lambda x, q: x + (q(x) - x), "gradient with respect to x is zero", "detach is missing", kind="other")
wrong.case(4, lambda x, q: x + q(x).detach() - x, "gradient with respect to x is zero",
           "detach is missing or misplaced", kind="other")
wrong.case(4, lambda x, q: x.detach() + (q(x) - x), "minus the incoming one", "keep x itself attached", kind="other")
wrong.case(4, lambda x, q: q(x).detach(), "does not require grad", "detach only the correction", kind="other")
wrong.case(4, lambda x, q: x + (x - q(x)).detach(), "the forward value", "must be q(x)", kind="other")
wrong.case(4, lambda x, q: q(x) + x - x.detach(), "q's gradient plus the identity", "with the other quantisers it looked right",
           id="q_plus_x_minus_detached_x", kind="narrow")  # the issue: right while every quantiser is flat
wrong.case(4, lambda x, q: x + (torch.round(x) - x).detach(), "the forward value for rounding to quarters",
           "must be q(x) exactly", id="rounds_whatever_q_is", kind="ignored")
wrong.case(4, lambda x, q: None, "ste returned None", "return", kind="return")
wrong.case(4, lambda x, q: x.data.copy_(q(x)), "changed its input x in place", "do not modify x", kind="data")
wrong.case(4, lambda x, q: x.requires_grad_(False) + (q(x) - x).detach(), "changed x's requires_grad",
           "leave x as it was", id="unflags_x", kind="state")
wrong.case(4, lambda x, q: q(x).tolist(), "should return a tensor", "return the tensor itself", kind="return")
wrong.case(4, lambda x, q: q(x, 2), "your ste raised TypeError", "the error comes from inside your ste")
test_ex4_rejects_a_missing_or_misplaced_detach = wrong.rejects(4, ex.straight_through)


def test_ex4_not_attempted_and_stub(capsys):
    assert not ex.straight_through(...)
    def stub(x, q):
        raise NotImplementedError("return a tensor with the value q(x) and the gradient of x")
    assert not ex.straight_through(stub)
    assert out_of(capsys).count("not attempted yet") == 2
