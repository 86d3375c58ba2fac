"""Lesson 00's checkers from both sides: plausible wrong answers are rejected with a hint naming the
real cause, and right answers written differently from the solution pass."""

import warnings

import pytest
import torch

from gradflow.exercises import autograd_refresher as ex


def last_line(capsys) -> str:
    return capsys.readouterr().out


def fresh_a():
    return torch.tensor([2.0, 3.0], requires_grad=True)


# --- 00.1 grad after two backward calls (the warm-up) ---------------------------------------------


def test_ex1_accepts_the_solution_and_a_differently_built_answer(capsys):
    a = fresh_a()
    for _ in range(2):
        ((a + 3) * (a + 3) * 3).mean().backward()
    assert ex.grad_after_two_backwards(a.grad)
    b = fresh_a()  # one backward of the doubled output, written with ** and sum
    (2 * (3 * (b + 3) ** 2).sum() / 2).backward()
    assert ex.grad_after_two_backwards(b.grad)
    assert ex.grad_after_two_backwards(torch.tensor([30, 36]))  # integers typed by hand
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("answer, cause", [
    (torch.tensor([15.0, 18.0]), "after 1 backward call"),
    (torch.tensor([45.0, 54.0]), "after 3 backward calls"),
    (fresh_a(), "a itself, not its gradient"),
    (None, "no backward reached a"),
    (torch.tensor([30.0, 36.0, 0.0]), "shape (3,)"),
    ("[30, 36]", "should be a tensor"),
])
def test_ex1_rejects_plausible_mistakes(answer, cause, capsys):
    assert not ex.grad_after_two_backwards(answer)
    out = capsys.readouterr().out
    assert out.startswith("✘ 00.1") and cause in out, out


def test_grad_after_two_backwards_not_attempted(capsys):
    assert not ex.grad_after_two_backwards(...)
    assert "not attempted yet" in capsys.readouterr().out


# --- 00.2 keep the gradient of c (Modify) -----------------------------------------------------------


def build(retain=True, retain_after=False, reduce="mean", backwards=1):
    a = fresh_a()
    b = a + 3
    c = 3 * b * b
    if retain:
        c.retain_grad()
    for _ in range(backwards):
        (c.mean() if reduce == "mean" else c.sum()).backward(retain_graph=True)
    if retain_after:
        c.retain_grad()
    return a, b, c


def test_ex2_accepts_right_answers(capsys):
    assert ex.non_leaf_grad(build()[2])
    a = fresh_a()  # written differently: pow, and torch.mean
    c = (a + 3).pow(2).mul(3)
    c.retain_grad()
    torch.mean(c).backward()
    assert ex.non_leaf_grad(c)
    assert capsys.readouterr().out.count("passed") == 2


@pytest.mark.parametrize("kwargs, cause", [
    (dict(retain=False), "call c.retain_grad() before backward"),
    (dict(retain=False, retain_after=True), "call it before out.backward()"),
    (dict(reduce="sum"), "mean of c, not the sum"),
    (dict(backwards=2), "twice the expected value"),
])
def test_ex2_rejects_plausible_mistakes(kwargs, cause, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker itself must not trigger the non-leaf .grad warning
        assert not ex.non_leaf_grad(build(**kwargs)[2])
    out = capsys.readouterr().out
    assert out.startswith("✘ 00.2") and cause in out, out


def test_non_leaf_grad_names_b_and_leaves(capsys):
    _, b, _ = build()
    assert not ex.non_leaf_grad(b)
    assert "you passed b" in capsys.readouterr().out
    assert not ex.non_leaf_grad(torch.tensor([75.0, 108.0]))
    assert "c is a leaf" in capsys.readouterr().out
    assert not ex.non_leaf_grad([75.0, 108.0])
    assert "should be a Tensor" in capsys.readouterr().out


# --- 00.3 a derivative function (Make) ------------------------------------------------------------


def derivative(f, x):
    x = x.detach().clone().requires_grad_()
    f(x).sum().backward()
    return x.grad


def derivative_with_autograd_grad(f, x):  # a different right answer: torch.autograd.grad, no .grad at all
    leaf = torch.tensor(x.tolist(), requires_grad=True)
    (grad,) = torch.autograd.grad(f(leaf), leaf, grad_outputs=torch.ones_like(leaf))
    return grad


def derivative_with_gradient_argument(f, x):  # backward(v) with v = ones, and a detached copy
    leaf = x.clone().detach()
    leaf.requires_grad = True
    y = f(leaf)
    y.backward(torch.ones_like(y))
    return leaf.grad.clone()


@pytest.mark.parametrize("right", [derivative, derivative_with_autograd_grad, derivative_with_gradient_argument])
def test_ex3_accepts_right_answers(right, capsys):
    assert ex.derivative_function(right)
    assert "passed" in capsys.readouterr().out


def no_requires_grad(f, x):
    x = x.clone()
    f(x).sum().backward()
    return x.grad


def on_the_callers_x(f, x):
    x.requires_grad_()
    f(x).sum().backward()
    return x.grad


def on_the_callers_x_zeroing_first(f, x):  # never accumulates, but changes the caller's tensor
    x.requires_grad_()
    x.grad = None
    f(x).sum().backward()
    return x.grad


def no_sum(f, x):
    x = x.detach().clone().requires_grad_()
    f(x).backward()
    return x.grad


def grad_of_a_non_leaf(f, x):
    leaf = x.detach().clone().requires_grad_()
    y = leaf * 1  # a copy inside the graph: not a leaf
    f(y).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return y.grad


def returns_the_value(f, x):
    x = x.detach().clone().requires_grad_()
    return f(x).detach()


def returns_attached(f, x):
    x = x.detach().clone().requires_grad_()
    (grad,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    return grad


def not_implemented(f, x):
    raise NotImplementedError


@pytest.mark.parametrize("wrong, cause", [
    (no_requires_grad, "make a fresh leaf with x.detach().clone().requires_grad_()"),
    (on_the_callers_x, ".grad accumulates"),
    (on_the_callers_x_zeroing_first, "changed the caller's x"),
    (no_sum, "call backward on f(x).sum()"),
    (grad_of_a_non_leaf, "a non-leaf's .grad stays None"),
    (returns_the_value, "returned f(x) itself"),
    (returns_attached, "still attached to the autograd graph"),
    (derivative(lambda t: t, torch.ones(3)), "pass your function derivative itself"),
])
def test_ex3_rejects_plausible_mistakes(wrong, cause, capsys):
    assert not ex.derivative_function(wrong)
    out = capsys.readouterr().out
    assert out.startswith("✘ 00.3") and cause in out, out


def test_derivative_not_attempted(capsys):
    assert not ex.derivative_function(not_implemented)
    assert "not attempted yet" in capsys.readouterr().out
