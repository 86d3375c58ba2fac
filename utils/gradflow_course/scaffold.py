"""Start a new lesson that follows the lesson anatomy (what `make new-lesson NAME=10_hooks` runs).

    python -m gradflow_course new-lesson 10_hooks

Writes three things and overwrites nothing (it stops if any of them exists):

* ``solutions/10_hooks.ipynb``: the skeleton of a lesson (set-up cell, title and promise, You will
  learn, one section with a Predict prompt, a ``my_prediction`` cell and a reveal cell, Pitfalls,
  one exercise with its checker call, Key points, Further reading), ready to execute;
* ``utils/gradflow/exercises/hooks.py``: its checker module, from ``templates/checker.py.tmpl``;
* a ``[[lesson]]`` table at the end of ``course.toml`` (title, promise, minutes, exercise cells).

Then: write the lesson, `make outputs NB=solutions/10_hooks.ipynb`, `make lessons` (CONTRIBUTING.md).
"""

from __future__ import annotations

import argparse
import string
from pathlib import Path

import nbformat

import gradflow_course.metadata as metadata
import gradflow_course.paths as paths
from .build import render

TEMPLATE = Path(__file__).resolve().parent / "templates" / "checker.py.tmpl"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
SETUP_CELL = "from gradflow import setup\n\nsetup()"
TEACHING, EXERCISES = 20, 10


class ScaffoldError(SystemExit):
    """The name is taken or malformed; nothing was written."""


def _cells(name: str, title: str, promise: str, prerequisites: str, topic: str):
    """(id suffix, type, source, tags) of each skeleton cell, in order."""
    lesson = metadata.Lesson(name, title, promise, prerequisites, TEACHING, EXERCISES)
    head, promise_line, time_line = lesson.first_cell_lines()
    return [
        ("000", "markdown", f"{head}\n\n{promise_line}\n\n### You will learn\n- TODO: three to five things the "
                            f"learner can do afterwards;\n- one per line.\n\n### Prerequisites and time\n{time_line}"),
        ("001", "code", SETUP_CELL),
        ("002", "code", f"import torch\n\nfrom gradflow.exercises import {topic} as ex"),
        ("003", "markdown", "## 1 · TODO: the question this section answers?\n\nOne idea, in a few plain sentences.\n\n"
                            "**Predict:** at `x = 2`, what is `x.grad` after `(x * x).backward()`? Write your "
                            "answer in the next cell, then run the cell after it."),
        ("004", "code", "my_prediction = ...  # a number"),
        ("005", "code", "# run to reveal\nx = torch.tensor(2.0, requires_grad=True)\n(x * x).backward()\n"
                        "print(f\"x.grad = {x.grad.item()}\")\nif my_prediction is not ...:\n"
                        "    print(f\"you predicted {my_prediction}\")\n"
                        "assert x.grad.item() == 4.0  # exact: 2 * 2 in floating point", ["reveal"]),
        ("006", "markdown", "The derivative of $x^2$ is $2x$, so `x.grad` is 4. TODO: explain what the learner saw."),
        ("007", "markdown", "## Pitfalls\n\n- TODO: the real error message, what causes it, and the fix."),
        ("008", "markdown", "## Exercises\n\n### Exercise 1 · The gradient of a square\n\nAt `x = 3`, run one "
                            "backward of `x * x` and pass `x.grad` to the checker."),
        ("009", "code", "x = torch.tensor(3.0, requires_grad=True)\n### BEGIN SOLUTION\n(x * x).backward()\n"
                        "grad = x.grad\n### END SOLUTION\nex.gradient_of_square(grad)"),
        ("010", "markdown", "## Key points\n\n- TODO: the cheat-sheet lines of this lesson.\n\n## Further reading\n\n"
                            "- [Autograd mechanics](https://pytorch.org/docs/stable/notes/autograd.html)"),
    ]


def skeleton(name: str, title: str, promise: str, prerequisites: str, topic: str) -> nbformat.NotebookNode:
    """The solution notebook of a new lesson (not executed yet)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = nbformat.NotebookNode(kernelspec=KERNELSPEC, language_info={"name": "python"})
    for suffix, kind, source, *tags in _cells(name, title, promise, prerequisites, topic):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(source, id=f"{name[:2]}-{suffix}")
        if tags:
            cell.metadata["tags"] = tags[0]
        nb.cells.append(cell)
    return nb


def new_lesson(name: str, title: str | None = None) -> list[Path]:
    """Write the skeleton, the checker module and the course.toml entry of lesson ``name``; return the files."""
    course = metadata.load()
    if not metadata.NAME.fullmatch(name):
        raise ScaffoldError(f"NAME={name!r}: use two digits, an underscore and lower-case words, e.g. 10_hooks")
    expected = f"{len(course.lessons):02d}"
    if name[:2] != expected or name in course.names():
        raise ScaffoldError(f"NAME={name}: the next lesson number is {expected} (lessons are numbered without gaps)")
    topic = name[3:]
    title = title or f"TODO {topic.replace('_', ' ')}: the title of the lesson"
    promise = "after this lesson you can TODO (one sentence)."
    prerequisites = f"Lesson 00 (the graph, leaves, `.grad`). TODO: what else {name} builds on."
    solution, checker = paths.solution(name), paths.exercises() / f"{topic}.py"
    taken = [paths.shown(p) for p in (solution, checker) if p.exists()]
    if taken:
        raise ScaffoldError(f"not overwriting {', '.join(taken)}: choose another NAME or remove them first")
    nb = skeleton(name, title, promise, prerequisites, topic)
    exercise_cells = [(1, "The gradient of a square", [f"{name[:2]}-009"])]
    solution.parent.mkdir(parents=True, exist_ok=True)
    solution.write_text(render(nb), encoding="utf-8")
    checker.write_text(string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        name=name, number=name[:2], title=title, topic=topic), encoding="utf-8")
    with paths.course_file().open("a", encoding="utf-8") as toml:
        toml.write(metadata.entry(name, title, promise, prerequisites, TEACHING, EXERCISES, exercise_cells))
    metadata.load()  # the appended entry must read back
    return [solution, checker, paths.course_file()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="NN_topic, e.g. 10_hooks (NN is the next lesson number)")
    parser.add_argument("--title", help="the lesson's title (default: a TODO to fill in)")


def run(args: argparse.Namespace) -> int:
    for path in new_lesson(args.name, args.title):
        print(f"wrote {paths.shown(path)}")
    print(f"next: write the lesson, then `make outputs NB=solutions/{args.name}.ipynb` and `make lessons` "
          "(CONTRIBUTING.md walks through it)")
    return 0
