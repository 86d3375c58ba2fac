"""Every rule a lesson must follow, in one place: ``gradflow-course lint [LESSON ...]`` (``make lint``).

    python -m gradflow_course lint              # every lesson course.toml lists (and any notebook it does not)
    python -m gradflow_course lint 10_hooks     # one lesson, by name, number or topic: lint 10
    python -m gradflow_course lint --rules      # the rules, one line each

Each broken rule prints one line: where, what is wrong, and the fix. The tests run the same rules on
every lesson they find (tests/test_lint.py), so a lesson that passes ``lint`` passes those tests, and
CONTRIBUTING.md describes the rules by pointing here. A rule is a function of a :class:`LessonFiles`
(everything the rules read of one lesson, read once) that returns :class:`Problem` s; ``@rule``
registers it under a name and one line of description.

Warnings (a lesson not measured for sizing yet, a core estimated above its stated minutes) are printed
but do not fail ``lint``.
"""

from __future__ import annotations

import argparse
import ast
import functools
import importlib
import json
import re
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat

import gradflow_course.metadata as metadata
import gradflow_course.paths as paths
from .build import lesson_from_solution
from .markers import BEGIN, END, GOING_FURTHER, REVEAL_TAG, SOLUTION_TAG, STUB
from .floats import EXACT_FILE, bitwise_comparisons, exact_cells
from .nbtext import render
from .prediction_rules import PROMPT, answer_values, check_predictions, gives_away, visible_source

SECTIONS = ["You will learn", "Prerequisites", "Pitfalls", "Exercises", "Key points", "Further reading"]
#: sections that may sit among the Going further ones (the guide's cell is appended at the very end)
TAIL_SECTIONS = ("In the wild", "Further reading")
SETUP_CELL = "from gradflow import setup\n\nsetup()"
REVEAL_FIRST_LINE = "# run to reveal"
MIN_EXERCISES = 2
RECAP_QUESTIONS = (3, 5)
#: a checker's tests: at least this many wrong answers and right answers, and declared mutants (DESIGN 3)
MIN_REJECTS, MIN_ACCEPTS, MIN_MUTANTS = 2, 1, 6
#: an exercise region with at least this share of its substantial lines (SUBSTANTIAL_TOKENS tokens or more) shown
#: above, names and numbers normalised, is a warm-up that retypes
RETYPING_SHARE, SUBSTANTIAL_TOKENS = 0.5, 9


@dataclass(frozen=True)
class Problem:
    rule: str
    where: str
    message: str
    fix: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning" if self.warning else "error"
        return f"{self.where}: {kind} [{self.rule}] {self.message}\n    fix: {self.fix}"


def _read(path: Path):
    return nbformat.read(path, as_version=4) if path.exists() else None


class LessonFiles:
    """What the rules read of one lesson, each read once: notebooks, metadata, checkers, checker tests."""

    def __init__(self, name: str, course: metadata.Course, root: Path | None = None,
                 test_counts: Counter | None = None):
        self.name = name
        self.number = name[:2]
        self.topic = name.split("_", 1)[-1]
        self.course = course
        self.root = root or paths.root()
        self._test_counts = test_counts

    @functools.cached_property
    def meta(self) -> metadata.Lesson | None:
        return next((lesson for lesson in self.course.lessons if lesson.name == self.name), None)

    @property
    def solution_path(self) -> Path:
        return self.root / "solutions" / f"{self.name}.ipynb"

    @property
    def lesson_path(self) -> Path:
        return self.root / "lessons" / f"{self.name}.ipynb"

    @functools.cached_property
    def solution(self):
        return _read(self.solution_path)

    @functools.cached_property
    def lesson(self):
        return _read(self.lesson_path)

    @functools.cached_property
    def built(self):
        """The lesson as ``make lessons`` would build it now (None when the solution cannot be built)."""
        if self.solution is None:
            return None
        try:
            return lesson_from_solution(self.solution, f"solutions/{self.name}.ipynb")
        except Exception:  # the build names the problem itself; the `built` rule reports it
            return None

    @functools.cached_property
    def exercises(self) -> list:
        from gradflow.checking import exercises_of  # the learner library: imported only when a rule needs it

        return exercises_of(self.name)

    @property
    def checker_tests(self) -> list[Path]:
        return sorted((self.root / "tests").glob(f"test_lesson{self.number}_*.py"))

    @property
    def test_counts(self) -> Counter:
        """(exercise, "rejects" | "accepts" | "mutants") -> collected test cases, from the lesson's checker tests."""
        if self._test_counts is None:
            self._test_counts = collect_counts(self.checker_tests, self.root).get(self.number, Counter())
        return self._test_counts

    def where(self, folder: str = "solutions", cell=None) -> str:
        text = f"{folder}/{self.name}.ipynb"
        return f"{text}, cell {cell.get('id')}" if cell is not None else text


#: rule name -> (one line saying what it checks, the function)
RULES: dict[str, tuple[str, Callable[[LessonFiles], list[Problem]]]] = {}


