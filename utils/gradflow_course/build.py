"""Build the learner notebooks in ``lessons/`` from the solved ones in ``solutions/`` (`make lessons`).

    python -m gradflow_course lessons            # rebuild every lesson in course.toml
    python -m gradflow_course lessons --check    # exit 1, naming the files, if lessons/ is stale
    python -m gradflow_course lessons solutions/01_detach.ipynb   # just one

Rules (CONTRIBUTING.md, "How a lesson is built"):

* Code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes a placeholder that still
  runs. By default every assignment at the region's indentation becomes ``name = ...  # your code
  here`` (so the checker says "not attempted yet"); a region with no assignment becomes ``pass``.
  Lines written ``# STUB: code`` inside the region replace that default: the lesson gets ``code``
  (the solution keeps it as a comment), for example a broken training step for the learner to fix.
* Cells tagged ``solution`` (written answers) are dropped.
* Outputs, execution counts and run metadata are cleared.
* Cells tagged ``reveal`` are collapsed (``metadata.jupyter.source_hidden``): the learner commits to
  a prediction before seeing the code that answers it.
* The lessons built are exactly those ``course.toml`` lists, each with its solution notebook.

Malformed markers stop the build before anything is written, naming notebook, cell and problem.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

import gradflow_course.metadata as metadata
import gradflow_course.paths as paths
from .facts import write_facts
from .nbtext import render

from .markers import BEGIN, END, REVEAL_TAG, SOLUTION_TAG, STUB

PLACEHOLDER = "  # your code here"
_ASSIGN = re.compile(r"^(?P<target>[A-Za-z_][\w.]*(\[[^\]]*\])?(\s*,\s*[A-Za-z_][\w.]*)*)\s*(?P<op>=)(?!=)")


class BuildError(Exception):
    """A solution notebook's markers are malformed; nothing was written."""


def _marker(line: str) -> str | None:
    stripped = line.strip()
    if stripped == BEGIN:
        return "begin"
    if stripped == END:
        return "end"
    if BEGIN in stripped or END in stripped:
        return "bad"
    return None


def _placeholder(region: list[str]) -> list[str]:
    """What replaces the lines of one solution region in the lesson."""
    stubs = [line for line in region if line.strip().startswith(STUB)]
    if stubs:
        out = []
        for line in stubs:
            indent = line[: len(line) - len(line.lstrip())]
            code = line.strip()[len(STUB):]
            out.append(indent + (code[1:] if code.startswith(" ") else code))
        return out
    code_lines = [line for line in region if line.strip() and not line.strip().startswith("#")]
    if not code_lines:
        return []
    base = min(len(line) - len(line.lstrip()) for line in code_lines)
    indent = " " * base
    out, seen = [], set()
    for line in code_lines:
        if len(line) - len(line.lstrip()) != base:
            continue
        match = _ASSIGN.match(line.strip())
        if match and match.group("target") not in seen:
            target = match.group("target")
            seen.add(target)
            n_targets = len([t for t in target.split(",") if t.strip()]) if "[" not in target else 1
            value = ", ".join(["..."] * n_targets)
            out.append(f"{indent}{target} = {value}{PLACEHOLDER}")
    return out or [f"{indent}pass{PLACEHOLDER}"]


def strip_solutions(source: str, where: str) -> str:
    """Replace every solution region of one code cell's source; raise BuildError if malformed."""
    out: list[str] = []
    region: list[str] | None = None
    for number, line in enumerate(source.split("\n"), start=1):
        kind = _marker(line)
        if kind == "bad":
            raise BuildError(f"{where}, line {number}: a marker must stand alone on its line: {line.strip()!r}")
        if kind == "begin":
            if region is not None:
                raise BuildError(f"{where}, line {number}: {BEGIN} inside another solution region (nested regions)")
            region = []
        elif kind == "end":
            if region is None:
                raise BuildError(f"{where}, line {number}: {END} without a {BEGIN} before it")
            out.extend(_placeholder(region))
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise BuildError(f"{where}: {BEGIN} without {END}")
    return "\n".join(out)


