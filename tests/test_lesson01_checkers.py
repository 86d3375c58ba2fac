"""Lesson 01's checkers from both sides: plausible wrong answers are rejected with a hint naming the
real cause, and right answers written differently from the solution pass."""

import pytest
import torch

from gradflow.exercises import detach as ex
from gradflow.gan import bce


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


# --- 01.3 a discriminator step that leaves G alone (Modify) -----------------------------------------


def d_loss(D, real, fake):
    return bce(D(real), 1.0) + bce(D(fake), 0.0)


def step_right(G, D, opt_D, real, noise):
    opt_D.zero_grad()
    d_loss(D, real, G(noise).detach()).backward()
    opt_D.step()


def step_under_no_grad(G, D, opt_D, real, noise):
    with torch.no_grad():  # the fakes carry no graph at all: also cannot reach G
        fake = G(noise)
    D.zero_grad(set_to_none=False)  # zeros instead of None: the same update
    loss = bce(D(fake), 0.0) + bce(D(real), 1.0)  # the terms in the other order
    loss.backward()
    opt_D.step()


def step_without_zero_grad(G, D, opt_D, real, noise):
    d_loss(D, real, G(noise).detach()).backward()
    opt_D.step()


def step_zero_grad_between(G, D, opt_D, real, noise):
    d_loss(D, real, G(noise).detach()).backward()
    opt_D.zero_grad()
    opt_D.step()


def step_zero_grad_last(G, D, opt_D, real, noise):
    d_loss(D, real, G(noise).detach()).backward()
    opt_D.step()
    opt_D.zero_grad()


def step_without_detach(G, D, opt_D, real, noise):
    opt_D.zero_grad()
    d_loss(D, real, G(noise)).backward()
    opt_D.step()


def step_without_detach_then_hidden(G, D, opt_D, real, noise):
    opt_D.zero_grad()
    d_loss(D, real, G(noise)).backward()
    opt_D.step()
    G.zero_grad()  # clearing G's .grad afterwards does not undo the wasted backward


def step_without_step(G, D, opt_D, real, noise):
    opt_D.zero_grad()
    d_loss(D, real, G(noise).detach()).backward()


def step_with_wrong_loss(G, D, opt_D, real, noise):
    opt_D.zero_grad()
    D(G(noise).detach()).mean().backward()
    opt_D.step()


def step_that_throws(G, D, opt_D, real, noise):
    opt_D.zero_grad()
    d_loss(D, real, G(real).detach()).backward()  # G takes noise: a shape error


def test_ex3_accepts_detach_and_no_grad_fakes(capsys):
    assert ex.discriminator_step(step_right)
    assert ex.discriminator_step(step_under_no_grad)
    assert out_of(capsys).count("passed") == 2


@pytest.mark.parametrize("d_step, cause, hint", [
    (step_without_zero_grad, "used gradients left in .grad", "opt_D.zero_grad() at the start of every step"),
    (step_zero_grad_last, "used gradients left in .grad", "opt_D.zero_grad() at the start of every step"),
    (step_zero_grad_between, "its gradients are empty after your step", "zero_grad() ran between backward and step"),
    (step_without_detach, "reached the generator", "fake.detach()"),
    (step_without_detach_then_hidden, "reached the generator", "fake.detach()"),
    (step_without_step, "though its gradients are set", "call step() on the optimizer you are given"),
    (step_with_wrong_loss, "differs from correct D steps", "BCE(D(real), 1) + BCE(D(fake), 0)"),
    (step_that_throws, "your d_step raised RuntimeError", "the error comes from inside d_step"),
])
def test_ex3_rejects_missing_zero_grad_missing_detach_and_other_mistakes(d_step, cause, hint, capsys):
    assert not ex.discriminator_step(d_step)
    out = out_of(capsys)
    assert out.startswith("✘ 01.3") and cause in out and hint in out, out


def test_ex3_zero_grad_between_backward_and_step_is_not_told_to_call_step(capsys):
    ex.discriminator_step(step_zero_grad_between)
    assert "call step()" not in out_of(capsys)


@pytest.mark.parametrize("answer, line", [(..., "not attempted yet"), (None, "pass your function d_step itself"),
                                          ("d_step", "pass your function d_step itself")])
def test_ex3_placeholders_and_wrong_types(answer, line, capsys):
    assert not ex.discriminator_step(answer)
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


@pytest.mark.parametrize("ste, cause, hint", [
    (lambda x, q: q(x), "gradient with respect to x is zero", "(q(x) - x) must be detached as a whole"),
    (lambda x, q: x + (q(x) - x), "gradient with respect to x is zero", "detach is missing"),
    (lambda x, q: x + q(x).detach() - x, "gradient with respect to x is zero", "detach is missing or misplaced"),
    (lambda x, q: x.detach() + (q(x) - x), "minus the incoming one", "keep x itself attached"),
    (lambda x, q: q(x).detach(), "does not require grad", "detach only the correction"),
    (lambda x, q: x + (x - q(x)).detach(), "the forward value", "must be q(x)"),
    (lambda x, q: None, "ste returned None", "return"),
    (lambda x, q: x.data.copy_(q(x)), "changed its input x in place", "do not modify x"),
    (lambda x, q: q(x).tolist(), "should return a tensor", "return the tensor itself"),
    (lambda x, q: q(x, 2), "your ste raised TypeError", "the error comes from inside ste"),
])
def test_ex4_rejects_a_missing_or_misplaced_detach(ste, cause, hint, capsys):
    assert not ex.straight_through(ste)
    out = out_of(capsys)
    assert out.startswith("✘ 01.4") and cause in out and hint in out, out


def test_ex4_not_attempted_and_stub(capsys):
    assert not ex.straight_through(...)
    def stub(x, q):
        raise NotImplementedError("return a tensor with the value q(x) and the gradient of x")
    assert not ex.straight_through(stub)
    assert out_of(capsys).count("not attempted yet") == 2


def test_checkers_leave_the_learners_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    ex.discriminator_step(step_right)
    ex.straight_through(lambda x, q: x + (q(x) - x).detach())
    assert torch.equal(torch.rand(3), expected)
