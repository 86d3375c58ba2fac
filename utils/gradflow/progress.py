"""Where am I? The state of every exercise and prediction, read from saved notebooks.

    from gradflow.progress import progress
    progress()                  # in JupyterLab: the notebooks of the current folder (your workspace/)
    progress("collected/")      # an instructor's folder: one subfolder per learner, one row each

Nothing is run and nothing is written: the view reads what the checker and reveal cells printed
when they last ran (the outputs saved in each ``NN_name.ipynb``) and the cells' execution counts.

Each exercise (``01.2``) and prediction (``01.p1``) gets one of four states:

* **passed** / **wrong** / **not attempted**: what its line said (``✔`` / ``✘`` / ``…``; when
  several cells printed one, the line of the cell with the highest execution count);
* **not run**: its saved line may not be about the answer now in the notebook. The rule, from
  execution counts and outputs only:

  1. the *answer cells* of an item are the cell that prints its line (or calls its checker) and the
     code cells directly above it, up to the nearest text cell that opens a section (a ``#`` heading
     or a ``**Predict**`` prompt) or the nearest cell of another item;
  2. an item with a saved line is *not run* when one of its answer cells has a higher execution
     count than the cell that printed it (the answer was re-run after the check), when that cell no
     longer calls the item's checker, or when the line says "not attempted" but no ``...`` or
     ``NotImplementedError`` stub is left in the answer cells (an answer typed after the check ran; a cell still equal to
     the course's own lesson cell counts as a stub, since the capstone's stubs are buggy scripts);
  3. an item with no saved line is *not run* when its checker cell ran and printed no line (it
     stopped on an error, or its outputs were cleared), when the checker cell never ran but holds an
     answer (no stub left), or when no cell calls its checker any more; otherwise *not attempted*.
     A prediction's reveal cell is the cell (by id) that printed its line in the course's notebook:
     when it stopped on an error the prediction is *not run*; with no line otherwise, *not attempted*.

  A cell edited without being run again looks the same as before in a saved notebook, and execution
  counts start again from 1 after a kernel restart: the rule cannot see either.

What the course holds comes from the checker registry (:func:`gradflow.checking.exercises_of`) and
from the lines printed in the course's executed notebooks (``solutions/``, the ``reference``), so an
item never run still gets its row. A notebook that cannot be read (cut-short JSON, not a notebook)
gets one line in ``problems``; the others are read as usual.

The lines are read with :mod:`gradflow.status_line`, where they are also written.
"""

from __future__ import annotations

import functools
import html
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .status_line import OPEN as _LINE_OPEN
from .status_line import PASSED as _LINE_PASSED
from .status_line import WRONG as _LINE_WRONG
from .status_line import hint_of, parse_line, prediction_text

__all__ = ["PASSED", "WRONG", "NOT_ATTEMPTED", "NOT_RUN", "STATES",
           "CourseItem", "Item", "LessonProgress", "LearnerProgress", "ClassProgress", "Unreadable", "progress",
           "read_learner", "read_class", "read_notebook", "lesson_progress", "course_items"]

PASSED, WRONG, NOT_ATTEMPTED, NOT_RUN = "passed", "wrong", "not attempted", "not run"
STATES = (PASSED, WRONG, NOT_ATTEMPTED, NOT_RUN)
_MARK = {PASSED: "✔", WRONG: "✘", NOT_ATTEMPTED: "…", NOT_RUN: "↻"}
_LEGEND = "↻ not run = changed since its check last ran, or the check never ran on the answer"

#: a status line's state (gradflow.status_line) as this view names it
_STATE_OF_LINE = {_LINE_PASSED: PASSED, _LINE_WRONG: WRONG, _LINE_OPEN: NOT_ATTEMPTED}

_LESSON_FILE = re.compile(r"^(?P<stem>\d\d_[A-Za-z0-9_]+)\.ipynb$")  # not a backup, not checkpoints
#: a lesson the learner renamed or duplicated in JupyterLab (``01_detach-Copy1.ipynb``); never a reset's backup
#: (``mine-1 · 01_detach.ipynb`` starts with no number; ``01_detach.mine-1.ipynb`` is how resets once named them)
_RENAMED_FILE = re.compile(r"^(?P<number>\d\d)(?![\w.]*\.mine-\d+\.ipynb$)[^/]*\.ipynb$")
_SECTION = re.compile(r"^\s*#|\*\*Predict", re.M)  # a text cell that opens a section, exercise or prediction
_STUB = re.compile(r"(?<![\w.\"'\[])\.\.\.(?![\w.\"'])|\bNotImplementedError\b")
_DEFAULT_REFERENCE = Path(__file__).resolve().parents[2] / "solutions"


# --- what the course holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class CourseItem:
    """An exercise or prediction the course holds (what a notebook is read against)."""

    id: str
    title: str
    kind: str
    call: str | None = None  # the checker function's name, when the registry knows it
    cell: str | None = None  # the id of the cell that prints its line in the course's notebook (a reveal's)


def _number_key(item_id: str) -> tuple:
    lesson, rest = item_id.split(".", 1)
    return (lesson, rest[0].isdigit(), int(re.sub(r"\D", "", rest) or 0), rest)


def course_items(reference: Path | str | None = None, stems: Iterable[str] = ()) -> dict[str, list[CourseItem]]:
    """Every exercise and prediction of the course, by lesson stem, in the order they appear.

    From the lines the reference notebooks printed (``reference``: a folder of executed notebooks,
    by default the course's ``solutions/`` when this is a checkout) and the checker registry.
    """
    from .checking import exercises_of

    folder = _DEFAULT_REFERENCE if reference is None else Path(reference)
    found: dict[str, dict[str, CourseItem]] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.ipynb")):
            match = _LESSON_FILE.match(path.name)
            if not match:
                continue
            try:
                cells = _cells(read_notebook(path))
            except Unreadable:
                continue
            items = found.setdefault(match["stem"], {})
            for _, cell in cells:
                for line in _lines_of(cell):
                    items.setdefault(line.id, CourseItem(line.id, line.title, line.kind, cell=cell.get("id")))
    for stem in sorted(set(found) | set(stems)):
        items = found.setdefault(stem, {})
        for ex in exercises_of(stem):
            item_id = f"{ex.lesson[:2]}.{ex.number}"
            items[item_id] = CourseItem(item_id, ex.title, "exercise", ex.check.__name__)
    return {stem: list(items.values()) for stem, items in sorted(found.items())}


# --- reading a notebook ---------------------------------------------------------------------------


class Unreadable(Exception):
    """A file that is not a readable notebook; the message says why, in a few words."""


def read_notebook(path: Path | str) -> dict:
    """The notebook's JSON, or :class:`Unreadable`. Reads only."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise Unreadable(f"could not open it ({error.strerror or error})") from None
    if not raw.strip():
        raise Unreadable("the file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("not a text file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise Unreadable(f"not valid JSON at line {error.lineno} (cut short or damaged)") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise Unreadable("JSON, but not a notebook (it has no list of cells)")
    return data


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _cells(notebook: dict) -> list[tuple[int, dict]]:
    return [(i, c) for i, c in enumerate(notebook.get("cells", [])) if isinstance(c, dict)]


def _count(cell: dict) -> int | None:
    count = cell.get("execution_count")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _outputs(cell: dict) -> list[dict]:
    outputs = cell.get("outputs")
    return [o for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else []


@dataclass(frozen=True)
class _Line:
    id: str
    title: str
    kind: str
    state: str
    detail: str
    hint: str = ""


def _parse(line: str) -> _Line | None:
    found = parse_line(line)
    if found is None:
        return None
    if found.is_exercise:
        return _Line(found.id, found.title, "exercise", _STATE_OF_LINE[found.state], found.text)
    detail = prediction_text(found.state, found.text)  # the verdict stays in the note
    return _Line(found.id, found.title, "prediction", _STATE_OF_LINE[found.state], detail)


def _lines_of(cell: dict) -> list[_Line]:
    """Every checker or reveal line a code cell's saved outputs hold, with its hint."""
    if cell.get("cell_type") != "code":
        return []
    found: list[_Line] = []
    for output in _outputs(cell):
        if output.get("output_type") == "stream":
            text = _text(output.get("text"))
        else:
            data = output.get("data")
            text = _text(data.get("text/plain")) if isinstance(data, dict) else ""
        for raw in text.splitlines():
            hint = hint_of(raw)
            if hint is not None and found and not found[-1].hint:
                last = found[-1]
                found[-1] = _Line(last.id, last.title, last.kind, last.state, last.detail, hint)
                continue
            line = _parse(raw.rstrip())
            if line:
                found.append(line)
    return found


