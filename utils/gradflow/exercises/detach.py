"""Checkers for lesson 01, detach."""

from __future__ import annotations

import torch

from ..checking import Wrong, differing, exercise, expect_function, expect_tensor, run_learner
from ..gan import bce
from ..gan import discriminator_step as reference_d_step
from ..gan import make_small_gan
from ..graph import names_reached
from ..models import LinearChain

LESSON = "01_detach"


@exercise(LESSON, 1, "cut the side branch")
def cut_branch(x_grad):
    # w = (2 x^2)^3 = 8 x^6: dw/dx = 48 at x = 1; the branch p*q adds 4 x q = 8 unless p is detached
    if isinstance(x_grad, torch.Tensor) and x_grad.requires_grad:
        # a gradient read from .grad never requires grad: this is one of the tensors of the computation
        what = "x itself" if x_grad.is_leaf else "a result of the computation (it has a grad_fn)"
        raise Wrong(f"you passed a tensor, not its gradient: your answer requires grad, so it is {what}",
                    "pass the gradient that backward stored: x_grad = x.grad")
    if x_grad is None:
        raise Wrong("x_grad is None: no backward reached this x",
                    "call backward on both outputs (the branch and w), then read x.grad of the same x")
    if isinstance(x_grad, torch.Tensor) and x_grad.numel() == 1 and abs(float(x_grad.detach().sum()) - 56) < 1e-4:
        raise Wrong("x.grad is 56: the side branch p * q still sends its gradient to x",
                    "use p = z.detach(), so that p has no path back to x")
    if isinstance(x_grad, torch.Tensor) and x_grad.numel() == 1 and abs(float(x_grad.detach().sum()) - 8) < 1e-4:
        raise Wrong("x.grad is 8: only the side branch reached x, the main path w did not",
                    "detach the branch's input p, not z itself: w = z**3 must keep its path to x")
    expect_tensor(x_grad, torch.tensor([48.0]), "x.grad",
                  "only w = z**3 should reach x: dw/dx = 48 x^5 = 48 at x = 1")


def _names(answer) -> list[str]:
    if isinstance(answer, str):
        raise Wrong("give a list of parameter names, not a single string",
                    'for example ["lin0.weight", "lin0.bias"]')
    if not isinstance(answer, (list, tuple, set)):
        raise Wrong(f"give a list of parameter names, got {type(answer).__name__}",
                    'put the names in a list of strings, for example ["lin0.weight", "lin0.bias"]')
    if not all(isinstance(n, str) for n in answer):
        raise Wrong("every item should be a parameter name (a string) such as 'lin3.weight'")
    return sorted(set(answer))


@exercise(LESSON, 2, "which parameters get a gradient")
def gradients_after_detach(answer):
    names = _names(answer)
    model = LinearChain(detach_after="lin2")
    truth = sorted(names_reached(model(torch.zeros(1, 4)).sum(), names=model))
    unknown = [n for n in names if n not in dict(model.named_parameters())]
    if unknown:
        raise Wrong(f"not parameters of the chain: {', '.join(unknown)}",
                    "names look like 'lin0.weight' or 'lin3.bias' (see model.named_parameters())")
    if names != truth:
        missing = [n for n in truth if n not in names]
        extra = [n for n in names if n not in truth]
        detail = "; ".join(part for part in [f"missing {missing}" if missing else "",
                                             f"these get no gradient: {extra}" if extra else ""] if part)
        raise Wrong(detail, "detach cuts every path to the layers *before* it; only layers after the cut learn")


def _call(fn, name, *args):
    """Run the learner's function; an error it raises is reported as its own, with the first line of the message."""
    try:
        return run_learner(fn, *args)
    except (Wrong, NotImplementedError):  # a stub still reads "not attempted"
        raise
    except Exception as error:
        text = (str(error).strip().splitlines() or ["(no message)"])[0]
        raise Wrong(f"your {name} raised {type(error).__name__}: {text}",
                    f"the error comes from inside {name}: read the message, fix that line, and run the cell again") \
            from None


def _d_state(D):
    return {n: p.detach().clone() for n, p in D.named_parameters()}


def _stale_gradients(D):
    """Give D the gradients a previous (unrelated) step left behind, as in a real training loop."""
    D.zero_grad()
    D(torch.linspace(-2, 2, 8).unsqueeze(1)).pow(2).mean().backward()


def _reference_run(zero: str, batches, seed_state):
    """D after the D steps on ``batches``, from the same stale gradients: ``zero`` is "first" (the right
    step), "never" (gradients pile up) or "last" (zero_grad after step: the first step sees old gradients)."""
    G, D = make_small_gan()
    D.load_state_dict(seed_state[0])
    G.load_state_dict(seed_state[1])
    _stale_gradients(D)
    opt = torch.optim.SGD(D.parameters(), lr=0.1)
    for real, noise in batches:
        if zero == "first":
            reference_d_step(D, opt, real, G(noise))
            continue
        (bce(D(real), 1.0) + bce(D(G(noise).detach()), 0.0)).backward()
        opt.step()
        if zero == "last":
            opt.zero_grad()
    return D


