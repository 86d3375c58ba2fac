"""Benchmark: seconds per notebook, against a bare notebook measured in the same run.

    python -m gradflow_course bench            # every solution notebook (what `make bench` runs)
    python -m gradflow_course bench --suite    # also time the whole `make test` suite
    python -m gradflow_course bench solutions/01_detach.ipynb

The bare notebook only starts a kernel and imports torch and matplotlib, so the ratio says how
much a lesson costs beyond the fixed price of any notebook. Goals (issue 3): each lesson <= 10 s
on a 2-core machine (20 s for the capstone); the whole suite <= 1.5 x (notebooks x bare / cores).
This is a measurement, not a test: nothing fails because a machine is slow.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

import nbformat

import gradflow_course.paths as paths
from .build import course_solutions
from .outputs import run_notebook

BARE_SOURCE = "import torch\nimport matplotlib.pyplot as plt"


def _time(path: Path) -> float:
    start = time.perf_counter()
    run_notebook(path)
    return time.perf_counter() - start


def failure_summary(error: BaseException) -> str:
    """One line for the table: the notebook's own error (name: message), not nbclient's traceback."""
    name = getattr(error, "ename", None) or type(error).__name__
    message = (getattr(error, "evalue", None) if hasattr(error, "ename") else str(error)) or ""
    line = f"{name}: {message}".strip().rstrip(":").splitlines()[0] if message else name
    return line if len(line) <= 70 else line[:67] + "..."


def _bare_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(BARE_SOURCE)]
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    path = folder / "_bare.ipynb"
    nbformat.write(nb, path)
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the bare notebook (median taken)")
    parser.add_argument("--suite", action="store_true", help="also time the full test suite (make test)")


def run(args: argparse.Namespace) -> int:
    notebooks = [p.resolve() for p in args.notebooks] or course_solutions()

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        bare_path = _bare_notebook(Path(tmp))
        _time(bare_path)  # warm-up: the first kernel start pays for cold file caches
        bare_runs = sorted(_time(bare_path) for _ in range(max(1, args.repeat)))
    bare = bare_runs[len(bare_runs) // 2]
    print(f"{'notebook':<40} {'seconds':>8} {'x bare':>7}  goal")
    print(f"{'(bare: kernel + torch + matplotlib)':<40} {bare:>8.1f} {1.0:>7.2f}")
    total = 0.0
    failed = []
    for path in notebooks:
        name = path.parent.name + "/" + path.name
        try:
            seconds = _time(path)
        except Exception as error:  # one broken notebook must not hide the others' timings
            failed.append(name)
            print(f"{name:<40} {'-':>8} {'-':>7}  FAILED: {failure_summary(error)}", flush=True)
            continue
        total += seconds
        limit = 20.0 if "capstone" in path.stem else 10.0
        verdict = "ok" if seconds <= limit else f"over {limit:.0f} s"
        print(f"{name:<40} {seconds:>8.1f} {seconds / bare:>7.2f}  {verdict}", flush=True)
    cores = os.cpu_count() or 1
    n_notebooks = 2 * len(notebooks)  # the suite runs every solution and every lesson
    budget = 1.5 * n_notebooks * bare / cores
    print(f"\nsum of solution notebooks: {total:.1f} s on {cores} cores")
    print(f"suite goal: <= 1.5 x ({n_notebooks} notebooks x {bare:.1f} s bare / {cores} cores) = {budget:.1f} s")
    if args.suite:
        start = time.perf_counter()
        code = subprocess.call(["make", "--no-print-directory", "test"], cwd=paths.root(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        suite = time.perf_counter() - start
        print(f"make test: {suite:.1f} s ({suite / budget:.2f} x the goal's budget), exit code {code}")
    if failed:
        print(f"\n{len(failed)} notebook(s) failed and are left out of the sum: {', '.join(failed)}")
        return 1
    return 0

