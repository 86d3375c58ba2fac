"""Small models and data made in code for the demos (nothing is ever downloaded).

Seeded by the caller (``gradflow.setup`` seeds torch); every maker takes an explicit ``seed`` too
so an exercise checker can rebuild the same data independently of the notebook's state.
"""

from __future__ import annotations

import torch
from torch import nn


class LinearChain(nn.Module):
    """Seed 000's chain ``lin0 -> lin1 -> lin2 -> lin3`` of ``nn.Linear`` layers, optional ``detach_after``.

    ``detach_after="lin1"`` cuts the graph right after that layer, as a ``detach()`` inside forward would.
    """

    def __init__(self, sizes=(4, 8, 8, 8, 2), detach_after: str | None = None):
        super().__init__()
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.add_module(f"lin{i}", nn.Linear(n_in, n_out))
        self.detach_after = detach_after

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name, layer in self.named_children():
            x = layer(x)
            if name == self.detach_after:
                x = x.detach()
        return x


class TwoLayerNet(nn.Module):
    """Seed 002's ``Net``: ``layer1`` (10 -> 5), ``layer2`` (5 -> 3), ReLU on the output."""

    def __init__(self, detach_between: bool = False):
        super().__init__()
        self.layer1 = nn.Linear(10, 5)
        self.layer2 = nn.Linear(5, 3)
        self.detach_between = detach_between

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layer1(x)
        if self.detach_between:
            out = out.detach()
        return torch.relu(self.layer2(out))


def make_regression(n: int = 64, n_features: int = 3, noise: float = 0.1, seed: int = 0):
    """``(x, y)`` with ``y = x @ w + b + noise`` for a fixed random ``w``, ``b``."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_features, generator=g)
    w = torch.randn(n_features, 1, generator=g)
    y = x @ w + 0.5 + noise * torch.randn(n, 1, generator=g)
    return x, y


def make_blobs(n_per_class: int = 100, n_classes: int = 3, n_features: int = 2, spread: float = 1.0,
               seed: int = 0):
    """``(x, labels)``: Gaussian blobs around random centres, shuffled; labels are ``long``."""
    g = torch.Generator().manual_seed(seed)
    centres = 3.0 * torch.randn(n_classes, n_features, generator=g)
    x = torch.cat([c + spread * torch.randn(n_per_class, n_features, generator=g) for c in centres])
    labels = torch.arange(n_classes).repeat_interleave(n_per_class)
    order = torch.randperm(len(x), generator=g)
    return x[order], labels[order]