@exercise(LESSON, 3, "a discriminator step that leaves G alone")
def discriminator_step(d_step):
    expect_function(d_step, "d_step")
    generator, discriminator = make_small_gan()
    start = (discriminator.state_dict(), generator.state_dict())
    start = tuple({k: v.clone() for k, v in sd.items()} for sd in start)
    batches = [(torch.randn(16, 1) + 3.0, torch.randn(16, 2)) for _ in range(3)]
    _stale_gradients(discriminator)  # D's .grad holds gradients of an earlier step: a step must clear them
    opt_d = torch.optim.SGD(discriminator.parameters(), lr=0.1)
    reached = []  # every gradient computed for G, even one the learner's code clears again afterwards
    hooks = [p.register_hook(lambda grad, name=n: reached.append(name)) for n, p in generator.named_parameters()]
    try:
        for number, (real, noise) in enumerate(batches, 1):
            before = _d_state(discriminator)
            _call(d_step, "d_step", generator, discriminator, opt_d, real, noise)
            if reached:
                raise Wrong(f"the discriminator loss reached the generator: a gradient was computed for G.{reached[0]}",
                            "feed the discriminator fake.detach() (or make the fakes under torch.no_grad()), "
                            "so D's loss has no path back into G")
            if all(torch.equal(before[n], p) for n, p in discriminator.named_parameters()):
                grads = [p.grad for p in discriminator.parameters()]
                if all(g is None or not g.any() for g in grads):
                    raise Wrong(f"step {number}: D did not change, and its gradients are empty after your step",
                                "zero_grad() ran between backward and step, throwing the fresh gradients away: "
                                "clear them first, then loss.backward(), then opt_D.step()")
                raise Wrong(f"step {number}: D did not change, though its gradients are set",
                            "call step() on the optimizer you are given (the argument opt_D) after backward")
    finally:
        for hook in hooks:
            hook.remove()
    if not differing(discriminator, _reference_run("first", batches, start)):
        return "G got no gradient; after 3 steps from stale gradients, D is where correct steps put it"
    for zero in ("never", "last"):
        if not differing(discriminator, _reference_run(zero, batches, start)):
            raise Wrong("after 3 steps D differs from correct D steps: each step also used gradients left in .grad "
                        "from before it",
                        "call opt_D.zero_grad() at the start of every step, before backward "
                        "(D's .grad was not empty when the checker called your d_step)")
    name = differing(discriminator, _reference_run("first", batches, start))[0]
    raise Wrong(f"after 3 steps D.{name} differs from correct D steps",
                "loss = BCE(D(real), 1) + BCE(D(fake), 0) with d_loss_of, zero_grad first, one backward, one step")


# --- exercise 4: a straight-through estimator ----------------------------------------------------

#: quantisers the lesson never shows: (name, function); each has a zero (or no) gradient almost everywhere
QUANTISERS = [
    ("rounding to quarters", lambda t: torch.round(t * 4) / 4),
    ("sign", torch.sign),
    ("three levels -1, 0, 1", lambda t: torch.clamp(torch.round(t), -1, 1)),
    ("floor", torch.floor),
]


@exercise(LESSON, 4, "a straight-through estimator")
def straight_through(ste):
    expect_function(ste, "ste")
    for shape in [(7,), (3, 5)]:
        for name, q in QUANTISERS:
            x = (torch.randn(shape) * 2).requires_grad_()
            x_before = x.detach().clone()
            out = _call(ste, "ste", x, q)
            if out is None:
                raise Wrong("ste returned None", "end the function with return and the tensor you built")
            if not isinstance(out, torch.Tensor):
                raise Wrong(f"ste should return a tensor, got {type(out).__name__}",
                            "return the tensor itself (no .tolist(), .item() or .numpy()): backward needs it")
            if not torch.equal(x.detach(), x_before):
                raise Wrong("ste changed its input x in place", "build a new tensor from x; do not modify x")
            expect_tensor(out.detach(), q(x_before), f"the forward value for {name}",
                          "the forward value must be q(x) exactly: x + (q(x) - x), where the correction "
                          "q(x) - x is detached as a whole", atol=1e-5)
            if not out.requires_grad:
                raise Wrong(f"the result for {name} does not require grad: backward cannot reach x",
                            "detach only the correction (q(x) - x), and add it to x itself")
            weights = torch.randn(shape)  # an upstream gradient that is not all ones
            (grad,) = torch.autograd.grad((out * weights).sum(), x, allow_unused=True)
            if grad is None:
                raise Wrong(f"for {name}, no gradient reaches x", "keep the bare x term outside the detach")
            if torch.allclose(grad, -weights):
                raise Wrong(f"for {name}, the gradient is minus the incoming one: the x outside the detach was detached",
                            "keep x itself attached, and detach the whole correction (q(x) - x)")
            if torch.allclose(grad, torch.zeros_like(grad)):
                raise Wrong(f"for {name}, the gradient with respect to x is zero: it is the gradient of q itself",
                            "the detach is missing or misplaced: (q(x) - x) must be detached as a whole, so "
                            "backward sees only the term x")
            expect_tensor(grad, weights, f"the gradient for {name}",
                          "the gradient must pass straight through: d out / d x = 1, so x.grad equals "
                          "the incoming gradient")
    return f"forward = q(x), gradient = identity, for {len(QUANTISERS)} quantisers the lesson never used"
