"""Run solution notebooks in place so their stored outputs are current (what `make outputs` runs).

    python -m gradflow.course.execute                      # every solution
    python -m gradflow.course.execute solutions/01_detach.ipynb

Strict nbval compares a fresh run against these stored outputs, so run this after editing a
solution, read the diff of the outputs, then `make lessons`. No timing metadata is stored.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .build import ROOT, _clean_metadata, render


def run_notebook(path: Path, timeout: int = 300) -> nbformat.NotebookNode:
    """Execute a notebook in a fresh kernel of this environment, from its own folder."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata = _clean_metadata(nb.metadata)  # no Python patch version in the committed file
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "solutions").glob("*.ipynb"))
    for path in paths:
        start = time.perf_counter()
        nb = run_notebook(path)
        path.write_text(render(nb), encoding="utf-8")
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"executed {shown} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
