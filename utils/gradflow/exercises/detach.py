"""Checkers for lesson 01, detach."""

from __future__ import annotations

import torch

from ..checking import Wrong, differing, exercise, expect_function, expect_number, expect_tensor, run_learner
from ..gan import bce
from ..gan import discriminator_step as reference_d_step
from ..gan import make_small_gan
from ..graph import names_reached
from ..models import LinearChain

LESSON = "01_detach"


def _one_number(value, name: str, hint: str) -> float | None:
    """``value`` as a float when it is a one-element tensor or a plain number, else None."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.requires_grad:
        return float(value.detach().sum())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


@exercise(LESSON, 1, "cut the side branch")
def cut_branch(x_grad, q_grad=None):
    # w = (2 x^2)^3 = 8 x^6: dw/dx = 48 at x = 1; the branch p*q adds 4 x q = 8 unless p is detached;
    # d(p q)/dq = p = z = 2: q.grad proves the branch's backward ran (dropping it also gives x.grad = 48)
    if isinstance(x_grad, torch.Tensor) and x_grad.requires_grad:
        # a gradient read from .grad never requires grad: this is one of the tensors of the computation
        what = "x itself" if x_grad.is_leaf else "a result of the computation (it has a grad_fn)"
        raise Wrong(f"you passed a tensor, not its gradient: your answer requires grad, so it is {what}",
                    "pass the gradient that backward stored: x_grad = x.grad")
    if x_grad is None:
        raise Wrong("x_grad is None: no backward reached this x",
                    "call backward on both outputs (the branch and w), then read x.grad of the same x")
    grad = _one_number(x_grad, "x.grad", "")
    if grad is not None and abs(grad - 56) < 1e-4:
        raise Wrong("x.grad is 56: the side branch p * q still sends its gradient to x",
                    "48 of it comes from w, 8 from the branch: use p = z.detach(), so that p has no path back to x")
    if grad is not None and abs(grad - 8) < 1e-4:
        raise Wrong("x.grad is 8: only the side branch reached x, the main path w did not",
                    "detach the branch's input p, not z itself: w = z**3 must keep its path to x")
    if grad is not None and abs(grad - 96) < 1e-4:
        raise Wrong("x.grad is 96, twice 48: w's backward ran twice into the same x",
                    ".grad adds up: call each output's backward once, on a fresh x")
    expect_tensor(x_grad, torch.tensor([48.0]), "x.grad",
                  "only w = z**3 should reach x: dw/dx = 48 x^5 = 48 at x = 1")
    if q_grad is None:
        raise Wrong("q.grad is None: the branch's backward never ran, so x.grad = 48 proves nothing about the cut",
                    "look at q.grad: it is filled only by (p * q).backward(); call it as well as w.backward(), with "
                    "p = z.detach(), and pass q_grad = q.grad")
    if isinstance(q_grad, torch.Tensor) and q_grad.requires_grad:
        raise Wrong("q_grad requires grad: you passed q (or a result), not its gradient", "pass q_grad = q.grad")
    value = _one_number(q_grad, "q.grad", "")
    if value is not None and abs(value - 4) < 1e-4:
        raise Wrong("q.grad is 4, twice p = 2: the branch's backward ran twice",
                    "call (p * q).backward() once; .grad adds up over calls")
    expect_tensor(q_grad, torch.tensor([2.0]), "q.grad",
                  "d(p q)/dq = p = z = 2 x^2 = 2 at x = 1: pass q.grad after one (p * q).backward()")
    return "x.grad = 48 with the branch's backward run (q.grad = 2)"


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
        raise Wrong(detail, "in this chain, detach cuts every path to the layers *before* it; only layers after the cut learn")


def _d_state(D):
    return {n: p.detach().clone() for n, p in D.named_parameters()}


def _stale_gradients(D):
    """Give D the gradients a previous (unrelated) step left behind, as in a real training loop."""
    D.zero_grad()
    D(torch.linspace(-2, 2, 8).unsqueeze(1)).pow(2).mean().backward()


def _optimizer(D):
    """The opt_D the checker passes: lr and momentum unlike a notebook's, so an optimizer rebuilt inside the
    answer (SGD(D.parameters(), lr=0.1)) moves D elsewhere, and leaves the passed one without momentum state."""
    return torch.optim.SGD(D.parameters(), lr=0.05, momentum=0.5)


def _reference_run(zero: str, calls, seed_state):
    """D and its losses after the calls ``(real, noise, k)``, from the same stale gradients: ``zero`` is "each"
    (the right steps), "once" (zero_grad only before the k steps), "never" or "last" (after each step)."""
    G, D = make_small_gan()
    D.load_state_dict(seed_state[0])
    G.load_state_dict(seed_state[1])
    _stale_gradients(D)
    opt = _optimizer(D)
    losses = []
    for real, noise, k in calls:
        fake = G(noise).detach()
        if zero == "once":
            opt.zero_grad()
        for _ in range(k):
            if zero == "each":
                losses.append(reference_d_step(D, opt, real, fake))
                continue
            loss = bce(D(real), 1.0) + bce(D(fake), 0.0)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if zero == "last":
                opt.zero_grad()
    return D, losses


_SECOND_BACKWARD = {"backward through the graph a second time": (
    "the second D step raised 'Trying to backward through the graph a second time': the fake batch still carries "
    "G's graph, and the first step's backward freed it",
    "make the fakes once as G(noise).detach() (or under torch.no_grad()): a detached batch can feed any number "
    "of D steps")}


def _losses(answer, k: int) -> list[float]:
    """The learner's returned losses: k plain numbers."""
    if answer is None:
        raise Wrong("d_steps returned None", "collect loss.item() of each step in a list and return the list")
    if isinstance(answer, (int, float, torch.Tensor)) and not (isinstance(answer, torch.Tensor) and answer.dim()):
        raise Wrong(f"d_steps returned one number, expected a list of {k} losses (one per D step)",
                    "append loss.item() inside the loop, and return the whole list after it")
    if not isinstance(answer, (list, tuple)):
        raise Wrong(f"d_steps should return a list of {k} losses, got {type(answer).__name__}",
                    "append loss.item() inside the loop, and return the whole list after it")
    if len(answer) != k:
        raise Wrong(f"with k = {k}, d_steps returned {len(answer)} losses, expected {k} (one per D step)",
                    "take exactly k steps (for _ in range(k)) and append one loss in each")
    return [expect_number(v, f"loss {i} of {k}", "append loss.item(), a plain number, not the loss tensor")
            for i, v in enumerate(answer, 1)]