def rule(name: str, description: str):
    def register(check: Callable[[LessonFiles], list[Problem]]):
        RULES[name] = (description, check)
        return check
    return register


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _headings(nb) -> list[str]:
    return [line.lstrip("#").strip() for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("#")]


# --- the course entry and the notebooks ------------------------------------------------------------


@rule("course-entry", "course.toml lists the lesson, in number order, and both notebooks exist")
def course_entry(f: LessonFiles) -> list[Problem]:
    out = []
    if not metadata.NAME.fullmatch(f.name):
        out.append(Problem("course-entry", f.name, "a lesson is named NN_topic (two digits, lower-case words)",
                           "rename it, e.g. 10_hooks"))
    if f.meta is None:
        return out + [Problem("course-entry", "course.toml", f"no [[lesson]] table for {f.name}",
                              f"run `make new-lesson NAME={f.name}` for a new lesson, or add its table by hand "
                              "(CONTRIBUTING.md, course.toml)")]
    position = f.course.names().index(f.name)
    if f.number != f"{position:02d}":
        out.append(Problem("course-entry", "course.toml", f"{f.name} is lesson {position:02d} in course.toml's order",
                           "number lessons 00, 01, ... in the order course.toml lists them, without gaps"))
    for folder, nb in (("solutions", f.solution), ("lessons", f.lesson)):
        if nb is None:
            fix = (f"run `make new-lesson NAME={f.name}`" if folder == "solutions" else "run `make lessons`")
            out.append(Problem("course-entry", f.where(folder), "the notebook does not exist", fix))
    return out


def going_further_placement(nb, where: str) -> list[Problem]:
    """The optional '## Going further · ...' sections come after Key points, with only the tail sections among them."""
    parts = [h for c in nb.cells if c.cell_type == "markdown" for h in re.findall(r"^## (.+)$", c.source, re.M)]
    extra = [i for i, h in enumerate(parts) if h.startswith(GOING_FURTHER)]
    if not extra:
        return []
    after = [h for h in parts[extra[0]:] if not h.startswith((GOING_FURTHER, *TAIL_SECTIONS))]
    if not after and "Key points" in parts[:extra[0]]:
        return []
    return [Problem("anatomy", where, f"a '## {GOING_FURTHER}' section comes before the lesson's end (sections "
                    f"after it: {after or parts[extra[0] + 1:]})",
                    f"the core ends with Exercises, the recap and Key points; the optional '## {GOING_FURTHER} · "
                    "...' sections follow them, last (gradflow-course minutes leaves them out of the core)")]


@rule("anatomy", "kernelspec, the set-up cell, every section of the anatomy, the first cell as course.toml says")
def anatomy(f: LessonFiles) -> list[Problem]:
    nb, out = f.solution, []
    if nb is None or f.meta is None:
        return out
    where = f.where()
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        out.append(Problem("anatomy", where, "no python3 kernelspec in the notebook metadata (Lab would ask for a "
                           "kernel)", "save it from JupyterLab with the Python 3 kernel, or copy another lesson's "
                           "metadata.kernelspec"))
    headings = _headings(nb)
    for section in SECTIONS:
        if not any(h.startswith(section) for h in headings):
            out.append(Problem("anatomy", where, f"no {section!r} heading", f"add a markdown heading '{section}' "
                               "(see the anatomy in CONTRIBUTING.md; `make new-lesson` writes every one)"))
    out += going_further_placement(nb, where)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or code[0].source != SETUP_CELL:
        out.append(Problem("anatomy", where, "the first code cell is not the shared set-up call",
                           "make the first code cell exactly: " + SETUP_CELL.replace("\n\n", "; ")))
    if any("sys.path" in c.source for c in nb.cells):
        out.append(Problem("anatomy", where, "a cell touches sys.path", "import gradflow by name"))
    first = nb.cells[0] if nb.cells else None
    expected = f.meta.first_cell_lines()
    lines = first.source.splitlines() if first is not None and first.cell_type == "markdown" else []
    if not lines or lines[0] != expected[0]:
        out.append(Problem("anatomy", f.where(cell=first) if first else where,
                           f"the first cell must open with the title line {expected[0]!r}",
                           "edit the title in course.toml and in the first cell together"))
    for line in expected[1:]:
        if line not in lines:
            out.append(Problem("anatomy", f.where(cell=first) if first else where,
                               f"the first cell does not show course.toml's line {line!r}",
                               "copy the line from course.toml (title, promise, prerequisites and minutes are "
                               "written there once)"))
    return out


@rule("executed", "the solution is executed and its outputs are stored (nbval compares them)")
def executed(f: LessonFiles) -> list[Problem]:
    if f.solution is None:
        return []
    missing = [c for c in f.solution.cells if c.cell_type == "code" and c.execution_count is None]
    if missing:
        return [Problem("executed", f.where(cell=missing[0]), f"{len(missing)} code cell(s) have no stored output",
                        f"run `make outputs NB=solutions/{f.name}.ipynb`")]
    return []


