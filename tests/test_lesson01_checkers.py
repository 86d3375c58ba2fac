"""Right and specific wrong answers for lesson 01's checkers."""

import torch
from torch import nn

from gradflow.exercises import detach as ex


def _x_grad(use_detach: bool) -> torch.Tensor:
    x = torch.tensor([1.0], requires_grad=True)
    z = 2 * x**2
    p = z.detach() if use_detach else z
    q = torch.tensor([2.0], requires_grad=True)
    (p * q).backward(retain_graph=True)
    (z**3).backward()
    return x.grad


def test_cut_branch(capsys):
    assert ex.cut_branch(_x_grad(True))
    assert not ex.cut_branch(_x_grad(False))
    assert "side branch p * q still sends" in capsys.readouterr().out
    assert not ex.cut_branch(torch.tensor([8.0]))
    assert "expected tensor([48])" in capsys.readouterr().out


def test_gradients_after_detach(capsys):
    assert ex.gradients_after_detach(["lin3.weight", "lin3.bias"])
    assert ex.gradients_after_detach(("lin3.bias", "lin3.weight"))
    assert not ex.gradients_after_detach(["lin2.weight", "lin2.bias", "lin3.weight", "lin3.bias"])
    assert "these get no gradient: ['lin2.bias', 'lin2.weight']" in capsys.readouterr().out
    assert not ex.gradients_after_detach(["lin3.weight"])
    assert "missing ['lin3.bias']" in capsys.readouterr().out
    assert not ex.gradients_after_detach(["layer3.weight"])
    assert "not parameters of the chain" in capsys.readouterr().out
    assert not ex.gradients_after_detach("lin3.weight")
    assert "not a single string" in capsys.readouterr().out


def _loss(D, real, fake):
    bce = nn.functional.binary_cross_entropy_with_logits
    lr, lf = D(real), D(fake)
    return bce(lr, torch.ones_like(lr)) + bce(lf, torch.zeros_like(lf))


def good_step(G, D, opt_D, real, noise):
    opt_D.zero_grad()
    _loss(D, real, G(noise).detach()).backward()
    opt_D.step()


def step_without_detach(G, D, opt_D, real, noise):
    opt_D.zero_grad()
    _loss(D, real, G(noise)).backward()
    opt_D.step()


def step_without_optimizer_step(G, D, opt_D, real, noise):
    opt_D.zero_grad()
    _loss(D, real, G(noise).detach()).backward()


def step_with_wrong_loss(G, D, opt_D, real, noise):
    opt_D.zero_grad()
    D(G(noise).detach()).mean().backward()
    opt_D.step()


def test_discriminator_step(capsys):
    assert ex.discriminator_step(good_step)
    assert not ex.discriminator_step(step_without_detach)
    assert "reached the generator" in capsys.readouterr().out
    assert not ex.discriminator_step(step_without_optimizer_step)
    assert "did not change" in capsys.readouterr().out
    assert not ex.discriminator_step(step_with_wrong_loss)
    assert "differs from a correct D step" in capsys.readouterr().out
