"""Checkers for lesson 01, detach."""

from __future__ import annotations

import torch

from ..checking import Wrong, differing, exercise, expect_function, expect_tensor
from ..gan import discriminator_step as reference_d_step
from ..gan import make_small_gan
from ..graph import names_reached
from ..models import LinearChain
from ..tracker import ParamTracker

LESSON = "01_detach"


@exercise(LESSON, 1, "cut the side branch")
def cut_branch(x_grad):
    # w = (2 x^2)^3 = 8 x^6: dw/dx = 48 at x = 1; the branch p*q adds 4 x q = 8 unless p is detached
    if isinstance(x_grad, torch.Tensor) and x_grad.numel() == 1 and abs(float(x_grad.detach().sum()) - 56) < 1e-4:
        raise Wrong("x.grad is 56: the side branch p * q still sends its gradient to x",
                    "use p = z.detach(), so that p has no path back to x")
    expect_tensor(x_grad, torch.tensor([48.0]), "x.grad",
                  "only w = z**3 should reach x: dw/dx = 48 x^5 = 48 at x = 1")


def _names(answer) -> list[str]:
    if isinstance(answer, str):
        raise Wrong("give a list of parameter names, not a single string",
                    'for example ["lin0.weight", "lin0.bias"]')
    if not isinstance(answer, (list, tuple, set)):
        raise Wrong(f"give a list of parameter names, got {type(answer).__name__}")
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


@exercise(LESSON, 3, "a discriminator step that leaves G alone")
def discriminator_step(d_step):
    expect_function(d_step, "d_step")
    (generator, discriminator), (ref_g, ref_d) = make_small_gan(), make_small_gan()
    real, noise = torch.randn(16, 1) + 3.0, torch.randn(16, 2)
    opt_d, ref_opt = torch.optim.SGD(discriminator.parameters(), lr=0.1), torch.optim.SGD(ref_d.parameters(), lr=0.1)
    tracker = ParamTracker({"G": generator, "D": discriminator})
    d_step(generator, discriminator, opt_d, real, noise)
    reference_d_step(ref_d, ref_opt, real, ref_g(noise))
    reached = [n for n, p in generator.named_parameters() if p.grad is not None]
    if reached:
        raise Wrong(f"the discriminator loss reached the generator: G.{reached[0]}.grad is set",
                    "feed the discriminator fake.detach(), so D's loss has no path back into G")
    if not any(name.startswith("D.") for name in tracker.changed()):
        raise Wrong("the discriminator's parameters did not change", "call opt_d.step() after backward")
    for name in differing(discriminator, ref_d)[:1]:
        raise Wrong(f"after your step D.{name} differs from a correct D step",
                    "loss = BCE(D(real), 1) + BCE(D(fake), 0), with zero_grad first and one backward")
    return "G got no gradient, D moved as it should"
