"""Checkers for lesson 00, the autograd refresher: a warm-up, a Modify and a Make exercise."""

from __future__ import annotations

import torch
from torch import nn

from ..checking import Wrong, exercise, expect_function, expect_tensor, run_learner

LESSON = "00_autograd_refresher"

#: inputs for 00.1: lengths other than the notebook's two (a sum over 2 elements is twice their mean, so
#: ``.sum()`` with one backward equals ``.mean()`` with two only there)
_LEAVES = ([2.0, 3.0], [1.0, -4.0, 0.5], [0.0, 2.0, -1.0, 5.0])


def _grad_of_mean(values: list[float]) -> torch.Tensor:
    """d mean(3 (a + 3)^2) / d a = 6 (a + 3) / n."""
    a = torch.tensor(values)
    return 6 * (a + 3) / len(values)


def _ratio(answer, once: torch.Tensor) -> float | None:
    """``answer / once`` when it is the same number for every element (how many gradients of one backward of the
    mean the answer holds), else None."""
    if not isinstance(answer, torch.Tensor) or answer.shape != once.shape or answer.requires_grad:
        return None
    ratio = answer.detach().float() / once
    return float(ratio[0]) if torch.allclose(ratio, ratio[0].expand_as(ratio)) else None


@exercise(LESSON, 1, "grad after two backward calls")
def grad_after_two_backwards(two_backwards):
    expect_function(two_backwards, "two_backwards")
    ratios = []
    for values in _LEAVES:
        a = torch.tensor(values, requires_grad=True)
        answer = run_learner(two_backwards, a, name="two_backwards")
        if answer is None:
            raise Wrong(f"two_backwards(a) returned None for a = {values}",
                        "look at what the function ends with: return a.grad, after the two backward calls")
        if isinstance(answer, torch.Tensor) and answer is a:
            raise Wrong("two_backwards(a) returned a itself, not its gradient",
                        "the gradient lives in a.grad; return that")
        if not isinstance(answer, torch.Tensor):
            raise Wrong(f"two_backwards(a) should return a tensor, got {type(answer).__name__}",
                        "return a.grad itself (a tensor), not a list or a number made from it")
        if a.grad is None:
            raise Wrong(f"the a passed in (a = {values}) still has a.grad None: your function worked on a tensor of "
                        "its own", "use the argument a: build out from it, so that its backward fills a.grad")
        ratios.append((values, answer, _ratio(answer, _grad_of_mean(values))))
    # a ratio that follows the length of a is a sum where the mean belongs; a constant one counts backward calls
    lengths = [len(values) for values, _, _ in ratios]
    found = [r for _, _, r in ratios]
    if None not in found:
        if all(abs(r - 2 * n) < 1e-3 for r, n in zip(found, lengths)):
            raise Wrong("for a of length n your gradient is 2 n times that of one backward of the mean: the "
                        "gradient of 3 (a + 3)^2 summed, twice",
                        "compare a of length 2 with a of length 3: the mean divides by n; out is the mean over the "
                        "elements of a, not the sum: write out = (3 * (a + 3) ** 2).mean(), once per backward call")
        if all(abs(r - n) < 1e-3 for r, n in zip(found, lengths)):
            raise Wrong("for a of length n your gradient is n times that of one backward of the mean: the gradient "
                        "of 3 (a + 3)^2 summed, once (for a of length 2 it happens to equal two backwards of the mean)",
                        "compare a of length 2 with a of length 3: the mean divides by n; out is the mean, and the task is two backward "
                        "calls of the mean: two rounds of a fresh out = (3 * (a + 3) ** 2).mean() and out.backward()")
        calls = found[0]
        if all(abs(r - calls) < 1e-3 for r in found) and calls == round(calls) and calls != 2 and 0 < calls < 10:
            calls = int(calls)
            raise Wrong(f"that is the gradient after {calls} backward call{'s' if calls != 1 else ''} "
                        "of the mean, not 2",
                        "count the backward calls your function makes: .grad is not replaced by a backward "
                        "call, it is added to; make exactly two rounds of forward + backward")
    for values, answer, _ in ratios:
        expect_tensor(answer, 2 * _grad_of_mean(values), f"two_backwards(a) for a = {values}",
                      "compare with one backward: d out / d a = 6 (a + 3) / n; each backward adds that into .grad")
    return f"right for a of lengths {', '.join(str(n) for n in lengths)}"


