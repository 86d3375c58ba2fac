"""The course described once: read ``course.toml`` (one ``[[lesson]]`` table per notebook).

Every command and test that needs to know a lesson's title, promise, minutes, prerequisites or
which cells make up exercise N reads it here, never from the notebook's headings::

    from gradflow_course import metadata
    course = metadata.load()
    lesson = course.lesson("01")          # or "01_detach"
    lesson.title, lesson.teaching_minutes, lesson.exercise(2).cells

The notebook's first cell still shows the same words to the learner; ``first_cell_lines`` gives the
lines it must contain, and a test keeps the two equal.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import gradflow_course.paths as paths

NAME = re.compile(r"\d\d_[a-z0-9_]+")
#: a lesson's name without its number: what `make new-lesson NAME=hooks` numbers for you
TOPIC = re.compile(r"[a-z][a-z0-9_]*")


def matching(names: list[str], want: str) -> list[str]:
    """The lesson names ``want`` means: a name (``01_detach``, ``01_detach.ipynb``), a number (``1``, ``01``)
    or a topic (``detach``)."""
    stem = Path(want).name.removesuffix(".ipynb")
    return [n for n in names if stem in (n, n[3:]) or (stem.isdigit() and n[:2] == stem.zfill(2))]


class MetadataError(Exception):
    """course.toml is malformed or does not describe a lesson asked for."""


@dataclass(frozen=True)
class Exercise:
    number: int
    title: str  # as the notebook's heading shows it: "### Exercise N · title"
    cells: tuple[str, ...]  # ids of the code cells that `make reset ... EXERCISE=N` puts back

    @property
    def heading(self) -> str:
        return f"### Exercise {self.number} · {self.title}"


@dataclass(frozen=True)
class Lesson:
    name: str  # notebook stem, e.g. "01_detach"
    title: str
    promise: str
    prerequisites: str
    teaching_minutes: int
    exercise_minutes: int
    exercises: tuple[Exercise, ...] = field(default=())
    needs: str = "00"  # the lessons to have done first, as the schedule's "needs" column shows them

    @property
    def number(self) -> str:
        return self.name[:2]

    def exercise(self, number: int) -> Exercise:
        for ex in self.exercises:
            if ex.number == number:
                return ex
        listed = ", ".join(str(ex.number) for ex in self.exercises) or "none"
        raise MetadataError(f"lesson {self.name} has no exercise {number}; its exercises are: {listed}")

    def first_cell_lines(self) -> list[str]:
        """The lines the notebook's first (markdown) cell shows, each on a line of its own."""
        return [f"# {self.number} · {self.title}",
                f"**Promise:** {self.promise}",
                f"{self.prerequisites} **Teaching:** {self.teaching_minutes} min · "
                f"**Exercises:** {self.exercise_minutes} min."]


@dataclass(frozen=True)
class Course:
    lessons: tuple[Lesson, ...]
    source: Path

    def names(self) -> list[str]:
        return [lesson.name for lesson in self.lessons]

    def lesson(self, name: str) -> Lesson:
        """A lesson by stem (``01_detach``), file name (``01_detach.ipynb``), number (``01``) or topic (``detach``)."""
        found = matching(self.names(), name)
        if len(found) != 1:
            raise MetadataError(f"no lesson called {Path(name).name.removesuffix('.ipynb')!r} in {self.source.name}; "
                                f"lessons are: {', '.join(self.names())}")
        return self.lessons[self.names().index(found[0])]

    @property
    def teaching_minutes(self) -> int:
        return sum(lesson.teaching_minutes for lesson in self.lessons)

    @property
    def exercise_minutes(self) -> int:
        return sum(lesson.exercise_minutes for lesson in self.lessons)


def _fail(where: str, problem: str):
    raise MetadataError(f"{where}: {problem}")


def _lesson(table: dict, where: str) -> Lesson:
    text = ("name", "title", "promise", "prerequisites")
    numbers = ("teaching_minutes", "exercise_minutes")
    for key in text + numbers:
        if key not in table:
            _fail(where, f"missing {key!r}")
    for key in text:
        if not isinstance(table[key], str) or not table[key].strip():
            _fail(where, f"{key!r} must be a non-empty string")
    for key in numbers:
        if not isinstance(table[key], int) or table[key] < 0:
            _fail(where, f"{key!r} must be a whole number of minutes")
    if not NAME.fullmatch(table["name"]):
        _fail(where, f"name {table['name']!r} must look like 01_detach (two digits, then lower case)")
    exercises = []
    for i, ex in enumerate(table.get("exercise", [])):
        at = f"{where}, exercise {i + 1}"
        if not isinstance(ex.get("number"), int) or not isinstance(ex.get("title"), str):
            _fail(at, "needs a whole 'number' and a 'title'")
        cells = ex.get("cells")
        if not isinstance(cells, list) or not cells or not all(isinstance(c, str) and c for c in cells):
            _fail(at, "'cells' must list the ids of its code cells")
        exercises.append(Exercise(ex["number"], ex["title"], tuple(cells)))
    if [ex.number for ex in exercises] != list(range(1, len(exercises) + 1)):
        _fail(where, "exercises are numbered 1, 2, ... in order")
    if not isinstance(table.get("needs", "00"), str):
        _fail(where, "'needs' lists lesson numbers in a string, e.g. \"00, 01\"")
    unknown = set(table) - set(text + numbers + ("exercise", "needs"))
    if unknown:
        _fail(where, f"unknown keys {sorted(unknown)}")
    return Lesson(table["name"], table["title"], table["promise"], table["prerequisites"],
                  table["teaching_minutes"], table["exercise_minutes"], tuple(exercises), table.get("needs", "00"))


def parse(text: str, source: Path) -> Course:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MetadataError(f"{source.name}: {error}") from None
    lessons = tuple(_lesson(t, f"{source.name}, lesson {i + 1}") for i, t in enumerate(data.get("lesson", [])))
    names = [lesson.name for lesson in lessons]
    if names != sorted(names) or len(set(names)) != len(names):
        raise MetadataError(f"{source.name}: list each lesson once, in lesson order: {', '.join(names)}")
    return Course(lessons, source)


def load(path: Path | None = None) -> Course:
    """The course as ``course.toml`` (default: the one at the course root) describes it."""
    path = paths.course_file() if path is None else path
    return parse(path.read_text(encoding="utf-8"), path)


def entry(name: str, title: str, promise: str, prerequisites: str, teaching: int, exercises: int,
          exercise_list: list[tuple[int, str, list[str]]], needs: str = "00") -> str:
    """The TOML text of one ``[[lesson]]`` table, as ``make new-lesson`` appends it."""
    def q(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["", "[[lesson]]", f"name = {q(name)}", f"title = {q(title)}", f"promise = {q(promise)}",
             f"prerequisites = {q(prerequisites)}", f"teaching_minutes = {teaching}",
             f"exercise_minutes = {exercises}", f"needs = {q(needs)}"]
    for number, ex_title, cells in exercise_list:
        lines += ["", "[[lesson.exercise]]", f"number = {number}", f"title = {q(ex_title)}",
                  "cells = [" + ", ".join(q(c) for c in cells) + "]"]
    return "\n".join(lines) + "\n"