@rule("built", "lessons/ holds exactly what `make lessons` builds from the solution")
def built(f: LessonFiles) -> list[Problem]:
    if f.solution is None:
        return []
    if f.built is None:
        try:
            lesson_from_solution(f.solution, f"solutions/{f.name}.ipynb")
        except Exception as error:  # noqa: BLE001 - the build's own message names cell and problem
            return [Problem("built", f.where(), f"the lesson cannot be built: {error}",
                            "fix the ### BEGIN SOLUTION / ### END SOLUTION markers it names")]
    if f.lesson is None or f.lesson_path.read_text(encoding="utf-8") != render(f.built):
        return [Problem("built", f.where("lessons"), "the lesson differs from a fresh build of its solution",
                        "run `make lessons` (never edit lessons/ by hand)")]
    return []


# --- exercises ---------------------------------------------------------------------------------------


def _code_lines(text: str) -> list[str]:
    return [s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")]


_REGION = re.compile(r"^[ \t]*" + re.escape(BEGIN) + r"[ \t]*\n(.*?)^[ \t]*" + re.escape(END) + r"[ \t]*$",
                     re.S | re.M)


#: STUB lines that hand out nothing to fix: the learner writes the whole answer
_EMPTY_STUB = re.compile(r"^(raise NotImplementedError\b.*|pass\b.*|\.\.\.|\w+ = \.\.\..*|return \.\.\..*|#.*)?$")


def shape(line: str) -> str:
    """A code line with its variable names and numbers normalised: a copy with renamed variables has the same
    shape. Names that are called (``f(``), attributes (``.grad``), keywords and ``torch``/``nn``/``F`` are kept."""
    import io
    import keyword
    import tokenize

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return line
    out, previous = [], None
    for i, tok in enumerate(tokens):
        following = next((t.string for t in tokens[i + 1:] if t.type not in (tokenize.NL, tokenize.NEWLINE)), "")
        if tok.type == tokenize.NUMBER:
            out.append("0")
        elif tok.type == tokenize.NAME and not keyword.iskeyword(tok.string) and previous != "." and \
                following != "(" and tok.string not in {"torch", "nn", "F", "True", "False", "None"}:
            out.append("N")
        elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.COMMENT):
            out.append(tok.string)
        previous = tok.string
    return " ".join(out)


def exercise_regions(nb) -> list[tuple[str, float]]:
    """(cell id, share of the region's lines whose shape (names and numbers normalised) a cell above shows)."""
    shown: set[str] = set()
    in_exercises = False
    regions = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if re.search(r"^## ", cell.source, re.M):
                in_exercises = bool(re.search(r"^## Exercises", cell.source, re.M))
            continue
        if cell.cell_type != "code" or SOLUTION_TAG in _tags(cell):
            continue
        for match in _REGION.finditer(cell.source) if in_exercises else ():
            lines = _code_lines(match.group(1))
            if lines and not all(re.match(r"my_\w+\s*=", line) for line in lines):  # not a prediction
                # a region whose STUB lines hand out code to fix is a Modify by construction: it retypes nothing
                stubs = [ln.strip().removeprefix(STUB).strip() for ln in match.group(1).splitlines()
                         if ln.strip().startswith(STUB)]
                fixes = any(not _EMPTY_STUB.match(code) for code in stubs)
                # short lines (`loss.backward()`) and block headers (`for p in model.parameters():`) are the
                # grammar of any answer, not a copy
                substantial = [shape(ln) for ln in lines
                               if len(shape(ln).split()) >= SUBSTANTIAL_TOKENS and not ln.rstrip().endswith(":")]
                share = sum(s in shown for s in substantial) / len(substantial) if substantial else 0.0
                regions.append((cell.id, 0.0 if fixes else share))
        shown.update(shape(ln) for ln in _code_lines(_REGION.sub("", cell.source)))  # what a learner sees of it
    return regions


