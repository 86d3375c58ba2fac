"""The field guide (``guide/NN_family.ipynb``): its entries read, checked and indexed.

Each family notebook holds entries of four cells, ``gNN-KKa`` to ``gNN-KKd`` (CONTRIBUTING.md, "The
field guide"): the heading ``## NN.KK · title`` with the lines ``**Symptom:**``, ``**Error:**`` (when
there is a message), ``**Seen in:**`` (a public thread) and ``**Lesson:**`` (a link to the lesson that
explains the mechanism); a reproduction that asserts the symptom; ``**Cause.**`` and ``**Fix.**``; the
fix, asserted. ``make lessons`` calls :func:`write_index`, which writes from the notebooks:

* ``guide/00_index.ipynb``: every entry by family, by error message and by symptom, with links;
* ``utils/gradflow/guide_index.json``: the same entries for ``gradflow.guide.find("error text")``, the
  search a learner runs in a kernel (the learner library reads only this file);
* the "In the wild" cell at the end of each lesson's solution, listing the entries that name it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

import gradflow_course.metadata as metadata
from .floats import EXACT_FILE, bitwise_comparisons, exact_cells
from .nbtext import render

NOTEBOOK = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
INDEX_NAME = "00_index.ipynb"
HEADING = re.compile(r"^## (\d\d)\.(\d\d) · (.+)$", re.M)
FIELD = {name: re.compile(rf"^\*\*{name}:\*\*\s*(.+?)\s*$", re.M) for name in ("Symptom", "Error", "Seen in", "Lesson")}
LESSON_LINK = re.compile(r"\]\(\.\./lessons/(\d\d_[a-z0-9_]+)\.ipynb\)")
PUBLIC = re.compile(r"^<?(https://(github\.com|discuss\.pytorch\.org|stackoverflow\.com|forums\.fast\.ai|"
                    r"[a-z0-9.-]+\.stackexchange\.com)/\S+?)>?$")
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
WILD_HEADING = "## In the wild"


@dataclass(frozen=True)
class Entry:
    id: str            # "03.02"
    title: str
    symptom: str
    error: str         # the exact first line of the message, "" when the symptom is a behaviour
    url: str
    lesson: str        # the lesson notebook's stem
    family: str        # the family's title
    notebook: str      # the family notebook's file name
    cell: str          # the heading cell's id (an anchor for links)


def notebooks(root: Path) -> list[Path]:
    return [p for p in sorted((root / "guide").glob("*.ipynb")) if NOTEBOOK.match(p.name) and p.name != INDEX_NAME]


def family_title(nb) -> str:
    first = nb.cells[0].source.splitlines()[0] if nb.cells else ""
    return first.removeprefix("# Field guide · ").strip()


def _field(name: str, text: str) -> str:
    match = FIELD[name].search(text)
    return match.group(1).strip() if match else ""


def read_entries(root: Path) -> tuple[list[Entry], list[str]]:
    """Every entry of every family notebook, and every way one breaks the format (where: what)."""
    entries, problems = [], []
    for path in notebooks(root):
        nb = nbformat.read(path, as_version=4)
        number = path.name[:2]
        family = family_title(nb)
        if not nb.cells or not nb.cells[0].source.startswith("# Field guide · "):
            problems.append(f"guide/{path.name}: the first cell opens with '# Field guide · <family title>'")
        cells = {c.get("id"): c for c in nb.cells}
        for cell in nb.cells:
            heading = HEADING.search(cell.source) if cell.cell_type == "markdown" else None
            if heading is None:
                continue
            where = f"guide/{path.name}, cell {cell.get('id')}"
            fam, k, title = heading.groups()
            entry_id = f"{fam}.{k}"
            if fam != number or cell.get("id") != f"g{fam}-{k}a":
                problems.append(f"{where}: entry {entry_id} in the notebook numbered {number} must be cell g{number}-{k}a")
            error = _field("Error", cell.source).strip("`")
            lesson = LESSON_LINK.search(_field("Lesson", cell.source))
            url = _field("Seen in", cell.source)
            public = PUBLIC.match(url)
            entry = Entry(entry_id, title.strip(), _field("Symptom", cell.source), error,
                          public.group(1) if public else url, lesson.group(1) if lesson else "", family, path.name,
                          cell.get("id"))
            for name, value in (("Symptom", entry.symptom), ("Seen in", url), ("Lesson", entry.lesson)):
                if not value:
                    problems.append(f"{where}: no '**{name}:**' line" + (" linking ../lessons/NN_name.ipynb"
                                                                         if name == "Lesson" else ""))
            if url and not public:
                problems.append(f"{where}: '**Seen in:**' is not a public thread URL (GitHub, PyTorch forums, "
                                f"Stack Overflow): {url}")
            for suffix, kind in (("b", "code"), ("c", "markdown"), ("d", "code")):
                other = cells.get(f"g{fam}-{k}{suffix}")
                if other is None or other.cell_type != kind:
                    problems.append(f"{where}: entry {entry_id} needs a {kind} cell g{fam}-{k}{suffix}")
                elif kind == "code" and not re.search(r"\bassert", other.source):
                    problems.append(f"guide/{path.name}, cell {other.get('id')}: asserts nothing (the reproduction "
                                    "asserts the symptom, the fix asserts it is gone)")
                elif kind == "markdown" and not ("**Cause.**" in other.source and "**Fix.**" in other.source):
                    problems.append(f"guide/{path.name}, cell {other.get('id')}: needs '**Cause.**' and '**Fix.**'")
            entries.append(entry)
        problems += _float_problems(path, nb, root)
    ids = [e.id for e in entries]
    problems += [f"guide: entry id {i} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    return entries, problems


def _float_problems(path: Path, nb, root: Path) -> list[str]:
    """Bitwise float comparisons not listed as exact by construction (the lessons' float-equality rule)."""
    listed, out = exact_cells(root), []
    for cell in nb.cells:
        hits = bitwise_comparisons(cell.source) if cell.cell_type == "code" else []
        entry = listed.get(cell.get("id"))
        if hits and (entry is None or entry[0] != len(hits)):
            out.append(f"guide/{path.name}, cell {cell.get('id')}: {len(hits)} bitwise float comparison(s) "
                       f"({'; '.join(hits)}): use torch.testing.assert_close, or list the cell in {EXACT_FILE} with "
                       "the reason it is exact by construction")
    return out


def _md_cell(source: str, cell_id: str):
    return nbformat.v4.new_markdown_cell(source, id=cell_id)


def _cell_text(text: str) -> str:
    """Text that stays in one markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _link(entry: Entry, prefix: str = "") -> str:
    # to the family's notebook, not to the heading: JupyterLab and nbconvert make different anchors of a heading
    # with "·" or code in it; the entry's number leads its heading, and JupyterLab's table of contents lists them
    return f"[{entry.id} · {entry.title}]({prefix}{entry.notebook})"


def index_notebook(entries: list[Entry], course: metadata.Course) -> nbformat.NotebookNode:
    """The guide's front page: how to search, then every entry by family, by error message, by symptom."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = nbformat.NotebookNode(kernelspec=KERNELSPEC, language_info={"name": "python"})
    families = sorted({(e.notebook, e.family) for e in entries})
    intro = ("# Field guide · index\n\nThe bugs people meet in the wild, each reproduced, explained and fixed "
             f"on the course's PyTorch: {len(entries)} entries in {len(families)} families. Paste an error "
             "message into a kernel to find its entry:\n\n```python\nfrom gradflow.guide import find\n"
             "find(\"one of the variables needed for gradient computation has been modified\")\n```\n\n"
             "or look it up below, by family, by error message or by symptom.")
    cells = [_md_cell(intro, "gi-000")]
    by_family = ["## By family"]
    for notebook, family in families:
        by_family.append(f"\n### [{family}]({notebook})\n")
        by_family += [f"- {_link(e)}: {e.symptom}" for e in entries if e.notebook == notebook]
    cells.append(_md_cell("\n".join(by_family), "gi-001"))
    errors = sorted((e for e in entries if e.error), key=lambda e: e.error.lower())
    table = ["## By error message", "", "| error message | entry |", "|---|---|"]
    table += [f"| `{_cell_text(e.error)}` | {_link(e)} |" for e in errors]
    cells.append(_md_cell("\n".join(table), "gi-002"))
    symptoms = sorted((e for e in entries if not e.error), key=lambda e: e.title.lower())
    table = ["## By symptom (no error message)", "", "| what you see | entry |", "|---|---|"]
    table += [f"| {_cell_text(e.symptom)} | {_link(e)} |" for e in symptoms]
    cells.append(_md_cell("\n".join(table), "gi-003"))
    by_lesson = ["## By lesson"]
    for lesson in course.lessons:
        mine = [e for e in entries if e.lesson == lesson.name]
        if mine:
            by_lesson.append(f"\n**[{lesson.number} · {lesson.title}](../lessons/{lesson.name}.ipynb)**: "
                             + "; ".join(_link(e) for e in mine))
    cells.append(_md_cell("\n".join(by_lesson), "gi-004"))
    nb.cells = cells
    return nb


def wild_cell_text(lesson: metadata.Lesson, entries: list[Entry]) -> str:
    mine = [e for e in entries if e.lesson == lesson.name]
    lines = [WILD_HEADING, "", "The field guide's entries whose mechanism this lesson explains: bugs people met in "
             "real code, each reproduced and fixed."]
    lines += [f"- {_link(e, '../guide/')}" for e in mine]
    return "\n".join(lines)


def with_wild_cell(nb, lesson: metadata.Lesson, entries: list[Entry]) -> bool:
    """Put the lesson's "In the wild" cell at its end (after Further reading); True when the notebook changed."""
    if not any(e.lesson == lesson.name for e in entries):
        return False
    cell_id = f"{lesson.number}-wild"
    text = wild_cell_text(lesson, entries)
    found = next((c for c in nb.cells if c.get("id") == cell_id), None)
    if found is not None:
        if found.source == text:
            return False
        found.source = text
        return True
    nb.cells.append(_md_cell(text, cell_id))
    return True


_FIELD_AFTER_TEXT = re.compile(r"(?<=[^\n])\n(?=\*\*(?:Symptom|Error|Seen in|Lesson|Fix)[:.]\*\*)")


def spaced(source: str) -> str:
    """An entry's field lines each as a paragraph of their own (a single newline would join them in one line)."""
    return _FIELD_AFTER_TEXT.sub("\n\n", source)


def expected_files(root: Path, course: metadata.Course) -> dict[Path, str]:
    """Every file the guide's index writes, as it should read now ({} when the course has no guide)."""
    if not notebooks(root):
        return {}
    out = {}
    for path in notebooks(root):  # the entry cells' lines spaced as paragraphs (markdown cells only)
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = spaced(cell.source)
        if render(nb) != path.read_text(encoding="utf-8"):
            out[path] = render(nb)
    entries, _ = read_entries(root)
    out |= {root / "guide" / INDEX_NAME: render(index_notebook(entries, course)),
           root / "utils" / "gradflow" / "guide_index.json": json.dumps(
               [asdict(e) for e in entries], indent=1, ensure_ascii=False) + "\n"}
    for lesson in course.lessons:
        path = root / "solutions" / f"{lesson.name}.ipynb"
        if path.exists():
            nb = nbformat.read(path, as_version=4)
            if with_wild_cell(nb, lesson, entries):
                out[path] = render(nb)
    return out


def stale_files(root: Path, course: metadata.Course) -> list[Path]:
    return [p for p, text in expected_files(root, course).items()
            if not p.exists() or p.read_text(encoding="utf-8") != text]


def write_index(root: Path, course: metadata.Course) -> list[Path]:
    """Write what differs (the index notebook, the search data, the lessons' "In the wild" cells)."""
    written = []
    for path, text in expected_files(root, course).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
