"""Lesson 09's helpers for the GAN sections (the bug hunt's checkers live in :mod:`.bug_hunt`)."""

from __future__ import annotations

import torch

from ..gan import noise, real_samples


def gan_batch(seed: int, n: int = 32):
    """``(real, z)`` for one GAN step."""
    g = torch.Generator().manual_seed(seed)
    return real_samples(n, generator=g), noise(n, generator=g)
