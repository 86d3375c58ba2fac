"""Lesson 10's checkers from both sides: mutants of the reference answers are rejected with the cause and
hint their line must state, and right answers written differently pass (tests/checker_helpers.py)."""

import math

import torch

from checker_helpers import WrongAnswers, accepts
from gradflow.exercises import audit as ex

wrong = WrongAnswers("10")


# --- 10.1 the gradient at any point -------------------------------------------------------------


def _grad_by_multiplying(x0):
    x = torch.tensor(float(x0), requires_grad=True)
    torch.mul(x, x).backward()
    return x.grad


def _grad_of_pow(x0):
    x = torch.tensor(x0, requires_grad=True)
    y = x.pow(2)
    (grad,) = torch.autograd.grad(y, x)
    return grad


test_ex1_accepts_gradients_taken_differently = accepts(ex.gradient_at, "10.1", [_grad_by_multiplying, _grad_of_pow])


@wrong(1, "the same at every point", "build x from x0", kind="hard-coded")
def _the_notebooks_value(x0):
    return torch.tensor(6.0)


@wrong(1, "the sign is lost", "build x from x0", kind="narrow")
def _sign_dropped(x0):
    x = torch.tensor(abs(x0), requires_grad=True)
    (x * x).backward()
    return x.grad


@wrong(1, "requires grad", "return x.grad", kind="return")
def _the_input_itself(x0):
    x = torch.tensor(x0, requires_grad=True)
    (x * x).backward()
    return x


@wrong(1, "gradient_at(-1.5) is None", "build x from x0", kind="return")
def _no_backward(x0):
    x = torch.tensor(x0, requires_grad=True)
    return x.grad


@wrong(1, "left gradient tracking switched off", "torch.no_grad()", kind="state")
def _grad_mode_left_off(x0):
    x = torch.tensor(x0, requires_grad=True)
    (x * x).backward()
    torch.set_grad_enabled(False)
    return x.grad


@wrong(1, "twice the derivative", "one backward", kind="other")
def _two_backwards(x0):
    x = torch.tensor(x0, requires_grad=True)
    (x * x).backward()
    (x * x).backward()
    return x.grad


@wrong(1, "half the derivative", "one backward", kind="other")
def _one_factor_detached(x0):
    x = torch.tensor(x0, requires_grad=True)
    (x * x.detach()).backward()
    return x.grad


test_ex1_rejects_mutants = wrong.rejects(1, ex.gradient_at)


# --- 10.2 the derivative of any function ----------------------------------------------------


def _derivative_by_grad(f, x0):
    x = torch.tensor(float(x0), requires_grad=True)
    return torch.autograd.grad(f(x), x)[0]


def _derivative_by_backward(f, x0):
    x = torch.tensor(x0).requires_grad_()
    f(x).backward()
    return x.grad


test_ex2_accepts_derivatives_taken_differently = accepts(ex.derivative, "10.2",
                                                         [_derivative_by_grad, _derivative_by_backward])


@wrong(2, "derivative(sin, -1.5) is -3", "the function you were given", kind="ignored")
def _always_the_square(f, x0):
    x = torch.tensor(float(x0), requires_grad=True)
    (x * x).backward()
    return x.grad


@wrong(2, "derivative(sin, -1.5) is", "make x a leaf", kind="hard-coded")
def _at_the_notebooks_point(f, x0):
    x = torch.tensor(2.0, requires_grad=True)
    f(x).backward()
    return x.grad


@wrong(2, "derivative(cube, 0.25) is 0.1876, expected 0.1875", "a finite difference is only close", kind="shortcut")
def _finite_difference(f, x0):
    h = 1e-2
    return (f(torch.tensor(x0 + h)) - f(torch.tensor(x0 - h))) / (2 * h)


@wrong(2, "derivative(sin, -1.5) is", "make x a leaf", kind="return")
def _the_value_not_the_slope(f, x0):
    return f(torch.tensor(float(x0)))


@wrong(2, "left gradient tracking switched off", "torch.no_grad()", kind="state")
def _grad_mode_left_off_2(f, x0):
    x = torch.tensor(float(x0), requires_grad=True)
    f(x).backward()
    torch.set_grad_enabled(False)
    return x.grad


@wrong(2, "derivative(cube, -1.5) is", "the function you were given", kind="narrow")
def _right_for_sin_only(f, x0):
    return torch.tensor(math.cos(x0))


test_ex2_rejects_mutants = wrong.rejects(2, ex.derivative)