def _first_and_second(seed: int, hidden: int, out: int, act: nn.Module):
    torch.manual_seed(seed)
    first = nn.Linear(3, hidden)
    second = nn.Sequential(act, nn.Linear(hidden, out))
    return first, second


def _hidden_cases():
    """(first, second, x, parameters holding a .grad already?): a nonlinearity after h, so the gradient of h
    is not a constant read off a weight; x that requires grad (and holds one), so a backward that reaches it shows."""
    first, second = _first_and_second(1, 4, 2, nn.Tanh())
    yield first, second, torch.randn(5, 3), False
    first, second = _first_and_second(2, 6, 3, nn.Sigmoid())
    x = torch.randn(2, 3, requires_grad=True)
    x.grad = torch.full_like(x, 7.0)
    for p in (*first.parameters(), *second.parameters()):
        p.grad = torch.ones_like(p)  # an earlier step's gradients, which the answer must leave alone
    yield first, second, x, True


@exercise(LESSON, 2, "the gradient of a hidden activation")
def non_leaf_grad(hidden_grad):
    expect_function(hidden_grad, "hidden_grad")
    for first, second, x, held in _hidden_cases():
        params = {**{f"first.{n}": p for n, p in first.named_parameters()},
                  **{f"second.{n}": p for n, p in second.named_parameters()}}
        before = {n: None if p.grad is None else p.grad.clone() for n, p in params.items()}
        x_before, x_grad_before = x.detach().clone(), None if x.grad is None else x.grad.clone()
        h = first(x.detach())
        h_leaf = h.detach().requires_grad_()
        (expected,) = torch.autograd.grad(second(h_leaf).sum(), h_leaf)
        answer = run_learner(hidden_grad, first, second, x, name="hidden_grad")
        where = f"for x of shape {tuple(x.shape)}"
        if answer is None:
            raise Wrong(f"hidden_grad returned None {where}",
                        "print h.grad right after your backward: None means autograd dropped it, because h is not "
                        "a leaf; ask for it before backward (h.retain_grad(), or backward(inputs=[h]))")
        if isinstance(answer, torch.Tensor) and answer.shape == x.shape and x.shape != expected.shape:
            raise Wrong(f"hidden_grad returned a tensor of x's shape {tuple(x.shape)}, not of h's "
                        f"{tuple(expected.shape)}", "that is the gradient of x (or x itself): return the gradient "
                        "of h = first(x), the tensor between the two parts")
        if isinstance(answer, torch.Tensor) and not answer.requires_grad and answer.shape == expected.shape:
            got = answer.detach().float()
            if torch.allclose(got, expected / second(h).numel(), atol=1e-7):
                raise Wrong(f"hidden_grad {where} is the gradient of the mean, {second(h).numel()} times too small",
                            "the loss is second(h).sum(), not .mean()")
        expect_tensor(answer, expected, f"hidden_grad {where}",
                      "compare with the gradient of h by autograd.grad: the loss is second(h).sum() and h = first(x)")
        if not torch.equal(x.detach(), x_before) or x.requires_grad != held:
            raise Wrong("your function changed the caller's x", "leave x as it was: build h from it, do not modify it")
        changed = [n for n, p in params.items() if (p.grad is None) != (before[n] is None)
                   or (p.grad is not None and not torch.equal(p.grad, before[n]))]
        if changed:
            cleared = all(params[n].grad is None for n in changed)
            raise Wrong(f"the .grad of {', '.join(changed)} {'was cleared' if cleared else 'changed'}: "
                        f"{'your function erased gradients it did not make' if cleared else 'your backward filled the parameters too'}",
                        "look at which tensors your backward fills: a plain loss.backward() reaches every parameter; "
                        "ask for h alone (loss.backward(inputs=[h]), or torch.autograd.grad(loss, h)) and leave the "
                        "parameters' .grad as you found it")
        if (x.grad is None) != (x_grad_before is None) or (x.grad is not None and not torch.equal(x.grad, x_grad_before)):
            raise Wrong("the caller's x.grad changed: your backward went on past h into x",
                        "stop the backward at h: loss.backward(inputs=[h]) fills h.grad only")
    return "right for two networks the lesson never used, with their parameters' .grad left alone"


