"""Small models and data made in code for the demos (nothing is ever downloaded).

The one home of every model and data maker a lesson shows: the notebook imports it (and shows its
source with :func:`gradflow.show_source` where the learner should read it), and the lesson's checkers
use the very same object. A class is seeded by the caller (``torch.manual_seed``); every data maker
takes an explicit ``seed`` so an exercise checker can rebuild the same data whatever the notebook did.
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


class BackboneNet(nn.Module):
    """A small backbone with BatchNorm and a linear head."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.ReLU())
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.backbone(x))


class SeedNet(nn.Module):
    """Seed 000's model, fixed: model_1 (10 -> 10), model_2 (10 -> 20), fc (20 -> 2)."""

    def __init__(self):
        super().__init__()
        self.model_1 = nn.Linear(10, 10)
        self.model_2 = nn.Linear(10, 20)
        self.fc = nn.Linear(20, 2)
        self.relu = nn.ReLU()

    def forward(self, x):
        h = self.relu(self.model_1(x))
        h = self.relu(self.model_2(h))      # the seed feeds `inputv` here, not h: see below
        return self.fc(h)


class RNNCell(nn.Module):
    """h_new = tanh(x W_x + h W_h + b); readout(h) = h W_out predicts the next value."""

    def __init__(self, n_in=1, n_hidden=16):
        super().__init__()
        self.W_x = nn.Parameter(torch.randn(n_in, n_hidden) * 0.5)
        self.W_h = nn.Parameter(torch.randn(n_hidden, n_hidden) / n_hidden**0.5)
        self.b = nn.Parameter(torch.zeros(n_hidden))
        self.W_out = nn.Parameter(torch.randn(n_hidden, 1) / n_hidden**0.5)

    def forward(self, x, h):
        return torch.tanh(x @ self.W_x + h @ self.W_h + self.b)

    def readout(self, h):
        return h @ self.W_out


def make_waves(n_chunks=6, chunk_len=5, batch=4, seed=0):
    """Sine waves with random phases, cut into chunks: inputs and next-value targets."""
    g = torch.Generator().manual_seed(seed)
    phase = torch.rand(batch, generator=g) * 6.2832
    t = torch.arange(n_chunks * chunk_len + 1, dtype=torch.float32)
    wave = torch.sin(0.3 * t[:, None] + phase)
    return (wave[:-1].reshape(n_chunks, chunk_len, batch, 1),
            wave[1:].reshape(n_chunks, chunk_len, batch, 1))


class TwoStateCell(nn.Module):
    """A recurrent cell with two states: a fast ``h`` and a slow memory ``m``, a leaky average of ``h``.

    ``h_new = tanh(x W_x + h W_h + m W_m + b)``, ``m_new = decay m + (1 - decay) h_new``; the state is the
    pair ``(h, m)``, and ``readout(state) = [h, m] W_out`` predicts the next value from both.
    """

    def __init__(self, n_in=1, n_hidden=8, decay=0.9):
        super().__init__()
        self.W_x = nn.Parameter(torch.randn(n_in, n_hidden) * 0.5)
        self.W_h = nn.Parameter(torch.randn(n_hidden, n_hidden) / n_hidden**0.5)
        self.W_m = nn.Parameter(torch.randn(n_hidden, n_hidden) / n_hidden**0.5)
        self.b = nn.Parameter(torch.zeros(n_hidden))
        self.W_out = nn.Parameter(torch.randn(2 * n_hidden, 1) / (2 * n_hidden)**0.5)
        self.decay = decay

    def forward(self, x, state):
        h, m = state
        h = torch.tanh(x @ self.W_x + h @ self.W_h + m @ self.W_m + self.b)
        return h, self.decay * m + (1 - self.decay) * h

    def readout(self, state):
        return torch.cat(state, dim=1) @ self.W_out

    def initial_state(self, batch):
        n_hidden = self.W_h.shape[0]
        return torch.zeros(batch, n_hidden), torch.zeros(batch, n_hidden)


class Gate(nn.Module):
    """A learned per-feature gate: a 1-D parameter named ``weight`` that is neither a bias nor a norm's weight
    (so "every 1-D parameter" or "every parameter called weight of a 1-D shape" picks it, and BitFit does not)."""

    def __init__(self, features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(features))

    def forward(self, x):
        return x * torch.sigmoid(self.weight)
