"""The instructor kit stays in step with the lessons: schedule minutes, notes, links."""

import re
from pathlib import Path

import pytest

from gradflow.course.site import lesson_info

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "instructors"
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
ROW = re.compile(r"^\|\s*(\d\d)\s*\|\s*`(\d\d_[a-z0-9_]+)`\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|", re.M)


def _schedule_rows() -> dict[str, tuple[int, int]]:
    return {m.group(2): (int(m.group(3)), int(m.group(4))) for m in ROW.finditer((KIT / "schedule.md").read_text())}


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_schedule_lists_each_lesson_with_its_minutes(path):
    info = lesson_info(path)
    rows = _schedule_rows()
    assert path.stem in rows, f"add {path.stem} to the lesson table of instructors/schedule.md"
    assert rows[path.stem] == (info.teaching, info.exercises), (
        f"instructors/schedule.md says {rows[path.stem]} min for {path.stem}, the notebook's "
        f"'Prerequisites and time' line says {(info.teaching, info.exercises)}")


def test_schedule_has_no_lesson_that_does_not_exist():
    assert set(_schedule_rows()) <= {p.stem for p in SOLUTIONS}, "the schedule lists a lesson that is not in solutions/"


def test_schedule_totals_match_the_table():
    rows = _schedule_rows()
    text = (KIT / "schedule.md").read_text()
    teaching, exercises = sum(t for t, _ in rows.values()), sum(e for _, e in rows.values())
    assert f"{teaching} min teaching + {exercises} min exercises" in text


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_each_lesson_has_instructor_notes(path):
    assert (KIT / "notes" / f"{path.stem}.md").is_file(), f"write instructors/notes/{path.stem}.md"


def test_relative_links_in_the_kit_resolve():
    broken = []
    for page in KIT.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken
