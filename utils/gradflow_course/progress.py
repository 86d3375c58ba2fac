"""``make progress``: the progress table of saved notebooks, printed in a terminal (reads only).

    python -m gradflow_course progress                # your workspace/
    python -m gradflow_course progress collected/     # an instructor's folder: one subfolder per learner
    python -m gradflow_course progress --summary      # one line per lesson (make progress SUMMARY=1)

The table and its rules live in the library (:mod:`gradflow.progress`); this is the command around it.
Exit status 0 when the folder was read (notebooks that could not be read are listed, one line each),
2 with one line when there is no such folder.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gradflow.progress import progress

import gradflow_course.paths as paths


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", type=Path, default=None,
                        help="a learner's folder of NN_name.ipynb, or a folder of learner subfolders")
    parser.add_argument("--summary", action="store_true", help="one line per lesson (make progress SUMMARY=1)")
    parser.add_argument("--reference", type=Path, default=None,
                        help="executed course notebooks that list every item (default: the course's solutions/)")


def run(args: argparse.Namespace) -> int:
    if args.folder is None:
        args.folder = paths.workspace()
    if hasattr(sys.stdout, "reconfigure"):  # a terminal without UTF-8 still gets a readable table
        sys.stdout.reconfigure(errors="replace")
    if not args.folder.is_dir():
        hint = " (make lab creates it)" if args.folder.name == "workspace" else ""
        print(f"progress: there is no folder {args.folder}{hint}", file=sys.stderr)
        return 2
    result = progress(args.folder, reference=args.reference)
    table = result.summary_text() if args.summary and hasattr(result, "summary_text") else result.text()
    try:
        print(table, flush=True)
    except BrokenPipeError:  # `make progress | head`: the reader stopped early, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0

