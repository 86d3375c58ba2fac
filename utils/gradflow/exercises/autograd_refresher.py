"""Checkers for lesson 00, the autograd refresher."""

from __future__ import annotations

import torch
from torch import nn

from ..checking import (Wrong, differing, exercise, expect_function, expect_number, expect_tensor, expect_type,
                        train)

LESSON = "00_autograd_refresher"


@exercise(LESSON, 1, "grad after two backward calls")
def grad_after_two_backwards(answer):
    # out = mean(3 (a + 3)^2) at a = [2, 3]: d out / d a = 3 (a + 3) = [15, 18]; twice accumulated = [30, 36]
    expected = torch.tensor([30.0, 36.0])
    if isinstance(answer, torch.Tensor) and answer.shape == expected.shape and torch.allclose(
            answer.detach().float(), expected / 2):
        raise Wrong("that is the gradient of one backward call, [15, 18]",
                    ".grad is not replaced by the second backward: it is added to")
    expect_tensor(answer, expected, "a.grad",
                  "each backward adds its gradient into .grad; what do two calls of [15, 18] add up to?")


@exercise(LESSON, 2, "keep the gradient of a non-leaf")
def non_leaf_grad(b):
    expect_type(b, torch.Tensor, "b")
    if b.is_leaf:
        raise Wrong("b is a leaf tensor here", "b should be the result of a + 3, a non-leaf with a grad_fn")
    if not b.retains_grad:  # checked first: reading .grad of such a tensor would print a warning
        raise Wrong("b does not keep its gradient (b.retains_grad is False)",
                    "call b.retain_grad() before backward, so autograd keeps it")
    if b.grad is None:
        raise Wrong("b.grad is None", "call backward() on the output built from b")
    expect_tensor(b.grad, torch.tensor([15.0, 18.0]), "b.grad",
                  "run the forward pass and a single backward again, from a fresh a")


@exercise(LESSON, 3, "a correct training step")
def training_step(train_step):
    expect_function(train_step, "train_step")
    torch.manual_seed(0)
    x, y = torch.randn(16, 3), torch.randn(16, 1)

    def make_model():
        torch.manual_seed(1)
        return nn.Linear(3, 1)

    expected_model = make_model()
    expected_losses = train(expected_model, torch.optim.SGD(expected_model.parameters(), lr=0.1), [(x, y)] * 3,
                            nn.functional.mse_loss)
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = [train_step(model, opt, x, y) for _ in range(3)]
    if any(isinstance(v, torch.Tensor) and v.requires_grad for v in losses):
        raise Wrong("train_step returned a tensor still attached to the graph",
                    "return loss.item(): a number keeps no graph (and no memory) alive")
    numbers = [expect_number(v, "train_step's result", "return the loss as a Python number: loss.item()")
               for v in losses]
    if torch.equal(model.weight, make_model().weight):
        raise Wrong("the model's weights did not change", "did you call opt.step() after loss.backward()?")
    if differing(model, expected_model):
        raise Wrong("after 3 steps the weights differ from a correct training loop",
                    "call opt.zero_grad() in every step, before backward: otherwise gradients pile up")
    if not torch.allclose(torch.tensor(numbers), torch.tensor(expected_losses), atol=1e-5):
        raise Wrong("the returned losses are not the losses of each step",
                    "compute the loss from this step's forward pass and return loss.item()")
    return "three steps match a reference training loop"
