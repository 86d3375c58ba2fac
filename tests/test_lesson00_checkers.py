"""Lesson 00's checkers from both sides: plausible wrong answers (and the declared mutants of each reference
answer) are rejected with a hint naming the real cause, and right answers written differently pass."""

import warnings

import torch

from checker_helpers import WrongAnswers, accepts
from gradflow.exercises import autograd_refresher as ex

wrong = WrongAnswers("00")


# --- 00.1 grad after two backward calls (the warm-up) ---------------------------------------------


def two_backwards(a):  # the reference answer
    for _ in range(2):
        ((a + 3) * (a + 3) * 3).mean().backward()
    return a.grad


def two_backwards_pow_and_torch_mean(a):
    for _ in range(2):
        out = torch.mean(3 * (a + 3) ** 2)
        out.backward()
    return a.grad


def two_backwards_unrolled_with_clone(a):
    out = (3 * (a + 3).pow(2)).mean()
    out.backward()
    out = (3 * (a + 3).pow(2)).mean()
    out.backward()
    return a.grad.clone()


test_ex1_accepts_right_answers = accepts(ex.grad_after_two_backwards, "00.1", [
    two_backwards, two_backwards_pow_and_torch_mean, two_backwards_unrolled_with_clone])


@wrong(1, "your function worked on a tensor of its own", "use the argument a", kind="hard-coded")
def _builds_its_own_a(a):
    a1 = torch.tensor([2.0, 3.0], requires_grad=True)
    for _ in range(2):
        ((a1 + 3) * (a1 + 3) * 3).mean().backward()
    return a1.grad


@wrong(1, "the gradient of 3 (a + 3)^2 summed, once", "out is the mean", kind="narrow")
def _one_backward_of_the_sum(a):  # equals two backwards of the mean for a of length 2 only
    (3 * (a + 3) ** 2).sum().backward()
    return a.grad


@wrong(1, "summed, twice", "out is the mean over the elements of a, not the sum", kind="other")
def _two_backwards_of_the_sum(a):  # the issue: it was told "after 4 backward calls"
    for _ in range(2):
        (3 * (a + 3) ** 2).sum().backward()
    return a.grad


@wrong(1, "after 1 backward call of the mean", "count the backward calls", kind="other")
def _one_backward(a):
    ((a + 3) * (a + 3) * 3).mean().backward()
    return a.grad


@wrong(1, "after 3 backward calls", "added to", kind="other")
def _three_backwards(a):
    for _ in range(3):
        ((a + 3) * (a + 3) * 3).mean().backward()
    return a.grad


@wrong(1, "returned a itself", "return that", kind="return")
def _returns_a(a):
    two_backwards(a)
    return a


@wrong(1, "should return a tensor, got list", "not a list", kind="return")
def _returns_a_list(a):
    return two_backwards(a).tolist()


@wrong(1, "returned None", "return a.grad", kind="return")
def _returns_nothing(a):
    two_backwards(a)


@wrong(1, "after 1 backward call", "added to", kind="state")
def _clears_between_calls(a):  # a zero_grad between the calls: the first gradient is lost
    for _ in range(2):
        a.grad = None
        ((a + 3) * (a + 3) * 3).mean().backward()
    return a.grad


wrong.case(1, torch.tensor([30.0, 36.0]), "pass your function two_backwards itself", "def two_backwards")
test_ex1_rejects_mutants = wrong.rejects(1, ex.grad_after_two_backwards)


# --- 00.2 the gradient of a hidden activation (Modify) -------------------------------------------


def hidden_grad(first, second, x):  # the reference answer
    h = first(x)
    second(h).sum().backward(inputs=[h])
    return h.grad


def hidden_grad_with_autograd_grad(first, second, x):
    h = first(x)
    (grad,) = torch.autograd.grad(second(h).sum(), h)
    return grad


def hidden_grad_from_a_detached_leaf(first, second, x):  # no graph through first at all
    h = first(x).detach().requires_grad_()
    second(h).sum().backward(inputs=[h])
    return h.grad


def hidden_grad_saving_and_restoring(first, second, x):  # a full backward, the parameters' .grad put back
    params = [*first.parameters(), *second.parameters(), *([x] if x.requires_grad else [])]
    saved = [None if p.grad is None else p.grad.clone() for p in params]  # backward adds into .grad in place
    h = first(x)
    h.retain_grad()
    second(h).sum().backward()
    for p, g in zip(params, saved):
        p.grad = g
    return h.grad


test_ex2_accepts_right_answers = accepts(ex.non_leaf_grad, "00.2", [
    hidden_grad, hidden_grad_with_autograd_grad, hidden_grad_from_a_detached_leaf, hidden_grad_saving_and_restoring])


@wrong(2, "your backward filled the parameters too", "loss.backward(inputs=[h])", kind="state")
def _retain_grad_and_full_backward(first, second, x):  # section 2's cell, retyped
    h = first(x)
    h.retain_grad()
    second(h).sum().backward()
    return h.grad


@wrong(2, "was cleared", "leave the parameters' .grad as you found it", kind="state")
def _full_backward_then_zero_grad(first, second, x):  # hides the filled .grad by erasing the caller's too
    h = first(x)
    h.retain_grad()
    second(h).sum().backward()
    first.zero_grad()
    second.zero_grad()
    return h.grad