def _error_of(cell: dict) -> str | None:
    for output in _outputs(cell):
        if output.get("output_type") == "error":
            return str(output.get("ename") or "an error")
    return None


# --- one lesson -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One exercise or prediction of a lesson, as its saved notebook shows it."""

    id: str        # "01.2" (exercise) or "01.p1" (prediction)
    title: str
    kind: str      # "exercise" or "prediction" (recap questions are predictions too)
    state: str     # one of STATES
    note: str = ""  # what was wrong, or why it counts as not run
    hint: str = ""
    cell: str | None = None  # the id of the cell the state was read from

    @property
    def mark(self) -> str:
        return _MARK[self.state]


@dataclass
class LessonProgress:
    stem: str
    items: list[Item] = field(default_factory=list)
    problem: str | None = None  # why the notebook was not read: "no notebook", or what is wrong with it
    path: Path | None = None
    unread: int = 0  # the course's items in a notebook that could not be read (their state is unknown)

    @property
    def readable(self) -> bool:
        return self.path is not None and self.problem is None

    def count(self, state: str) -> int:
        return sum(item.state == state for item in self.items)

    @property
    def title(self) -> str:
        return self.stem


@functools.lru_cache(maxsize=None)
def _as_handed_out(stem: str) -> dict[str, str]:
    """Cell id -> source of the course's own lesson notebook: a cell still equal to it is untouched
    (the capstone's stubs are buggy scripts with no ``...`` in them)."""
    try:
        cells = json.loads((_DEFAULT_REFERENCE.parent / "lessons" / f"{stem}.ipynb").read_text("utf-8"))["cells"]
        return {c["id"]: _text(c.get("source")) for c in cells if isinstance(c, dict) and "id" in c}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _has_stub(source: str) -> bool:
    """A ``...`` placeholder or ``NotImplementedError`` left in the code (comments do not count)."""
    code = "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in source.splitlines())
    return _STUB.search(code) is not None


def _calls(source: str, name: str | None) -> bool:
    return bool(name) and re.search(rf"(?<!def )\b{re.escape(name)}\s*\(", source) is not None


def lesson_progress(stem: str, notebook: dict, expected: Iterable[CourseItem] = ()) -> LessonProgress:
    """The state of every item of one lesson from its notebook JSON (see the module docstring)."""
    expected = list(expected)
    cells = _cells(notebook)
    by_pos = dict(cells)
    sources = {pos: _text(c.get("source")) for pos, c in cells}
    handed_out = _as_handed_out(stem)
    untouched = {pos for pos, c in cells
                 if _has_stub(sources[pos]) or handed_out.get(c.get("id"), None) == sources[pos] != ""}
    printed = {pos: _lines_of(c) for pos, c in cells}
    items: dict[str, CourseItem] = {e.id: e for e in expected}
    for lines in printed.values():
        for line in lines:
            items.setdefault(line.id, CourseItem(line.id, line.title, line.kind))
    known = {e.id for e in expected}
    extra = [e for i, e in items.items() if i not in known and i.startswith(stem[:2] + ".")]
    wanted = list(expected) + sorted(extra, key=lambda e: _number_key(e.id))  # old or unknown ids last

    def owner(pos: int, cell: dict) -> set[str]:
        """The items a cell belongs to: those it printed and those whose checker it calls."""
        mine = {line.id for line in printed.get(pos, [])}
        if cell.get("cell_type") == "code":
            mine |= {e.id for e in wanted if _calls(sources[pos], e.call)}
        return mine

    owners = {pos: owner(pos, c) for pos, c in cells}

    def answer_cells(pos: int, item_id: str) -> list[tuple[int, dict]]:
        region = [(pos, by_pos[pos])]
        for back, cell in reversed([pc for pc in cells if pc[0] < pos]):
            kind = cell.get("cell_type")
            if kind == "markdown" and _SECTION.search(sources[back]):
                break
            if kind != "code":
                continue
            if owners[back] - {item_id}:
                break
            region.append((back, cell))
        return region

    result = []
    for want in wanted:
        result.append(_item_state(want, cells, sources, printed, answer_cells, untouched))
    return LessonProgress(stem, result)


