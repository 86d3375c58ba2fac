"""The learner's own copies of the lessons, in ``workspace/`` (git-ignored): never overwritten.

    python -m gradflow_course workspace                # add new lessons; update untouched ones
    python -m gradflow_course reset 01_detach          # course version back; yours kept beside it

How learner work stays safe (CONTRIBUTING.md, "Nothing a learner writes is lost"):

* The course's ``lessons/`` are never edited by the learner: `git pull` always applies cleanly.
* ``workspace/`` holds the learner's copies. A lesson is copied there the first time only. A
  manifest remembers what each copy looked like when the course put it there; a copy the learner
  has not touched is refreshed when the course updates it, an edited copy is never replaced.
* A reset (`make reset LESSON=...`) renames the learner's copy to ``mine-K · NN_name.ipynb``
  (K counts up, nothing is ever overwritten) and puts the course's version in its place. The
  difference comes first because JupyterLab's file browser cuts long names at the end: a backup named
  ``NN_name.mine-K.ipynb`` showed as ``NN_name...``, just like the lesson. ``make progress`` reads
  only names that start with a lesson's number, so it never reads a backup.
"""

from __future__ import annotations

import errno
import hashlib
import json
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import gradflow_course.paths as paths

MANIFEST = ".gradflow-manifest.json"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _content(path: Path) -> str | None:
    """A digest of what a learner writes (each cell's type and source), or None for a file that is no notebook.

    JupyterLab's Ctrl+S on a lesson nobody edited rewrites its JSON (indent, metadata, outputs of a run):
    by bytes it would count as the learner's and stop getting course updates; by content it does not.
    """
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        written = [(c.get("cell_type"), "".join(c.get("source", "")) if isinstance(c.get("source"), list)
                    else c.get("source", "")) if isinstance(c, dict) else c for c in cells]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        return None
    return "cells:" + hashlib.sha256(json.dumps(written).encode()).hexdigest()


def _same(recorded: str | None, path: Path) -> bool:
    """Whether ``path`` still holds what the manifest recorded (a content digest, or the bytes' of older manifests)."""
    return recorded is not None and recorded in (_content(path), _digest(path))


#: errors that mean "this folder cannot be written", whoever the user is
_NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


@contextmanager
def writing(folder: Path):
    """Turn a refused write in ``folder`` into one line with the way out, instead of a traceback."""
    try:
        yield
    except OSError as error:
        if error.errno not in _NOT_WRITABLE:
            raise
        raise SystemExit(not_writable(folder, error.strerror or str(error))) from None


def not_writable(folder: Path, why: str) -> str:
    return (f"cannot write in {paths.shown(folder)}/ ({why.lower()}): choose a folder you can write for your "
            f"copies, e.g. {paths.WORKSPACE_VARIABLE}=~/gradflow-work make lab (the lessons are copied there)")


def backup_name(stem: str, k: int) -> str:
    """The name of a learner's notebook kept aside by a reset: ``mine-2 · 01_detach.ipynb``."""
    return f"mine-{k} · {stem}.ipynb"


def backup_path(workspace: Path, stem: str) -> Path:
    """The next free backup of lesson ``stem``: K counts past every backup there, older ``stem.mine-K`` ones too."""
    k = 1
    while (workspace / backup_name(stem, k)).exists() or (workspace / f"{stem}.mine-{k}.ipynb").exists():
        k += 1
    return workspace / backup_name(stem, k)


def _aside(path: Path, tag: str) -> Path:
    """A free name beside ``path`` (``name.broken-K.ext``): nothing is ever overwritten."""
    k = 1
    while (path.with_name(f"{path.stem}.{tag}-{k}{path.suffix}")).exists():
        k += 1
    return path.with_name(f"{path.stem}.{tag}-{k}{path.suffix}")


def _load(workspace: Path, notes: list[str] | None = None) -> dict[str, str]:
    """The manifest; an unreadable one is moved aside (kept) and the sync starts a fresh one.

    Losing the manifest loses nothing: without it every copy that differs from the course counts as
    the learner's and is kept.
    """
    path = workspace / MANIFEST
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not all(isinstance(v, str) for v in manifest.values()):
            raise ValueError("not a table of lesson names")
        return manifest
    except (ValueError, UnicodeDecodeError) as error:
        kept = _aside(path, "broken")
        path.rename(kept)
        line = (f"unreadable     {paths.shown(path)} ({_why(error)}): kept as {kept.name}, "
                f"a fresh one is started; your notebooks are untouched")
        if notes is not None:
            notes.append(line)
        return {}


def _why(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:80]


