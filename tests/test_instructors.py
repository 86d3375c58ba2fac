"""The instructor kit stays in step with the lessons (course.toml): schedule minutes, notes, links."""

import re
from pathlib import Path

import pytest

from gradflow_course import metadata
from gradflow_course.minutes import lesson_minutes

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "instructors"
COURSE = metadata.load(ROOT / "course.toml")
#: | 01 | `01_detach` | 28 / 30 | 41 / 25 | 00 |: measured / slot, for teaching and for exercises
ROW = re.compile(r"^\|\s*(\d\d)\s*\|\s*`(\d\d_[a-z0-9_]+)`\s*\|\s*(\d+) / (\d+)\s*\|\s*(\d+) / (\d+)\s*\|", re.M)


def _schedule_rows() -> dict[str, tuple[int, int, int, int]]:
    return {m.group(2): tuple(int(m.group(i)) for i in range(3, 7))
            for m in ROW.finditer((KIT / "schedule.md").read_text())}


@pytest.mark.parametrize("lesson", COURSE.lessons, ids=lambda lesson: lesson.name)
def test_schedule_lists_each_lesson_with_its_measured_minutes_and_slots(lesson):
    rows = _schedule_rows()
    assert lesson.name in rows, f"add {lesson.name} to the lesson table of instructors/schedule.md"
    measured = lesson_minutes(lesson.name, ROOT)
    minutes = (measured["core"], lesson.teaching_minutes, measured["exercises"], lesson.exercise_minutes)
    assert rows[lesson.name] == minutes, (
        f"instructors/schedule.md says {rows[lesson.name]} min for {lesson.name}, the lesson and course.toml say "
        f"{minutes}: run make lessons")


def test_schedule_has_no_lesson_that_does_not_exist():
    assert set(_schedule_rows()) <= set(COURSE.names()), "the schedule lists a lesson that course.toml does not"


def test_schedule_totals_match_course_toml():
    text = (KIT / "schedule.md").read_text()
    assert f"(slots: {COURSE.teaching_minutes} + {COURSE.exercise_minutes} min)" in text


@pytest.mark.parametrize("lesson", COURSE.lessons, ids=lambda lesson: lesson.name)
def test_each_lesson_has_instructor_notes(lesson):
    assert (KIT / "notes" / f"{lesson.name}.md").is_file(), f"write instructors/notes/{lesson.name}.md"


def test_relative_links_in_the_kit_resolve():
    broken = []
    for page in KIT.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken
