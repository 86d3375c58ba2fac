"""The field guide: entries read from its notebooks, checked, indexed, found by error text, linked from lessons."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from gradflow import guide as learner_guide
from gradflow_course import guide, metadata

ROOT = Path(__file__).resolve().parents[1]
COURSE = metadata.load(ROOT / "course.toml")
ENTRIES, PROBLEMS = guide.read_entries(ROOT)

ENTRY = """## 03.01 · Backward fails after an in-place edit
**Symptom:** backward raises after a tensor it saved was changed in place

**Error:** `one of the variables needed for gradient computation has been modified by an inplace operation`

**Seen in:** https://discuss.pytorch.org/t/example/1

**Lesson:** [04 · .data versus detach](../lessons/04_data_vs_detach.ipynb)"""


def _family(folder: Path, entry: str = ENTRY, cause: str = "**Cause.** saved.\n\n**Fix.** clone.",
            repro: str = "assert True") -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = guide.KERNELSPEC
    nb.cells = [new_markdown_cell("# Field guide · In-place edits and views", id="g03-000"),
                new_code_cell("from gradflow import setup\n\nsetup()", id="g03-001"),
                new_markdown_cell(entry, id="g03-01a"), new_code_cell(repro, id="g03-01b"),
                new_markdown_cell(cause, id="g03-01c"), new_code_cell("assert 1 + 1 == 2", id="g03-01d")]
    (folder / "guide").mkdir(parents=True, exist_ok=True)
    path = folder / "guide" / "03_inplace_and_views.ipynb"
    nbformat.write(nb, path)
    return path


def test_an_entry_is_read_with_each_field(tmp_path):
    _family(tmp_path)
    entries, problems = guide.read_entries(tmp_path)
    assert problems == []
    (entry,) = entries
    assert (entry.id, entry.title, entry.lesson, entry.url) == (
        "03.01", "Backward fails after an in-place edit", "04_data_vs_detach", "https://discuss.pytorch.org/t/example/1")
    assert entry.error.startswith("one of the variables needed") and entry.family == "In-place edits and views"


@pytest.mark.parametrize("change, problem", [
    (lambda e: e.replace("**Seen in:** https://discuss.pytorch.org/t/example/1\n", ""), "no '**Seen in:**' line"),
    (lambda e: e.replace("https://discuss.pytorch.org/t/example/1", "a blog I read"), "not a public thread URL"),
    (lambda e: e.replace("../lessons/04_data_vs_detach.ipynb", "04.ipynb"), "no '**Lesson:**' line"),
    (lambda e: e.replace("## 03.01", "## 05.01"), "entry 05.01 in the notebook numbered 03"),
])
def test_a_malformed_entry_is_named(tmp_path, change, problem):
    _family(tmp_path, entry=change(ENTRY))
    _, problems = guide.read_entries(tmp_path)
    assert any(problem in p for p in problems), problems


def test_a_reproduction_must_assert_and_the_cause_cell_must_say_cause_and_fix(tmp_path):
    _family(tmp_path, repro="print('it broke')", cause="It is saved.")
    _, problems = guide.read_entries(tmp_path)
    assert any("g03-01b: asserts nothing" in p for p in problems)
    assert any("g03-01c: needs '**Cause.**' and '**Fix.**'" in p for p in problems)


def test_the_index_lists_each_entry_by_error_and_lesson_and_the_lesson_gets_its_wild_cell(tmp_path):
    _family(tmp_path)
    entries, _ = guide.read_entries(tmp_path)
    index = guide.index_notebook(entries, COURSE)
    text = "\n".join(c.source for c in index.cells)
    assert "`one of the variables needed for gradient computation has been modified by an inplace operation`" in text
    assert "[03.01 · Backward fails after an in-place edit](03_inplace_and_views.ipynb)" in text
    lesson = COURSE.lesson("04")
    nb = new_notebook(cells=[new_markdown_cell("## Further reading")])
    assert guide.with_wild_cell(nb, lesson, entries) and nb.cells[-1].id == "04-wild"
    assert "[03.01 · Backward fails after an in-place edit](../guide/03_inplace_and_views.ipynb)" in nb.cells[-1].source
    assert not guide.with_wild_cell(nb, lesson, entries), "a second run changes nothing"
    assert not guide.with_wild_cell(nb, COURSE.lesson("00"), entries), "a lesson no entry names gets no cell"


def test_find_takes_a_pasted_message_with_other_numbers_and_words_in_any_order(monkeypatch, tmp_path):
    _family(tmp_path)
    entries, _ = guide.read_entries(tmp_path)
    data = [dict(e.__dict__) for e in entries]
    monkeypatch.setattr(learner_guide, "entries", lambda: data)
    pasted = ("RuntimeError: one of the variables needed for gradient computation has been modified by an inplace "
              "operation: [torch.FloatTensor [3]], which is output 0 of ExpBackward0, is at version 1; expected 0")
    assert [m.entry["id"] for m in learner_guide.find(pasted)] == ["03.01"]
    assert [m.entry["id"] for m in learner_guide.find("in-place edit backward fails")] == ["03.01"]
    assert list(learner_guide.find("my loss is a banana")) == [] and "no entry" in repr(learner_guide.find("banana"))
    assert list(learner_guide.find("")) == []


def test_the_guide_follows_the_format():
    assert not PROBLEMS, "\n".join(PROBLEMS)


def test_the_index_the_search_data_and_the_wild_cells_are_current():
    stale = guide.stale_files(ROOT, COURSE)
    assert not stale, f"{', '.join(str(p.relative_to(ROOT)) for p in stale)} differ from the guide: run `make lessons`"


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.error], ids=lambda e: e.id)
def test_each_entry_is_found_by_its_own_error_message(entry):
    # entries that share a message (several causes of one error) are all shown: each is among the matches
    found = learner_guide.find(f"RuntimeError: {entry.error}")
    assert entry.id in [m.entry["id"] for m in found], [m.line() for m in found]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_each_entry_names_a_lesson_of_the_course(entry):
    assert entry.lesson in COURSE.names()


def test_the_search_data_ships_with_the_package():
    package_data = json.dumps(__import__("tomllib").loads((ROOT / "pyproject.toml").read_text()))
    assert "guide_index.json" in package_data
