"""Facts about the lessons that the instructor kit shows, written from course.toml, never by hand.

``make lessons`` calls :func:`write_facts` after building, so a change of minutes or a new lesson
reaches the kit in the same step:

* ``instructors/schedule.md``: the lesson table and its totals, between the two GENERATED markers, with
  each lesson's minutes as ``gradflow-course minutes`` measures them beside course.toml's slots;
* ``instructors/notes/NN_topic.md``: the minutes line (``**Teaching N min · exercises M min.**``) at
  the start of its line; a lesson with no notes page gets one to fill in.

The timetables further down the schedule are planned by hand (how much exercise time fits in the
room); :func:`timetable_mismatches` checks that the teaching minutes they quote are course.toml's.
"""

from __future__ import annotations

import re
from pathlib import Path

import gradflow_course.metadata as metadata

BEGIN = "<!-- GENERATED from course.toml and the lessons by `make lessons`: edit those, not this table -->"
END = "<!-- END GENERATED -->"
_MINUTES_LINE = re.compile(r"^\*\*Teaching \d+ min · exercises \d+ min\.\*\*")
#: a timetable row: | 09:10 | 01 · detach: teaching / exercises | 25 / 20 |
_TIMETABLE_ROW = re.compile(r"^\|\s*\d\d:\d\d\s*\|\s*(\d\d) · [^|]*\|\s*(\d+) / (\d+)\s*\|", re.M)


def _hours(minutes: int) -> str:
    return f"{minutes // 60} hours {minutes % 60} minutes"


def schedule_table(course: metadata.Course, root: Path) -> str:
    """The generated part of the schedule: one row per lesson, then the totals. The minutes are the ones
    ``gradflow-course minutes`` estimates from each lesson's content; course.toml's are the slots they fit."""
    from .minutes import lesson_minutes

    rows = ["| # | lesson | teaching (measured / slot) | exercises (measured / slot) | needs |", "|---|---|---|---|---|"]
    core = exercises = 0
    for lesson in course.lessons:
        measured = (lesson_minutes(lesson.name, root) if (root / "solutions" / f"{lesson.name}.ipynb").exists()
                    else {"core": lesson.teaching_minutes, "exercises": lesson.exercise_minutes})
        core, exercises = core + measured["core"], exercises + measured["exercises"]
        rows.append(f"| {lesson.number} | `{lesson.name}` | {measured['core']} / {lesson.teaching_minutes} | "
                    f"{measured['exercises']} / {lesson.exercise_minutes} | {lesson.needs} |")
    rows += ["", f"All {len(course.lessons)} lessons, as measured: {core} min teaching + {exercises} min exercises = "
                 f"{_hours(core + exercises)} without breaks (slots: {course.teaching_minutes} + "
                 f"{course.exercise_minutes} min). `gradflow-course minutes` shows how each figure is counted."]
    return "\n".join([BEGIN, *rows, END])


def notes_minutes_line(lesson: metadata.Lesson) -> str:
    return f"**Teaching {lesson.teaching_minutes} min · exercises {lesson.exercise_minutes} min.**"


def notes_stub(lesson: metadata.Lesson) -> str:
    return (f"# {lesson.number} · {lesson.title}: instructor notes\n\n{notes_minutes_line(lesson)} TODO: the one "
            "sentence that carries the lesson.\n\n## Points to stress\n- TODO\n\n## Where learners get stuck\n"
            "- TODO: the misconception, and the cell that shows it.\n")


def with_schedule(text: str, course: metadata.Course, root: Path) -> str:
    """``text`` (the schedule) with its generated table replaced by today's."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"instructors/schedule.md lost its markers: put {BEGIN!r} and {END!r} around the "
                         "lesson table")
    return text[:start] + schedule_table(course, root) + text[end + len(END):]


def with_minutes(text: str, lesson: metadata.Lesson) -> str:
    """A notes page with its minutes line set to course.toml's (the rest of that line is kept)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _MINUTES_LINE.match(line):
            lines[i] = _MINUTES_LINE.sub(notes_minutes_line(lesson), line, count=1)
            return "\n".join(lines)
    heading = 1 if lines and lines[0].startswith("# ") else 0
    return "\n".join(lines[:heading] + ["", notes_minutes_line(lesson)] + lines[heading:])


def expected_files(course: metadata.Course, root: Path) -> dict[Path, str]:
    """Every generated file as it should read now (only those whose text depends on course.toml)."""
    out = {}
    schedule = root / "instructors" / "schedule.md"
    if schedule.exists():
        out[schedule] = with_schedule(schedule.read_text(encoding="utf-8"), course, root)
    for lesson in course.lessons:
        path = root / "instructors" / "notes" / f"{lesson.name}.md"
        text = path.read_text(encoding="utf-8") if path.exists() else notes_stub(lesson)
        out[path] = with_minutes(text, lesson)
    return out


def _stale(course: metadata.Course, root: Path) -> dict[Path, str]:
    """The generated files that differ from what they should read, with the text they should hold."""
    return {path: text for path, text in expected_files(course, root).items()
            if not path.exists() or path.read_text(encoding="utf-8") != text}


def stale_files(course: metadata.Course, root: Path) -> list[Path]:
    """The generated files that differ from what :func:`write_facts` would write."""
    return list(_stale(course, root))


def write_facts(course: metadata.Course, root: Path) -> list[Path]:
    """Rewrite what differs; return the files written."""
    for path, text in (stale := _stale(course, root)).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(stale)


def timetable_mismatches(course: metadata.Course, root: Path) -> list[str]:
    """Timetable rows whose teaching minutes are not course.toml's."""
    text = (root / "instructors" / "schedule.md").read_text(encoding="utf-8")
    by_number = {lesson.number: lesson for lesson in course.lessons}
    out = []
    for number, teaching, _ in _TIMETABLE_ROW.findall(text):
        lesson = by_number.get(number)
        if lesson is None:
            out.append(f"a timetable row names lesson {number}, which course.toml does not list")
        elif int(teaching) != lesson.teaching_minutes:
            out.append(f"a timetable row gives {lesson.name} {teaching} min of teaching, course.toml "
                       f"{lesson.teaching_minutes}")
    return out
