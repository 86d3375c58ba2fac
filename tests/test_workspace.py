"""The learner's workspace: new lessons are added, edited copies are never overwritten."""

import json
from pathlib import Path

import nbformat
import pytest

from gradflow_course.lab import lab_command
from gradflow_course.workspace import reset, sync


def _nb(text: str) -> str:
    """A minimal notebook whose one cell holds ``text`` (the sync refuses to call non-notebooks "yours")."""
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [text]})


def _lesson(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(_nb(text))
    return path


def test_first_sync_copies_everything(tmp_path):
    lessons, ws = tmp_path / "lessons", tmp_path / "workspace"
    _lesson(lessons, "00_a.ipynb", "A1")
    _lesson(lessons, "01_b.ipynb", "B1")
    assert [l.split()[0] for l in sync(lessons, ws)] == ["added", "added"]
    assert (ws / "00_a.ipynb").read_text() == _nb("A1")


def test_edited_copy_is_kept_untouched_copy_is_updated_new_lesson_added(tmp_path):
    lessons, ws = tmp_path / "lessons", tmp_path / "workspace"
    _lesson(lessons, "00_a.ipynb", "A1")
    _lesson(lessons, "01_b.ipynb", "B1")
    sync(lessons, ws)
    (ws / "00_a.ipynb").write_text(_nb("A1 + my notes"))  # the learner edits lesson 00
    _lesson(lessons, "00_a.ipynb", "A2")  # the course updates both lessons and adds one
    _lesson(lessons, "01_b.ipynb", "B2")
    _lesson(lessons, "02_c.ipynb", "C1")
    lines = sync(lessons, ws)
    assert (ws / "00_a.ipynb").read_text() == _nb("A1 + my notes")
    assert (ws / "01_b.ipynb").read_text() == _nb("B2")
    assert (ws / "02_c.ipynb").read_text() == _nb("C1")
    assert lines[0].startswith("yours, kept") and "newer version" in lines[0]
    assert lines[1].startswith("updated") and lines[2].startswith("added")


def test_reset_keeps_the_learners_copy_beside_the_course_version(tmp_path):
    lessons, ws = tmp_path / "lessons", tmp_path / "workspace"
    _lesson(lessons, "00_a.ipynb", "A1")
    sync(lessons, ws)
    (ws / "00_a.ipynb").write_text(_nb("mine"))
    message = reset("00_a", lessons, ws)
    assert (ws / "00_a.ipynb").read_text() == _nb("A1")
    assert (ws / "mine-1 · 00_a.ipynb").read_text() == _nb("mine")
    assert "mine-1 · 00_a.ipynb" in message
    (ws / "00_a.ipynb").write_text(_nb("mine again"))
    reset("00_a.ipynb", lessons, ws)
    assert (ws / "mine-2 · 00_a.ipynb").read_text() == _nb("mine again")
    (ws / "00_a.mine-3.ipynb").write_text(_nb("an older backup"))  # named the way resets once did: counted, kept
    (ws / "00_a.ipynb").write_text(_nb("mine a third time"))
    assert "mine-4 · 00_a.ipynb" in reset("00_a", lessons, ws)
    assert (ws / "00_a.mine-3.ipynb").read_text() == _nb("an older backup")
    manifest = json.loads((ws / ".gradflow-manifest.json").read_text())
    assert set(manifest) == {"00_a.ipynb"}


def test_lab_listens_on_localhost_in_the_workspace(tmp_path):
    command = lab_command(tmp_path, [])
    assert "--ServerApp.ip=127.0.0.1" in command
    assert f"--ServerApp.root_dir={tmp_path}" in command
    assert not any("token" in part for part in command), "the token stays on"


def test_make_lab_passes_unknown_options_on_to_jupyter_lab(monkeypatch, tmp_path):
    from gradflow_course import cli, lab, paths

    seen = {}
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    (tmp_path / "lessons").mkdir()
    monkeypatch.setattr(lab, "write_overrides", lambda: None)
    monkeypatch.setattr(lab.os, "execv", lambda program, command: seen.setdefault("command", command))
    assert cli.main(["lab", "--port=9999", "--no-browser"]) == 0
    assert seen["command"][-2:] == ["--port=9999", "--no-browser"]
    assert f"--ServerApp.root_dir={tmp_path / 'workspace'}" in seen["command"]


# --- issue 22: a read-only course folder or workspace, a chosen workspace, a manifest written only on change


def _read_only(monkeypatch, folder: Path):
    """Writes under ``folder`` fail as on a read-only mount (tests run as root, where chmod stops nothing)."""
    import errno
    import os as _os
    import shutil as _shutil

    def refuse(path):
        if Path(path).resolve().is_relative_to(folder.resolve()):
            raise OSError(errno.EROFS, "Read-only file system", str(path))

    real_copy, real_write, real_rename = _shutil.copy2, Path.write_text, Path.rename
    monkeypatch.setattr(_shutil, "copy2", lambda src, dst, **kw: (refuse(dst), real_copy(src, dst, **kw))[1])
    monkeypatch.setattr(Path, "write_text", lambda self, *a, **kw: (refuse(self), real_write(self, *a, **kw))[1])
    monkeypatch.setattr(Path, "rename", lambda self, target: (refuse(self), real_rename(self, target))[1])


def test_a_read_only_workspace_gets_one_calm_line(monkeypatch, tmp_path, capsys):
    from gradflow_course import cli, paths

    monkeypatch.setattr(paths, "ROOT", tmp_path)
    _lesson(tmp_path / "lessons", "00_a.ipynb", "A1")
    (tmp_path / "workspace").mkdir()
    _read_only(monkeypatch, tmp_path / "workspace")
    with pytest.raises(SystemExit) as stop:
        cli.main(["workspace"])
    line = str(stop.value.code)
    assert "\n" not in line and "read-only" in line and "GRADFLOW_WORKSPACE=" in line, line
    with pytest.raises(SystemExit) as stop:
        reset("00_a", tmp_path / "lessons", tmp_path / "workspace")
    assert "read-only" in str(stop.value.code) and "GRADFLOW_WORKSPACE=" in str(stop.value.code)


def test_the_workspace_can_be_chosen(monkeypatch, tmp_path):
    from gradflow_course import paths

    monkeypatch.setattr(paths, "ROOT", tmp_path)
    assert paths.workspace() == tmp_path / "workspace"
    monkeypatch.setenv("GRADFLOW_WORKSPACE", str(tmp_path / "elsewhere"))
    assert paths.workspace() == tmp_path / "elsewhere"


def test_the_manifest_is_written_only_when_something_changed(tmp_path):
    import os

    lessons, ws = tmp_path / "lessons", tmp_path / "workspace"
    _lesson(lessons, "00_a.ipynb", "A1")
    sync(lessons, ws)
    manifest = ws / ".gradflow-manifest.json"
    os.utime(manifest, ns=(10**18, 10**18))
    assert [l.split()[0] for l in sync(lessons, ws)] == ["up"]
    assert manifest.stat().st_mtime_ns == 10**18, "nothing changed: the manifest is not rewritten"
    _lesson(lessons, "01_b.ipynb", "B1")
    sync(lessons, ws)
    assert manifest.stat().st_mtime_ns != 10**18


def test_an_untouched_lesson_saved_by_jupyterlab_still_gets_updates(tmp_path):
    # Ctrl+S on a lesson the learner never edited rewrites its JSON (indent, metadata): it stays the course's
    lessons, ws = tmp_path / "lessons", tmp_path / "workspace"
    _lesson(lessons, "00_a.ipynb", "A1")
    sync(lessons, ws)
    saved = json.loads((ws / "00_a.ipynb").read_text())
    saved["metadata"]["widgets"] = {}
    (ws / "00_a.ipynb").write_text(json.dumps(saved, indent=1) + "\n")
    assert sync(lessons, ws)[0].startswith("up to date")
    _lesson(lessons, "00_a.ipynb", "A2")
    assert sync(lessons, ws)[0].startswith("updated")
    assert (ws / "00_a.ipynb").read_text() == _nb("A2")
    (ws / "00_a.ipynb").write_text(_nb("A2 + my answer"))  # an edited cell is the learner's
    _lesson(lessons, "00_a.ipynb", "A3")
    assert sync(lessons, ws)[0].startswith("yours, kept")


def test_make_check_says_when_the_workspace_is_not_writable(monkeypatch, tmp_path):
    from gradflow_course import check, paths

    monkeypatch.setattr(paths, "ROOT", tmp_path)
    assert check.check_workspace().ok
    (tmp_path / "workspace").mkdir()
    import tempfile as _tempfile
    import errno

    def refuse(*args, dir=None, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(dir))

    monkeypatch.setattr(_tempfile, "TemporaryFile", refuse)
    result = check.check_workspace()
    assert not result.ok and "read-only" in result.detail.lower() and "GRADFLOW_WORKSPACE=" in result.fix
    assert check.check_workspace in check.CHECKS


# --- issue 22: a second `make lab`, and `make reset` while the notebook is open


@pytest.fixture
def fake_lab(monkeypatch, tmp_path):
    """A JupyterLab look-alike on 127.0.0.1 that answers /api/sessions, registered as running on workspace/."""
    import http.server
    import os
    import threading

    from gradflow_course import servers

    sessions: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            ok = self.path == "/api/sessions" and self.headers.get("Authorization") == "token secret"
            body = json.dumps(sessions).encode() if ok else b"{}"
            self.send_response(200 if ok else 403)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    info = {"url": f"http://127.0.0.1:{server.server_port}/", "token": "secret", "pid": os.getpid(),
            "root_dir": str(tmp_path / "workspace")}
    monkeypatch.setattr(servers, "_server_infos", lambda: [info])
    yield sessions
    server.shutdown()


def test_a_second_make_lab_on_the_same_workspace_is_refused(monkeypatch, tmp_path, fake_lab):
    from gradflow_course import cli, lab, paths

    monkeypatch.setattr(paths, "ROOT", tmp_path)
    (tmp_path / "lessons").mkdir()
    monkeypatch.setattr(lab.os, "execv", lambda *a: pytest.fail("a second server was started"))
    with pytest.raises(SystemExit) as stop:
        cli.main(["lab"])
    line = str(stop.value.code)
    assert "already runs" in line and "/lab?token=secret" in line and "\n" not in line


def test_reset_of_an_open_notebook_says_save_and_close_first(monkeypatch, tmp_path, fake_lab):
    from gradflow_course import cli, paths

    monkeypatch.setattr(paths, "ROOT", tmp_path)
    _lesson(tmp_path / "lessons", "00_a.ipynb", "A1")
    sync(tmp_path / "lessons", tmp_path / "workspace")
    (tmp_path / "workspace" / "00_a.ipynb").write_text(_nb("mine"))
    fake_lab.append({"path": "00_a.ipynb", "kernel": {"id": "k"}})
    from gradflow_course import reset as reset_command

    monkeypatch.setattr(reset_command, "find_lesson", lambda name, course=None: type("L", (), {"name": "00_a"})())
    with pytest.raises(SystemExit) as stop:
        cli.main(["reset", "00_a"])
    line = str(stop.value.code)
    assert "is open in JupyterLab" in line and "Close and Shut Down Notebook" in line
    assert (tmp_path / "workspace" / "00_a.ipynb").read_text() == _nb("mine"), "nothing was reset"
    fake_lab.clear()  # closed and shut down: the reset goes ahead
    assert cli.main(["reset", "00_a"]) == 0
    assert (tmp_path / "workspace" / "00_a.ipynb").read_text() == _nb("A1")


def test_the_guide_comes_into_the_workspace_with_links_to_the_lessons_beside_it(tmp_path):
    from gradflow_course.workspace import sync_guide

    guide = tmp_path / "course" / "guide"
    guide.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "**Lesson:** [04 · .data](../lessons/04_data_vs_detach.ipynb)")])
    nbformat.write(nb, guide / "03_inplace_and_views.ipynb")
    workspace = tmp_path / "workspace"
    assert sync_guide(guide, workspace) == ["added          guide/03_inplace_and_views.ipynb"]
    copy = nbformat.read(workspace / "guide" / "03_inplace_and_views.ipynb", as_version=4)
    assert copy.cells[0].source == "**Lesson:** [04 · .data](../04_data_vs_detach.ipynb)"
    assert sync_guide(guide, workspace) == ["up to date     guide/03_inplace_and_views.ipynb"]
    copy.cells.append(nbformat.v4.new_markdown_cell("my note"))  # the learner's own note is kept
    nbformat.write(copy, workspace / "guide" / "03_inplace_and_views.ipynb")
    assert sync_guide(guide, workspace)[0].startswith("yours, kept    guide/")
