"""Benchmark: milliseconds per gradient-flow explorer click (the goal is a median <= 50 ms).

    python -m gradflow_course bench-explorer            # 30 clicks after 3 warm-up clicks
    python -m gradflow_course bench-explorer --clicks 60

A click ticks one checkbox of a live ``explore_flow()`` widget, which reruns the lab, redraws the
graph and refreshes the summary: everything a learner waits for. Wall time is what the learner feels;
the CPU time of the clicking thread is also shown, as it barely moves when other programs load the
machine. This is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time

TOGGLES = [("lin1", "detach"), ("lin2", "requires_grad"), ("lin0", "no_grad"), ("lin3", "detach")]


def click_times(clicks: int = 30, warmup: int = 3) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each of ``clicks`` checkbox clicks on one explorer (after ``warmup`` untimed ones)."""
    import matplotlib

    matplotlib.use("Agg")
    from gradflow.explorer import explore_flow

    explorer = explore_flow()
    wall, cpu = [], []
    for i in range(warmup + clicks):
        layer, toggle = TOGGLES[i % len(TOGGLES)]
        box = explorer.controls[layer][toggle]
        start, start_cpu = time.perf_counter(), time.thread_time()
        box.value = not box.value  # what a click does: the observer reruns and redraws
        if i >= warmup:
            wall.append(time.perf_counter() - start)
            cpu.append(time.thread_time() - start_cpu)
    return wall, cpu


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clicks", type=int, default=30)


def run(args: argparse.Namespace) -> int:
    wall, cpu = click_times(args.clicks)
    print(f"explorer click: median {1000 * statistics.median(wall):.0f} ms wall (min {1000 * min(wall):.0f}, "
          f"max {1000 * max(wall):.0f}), {1000 * statistics.median(cpu):.0f} ms CPU, over {len(wall)} clicks "
          f"(goal: median <= 50 ms)")
    return 0

