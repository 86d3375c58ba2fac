"""Resetting one exercise: the course's cells come back, the learner's notebook is kept beside it."""

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from gradflow_course import cli, metadata, paths
from gradflow_course.reset import exercises, reset_exercise
from gradflow_course.workspace import sync

ROOT = Path(__file__).resolve().parents[1]
TOY_TOML = """
[[lesson]]
name = "07_toy"
title = "Toy"
promise = "a promise."
prerequisites = "None."
teaching_minutes = 1
exercise_minutes = 2

[[lesson.exercise]]
number = 1
title = "First"
cells = ["07-003"]

[[lesson.exercise]]
number = 2
title = "Second"
cells = ["07-005", "07-006"]
"""


def _course(lessons: Path) -> Path:
    cells = [
        new_markdown_cell("# 07 · Toy\n\n### You will learn\n- things", id="07-000"),
        new_code_cell("from gradflow import setup\n\nsetup()", id="07-001"),
        new_markdown_cell("## Exercises\n\n### Exercise 1 · First", id="07-002"),
        new_code_cell("answer = ...  # your code here\nex.first(answer)", id="07-003"),
        new_markdown_cell("### Exercise 2 · Second\nTwo cells: a helper, then the check.", id="07-004"),
        new_code_cell("def helper():\n    raise NotImplementedError", id="07-005"),
        new_code_cell("ex.second(helper)", id="07-006"),
        new_code_cell("print('try it out')", id="07-007"),  # after the checker: not part of the exercise
        new_markdown_cell("## Key points\n- done", id="07-008"),
        new_code_cell("ex.not_an_exercise()", id="07-009"),  # after a non-exercise heading
    ]
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    lessons.mkdir(parents=True, exist_ok=True)
    path = lessons / "07_toy.ipynb"
    nbformat.write(nb, path)
    return path


