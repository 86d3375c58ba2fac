"""Put ONE exercise of a lesson back to the course's version, keeping the rest of your notebook.

    python -m gradflow.course.reset_exercise 01_detach 2   # exercise 2 of lesson 01 (`make reset LESSON=01_detach EXERCISE=2`)
    python -m gradflow.course.reset_exercise 01_detach     # the whole lesson, like `workspace --reset`

What counts as an exercise: in a lesson notebook, a markdown cell with a ``### Exercise N`` heading
starts exercise N; its cells are the code cells after that heading, up to and including the last
one that calls a checker (``ex.<checker>(``), before the next markdown heading.

What happens to your notebook ``workspace/NN_name.ipynb`` (DESIGN.md section 6, nothing is lost):

1. The whole notebook, as it is now, is first saved beside it as ``NN_name.mine-K.ipynb`` (K counts
   up, the same naming as ``workspace --reset``; nothing is ever overwritten).
2. The exercise's cells are replaced by the course's cells, matched by cell id (lessons keep the
   ids of their solution notebook). A cell you deleted is put back where it belongs; a cell whose id
   changed is found by its checker call. Every other cell, and any cell you added, stays as it was.

If the notebook is open in JupyterLab, reload it afterwards (File > Reload Notebook from Disk) and
do not save the open copy over it.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
from pathlib import Path

import nbformat

from .build import ROOT
from .workspace import reset as reset_lesson

EXERCISE_HEADING = re.compile(r"^###\s+Exercise\s+(\d+)\b", re.M)
ANY_HEADING = re.compile(r"^#{1,6}\s", re.M)
CHECKER_CALL = re.compile(r"\bex\.(\w+)\(")


def find_lesson(name: str, lessons: Path) -> Path:
    """The course notebook for ``01_detach``, ``01_detach.ipynb`` or just ``01``."""
    stem = name.removesuffix(".ipynb")
    candidates = sorted(lessons.glob(f"{stem}.ipynb")) or sorted(lessons.glob(f"{stem}_*.ipynb"))
    if len(candidates) != 1:
        known = ", ".join(p.stem for p in sorted(lessons.glob("*.ipynb")))
        raise SystemExit(f"no lesson called {stem!r}; lessons are: {known}")
    return candidates[0]


def exercises(nb: nbformat.NotebookNode) -> dict[int, dict]:
    """Exercise number -> {"heading": heading cell index, "cells": [code cell indices]}."""
    found: dict[int, dict] = {}
    current: int | None = None
    pending: list[int] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and ANY_HEADING.search(cell.source):
            numbers = EXERCISE_HEADING.findall(cell.source)
            current = int(numbers[-1]) if numbers else None
            pending = []
            if current is not None:
                found.setdefault(current, {"heading": index, "cells": []})
        elif cell.cell_type == "code" and current is not None:
            pending.append(index)
            if CHECKER_CALL.search(cell.source):
                found[current]["cells"].extend(pending)
                pending = []
    return {n: info for n, info in found.items() if info["cells"]}


def _backup_path(workspace: Path, stem: str) -> Path:
    k = 1
    while (workspace / f"{stem}.mine-{k}.ipynb").exists():
        k += 1
    return workspace / f"{stem}.mine-{k}.ipynb"


def _locate(mine: nbformat.NotebookNode, cell: nbformat.NotebookNode, taken: set[int]) -> int | None:
    """Where the learner's version of a course cell is: same id, else the same checker call."""
    for index, candidate in enumerate(mine.cells):
        if index not in taken and candidate.get("id") and candidate.get("id") == cell.get("id"):
            return index
    calls = set(CHECKER_CALL.findall(cell.source))
    if calls:
        for index, candidate in enumerate(mine.cells):
            if (index not in taken and candidate.cell_type == "code"
                    and calls & set(CHECKER_CALL.findall(candidate.source))):
                return index
    return None


def replace_exercise(mine: nbformat.NotebookNode, course: nbformat.NotebookNode, number: int) -> int:
    """Replace exercise ``number`` of ``mine`` (in place) by the course's cells; return how many cells."""
    available = exercises(course)
    if number not in available:
        listed = ", ".join(str(n) for n in sorted(available)) or "none"
        raise SystemExit(f"the lesson has no exercise {number}; its exercises are: {listed}")
    info = available[number]
    course_ids = [c.get("id") for c in course.cells]
    taken: set[int] = set()
    for course_index in info["cells"]:
        fresh = copy.deepcopy(course.cells[course_index])
        where = _locate(mine, fresh, taken)
        if where is not None:
            mine.cells[where] = fresh
            taken.add(where)
            continue
        # the learner deleted this cell: put it after the nearest earlier course cell that is still there
        position = len(mine.cells)
        mine_ids = [c.get("id") for c in mine.cells]
        for earlier in reversed(course_ids[:course_index]):
            if earlier and earlier in mine_ids:
                position = mine_ids.index(earlier) + 1
                break
        mine.cells.insert(position, fresh)
        taken = {i + 1 if i >= position else i for i in taken} | {position}
    return len(info["cells"])


def reset_exercise(name: str, number: int, lessons: Path, workspace: Path) -> str:
    """Reset exercise ``number`` of lesson ``name`` in ``workspace``; the learner's notebook is kept as .mine-K."""
    source = find_lesson(name, lessons)
    stem = source.stem
    course = nbformat.read(source, as_version=4)
    target = workspace / source.name
    if not target.exists():
        return reset_lesson(stem, lessons, workspace) + " (you had no copy, so the whole lesson was put there)"
    mine = nbformat.read(target, as_version=4)
    count = replace_exercise(mine, course, number)  # raises before anything is written
    backup = _backup_path(workspace, stem)
    shutil.copy2(target, backup)
    nbformat.write(mine, target)
    cells = "cell" if count == 1 else "cells"
    return (f"reset exercise {number} of {source.name} to the course's version ({count} {cells}); "
            f"your whole notebook as it was is kept as {backup.name}. "
            f"If it is open in JupyterLab: File > Reload Notebook from Disk.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lesson", help="e.g. 01_detach (or 01)")
    parser.add_argument("exercise", nargs="?", type=int, help="exercise number; leave out to reset the whole lesson")
    parser.add_argument("--workspace", type=Path, default=ROOT / "workspace")
    parser.add_argument("--lessons", type=Path, default=ROOT / "lessons", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.exercise is None:
        print(reset_lesson(find_lesson(args.lesson, args.lessons).stem, args.lessons, args.workspace))
    else:
        print(reset_exercise(args.lesson, args.exercise, args.lessons, args.workspace))
    return 0


if __name__ == "__main__":
    sys.exit(main())
