"""Cell-level diffs of the notebooks, through nbdime's git integration (what `make diff` runs).

    python -m gradflow_course diff                 # every changed notebook against HEAD
    python -m gradflow_course diff --rev main      # against another revision
    python -m gradflow_course diff --rev main solutions/01_detach.ipynb

``.gitattributes`` marks ``*.ipynb`` with the diff driver ``jupyternotebook``; this command defines
that driver for one ``git diff`` call only (``git -c``), so nothing is written to any git config.
Without the driver git falls back to its plain text diff. Why nbdime and not jupytext pairing:
CONTRIBUTING.md, "Reviewing a notebook change".
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import gradflow_course.paths as paths

DRIVER = "jupyternotebook"  # the name .gitattributes gives; nbdime's own `config-git` uses the same


def driver_command() -> str | None:
    """nbdime's git diff driver from this environment, or None when nbdime is not installed."""
    beside = Path(sys.executable).parent / "git-nbdiffdriver"
    found = str(beside) if beside.exists() else shutil.which("git-nbdiffdriver")
    return f"{found} diff" if found else None


def git_command(revision: str | None, files: list[str], driver: str) -> list[str]:
    command = ["git", "-c", f"diff.{DRIVER}.command={driver}", "diff"]
    if revision:
        command.append(revision)
    return command + ["--", *(files or ["*.ipynb"])]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rev", dest="revision", help="compare against this revision (default: your uncommitted edits)")
    parser.add_argument("files", nargs="*", help="notebooks to compare (default: every notebook)")


def run(args: argparse.Namespace) -> int:
    driver = driver_command()
    if driver is None:
        print("nbdime is not installed here: `make diff` installs it (the dev extra)", file=sys.stderr)
        return 2
    return subprocess.call(git_command(args.revision, args.files, driver), cwd=paths.root())