@rule("exercises", "at least two checked exercises, headed, listed in course.toml, each ending with its checker call")
def exercises(f: LessonFiles) -> list[Problem]:
    nb, meta, out = f.solution, f.meta, []
    if nb is None or meta is None:
        return out
    registered = sorted(ex.number for ex in f.exercises)
    module = f"utils/gradflow/exercises/{f.topic}.py"
    if len(registered) < MIN_EXERCISES:
        out.append(Problem("exercises", module, f"{len(registered)} checker(s) registered for {f.name}; a lesson has "
                           f"at least {MIN_EXERCISES} exercises (a Modify and a Make)",
                           f"add checkers under @exercise(LESSON, N, title) in {module}"))
    listed = [ex.number for ex in meta.exercises]
    if registered != listed:
        out.append(Problem("exercises", "course.toml", f"course.toml lists exercises {listed} of {f.name}, the "
                           f"checkers register {registered}", "one [[lesson.exercise]] per registered checker"))
    cells = {c.get("id"): c for c in nb.cells}
    order = [c.get("id") for c in nb.cells]
    shown = [int(n) for n in re.findall(r"^### Exercise (\d+) · ", "\n".join(
        c.source for c in nb.cells if c.cell_type == "markdown"), re.M)]
    if shown != listed:
        out.append(Problem("exercises", f.where(), f"the notebook's '### Exercise N · title' headings are {shown}, "
                           f"course.toml lists {listed}", "one heading per [[lesson.exercise]], in order"))
    for ex in meta.exercises:
        missing = [c for c in ex.cells if c not in cells]
        if missing or not ex.cells:
            out.append(Problem("exercises", "course.toml", f"exercise {ex.number}: cells {missing or '[]'} are not in "
                               "the notebook", "list the ids of the exercise's code cells (a cell's id is in its "
                               "metadata; JupyterLab shows it in the property inspector)"))
            continue
        if not all(cells[c].cell_type == "code" for c in ex.cells):
            out.append(Problem("exercises", "course.toml", f"exercise {ex.number}: a listed cell is not code",
                               "list code cells only"))
        positions = [order.index(c) for c in ex.cells]
        if positions != sorted(positions):
            out.append(Problem("exercises", "course.toml", f"exercise {ex.number}: cells not in notebook order",
                               "list them in notebook order"))
        above = next((i for i in range(positions[0], -1, -1) if nb.cells[i].cell_type == "markdown"), None)
        if above is None or ex.heading not in nb.cells[above].source.splitlines():
            out.append(Problem("exercises", f.where(cell=cells[ex.cells[0]]), f"the markdown cell above exercise "
                               f"{ex.number} does not show {ex.heading!r}",
                               "keep the heading equal to course.toml's title"))
        if not re.search(r"\bex\.\w+\(", cells[ex.cells[-1]].source):
            out.append(Problem("exercises", f.where(cell=cells[ex.cells[-1]]), f"exercise {ex.number}'s last cell "
                               "does not call its checker", "end it with `ex.<checker>(answer)`"))
        if not any(BEGIN in cells[c].source for c in ex.cells):
            out.append(Problem("exercises", f.where(cell=cells[ex.cells[0]]), f"exercise {ex.number} has no "
                               "solution region", f"put the answer between '{BEGIN}' and '{END}' lines"))
    return out


@rule("exports", "the checker module's __all__ names its checkers and what the notebook calls of it, nothing else")
def exports(f: LessonFiles) -> list[Problem]:
    if f.solution is None or f.meta is None:
        return []
    module_path = f"utils/gradflow/exercises/{f.topic}.py"
    try:
        module = importlib.import_module(f"gradflow.exercises.{f.topic}")
    except Exception:  # a module that does not load: the exercises rule finds no checkers and says so
        return []
    # what the notebook calls as ex.<name> (markdown that names one counts: a learner may call it), and the checkers
    used = set(re.findall(r"\bex\.(\w+)", "\n".join(c.source for c in f.solution.cells)))
    wanted = used | {e.check.__name__ for e in f.exercises}
    exported = getattr(module, "__all__", None)
    if exported is None:
        return [Problem("exports", module_path, "the checker module has no __all__ (tab completion on `ex.` and "
                        "`from ... import *` show what it exports)", f"end it with __all__ = {sorted(wanted)!r}")]
    out = []
    if wanted - set(exported):
        out.append(Problem("exports", module_path, f"__all__ leaves out {sorted(wanted - set(exported))}, which the "
                           "notebook calls or which are checkers", "add them to __all__"))
    if set(exported) - wanted:
        out.append(Problem("exports", module_path, f"__all__ exports {sorted(set(exported) - wanted)}, which neither "
                           "the notebook calls nor a checker is", "take them out of __all__ (helpers only tests use "
                           "stay importable by name)"))
    return out


@rule("climb", "at most one exercise retypes code shown above, and at least one does not")
def climb(f: LessonFiles) -> list[Problem]:
    if f.solution is None:
        return []
    regions = exercise_regions(f.solution)
    retyped = [cell for cell, share in regions if share >= RETYPING_SHARE]
    if not regions:
        return [Problem("climb", f.where(), "no exercise region after '## Exercises'",
                        f"put each answer between '{BEGIN}' and '{END}'")]
    if len(retyped) > 1 or len(retyped) == len(regions):
        return [Problem("climb", f.where(), f"exercise regions {retyped} mostly retype cells shown above",
                        "keep at most one warm-up; make the others Modify (change a shown example) or Make "
                        "(the tool in a situation the lesson did not show)")]
    return []


def _test_item_counts(items, number: str) -> Counter:
    """Count collected checker tests by (exercise, side): the function name says the side (``rejects`` or
    ``accepts``) and the exercise (``test_ex3_...``, or a parameter named ``number``); mutants by marker."""
    counts: Counter = Counter()
    for item in items:
        name = getattr(item, "originalname", None) or item.name.split("[")[0]
        side = "rejects" if "_rejects" in name else "accepts" if "_accepts" in name else None
        found = re.match(r"test_ex(\d+)_", name)
        params = getattr(getattr(item, "callspec", None), "params", {})
        exercise = int(found.group(1)) if found else params.get("number")
        if side is None or not isinstance(exercise, int):
            continue
        counts[(exercise, side)] += 1
        if side == "rejects" and item.get_closest_marker("mutant") is not None:
            counts[(exercise, "mutants")] += 1
    return counts


