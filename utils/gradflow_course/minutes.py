"""How long a lesson takes, estimated from its content: ``gradflow-course minutes [LESSON ...]``.

A transparent count, not a stopwatch. The lesson as a learner gets it (``lessons/``) is split at its
headings: the **core** is everything before ``## Exercises`` (and outside a ``## Going further``
section); the **exercises** are the exercise sections. Each part is priced with these constants:

* prose: ``WORDS_PER_MINUTE`` = 180. Brysbaert's 2019 meta-analysis puts silent reading of English
  non-fiction at about 238 words a minute; text that stops for formulas and code identifiers is read
  slower, and a learner rereads what a prediction asks.
* code: ``SECONDS_PER_CODE_LINE`` = 6 to read a visible line, ``SECONDS_PER_CELL_RUN`` = 15 to run a cell
  and read what it printed (a figure counts as output read).
* predictions: ``MINUTES_PER_PREDICTION`` = 1.5 to think, write the guess, reveal and read the why;
  ``MINUTES_PER_RECAP_QUESTION`` = 1.
* exercises: ``MINUTES_PER_EXERCISE`` = 6 (read the task, try, run the checker, read its line), plus
  ``MINUTES_PER_ANSWER_LINE`` = 1 for each line of the reference answer (the solution region): the
  Carpentries' lesson template budgets 5 to 15 minutes per challenge; this lands in that range for
  answers of 0 to 9 lines.

``make lint`` fails when a lesson's core is estimated above its stated teaching minutes.
"""

from __future__ import annotations

import argparse
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from gradflow import status_line

import gradflow_course.metadata as metadata
import gradflow_course.paths as paths
from .markers import BEGIN, END, GOING_FURTHER, STUB

WORDS_PER_MINUTE = 180
SECONDS_PER_CODE_LINE = 6
SECONDS_PER_CELL_RUN = 15
MINUTES_PER_PREDICTION = 1.5
MINUTES_PER_RECAP_QUESTION = 1.0
MINUTES_PER_EXERCISE = 6
MINUTES_PER_ANSWER_LINE = 1.0

_PROMPT = re.compile(r"\*\*Predict\b")
#: a solution region that holds only a guess (comment lines, then `my_... = ...`): a prediction, not an exercise;
#: each comment line ends at its newline (an optional newline here backtracked exponentially on long regions)
_GUESS_ONLY = re.compile(r"\s*(?:#[^\n]*\n\s*)*my_\w+\s*=.*", re.S)
_REGION = re.compile(rf"^[ \t]*{re.escape(BEGIN)}[ \t]*\n(.*?)^[ \t]*{re.escape(END)}", re.S | re.M)


@dataclass
class Estimate:
    words: int = 0
    code_lines: int = 0
    code_cells: int = 0
    predictions: int = 0
    exercise_count: int = 0
    answer_lines: int = 0

    @property
    def core_minutes(self) -> float:
        return (self.words / WORDS_PER_MINUTE + (self.code_lines * SECONDS_PER_CODE_LINE
                + self.code_cells * SECONDS_PER_CELL_RUN) / 60 + self.predictions * MINUTES_PER_PREDICTION)

    @property
    def exercise_minutes(self) -> float:
        return self.exercise_count * MINUTES_PER_EXERCISE + self.answer_lines * MINUTES_PER_ANSWER_LINE


def _words(markdown: str) -> int:
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", " formula ", markdown, flags=re.S)  # a formula reads as one unit
    return len(re.findall(r"[\w`'.-]+", text))


def _visible_lines(source: str) -> int:
    return sum(1 for line in source.splitlines() if line.strip())


def _answer_lines(region: str) -> int:
    """Lines a learner writes: the whole answer, or, where the region hands out code to fix (STUB lines), the
    answer's lines that the handed-out code does not already hold."""
    stub = {line.strip().removeprefix(STUB).strip() for line in region.splitlines() if line.strip().startswith(STUB)}
    answer = [line.strip() for line in region.splitlines() if line.strip() and not line.strip().startswith(STUB)]
    return sum(line not in stub for line in answer) if stub else len(answer)


def estimate(solution: nbformat.NotebookNode) -> tuple[Estimate, Estimate]:
    """(core, exercises) of a solution notebook: the learner's view is the solution with its answers hidden."""
    core, exercises = Estimate(), Estimate()
    part = core
    for cell in solution.cells:
        if "solution" in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "markdown":
            for heading in re.findall(r"^## (.+)$", cell.source, re.M):  # a ## heading opens a part
                part = exercises if heading.startswith("Exercises") else None if heading.startswith(
                    GOING_FURTHER) else core
            if part is not None:
                part.words += _words(cell.source)
                part.predictions += len(_PROMPT.findall(cell.source))
        elif cell.cell_type == "code" and part is not None:
            answers = _REGION.findall(cell.source)
            shown = _REGION.sub("", cell.source)
            part.code_lines += _visible_lines(shown)
            part.code_cells += 1
            if part is exercises:
                part.answer_lines += sum(_answer_lines(a) for a in answers
                                         if not _GUESS_ONLY.fullmatch(a.strip()))
                part.exercise_count += len(re.findall(r"\bex\.\w+\(", shown))
    return core, exercises


def lesson_minutes(name: str, root: Path | None = None) -> dict:
    path = (root or paths.root()) / "solutions" / f"{name}.ipynb"
    return dict(_minutes_of(path, path.stat().st_mtime_ns))  # a copy: the cached dict stays as computed


@functools.lru_cache(maxsize=128)
def _minutes_of(path: Path, mtime_ns: int) -> dict:
    """One solution's figures, computed once per version of the file (the schedule, lint and tests ask again)."""
    nb = nbformat.read(path, as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    recap = sum(line.kind == "q" for line in status_line.parse(printed))  # the recap's verdict lines
    core, exercises = estimate(nb)
    core_min = core.core_minutes + recap * MINUTES_PER_RECAP_QUESTION
    return {"core": round(core_min), "exercises": round(exercises.exercise_minutes + exercises.core_minutes),
            "words": core.words, "code_lines": core.code_lines, "predictions": core.predictions,
            "exercise_count": exercises.exercise_count}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lessons", nargs="*", help="lesson names or numbers (default: every lesson)")


def run(args: argparse.Namespace) -> int:
    course = metadata.load()
    chosen = [course.lesson(n) for n in args.lessons] if args.lessons else list(course.lessons)
    print(f"{'lesson':<26} {'words':>6} {'code':>5} {'predict':>7} {'core min':>9} {'stated':>7}  "
          f"{'exercises':>9} {'min':>5} {'stated':>7}")
    for lesson in chosen:
        m = lesson_minutes(lesson.name)
        flag = "  core over its stated time" if m["core"] > lesson.teaching_minutes else ""
        print(f"{lesson.name:<26} {m['words']:>6} {m['code_lines']:>5} {m['predictions']:>7} {m['core']:>9} "
              f"{lesson.teaching_minutes:>7}  {m['exercise_count']:>9} {m['exercises']:>5} "
              f"{lesson.exercise_minutes:>7}{flag}")
    print("\nconstants and where they come from: python -m pydoc gradflow_course.minutes")
    return 0