@exercise(LESSON, 3, "k discriminator steps on one fake batch")
def discriminator_steps(d_steps):
    expect_function(d_steps, "d_steps")
    generator, discriminator = make_small_gan()
    start = (discriminator.state_dict(), generator.state_dict())
    start = tuple({k: v.clone() for k, v in sd.items()} for sd in start)
    calls = [(torch.randn(16, 1) + 3.0, torch.randn(16, 2), k) for k in (2, 3)]
    _stale_gradients(discriminator)  # D's .grad holds gradients of an earlier step: every step must clear them
    opt_d = _optimizer(discriminator)
    g_flags = {n: p.requires_grad for n, p in generator.named_parameters()}
    g_modes = [m.training for m in generator.modules()]
    reached = []  # every gradient computed for G, even one the learner's code clears again afterwards
    hooks = [p.register_hook(lambda grad, name=n: reached.append(name)) for n, p in generator.named_parameters()]
    losses = []
    try:
        for real, noise, k in calls:
            before = _d_state(discriminator)
            returned = run_learner(d_steps, generator, discriminator, opt_d, real, noise, k, name="d_steps",
                                   errors=_SECOND_BACKWARD)
            if reached:
                raise Wrong(f"the discriminator loss reached the generator: a gradient was computed for G.{reached[0]}",
                            "feed the discriminator fake.detach() (or make the fakes under torch.no_grad()), "
                            "so D's loss has no path back into G")
            frozen = [n for n, p in generator.named_parameters() if p.requires_grad != g_flags[n]]
            if frozen:
                raise Wrong(f"after d_steps, G.{frozen[0]} no longer requires grad: your function froze G and left "
                            "it frozen, so the next G step cannot learn",
                            "look at G's requires_grad after your call; what must stay out of G is the D loss's "
                            "gradient, not G's ability to learn: cut the fakes with G(noise).detach() and leave "
                            "G's flags alone")
            if [m.training for m in generator.modules()] != g_modes:
                raise Wrong("after d_steps, G is in another train/eval mode than before",
                            "leave G's mode as you found it: d_steps only reads G(noise)")
            losses += _losses(returned, k)
            if all(torch.equal(before[n], p) for n, p in discriminator.named_parameters()):
                grads = [p.grad for p in discriminator.parameters()]
                if all(g is None or not g.any() for g in grads):
                    raise Wrong(f"with k = {k}, D did not change, and its gradients are empty after your steps",
                                "zero_grad() ran between backward and step, throwing the fresh gradients away: "
                                "clear them first, then loss.backward(), then opt_D.step()")
                raise Wrong(f"with k = {k}, D did not change, though its gradients are set",
                            "call step() on the optimizer you are given (the argument opt_D) after each backward")
    finally:
        for hook in hooks:
            hook.remove()
    if not opt_d.state:
        raise Wrong("D changed, but the opt_D you were given holds no state after your steps: your function "
                    "stepped another optimizer",
                    "look at opt_D.state (its momentum buffers): it stays empty unless opt_D.step() runs; use the "
                    "opt_D argument instead of building an optimizer inside d_steps")
    right, right_losses = _reference_run("each", calls, start)
    if not differing(discriminator, right):
        if not all(abs(a - b) <= 1e-5 * (1 + abs(b)) for a, b in zip(losses, right_losses)):
            raise Wrong("D ends where correct steps put it, but the losses you returned are not each step's D loss",
                        "append loss.item() of the loss you back-propagate, in every step, before opt_D.step()")
        return "G got no gradient; after 2 + 3 steps on reused fakes, D and its losses match correct steps"
    for zero in ("once", "never", "last"):
        if not differing(discriminator, _reference_run(zero, calls, start)[0]):
            raise Wrong("D differs from correct D steps: a step also used gradients left in .grad before it",
                        "call opt_D.zero_grad() at the start of every one of the k steps, inside the loop, "
                        "before backward")
    name = differing(discriminator, right)[0]
    raise Wrong(f"after 2 + 3 steps D.{name} differs from correct D steps",
                "loss = BCE(D(real), 1) + BCE(D(fake), 0) with d_loss_of; in each step zero_grad, one backward, one step")