def readable(path: Path) -> str | None:
    """None if ``path`` is a notebook JupyterLab can open, else one short reason why not."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return "not text"
    except ValueError as error:
        return "cut short or not JSON" if not path.read_bytes().strip() or "Expecting" in str(error) \
            or "Unterminated" in str(error) else f"not JSON: {_why(error)}"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) or "nbformat" not in data:
        return "JSON, but not a notebook"
    return None


def _save(workspace: Path, manifest: dict[str, str]) -> None:
    (workspace / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def sync(lessons: Path, workspace: Path) -> list[str]:
    """Bring new and untouched lessons into the workspace; return one line per notebook."""
    with writing(workspace):
        return _sync(lessons, workspace)


def _sync(lessons: Path, workspace: Path) -> list[str]:
    _workspace_folder(workspace)
    lines: list[str] = []
    manifest = _load(workspace, lines)
    before = dict(manifest)
    for source in sorted(lessons.glob("*.ipynb")):
        target = workspace / source.name
        course = _content(source) or _digest(source)
        if not target.exists():
            if source.name in manifest:
                lines.append(f"kept deleted   {source.name} (you removed it; `make reset LESSON={source.stem}` brings it back)")
                continue
            shutil.copy2(source, target)
            lines.append(f"added          {source.name}")
        elif _same(course, target):
            lines.append(f"up to date     {source.name}")
        elif _same(manifest.get(source.name), target):  # untouched by the learner: safe to refresh
            shutil.copy2(source, target)
            lines.append(f"updated        {source.name}")
        elif (problem := readable(target)) is not None:  # JupyterLab would refuse it: say so, keep it
            lines.append(f"unreadable     {source.name} ({problem}): kept as it is; "
                         f"`make reset LESSON={source.stem}` keeps it beside a fresh copy")
            continue
        else:
            lines.append(f"yours, kept    {source.name}"
                         + (f" (the course has a newer version: `make reset LESSON={source.stem}` keeps yours beside it)"
                            if manifest.get(source.name) not in (course, _digest(source)) else ""))
            continue
        manifest[source.name] = course
    if manifest != before or not (workspace / MANIFEST).exists():  # a read-only workspace in step stays unwritten
        _save(workspace, manifest)
    return lines


#: a guide entry's link to its lesson, as the repository lays them out (guide/ beside lessons/)
_LESSON_LINK = re.compile(r"\]\(\.\./lessons/")


def sync_guide(guide: Path, workspace: Path) -> list[str]:
    """Bring the field guide into ``workspace/guide/`` as :func:`sync` brings lessons (yours are kept).

    In the workspace the lessons sit at the top, so each entry's link ``../lessons/NN.ipynb`` becomes
    ``../NN.ipynb`` in the copy (and the lessons' ``../guide/...`` links find the copy)."""
    import tempfile

    notebooks = sorted(guide.glob("*.ipynb"))
    if not notebooks:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        for source in notebooks:
            text = _LESSON_LINK.sub("](../", source.read_text(encoding="utf-8"))
            (Path(tmp) / source.name).write_text(text, encoding="utf-8")
        return [f"{line[:15]}guide/{line[15:]}" for line in sync(Path(tmp), workspace / "guide")]


def reset(name: str, lessons: Path, workspace: Path) -> str:
    """Put the course's version of one lesson back; keep the learner's copy beside it."""
    stem = name.removesuffix(".ipynb")
    source = lessons / f"{stem}.ipynb"
    if "/" in name or "\\" in name or stem.startswith(".") or not source.exists():
        known = ", ".join(p.stem for p in sorted(lessons.glob("*.ipynb")))
        raise SystemExit(f"no lesson called {name!r}; LESSON must name a lesson: {known}")
    with writing(workspace):
        return _reset(source, workspace)


def _reset(source: Path, workspace: Path) -> str:
    stem = source.stem
    _workspace_folder(workspace)
    target = workspace / source.name
    kept = ""
    if target.exists():
        backup = backup_path(workspace, stem)
        target.rename(backup)
        kept = f"; your copy is now {backup.name}"
    shutil.copy2(source, target)
    notes: list[str] = []
    manifest = _load(workspace, notes)
    manifest[source.name] = _content(source) or _digest(source)
    _save(workspace, manifest)
    return "\n".join(notes + [f"reset {source.name} to the course's version{kept}"])


def _workspace_folder(workspace: Path) -> None:
    if workspace.exists() and not workspace.is_dir():
        raise SystemExit(f"{paths.shown(workspace)} is a file, not a folder: rename it, then run the command again "
                         f"(your lessons go in a folder of that name)")
    workspace.mkdir(parents=True, exist_ok=True)


def add_arguments(parser) -> None:
    parser.add_argument("--workspace", type=Path, default=None, help="default: workspace/ in the course folder")


def run(args) -> int:
    workspace = args.workspace or paths.workspace()
    for line in sync(paths.lessons(), workspace) + sync_guide(paths.root() / "guide", workspace):
        print(line)
    return 0
