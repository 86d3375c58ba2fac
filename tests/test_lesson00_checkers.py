"""Right and specific wrong answers for lesson 00's checkers."""

import torch
from torch import nn

from gradflow.exercises import autograd_refresher as ex


def test_grad_after_two_backwards(capsys):
    assert ex.grad_after_two_backwards(torch.tensor([30.0, 36.0]))
    assert not ex.grad_after_two_backwards(torch.tensor([15.0, 18.0]))
    assert "gradient of one backward call" in capsys.readouterr().out


def test_non_leaf_grad(capsys):
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = a + 3
    b.retain_grad()
    (b * b * 3).mean().backward()
    assert ex.non_leaf_grad(b)
    a2 = torch.tensor([2.0, 3.0], requires_grad=True)
    b2 = a2 + 3
    (b2 * b2 * 3).mean().backward()
    assert not ex.non_leaf_grad(b2)
    assert "retain_grad" in capsys.readouterr().out
    assert not ex.non_leaf_grad(a2)
    assert "is a leaf" in capsys.readouterr().out


def _step(model, opt, x, y):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


def _step_without_zero_grad(model, opt, x, y):
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


def _step_without_step(model, opt, x, y):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    return loss.item()


def test_training_step(capsys):
    assert ex.training_step(_step)
    assert not ex.training_step(_step_without_zero_grad)
    assert "zero_grad" in capsys.readouterr().out
    assert not ex.training_step(_step_without_step)
    assert "opt.step()" in capsys.readouterr().out
