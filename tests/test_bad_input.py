"""Bad input across the course commands: one clear line, non-zero where it fails, nothing lost.

Each case runs the command's entry point in-process on a temporary course workspace, snapshots every
file of the workspace before, and checks afterwards that every byte written before still exists
somewhere in it (a broken file may move aside, never vanish), that the command printed exactly one line
(no traceback, no argparse usage block) and that the line names a `make` command rather than an
internal flag where it gives advice.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

import gradflow_course.cli as cli
import gradflow_course.paths as paths
from gradflow_course.workspace import MANIFEST

ROOT = Path(__file__).resolve().parents[1]
LESSON = "02_requires_grad"


@pytest.fixture
def ws(tmp_path, monkeypatch):
    """A workspace with every lesson in it, one of them edited by the learner."""
    workspace = tmp_path / "workspace"
    monkeypatch.setattr(paths, "workspace", lambda: workspace)
    assert cli.main(["workspace", "--workspace", str(workspace)]) == 0
    mine = workspace / f"{LESSON}.ipynb"
    nb = json.loads(mine.read_text())
    nb["cells"][0]["source"] = "my notes, worth keeping\n"
    mine.write_text(json.dumps(nb))
    return workspace


def _snapshot(folder: Path) -> set[bytes]:
    return {p.read_bytes() for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()


def _run(argv, capsys) -> tuple[int, list[str]]:
    try:
        code = cli.main(argv)
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
        if isinstance(stop.code, str):
            print(stop.code)
    out = capsys.readouterr()
    return code, [line for line in (out.out + out.err).splitlines() if line.strip()]


def _one_clear_line(lines: list[str]) -> str:
    assert len(lines) == 1, "expected one line, got:\n" + "\n".join(lines)
    line = lines[0]
    assert "Traceback" not in line and "usage: gradflow-course" not in line and "Error:" not in line
    assert not any(flag in line for flag in ("--reset", "--workspace", "-h,")), line
    return line


# -- wrong names and numbers: the command refuses with one line, nothing changes --------------------
REFUSED = {
    "lesson is a path into solutions/": (["reset", "../solutions/01_detach"], "LESSON must name a lesson"),
    "path into solutions/, with exercise": (["reset", "../solutions/01_detach", "1"], "LESSON must name a lesson"),
    "absolute path": (["reset", "/etc/passwd"], "LESSON must name a lesson"),
    "lessons/ path": (["reset", "lessons/01_detach.ipynb"], "LESSON must name a lesson"),
    "hidden name": (["reset", ".gradflow-manifest.json"], "LESSON must name a lesson"),
    "windows path": (["reset", "..\\solutions\\01_detach"], "LESSON must name a lesson"),
    "unknown lesson": (["reset", "99_nope"], "no lesson called"),
    "unknown number": (["reset", "42"], "no lesson called"),
    "blank lesson": (["reset", " "], "LESSON must name a lesson"),
    "misspelt lesson": (["reset", "01_detatch", "1"], "no lesson called"),
    "exercise is a word": (["reset", "01_detach", "two"], "make reset LESSON=01_detach EXERCISE=1"),
    "exercise 0": (["reset", "01_detach", "0"], "has no exercise 0"),
    "exercise 99": (["reset", "01_detach", "99"], "has no exercise 99"),
    "exercise negative": (["reset", "--", "01_detach", "-1"], "not an exercise number"),
    "exercise decimal": (["reset", "01_detach", "1.5"], "not an exercise number"),
    "two exercises": (["reset", "01_detach", "1 2"], "not an exercise number"),
    "extra argument": (["reset", "01_detach", "1", "2"], "make reset LESSON=01_detach"),
    "no lesson at all": (["reset"], "make reset LESSON=01_detach"),
    "outputs of a missing notebook": (["outputs", "solutions/99_nope.ipynb"], "no such notebook"),
    "outputs into lessons/": (["outputs", "lessons/01_detach.ipynb"], "only solutions/"),
    "outputs of a non-notebook": (["outputs", "README.md"], "only solutions/"),
    "lab port is a word": (["lab", "--port=abc"], "the port must be a number"),
}


@pytest.mark.parametrize("argv, expected", REFUSED.values(), ids=REFUSED.keys())
def test_refused_with_one_line_and_nothing_changes(ws, capsys, argv, expected):
    before = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()}
    code, lines = _run(argv, capsys)
    assert code != 0
    assert expected in _one_clear_line(lines)
    assert {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()} == before  # nothing written, nothing lost


def test_lab_port_in_use_is_one_line(ws, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, lines = _run(["lab", f"--port={port}"], capsys)
    assert code != 0 and f"port {port} is already in use" in _one_clear_line(lines)
    assert "`make lab`" in lines[0]


def test_workspace_is_a_file(tmp_path, capsys, monkeypatch):
    workspace = tmp_path / "workspace"
    workspace.write_text("a file where the folder should be")
    monkeypatch.setattr(paths, "workspace", lambda: workspace)
    code, lines = _run(["reset", "01_detach"], capsys)
    assert code != 0 and "is a file, not a folder" in _one_clear_line(lines)
    assert workspace.read_text() == "a file where the folder should be"


# -- broken files: one line says which file and what to do; the command carries on where it can -----
BROKEN = {
    "truncated": lambda text: text[: len(text) // 2],
    "empty": lambda text: "",
    "not a notebook": lambda text: "{}",
    "a list": lambda text: "[1, 2]",
    "binary": lambda text: b"\xff\xfe\x00garbage",
}


def _break(path: Path, how: str) -> None:
    broken = BROKEN[how](path.read_text())
    path.write_bytes(broken if isinstance(broken, bytes) else broken.encode())


@pytest.mark.parametrize("how", BROKEN)
def test_reset_one_exercise_of_a_broken_notebook(ws, capsys, how):
    _break(ws / f"{LESSON}.ipynb", how)
    before = _snapshot(ws)
    code, lines = _run(["reset", LESSON, "1"], capsys)
    assert code != 0
    line = _one_clear_line(lines)
    assert f"{LESSON}.ipynb is unreadable" in line and f"`make reset LESSON={LESSON}`" in line
    assert _snapshot(ws) == before


@pytest.mark.parametrize("how", ["truncated", "binary"])
def test_reset_whole_lesson_keeps_the_broken_notebook_beside_a_fresh_one(ws, capsys, how):
    _break(ws / f"{LESSON}.ipynb", how)
    before = _snapshot(ws)
    code, lines = _run(["reset", LESSON], capsys)
    assert code == 0 and "your copy is now" in _one_clear_line(lines)
    assert before <= _snapshot(ws)  # the broken file is still there, as "mine-1 · <lesson>.ipynb"
    assert json.loads((ws / f"{LESSON}.ipynb").read_text())["cells"]


@pytest.mark.parametrize("how", ["truncated", "not a notebook", "binary"])
def test_lab_sync_names_the_unreadable_notebook_and_carries_on(ws, capsys, how):
    _break(ws / f"{LESSON}.ipynb", how)
    (ws / "00_autograd_refresher.ipynb").unlink()
    (ws / MANIFEST).write_text("{}")  # so the deleted lesson comes back: the sync carried on
    before = _snapshot(ws) - {b"{}"}
    code, lines = _run(["workspace", "--workspace", str(ws)], capsys)
    assert code == 0
    unreadable = [line for line in lines if line.startswith("unreadable")]
    assert len(unreadable) == 1 and LESSON in unreadable[0] and f"`make reset LESSON={LESSON}`" in unreadable[0]
    assert not any(line.startswith("yours, kept") and LESSON in line for line in lines)
    assert (ws / "00_autograd_refresher.ipynb").exists()
    assert before <= _snapshot(ws)


@pytest.mark.parametrize("manifest", ["{\"01_det", "[1, 2]", "{\"a\": 3}", "\xff"])
@pytest.mark.parametrize("command", [["workspace"], ["reset", "01_detach"]])
def test_corrupted_manifest_is_kept_aside_and_the_command_carries_on(ws, capsys, manifest, command):
    (ws / MANIFEST).write_bytes(manifest.encode("latin-1"))
    before = _snapshot(ws)
    argv = command + (["--workspace", str(ws)] if command == ["workspace"] else [])
    code, lines = _run(argv, capsys)
    assert code == 0
    notes = [line for line in lines if MANIFEST in line]
    assert len(notes) == 1 and "unreadable" in notes[0] and "kept as .gradflow-manifest.broken-1.json" in notes[0]
    assert before <= _snapshot(ws)
    assert json.loads((ws / MANIFEST).read_text())  # a fresh, readable manifest
    assert (ws / f"{LESSON}.ipynb").read_text().count("my notes, worth keeping") == 1


# -- make itself: a missing or half-built .venv, the fix `make check` names ----------------------------
def _make_dry(*args: str) -> str:
    return subprocess.run(["make", "-n", "--no-print-directory", *args], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout


def test_missing_venv_is_rebuilt_before_lab(tmp_path):
    plan = _make_dry("lab", f"VENV={tmp_path / 'none'}")
    assert "-m venv" in plan and "pip install" in plan and "gradflow_course lab" in plan


def test_interrupted_setup_is_finished_before_lab(tmp_path):
    venv = tmp_path / "half"
    (venv / "bin").mkdir(parents=True)  # a venv made, but pip interrupted: no stamp
    plan = _make_dry("lab", f"VENV={venv}")
    assert "pip install" in plan and plan.index("pip install") < plan.index("gradflow_course lab")


def test_make_setup_named_by_check_really_reinstalls():
    """`make check` says `make setup` when widgets are missing: it must not answer "Nothing to be done"."""
    from gradflow_course.check import check_widgets_extension

    result = check_widgets_extension(paths=[])
    assert not result.ok and "`make setup`" in result.fix
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nsetup:", 1)[1].split("\n\n", 1)[0]
    assert "rm -f $(STAMP)" in recipe and "$(STAMP)" in recipe.splitlines()[-1]


def test_reset_recipe_passes_arguments_safely():
    makefile = (ROOT / "Makefile").read_text()
    assert "reset -- '$(LESSON)'" in makefile  # `-1` stays an argument, `1 2` stays one argument