def _cube(t):
    return t ** 3


def _wave(t):
    return torch.sin(t) * t


def _caller_x(values):
    """A caller's x that requires grad and already holds a gradient: the answer must leave both alone."""
    x = torch.tensor(values, requires_grad=True)
    x.grad = torch.full_like(x, 5.0)
    return x


_CASES = [  # (function, its derivative, input); none of them appears in the lesson
    (_cube, lambda t: 3 * t ** 2, lambda: torch.tensor([-1.0, 0.5, 2.0])),
    (_wave, lambda t: torch.cos(t) * t + torch.sin(t), lambda: torch.tensor([[0.0, 1.0, -2.0], [0.5, 3.0, -0.25]])),
    (torch.exp, torch.exp, lambda: torch.tensor([0.0, -1.0, 1.5, 2.0])),
    (torch.tanh, lambda t: 1 - torch.tanh(t) ** 2, lambda: _caller_x([0.3, -1.2])),
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


def _caller_state(x):
    return x.requires_grad, x.detach().clone(), None if x.grad is None else x.grad.clone()


def _check_caller(x, before, name):
    requires_grad, values, grad = before
    if x.requires_grad != requires_grad:
        raise Wrong(f"your function changed the caller's x: x.requires_grad was {requires_grad}, it is now "
                    f"{x.requires_grad} (for {name})",
                    "work on a copy: x.detach().clone().requires_grad_() leaves the caller's tensor alone")
    if not torch.equal(x.detach(), values):
        raise Wrong(f"your function changed the values of the caller's x (for {name})",
                    "work on a copy: x.detach().clone().requires_grad_() leaves the caller's tensor alone")
    if (x.grad is None) != (grad is None) or (x.grad is not None and not torch.equal(x.grad, grad)):
        raise Wrong(f"your function changed the caller's x.grad (for {name}, where x requires grad and holds a "
                    "gradient already): the backward flowed into the caller's x",
                    "x.clone() stays in x's graph when x requires grad: cut it first, "
                    "x.detach().clone().requires_grad_(), so the backward stops at your own leaf")


@exercise(LESSON, 3, "a derivative function")
def derivative_function(derivative):
    expect_function(derivative, "derivative")
    for f, df, make_x in _CASES:
        x = make_x()
        expected = df(x.detach())
        before = _caller_state(x)
        first = run_learner(derivative, f, x, name="derivative", errors=_DERIVATIVE_ERRORS)
        _check_caller(x, before, f.__name__)
        if first is None:
            raise Wrong(f"derivative({f.__name__}, x) returned None",
                        "return the .grad of the leaf you called backward from; a non-leaf's .grad stays None")
        if isinstance(first, torch.Tensor) and first.shape == x.shape and torch.allclose(
                first.detach().float(), f(x.detach()), atol=1e-5) and not torch.allclose(f(x.detach()), expected, atol=1e-5):
            raise Wrong(f"derivative({f.__name__}, x) returned f(x) itself", "return the gradient (.grad), not the value")
        first_value = expect_tensor(first, expected, f"derivative({f.__name__}, x) for x of shape {tuple(x.shape)}",
                                    "differentiate f(x).sum() with respect to a leaf made from x, of x's shape "
                                    "and values").clone()
        second = run_learner(derivative, f, x, name="derivative", errors=_DERIVATIVE_ERRORS)
        _check_caller(x, before, f.__name__)
        if isinstance(second, torch.Tensor) and second.shape == x.shape and torch.allclose(
                second.detach().float(), 2 * expected, atol=1e-4) and not torch.allclose(expected, 2 * expected):
            raise Wrong("a second call on the same x returned twice the derivative",
                        ".grad accumulates: your function reused a tensor whose .grad was already filled; make a "
                        "fresh leaf on every call: x.detach().clone().requires_grad_()")
        expect_tensor(second, first_value, f"a second derivative({f.__name__}, x) on the same x")
    return f"right for {len(_CASES)} functions the lesson never used, and the same on a second call"

#: what the lesson's notebook uses (its checkers); the other names serve the checkers and their tests
__all__ = ["grad_after_two_backwards", "non_leaf_grad", "derivative_function"]
