"""Start a new lesson that passes `lint` and the whole suite as written (`make new-lesson NAME=hooks`).

    python -m gradflow_course new-lesson hooks       # numbered for you: NN_hooks, NN the next number
    python -m gradflow_course new-lesson 11_hooks    # the same, with the number checked

Writes these and overwrites nothing (it stops, writing nothing, if any of them exists):

* ``solutions/NN_hooks.ipynb``: the skeleton of a lesson, executed (set-up cell, title and promise, You
  will learn, one section with a Predict prompt, the guess and its reveal, Pitfalls, a Modify and a Make
  exercise that each write a function, the recap quiz, Key points, Further reading);
* ``utils/gradflow/exercises/hooks.py``: its two checkers (``templates/checker.py.tmpl``);
* ``utils/gradflow/quizzes/hooks.toml`` and ``hooks.py``: its recap questions (``templates/quiz.*.tmpl``);
* ``tests/test_lessonNN_checkers.py``: both sides of each checker, mutants included (``templates/test_checkers.py.tmpl``);
* a ``[[lesson]]`` table at the end of ``course.toml``;

then builds ``lessons/NN_hooks.ipynb`` and the instructor kit's facts, as ``make lessons`` does. The
result passes ``make lint`` and ``make test`` before a line is changed; replace each TODO with the lesson.
"""

from __future__ import annotations

import argparse
import string
from pathlib import Path

import nbformat

import gradflow_course.metadata as metadata
import gradflow_course.paths as paths
from .build import build
from .nbtext import render
from .facts import write_facts
from .lint import SETUP_CELL

TEMPLATES = Path(__file__).resolve().parent / "templates"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
TEACHING, EXERCISES = 20, 10
EXERCISES_SHOWN = [(1, "Modify: the gradient at any point", "009"), (2, "Make: the derivative of any function", "011")]


class ScaffoldError(SystemExit):
    """The name is taken or malformed; nothing was written."""