@wrong(2, "returned None", "h is not a leaf", kind="other")
def _no_retain_grad(first, second, x):
    h = first(x)
    second(h).sum().backward(inputs=list(first.parameters()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return h.grad


@wrong(2, "gradient of the mean", "not .mean()", kind="other")
def _mean_not_sum(first, second, x):
    h = first(x)
    second(h).mean().backward(inputs=[h])
    return h.grad


@wrong(2, "still attached to the autograd graph", "hand over the value only", kind="return")
def _returns_with_a_graph(first, second, x):
    h = first(x)
    (grad,) = torch.autograd.grad(second(h).sum(), h, create_graph=True)
    return grad


@wrong(2, "not of h's", "return the gradient of h = first(x)", kind="return")
def _returns_the_gradient_of_x(first, second, x):
    leaf = x.detach().requires_grad_()
    second(first(leaf)).sum().backward(inputs=[leaf])
    return leaf.grad


@wrong(2, "hidden_grad for x of shape", "compare with the gradient of h", kind="narrow")
def _read_off_the_last_weight(first, second, x):  # exact only if second were a single Linear
    h = first(x)
    return second[-1].weight.detach().sum(0).expand_as(h).clone()


@wrong(2, "the caller's x.grad changed", "stop the backward at h", kind="ignored")
def _backward_into_x(first, second, x):  # inputs=[h, x]: also writes into the caller's x
    h = first(x)
    h.retain_grad()
    second(h).sum().backward(inputs=[h, *([x] if x.requires_grad else [])])
    return h.grad


wrong.case(2, torch.tensor([0.5, 0.5]), "pass your function hidden_grad itself", "def hidden_grad")
test_ex2_rejects_mutants = wrong.rejects(2, ex.non_leaf_grad)


# --- 00.3 a derivative function (Make) ------------------------------------------------------------


def derivative(f, x):  # the reference answer
    x = x.detach().clone().requires_grad_()
    f(x).sum().backward()
    return x.grad


def derivative_with_autograd_grad(f, x):  # torch.autograd.grad, no .grad at all
    leaf = torch.tensor(x.tolist(), requires_grad=True)
    (grad,) = torch.autograd.grad(f(leaf), leaf, grad_outputs=torch.ones_like(leaf))
    return grad


def derivative_with_gradient_argument(f, x):  # backward(v) with v = ones, and a detached copy
    leaf = x.clone().detach()
    leaf.requires_grad = True
    y = f(leaf)
    y.backward(torch.ones_like(y))
    return leaf.grad.clone()


test_ex3_accepts_right_answers = accepts(ex.derivative_function, "00.3", [
    derivative, derivative_with_autograd_grad, derivative_with_gradient_argument])


@wrong(3, "make a fresh leaf with x.detach().clone().requires_grad_()", kind="other")
def _no_requires_grad(f, x):
    x = x.clone()
    f(x).sum().backward()
    return x.grad


@wrong(3, "x.requires_grad was False, it is now True", "work on a copy", kind="state")
def _on_the_callers_x(f, x):
    x.requires_grad_()
    f(x).sum().backward()
    return x.grad


@wrong(3, "x.requires_grad was False, it is now True", "work on a copy", kind="state")
def _on_the_callers_x_zeroing_first(f, x):  # never accumulates, but changes the caller's tensor
    x.requires_grad_()
    x.grad = None
    f(x).sum().backward()
    return x.grad


@wrong(3, "changed the caller's x.grad", "x.clone() stays in x's graph", kind="state")
def _clone_without_detach(f, x):  # the issue: right while x does not require grad
    leaf = x.clone().requires_grad_()
    f(leaf).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return leaf.grad


@wrong(3, "call backward on f(x).sum()", kind="other")
def _no_sum(f, x):
    x = x.detach().clone().requires_grad_()
    f(x).backward()
    return x.grad


@wrong(3, "a non-leaf's .grad stays None", kind="other")
def _grad_of_a_non_leaf(f, x):
    leaf = x.detach().clone().requires_grad_()
    y = leaf * 1  # a copy inside the graph: not a leaf
    f(y).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return y.grad


@wrong(3, "returned f(x) itself", kind="return")
def _returns_the_value(f, x):
    x = x.detach().clone().requires_grad_()
    return f(x).detach()


@wrong(3, "still attached to the autograd graph", kind="return")
def _returns_attached(f, x):
    x = x.detach().clone().requires_grad_()
    (grad,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    return grad


@wrong(3, "has shape (6,), expected (2, 3)", "of x's shape", kind="narrow")
def _flattens(f, x):  # right for the 1-D inputs a notebook tries first
    leaf = x.detach().flatten().clone().requires_grad_()
    f(leaf).sum().backward()
    return leaf.grad


@wrong(3, "derivative(_cube, x) for x of shape (3,) is", "of x's shape and values", kind="hard-coded")
def _hard_coded_x(f, x):  # the lesson's a = [2, 3], whatever x is
    leaf = torch.tensor([2.0, 3.0, 4.0], requires_grad=True)
    f(leaf).sum().backward()
    return leaf.grad


@wrong(3, "derivative(_cube, x) for x of shape (3,) is", kind="ignored")
def _ignores_f(f, x):  # sin, the lesson's example of an element-wise function, whatever f is
    leaf = x.detach().clone().requires_grad_()
    torch.sin(leaf).sum().backward()
    return leaf.grad


wrong.case(3, derivative(lambda t: t, torch.ones(3)), "pass your function derivative itself")
test_ex3_rejects_mutants = wrong.rejects(3, ex.derivative_function)


def test_derivative_not_attempted(capsys):
    def not_implemented(f, x):
        raise NotImplementedError

    assert not ex.derivative_function(not_implemented)
    assert "not attempted yet" in capsys.readouterr().out


def test_checkers_read_no_non_leaf_grad_warning(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a checker itself must not trigger the non-leaf .grad warning
        assert ex.non_leaf_grad(hidden_grad)
        assert not ex.non_leaf_grad(_retain_grad_and_full_backward)
