"""Course-wide pytest hooks: the stub/answer proof (CONTRIBUTING.md), inside the nbval run.

While nbval executes a notebook cell by cell, this hook reads each cell's fresh output for checker
lines (``✔ 01.2 ...``, ``… 01.2 ...``, ``✘ 01.2 ...``):

* in ``lessons/`` every checker must say "not attempted yet" (the stub must not pass);
* in ``solutions/`` every checker must say "passed" (the answer must);
* after a notebook's last cell, every exercise ``course.toml`` lists for that lesson must have reported.

So each notebook is executed once and both ends of every exercise are proven.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: the state every checker line must show, by folder (gradflow.status_line's states; imported only when a
#: notebook runs, so a pytest run of unit tests alone does not pay for importing torch here)
EXPECTED = {"lessons": "open", "solutions": "passed"}


def pytest_configure(config):
    # Each xdist worker runs torch on one thread: with one worker per core, torch's default of one thread per
    # core makes every tiny op wait at a barrier for a thread the other worker's core is busy with (a checker
    # test took 2.9 s instead of 0.04 s). Notebook kernels keep torch's default, as on a learner's machine.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        torch.set_num_threads(1)


def _output_text(outputs) -> str:
    parts = []
    for out in outputs or []:
        if "text" in out:
            parts.append(out["text"])
        data = out.get("data", {})
        if "text/plain" in data:
            parts.append(data["text/plain"])
    return "".join(parts)


def _course(session):
    from gradflow_course import metadata

    if not hasattr(session, "_gradflow_course"):
        session._gradflow_course = metadata.load(Path(__file__).resolve().parent / metadata.paths.MARKER)
    return session._gradflow_course


def _last_cell(item) -> bool:
    cache = item.session.__dict__.setdefault("_gradflow_last_cells", {})
    if item.parent not in cache:
        cache[item.parent] = [i for i in item.session.items if i.parent is item.parent][-1]
    return cache[item.parent] is item


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    outputs = getattr(item, "test_outputs", None)
    folder = Path(str(item.fspath)).parent.name
    if outputs is None or folder not in EXPECTED:
        return result
    from gradflow import status_line

    state = EXPECTED[folder]
    word = status_line.EXERCISE_WORDS[state]
    seen = item.session.__dict__.setdefault("_gradflow_seen", {}).setdefault(str(item.fspath), set())
    for line in status_line.parse(_output_text(outputs)):
        if not line.is_exercise:
            continue
        seen.add(line.number)
        if line.state != state:
            raise AssertionError(f"in {folder}/ every checker must report '{word}', but this cell printed:\n"
                                 f"{line.line}")
    if _last_cell(item):
        lesson = _course(item.session).lesson(Path(str(item.fspath)).stem)
        missing = [f"{lesson.number}.{ex.number} {ex.title}" for ex in lesson.exercises if ex.number not in seen]
        if missing:
            raise AssertionError(f"{folder}/{lesson.name}.ipynb never ran the checker of: {', '.join(missing)}")
    return result