def counts_from_items(items, number: str) -> Counter:
    """The counts for lesson ``number`` from a pytest session's collected items (what tests/test_lint.py uses)."""
    mine = [i for i in items if re.fullmatch(rf"test_lesson{number}_\w+\.py", Path(str(i.path)).name)]
    return _test_item_counts(mine, number)


def collect_counts(files: list[Path], root: Path, run: bool = False) -> dict[str, Counter]:
    """Lesson number -> its counts, collecting the given checker test files in one pytest process of their own.

    With ``run``, the tests also run in that process, and the pytest exit code is under the key ``"exit"``."""
    if not files:
        return {}
    script = ("import sys, json, pytest\n"
              "from gradflow_course.lint import counts_from_items\n"
              "class Keep:\n"
              "    def pytest_collection_finish(self, session):\n"
              "        self.items = list(session.items)\n"
              "keep = Keep()\n"
              "run, files = sys.argv[1] == 'run', sys.argv[2:]\n"
              "code = pytest.main([*([] if run else ['--collect-only']), '-q', '-p', 'no:xdist', '-p', "
              "'no:cacheprovider', *files], plugins=[keep])\n"
              "numbers = sorted({p.split('test_lesson')[1][:2] for p in files})\n"
              "out = {n: [[k[0], k[1], v] for k, v in counts_from_items(getattr(keep, 'items', []), n).items()]"
              " for n in numbers}\n"
              "out['exit'] = int(code)\n"
              "print('COUNTS=' + json.dumps(out))\n")
    result = subprocess.run([sys.executable, "-c", script, "run" if run else "collect", *map(str, files)], cwd=root,
                            capture_output=True, text=True)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("COUNTS=")), "COUNTS={}")
    found = json.loads(line[len("COUNTS="):])
    counts = {n: Counter({(e, side): k for e, side, k in rows}) for n, rows in found.items() if n != "exit"}
    if run:
        counts["exit"] = found.get("exit", -1)
        counts["output"] = result.stdout[-3000:]
    return counts


@rule("checker-tests", "every checker is tested from both sides: wrong answers (and declared mutants) rejected, "
                       "right answers written differently accepted")
def checker_tests(f: LessonFiles) -> list[Problem]:
    if f.meta is None:
        return []
    target = f"tests/test_lesson{f.number}_checkers.py"
    if not f.checker_tests:
        return [Problem("checker-tests", target, "no checker tests for this lesson",
                        f"write {target} (`make new-lesson` writes one to start from)")]
    out = []
    counts = f.test_counts
    for ex in f.exercises:
        k = ex.number
        rejects, accepts, mutants = counts[(k, "rejects")], counts[(k, "accepts")], counts[(k, "mutants")]
        if rejects < MIN_REJECTS or accepts < MIN_ACCEPTS:
            out.append(Problem("checker-tests", target, f"exercise {f.number}.{k}: {rejects} wrong answer(s), "
                               f"{accepts} right one(s) tested", f"write test_ex{k}_rejects_* with >= {MIN_REJECTS} "
                               f"wrong answers and test_ex{k}_accepts_* with >= {MIN_ACCEPTS} right answer written "
                               "differently (tests/checker_helpers.py: WrongAnswers, accepts)"))
        if mutants < MIN_MUTANTS:
            out.append(Problem("checker-tests", target, f"exercise {f.number}.{k}: {mutants} declared mutant(s) of the "
                               f"reference answer, fewer than {MIN_MUTANTS}",
                               "declare wrong answers with kind=... (tests/checker_helpers.py: MUTANT_KINDS)"))
    return out


# --- predictions, reveals and the recap ---------------------------------------------------------


@rule("predictions", "each Predict prompt takes a guess, then a collapsed reveal; nothing visible gives it away")
def predictions(f: LessonFiles) -> list[Problem]:
    if f.solution is None:
        return []
    return [Problem("predictions", *_split_where(problem, f), "ask first, state after: see the Predict rules in "
                    "CONTRIBUTING.md") for problem in check_predictions(f.solution, f.where())]


def _split_where(problem: str, f: LessonFiles) -> tuple[str, str]:
    where, _, message = problem.partition(": ")
    return where, message


def _calls_at_top(tree: ast.Module) -> list[int]:
    """Line numbers of the top-level statements that show something: print/display/reveal calls."""
    lines = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in {"print", "display", "reveal", "show"}:
                lines.append(node.lineno)
    return lines


@rule("reveal-order", "a reveal cell shows its result first and proves it after: asserts come last")
def reveal_order(f: LessonFiles) -> list[Problem]:
    out = []
    for cell in f.solution.cells if f.solution is not None else []:
        if cell.cell_type != "code" or REVEAL_TAG not in _tags(cell):
            continue
        try:
            tree = ast.parse(visible_source(cell.source))
        except SyntaxError:
            continue
        asserts = [n.lineno for n in tree.body if isinstance(n, ast.Assert)]
        shows = _calls_at_top(tree)
        if asserts and shows and min(asserts) < max(shows):
            out.append(Problem("reveal-order", f.where(cell=cell), "an assert comes before the printout or reveal "
                               "call: a learner who expands the collapsed cell reads the asserted answer first",
                               "move the cell's asserts after its last print/reveal call"))
    return out


