"""The progress view: states read from saved notebooks built from the real lessons and solutions.

Every notebook here is a copy of ``lessons/`` (never run) or ``solutions/`` (executed, outputs kept)
with a small edit; the checker lines that a test writes in are printed by the real checkers, so the
tests follow the course's output format.
"""

from __future__ import annotations

import contextlib
import copy
import html
import io
import json
import shutil
from pathlib import Path

import pytest

from gradflow.checking import exercises_of
from gradflow_course import cli
from gradflow.progress import (NOT_ATTEMPTED, NOT_RUN, PASSED, WRONG, ClassProgress, LearnerProgress,
                               course_items, progress)

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS, LESSONS = ROOT / "solutions", ROOT / "lessons"
STEMS = sorted(p.stem for p in LESSONS.glob("*.ipynb"))
REVEAL = "✔ 00.p1 out after the forward pass: right: 91.5, because mean(75, 108) = 91.5"


def ids(stem: str) -> list[str]:
    """Every item of a lesson, predictions and exercises, in the order the solution shows them."""
    return [item.id for item in course_items(SOLUTIONS)[stem]]


def ex_id(stem: str, number: int) -> str:
    return f"{stem[:2]}.{number}"


def load(folder: Path, stem: str) -> dict:
    return json.loads((folder / f"{stem}.ipynb").read_text(encoding="utf-8"))


