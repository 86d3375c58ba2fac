"""Lesson 01's checkers from both sides: plausible wrong answers are rejected with a hint naming the
real cause, and right answers written differently from the solution pass."""

import pytest
import torch

from checker_helpers import WrongAnswers
from gradflow.exercises import detach as ex
from gradflow.gan import bce

wrong = WrongAnswers("01")


def out_of(capsys) -> str:
    return capsys.readouterr().out


# --- 01.1 cut the side branch (the warm-up) -----------------------------------------------------


def branch(detach_p=True, detach_z=False, answer="grad"):
    x = torch.tensor([1.0], requires_grad=True)
    z = 2 * x**2
    if detach_z:
        z = z.detach()
    w = z**3
    p = z.detach() if detach_p else z
    q = torch.tensor([2.0], requires_grad=True)
    (p * q).backward(retain_graph=True)
    if w.requires_grad:
        w.backward()
    return {"grad": x.grad, "x": x, "w": w}[answer]


def test_ex1_accepts_the_gradient_however_it_was_made(capsys):
    assert ex.cut_branch(branch())
    x = torch.tensor([1.0], requires_grad=True)  # written differently: with torch.autograd.grad and no branch node
    (grad,) = torch.autograd.grad((2 * x**2) ** 3, x)
    assert ex.cut_branch(grad)
    assert out_of(capsys).count("passed") == 2


@pytest.mark.parametrize("answer, cause", [
    (lambda: branch(detach_p=False), "side branch p * q still sends its gradient"),
    (lambda: branch(answer="x"), "it is x itself"),
    (lambda: branch(answer="w"), "a result of the computation"),
    (lambda: torch.tensor([8.0]), "only the side branch reached x"),
    (lambda: None, "no backward reached this x"),
])
def test_ex1_rejects_the_undetached_branch_and_the_wrong_tensor(answer, cause, capsys):
    assert not ex.cut_branch(answer())
    out = out_of(capsys)
    assert out.startswith("✘ 01.1") and cause in out, out


def test_ex1_x_instead_of_its_grad_is_not_blamed_on_the_graph(capsys):
    ex.cut_branch(branch(answer="x"))
    out = out_of(capsys)
    assert "x_grad = x.grad" in out and "attached to the autograd graph" not in out


def test_ex1_not_attempted(capsys):
    assert not ex.cut_branch(...)
    assert "not attempted yet" in out_of(capsys)


# --- 01.2 move the cut (Modify) --------------------------------------------------------------------


def test_ex2_accepts_the_names_in_any_order_and_container(capsys):
    assert ex.gradients_after_detach(["lin3.weight", "lin3.bias"])
    assert ex.gradients_after_detach(("lin3.bias", "lin3.weight"))
    assert ex.gradients_after_detach({"lin3.bias", "lin3.weight"})
    assert out_of(capsys).count("passed") == 3


@pytest.mark.parametrize("answer, cause", [
    (["lin2.weight", "lin2.bias", "lin3.weight", "lin3.bias"], "these get no gradient: ['lin2.bias', 'lin2.weight']"),
    (["lin3.weight"], "missing ['lin3.bias']"),
    (["layer3.weight"], "not parameters of the chain"),
    ("lin3.weight", "not a single string"),
    (None, "got NoneType"),
])
def test_ex2_rejects_layers_before_the_cut_and_malformed_names(answer, cause, capsys):
    assert not ex.gradients_after_detach(answer)
    out = out_of(capsys)
    assert out.startswith("✘ 01.2") and cause in out, out
    assert "hint:" in out or cause.startswith("these get") or cause.startswith("missing") or "string" in out, out


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
           "make the fakes once as G(noise).detach()")
wrong.case(3, d_steps(detach=False, fresh=True), "reached the generator", "fake.detach()")
wrong.case(3, d_steps(zero_grad="once"), "used gradients left in .grad", "at the start of every one of the k steps")
wrong.case(3, d_steps(zero_grad="last"), "used gradients left in .grad", "at the start of every one of the k steps")
wrong.case(3, d_steps(keep=lambda loss: loss), "loss 1 of 2 is a tensor still attached to the graph",
           "append loss.item()")


@wrong(3, "its gradients are empty after your steps", "zero_grad() ran between backward and step")
def steps_zero_grad_between(G, D, opt_D, real, noise, k):
    fake = G(noise).detach()
    for _ in range(k):
        d_loss(D, real, fake).backward()
        opt_D.zero_grad()
        opt_D.step()
    return [0.0] * k


@wrong(3, "d_steps returned one number, expected a list of 2 losses", "return the whole list")
def steps_returning_the_last_loss(G, D, opt_D, real, noise, k):
    return steps_right(G, D, opt_D, real, noise, k)[-1]


@wrong(3, "the losses you returned are not each step's D loss", "before opt_D.step()")
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


wrong.case(4, lambda x, q: q(x), "gradient with respect to x is zero", "(q(x) - x) must be detached as a whole")
wrong.case(4, lambda x, q: x + (q(x) - x), "gradient with respect to x is zero", "detach is missing")
wrong.case(4, lambda x, q: x + q(x).detach() - x, "gradient with respect to x is zero",
           "detach is missing or misplaced")
wrong.case(4, lambda x, q: x.detach() + (q(x) - x), "minus the incoming one", "keep x itself attached")
wrong.case(4, lambda x, q: q(x).detach(), "does not require grad", "detach only the correction")
wrong.case(4, lambda x, q: x + (x - q(x)).detach(), "the forward value", "must be q(x)")
wrong.case(4, lambda x, q: None, "ste returned None", "return")
wrong.case(4, lambda x, q: x.data.copy_(q(x)), "changed its input x in place", "do not modify x")
wrong.case(4, lambda x, q: q(x).tolist(), "should return a tensor", "return the tensor itself")
wrong.case(4, lambda x, q: q(x, 2), "your ste raised TypeError", "the error comes from inside your ste")
test_ex4_rejects_a_missing_or_misplaced_detach = wrong.rejects(4, ex.straight_through)


def test_ex4_not_attempted_and_stub(capsys):
    assert not ex.straight_through(...)
    def stub(x, q):
        raise NotImplementedError("return a tensor with the value q(x) and the gradient of x")
    assert not ex.straight_through(stub)
    assert out_of(capsys).count("not attempted yet") == 2