def _section_start(cells, index: int) -> int:
    """The index of the markdown cell that opens the section holding cell ``index`` (a heading line)."""
    for i in range(index, -1, -1):
        cell = cells[i]
        if cell.cell_type == "markdown" and re.search(r"^#{2,3} ", cell.source, re.M):
            return i
    return 0


@rule("spoiler", "the text of a section before its Predict prompt does not state what the reveal asserts")
def spoiler(f: LessonFiles) -> list[Problem]:
    """Numbers a reveal asserts (not one-digit integers: "2 layers" is prose) and strings it asserts (unless a
    Predict prompt of the section offers them as options) must not appear in the section's text above the prompt."""
    nb, out = f.solution, []
    if nb is None:
        return out
    cells = [c for c in nb.cells if SOLUTION_TAG not in _tags(c)]
    for k, cell in enumerate(cells):
        if cell.cell_type != "markdown" or not PROMPT.search(cell.source):
            continue
        reveal = next((c for c in cells[k + 1:] if c.cell_type == "code" and REVEAL_TAG in _tags(c)), None)
        if reveal is None:
            continue
        numbers, strings = answer_values(visible_source(reveal.source))
        numbers = {n for n in numbers if not (n == int(n) and n < 10)}
        section = [c for c in cells[_section_start(cells, k):k + 1] if c.cell_type == "markdown"]
        offered = " ".join(c.source[PROMPT.search(c.source).start():] for c in section if PROMPT.search(c.source))
        strings = {s for s in strings if not gives_away(offered, set(), {s})}  # options a prompt lists
        before_prompt = cell.source[:PROMPT.search(cell.source).start()]
        for source_cell, text in [(c, c.source) for c in section[:-1]] + [(cell, before_prompt)]:
            found = gives_away(text, numbers, strings)
            if found:
                out.append(Problem("spoiler", f.where(cell=source_cell), f"the text before the Predict prompt in cell "
                                   f"{cell.get('id')} states what its reveal asserts: {', '.join(found)}",
                                   "ask first, state after: move the statement below the reveal"))
    return out


def _reveal_lines(nb) -> list[dict]:
    from gradflow.status_line import parse

    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    return [line for line in parse(text) if line.kind in "pq"]


@rule("reveal-lines", "the solution's reveals all say right, one id per prompt, numbered in order; a recap of 3-5")
def reveal_lines(f: LessonFiles) -> list[Problem]:
    if f.solution is None:
        return []
    where, out = f.where(), []
    lines = _reveal_lines(f.solution)
    ids = [line.id for line in lines]
    doubled = sorted({i for i in ids if ids.count(i) > 1})
    if doubled:
        out.append(Problem("reveal-lines", where, f"reveal ids used twice: {doubled}", "give each reveal its own id"))
    wrong = [line.id for line in lines if line.lesson != f.number or line.state != "passed"]
    if wrong:
        out.append(Problem("reveal-lines", where, f"reveals that do not say right for lesson {f.number}: {wrong}",
                           "the solution records the right guess in each prediction cell's solution region; ids "
                           f"start with {f.number}."))
    for kind, what in (("p", "prediction"), ("q", "recap question")):
        numbers = [line.number for line in lines if line.kind == kind]
        if numbers != list(range(1, len(numbers) + 1)):
            out.append(Problem("reveal-lines", where, f"{what} ids are {numbers}", f"number them {f.number}.{kind}1, "
                               f"{f.number}.{kind}2, ... in notebook order"))
    prompts = sum(bool(PROMPT.search(c.source)) for c in f.solution.cells if c.cell_type == "markdown")
    predicted = sum(line.kind == "p" for line in lines)
    if predicted != prompts:
        out.append(Problem("reveal-lines", where, f"{prompts} Predict prompt(s) but {predicted} reveal line(s)",
                           "each prompt's reveal calls reveal(...) or a quiz's .reveal(...) once"))
    low, high = RECAP_QUESTIONS
    recap = sum(line.kind == "q" for line in lines)
    if not low <= recap <= high:
        out.append(Problem("reveal-lines", where, f"the recap quiz has {recap} question(s)",
                           f"end with a recap of {low}-{high} questions (a Recap in gradflow/quizzes/{f.topic}.toml)"))
    return out


@rule("quiz-file", "the lesson's questions live in gradflow/quizzes/<topic>.toml with its module beside it")
def quiz_file(f: LessonFiles) -> list[Problem]:
    folder = f.root / "utils" / "gradflow" / "quizzes"
    missing = [p for p in (folder / f"{f.topic}.toml", folder / f"{f.topic}.py") if not p.exists()]
    return [Problem("quiz-file", paths.shown(p) if p.is_relative_to(paths.root()) else str(p), "missing",
                    "`make new-lesson` writes both; the .py loads the .toml (see quizzes/clone.py)") for p in missing]