def save(notebook: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
    return path


def cell(notebook: dict, cell_id: str) -> dict:
    return next(c for c in notebook["cells"] if c.get("id") == cell_id)


def checker_cell(notebook: dict, stem: str, number: int) -> dict:
    """The cell that calls exercise ``number``'s checker (found by the checker's name, not by position)."""
    name = exercises_of(stem)[number - 1].check.__name__
    return next(c for c in notebook["cells"] if c["cell_type"] == "code" and f"{name}(" in "".join(c["source"]))


def printed(stem: str, number: int, *answers) -> str:
    """What the real checker prints for these answers."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exercises_of(stem)[number - 1].check(*answers)
    return out.getvalue()


def set_output(c: dict, text: str, count: int | None) -> None:
    c["outputs"] = [{"name": "stdout", "output_type": "stream", "text": text}]
    c["execution_count"] = count


def snapshot(folder: Path) -> dict:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def learner(tmp_path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    return folder


def test_untouched_lessons_are_all_not_attempted(learner):
    for stem in STEMS:
        shutil.copy(LESSONS / f"{stem}.ipynb", learner)
    before = snapshot(learner)
    result = progress(learner)
    assert isinstance(result, LearnerProgress)
    assert [lesson.stem for lesson in result.lessons] == STEMS
    for stem in STEMS:
        assert [i.id for i in result.lesson(stem).items] == ids(stem)
    assert {i.state for i in result.items} == {NOT_ATTEMPTED}
    assert result.totals()["total"] == sum(len(ids(s)) for s in STEMS) and result.problems == []
    assert snapshot(learner) == before


def test_solved_notebooks_all_pass(learner):
    for stem in STEMS:
        shutil.copy(SOLUTIONS / f"{stem}.ipynb", learner)
    result = progress(learner, reference=SOLUTIONS)
    assert {i.state for i in result.items} == {PASSED}
    assert result.totals()[PASSED] == result.totals()["total"] == sum(len(ids(s)) for s in STEMS)


def test_a_wrong_answer_shows_the_checkers_words_and_hint(learner):
    stem = STEMS[0]
    nb = load(SOLUTIONS, stem)
    line = printed(stem, 2, None)  # what the real checker says to a None answer
    assert line.startswith("✘ ")
    c = checker_cell(nb, stem, 2)
    set_output(c, line, c["execution_count"])
    save(nb, learner / f"{stem}.ipynb")
    result = progress(learner)
    item = result.item(f"{stem[:2]}.2")
    assert item.state == WRONG and item.cell == c["id"]
    assert item.note and item.note in line
    if "    hint: " in line:
        assert item.hint and item.hint in line
    assert [i.state for i in result.lesson(stem).items].count(PASSED) == len(ids(stem)) - 1
    bundle = result._repr_mimebundle_()
    assert item.note in " ".join(bundle["text/plain"].split())
    assert html.escape(item.note) in bundle["text/html"] and "<table>" in bundle["text/html"]


def test_not_attempted_line_then_answer_typed_but_not_run(learner):
    stem = STEMS[0]
    nb = load(LESSONS, stem)
    c = checker_cell(nb, stem, 1)
    set_output(c, printed(stem, 1, ...), 7)
    save(nb, learner / f"{stem}.ipynb")
    assert progress(learner).item(ex_id(stem, 1)).state == NOT_ATTEMPTED
    c["source"] = cell(load(SOLUTIONS, stem), c["id"])["source"]  # the answer, typed in, not run again
    save(nb, learner / f"{stem}.ipynb")
    assert progress(learner).item(ex_id(stem, 1)).state == NOT_RUN


def test_half_run_notebook(learner):
    """Run from the top until the first exercise, as a learner who stopped halfway."""
    stem = STEMS[1]
    nb = load(SOLUTIONS, stem)
    first = checker_cell(nb, stem, 1)
    cut = nb["cells"].index(first)
    for c in nb["cells"][cut + 1:]:
        if c["cell_type"] == "code":
            c["outputs"], c["execution_count"] = [], None
    save(nb, learner / f"{stem}.ipynb")
    items = [i for i in progress(learner).lesson(stem).items if i.kind == "exercise"]  # predictions come and go
    assert items[0].state == PASSED
    # the later answers are written (solution code, no stub) but their cells never ran
    assert {i.state for i in items[1:]} == {NOT_RUN}
    lesson = load(LESSONS, stem)
    for c in lesson["cells"][:cut]:  # the lesson run down to the exercises: still all not attempted
        if c["cell_type"] == "code":
            c["execution_count"] = lesson["cells"].index(c) + 1
    save(lesson, learner / f"{stem}.ipynb")
    assert {i.state for i in progress(learner).lesson(stem).items} == {NOT_ATTEMPTED}


@pytest.mark.parametrize("later", [True, False])
def test_answer_cell_run_after_its_check(learner, later):
    """A learner split the answer off the checker cell and re-ran the answer after the check."""
    stem = STEMS[0]
    nb = load(SOLUTIONS, stem)
    check = checker_cell(nb, stem, 3)
    answer = {"cell_type": "code", "id": "answer", "metadata": {}, "outputs": [],
              "execution_count": check["execution_count"] + (5 if later else -1), "source": "lr = 0.1\n"}
    nb["cells"].insert(nb["cells"].index(check), answer)
    save(nb, learner / f"{stem}.ipynb")
    item = progress(learner).item(ex_id(stem, 3))
    assert item.state == (NOT_RUN if later else PASSED)


def test_checker_cell_that_stopped_on_an_error(learner):
    stem = STEMS[0]
    nb = load(LESSONS, stem)
    c = checker_cell(nb, stem, 2)
    c["execution_count"] = 3
    c["outputs"] = [{"output_type": "error", "ename": "NameError", "evalue": "name 'ex' is not defined",
                     "traceback": []}]
    save(nb, learner / f"{stem}.ipynb")
    item = progress(learner).item(ex_id(stem, 2))
    assert item.state == NOT_RUN and "NameError" in item.note


def test_notebook_edited_beyond_recognition(learner):
    stem = STEMS[2]
    nb = load(SOLUTIONS, stem)
    first, second, third = (checker_cell(nb, stem, k) for k in (1, 2, 3))
    name = exercises_of(stem)[0].check.__name__
    first["source"] = "".join(first["source"]).replace(f"ex.{name}(", "print(")  # checker call removed
    nb["cells"].remove(third)                                                    # a whole exercise deleted
    nb["cells"].remove(second)                                                   # one moved to the end
    nb["cells"].append(second)
    nb["cells"].insert(0, "not a cell")
    nb["cells"].append({"cell_type": "code", "source": ["x = 1\n"]})             # no outputs, no count
    nb["cells"].append({"cell_type": "code", "outputs": "garbage", "execution_count": "seven", "source": 3})
    save(nb, learner / f"{stem}.ipynb")
    result = progress(learner)
    states = {i.id: i.state for i in result.lesson(stem).items}
    assert states == {ex_id(stem, 1): NOT_RUN, ex_id(stem, 2): PASSED, ex_id(stem, 3): NOT_RUN,
                      **{i: PASSED for i in ids(stem) if i not in {ex_id(stem, k) for k in (1, 2, 3)}}}
    assert "no cell calls" in result.item(ex_id(stem, 3)).note
    assert result.problems == []


def test_unreadable_notebooks_get_one_line_each_and_the_rest_is_read(learner):
    good = shutil.copy(SOLUTIONS / f"{STEMS[0]}.ipynb", learner)
    raw = (SOLUTIONS / f"{STEMS[1]}.ipynb").read_bytes()
    (learner / f"{STEMS[1]}.ipynb").write_bytes(raw[: len(raw) // 2])             # cut short
    (learner / f"{STEMS[2]}.ipynb").write_bytes(b"")                              # empty
    (learner / f"{STEMS[3]}.ipynb").write_bytes(bytes(range(256)))                # binary
    (learner / f"{STEMS[4]}.ipynb").write_text("[1, 2, 3]")                       # JSON, not a notebook
    (learner / f"{STEMS[5]}.ipynb").write_text('{"metadata": {}, "nbformat": 4}')  # no cells
    before = snapshot(learner)
    result = progress(learner)
    bad = STEMS[1:6]
    assert len(result.problems) == len(bad)
    for stem, line in zip(bad, result.problems):
        assert "\n" not in line and f"{stem}.ipynb" in line
        assert not result.lesson(stem).readable and result.lesson(stem).items == []
    assert {i.state for i in result.lesson(STEMS[0]).items} == {PASSED}
    totals = result.totals()  # the unread notebooks' items are counted as such, not as not attempted
    assert totals["not read"] == sum(len(ids(s)) for s in bad)
    assert totals["total"] == sum(len(ids(s)) for s in STEMS) == totals["not read"] + len(result.items)
    assert result.lesson(STEMS[6]).problem == "no notebook"
    assert Path(good).name in {p.name for p in learner.iterdir()} and snapshot(learner) == before


def test_predictions_are_read_like_exercises(learner, tmp_path):
    """Reveal lines (NN.pK) in their documented format; the course's reference lists them."""
    stem = STEMS[0]
    reference = tmp_path / "reference"
    nb = load(SOLUTIONS, stem)
    cells = [{"cell_type": "markdown", "id": "p-prompt", "metadata": {}, "source": "**Predict** the value of out"},
             {"cell_type": "code", "id": "p-guess", "metadata": {}, "outputs": [], "execution_count": 50,
              "source": "my_out = 91.5\n"},
             {"cell_type": "code", "id": "p-reveal", "metadata": {}, "execution_count": 51,
              "outputs": [], "source": "# run to reveal\n"}]
    set_output(cells[2], REVEAL + "\n", 51)
    nb["cells"][4:4] = copy.deepcopy(cells)
    save(nb, reference / f"{stem}.ipynb")
    assert [e.id for e in course_items(reference)[stem]][0] == "00.p1"

    shutil.copy(LESSONS / f"{stem}.ipynb", learner)  # untouched: the prediction is listed, not attempted
    item = progress(learner, reference=reference).item("00.p1")
    assert (item.kind, item.state, item.title) == ("prediction", NOT_ATTEMPTED, "out after the forward pass")

    def state(guess_count: int, line: str, guess: str = "my_out = 91.5\n"):
        lesson = load(LESSONS, stem)
        these = copy.deepcopy(cells)
        these[1]["execution_count"], these[1]["source"] = guess_count, guess
        set_output(these[2], line + "\n", 51)
        lesson["cells"][4:4] = these
        save(lesson, learner / f"{stem}.ipynb")
        return progress(learner, reference=reference).item("00.p1")

    assert state(50, REVEAL).state == PASSED
    wrong = state(50, "✘ 00.p1 out after the forward pass: not quite: you said 90, it is 91.5, because x")
    assert wrong.state == WRONG and "you said 90" in wrong.note
    open_line = "… 00.p1 out after the forward pass: no prediction yet: it is 91.5, because x"
    assert state(50, open_line, "my_out = ...\n").state == NOT_ATTEMPTED
    assert state(50, open_line).state == NOT_RUN      # a guess written after the reveal ran
    assert state(52, REVEAL).state == NOT_RUN         # the guess changed and re-ran after the reveal


def test_a_class_folder_one_row_per_learner(tmp_path):
    room = tmp_path / "collected"
    alice, bob = room / "alice", room / "bob" / "workspace"  # a learner's notebooks may sit deeper down
    alice.mkdir(parents=True)
    bob.mkdir(parents=True)
    for stem in STEMS:
        shutil.copy(SOLUTIONS / f"{stem}.ipynb", alice)
        shutil.copy(LESSONS / f"{stem}.ipynb", bob)
    shutil.copy(SOLUTIONS / f"{STEMS[0]}.ipynb", bob)
    nb = load(SOLUTIONS, STEMS[1])
    c = checker_cell(nb, STEMS[1], 1)
    set_output(c, printed(STEMS[1], 1, None), c["execution_count"])
    save(nb, bob / f"{STEMS[1]}.ipynb")
    carol = room / "carol"
    save(load(SOLUTIONS, STEMS[0]), carol / f"{STEMS[0]}.ipynb")
    (carol / f"{STEMS[2]}.ipynb").write_text('{"cells": [')                           # cut short
    save(load(SOLUTIONS, STEMS[3]), carol / ".ipynb_checkpoints" / f"{STEMS[3]}-checkpoint.ipynb")
    save(load(SOLUTIONS, STEMS[3]), carol / f"mine-1 · {STEMS[3]}.ipynb")            # a reset's backup
    save(load(SOLUTIONS, STEMS[3]), carol / f"{STEMS[3]}.mine-2.ipynb")              # one named as resets once did
    (room / "dave").mkdir()
    before = snapshot(room)

    result = progress(room)
    assert isinstance(result, ClassProgress) and sorted(result.learners) == ["alice", "bob", "carol", "dave"]
    n = {stem: len(ids(stem)) for stem in STEMS}
    assert [result.passed("alice", s) for s in STEMS] == [n[s] for s in STEMS]
    assert [result.passed("bob", s) for s in STEMS[:3]] == [n[STEMS[0]], n[STEMS[1]] - 1, 0]
    assert result.passed("carol", STEMS[0]) == n[STEMS[0]] and result.passed("carol", STEMS[2]) is None
    assert result.passed("carol", STEMS[3]) == 0 and result.learners["carol"].lesson(STEMS[3]).path is None
    assert result.learners["bob"].totals()[WRONG] == 1
    assert len(result.problems) == 2  # carol's unreadable file, and dave's empty folder
    assert any(f"carol/{STEMS[2]}.ipynb" in p for p in result.problems)
    text = result.text()
    rows = {line.split()[0]: line.split() for line in text.splitlines()[3:7]}
    assert rows["alice"][1:1 + len(STEMS)] == [f"{n[s]}/{n[s]}" for s in STEMS]
    assert rows["carol"][1 + 2] == "?" and rows["dave"][1] == "-"
    assert "<table>" in result._repr_mimebundle_()["text/html"]
    assert snapshot(room) == before


def test_command_prints_the_table_and_exits_0(learner, capsys):
    shutil.copy(SOLUTIONS / f"{STEMS[0]}.ipynb", learner)
    (learner / f"{STEMS[1]}.ipynb").write_text("{")
    assert cli.main(["progress", str(learner)]) == 0
    out = capsys.readouterr().out
    assert f"✔ {ids(STEMS[0])[0]} " in out and f"cannot read {STEMS[1]}.ipynb" in out


def test_default_folder_is_the_current_one(learner, monkeypatch):
    """In the lab a notebook's kernel starts in workspace/: progress() reads that folder."""
    shutil.copy(SOLUTIONS / f"{STEMS[0]}.ipynb", learner)
    monkeypatch.chdir(learner)
    result = progress()
    assert result.lesson(STEMS[0]).count(PASSED) == len(ids(STEMS[0]))
    assert result.text().startswith("Progress in workspace/ ")
    assert str(learner.parent) not in result.text() + result.html()  # no machine's path in the table


def test_command_on_a_missing_folder_says_so_in_one_line(tmp_path, capsys):
    assert cli.main(["progress", str(tmp_path / "nowhere")]) != 0
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1 and "nowhere" in captured.err
    with pytest.raises(FileNotFoundError):
        progress(tmp_path / "nowhere")


# --- issue 22: a renamed notebook, a reveal that raised, a summary view


def test_a_renamed_lesson_is_read_not_shown_as_missing(learner):
    stem = STEMS[1]
    shutil.copy(SOLUTIONS / f"{stem}.ipynb", learner / f"{stem}-Copy1.ipynb")  # JupyterLab's Duplicate, or a rename
    shutil.copy(LESSONS / f"{stem}.ipynb", learner / f"mine-1 · {stem}.ipynb")  # a reset's backup is never read
    shutil.copy(LESSONS / f"{stem}.ipynb", learner / f"{stem}.mine-2.ipynb")  # nor one named as resets once did
    result = progress(learner)
    lesson = result.lesson(stem)
    assert lesson.problem is None and lesson.path.name == f"{stem}-Copy1.ipynb"
    assert {i.state for i in lesson.items} == {PASSED}
    assert f"read from {stem}-Copy1.ipynb" in result.text()


def _reveal_cell(stem: str, item_id: str) -> str:
    from gradflow.progress import _lines_of

    return next(c["id"] for c in load(SOLUTIONS, stem)["cells"] if any(l.id == item_id for l in _lines_of(c)))


def test_a_reveal_that_raised_is_not_run_not_unattempted(learner):
    stem = STEMS[0]
    prediction = next(i for i in ids(stem) if ".p" in i)
    nb = load(LESSONS, stem)
    reveal = cell(nb, _reveal_cell(stem, prediction))
    reveal["execution_count"] = 7
    reveal["outputs"] = [{"output_type": "error", "ename": "AttributeError", "evalue": "'ellipsis' object has no "
                          "attribute 'item'", "traceback": []}]
    save(nb, learner / f"{stem}.ipynb")
    item = progress(learner).item(prediction)
    assert item.state == NOT_RUN and "AttributeError" in item.note, item


def test_a_summary_has_one_line_per_lesson(learner, capsys):
    for stem in STEMS:
        shutil.copy(LESSONS / f"{stem}.ipynb", learner)
    shutil.copy(SOLUTIONS / f"{STEMS[0]}.ipynb", learner)
    assert cli.main(["progress", "--summary", str(learner)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) <= len(STEMS) + 5, out
    first = next(line for line in out if line.startswith(STEMS[0]))
    assert f"{len(ids(STEMS[0]))} of {len(ids(STEMS[0]))} passed" in first
    assert cli.main(["progress", str(learner)]) == 0
    assert "make progress SUMMARY=1" in capsys.readouterr().out, "the long table names the short one"