def _item_state(want: CourseItem, cells, sources, printed, answer_cells, untouched) -> Item:
    def make(state: str, note: str = "", hint: str = "", cell: dict | None = None) -> Item:
        return Item(want.id, want.title, want.kind, state, note, hint, (cell or {}).get("id"))

    shown = [(_count(c) if _count(c) is not None else -1, pos, c, line)
             for pos, c in cells for line in printed[pos] if line.id == want.id]
    if shown:
        count, pos, cell, line = max(shown, key=lambda s: (s[0], s[1]))
        region = answer_cells(pos, want.id)
        later = [c for p, c in region if p != pos and count >= 0 and (_count(c) or 0) > count]
        if later:
            return make(NOT_RUN, "an answer cell above ran after the check: run the check again", cell=cell)
        if want.call and not _calls(sources[pos], want.call):
            return make(NOT_RUN, f"the cell that showed this result no longer calls {want.call}(...)", cell=cell)
        if line.state == NOT_ATTEMPTED and not any(p in untouched for p, _ in region):
            return make(NOT_RUN, "an answer was written after the check ran: run the cell", cell=cell)
        return make(line.state, line.detail if line.state == WRONG else "", line.hint, cell)
    callers = [(pos, c) for pos, c in cells if c.get("cell_type") == "code" and _calls(sources[pos], want.call)]
    if want.call and not callers:
        return make(NOT_RUN, f"no cell calls its checker {want.call}(...) any more")
    if not callers:  # a prediction that printed nothing: its reveal has not run, or stopped on an error
        reveal = next((c for _, c in cells if want.cell and c.get("id") == want.cell), None)
        error = _error_of(reveal) if reveal is not None and _count(reveal) is not None else None
        if error:
            return make(NOT_RUN, f"its reveal cell stopped on {error}: run the cells of its section from the top",
                        cell=reveal)
        return make(NOT_ATTEMPTED)
    pos, cell = callers[-1]
    if _count(cell) is not None:
        error = _error_of(cell)
        why = f"its cell stopped on {error} before the check" if error else "its cell ran but shows no result"
        return make(NOT_RUN, why, cell=cell)
    if any(p in untouched for p, _ in answer_cells(pos, want.id)):
        return make(NOT_ATTEMPTED, cell=cell)
    return make(NOT_RUN, "an answer is written but its cell has not run", cell=cell)


# --- a learner's folder ---------------------------------------------------------------------------


def _lesson_files(folder: Path, recursive: bool) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {}
    paths = folder.rglob("*.ipynb") if recursive else folder.glob("*.ipynb")
    for path in sorted(paths):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue  # .ipynb_checkpoints and other hidden folders
        match = _LESSON_FILE.match(path.name)
        if match and path.is_file():
            files.setdefault(match["stem"], []).append(path)
    return files


class _Table:
    """What both progress tables share: Jupyter shows the HTML table; print() and repr() the text one."""

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": self.text(), "text/html": self.html()}

    def __repr__(self) -> str:
        return self.text()


