"""Checkers for lesson 05, ``clone()``."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..checking import Wrong, exercise, expect_function, expect_type
from ..models import TwoLayerNet

LESSON = "05_clone"


def _as_tensor(value):
    """A snapshot entry as a tensor: tensors as they are, NumPy arrays without copying (to see sharing)."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    return value


@exercise(LESSON, 1, "a snapshot that detects change")
def real_snapshot(snapshot):
    expect_function(snapshot, "snapshot")
    torch.manual_seed(5)
    model = TwoLayerNet()
    inputs, targets = torch.randn(8, 10), torch.randn(8, 3)
    truth = {name: p.detach().clone() for name, p in model.named_parameters()}
    taken = snapshot(model)
    if isinstance(taken, torch.Tensor) or not isinstance(taken, dict):
        raise Wrong(f"snapshot should return a dict name -> tensor, got {type(taken).__name__}",
                    "build it from model.named_parameters()")
    missing = [name for name in truth if name not in taken]
    if missing:
        raise Wrong(f"the snapshot has no entry for {missing[0]!r}", "use the names from model.named_parameters()")
    for name, live in model.named_parameters():
        value = _as_tensor(taken[name])
        if not isinstance(value, torch.Tensor):
            raise Wrong(f"snapshot[{name!r}] should be a tensor, got {type(taken[name]).__name__}")
        if value.requires_grad:
            raise Wrong(f"snapshot[{name!r}] is still in the graph (requires_grad=True)",
                        "clone() alone keeps grad_fn=CloneBackward0: detach() first, then clone()")
        if value.shape != live.shape or not torch.equal(value, truth[name]):
            raise Wrong(f"snapshot[{name!r}] does not hold the parameter's current values")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(5):
        opt.zero_grad()
        nn.functional.mse_loss(model(inputs), targets).backward()
        opt.step()
    for name in truth:
        if not torch.equal(_as_tensor(taken[name]), truth[name]):
            raise Wrong(f"snapshot[{name!r}] changed during training, so 'before' equals 'after'",
                        "detach() and .data share storage with the parameter: copy it with detach().clone()")
    return "the snapshot kept the old values while all 4 tensors trained"


def _copy_checks(copy, original, name: str, source: str):
    """Shared checks: a tensor with the original's values and storage of its own."""
    expect_type(copy, torch.Tensor, name)
    if copy.dtype != original.dtype:
        raise Wrong(f"{name} has dtype {copy.dtype}, {source} has {original.dtype}",
                    f"copy {source} itself: its dtype comes along")
    if copy.shape != original.shape or not torch.allclose(copy.detach(), original.detach()):
        raise Wrong(f"{name} does not hold the values of {source}", f"copy {source} itself")
    if copy.data_ptr() == original.data_ptr():
        raise Wrong(f"{name} shares storage with {source}",
                    "detach() (and .data) give a view of the same memory: add .clone() to copy it")


@exercise(LESSON, 2, "copy a value out of the graph")
def copy_out_of_graph(hidden_copy, hidden):
    expect_type(hidden, torch.Tensor, "hidden", "run the cell from the top: hidden is made there")
    _copy_checks(hidden_copy, hidden, "hidden_copy", "hidden")
    if hidden_copy.requires_grad:
        raise Wrong(f"hidden_copy is still in the graph (grad_fn={type(hidden_copy.grad_fn).__name__})",
                    "clone() copies memory but keeps the graph: detach() first, then clone()")
    return "own storage, no graph"


@exercise(LESSON, 3, "an independent trainable copy")
def trainable_copy(w2, w):
    expect_type(w, torch.Tensor, "w", "run the cell from the top: w is made there")
    _copy_checks(w2, w, "w2", "w")
    if w2.grad_fn is not None:
        raise Wrong(f"w2 is not a leaf: it has grad_fn={type(w2.grad_fn).__name__}, so gradients would flow "
                    "back to w and w2.grad would stay None", "detach() first, then clone(), then requires_grad_(True)")
    if not w2.requires_grad:
        raise Wrong("w2 does not require grad, so it cannot be trained", "add .requires_grad_(True)")
    return "a leaf of its own, trainable"
