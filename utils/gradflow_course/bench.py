"""Benchmark: seconds, kernel memory and CPU per notebook, against a bare notebook measured in the same run.

    python -m gradflow_course bench            # every notebook the suite runs (what `make bench` runs)
    python -m gradflow_course bench --suite    # also time the whole `make test` suite, against its floor
    python -m gradflow_course bench solutions/01_detach.ipynb

The bare notebook only starts a kernel and imports torch and matplotlib, so "x bare" says how much a
notebook costs beyond the fixed price of any notebook. The suite's floor is what any suite that re-runs
every notebook once must spend: the sum of their Run All times (kernel start included) spread over the
cores; the goal is `make test` <= 1.5 x that floor, i.e. the unit tests, nbval's own work and uneven
scheduling together add at most half. With --suite the floor is measured on both sides of the suite and
the suite compared with their mean (a machine's speed drifts while it runs). Each notebook's goal is a
Run All <= 15 s on a 2-core machine. This is a measurement, not a test: nothing fails because a machine
is slow.

Each notebook runs through sizing.measure_notebook, the measurement instructors/sizing.md sizes a
workshop with: after Run All, the kernel's resident memory ("kernel MiB") and the CPU seconds the
Run All took (all threads). `python -m gradflow_course sizing` repeats it and writes sizing.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import gradflow_course.paths as paths
from .suite import suite_notebooks
from .sizing import bare_notebook, measure_notebook, per_learner


#: the goals of issue 3, on a 2-core machine: seconds per lesson, per capstone, and the suite's factor
NOTEBOOK_GOAL_S, SUITE_FACTOR = 15.0, 1.5


def _measure(path: Path) -> dict:
    """Wall seconds (kernel start included), kernel memory and CPU after Run All; raises on a failing cell."""
    start = time.perf_counter()
    figures = measure_notebook(path)
    figures["seconds"] = time.perf_counter() - start
    if figures["first_error"]:
        raise RuntimeError(failure_summary(SimpleNamespace(**figures["first_error"])))
    return figures


def failure_summary(error: BaseException) -> str:
    """One line for the table: the notebook's own error (name: message), not nbclient's traceback."""
    name = getattr(error, "ename", None) or type(error).__name__
    message = (getattr(error, "evalue", None) if hasattr(error, "ename") else str(error)) or ""
    line = f"{name}: {message}".strip().rstrip(":").splitlines()[0] if message else name
    return line if len(line) <= 70 else line[:67] + "..."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the bare notebook (median taken)")
    parser.add_argument("--suite", action="store_true", help="also time the full test suite (make test)")


def run(args: argparse.Namespace) -> int:
    notebooks = [p.resolve() for p in args.notebooks] or suite_notebooks()

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        bare_path = bare_notebook(Path(tmp))
        if args.repeat > 1:  # warm-up: the first kernel start pays for cold file caches (one run: a quick look)
            _measure(bare_path)
        bare_runs = sorted((_measure(bare_path) for _ in range(max(1, args.repeat))), key=lambda r: r["seconds"])
    bare_row = bare_runs[len(bare_runs) // 2]
    bare = bare_row["seconds"]
    cores = os.cpu_count() or 1
    print(f"Goals: each notebook runs in <= {NOTEBOOK_GOAL_S:.0f} s on a 2-core machine; make test <= {SUITE_FACTOR} x the "
          "suite's floor (below).")
    print("They are targets for the course's authors, not a test: on a slower or busier machine a row over its")
    print(f"goal is not a failure. 'x bare' compares each notebook with a bare one (kernel, torch, matplotlib).\n")
    print(f"{'notebook':<40} {'seconds':>8} {'x bare':>7} {'kernel MiB':>10} {'CPU s':>6}  goal")
    print(f"{'(bare: kernel + torch + matplotlib)':<40} {bare:>8.1f} {1.0:>7.2f} {bare_row['rss_mib']:>10.0f} "
          f"{bare_row['cpu_s']:>6.1f}")
    total = 0.0
    failed, measured = [], []  # notebook names that failed; paths that ran
    lessons = {}
    for path in notebooks:
        name = path.parent.name + "/" + path.name
        try:
            row = _measure(path)
        except Exception as error:  # one broken notebook must not hide the others' timings
            failed.append(name)
            summary = str(error) if isinstance(error, RuntimeError) else failure_summary(error)
            print(f"{name:<40} {'-':>8} {'-':>7} {'-':>10} {'-':>6}  FAILED: {summary}", flush=True)
            continue
        seconds = row["seconds"]
        total += seconds
        measured.append(path)
        lessons[path.stem] = {"rss_mib": round(row["rss_mib"]), "peak_rss_mib": None, "cpu_s": round(row["cpu_s"], 1)}
        limit = NOTEBOOK_GOAL_S
        verdict = f"within {limit:.0f} s" if seconds <= limit else f"over {limit:.0f} s"
        print(f"{name:<40} {seconds:>8.1f} {seconds / bare:>7.2f} {row['rss_mib']:>10.0f} {row['cpu_s']:>6.1f}  {verdict}",
              flush=True)
    floor = total / cores
    budget = SUITE_FACTOR * floor
    print(f"\nsuite floor: {len(notebooks) - len(failed)} notebooks run once, {total:.1f} s in all, over {cores} cores = "
          f"{floor:.1f} s (kernel starts alone: {len(notebooks)} x {bare:.1f} s bare / {cores} = "
          f"{len(notebooks) * bare / cores:.1f} s)")
    print(f"make test target: {SUITE_FACTOR} x the floor = {budget:.1f} s (--suite measures it)")
    if lessons:
        # the kernel a learner holds: what instructors/sizing.md reserves, with the JupyterLab server added
        need = per_learner({"jupyterlab_server": {"rss_mib": 0}, "lessons": lessons})
        heaviest = max(lessons, key=lambda stem: lessons[stem]["rss_mib"])
        print(f"largest kernel after Run All: {need['memory_mib']} MiB ({heaviest}); heaviest Run All: "
              f"{need['cpu_s_heaviest_run_all']:.1f} CPU s. Per learner, with the JupyterLab server and 3 repeats: "
              f"python -m gradflow_course sizing (instructors/sizing.md)")
    if args.suite:
        from .suite import pytest_command

        start = time.perf_counter()
        code = subprocess.call(pytest_command(), cwd=paths.root(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        suite = time.perf_counter() - start
        # a machine's speed drifts over minutes (a VM's by 20% and more): the floor is measured again after the
        # suite and the suite compared with the mean of both, so a drift during the run does not decide the ratio
        after = sum(_measure(path)["seconds"] for path in measured) / cores
        mean = (floor + after) / 2
        print(f"make test took {suite:.1f} s = {suite / mean:.2f} x the floor (floor {floor:.1f} s before the suite, "
              f"{after:.1f} s after, {mean:.1f} s their mean; target {SUITE_FACTOR}; a measurement, not a failure); "
              f"its exit code: {code}")
    if failed:
        print(f"\n{len(failed)} notebook(s) failed and are left out of the sum: {', '.join(failed)}")
        return 1
    return 0