def _edit(path: Path, edits: dict[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.id in edits:
            cell.source = edits[cell.id]
            if cell.cell_type == "code":
                cell.outputs = [nbformat.v4.new_output("stream", text="my output\n")]
                cell.execution_count = 3
    nbformat.write(nb, path)
    return nb


def _sources(path: Path) -> dict[str, str]:
    return {c.id: c.source for c in nbformat.read(path, as_version=4).cells}


@pytest.fixture
def course(tmp_path, monkeypatch):
    (tmp_path / "course.toml").write_text(TOY_TOML)
    monkeypatch.setattr(paths, "ROOT", tmp_path)  # every command now reads the toy course
    lessons, ws = tmp_path / "lessons", tmp_path / "workspace"
    _course(lessons)
    sync(lessons, ws)
    return lessons, ws


def test_exercise_cells_are_the_ones_course_toml_lists(course):
    lessons, _ = course
    nb = nbformat.read(lessons / "07_toy.ipynb", as_version=4)
    found = exercises(nb, metadata.load().lesson("07_toy"))
    assert sorted(found) == [1, 2]
    assert [nb.cells[i].id for i in found[1]] == ["07-003"]
    assert [nb.cells[i].id for i in found[2]] == ["07-005", "07-006"]


def test_a_listed_cell_missing_from_the_notebook_is_named(course):
    lessons, ws = course
    (paths.course_file()).write_text(TOY_TOML.replace('"07-003"', '"07-099"'))
    with pytest.raises(SystemExit, match="course.toml lists cell 07-099 for exercise 1 of 07_toy"):
        reset_exercise("07_toy", 2, lessons, ws)


def test_reset_one_exercise_keeps_everything_else_and_a_backup(course):
    lessons, ws = course
    mine = ws / "07_toy.ipynb"
    _edit(mine, {"07-003": "answer = 42\nex.first(answer)", "07-005": "def helper():\n    return 1",
                 "07-007": "print('my experiment')", "07-008": "## Key points\n- my note"})
    before = mine.read_text()
    message = reset_exercise("07_toy", 2, lessons, ws)
    assert "mine-1 · 07_toy.ipynb" in message and "2 cells" in message
    assert (ws / "mine-1 · 07_toy.ipynb").read_text() == before  # the whole notebook as it was
    now = _sources(mine)
    assert now["07-005"] == "def helper():\n    raise NotImplementedError"  # exercise 2 is the course's again
    assert now["07-003"] == "answer = 42\nex.first(answer)"  # exercise 1 is still the learner's
    assert now["07-007"] == "print('my experiment')" and now["07-008"].endswith("my note")
    reset_cell = next(c for c in nbformat.read(mine, as_version=4).cells if c.id == "07-005")
    assert reset_cell.outputs == [] and reset_cell.execution_count is None
    # a second reset keeps the first backup and adds another
    reset_exercise("07", 1, lessons, ws)
    assert (ws / "mine-1 · 07_toy.ipynb").read_text() == before
    assert _sources(ws / "mine-2 · 07_toy.ipynb")["07-003"] == "answer = 42\nex.first(answer)"
    assert _sources(mine)["07-003"] == "answer = ...  # your code here\nex.first(answer)"


def test_learner_cells_added_or_deleted(course):
    lessons, ws = course
    mine = ws / "07_toy.ipynb"
    nb = nbformat.read(mine, as_version=4)
    nb.cells = [c for c in nb.cells if c.id != "07-006"]  # the learner deleted the checker cell
    nb.cells.insert(6, new_code_cell("scratch = 1", id="mine-1"))  # and added a scratch cell
    nbformat.write(nb, mine)
    reset_exercise("07_toy", 2, lessons, ws)
    ids = [c.id for c in nbformat.read(mine, as_version=4).cells]
    assert "mine-1" in ids  # the learner's own cell stays
    assert ids.index("07-006") == ids.index("07-005") + 1  # the deleted cell is back after its neighbour


def test_cell_with_a_new_id_is_found_by_its_checker_call(course):
    lessons, ws = course
    mine = ws / "07_toy.ipynb"
    nb = nbformat.read(mine, as_version=4)
    nb.cells[3].id = "changed"
    nb.cells[3].source = "answer = 7\nex.first(answer)"
    nbformat.write(nb, mine)
    reset_exercise("07_toy", 1, lessons, ws)
    cells = nbformat.read(mine, as_version=4).cells
    assert len(cells) == 10 and cells[3].id == "07-003" and "answer = ..." in cells[3].source


def test_unknown_exercise_or_lesson_writes_nothing(course):
    lessons, ws = course
    with pytest.raises(SystemExit, match="exercises are: 1, 2"):
        reset_exercise("07_toy", 5, lessons, ws)
    with pytest.raises(SystemExit, match="no lesson called '99_nope'.*lessons are: 07_toy"):
        reset_exercise("99_nope", 1, lessons, ws)
    assert sorted(p.name for p in ws.glob("*.ipynb")) == ["07_toy.ipynb"]


def test_missing_copy_gets_the_whole_lesson(course):
    lessons, ws = course
    (ws / "07_toy.ipynb").unlink()
    assert "whole lesson" in reset_exercise("07_toy", 1, lessons, ws)
    assert (ws / "07_toy.ipynb").read_text() == (lessons / "07_toy.ipynb").read_text()


def test_command_line_resets_an_exercise_or_the_lesson(course, capsys):
    lessons, ws = course
    _edit(ws / "07_toy.ipynb", {"07-003": "answer = 1\nex.first(answer)"})
    assert cli.main(["reset", "07_toy", "1", "--workspace", str(ws)]) == 0
    assert "reset exercise 1" in capsys.readouterr().out
    assert cli.main(["reset", "07"]) == 0  # the default workspace is the toy course's
    assert "reset 07_toy.ipynb to the course's version" in capsys.readouterr().out
    assert sorted(p.name for p in ws.glob("*.ipynb")) == ["07_toy.ipynb", "mine-1 · 07_toy.ipynb",
                                                          "mine-2 · 07_toy.ipynb"]
    assert (ws / "07_toy.ipynb").read_text() == (lessons / "07_toy.ipynb").read_text()


@pytest.mark.parametrize("lesson", metadata.load(ROOT / "course.toml").lessons, ids=lambda lesson: lesson.name)
def test_every_exercise_of_every_real_lesson_can_be_reset(lesson, tmp_path):
    """Each exercise's cells (course.toml) are found and reset cleanly in a learner's copy."""
    from gradflow.checking import exercises_of

    path = ROOT / "lessons" / f"{lesson.name}.ipynb"
    course = nbformat.read(path, as_version=4)
    found = exercises(course, lesson)
    registered = sorted(ex.number for ex in exercises_of(lesson.name))
    assert sorted(found) == registered, ("course.toml lists one [[lesson.exercise]] per checker registered for "
                                         "the lesson (`make reset ... EXERCISE=N`)")
    ws = tmp_path / "workspace"
    ws.mkdir()
    shutil.copy2(path, ws / path.name)
    mine = nbformat.read(ws / path.name, as_version=4)
    for number, cells in found.items():
        for index in cells:
            mine.cells[index].source = f"# my attempt at exercise {number}\n" + mine.cells[index].source
    nbformat.write(mine, ws / path.name)
    real = metadata.load(ROOT / "course.toml")
    for number in found:
        reset_exercise(lesson.name, number, path.parent, ws, real)
    assert [c.source for c in nbformat.read(ws / path.name, as_version=4).cells] == [c.source for c in course.cells]
    assert len(list(ws.glob(f"mine-* · {lesson.name}.ipynb"))) == len(found)
