"""The learner's own copies of the lessons, in ``workspace/`` (git-ignored): never overwritten.

    python -m gradflow_course workspace                # add new lessons; update untouched ones
    python -m gradflow_course reset 01_detach          # course version back; yours kept beside it

How learner work stays safe (CONTRIBUTING.md, "Nothing a learner writes is lost"):

* The course's ``lessons/`` are never edited by the learner: `git pull` always applies cleanly.
* ``workspace/`` holds the learner's copies. A lesson is copied there the first time only. A
  manifest remembers what each copy looked like when the course put it there; a copy the learner
  has not touched is refreshed when the course updates it, an edited copy is never replaced.
* A reset (`make reset LESSON=...`) renames the learner's copy to ``NN_name.mine-K.ipynb``
  (K counts up, nothing is ever overwritten) and puts the course's version in its place.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import gradflow_course.paths as paths

MANIFEST = ".gradflow-manifest.json"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load(workspace: Path) -> dict[str, str]:
    path = workspace / MANIFEST
    return json.loads(path.read_text()) if path.exists() else {}


def _save(workspace: Path, manifest: dict[str, str]) -> None:
    (workspace / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def sync(lessons: Path, workspace: Path) -> list[str]:
    """Bring new and untouched lessons into the workspace; return one line per notebook."""
    workspace.mkdir(parents=True, exist_ok=True)
    manifest = _load(workspace)
    lines = []
    for source in sorted(lessons.glob("*.ipynb")):
        target = workspace / source.name
        course = _digest(source)
        if not target.exists():
            if source.name in manifest:
                lines.append(f"kept deleted   {source.name} (you removed it; `make reset LESSON={source.stem}` brings it back)")
                continue
            shutil.copy2(source, target)
            lines.append(f"added          {source.name}")
        elif _digest(target) == course:
            lines.append(f"up to date     {source.name}")
        elif manifest.get(source.name) == _digest(target):  # untouched by the learner: safe to refresh
            shutil.copy2(source, target)
            lines.append(f"updated        {source.name}")
        else:
            lines.append(f"yours, kept    {source.name}"
                         + (f" (the course has a newer version: `make reset LESSON={source.stem}` keeps yours beside it)"
                            if manifest.get(source.name) != course else ""))
            continue
        manifest[source.name] = course
    _save(workspace, manifest)
    return lines


def reset(name: str, lessons: Path, workspace: Path) -> str:
    """Put the course's version of one lesson back; keep the learner's copy beside it."""
    stem = name.removesuffix(".ipynb")
    source = lessons / f"{stem}.ipynb"
    if not source.exists():
        known = ", ".join(p.stem for p in sorted(lessons.glob("*.ipynb")))
        raise SystemExit(f"no lesson called {stem!r}; lessons are: {known}")
    workspace.mkdir(parents=True, exist_ok=True)
    target = workspace / source.name
    kept = ""
    if target.exists():
        k = 1
        while (workspace / f"{stem}.mine-{k}.ipynb").exists():
            k += 1
        backup = workspace / f"{stem}.mine-{k}.ipynb"
        target.rename(backup)
        kept = f"; your copy is now {backup.name}"
    shutil.copy2(source, target)
    manifest = _load(workspace)
    manifest[source.name] = _digest(source)
    _save(workspace, manifest)
    return f"reset {source.name} to the course's version{kept}"


def add_arguments(parser) -> None:
    parser.add_argument("--workspace", type=Path, default=None, help="default: workspace/ in the course folder")


def run(args) -> int:
    for line in sync(paths.lessons(), args.workspace or paths.workspace()):
        print(line)
    return 0