@dataclass(repr=False)  # the repr is the table (_Table)
class LearnerProgress(_Table):
    """Every lesson of one learner. Displays as a table in JupyterLab; ``text()`` for a terminal."""

    folder: Path
    lessons: list[LessonProgress]
    problems: list[str] = field(default_factory=list)  # one line per notebook that was not read
    name: str | None = None

    def lesson(self, stem_or_number: str) -> LessonProgress:
        for lesson in self.lessons:
            if lesson.stem == stem_or_number or lesson.stem[:2] == stem_or_number:
                return lesson
        raise KeyError(stem_or_number)

    def item(self, item_id: str) -> Item:
        for lesson in self.lessons:
            for item in lesson.items:
                if item.id == item_id:
                    return item
        raise KeyError(item_id)

    @property
    def items(self) -> list[Item]:
        return [item for lesson in self.lessons for item in lesson.items]

    def totals(self) -> dict[str, int]:
        """Items per state; ``not read``: items of unreadable notebooks; ``total``: all of them."""
        counts = {state: sum(item.state == state for item in self.items) for state in STATES}
        counts["not read"] = sum(lesson.unread for lesson in self.lessons)
        counts["total"] = len(self.items) + counts["not read"]
        return counts

    def summary(self) -> str:
        t = self.totals()
        text = (f"{t[PASSED]} of {t['total']} passed, {t[WRONG]} wrong, {t[NOT_ATTEMPTED]} not attempted, "
                f"{t[NOT_RUN]} not run")
        unread = [lesson.stem for lesson in self.lessons if lesson.path is not None and lesson.problem]
        return text + (f"; {t['not read']} in notebooks not read ({', '.join(unread)})" if unread else "")

    def _rows(self) -> list[tuple[str, str, str, str]]:
        rows = []
        for lesson in self.lessons:
            if lesson.problem and lesson.path is not None:
                rows.append(("lesson", lesson.title, "", f"could not read: {lesson.problem}"))
                continue
            done = f"{lesson.count(PASSED)} of {len(lesson.items)} passed"
            rows.append(("lesson", lesson.title, done, "no notebook" if lesson.problem else ""))
            for item in lesson.items:
                note = item.note + (f" (hint: {item.hint})" if item.hint else "")
                rows.append((item.state, f"{item.mark} {item.id} {item.title}", item.state, note))
        return rows

    def summary_text(self) -> str:
        """One line per lesson (``make progress SUMMARY=1``), then the total."""
        where = self.name or _shown(self.folder)
        out = [f"Progress in {where} (from the saved notebooks; nothing was run)", ""]
        width = max([len(lesson.stem) for lesson in self.lessons] + [10])
        for lesson in self.lessons:
            if lesson.problem and lesson.path is not None:
                out.append(f"{lesson.stem:<{width}}  could not read: {lesson.problem}")
                continue
            counts = ", ".join(f"{lesson.count(state)} {state}" for state in (WRONG, NOT_RUN) if lesson.count(state))
            out.append(f"{lesson.stem:<{width}}  {lesson.count(PASSED)} of {len(lesson.items)} passed"
                       + (f" ({counts})" if counts else "") + ("  no notebook" if lesson.problem else ""))
        out += ["", "Total: " + self.summary()]
        return "\n".join(out)

    def text(self, width: int = 100) -> str:
        where = self.name or _shown(self.folder)
        out = [f"Progress in {where} (from the saved notebooks; nothing was run; one line per lesson: "
               f"make progress SUMMARY=1)"]
        rows = self._rows()
        first = max([len(r[1]) for r in rows if r[0] != "lesson"] + [30])
        for kind, label, state, note in rows:
            if kind == "lesson":
                out.append("")
                out.append("  ".join(part for part in (label, state, note) if part))
            else:
                line = f"  {label:<{first}}  {state:<13} {note}".rstrip()
                if len(line) > width:  # the checker's words in full, wrapped under the row
                    line = f"  {label:<{first}}  {state}\n" + textwrap.fill(
                        note, width, initial_indent=" " * 6, subsequent_indent=" " * 6)
                out.append(line)
        out += ["", "Total: " + self.summary(), _LEGEND]
        out += self.problems
        return "\n".join(out)

    def html(self) -> str:
        colour = {PASSED: "#1a7f37", WRONG: "#cf222e", NOT_ATTEMPTED: "#57606a", NOT_RUN: "#9a6700"}
        e = html.escape
        body = []
        for kind, label, state, note in self._rows():
            if kind == "lesson":
                body.append(f"<tr><th colspan='2' style='text-align:left;padding-top:0.6em'>{e(label)}</th>"
                            f"<th style='text-align:left'>{e(state)}</th><td>{e(note)}</td></tr>")
            else:
                body.append(f"<tr><td style='padding-left:1.2em;text-align:left' colspan='2'>{e(label)}</td>"
                            f"<td style='text-align:left;color:{colour[kind]}'>{e(state)}</td>"
                            f"<td style='text-align:left'>{e(note)}</td></tr>")
        problems = "".join(f"<p>{e(p)}</p>" for p in self.problems)
        return (f"<div><p><b>Progress in {e(self.name or _shown(self.folder))}</b> (from the saved notebooks; "
                f"nothing was run)</p><table>{''.join(body)}</table>"
                f"<p><b>Total:</b> {e(self.summary())}<br>{e(_LEGEND)}</p>{problems}</div>")


