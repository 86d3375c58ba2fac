"""The learner's own copies of the lessons, in ``workspace/`` (git-ignored): never overwritten.

    python -m gradflow.course.workspace                   # add new lessons; update untouched ones
    python -m gradflow.course.workspace --reset 01_detach # course version back; yours kept beside it

How learner work stays safe (DESIGN.md section 6):

* The course's ``lessons/`` are never edited by the learner: `git pull` always applies cleanly.
* ``workspace/`` holds the learner's copies. A lesson is copied there the first time only. A
  manifest remembers what each copy looked like when the course put it there; a copy the learner
  has not touched is refreshed when the course updates it, an edited copy is never replaced.
* ``--reset`` renames the learner's copy to ``NN_name.mine-K.ipynb`` (K counts up, nothing is
  ever overwritten) and puts the course's version in its place.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

from .build import ROOT

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
                lines.append(f"kept deleted   {source.name} (you removed it; --reset {source.stem} brings it back)")
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
                         + (" (the course has a newer version: --reset keeps yours beside it)"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reset", metavar="LESSON", help="e.g. 01_detach")
    parser.add_argument("--workspace", type=Path, default=ROOT / "workspace")
    args = parser.parse_args(argv)
    lessons = ROOT / "lessons"
    if args.reset:
        print(reset(args.reset, lessons, args.workspace))
    else:
        for line in sync(lessons, args.workspace):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