def _cells(name: str, title: str, promise: str, prerequisites: str, topic: str):
    """(id suffix, type, source, tags) of each skeleton cell, in order."""
    lesson = metadata.Lesson(name, title, promise, prerequisites, TEACHING, EXERCISES)
    head, promise_line, time_line = lesson.first_cell_lines()
    n = name[:2]
    (_, ex1, c1), (_, ex2, c2) = EXERCISES_SHOWN
    return [
        ("000", "markdown", f"{head}\n\n{promise_line}\n\n### You will learn\n- TODO: three to five things the "
                            f"learner can do afterwards;\n- one per line.\n\n### Prerequisites and time\n{time_line}"),
        ("001", "code", SETUP_CELL),
        ("002", "code", f"import torch\n\nfrom gradflow.exercises import {topic} as ex\nfrom gradflow.predict import "
                        f"reveal\nfrom gradflow.quizzes import {topic} as quiz"),
        ("003", "markdown", "## 1 · TODO: the question this section answers?\n\nOne idea, in a few plain sentences; "
                            "ask before you state it.\n\n**Predict:** at `x = 2`, what is `x.grad` after "
                            "`(x * x).backward()`? Write your guess in the next cell, then run the cell after it."),
        ("004", "code", "### BEGIN SOLUTION\n# STUB: my_prediction = ...  # a number\nmy_prediction = 4\n"
                        "### END SOLUTION"),
        ("005", "code", "# run to reveal\nx = torch.tensor(2.0, requires_grad=True)\n(x * x).backward()\n"
                        "print(f\"x.grad = {x.grad.item():g}\")\n"
                        f"reveal(\"{n}.p1 x.grad after one backward of x * x\", my_prediction, x.grad, "
                        "why=\"d(x * x)/dx = 2x, and x = 2\")\n"
                        "torch.testing.assert_close(x.grad, torch.tensor(4.0))  # the proof comes last", ["reveal"]),
        ("006", "markdown", "The derivative of $x^2$ is $2x$, so `x.grad` is 4. TODO: explain what the learner saw."),
        ("007", "markdown", "## Pitfalls\n\n- TODO: the real error message, what causes it, and the fix."),
        ("008", "markdown", f"## Exercises\n\n### Exercise 1 · {ex1}\n\nWrite `gradient_at(x0)`: the gradient "
                            "of `x * x` at any point `x0`, taken by autograd, as a tensor. The checker tries "
                            "points the notebook does not use."),
        (c1, "code", "def gradient_at(x0):\n    ### BEGIN SOLUTION\n    # STUB: raise NotImplementedError  # your "
                     "code here\n    x = torch.tensor(x0, requires_grad=True)\n    (x * x).backward()\n"
                     "    return x.grad\n    ### END SOLUTION\n\n\nex.gradient_at(gradient_at)"),
        ("010", "markdown", f"### Exercise 2 · {ex2}\n\nWrite `derivative(f, x0)`: $f'(x_0)$ for any function "
                            "`f` of a tensor, by autograd (not by a finite difference)."),
        (c2, "code", "def derivative(f, x0):\n    ### BEGIN SOLUTION\n    # STUB: raise NotImplementedError  # "
                     "your code here\n    x = torch.tensor(float(x0), requires_grad=True)\n    f(x).backward()\n"
                     "    return x.grad\n    ### END SOLUTION\n\n\nex.derivative(derivative)"),
        ("012", "markdown", "## Recap quiz\n\nThree questions on the whole lesson. Each wrong option is a real "
                            "mistake; the reveal explains the one you chose."),
        ("013", "code", "quiz.recap"),
        ("014", "code", "### BEGIN SOLUTION\n# STUB: my_answers = ...  # a list of three letters in quotes, in "
                        "question order\nmy_answers = [\"b\", \"c\", \"a\"]\n### END SOLUTION"),
        ("015", "code", "# run to reveal\nquiz.recap.reveal(my_answers)", ["reveal"]),
        ("016", "markdown", "## Key points\n\n- TODO: the cheat-sheet lines of this lesson.\n\n## Further "
                            "reading\n\n- [Autograd mechanics](https://pytorch.org/docs/stable/notes/autograd.html)"),
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


def _from_template(template: str, **values: str) -> str:
    return string.Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(values)


def lesson_name(name: str, course: metadata.Course) -> str:
    """The new lesson's full name: ``NN_topic`` as given, or a bare topic given the next number."""
    expected = f"{len(course.lessons):02d}"
    if metadata.TOPIC.fullmatch(name):
        name = f"{expected}_{name}"
    if not metadata.NAME.fullmatch(name):
        raise ScaffoldError(f"NAME={name!r}: use lower-case words joined by underscores, e.g. NAME=hooks "
                            f"(or with the next number in front: NAME={expected}_hooks)")
    if name[:2] != expected or name in course.names():
        raise ScaffoldError(f"NAME={name}: the next lesson number is {expected} (lessons are numbered without gaps; "
                            f"NAME={name[3:]} numbers it for you)")
    return name


def next_steps(name: str) -> list[str]:
    """The commands of CONTRIBUTING.md's 'Adding a lesson' after the scaffold, for this lesson."""
    topic = name[3:]
    return [f"make lint LESSON={topic}", f"write the lesson in solutions/{name}.ipynb (JupyterLab: make lab)",
            f"make outputs LESSON={topic}", "make lessons", f"make lint LESSON={topic}", f"make test LESSON={topic}",
            f"make sizing LESSON={topic}", "make test"]


def new_lesson(name: str, title: str | None = None) -> list[Path]:
    """Write lesson ``name`` (notebook, checkers, tests, quiz, course.toml entry), execute and build it; return
    the files written."""
    from .outputs import run_in_place  # executing needs nbclient: imported only here

    course = metadata.load()
    name = lesson_name(name, course)
    topic, number = name[3:], name[:2]
    title = title or f"TODO {topic.replace('_', ' ')}: the title of the lesson"
    promise = "after this lesson you can TODO (one sentence)."
    prerequisites = f"Lesson 00 (the graph, leaves, `.grad`). TODO: what else {name} builds on."
    root = paths.root()
    solution = paths.solution(name)
    texts = {
        solution: render(skeleton(name, title, promise, prerequisites, topic)),
        paths.exercises() / f"{topic}.py": _from_template("checker.py.tmpl", name=name, number=number, title=title,
                                                         topic=topic),
        paths.exercises().parent / "quizzes" / f"{topic}.toml": _from_template("quiz.toml.tmpl", number=number,
                                                                              topic=topic),
        paths.exercises().parent / "quizzes" / f"{topic}.py": _from_template("quiz.py.tmpl", number=number,
                                                                            topic=topic),
        root / "tests" / f"test_lesson{number}_checkers.py": _from_template("test_checkers.py.tmpl", number=number,
                                                                           topic=topic),
    }
    taken = [paths.shown(p) for p in texts if p.exists()]
    if taken:
        raise ScaffoldError(f"not overwriting {', '.join(taken)}: choose another NAME or remove them first")
    for path, text in texts.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    exercise_cells = [(k, ex_title, [f"{number}-{cell}"]) for k, ex_title, cell in EXERCISES_SHOWN]
    with paths.course_file().open("a", encoding="utf-8") as toml:
        toml.write(metadata.entry(name, title, promise, prerequisites, TEACHING, EXERCISES, exercise_cells))
    course = metadata.load()  # the appended entry must read back
    run_in_place(solution)  # the stored outputs nbval compares
    written = list(texts) + [paths.course_file()]
    written += build([solution], paths.lessons())
    written += write_facts(course, root)
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="a topic, e.g. hooks (given the next lesson number), or NN_topic")
    parser.add_argument("--title", help="the lesson's title (default: a TODO to fill in)")


def run(args: argparse.Namespace) -> int:
    name = lesson_name(args.name, metadata.load())
    for path in new_lesson(name, args.title):
        print(f"wrote {paths.shown(path)}")
    print(f"\n{name} passes every rule now. Next (CONTRIBUTING.md, 'Adding a lesson'):")
    for k, step in enumerate(next_steps(name), start=2):
        print(f"  {k}. {step}")
    return 0
