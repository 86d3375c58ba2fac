"""The learner's workspace: new lessons are added, edited copies are never overwritten."""

import json
from pathlib import Path

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
    assert (ws / "00_a.mine-1.ipynb").read_text() == _nb("mine")
    assert "00_a.mine-1.ipynb" in message
    (ws / "00_a.ipynb").write_text(_nb("mine again"))
    reset("00_a.ipynb", lessons, ws)
    assert (ws / "00_a.mine-2.ipynb").read_text() == _nb("mine again")
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
