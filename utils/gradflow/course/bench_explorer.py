"""Benchmark: milliseconds per gradient-flow explorer click (the goal is a median <= 50 ms).

    python -m gradflow.course.bench_explorer            # 30 clicks after 3 warm-up clicks
    python -m gradflow.course.bench_explorer --clicks 60

A click ticks one checkbox of a live ``explore_flow()`` widget, which reruns the lab, redraws the
graph and refreshes the summary: everything a learner waits for. This is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time

TOGGLES = [("lin1", "detach"), ("lin2", "requires_grad"), ("lin0", "no_grad"), ("lin3", "detach")]


def click_times(clicks: int = 30, warmup: int = 3) -> list[float]:
    """Seconds of each of ``clicks`` checkbox clicks on one explorer (after ``warmup`` untimed ones)."""
    import matplotlib

    matplotlib.use("Agg")
    from gradflow.widgets import explore_flow

    explorer = explore_flow()
    times = []
    for i in range(warmup + clicks):
        layer, toggle = TOGGLES[i % len(TOGGLES)]
        box = explorer.controls[layer][toggle]
        start = time.perf_counter()
        box.value = not box.value  # what a click does: the observer reruns and redraws
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=30)
    args = parser.parse_args(argv)
    times = click_times(args.clicks)
    print(f"explorer click: median {1000 * statistics.median(times):.0f} ms, "
          f"min {1000 * min(times):.0f} ms, max {1000 * max(times):.0f} ms over {len(times)} clicks (goal <= 50 ms)")


if __name__ == "__main__":
    main()
