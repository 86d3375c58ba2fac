"""Every lesson found passes every rule of `gradflow-course lint` (the rules live in gradflow_course/lint.py).

One test per lesson and rule, for every lesson course.toml lists and any solution notebook it does not:
nothing here names a lesson or a count. The checker-tests rule reads the test cases this pytest session
collected (the lesson's ``tests/test_lessonNN_*.py``), or collects them itself when this file runs alone.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from gradflow_course import facts, lint, metadata

ROOT = Path(__file__).resolve().parents[1]
COURSE = metadata.load(ROOT / "course.toml")
LESSONS = lint.lesson_names(COURSE, ROOT)


@functools.lru_cache(maxsize=None)
def _files(name: str) -> lint.LessonFiles:
    return lint.LessonFiles(name, COURSE, ROOT)


def _errors(problems) -> list[str]:
    return [str(p) for p in problems if not p.warning]


@pytest.mark.parametrize("rule", [r for r in lint.RULES if r != "checker-tests"])
@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_follows_the_rule(lesson, rule):
    problems = _errors(lint.RULES[rule][1](_files(lesson)))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_checker_is_tested_from_both_sides(lesson, request):
    files = _files(lesson)
    collected = [Path(str(i.path)) for i in request.session.items]
    if all(path in collected for path in files.checker_tests):  # the suite collected them: count its cases
        files = lint.LessonFiles(lesson, COURSE, ROOT, lint.counts_from_items(request.session.items, files.number))
    problems = _errors(lint.checker_tests(files))
    assert not problems, "\n".join(problems)


def test_lessons_are_numbered_without_gaps_and_nothing_is_orphaned():
    assert [name[:2] for name in LESSONS] == [f"{n:02d}" for n in range(len(LESSONS))]
    lessons = sorted(p.stem for p in (ROOT / "lessons").glob("*.ipynb"))
    assert lessons == sorted(LESSONS), "lessons/ holds a notebook with no solution: run `make lessons`, or remove it"


def test_the_kit_shows_course_toml_as_make_lessons_writes_it():
    stale = facts.stale_files(COURSE, ROOT)
    assert not stale, f"{', '.join(str(p.relative_to(ROOT)) for p in stale)} differ from course.toml: run `make lessons`"
    assert not facts.timetable_mismatches(COURSE, ROOT)
