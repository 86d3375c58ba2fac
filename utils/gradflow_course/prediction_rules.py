"""The rules a lesson's predictions follow, checked on the notebook itself (an authoring check).

A prediction is a commitment: nothing the learner can read before running the reveal may give the
answer away. For every markdown cell holding a ``**Predict**`` prompt, :func:`check_predictions`
checks the cells up to the next prompt:

1. a **prediction cell** (a code cell that assigns ``my_<name> = ...`` at its top level) comes after
   the prompt and before the reveal;
2. the **reveal cell** (the first code cell after the prediction cell) is tagged ``reveal`` and its
   first line is a comment that names no answer (JupyterLab still shows the first line of a
   collapsed cell), such as ``# run to reveal``;
3. the prompt (and any markdown before the reveal) does not contain a literal answer value that the
   reveal's ``assert`` statements check (numbers other than 0 and 1, strings of 3 or more characters);
4. no visible code cell between prompt and reveal holds an ``assert``, or a comment naming an answer.

Solution regions (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) and cells tagged ``solution`` are
ignored: the build takes them out of the lesson. So the check gives the same verdict on a solution
and on the lesson built from it.

    from gradflow_course.prediction_rules import check_predictions
    problems = check_predictions(nbformat.read("lessons/00_autograd_refresher.ipynb", as_version=4))

`gradflow-course lint` runs these checks with the course's other rules (gradflow_course/lint.py).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .markers import BEGIN as _BEGIN
from .markers import END as _END
from .markers import REVEAL_TAG, SOLUTION_TAG

PROMPT = re.compile(r"\*\*Predict\b")
PREDICTION = re.compile(r"^my_\w+\s*=(?!=)", re.M)
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE]-?\d+)?(?![\w])")
_TRIVIAL = {0.0, 1.0}

__all__ = ["check_predictions", "check_file", "answer_values"]


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _cid(cell, index: int) -> str:
    return cell.get("id") or f"#{index}"


def visible_source(source: str) -> str:
    """The source without its solution regions (what the lesson shows)."""
    out, inside = [], False
    for line in source.split("\n"):
        stripped = line.strip()
        if stripped == _BEGIN:
            inside = True
        elif stripped == _END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def answer_values(source: str) -> tuple[set[float], set[str]]:
    """The literal numbers and strings that the ``assert`` statements of a code cell check."""
    numbers: set[float] = set()
    strings: set[str] = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax: fall back to the assert lines' text
        for line in source.splitlines():
            if line.strip().startswith("assert "):
                numbers.update(float(n) for n in _NUMBER.findall(line.split("#")[0]))
                strings.update(s for s in re.findall(r"[\"']([^\"']{3,})[\"']", line))
        return numbers - _TRIVIAL, strings
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            for leaf in ast.walk(node.test):
                if isinstance(leaf, ast.Constant):
                    value = leaf.value
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        numbers.add(abs(float(value)))
                    elif isinstance(value, str) and len(value.strip()) >= 3:
                        strings.add(value.strip())
    return numbers - _TRIVIAL, strings


def gives_away(text: str, numbers: set[float], strings: set[str]) -> list[str]:
    """The answer values that appear in ``text`` (numbers by value, strings as whole words, any case)."""
    found = []
    for token in _NUMBER.findall(text):
        try:
            if abs(float(token)) in numbers:
                found.append(token)
        except ValueError:
            pass
    lower = text.lower()
    for s in strings:
        if re.search(r"(?<![\w])" + re.escape(s.lower()) + r"(?![\w])", lower):
            found.append(repr(s))
    return list(dict.fromkeys(found))


def _comments(source: str) -> list[str]:
    return [line.split("#", 1)[1] for line in source.splitlines() if "#" in line]


def check_predictions(nb, name: str = "notebook") -> list[str]:
    """Every way the notebook's Predict prompts break the rules (see the module docstring); [] if none."""
    cells = [(i, c) for i, c in enumerate(nb.cells) if SOLUTION_TAG not in _tags(c)]
    prompts = [k for k, (_, c) in enumerate(cells) if c.cell_type == "markdown" and PROMPT.search(c.source)]
    problems: list[str] = []
    for n, k in enumerate(prompts):
        end = prompts[n + 1] if n + 1 < len(prompts) else len(cells)
        window = cells[k + 1:end]
        index, prompt = cells[k]
        where = f"{name}, cell {_cid(prompt, index)} (Predict prompt)"
        codes = [(i, c) for i, c in window if c.cell_type == "code"]
        predictions = [pos for pos, (_, c) in enumerate(codes) if PREDICTION.search(c.source)]
        tagged = [pos for pos, (_, c) in enumerate(codes) if REVEAL_TAG in _tags(c)]
        if not predictions:
            problems.append(f"{where}: no prediction cell (`my_... = ...`) after the prompt")
            if not codes:
                continue
            reveal_pos = tagged[0] if tagged else 0  # else the first code cell shows the result: check it as the reveal
        else:
            first = predictions[0]
            if tagged and tagged[0] < first:
                i, c = codes[tagged[0]]
                problems.append(f"{where}: the reveal cell {_cid(c, i)} comes before the prediction cell")
                reveal_pos = tagged[0]
            elif first + 1 >= len(codes):
                problems.append(f"{where}: no reveal cell after the prediction cell")
                continue
            else:
                reveal_pos = first + 1
        r_index, reveal = codes[reveal_pos]
        rid = _cid(reveal, r_index)
        if REVEAL_TAG not in _tags(reveal):
            problems.append(f"{where}: the reveal cell {rid} is not tagged '{REVEAL_TAG}'")
        numbers, strings = answer_values(visible_source(reveal.source))
        first_line = reveal.source.split("\n", 1)[0].strip()
        if not first_line.startswith("#"):
            problems.append(f"{where}: the reveal cell {rid} must start with a neutral comment "
                            f"such as '# run to reveal' (its first line stays visible), not {first_line!r}")
        elif gives_away(first_line, numbers, strings):
            problems.append(f"{where}: the first line of the reveal cell {rid} names the answer: {first_line!r}")
        reveal_at = next(pos for pos, (i, c) in enumerate(window) if i == r_index)
        for i, c in [cells[k]] + window[:reveal_at]:
            if c.cell_type == "markdown":
                found = gives_away(c.source, numbers, strings)
                if found:
                    problems.append(f"{where}: markdown cell {_cid(c, i)} states the answer that the reveal "
                                    f"{rid} asserts: {', '.join(found)}")
            elif c.cell_type == "code" and REVEAL_TAG not in _tags(c):
                shown = visible_source(c.source)
                if re.search(r"^\s*assert\b", shown, re.M):
                    problems.append(f"{where}: visible cell {_cid(c, i)} before the reveal holds an assert")
                found = [v for comment in _comments(shown) for v in gives_away(comment, numbers, strings)]
                if found:
                    problems.append(f"{where}: a comment in visible cell {_cid(c, i)} gives the answer away: "
                                    f"{', '.join(dict.fromkeys(found))}")
    return problems


def check_file(path: str | Path) -> list[str]:
    """:func:`check_predictions` on a notebook file."""
    import nbformat

    path = Path(path)
    return check_predictions(nbformat.read(path, as_version=4), f"{path.parent.name}/{path.name}")