# --- exercise 4: a straight-through estimator ----------------------------------------------------

#: quantisers the lesson never shows: (name, function); the first four have a zero (or no) gradient almost
#: everywhere; the last has a gradient of its own (1/2), so an answer that adds q's gradient to the identity
#: (q(x) + x - x.detach()) shows
QUANTISERS = [
    ("rounding to quarters", lambda t: torch.round(t * 4) / 4),
    ("sign", torch.sign),
    ("three levels -1, 0, 1", lambda t: torch.clamp(torch.round(t), -1, 1)),
    ("floor", torch.floor),
    ("half rounded, half kept", lambda t: (torch.round(t) + t) / 2),
]


@exercise(LESSON, 4, "a straight-through estimator")
def straight_through(ste):
    expect_function(ste, "ste")
    for shape in [(7,), (3, 5)]:
        for name, q in QUANTISERS:
            x = (torch.randn(shape) * 2).requires_grad_()
            x_before = x.detach().clone()
            out = run_learner(ste, x, q, name="ste")
            if out is None:
                raise Wrong("ste returned None", "end the function with return and the tensor you built")
            if not isinstance(out, torch.Tensor):
                raise Wrong(f"ste should return a tensor, got {type(out).__name__}",
                            "return the tensor itself (no .tolist(), .item() or .numpy()): backward needs it")
            if not torch.equal(x.detach(), x_before):
                raise Wrong("ste changed its input x in place", "build a new tensor from x; do not modify x")
            if not x.requires_grad or not x.is_leaf:
                raise Wrong("ste changed x's requires_grad: the caller's x no longer requires grad",
                            "leave x as it was: build the result from x, without requires_grad_() or detach_() on x")
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
            leaf = x_before.clone().requires_grad_()
            (own,) = torch.autograd.grad((q(leaf) * weights).sum(), leaf, allow_unused=True)
            own = torch.zeros_like(grad) if own is None else own
            if torch.allclose(grad, own):
                zero = "zero: " if torch.allclose(own, torch.zeros_like(own)) else ""
                raise Wrong(f"for {name}, the gradient with respect to x is {zero}the gradient of q itself",
                            "the detach is missing or misplaced: (q(x) - x) must be detached as a whole, so "
                            "backward sees only the term x")
            if not torch.allclose(own, torch.zeros_like(own)) and torch.allclose(grad, own + weights):
                raise Wrong(f"for {name}, a quantiser with a gradient of its own, the gradient is q's gradient plus "
                            "the identity: q(x) is still attached",
                            "with the other quantisers it looked right, because their gradient is zero; detach the "
                            "whole correction, x + (q(x) - x).detach(), so that backward sees the term x alone")
            expect_tensor(grad, weights, f"the gradient for {name}",
                          "the gradient must pass straight through: d out / d x = 1, so x.grad equals "
                          "the incoming gradient")
    return f"forward = q(x), gradient = identity, for {len(QUANTISERS)} quantisers the lesson never used"

#: what the lesson's notebook uses (its checkers); the other names serve the checkers and their tests
__all__ = ["cut_branch", "gradients_after_detach", "discriminator_steps", "straight_through"]
