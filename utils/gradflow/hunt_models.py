"""Models and data of the capstone's bug hunt (lesson 09), made in code and seeded.

The notebook shows each bug on these objects and the checkers of
:mod:`gradflow.exercises.capstone` rebuild the same ones, so a learner can rerun exactly what a
checker ran. The GAN of the hunt is :mod:`gradflow.gan`'s; everything else lives here.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
from torch import nn

BOUND = 0.3  # the weight bound of the regressor script


def _seeded(seed: int, build):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build()


# --- a recurrent model that counts its backward work -------------------------------------------


class LeakyRNN(nn.Module):
    """A diagonal recurrent cell ``h_t = sigmoid(decay) * h_{t-1} + inp(x_t)``, read out by ``out(tanh(h_t))``.

    ``forward(xs, h)`` takes a chunk ``xs`` of shape ``[time, batch, 1]`` and the carried state ``h``
    (``None`` at the start of a stream) and returns ``(predictions, h)``. ``backward_steps`` counts the
    time steps that backward passes walked through (a tensor hook on each step's input projection):
    a chunk of ``T`` steps should add exactly ``T`` per backward.
    """

    def __init__(self, hidden: int = 12):
        super().__init__()
        self.hidden = hidden
        self.decay = nn.Parameter(torch.zeros(hidden))
        self.inp = nn.Linear(1, hidden)
        self.out = nn.Linear(hidden, 1)
        self.backward_steps = 0

    def _count(self, grad):
        self.backward_steps += 1

    def forward(self, xs: torch.Tensor, h: torch.Tensor | None = None):
        if h is None:
            h = torch.zeros(xs.shape[1], self.hidden)
        keep = torch.sigmoid(self.decay)
        outputs = []
        for x in xs:
            u = self.inp(x)
            if u.requires_grad:
                u.register_hook(self._count)
            h = keep * h + u
            outputs.append(self.out(torch.tanh(h)))
        return torch.stack(outputs), h


def make_rnn(seed: int = 0) -> LeakyRNN:
    return _seeded(seed, LeakyRNN)


def sine_chunks(n_chunks: int = 12, steps: int = 8, batch: int = 3, seed: int = 0):
    """A long sine stream per batch row (random phase), cut into chunks ``(xs, next values)``."""
    g = torch.Generator().manual_seed(seed)
    phase = 2 * math.pi * torch.rand(batch, generator=g)
    t = torch.arange(n_chunks * steps + 1, dtype=torch.float32)
    wave = torch.sin(0.3 * t[:, None] + phase[None, :]).unsqueeze(-1)  # [time + 1, batch, 1]
    return [(wave[k * steps:(k + 1) * steps], wave[k * steps + 1:(k + 1) * steps + 1]) for k in range(n_chunks)]


# --- classifiers with a backbone ---------------------------------------------------------------


def make_classifier(seed: int = 0, n_in: int = 8, n_classes: int = 3) -> nn.Sequential:
    """``backbone`` (Linear, ReLU, Linear, ReLU) followed by a ``head`` Linear layer."""
    return _seeded(seed, lambda: nn.Sequential(OrderedDict(
        backbone=nn.Sequential(nn.Linear(n_in, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU()),
        head=nn.Linear(16, n_classes))))


def class_batch(seed: int = 0, n: int = 48, n_in: int = 8, n_classes: int = 3):
    """``(x, labels)``: labels from a fixed linear rule, so there is something to learn."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_in, generator=g)
    rule = torch.randn(n_in, n_classes, generator=torch.Generator().manual_seed(1234))
    return x, (x @ rule).argmax(dim=1)


class TwoTaskNet(nn.Module):
    """A shared ``trunk`` with a ``main`` classification head and an ``aux`` regression head."""

    def __init__(self, n_in: int = 8, n_classes: int = 3):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(n_in, 16), nn.ReLU())
        self.main = nn.Linear(16, n_classes)
        self.aux = nn.Linear(16, 1)

    def forward(self, x):
        features = self.trunk(x)
        return self.main(features), self.aux(features)


def make_two_task(seed: int = 0) -> TwoTaskNet:
    return _seeded(seed, TwoTaskNet)


def two_task_batch(seed: int = 0, n: int = 48):
    """``(x, labels, aux_target)``: the auxiliary target is the norm of the input."""
    x, labels = class_batch(seed, n)
    return x, labels, x.norm(dim=1, keepdim=True)


def make_teacher_student(seed: int = 0, n_in: int = 8, n_classes: int = 3):
    """A wide ``teacher`` (already trained, in the story) and a small ``student``."""
    teacher = _seeded(seed, lambda: nn.Sequential(nn.Linear(n_in, 32), nn.Tanh(), nn.Linear(32, n_classes)))
    student = _seeded(seed + 1, lambda: nn.Sequential(nn.Linear(n_in, 8), nn.Tanh(), nn.Linear(8, n_classes)))
    return teacher, student


# --- a regressor whose weights start outside the bound ------------------------------------------


def make_regressor(seed: int = 0) -> nn.Sequential:
    """``Linear(4, 8) -> Tanh -> Linear(8, 1)``, after earlier training left weights up to ~0.8 (over BOUND)."""

    def build():
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(2.0)
        return model

    return _seeded(seed, build)


def regression_batch(seed: int = 0, n: int = 32, n_in: int = 4):
    """``(x, y)`` with a smooth target ``y = sin(sum of x)``."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_in, generator=g)
    return x, torch.sin(x.sum(dim=1, keepdim=True))


# --- a two-link arm for Newton's method ---------------------------------------------------------


def arm(angles: torch.Tensor) -> torch.Tensor:
    """Where the tip of a two-link arm (links 1.0 and 0.7) is for joint ``angles`` (shoulder, elbow)."""
    a, b = angles[0], angles[0] + angles[1]
    return torch.stack([torch.cos(a) + 0.7 * torch.cos(b), torch.sin(a) + 0.7 * torch.sin(b)])


def mixer(x: torch.Tensor) -> torch.Tensor:
    """A smooth map from 3 numbers to 3 whose Jacobian is far from symmetric."""
    return torch.stack([x[0] + 0.5 * x[1] ** 2, torch.sin(x[1]) + 2.0 * x[2], x[2] ** 3 + 0.3 * x[0]])
