"""The course's commands: one package apart from the library, one entry point, one module of paths."""

import ast
import re
import tomllib
from pathlib import Path

import pytest

from gradflow_course import cli, diff, metadata, paths

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "utils" / "gradflow_course"


def test_the_root_is_found_from_any_subfolder_by_its_marker(tmp_path, monkeypatch):
    (tmp_path / "course.toml").write_text("")
    deep = tmp_path / "workspace" / "notes"
    deep.mkdir(parents=True)
    assert paths.find_root(deep) == tmp_path
    monkeypatch.chdir(deep)
    assert paths.find_root() == tmp_path


def test_outside_any_course_the_installed_copy_is_used():
    assert paths.find_root(Path("/")) == ROOT  # this checkout holds the package and course.toml


def test_every_folder_follows_a_moved_root(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    for folder in (paths.solutions(), paths.lessons(), paths.workspace(), paths.site(), paths.course_file(),
                   paths.exercises(), paths.pyproject()):
        assert folder.is_relative_to(tmp_path)
    assert paths.shown(tmp_path / "lessons" / "01_x.ipynb") == str(Path("lessons") / "01_x.ipynb")


def test_every_make_target_that_runs_a_command_goes_through_the_entry_point():
    makefile = (ROOT / "Makefile").read_text()
    assert "gradflow.course" not in makefile
    called = re.findall(r"^\t\$\(COURSE\) ([\w-]+)", makefile, re.M)
    assert called and set(called) <= set(cli.COMMANDS)
    assert re.search(r"^COURSE\s*:=.*-m gradflow_course$", makefile, re.M)


def test_pyproject_installs_the_console_script_and_the_template():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["gradflow-course"] == "gradflow_course.cli:main"
    patterns = project["tool"]["setuptools"]["package-data"]["gradflow_course"]
    assert any(Path("templates/checker.py.tmpl").match(p) for p in patterns)


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in cli.COMMANDS)


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            yield node.module or "", [alias.name for alias in node.names], node.level
        elif isinstance(node, ast.Import):
            yield from ((alias.name, [], 0) for alias in node.names)


def test_no_module_imports_a_private_name_from_another():
    private = [f"{path.name}: {module}.{name}" for path in PACKAGE.glob("*.py")
               for module, names, _ in _imports(path) for name in names if name.startswith("_")]
    assert not private, private


def test_the_learner_library_never_imports_the_commands():
    offending = [str(path.relative_to(ROOT)) for path in (ROOT / "utils" / "gradflow").rglob("*.py")
                 for module, _, _ in _imports(path) if module.startswith("gradflow_course")]
    assert not offending


def test_course_toml_is_checked_when_read(tmp_path):
    bad = tmp_path / "course.toml"
    bad.write_text('[[lesson]]\nname = "1_x"\ntitle = "T"\npromise = "p"\nprerequisites = "-"\n'
                   'teaching_minutes = 5\nexercise_minutes = 5\n')
    with pytest.raises(metadata.MetadataError, match="must look like 01_detach"):
        metadata.load(bad)
    bad.write_text(bad.read_text().replace('"1_x"', '"01_x"') + '\n[[lesson.exercise]]\nnumber = 2\ntitle = "t"\n'
                                                                 'cells = ["01-003"]\n')
    with pytest.raises(metadata.MetadataError, match="numbered 1, 2"):
        metadata.load(bad)


def test_a_lesson_is_found_by_number_or_name_and_an_unknown_one_is_listed():
    course = metadata.load(ROOT / "course.toml")
    assert course.lesson("01").name == course.lesson("01_detach.ipynb").name == "01_detach"
    assert course.lesson("1").name == course.lesson("detach").name == "01_detach"  # what LESSON= takes
    with pytest.raises(metadata.MetadataError, match="lessons are: 00_autograd_refresher, 01_detach"):
        course.lesson("99_nope")
    with pytest.raises(metadata.MetadataError, match="no lesson called 'detac'"):
        course.lesson("detac")


def test_one_lessons_tests_are_its_solution_lesson_and_checker_tests():
    from gradflow_course.suite import lesson_targets, pytest_command

    targets = lesson_targets("detach")
    assert targets == ["solutions/01_detach.ipynb", "lessons/01_detach.ipynb", "tests/test_lesson01_checkers.py"]
    command = pytest_command(targets)
    assert command[-3:] == targets and "tests" not in command  # only the lesson's, not the whole suite


def test_an_unknown_lesson_is_one_line_not_a_traceback(capsys):
    from gradflow_course import cli

    for command in (["outputs", "--lesson", "nope"], ["test", "--lesson", "nope"], ["sizing", "--lesson", "nope"]):
        assert cli.main(command) == 2, command
        err = capsys.readouterr().err
        assert err.startswith("no lesson called 'nope'") and "Traceback" not in err, err


def test_diff_defines_nbdimes_driver_for_one_git_call_only():
    command = diff.git_command("main", ["solutions/01_detach.ipynb"], "git-nbdiffdriver diff")
    assert command == ["git", "-c", "diff.jupyternotebook.command=git-nbdiffdriver diff", "diff", "main", "--",
                       "solutions/01_detach.ipynb"]
    assert "*.ipynb diff=jupyternotebook" in (ROOT / ".gitattributes").read_text()


def test_tool_processes_skip_the_slow_iri_grammar_and_still_validate_notebooks():
    import subprocess
    import sys

    import nbformat

    # pyproject's `-p gradflow_course.fast_start` ran before nbval imported nbformat (and so jsonschema)
    assert sys.modules.get("rfc3987_syntax", "imported or absent") is None
    nbformat.validate(nbformat.read(ROOT / "solutions" / "01_detach.ipynb", as_version=4))
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    broken.cells[0]["outputs"] = [{"output_type": "no such type"}]
    with pytest.raises(nbformat.ValidationError):
        nbformat.validate(broken)
    # the gradflow-course command marks it too, before any command imports nbformat
    probe = "import gradflow_course.cli, sys; print(sys.modules.get('rfc3987_syntax', 'imported or absent'))"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "None"


def test_the_lab_server_skips_it_too_and_no_server_schema_needs_it():
    import importlib.util

    from gradflow_course.lab import lab_command

    # `make lab` starts JupyterLab's own entry point through lab_server, whose first import is fast_start
    assert lab_command(Path("/tmp/ws"), [])[1:3] == ["-m", "gradflow_course.lab_server"]
    source = (ROOT / "utils" / "gradflow_course" / "lab_server.py").read_text()
    imports = [n for n in ast.parse(source).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert ast.unparse(imports[0]) == "import gradflow_course.fast_start", "fast_start must come before jupyterlab"
    assert "from jupyterlab.labapp import main" in source  # the function the `jupyter-lab` script calls
    # what the skipped package serves, the iri formats, appears in no schema the server's packages ship
    used = []
    for package in ("jupyter_events", "jupyter_server", "jupyterlab", "jupyterlab_server", "jupyter_lsp"):
        folder = Path(importlib.util.find_spec(package).origin).parent
        for path in (p for ext in ("json", "yaml", "yml") for p in folder.rglob(f"*.{ext}")):
            if re.search(r"""["']?format["']?\s*:\s*["']?iri""", path.read_text(encoding="utf-8", errors="replace")):
                used.append(str(path))
    assert not used, used
