"""`make new-lesson`: a throwaway lesson is scaffolded, executed, built and run, as CONTRIBUTING.md says.

The steps run in a temporary copy of the course (course.toml, the library, the solutions), reached by
pointing ``gradflow_course.paths.ROOT`` at it; the kernels import ``gradflow`` from that copy too
(PYTHONPATH), so the new checker module is the one they load.
"""

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from gradflow_course import cli, metadata, paths
from gradflow_course.outputs import run_notebook
from gradflow_course.scaffold import ScaffoldError, new_lesson
from test_structure import SECTIONS, SETUP_CELL

ROOT = Path(__file__).resolve().parents[1]
COURSE = metadata.load(ROOT / "course.toml")
NAME = f"{len(COURSE.lessons):02d}_probe"
# the commands of CONTRIBUTING.md's "Adding a lesson", in its order; the test below runs each one
STEPS = ["make new-lesson NAME=", "make outputs NB=solutions/", "make lessons", "make test"]


@pytest.fixture
def course_copy(tmp_path, monkeypatch):
    root = tmp_path / "course"
    shutil.copytree(ROOT / "utils" / "gradflow", root / "utils" / "gradflow",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "solutions", root / "solutions")
    shutil.copy2(ROOT / "course.toml", root / "course.toml")
    monkeypatch.setattr(paths, "ROOT", root)
    monkeypatch.setenv("PYTHONPATH", str(root / "utils"))  # the kernels' `gradflow` is the copy's
    return root


def _text(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []))


def test_a_new_lesson_is_scaffolded_built_and_proven_from_both_sides(course_copy):
    number = NAME[:2]
    assert cli.main(["new-lesson", NAME]) == 0
    solution = course_copy / "solutions" / f"{NAME}.ipynb"
    checker = course_copy / "utils" / "gradflow" / "exercises" / "probe.py"
    assert solution.is_file() and checker.is_file()
    lesson_meta = metadata.load().lesson(NAME)
    assert [ex.cells for ex in lesson_meta.exercises] == [(f"{number}-009",)]

    assert cli.main(["outputs", str(solution)]) == 0  # make outputs NB=solutions/NN_probe.ipynb
    solved = nbformat.read(solution, as_version=4)
    assert all(line in solved.cells[0].source.splitlines() for line in lesson_meta.first_cell_lines())
    headings = [line.lstrip("#").strip() for c in solved.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("#")]
    assert all(any(h.startswith(section) for h in headings) for section in SECTIONS), headings
    assert solved.cells[1].source == SETUP_CELL and "my_prediction = ..." in solved.cells[4].source
    assert f"✔ {number}.1 the gradient of a square: passed" in _text(solved.cells[9])
    reveal = solved.cells[5]
    assert reveal.metadata["tags"] == ["reveal"] and reveal.source.startswith("# run to reveal\n")
    assert "x.grad = 4.0" in _text(reveal)

    assert cli.main(["lessons"]) == 0  # make lessons: every lesson of course.toml, the new one included
    lesson_path = course_copy / "lessons" / f"{NAME}.ipynb"
    built = nbformat.read(lesson_path, as_version=4)
    assert built.cells[5].metadata["jupyter"]["source_hidden"] is True
    assert "BEGIN SOLUTION" not in built.cells[9].source and "grad = ...  # your code here" in built.cells[9].source
    ran = run_notebook(lesson_path)
    line = re.search(rf"^(.) {number}\.1 .*$", _text(ran.cells[9]), re.M)
    assert line and line.group(1) == "…" and "not attempted yet" in line.group(0)


def test_the_guide_walks_through_the_same_steps_in_order():
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = guide[guide.index("## Adding a lesson"):]
    position = 0
    for step in STEPS:
        found = section.find(step, position)
        assert found >= 0, f"'Adding a lesson' in CONTRIBUTING.md should show `{step}` after the steps before it"
        position = found


@pytest.mark.parametrize("name, problem", [
    ("10-hooks", "two digits, an underscore"),
    ("42_far", "the next lesson number is"),
    (COURSE.names()[0], "the next lesson number is"),
])
def test_a_bad_or_taken_name_writes_nothing(course_copy, name, problem):
    before = (course_copy / "course.toml").read_text()
    with pytest.raises(ScaffoldError, match=problem):
        new_lesson(name)
    assert (course_copy / "course.toml").read_text() == before
    assert sorted(p.name for p in (course_copy / "solutions").iterdir()) == [f"{n}.ipynb" for n in COURSE.names()]


def test_an_existing_checker_module_is_never_overwritten(course_copy):
    existing = course_copy / "utils" / "gradflow" / "exercises" / "probe.py"
    existing.write_text("# someone's work\n")
    with pytest.raises(ScaffoldError, match="not overwriting utils/gradflow/exercises/probe.py"):
        new_lesson(NAME)
    assert existing.read_text() == "# someone's work\n" and not (course_copy / "solutions" / f"{NAME}.ipynb").exists()
