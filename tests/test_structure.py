"""Every notebook pair follows the lesson anatomy of DESIGN.md section 3."""

import re
from pathlib import Path

import nbformat
import pytest

from gradflow.checking import exercises_of

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
SECTIONS = ["You will learn", "Prerequisites", "Pitfalls", "Exercises", "Key points", "Further reading"]
SETUP_CELL = "from gradflow import setup\n\nsetup()"


def _headings(nb) -> list[str]:
    return [line.lstrip("#").strip() for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("#")]


def test_same_notebooks_in_both_folders_numbered_in_order():
    assert [p.name for p in SOLUTIONS] == [p.name for p in LESSONS]
    numbers = [int(p.name[:2]) for p in SOLUTIONS]
    assert numbers == list(range(len(numbers))), "notebooks are numbered 00, 01, ... without gaps"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in SOLUTIONS)


@pytest.mark.parametrize("path", SOLUTIONS + LESSONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_anatomy(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "keep kernelspec metadata (no kernel dialog)"
    title = nb.cells[0].source.splitlines()[0]
    assert title.startswith(f"# {path.name[:2]} · "), f"first cell must be the title '# NN · ...', got {title!r}"
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
