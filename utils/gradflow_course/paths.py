"""Where everything of the course lives: the one module of paths every command uses.

The repository root is the folder that holds the marker file ``course.toml``. It is found by walking
up from the current directory (so a command works from any subfolder, ``workspace/`` included), and
falls back to the folder this package was installed from (an editable install inside the clone).

Every command reads the folders through the functions below, at call time, so a test that sets
``paths.ROOT`` to a temporary copy of the course moves all of them at once.
"""

from __future__ import annotations

import os
from pathlib import Path

MARKER = "course.toml"


class NoCourse(SystemExit):
    """No course folder was found: the message says what to do."""


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the current directory) holding ``course.toml``."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / MARKER).is_file():
            return folder
    installed = Path(__file__).resolve().parents[2]
    if (installed / MARKER).is_file():
        return installed
    raise NoCourse(f"no {MARKER} in {start} or above it: run this from the course folder (your git clone)")


#: the repository root, found on first use; tests may set it to a temporary course
ROOT: Path | None = None


def root() -> Path:
    global ROOT
    if ROOT is None:
        ROOT = find_root()
    return ROOT


def course_file() -> Path:
    """The lesson metadata (titles, promises, minutes, exercise cells)."""
    return root() / MARKER


def solutions() -> Path:
    return root() / "solutions"


def lessons() -> Path:
    return root() / "lessons"


#: a folder of the learner's choice for their copies (a read-only course folder on a hub, a classroom image)
WORKSPACE_VARIABLE = "GRADFLOW_WORKSPACE"


def workspace() -> Path:
    """The learner's own copies: $GRADFLOW_WORKSPACE when set, else workspace/ in the course (git-ignored)."""
    chosen = os.environ.get(WORKSPACE_VARIABLE, "").strip()
    return Path(chosen).expanduser() if chosen else root() / "workspace"


def exercises() -> Path:
    """The checker modules, one per lesson, inside the learner library."""
    return root() / "utils" / "gradflow" / "exercises"


def site() -> Path:
    return root() / "_site"


def pyproject() -> Path:
    return root() / "pyproject.toml"


def solution(name: str) -> Path:
    return solutions() / f"{name}.ipynb"


def lesson(name: str) -> Path:
    return lessons() / f"{name}.ipynb"


def shown(path: Path) -> str:
    """A path as a learner should read it: relative to the course folder when inside it."""
    for candidate in (path, path.resolve()):
        try:
            return str(candidate.relative_to(root()))
        except ValueError:
            continue
    return str(path)
