"""The make-free route (Windows): the course's commands through `gradflow-course`, with no make on PATH.

Each command runs as a learner without make runs it: the console script that `pip install -e .` (or
`conda env create -f environment.yml`) puts beside the environment's Python, from a course folder
whose path has a space in it, with PATH holding only the environment's own folder. Then the
workspace and reset logic on what Windows brings: CRLF line endings in notebooks (git's autocrlf,
Windows editors) and folders with spaces.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from gradflow_course import cli, metadata, suite
from gradflow_course.lab import lab_command
from gradflow_course.reset import reset_exercise
from gradflow_course.workspace import _digest, reset, sync

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LESSON = "01_detach"


def _script() -> Path:
    name = "gradflow-course.exe" if os.name == "nt" else "gradflow-course"
    path = BIN / name
    assert path.exists(), f"{name} missing beside {sys.executable}: the package's [project.scripts] entry"
    return path


def _no_make_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env["PATH"] = str(BIN)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _course_copy(folder: Path) -> Path:
    """The course as a learner has it, under a folder with a space: course.toml and lessons/."""
    course = folder / "my course"
    (course / "lessons").mkdir(parents=True)
    shutil.copy2(ROOT / "course.toml", course / "course.toml")
    for lesson in (ROOT / "lessons").glob("*.ipynb"):
        shutil.copy2(lesson, course / "lessons" / lesson.name)
    return course


def _run(args: list[str], cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    env = _no_make_env()
    assert shutil.which("make", path=env["PATH"]) is None, "make is still on PATH"
    return subprocess.run([str(_script()), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout)


@pytest.mark.slow  # starts a kernel, a server or a pytest of its own
def test_help_lists_the_learners_commands():
    result = _run(["--help"], ROOT)
    assert result.returncode == 0, result.stderr
    listed = set(re.findall(r"^    ([a-z][a-z0-9-]+)\s", result.stdout, re.M))
    assert {"lab", "test", "check", "reset", "progress"} <= listed, result.stdout


@pytest.mark.slow  # starts a kernel, a server or a pytest of its own
def test_lab_reset_and_progress_without_make_in_a_folder_with_a_space(tmp_path):
    course = _course_copy(tmp_path)
    workspace = course / "workspace"
    # `lab` fills the workspace, then starts JupyterLab with the options it was given: --version ends it at once
    lab = _run(["lab", "--version"], course)
    assert lab.returncode == 0, lab.stderr
    assert re.search(r"^\d+\.\d+\.\d+$", lab.stdout, re.M), lab.stdout
    # the command lab starts keeps the path with its space in one argument (lab no longer prints it)
    assert f"--ServerApp.root_dir={workspace}" in lab_command(workspace, [])
    assert sorted(p.name for p in workspace.glob("*.ipynb")) == sorted(p.name for p in (course / "lessons").glob("*.ipynb"))

    # a learner's answer, then the course's version of exercise 1 back; the answer kept beside it
    mine = workspace / f"{LESSON}.ipynb"
    nb = nbformat.read(mine, as_version=4)
    cell_id = metadata.load().lesson(LESSON).exercises[0].cells[0]
    cell = next(c for c in nb.cells if c.id == cell_id)
    cell.source = "my answer = 42"
    nbformat.write(nb, mine)
    result = _run(["reset", LESSON, "1"], course)
    assert result.returncode == 0, result.stderr
    assert "my answer = 42" in (workspace / f"mine-1 · {LESSON}.ipynb").read_text(encoding="utf-8")
    back = next(c for c in nbformat.read(mine, as_version=4).cells if c.id == cell_id)
    assert back.source == next(c for c in nbformat.read(course / "lessons" / mine.name, as_version=4).cells
                               if c.id == cell_id).source

    progress = _run(["progress"], course)
    assert progress.returncode == 0, progress.stderr
    assert LESSON in progress.stdout


def test_the_test_command_is_the_suite_that_make_test_runs():
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^test: .*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert recipe.strip() == "$(COURSE) test $(if $(LESSON),--lesson '$(LESSON)')", \
        "make test calls the one home of the pytest command line (LESSON= passed on as --lesson)"
    command = suite.pytest_command()
    assert command[1:3] == ["-m", "pytest"] and command[-len(suite.targets()):] == suite.targets() and suite.targets()[:3] == ["tests", "solutions", "lessons"]
    assert {"--nbval", "--nbval-current-env", "--nbval-sanitize-with"} <= set(command)
    named = suite.pytest_command(["tests/test_python_versions.py", "-x"])
    assert "solutions" not in named and named[-2:] == ["tests/test_python_versions.py", "-x"]


# No test runs `gradflow-course test` for real: `make test` is that command's run (the recipe above), so a
# broken command fails the whole suite before any test could report it.


def test_the_test_command_passes_pytests_exit_code_on(monkeypatch, capsys):
    # what `gradflow-course test` returns is pytest's own exit code (in-process: make test itself runs the script)
    monkeypatch.setattr(suite.subprocess, "call", lambda command, cwd: 5)
    assert cli.main(["test", "tests/test_python_versions.py", "-k", "no_such_test"]) == 5
    assert "running:" in capsys.readouterr().out


# ---- Windows line endings and paths ----

def _crlf(path: Path) -> None:
    data = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    path.write_bytes(data)


@pytest.fixture
def crlf_course(tmp_path):
    """One lesson, CRLF-encoded, as git with autocrlf checks it out on Windows; folders with spaces."""
    lessons = tmp_path / "course folder" / "lessons"
    lessons.mkdir(parents=True)
    source = lessons / f"{LESSON}.ipynb"
    shutil.copy2(ROOT / "lessons" / source.name, source)
    _crlf(source)
    assert b"\r\n" in source.read_bytes() and b"\n" not in source.read_bytes().replace(b"\r\n", b"")
    return source, tmp_path / "my work space" / "workspace"


def test_a_crlf_notebook_is_read_as_the_same_notebook(crlf_course):
    source, _ = crlf_course
    assert nbformat.read(source, as_version=4) == nbformat.read(ROOT / "lessons" / source.name, as_version=4)


def test_sync_copies_digests_and_refreshes_crlf_lessons(crlf_course):
    source, workspace = crlf_course
    assert sync(source.parent, workspace) == [f"added          {source.name}"]
    copy = workspace / source.name
    assert copy.read_bytes() == source.read_bytes() and _digest(copy) == _digest(source)
    assert sync(source.parent, workspace) == [f"up to date     {source.name}"]
    # the course changes the lesson (still CRLF): an untouched copy follows it
    nb = nbformat.read(source, as_version=4)
    nb.cells[0].source += "\n\nA new sentence."
    nbformat.write(nb, source)
    _crlf(source)
    assert sync(source.parent, workspace) == [f"updated        {source.name}"]
    assert copy.read_bytes() == source.read_bytes()


def test_a_copy_an_editor_saved_with_other_line_endings_is_left_as_it_is(crlf_course):
    # the same cells with other bytes is still the course's copy (issue 22: a Ctrl+S must not make it "yours"),
    # and the sync leaves its bytes alone
    source, workspace = crlf_course
    sync(source.parent, workspace)
    copy = workspace / source.name
    copy.write_bytes(copy.read_bytes().replace(b"\r\n", b"\n"))  # same notebook, LF endings
    before = copy.read_bytes()
    line = sync(source.parent, workspace)[0]
    assert line.startswith("up to date") and copy.read_bytes() == before, line


def test_reset_of_a_crlf_lesson_and_exercise_keeps_the_learners_bytes(crlf_course):
    source, workspace = crlf_course
    sync(source.parent, workspace)
    mine = workspace / source.name
    cell_id = metadata.load().lesson(LESSON).exercises[0].cells[0]
    nb = nbformat.read(mine, as_version=4)
    next(c for c in nb.cells if c.id == cell_id).source = "answer = 'mine'"
    nbformat.write(nb, mine)
    _crlf(mine)
    learners = mine.read_bytes()

    message = reset_exercise(LESSON, 1, source.parent, workspace)
    assert f"mine-1 · {LESSON}.ipynb" in message
    assert (workspace / f"mine-1 · {LESSON}.ipynb").read_bytes() == learners
    course_cell = next(c for c in nbformat.read(source, as_version=4).cells if c.id == cell_id)
    assert next(c for c in nbformat.read(mine, as_version=4).cells if c.id == cell_id).source == course_cell.source

    message = reset(LESSON, source.parent, workspace)
    assert f"mine-2 · {LESSON}.ipynb" in message and mine.read_bytes() == source.read_bytes()
    assert sync(source.parent, workspace) == [f"up to date     {source.name}"]