@rule("recap-transfer", "the recap asks at least one question drawn from a field guide entry of the lesson's topic")
def recap_transfer(f: LessonFiles) -> list[Problem]:
    path = f.root / "utils" / "gradflow" / "quizzes" / f"{f.topic}.toml"
    index = f.root / "utils" / "gradflow" / "guide_index.json"
    if not path.exists() or not index.exists():
        return []  # quiz-file reports a missing quiz; a course without a guide has nothing to draw from
    entries = {e["id"]: e for e in json.loads(index.read_text(encoding="utf-8"))}
    own = {i for i, e in entries.items() if e["lesson"] == f.name} or set(entries)  # no entry of its own: any
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8")).values()
    except tomllib.TOMLDecodeError:
        return []
    asked = [q.get("guide") for t in tables if isinstance(t, dict) for q in t.get("questions", [])]
    where = paths.shown(path) if path.is_relative_to(paths.root()) else str(path)
    unknown = sorted({g for g in asked if g and g not in entries})
    if unknown:
        return [Problem("recap-transfer", where, f"guide = {unknown} names no entry of the field guide",
                        "use an entry id as guide/00_index.ipynb lists it, e.g. \"05.03\"")]
    if not any(g in own for g in asked):
        ids = ", ".join(sorted(own)[:8])
        return [Problem("recap-transfer", where, "no recap question is drawn from the field guide",
                        f"add a recap question that shows one of this lesson's entries ({ids}) in a new shape, "
                        "with guide = \"NN.MM\" in its table; the verdict then points at the entry")]
    return []


# --- claims: float equality (the scan lives in floats.py; the guide uses it too) -----------------------


@rule("float-equality", "floats are compared bit for bit only where exact by construction (tests/float_equality_exact.toml)")
def float_equality(f: LessonFiles) -> list[Problem]:
    if f.solution is None:
        return []
    listed, out, seen = exact_cells(f.root), [], set()
    for cell in f.solution.cells:
        hits = bitwise_comparisons(cell.source) if cell.cell_type == "code" else []
        if not hits:
            continue
        seen.add(cell.get("id"))
        shown = "; ".join(hits)
        entry = listed.get(cell.get("id"))
        if entry is None:
            out.append(Problem("float-equality", f.where(cell=cell), f"compares floats bit for bit: {shown}",
                               "two computations equal in exact arithmetic may differ in the last bit between CPU "
                               "kernels: use torch.testing.assert_close(..., rtol=..., atol=...), or, if it is exact "
                               f"by construction, list the cell in {EXACT_FILE} with the reason"))
        elif entry[0] != len(hits):
            out.append(Problem("float-equality", f.where(cell=cell), f"now holds {len(hits)} bitwise float "
                               f"comparison(s), {EXACT_FILE} lists {entry[0]} ({entry[1]}): {shown}",
                               f"review the new one, then update its count in {EXACT_FILE}"))
    stale = sorted(c for c in listed if c.startswith(f"{f.number}-") and c not in seen)
    if stale:
        out.append(Problem("float-equality", str(EXACT_FILE), f"lists cells of {f.name} that no longer compare floats "
                           f"bit for bit: {stale}", "remove them"))
    return out


# --- names a section needs that an exercise overwrites -------------------------------------------------


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names read, names assigned at any level) by a cell; empty for what does not parse (IPython magics)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(), set()
    loads, stores = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (stores if isinstance(node.ctx, ast.Store) else loads).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stores.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stores.update((a.asname or a.name).split(".")[0] for a in node.names)
    return loads, stores


