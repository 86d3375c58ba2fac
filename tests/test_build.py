"""The single-source build: solutions/ -> lessons/ (`make lessons`)."""

import json
from pathlib import Path

import nbformat
import pytest

from gradflow_course import cli, paths
from gradflow_course.build import BuildError, build, course_solutions, lesson_from_solution, stale, strip_solutions

ROOT = Path(__file__).resolve().parents[1]


def test_committed_lessons_match_a_fresh_build():
    problems = stale(course_solutions(), ROOT / "lessons")
    assert not problems, f"lessons/ is out of date ({', '.join(problems)}): run `make lessons`"


def test_assignments_become_placeholders():
    src = "x = 1\n### BEGIN SOLUTION\nanswer = torch.ones(2)\nhelper = 3\nanswer = answer * 2\n### END SOLUTION\ncheck(answer)"
    assert strip_solutions(src, "nb") == ("x = 1\nanswer = ...  # your code here\nhelper = ...  # your code here\n"
                                          "check(answer)")


def test_tuple_targets_get_one_placeholder_each():
    assert strip_solutions("### BEGIN SOLUTION\na, b = f()\n### END SOLUTION", "nb") == "a, b = ..., ...  # your code here"


def test_indented_region_keeps_its_indentation_and_stub_lines_win():
    src = ("def step(m):\n    ### BEGIN SOLUTION\n    # STUB: raise NotImplementedError\n    m.zero_grad()\n"
           "    return 1\n    ### END SOLUTION\n")
    assert strip_solutions(src, "nb") == "def step(m):\n    raise NotImplementedError\n"


def test_region_without_assignment_becomes_pass():
    assert strip_solutions("### BEGIN SOLUTION\nprint(1)\n### END SOLUTION", "nb") == "pass  # your code here"


@pytest.mark.parametrize("src, problem", [
    ("### BEGIN SOLUTION\nx = 1", "without ### END SOLUTION"),
    ("x = 1\n### END SOLUTION", "without a ### BEGIN SOLUTION"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n### END SOLUTION", "nested"),
    ("x = 1  ### BEGIN SOLUTION", "must stand alone"),
])
def test_malformed_markers_are_named(src, problem):
    with pytest.raises(BuildError, match=problem):
        strip_solutions(src, "nb")


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python", "version": "3.11.7"}}
    nb.cells = list(cells)
    return nb


def test_lesson_drops_solution_cells_outputs_and_run_metadata():
    code = nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 2\n### END SOLUTION\ncheck(x)")
    code.outputs = [nbformat.v4.new_output("stream", text="✔ passed\n")]
    code.execution_count = 3
    code.metadata["execution"] = {"iopub.status.idle": "2026-01-01"}
    answer = nbformat.v4.new_markdown_cell("Because...")
    answer.metadata["tags"] = ["solution"]
    lesson = lesson_from_solution(_notebook(nbformat.v4.new_markdown_cell("# T"), code, answer), "nb")
    assert [c.cell_type for c in lesson.cells] == ["markdown", "code"]
    cell = lesson.cells[1]
    assert cell.source == "x = ...  # your code here\ncheck(x)"
    assert cell.outputs == [] and cell.execution_count is None and "execution" not in cell.metadata
    assert lesson.metadata == {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                               "language_info": {"name": "python"}}


def test_markers_in_markdown_stop_the_build_and_nothing_is_written(tmp_path):
    good = tmp_path / "solutions" / "01_good.ipynb"
    bad = tmp_path / "solutions" / "02_bad.ipynb"
    good.parent.mkdir()
    nbformat.write(_notebook(nbformat.v4.new_code_cell("x = 1")), good)
    nbformat.write(_notebook(nbformat.v4.new_markdown_cell("ok"),
                             nbformat.v4.new_markdown_cell("### BEGIN SOLUTION\nx\n### END SOLUTION")), bad)
    out = tmp_path / "lessons"
    with pytest.raises(BuildError, match=r"02_bad.ipynb, cell 1: solution markers in a markdown cell"):
        build([good, bad], out)
    assert not out.exists() or not list(out.iterdir())


def test_reveal_cells_are_collapsed_in_the_lesson_only():
    reveal = nbformat.v4.new_code_cell("# run to reveal\nassert answer == 4")
    reveal.metadata["tags"] = ["reveal"]
    plain = nbformat.v4.new_code_cell("answer = 4")
    solution = _notebook(plain, reveal)
    lesson = lesson_from_solution(solution, "nb")
    assert lesson.cells[1].metadata["jupyter"]["source_hidden"] is True
    assert lesson.cells[1].metadata["tags"] == ["reveal"]
    assert "jupyter" not in lesson.cells[0].metadata  # only reveal cells are collapsed
    assert "jupyter" not in solution.cells[1].metadata  # the solution is not modified


def _course(root: Path, *names: str) -> None:
    """A course folder with course.toml listing ``names`` (no exercises)."""
    tables = [f'[[lesson]]\nname = "{name}"\ntitle = "T"\npromise = "p"\nprerequisites = "none."\n'
              f"teaching_minutes = 1\nexercise_minutes = 1\n" for name in names]
    (root / "course.toml").write_text("\n".join(tables))
    (root / "solutions").mkdir()


def test_check_mode_names_the_command(tmp_path, monkeypatch, capsys):
    _course(tmp_path, "01_x")
    nbformat.write(_notebook(nbformat.v4.new_code_cell("x = 1")), tmp_path / "solutions" / "01_x.ipynb")
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    assert cli.main(["lessons", "--check"]) == 1
    assert "run `make lessons`" in capsys.readouterr().out
    assert cli.main(["lessons"]) == 0
    assert cli.main(["lessons", "--check"]) == 0
    lesson = json.loads((tmp_path / "lessons" / "01_x.ipynb").read_text())
    assert "".join(lesson["cells"][0]["source"]) == "x = 1"


def test_a_solution_missing_from_course_toml_stops_the_build(tmp_path, monkeypatch, capsys):
    _course(tmp_path, "01_x", "02_y")
    for name in ("01_x", "03_z"):
        nbformat.write(_notebook(nbformat.v4.new_code_cell("x = 1")), tmp_path / "solutions" / f"{name}.ipynb")
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    assert cli.main(["lessons"]) == 2
    err = capsys.readouterr().err
    assert "02_y is listed in course.toml but solutions/02_y.ipynb does not exist" in err
    assert "solutions/03_z.ipynb is not listed in course.toml" in err
    assert not (tmp_path / "lessons").exists()
