"""Benchmark: the cost of ``gradflow.audit`` while it watches, against the bare training step (target <= 2x).

    python -m gradflow_course bench-audit              # 20 timed steps per model after 3 warm-up steps
    python -m gradflow_course bench-audit --steps 50

For each model: the median seconds of one training step (zero_grad, forward, loss, backward, step) bare,
and inside one ``with gradflow.audit(model, optimizer)`` block, measured alternately in the same run; then
the ratio, and the one-off cost of entering and leaving the block (the parameter snapshot and the report).
Outside the block the audit costs nothing: every hook is removed on exit. This is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time


def _models():
    import torch
    from torch import nn

    from gradflow.hunt_models import class_batch, make_classifier
    from gradflow.models import BackboneNet

    def classifier():
        model = make_classifier()
        x, y = class_batch()
        return "course: classifier", model, torch.optim.SGD(model.parameters(), lr=0.1), x, y

    def backbone():
        torch.manual_seed(0)
        model = BackboneNet()
        x, y = torch.randn(64, 2), torch.randint(0, 3, (64,))
        return "course: BackboneNet", model, torch.optim.Adam(model.parameters(), lr=1e-3), x, y

    def large():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(1024, 2048), nn.LayerNorm(2048), nn.ReLU(), nn.Dropout(0.1),
                              nn.Linear(2048, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU(),
                              nn.Linear(2048, 10))
        x, y = torch.randn(64, 1024), torch.randint(0, 10, (64,))
        return "MLP (10.5M)", model, torch.optim.AdamW(model.parameters(), lr=1e-3), x, y
    return [classifier, backbone, large]


def step_times(model, opt, x, y, steps: int, warmup: int, audited: bool) -> tuple[list[float], list[float], float]:
    """Wall and CPU (all threads of the process) seconds per step, after ``warmup`` untimed ones, and the wall
    seconds spent entering and leaving the audit."""
    import contextlib

    from torch.nn import functional as F

    import gradflow

    times, cpu = [], []
    enter_exit = 0.0
    start = time.perf_counter()
    block = gradflow.audit(model, opt) if audited else contextlib.nullcontext()
    with block:
        enter_exit += time.perf_counter() - start
        for i in range(warmup + steps):
            t0, c0 = time.perf_counter(), time.process_time()
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
            if i >= warmup:
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
        start = time.perf_counter()
    enter_exit += time.perf_counter() - start
    return times, cpu, enter_exit


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=20, help="timed steps per model and mode")
    parser.add_argument("--rounds", type=int, default=3, help="bare and audited blocks, alternated")


def run(args: argparse.Namespace) -> int:
    print(f"{'model':<22} {'params':>10} {'bare step':>10} {'audited':>10} {'ratio':>6} {'CPU ratio':>9} "
          f"{'enter+exit':>10}")
    worst = 0.0
    for make in _models():
        name, model, opt, x, y = make()
        bare, watched, bare_cpu, watched_cpu, once = [], [], [], [], []
        for _ in range(args.rounds):  # alternated, so a change in the machine's load hits both
            times, cpu, _ = step_times(model, opt, x, y, args.steps, 3, audited=False)
            bare += times
            bare_cpu += cpu
            times, cpu, enter_exit = step_times(model, opt, x, y, args.steps, 3, audited=True)
            watched += times
            watched_cpu += cpu
            once.append(enter_exit)
        b, w = statistics.median(bare), statistics.median(watched)
        cpu_ratio = statistics.median(watched_cpu) / max(statistics.median(bare_cpu), 1e-9)
        worst = max(worst, w / b)
        n = sum(p.numel() for p in model.parameters())
        print(f"{name:<22} {n:>10,} {_ms(b):>10} {_ms(w):>10} {w / b:>5.2f}x {cpu_ratio:>8.2f}x "
              f"{_ms(statistics.median(once)):>10}")
    print(f"worst wall ratio {worst:.2f}x (target <= 2x while watching; medians of {args.rounds} x {args.steps} steps, "
          "bare and audited alternated); outside the with block the audit adds nothing")
    return 0


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.3f} ms"