def _shown(folder: Path) -> str:
    """A folder as the tables name it: its own name only, so no machine's path shows."""
    return (folder.resolve().name or str(folder)) + "/"


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def read_learner(folder: Path | str, *, reference: Path | str | None = None, recursive: bool = False,
                 name: str | None = None, course: dict[str, list[CourseItem]] | None = None,
                 report_base: Path | None = None) -> LearnerProgress:
    """One learner's lessons from the ``NN_name.ipynb`` files in ``folder`` (subfolders too if recursive)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder}")
    files = _lesson_files(folder, recursive)
    if course is None:
        course = course_items(reference, files)
    base = report_base or folder
    lessons, problems = [], []
    renamed = _renamed(folder, recursive, course, files)
    for stem, path in renamed.items():
        files.pop(path.name.removesuffix(".ipynb"), None)
        files[stem] = [path]
    for stem in sorted(set(course) | set(files)):
        expected = course.get(stem, [])
        paths = files.get(stem)
        if not paths:
            lessons.append(LessonProgress(stem, [Item(e.id, e.title, e.kind, NOT_ATTEMPTED) for e in expected],
                                          "no notebook"))
            continue
        path = paths[0]
        if len(paths) > 1:
            problems.append(f"{len(paths)} copies of {stem}: read {_relative(path, base)}, not "
                            + ", ".join(_relative(p, base) for p in paths[1:]))
        try:
            lesson = lesson_progress(stem, read_notebook(path), expected)
        except Unreadable as why:
            problems.append(f"cannot read {_relative(path, base)}: {why}; left out")
            lessons.append(LessonProgress(stem, [], str(why), path, unread=len(expected)))
            continue
        lesson.path = path
        if stem in renamed:
            problems.append(f"{stem}: read from {_relative(path, base)} (renamed; make lab adds a fresh {stem}.ipynb)")
        lessons.append(lesson)
    if not files:
        problems.append(f"no lesson notebooks (NN_name.ipynb) in {_relative(folder, base) if name else _shown(folder)}")
    return LearnerProgress(folder, lessons, problems, name)


def _renamed(folder: Path, recursive: bool, course: dict, files: dict[str, list[Path]]) -> dict[str, Path]:
    """Course lessons with no ``NN_name.ipynb`` but a renamed copy (same number): stem -> that copy."""
    found = {}
    candidates = sorted(folder.rglob("*.ipynb") if recursive else folder.glob("*.ipynb"))
    for stem in course:
        if stem in files:
            continue
        for path in candidates:
            match = _RENAMED_FILE.match(path.name)
            other = path.name.removesuffix(".ipynb")
            if (match and match["number"] == stem[:2] and other not in course and path.is_file()
                    and not any(part.startswith(".") for part in path.relative_to(folder).parts)):
                found[stem] = path
                break
    return found


# --- a class: one subfolder per learner -----------------------------------------------------------


@dataclass(repr=False)  # the repr is the table (_Table)
class ClassProgress(_Table):
    """One row per learner (a subfolder of ``folder``), with the passed count of each lesson."""

    folder: Path
    learners: dict[str, LearnerProgress]
    problems: list[str] = field(default_factory=list)

    @property
    def stems(self) -> list[str]:
        return sorted({lesson.stem for p in self.learners.values() for lesson in p.lessons})

    def passed(self, learner: str, stem_or_number: str) -> int | None:
        """Passed items of one lesson, or None when the learner's notebook could not be read."""
        lesson = self.learners[learner].lesson(stem_or_number)
        return None if (lesson.path is not None and lesson.problem) else lesson.count(PASSED)

    def _table(self) -> tuple[list[str], list[list[str]]]:
        stems = self.stems
        head = ["learner"] + [s[:2] for s in stems] + ["passed", "wrong", "not run", "not attempted"]
        rows = []
        for name, learner in sorted(self.learners.items()):
            cells = [name]
            for stem in stems:
                try:
                    lesson = learner.lesson(stem)
                except KeyError:
                    cells.append("")
                    continue
                if lesson.path is None:
                    cells.append("-")
                elif lesson.problem:
                    cells.append("?")
                else:
                    cells.append(f"{lesson.count(PASSED)}/{len(lesson.items)}")
            t = learner.totals()
            cells += [f"{t[PASSED]}/{t['total']}", str(t[WRONG]), str(t[NOT_RUN]), str(t[NOT_ATTEMPTED])]
            rows.append(cells)
        return head, rows

    _KEY = "per lesson: passed/items; - no notebook; ? notebook not readable (see below)"

    def text(self) -> str:
        head, rows = self._table()
        widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
        fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        out = [f"Progress of {len(self.learners)} learners in {_shown(self.folder)} (from the saved notebooks; "
               "nothing was run)", "", fmt(head)] + [fmt(r) for r in rows] + ["", self._KEY] + self.problems
        return "\n".join(line.rstrip() for line in out)

    def html(self) -> str:
        e = html.escape
        head, rows = self._table()
        th = "".join(f"<th>{e(c)}</th>" for c in head)
        tr = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
        problems = "".join(f"<p>{e(p)}</p>" for p in self.problems)
        return (f"<div><p><b>Progress of {len(self.learners)} learners in {e(_shown(self.folder))}</b> (from the "
                f"saved notebooks; nothing was run)</p><table><tr>{th}</tr>{tr}</table>"
                f"<p>{e(self._KEY)}</p>{problems}</div>")


