"""Exercises climb, and every checker is proven from both sides (lessons 00-08).

* Climb: of a lesson's exercise regions (``### BEGIN SOLUTION`` ... ``### END SOLUTION`` after the
  "## Exercises" heading), at most one is a warm-up that mostly retypes code shown above (half or more of
  its lines appear verbatim in a visible cell above), and at least one is not (a Modify or Make).
* Both sides: for every exercise k a lesson registers, ``tests/test_lessonNN_checkers.py`` has a test
  ``test_ex{k}_rejects_*`` collected with at least two cases (plausible wrong answers, each with its
  hint checked) and a test ``test_ex{k}_accepts_*`` (a right answer written differently).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from gradflow.checking import exercises_of

ROOT = Path(__file__).resolve().parents[1]
LESSONS = [p.stem for p in sorted((ROOT / "solutions").glob("0[0-8]_*.ipynb"))]
REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION[ \t]*$", re.S | re.M)


def _code_lines(text: str) -> list[str]:
    return [s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")]


def exercise_regions(nb) -> list[tuple[str, float]]:
    """(cell id, share of the region's lines shown verbatim above) for each exercise region."""
    shown: set[str] = set()
    in_exercises = False
    regions = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if re.search(r"^## ", cell.source, re.M):
                in_exercises = bool(re.search(r"^## Exercises", cell.source, re.M))
            continue
        if cell.cell_type != "code" or "solution" in cell.metadata.get("tags", []):
            continue
        for match in REGION.finditer(cell.source) if in_exercises else ():
            lines = _code_lines(match.group(1))
            if lines and not all(re.match(r"my_\w+\s*=", line) for line in lines):  # not a prediction
                regions.append((cell.id, sum(line in shown for line in lines) / len(lines)))
        shown.update(_code_lines(REGION.sub("", cell.source)))  # what a learner sees of this cell
    return regions


def test_region_measure_tells_retyping_from_new_code():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("y = x * 2\ny.backward()\nprint(x.grad)"),
        nbformat.v4.new_markdown_cell("## Exercises"),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\ny = x * 2\ny.backward()\n### END SOLUTION", id="warm"),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nz = (x ** 3).sum()\nz.backward()\n### END SOLUTION",
                                  id="make"),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nmy_prediction = 3\n### END SOLUTION", id="guess"),
    ])
    assert exercise_regions(nb) == [("warm", 1.0), ("make", 0.0)]


@pytest.mark.parametrize("stem", LESSONS)
def test_exercises_climb_past_retyping(stem):
    regions = exercise_regions(nbformat.read(ROOT / "solutions" / f"{stem}.ipynb", as_version=4))
    retyped = [cell for cell, share in regions if share >= 0.5]
    assert regions, f"{stem}: no exercise regions after '## Exercises'"
    assert len(retyped) <= 1, f"{stem}: more than one exercise mostly retypes cells above: {retyped}"
    assert len(retyped) < len(regions), f"{stem}: every exercise retypes cells above; add a Modify or Make"


@pytest.fixture(scope="module")
def collected() -> Counter:
    """How many test cases each ``test_exK_(rejects|accepts)`` function of each lesson collects."""
    files = [f"tests/test_lesson{stem[:2]}_checkers.py" for stem in LESSONS]
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "-p", "no:xdist", *files], cwd=ROOT, capture_output=True, text=True).stdout
    counts: Counter = Counter()
    for node in out.splitlines():
        if m := re.match(r"tests/test_lesson(\d\d)_checkers\.py::test_ex(\d+)_(rejects|accepts)_", node):
            counts[m.groups()] += 1
    return counts


@pytest.mark.parametrize("stem", LESSONS)
def test_every_checker_is_tested_from_both_sides(stem, collected):
    lesson = stem[:2]
    numbers = [ex.number for ex in exercises_of(stem)]
    weak = [f"{lesson}.{k}: {collected[(lesson, str(k), 'rejects')]} wrong, "
            f"{collected[(lesson, str(k), 'accepts')]} right"
            for k in numbers
            if collected[(lesson, str(k), "rejects")] < 2 or collected[(lesson, str(k), "accepts")] < 1]
    assert not weak, (f"tests/test_lesson{lesson}_checkers.py needs test_exK_rejects_* (>= 2 wrong answers) "
                      f"and test_exK_accepts_* (>= 1 right answer) for: " + "; ".join(weak))
