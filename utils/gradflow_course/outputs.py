"""Run solution notebooks in place so their stored outputs are current (what `make outputs` runs).

    python -m gradflow_course outputs                      # every solution
    python -m gradflow_course outputs solutions/01_detach.ipynb

Strict nbval compares a fresh run against these stored outputs, so run this after editing a
solution, read the diff of the outputs (`make diff`), then `make lessons`. No timing metadata is stored.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import gradflow_course.paths as paths
from .build import clean_metadata, course_solutions, render


def run_notebook(path: Path, timeout: int = 300) -> nbformat.NotebookNode:
    """Execute a notebook in a fresh kernel of this environment, from its own folder."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata = clean_metadata(nb.metadata)  # no Python patch version in the committed file
    return nb


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", type=Path, help="solution notebooks (default: every lesson)")


def run(args: argparse.Namespace) -> int:
    notebooks = [p.resolve() for p in args.notebooks] or course_solutions()
    for path in notebooks:
        start = time.perf_counter()
        nb = run_notebook(path)
        path.write_text(render(nb), encoding="utf-8")
        print(f"executed {paths.shown(path)} in {time.perf_counter() - start:.1f} s")
    return 0
