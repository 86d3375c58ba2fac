"""A GAN small enough to train on a CPU in about a second, and its target data made in code.

The target is a 1-D distribution (a Gaussian with mean 3 and standard deviation 0.5 by default):
the generator turns noise into numbers, the discriminator scores numbers as real (1) or fake (0).
Both are tiny MLPs, so a few hundred steps are enough to see the generated distribution move onto
the real one, and every claim about which network a step updates can be checked with
:class:`gradflow.ParamTracker`.
"""

from __future__ import annotations

import torch
from torch import nn

NOISE_DIM = 4


class Generator(nn.Module):
    """Noise ``[n, noise_dim]`` -> samples ``[n, 1]``."""

    def __init__(self, noise_dim: int = NOISE_DIM, hidden: int = 16):
        super().__init__()
        self.noise_dim = noise_dim
        self.net = nn.Sequential(nn.Linear(noise_dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Discriminator(nn.Module):
    """Samples ``[n, 1]`` -> one logit each ``[n, 1]`` (positive: "real")."""

    def __init__(self, hidden: int = 16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def real_samples(n: int, mean: float = 3.0, std: float = 0.5, generator: torch.Generator | None = None):
    """``n`` samples ``[n, 1]`` of the target distribution N(mean, std^2)."""
    return mean + std * torch.randn(n, 1, generator=generator)


def noise(n: int, dim: int = NOISE_DIM, generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal noise ``[n, dim]``, the generator's input."""
    return torch.randn(n, dim, generator=generator)


def make_gan(seed: int = 0, hidden: int = 16) -> tuple[Generator, Discriminator]:
    """A fresh ``(G, D)`` pair, the same for the same seed (the caller's random state is kept)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return Generator(hidden=hidden), Discriminator(hidden=hidden)


def make_small_gan():
    """Lesson 01's pair ``(G, D)``: G turns 2 noise numbers into 1 sample, D scores a sample.

    Seeds the global generator (``torch.manual_seed(0)``), as the lesson's cell always did, so the
    numbers drawn after it in the notebook stay the same.
    """
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    D = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 1))
    return G, D


def gan_batch(seed: int, n: int = 32):
    """``(real, z)`` for one GAN step, made from ``seed`` alone."""
    g = torch.Generator().manual_seed(seed)
    return real_samples(n, generator=g), noise(n, generator=g)


def bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    """Binary cross-entropy of logits against a constant label (1.0: "real", 0.0: "fake")."""
    return nn.functional.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def discriminator_step(D: nn.Module, opt_D: torch.optim.Optimizer, real: torch.Tensor, fake: torch.Tensor) -> float:
    """The correct D step: ``fake`` is detached, so D's loss never reaches the generator."""
    opt_D.zero_grad()
    loss = bce(D(real), 1.0) + bce(D(fake.detach()), 0.0)
    loss.backward()
    opt_D.step()
    return loss.item()


def generator_step(D: nn.Module, opt_G: torch.optim.Optimizer, fake: torch.Tensor) -> float:
    """The correct G step, after the D step: a fresh pass of ``fake`` through the updated D."""
    opt_G.zero_grad()
    loss = bce(D(fake), 1.0)
    loss.backward()
    opt_G.step()
    return loss.item()
