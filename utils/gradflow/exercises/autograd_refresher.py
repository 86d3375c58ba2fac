"""Checkers for lesson 00, the autograd refresher: a warm-up, a Modify and a Make exercise."""

from __future__ import annotations

import torch

from ..checking import Wrong, exercise, expect_function, expect_tensor, expect_type, run_learner

LESSON = "00_autograd_refresher"


@exercise(LESSON, 1, "grad after two backward calls")
def grad_after_two_backwards(answer):
    # out = mean(3 (a + 3)^2) at a = [2, 3]: d out / d a = 3 (a + 3) = [15, 18]; twice accumulated = [30, 36]
    expected = torch.tensor([30.0, 36.0])
    if answer is None:
        raise Wrong("a.grad is None", "no backward reached a: create a with requires_grad=True, then call "
                    "backward() on each out")
    if isinstance(answer, torch.Tensor) and answer.requires_grad and answer.is_leaf:
        raise Wrong("you passed a tensor that requires grad: a itself, not its gradient",
                    "the gradient lives in a.grad; pass that")
    if isinstance(answer, torch.Tensor) and answer.shape == expected.shape:
        ratio = answer.detach().float() / (expected / 2)
        calls = float(ratio[0])
        if torch.allclose(ratio, ratio[0].expand_as(ratio)) and calls == round(calls) and calls not in (0.0, 2.0):
            calls = int(calls)
            raise Wrong(f"that is the gradient after {calls} backward call{'s' if calls != 1 else ''}, not 2",
                        ".grad is not replaced by a backward call, it is added to: run a fresh a through "
                        "exactly two forward + backward passes")
    expect_tensor(answer, expected, "a.grad",
                  "each backward adds its gradient into .grad; what do two calls of [15, 18] add up to?")


@exercise(LESSON, 2, "keep the gradient of c")
def non_leaf_grad(c):
    # c = 3 b^2 = [75, 108] for b = a + 3, a = [2, 3]; out = mean(c) gives each element of c the gradient 1/2
    expect_type(c, torch.Tensor, "c")
    if c.is_leaf:
        raise Wrong("c is a leaf tensor here", "build c from a: b = a + 3, then c = 3 * b * b, with a requiring grad")
    if type(c.grad_fn).__name__ == "AddBackward0":
        raise Wrong("you passed b (made by a + 3), not c", "c is 3 * b * b; keep and pass that tensor")
    if not torch.allclose(c.detach().float(), torch.tensor([75.0, 108.0])):
        raise Wrong("c does not hold 3 (a + 3)^2 for a = [2, 3]", "start from a = torch.tensor([2.0, 3.0], requires_grad=True)")
    if not c.retains_grad:  # checked before reading .grad: reading it would print a warning
        raise Wrong("c does not keep its gradient (c.retains_grad is False)",
                    "c is not a leaf: call c.retain_grad() before backward, so autograd keeps its gradient")
    if c.grad is None:
        raise Wrong("c.grad is None although c.retain_grad() was called",
                    "retain_grad() only acts on a backward that runs after it: call it before out.backward()")
    grad = c.grad.detach()
    if torch.allclose(grad, torch.ones(2)):
        raise Wrong("c.grad is [1, 1], twice the expected value",
                    "out is the mean of c, not the sum (each element gets 1/2), and one backward adds it once")
    expect_tensor(grad, torch.full((2,), 0.5), "c.grad",
                  "build a fresh a and c, call c.retain_grad(), then out = c.mean() and one out.backward()")


def _cube(t):
    return t ** 3


def _wave(t):
    return torch.sin(t) * t


_CASES = [  # (function, its derivative, input); none of them appears in the lesson
    (_cube, lambda t: 3 * t ** 2, torch.tensor([-1.0, 0.5, 2.0])),
    (_wave, lambda t: torch.cos(t) * t + torch.sin(t), torch.tensor([[0.0, 1.0, -2.0], [0.5, 3.0, -0.25]])),
    (torch.exp, torch.exp, torch.tensor([0.0, -1.0, 1.5, 2.0])),
]


#: what backward raises when the learner's derivative forgets a step -> (what happened, what to do)
_DERIVATIVE_ERRORS = {
    "does not require grad": (
        "backward found nothing that requires grad (RuntimeError: element 0 of tensors does not require grad ...)",
        "autograd records a graph only from tensors that require grad: make a fresh leaf with "
        "x.detach().clone().requires_grad_() before you call f"),
    "implicitly created only for scalar outputs": (
        "backward was called on f(x), which holds one value per point (RuntimeError: grad can be implicitly "
        "created only for scalar outputs)",
        "call backward on f(x).sum(): each point's derivative lands in its own slot of .grad"),
}


@exercise(LESSON, 3, "a derivative function")
def derivative_function(derivative):
    expect_function(derivative, "derivative")
    for f, df, x in _CASES:
        x = x.clone()
        expected = df(x)
        first = run_learner(derivative, f, x, name="derivative", errors=_DERIVATIVE_ERRORS)
        if first is None:
            raise Wrong(f"derivative({f.__name__}, x) returned None",
                        "return the .grad of the leaf you called backward from; a non-leaf's .grad stays None")
        if isinstance(first, torch.Tensor) and first.shape == x.shape and torch.allclose(
                first.detach().float(), f(x), atol=1e-5) and not torch.allclose(f(x), expected, atol=1e-5):
            raise Wrong(f"derivative({f.__name__}, x) returned f(x) itself", "return the gradient (.grad), not the value")
        first_value = expect_tensor(first, expected, f"derivative({f.__name__}, x)",
                                    "differentiate f(x).sum() with respect to a leaf made from x").clone()
        second = run_learner(derivative, f, x, name="derivative", errors=_DERIVATIVE_ERRORS)
        if isinstance(second, torch.Tensor) and second.shape == x.shape and torch.allclose(
                second.detach().float(), 2 * expected, atol=1e-4) and not torch.allclose(expected, 2 * expected):
            raise Wrong("a second call on the same x returned twice the derivative",
                        ".grad accumulates: your function reused a tensor whose .grad was already filled; make a "
                        "fresh leaf on every call: x.detach().clone().requires_grad_()")
        expect_tensor(second, first_value, f"a second derivative({f.__name__}, x) on the same x")
        if x.requires_grad or x.grad is not None:
            raise Wrong("your function changed the caller's x (x.requires_grad is now True)",
                        "work on a copy: x.detach().clone().requires_grad_() leaves the caller's tensor alone")
    return f"right for {len(_CASES)} functions the lesson never used, and the same on a second call"
