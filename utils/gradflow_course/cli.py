"""The one entry point of the course's commands: ``python -m gradflow_course <command>``.

The Makefile calls it (``make lessons`` runs ``python -m gradflow_course lessons``), and so does the
``gradflow-course`` console script that ``pip install -e .`` puts on the PATH, for machines without
make (Windows). Each command is a module of this package with ``add_arguments`` and ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

import gradflow_course.fast_start  # noqa: F401  (before any command imports nbformat)
from gradflow_course.metadata import MetadataError

#: command -> (module, one line of help); the order is the order of `--help`
COMMANDS = {
    "lab": ("lab", "open the course in JupyterLab, in your workspace/ (make lab)"),
    "test": ("suite", "every test: library, build sync, strict nbval on solutions, lessons run clean (make test)"),
    "check": ("check", "preflight: Python, torch, gradflow, widgets, a kernel, no network (make check)"),
    "reset": ("reset", "the course's version of a lesson or one exercise back, yours kept (make reset)"),
    "workspace": ("workspace", "copy new lessons into workspace/ and refresh untouched ones"),
    "progress": ("progress", "every exercise and prediction from saved notebooks (make progress)"),
    "lessons": ("build", "rebuild lessons/ from solutions/ (make lessons)"),
    "outputs": ("outputs", "re-run solutions in place so their stored outputs are current (make outputs)"),
    "site": ("site", "static offline HTML site of the solutions in _site/ (make site)"),
    "bench": ("bench", "seconds, kernel memory and CPU per notebook, against a bare one (make bench)"),
    "test-kernels": ("kernels", "the solutions under strict nbval once per CPU kernel here (make test-kernels)"),
    "test-torch": ("torch_version", "the solutions on another torch in a throwaway env (make test-torch)"),
    "bench-explorer": ("bench_explorer", "milliseconds per click of the gradient-flow explorer"),
    "bench-audit": ("bench_audit", "seconds per training step with gradflow.audit watching, against the bare step"),
    "sizing": ("sizing", "memory and CPU per learner, for sizing a hub (writes instructors/sizing.json)"),
    "hub-link": ("hub_link", "nbgitpuller links that open a lesson on a JupyterHub"),
    "repo2docker-check": ("repo2docker_check", "does the repository build with repo2docker (Binder, a hub image)?"),
    "new-lesson": ("scaffold", "start a lesson that passes lint: notebook, checkers, tests, quiz, course.toml entry (make new-lesson)"),
    "minutes": ("minutes", "each lesson's minutes estimated from its content, against course.toml's"),
    "lint": ("lint", "every rule a lesson must follow, each broken one with its fix (make lint [LESSON=10])"),
    "diff": ("diff", "cell-level diff of changed notebooks with nbdime (make diff)"),
}


#: what a learner types, for the one line a wrong argument gets (never this module's own flags)
MAKE_USAGE = {
    "reset": "make reset LESSON=01_detach [EXERCISE=2]",
    "outputs": "make outputs [NB=solutions/01_detach.ipynb | LESSON=detach]",
    "lab": "make lab",
    "check": "make check",
    "site": "make site",
    "progress": "make progress [DIR=folder]",
}


class CourseParser(argparse.ArgumentParser):
    """One line on a wrong argument, naming the make command, instead of argparse's usage block."""

    def error(self, message):
        command = self.prog.split()[-1]
        usage = MAKE_USAGE.get(command, f"python -m gradflow_course {command} --help")
        self.exit(2, f"{message}; usage: {usage}\n")


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (so ``--help`` starts fast and imports no torch)."""
    top = CourseParser(prog="gradflow-course", description="The gradflow course's commands.")
    commands = top.add_subparsers(dest="command", required=True, metavar="command", parser_class=CourseParser)
    for name, (module, help_line) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_line, description=help_line)
        sub.set_defaults(module=module)
        if name == command:
            importlib.import_module(f"gradflow_course.{module}").add_arguments(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = parser(next((a for a in argv if not a.startswith("-")), None))
    args, unknown = top.parse_known_args(argv)
    if unknown and not getattr(args, "passthrough", False):
        usage = MAKE_USAGE.get(args.command, f"python -m gradflow_course {args.command} --help")
        top.exit(2, f"unrecognized arguments: {' '.join(unknown)}; usage: {usage}\n")
    if unknown:
        args.extra = list(args.extra) + unknown
    try:
        return importlib.import_module(f"gradflow_course.{args.module}").run(args)
    except KeyboardInterrupt:
        print("stopped (Ctrl-C)", file=sys.stderr)
        return 130
    except MetadataError as error:  # e.g. LESSON=... names no lesson: one line, not a traceback
        print(error, file=sys.stderr)
        return 2
