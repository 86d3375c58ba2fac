"""Put ONE exercise of a lesson back to the course's version, keeping the rest of your notebook.

    python -m gradflow_course reset 01_detach 2   # exercise 2 of lesson 01 (`make reset LESSON=01_detach EXERCISE=2`)
    python -m gradflow_course reset 01_detach     # the whole lesson (`make reset LESSON=01_detach`)

What counts as an exercise: the code cells ``course.toml`` lists for it, by cell id (lessons keep
the ids of their solution notebook).

What happens to your notebook ``workspace/NN_name.ipynb`` (nothing you wrote is lost):

1. The whole notebook, as it is now, is first saved beside it as ``mine-K · NN_name.ipynb`` (K counts
   up, the same naming as a whole-lesson reset; nothing is ever overwritten).
2. The exercise's cells are replaced by the course's cells, matched by cell id. A cell you deleted
   is put back where it belongs; a cell whose id changed is found by its checker call. Every other
   cell, and any cell you added, stays as it was.

A notebook open in a JupyterLab on the workspace is refused, with what to do: its next save would
offer "Overwrite" (pre-selected) and undo the reset. Save and close it first.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
from pathlib import Path

import nbformat

import gradflow_course.metadata as metadata
import gradflow_course.paths as paths
import gradflow_course.servers as servers
from .workspace import backup_path, readable, reset as reset_lesson, writing

CHECKER_CALL = re.compile(r"\bex\.(\w+)\(")


def exercises(nb: nbformat.NotebookNode, lesson: metadata.Lesson) -> dict[int, list[int]]:
    """Exercise number -> indices of its code cells in ``nb``, from the lesson's metadata."""
    index = {cell.get("id"): i for i, cell in enumerate(nb.cells)}
    found = {}
    for ex in lesson.exercises:
        missing = [cell_id for cell_id in ex.cells if cell_id not in index]
        if missing:
            raise SystemExit(f"course.toml lists cell {', '.join(missing)} for exercise {ex.number} of "
                             f"{lesson.name}, but the course notebook has no such cell")
        found[ex.number] = [index[cell_id] for cell_id in ex.cells]
    return found


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


def replace_exercise(mine: nbformat.NotebookNode, course: nbformat.NotebookNode, lesson: metadata.Lesson,
                     number: int) -> int:
    """Replace exercise ``number`` of ``mine`` (in place) by the course's cells; return how many cells."""
    available = exercises(course, lesson)
    if number not in available:
        listed = ", ".join(str(n) for n in sorted(available)) or "none"
        raise SystemExit(f"lesson {lesson.name} has no exercise {number}; its exercises are: {listed}")
    cells = available[number]
    course_ids = [c.get("id") for c in course.cells]
    taken: set[int] = set()
    for course_index in cells:
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
    return len(cells)


def find_lesson(name: str, course: metadata.Course | None = None) -> metadata.Lesson:
    """The lesson called ``01_detach``, ``01_detach.ipynb`` or just ``01``; exits with the list if none."""
    course = metadata.load() if course is None else course
    if not name.strip() or "/" in name or "\\" in name or name.startswith("."):
        # a path could reach solutions/ (their code, markers and stored "passed") or any file
        raise SystemExit(f"LESSON={name!r} is not a lesson name; LESSON must name a lesson: "
                         f"{', '.join(course.names())} (e.g. `make reset LESSON={course.names()[0]}`)")
    try:
        return course.lesson(name)
    except metadata.MetadataError as error:
        raise SystemExit(str(error)) from None


def reset_exercise(name: str, number: int, lessons: Path, workspace: Path,
                   course: metadata.Course | None = None) -> str:
    """Reset exercise ``number`` of lesson ``name`` in ``workspace``; the learner's notebook is kept as ``mine-K · NN_name.ipynb``."""
    lesson = find_lesson(name, course)
    source = lessons / f"{lesson.name}.ipynb"
    target = workspace / source.name
    if not target.exists():
        return reset_lesson(lesson.name, lessons, workspace) + " (you had no copy, so the whole lesson was put there)"
    course_nb = nbformat.read(source, as_version=4)
    problem = readable(target)
    if problem is None:
        try:
            mine = nbformat.read(target, as_version=4)
        except Exception as error:  # valid JSON that nbformat still refuses
            problem = f"{type(error).__name__}"
    if problem is not None:
        raise SystemExit(f"{paths.shown(target)} is unreadable ({problem}), so one exercise cannot be put back "
                         f"into it: `make reset LESSON={lesson.name}` keeps it beside a fresh copy")
    count = replace_exercise(mine, course_nb, lesson, number)  # raises before anything is written
    backup = backup_path(workspace, lesson.name)
    with writing(workspace):
        shutil.copy2(target, backup)
        nbformat.write(mine, target)
    cells = "cell" if count == 1 else "cells"
    return (f"reset exercise {number} of {source.name} to the course's version ({count} {cells}); "
            f"your whole notebook as it was is kept as {backup.name}. "
            f"If it is open in JupyterLab: File > Reload Notebook from Disk.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lesson", help="e.g. 01_detach (or 01)")
    parser.add_argument("exercise", nargs="?", help="exercise number; leave out to reset the whole lesson")
    parser.add_argument("--workspace", type=Path, default=None, help="default: workspace/ in the course folder")


def run(args: argparse.Namespace) -> int:
    workspace = args.workspace or paths.workspace()
    lesson = find_lesson(args.lesson)
    if args.exercise is not None and not args.exercise.strip():
        args.exercise = None  # `make reset LESSON=01 EXERCISE=` means the whole lesson, as make passes it
    if args.exercise is not None:
        numbers = ", ".join(str(ex.number) for ex in lesson.exercises) or "none"
        if not args.exercise.strip().isdigit():
            raise SystemExit(f"EXERCISE={args.exercise!r} is not an exercise number; {lesson.name} has exercises "
                             f"{numbers} (e.g. `make reset LESSON={lesson.name} EXERCISE=1`)")
        args.exercise = int(args.exercise)
        if args.exercise not in {ex.number for ex in lesson.exercises}:
            raise SystemExit(f"{lesson.name} has no exercise {args.exercise}; its exercises are {numbers} "
                             f"(leave EXERCISE out to reset the whole lesson)")
    if servers.open_in_lab(workspace, f"{lesson.name}.ipynb") is not None:
        raise SystemExit(f"{lesson.name}.ipynb is open in JupyterLab, and its next save would undo the reset: save "
                         f"it (Ctrl+S), then File > Close and Shut Down Notebook, then run this again")
    if args.exercise is None:
        print(reset_lesson(find_lesson(args.lesson).name, paths.lessons(), workspace))
    else:
        print(reset_exercise(args.lesson, args.exercise, paths.lessons(), workspace))
    return 0