def lesson_from_solution(solution: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The learner notebook for one solved notebook (the input is not modified)."""
    lesson = copy.deepcopy(solution)
    cells = []
    for index, cell in enumerate(solution.cells):
        where = f"{name}, cell {index}"
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type != "code":
            if any(_marker(line) for line in cell.source.split("\n")):
                raise BuildError(f"{where}: solution markers in a {cell.cell_type} cell; "
                                 f"tag the cell '{SOLUTION_TAG}' to drop a written answer instead")
            if SOLUTION_TAG not in tags:
                cells.append(copy.deepcopy(cell))
            continue
        source = strip_solutions(cell.source, where)
        if SOLUTION_TAG in tags:
            continue
        new = copy.deepcopy(cell)
        new.source = source
        new.outputs = []
        new.execution_count = None
        new.metadata.pop("execution", None)
        if REVEAL_TAG in tags:
            new.metadata.setdefault("jupyter", {})["source_hidden"] = True
        cells.append(new)
    lesson.cells = cells
    lesson.metadata = clean_metadata(solution.metadata)
    return lesson


def clean_metadata(metadata) -> nbformat.NotebookNode:
    """Keep what JupyterLab needs to open the notebook without asking (the kernelspec)."""
    keep = nbformat.NotebookNode()
    if "kernelspec" in metadata:
        keep["kernelspec"] = copy.deepcopy(metadata["kernelspec"])
    if "language_info" in metadata:
        keep["language_info"] = nbformat.NotebookNode(name=metadata["language_info"].get("name", "python"))
    return keep


def build(solutions: list[Path], out_dir: Path) -> list[Path]:
    """Build lessons for ``solutions`` into ``out_dir``. All notebooks are checked before any is written."""
    built: dict[Path, str] = {}
    for path in solutions:
        solution = nbformat.read(path, as_version=4)
        lesson = lesson_from_solution(solution, f"{path.parent.name}/{path.name}")
        built[out_dir / path.name] = render(lesson)
    out_dir.mkdir(parents=True, exist_ok=True)
    for target, text in built.items():
        target.write_text(text, encoding="utf-8")
    return list(built)


def stale(solutions: list[Path], lessons_dir: Path) -> list[str]:
    """Names of lessons that differ from (or are missing against) a fresh build, plus orphans."""
    problems = []
    for path in solutions:
        lesson = lesson_from_solution(nbformat.read(path, as_version=4), f"{path.parent.name}/{path.name}")
        target = lessons_dir / path.name
        if not target.exists():
            problems.append(f"{target.name} (missing)")
        elif target.read_text(encoding="utf-8") != render(lesson):
            problems.append(f"{target.name} (differs)")
    names = {p.name for p in solutions}
    problems += [f"{p.name} (no solution)" for p in sorted(lessons_dir.glob("*.ipynb")) if p.name not in names]
    return problems


def course_solutions() -> list[Path]:
    """The solution notebooks of the lessons ``course.toml`` lists, in lesson order.

    Raises BuildError when a listed lesson has no notebook or a notebook is not listed.
    """
    names = metadata.load().names()
    problems = [f"{name} is listed in course.toml but solutions/{name}.ipynb does not exist"
                for name in names if not paths.solution(name).exists()]
    problems += [f"solutions/{p.name} is not listed in course.toml (add a [[lesson]] table for it)"
                 for p in sorted(paths.solutions().glob("*.ipynb")) if p.stem not in names]
    if problems:
        raise BuildError("; ".join(problems))
    return [paths.solution(name) for name in names]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", type=Path, help="solution notebooks (default: every lesson)")
    parser.add_argument("--check", action="store_true", help="only report whether lessons/ is up to date")


def run(args: argparse.Namespace) -> int:
    lessons_dir = paths.lessons()
    try:
        solutions = [p.resolve() for p in args.notebooks] or course_solutions()
        if args.check:
            problems = stale(solutions, lessons_dir)
            for problem in problems:
                print(f"lessons/{problem}")
            if problems:
                print("lessons/ is out of date: run `make lessons`")
                return 1
            print(f"lessons/ is up to date ({len(solutions)} notebooks)")
            return 0
        from .guide import write_index  # the guide renders notebooks with this module: imported here, not above

        if not args.notebooks:  # the guide's index, and the "In the wild" cells it adds to solutions, come first
            for path in write_index(paths.root(), metadata.load()):
                print(f"wrote {paths.shown(path)} (from the field guide)")
        written = build(solutions, lessons_dir)
    except (BuildError, metadata.MetadataError) as error:
        print(f"build stopped, nothing written: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"built lessons/{path.name}")
    # the instructor kit's copies of course.toml's facts (schedule table, notes' minutes) follow in the same step
    for path in write_facts(metadata.load(), paths.root()):
        print(f"wrote {paths.shown(path)} (from course.toml and the lessons)")
    return 0
