"""Every notebook pair follows the lesson anatomy (CONTRIBUTING.md) and agrees with course.toml."""

import re
from pathlib import Path

import nbformat
import pytest

from gradflow.checking import exercises_of
from gradflow_course import metadata

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
COURSE = metadata.load(ROOT / "course.toml")
REVEAL_FIRST_LINE = "# run to reveal"
SECTIONS = ["You will learn", "Prerequisites", "Pitfalls", "Exercises", "Key points", "Further reading"]
SETUP_CELL = "from gradflow import setup\n\nsetup()"


def _headings(nb) -> list[str]:
    return [line.lstrip("#").strip() for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("#")]


def test_same_notebooks_in_both_folders_numbered_in_order():
    assert [p.name for p in SOLUTIONS] == [p.name for p in LESSONS]
    assert [p.stem for p in SOLUTIONS] == COURSE.names(), "course.toml lists every notebook, in lesson order"
    numbers = [int(p.name[:2]) for p in SOLUTIONS]
    assert numbers == list(range(len(numbers))), "notebooks are numbered 00, 01, ... without gaps"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in SOLUTIONS)


@pytest.mark.parametrize("path", SOLUTIONS + LESSONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_anatomy(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "keep kernelspec metadata (no kernel dialog)"
    headings = _headings(nb)
    for section in SECTIONS:
        assert any(h.startswith(section) for h in headings), f"missing section {section!r}"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.source == SETUP_CELL, "the first code cell is the shared set-up call"
    assert "sys.path" not in "".join(c.source for c in nb.cells), "import gradflow by name, never via sys.path"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lessons_are_clean_and_have_no_solution(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        assert "BEGIN SOLUTION" not in cell.source and "END SOLUTION" not in cell.source
        assert "solution" not in cell.metadata.get("tags", [])
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solutions_are_executed_and_have_checked_exercises(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "run `make outputs NB=...` to store outputs"
    assert len(exercises_of(path.stem)) >= 2, "each lesson has at least two checked exercises"
    assert any("### BEGIN SOLUTION" in c.source for c in code)


def _by_id(nb) -> dict:
    return {cell.get("id"): cell for cell in nb.cells}


@pytest.mark.parametrize("path", SOLUTIONS + LESSONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_first_cell_shows_what_course_toml_says(path):
    lesson = COURSE.lesson(path.stem)
    first = nbformat.read(path, as_version=4).cells[0]
    lines = first.source.splitlines()
    assert first.cell_type == "markdown" and lines[0] == lesson.first_cell_lines()[0], (
        f"the first cell opens with the title line {lesson.first_cell_lines()[0]!r} (course.toml), got {lines[0]!r}")
    for line in lesson.first_cell_lines()[1:]:
        assert line in lines, f"the first cell must show this line of course.toml as it is:\n{line}"


@pytest.mark.parametrize("path", SOLUTIONS + LESSONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_exercise_cells_are_where_course_toml_says(path):
    lesson = COURSE.lesson(path.stem)
    nb = nbformat.read(path, as_version=4)
    cells, order = _by_id(nb), [cell.get("id") for cell in nb.cells]
    shown = re.findall(r"^### Exercise (\d+) · ", "\n".join(c.source for c in nb.cells if c.cell_type == "markdown"),
                       re.M)
    assert [int(n) for n in shown] == [ex.number for ex in lesson.exercises], (
        "course.toml lists one [[lesson.exercise]] per '### Exercise N · title' heading, in order")
    for ex in lesson.exercises:
        missing = [cell_id for cell_id in ex.cells if cell_id not in cells]
        assert not missing, f"exercise {ex.number}: course.toml lists cells {missing} that the notebook does not have"
        assert all(cells[c].cell_type == "code" for c in ex.cells), f"exercise {ex.number}: list code cells only"
        positions = [order.index(c) for c in ex.cells]
        assert positions == sorted(positions), f"exercise {ex.number}: list its cells in notebook order"
        heading = next(i for i in range(positions[0], -1, -1) if nb.cells[i].cell_type == "markdown")
        assert ex.heading in nb.cells[heading].source.splitlines(), (
            f"the markdown cell just before exercise {ex.number}'s cells must show {ex.heading!r} (course.toml)")
        assert re.search(r"\bex\.\w+\(", cells[ex.cells[-1]].source), (
            f"exercise {ex.number}: its last listed cell calls the checker")


def test_course_toml_lists_the_exercises_the_checkers_register():
    for lesson in COURSE.lessons:
        registered = [ex.number for ex in exercises_of(lesson.name)]
        assert sorted(registered) == [ex.number for ex in lesson.exercises], lesson.name


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_reveal_cells_give_nothing_away_and_are_collapsed_in_the_lesson(path):
    solution = nbformat.read(path, as_version=4)
    lesson = _by_id(nbformat.read(ROOT / "lessons" / path.name, as_version=4))
    for cell in solution.cells:
        if "reveal" in cell.metadata.get("tags", []):
            assert cell.source.splitlines()[0] == REVEAL_FIRST_LINE, (
                f"cell {cell.id}: a collapsed cell still shows its first line, so a reveal cell starts with "
                f"{REVEAL_FIRST_LINE!r}")
            assert lesson[cell.id].metadata.get("jupyter", {}).get("source_hidden") is True, "run `make lessons`"
