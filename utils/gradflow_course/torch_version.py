"""The solutions under strict nbval on another torch, in a throwaway environment (`make test-torch`).

    python -m gradflow_course test-torch 2.14.1

For maintainers, before moving the pin in pyproject.toml: builds ``.venv-torch-<version>/`` (git-ignored;
delete it afterwards) with that torch and the course's other packages at their tested versions, then runs
the solutions under strict nbval exactly as ``make test`` does. The differences it prints are what the new
torch changes in the course. Not part of CI: a torch wheel is several GB.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import gradflow_course.paths as paths
import gradflow_course.suite as suite

PIP = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]


def requirement_name(line: str) -> str:
    """The normalised project name of a requirement line (``Jinja2==3.1.6`` -> ``jinja2``)."""
    name = re.split(r"[<>=!~;\[ ]", line.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def constraints_without(names: set[str], text: str) -> str:
    """constraints.txt without the pins of ``names``: the new torch brings its own versions of those."""
    kept = [line for line in text.splitlines()
            if line.strip() and not line.startswith("#") and requirement_name(line) not in names]
    return "\n".join(kept) + "\n"


def _run(cmd: list[str]) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=paths.root(), check=True)


def build_env(version: str) -> Path:
    venv = paths.root() / f".venv-torch-{version}"
    python = venv / "bin" / "python"
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(python), *PIP, f"torch=={version}"])
    torch_needs = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print('\\n'.join(m.requires('torch') or []))"],
        capture_output=True, text=True, check=True).stdout
    names = {"torch"} | {requirement_name(line) for line in torch_needs.splitlines() if line.strip()}
    constraints = venv / "constraints-without-torch.txt"
    constraints.write_text(constraints_without(names, (paths.root() / "constraints.txt").read_text()))
    # the course's packages (not torch) at their tested versions, then gradflow itself without its torch pin
    _run([str(python), *PIP, "-c", str(constraints), "numpy", "matplotlib", "ipywidgets", "jupyterlab",
          "pytest", "pytest-xdist", "nbval"])
    _run([str(python), *PIP, "--no-deps", "-e", "."])
    subprocess.run([str(python), "-c", "import matplotlib.pyplot"], cwd=paths.root(), check=True,
                   env=dict(os.environ, MPLBACKEND="Agg"))  # font cache now, not in a notebook
    return python


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("version", help="torch version, e.g. 2.14.1")


def run(args: argparse.Namespace) -> int:
    if not re.fullmatch(r"\d+\.\d+(\.\d+)?", args.version):
        print(f"not a torch version: {args.version!r} (expected e.g. 2.14.1): make test-torch TORCH=2.14.1")
        return 2
    python = build_env(args.version)
    code = subprocess.call([str(python), "-m", "pytest", *suite.OPTIONS, "solutions"], cwd=paths.root())
    verdict = "passed" if code == 0 else f"FAILED (pytest exit code {code}); the diffs above say what changed"
    print(f"\nsolutions on torch {args.version}: {verdict}")
    return code

