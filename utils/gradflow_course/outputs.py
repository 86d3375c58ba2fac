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
import gradflow_course.quiet as quiet
from .build import clean_metadata, course_solutions
from .nbtext import render


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def drop_widget_views(nb: nbformat.NotebookNode) -> int:
    """Remove the widget-view entry from stored outputs that also carry a picture or text; return how many.

    Why: the notebook stores no widget state, so a reader without a live kernel (JupyterLab before
    running, nbconvert, GitHub) would get "Error displaying widget: model not found". Without the entry,
    every reader shows the output's PNG and text: the widget's last picture and summary. Storing widget
    state instead would need the live widget models at save time (nbclient does not keep them) and
    would still show stale, unclickable controls. A run in a live kernel displays the widget as usual;
    nbval never compares this entry (model ids are random).
    """
    dropped = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and len(data) > 1:
                del data[WIDGET_VIEW]
                dropped += 1
    return dropped


def run_notebook(path: Path, timeout: int = 300) -> nbformat.NotebookNode:
    """Execute a notebook in a fresh kernel of this environment, from its own folder."""
    quiet.install()  # no kernel TCP warning in `make outputs` or between `make bench`'s rows
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata = clean_metadata(nb.metadata)  # no Python patch version in the committed file
    nb.metadata.pop("widgets", None)
    drop_widget_views(nb)
    return nb


def run_in_place(path: Path) -> None:
    """Execute a solution and store its outputs in the file (what `make outputs NB=...` does to each)."""
    path.write_text(render(run_notebook(path)), encoding="utf-8")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", type=Path, help="solution notebooks (default: every lesson)")
    parser.add_argument("--lesson", action="append", default=[], help="a lesson's name, number or topic (repeatable)")


def run(args: argparse.Namespace) -> int:
    import gradflow_course.metadata as metadata

    notebooks = [p.resolve() for p in args.notebooks]
    notebooks += [paths.solution(metadata.load().lesson(name).name).resolve() for name in args.lesson]
    notebooks = notebooks or course_solutions()
    for path in notebooks:  # refuse before running anything: outputs are written into the file
        if path.suffix != ".ipynb" or path.parent != paths.solutions().resolve():
            raise SystemExit(f"{paths.shown(path)}: `make outputs` runs only solutions/ notebooks "
                             f"(e.g. `make outputs NB=solutions/01_detach.ipynb`); lessons/ are built by `make lessons`")
        if not path.exists():
            raise SystemExit(f"no such notebook: {paths.shown(path)} (e.g. `make outputs NB=solutions/01_detach.ipynb`)")
    for path in notebooks:
        start = time.perf_counter()
        run_in_place(path)
        print(f"executed {paths.shown(path)} in {time.perf_counter() - start:.1f} s")
    return 0
