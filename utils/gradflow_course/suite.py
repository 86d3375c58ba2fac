"""Every test of the course in one pytest session: what `make test` runs, and `gradflow-course test` without make.

    python -m gradflow_course test                          # the whole suite (make test)
    python -m gradflow_course test lessons/01_detach.ipynb  # only the paths you name (nbval options kept)
    python -m gradflow_course test --lesson hooks           # one lesson: solution, lesson, checker tests (make test LESSON=hooks)
    python -m gradflow_course test -x                       # other options go on to pytest

One pytest run, so the workers stay busy to the end. Solutions carry outputs: nbval compares them
(strict). Lessons carry none: nbval only runs them, exactly as --nbval-lax would (a cell with no
reference run is never compared). conftest.py checks every checker's line in both.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gradflow_course.paths as paths

#: the folders of notebooks the suite runs (those that exist), after tests/
NOTEBOOK_FOLDERS = ["solutions", "lessons", "guide"]
#: the options of every run: parallel, one worker per file (nbval needs a notebook's cells in order),
#: notebooks in this environment's kernel, sanitized as tests/sanitize.cfg says
OPTIONS = ["-n", "auto", "--dist", "loadscope", "--nbval-current-env", "--nbval",
           "--nbval-sanitize-with", str(Path("tests") / "sanitize.cfg")]


def suite_notebooks() -> list[Path]:
    """Every notebook the suite runs, folder by folder."""
    return [p for folder in NOTEBOOK_FOLDERS for p in sorted((paths.root() / folder).glob("*.ipynb"))]


def targets() -> list[str]:
    """tests/ and every folder of notebooks this course has."""
    return ["tests", *[f for f in NOTEBOOK_FOLDERS if (paths.root() / f).is_dir()]]


def pytest_command(extra: list[str] | None = None) -> list[str]:
    """The pytest command line, run from the course folder: named paths replace the default targets."""
    extra = list(extra or [])
    named = [a for a in extra if not a.startswith("-") and (paths.root() / a.split("::")[0]).exists()]
    return [sys.executable, "-m", "pytest", *OPTIONS, *(extra if named else targets() + extra)]


def lesson_targets(name: str) -> list[str]:
    """What tests one lesson: its solution, its built lesson and its checker tests (those that exist)."""
    import gradflow_course.metadata as metadata

    lesson = metadata.load().lesson(name)
    notebooks = [f"{folder}/{lesson.name}.ipynb" for folder in ("solutions", "lessons")]
    tests = sorted(f"tests/{p.name}" for p in (paths.root() / "tests").glob(f"test_lesson{lesson.number}_*.py"))  # lint's rule
    return [f for f in notebooks if (paths.root() / f).exists()] + tests


def add_arguments(parser) -> None:
    parser.add_argument("--lesson", action="append", default=[], help="one lesson's name, number or topic (repeatable)")
    # anything this command does not know goes on to pytest (paths, -x, -k ...)
    parser.set_defaults(passthrough=True, extra=[])


def run(args) -> int:
    extra = [target for name in args.lesson for target in lesson_targets(name)] + list(args.extra)
    command = pytest_command(extra)
    print("running:", " ".join(command[1:]), flush=True)
    return subprocess.call(command, cwd=paths.root())
