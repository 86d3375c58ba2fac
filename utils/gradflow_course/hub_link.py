"""nbgitpuller links that open one lesson of the course on a JupyterHub, in JupyterLab.

    python -m gradflow_course hub-link --hub https://hub.example.org --repo https://github.com/ORG/gradflow 01_detach
    python -m gradflow_course hub-link --hub https://hub.example.org --repo https://github.com/ORG/gradflow   # all lessons

The first click clones the repository into the learner's home as `gradflow/` (the `targetPath`, fixed
so a fork with another name still lands there); later clicks pull course updates and keep the learner's
edits. The parameters are nbgitpuller's own (repo, branch, targetPath, urlpath), as its link generator
writes them; instructors/hub-and-binder.md shows the format.
"""

from __future__ import annotations

import argparse
import re
import sys
from urllib.parse import quote, urlencode

import gradflow_course.metadata as metadata

TARGET = "gradflow"
LESSON = re.compile(r"^\d\d_[a-z0-9_]+$")


def lessons() -> list[str]:
    return metadata.load().names()


def nbgitpuller_link(hub: str, lesson: str, repo: str, branch: str = "main") -> str:
    """The link that pulls `repo` into ~/gradflow and opens lessons/<lesson>.ipynb in JupyterLab."""
    if not re.match(r"^https?://[^/\s]+", hub):
        raise ValueError(f"the hub must be a URL such as https://hub.example.org, got {hub!r}")
    if not LESSON.match(lesson):
        raise ValueError(f"{lesson!r} is not a lesson name; lessons are: {', '.join(lessons())}")
    query = urlencode({"repo": repo, "branch": branch, "targetPath": TARGET,
                       "urlpath": f"lab/tree/{TARGET}/lessons/{lesson}.ipynb"}, quote_via=quote, safe="")
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lesson", nargs="*", help="e.g. 01_detach (default: every lesson)")
    parser.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.org")
    parser.add_argument("--repo", required=True, help="the course repository, e.g. https://github.com/ORG/gradflow")
    parser.add_argument("--branch", default="main")


def run(args: argparse.Namespace) -> int:
    known = lessons()
    unknown = [name for name in args.lesson if name not in known]
    if unknown:
        print(f"no lesson named {', '.join(unknown)}; lessons are: {', '.join(known)}", file=sys.stderr)
        return 2
    try:
        for name in args.lesson or known:
            print(nbgitpuller_link(args.hub, name, args.repo, args.branch))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    return 0