def _top_stores(source: str) -> set[str]:
    """The names a cell assigns at its top level (what it leaves in the kernel)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    out = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            targets = node.targets if isinstance(node, ast.Assign) else [
                getattr(node, "target", None)] if not isinstance(node, ast.With) else [
                i.optional_vars for i in node.items if i.optional_vars is not None]
            for target in targets:
                out.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return out


@rule("rerun", "after Run All, a section before the exercises can run again: no exercise overwrites a name it reads")
def rerun(f: LessonFiles) -> list[Problem]:
    nb = f.built
    if nb is None:
        return []
    cells = nb.cells
    start = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"
                  and re.search(r"^## Exercises", c.source, re.M)), None)
    if start is None:
        return []
    exercise_stores: dict[str, str] = {}
    for cell in cells[start:]:
        if cell.cell_type == "code":
            for name in _top_stores(cell.source):
                exercise_stores.setdefault(name, cell.get("id"))
    out, section_defined = [], set()
    for cell in cells[:start]:
        if cell.cell_type == "markdown":
            if re.search(r"^## ", cell.source, re.M):
                section_defined = set()
            continue
        if cell.cell_type != "code":
            continue
        loads, stores = _names(cell.source)
        own = stores  # what the cell assigns itself, loop and comprehension names included (read after, in practice)
        inherited = sorted(n for n in loads - section_defined - own if n in exercise_stores)
        kind = "reveal" if REVEAL_TAG in _tags(cell) else "prediction" if re.search(r"^my_\w+\s*=", cell.source,
                                                                                     re.M) else None
        if inherited and kind:
            where = ", ".join(f"{n} (cell {exercise_stores[n]})" for n in inherited)
            out.append(Problem("rerun", f.where("lessons", cell), f"this {kind} cell reads names that an exercise "
                               f"cell below assigns: {where}; after Run All, running it again reads the exercise's "
                               "value", "rename the exercise's variables (the checker call too)"))
        section_defined |= _top_stores(cell.source)
    return out


# --- the instructor kit and sizing ---------------------------------------------------------------------


@rule("notes", "instructors/notes/<lesson>.md exists and quotes course.toml's minutes")
def notes(f: LessonFiles) -> list[Problem]:
    from .facts import notes_minutes_line

    path = f.root / "instructors" / "notes" / f"{f.name}.md"
    shown = f"instructors/notes/{f.name}.md"
    if not path.exists():
        return [Problem("notes", shown, "missing", "run `make lessons` (it writes a notes page to fill in)")]
    lines = path.read_text(encoding="utf-8").splitlines()
    if f.meta is not None and not any(line.startswith(notes_minutes_line(f.meta)) for line in lines):
        return [Problem("notes", shown, f"does not quote course.toml's minutes: {notes_minutes_line(f.meta)!r}",
                        "run `make lessons` (it rewrites the minutes line from course.toml)")]
    return []


@rule("sizing", "the lesson's memory and CPU are measured in instructors/sizing.json")
def sizing(f: LessonFiles) -> list[Problem]:
    path = f.root / "instructors" / "sizing.json"
    lessons = json.loads(path.read_text(encoding="utf-8")).get("lessons", {}) if path.exists() else {}
    if f.name not in lessons:
        return [Problem("sizing", "instructors/sizing.json", f"{f.name} is not measured yet",
                        f"python -m gradflow_course sizing --lesson {f.name} (measures it alone and merges it)",
                        warning=True)]
    return []


@rule("minutes", "the lesson's core, estimated from its content, fits its stated teaching minutes")
def minutes(f: LessonFiles) -> list[Problem]:
    from .minutes import lesson_minutes

    if f.meta is None or f.solution is None:
        return []
    core = lesson_minutes(f.name, f.root)["core"]
    if core <= f.meta.teaching_minutes:
        return []
    return [Problem("minutes", f.where(), f"its core is estimated at {core} min, course.toml states "
                    f"{f.meta.teaching_minutes} (gradflow-course minutes shows the count)",
                    f"move what not every learner needs into '## {GOING_FURTHER} · ...' sections at the end (after Key "
                    "points), or into the field guide; tighten the prose that stays")]


# --- running the rules --------------------------------------------------------------------------------


def lesson_names(course: metadata.Course, root: Path) -> list[str]:
    """Every lesson course.toml lists, then any solution notebook it does not."""
    names = course.names()
    return names + sorted(p.stem for p in (root / "solutions").glob("*.ipynb") if p.stem not in names)


def check(files: LessonFiles, rules: list[str] | None = None) -> list[Problem]:
    problems = []
    for name in rules or RULES:
        problems += RULES[name][1](files)
    return problems


def _pick(names: list[str], wanted: list[str]) -> list[str]:
    picked = []
    for want in wanted:
        match = metadata.matching(names, want)
        if not match:
            raise SystemExit(f"lint: no lesson {want!r}; lessons: {', '.join(names)}")
        picked += match
    return picked


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lessons", nargs="*", help="lesson names, numbers or topics (default: every lesson)")
    parser.add_argument("--rules", action="store_true", help="list the rules and stop")
    parser.add_argument("--rule", action="append", choices=sorted(RULES), help="run only this rule (repeatable)")


def run(args: argparse.Namespace) -> int:
    if args.rules:
        for name, (description, _) in RULES.items():
            print(f"{name:<16} {description}")
        return 0
    try:
        course = metadata.load()
    except metadata.MetadataError as error:
        print(f"course.toml: error [course-entry] {error}")
        return 1
    root = paths.root()
    names = lesson_names(course, root)
    chosen = _pick(names, args.lessons) if args.lessons else names
    errors = warnings = 0
    counts: dict[str, Counter] = {}
    if not args.rule or "checker-tests" in args.rule:  # one pytest collection for every lesson's checker tests
        files = [p for name in chosen for p in LessonFiles(name, course, root).checker_tests]
        counts = collect_counts(files, root)
    for name in chosen:
        problems = check(LessonFiles(name, course, root, counts.get(name[:2], Counter())), args.rule)
        for problem in problems:
            print(problem)
        n_errors = sum(not p.warning for p in problems)
        errors += n_errors
        warnings += len(problems) - n_errors
        if not problems:
            print(f"{name}: ok")
    if not args.lessons and not args.rule:  # the field guide's entries, when the course has a guide
        from .guide import notebooks, read_entries

        if notebooks(root):
            entries, problems = read_entries(root)
            for problem in problems:
                print(f"{problem.replace(': ', ': error [guide] ', 1)}")
            errors += len(problems)
            print(f"guide: {len(entries)} entries" + ("" if problems else ", ok"))
    print(f"\n{len(chosen)} lesson(s), {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0