def read_class(folder: Path | str, *, reference: Path | str | None = None) -> ClassProgress:
    """Each non-hidden subfolder of ``folder`` is a learner; their ``NN_name.ipynb`` may sit at any depth."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder}")
    subfolders = [p for p in sorted(folder.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    stems = {stem for sub in subfolders for stem in _lesson_files(sub, recursive=True)}
    course = course_items(reference, stems)
    learners, problems = {}, []
    for sub in subfolders:
        learner = read_learner(sub, recursive=True, name=sub.name, course=course, report_base=folder)
        learners[sub.name] = learner
        problems += learner.problems
    return ClassProgress(folder, learners, problems)


def progress(folder: Path | str | None = None, *, reference: Path | str | None = None):
    """The progress table of ``folder`` (default: the current folder, your ``workspace/`` in the lab).

    A folder that holds lesson notebooks (``NN_name.ipynb``) is one learner: a :class:`LearnerProgress`
    with every exercise and prediction. A folder whose subfolders hold them is a class: a
    :class:`ClassProgress`, one row per learner. Reads only: nothing is run or written.
    """
    folder = Path.cwd() if folder is None else Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder}")
    if _lesson_files(folder, recursive=False):
        return read_learner(folder, reference=reference)
    if any(p.is_dir() and not p.name.startswith(".") and _lesson_files(p, recursive=True)
           for p in folder.iterdir()):
        return read_class(folder, reference=reference)
    return read_learner(folder, reference=reference)
