"""The one line a checker or a reveal prints: written here, read here (progress, the test hooks, lint).

Three kinds share one shape, ``<symbol> <id> <title>: <text>``::

    ✔ 01.2 move the cut: passed                                    an exercise (id NN.K)
    ✘ 01.2 move the cut: x.grad is None                            (a wrong exercise line says what is wrong,
        hint: did the cut move above the branch?                    and an indented hint line may follow)
    … 01.2 move the cut: not attempted yet (replace the ... ...)
    ✔ 00.p1 out after the forward pass: right: 91.5, because ...   a prediction (id NN.pK)
    ✘ 00.q2 which tensors get a grad: not quite: you said b, ...   a recap question (id NN.qK)
    … 00.p1 out after the forward pass: no prediction yet: ...

The symbol says the state: ``PASSED`` (✔: passed, or a right guess), ``WRONG`` (✘) or ``OPEN`` (…: not
attempted yet, or no prediction yet). Titles hold no colon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PASSED, WRONG, OPEN = "passed", "wrong", "open"
SYMBOL = {PASSED: "✔", WRONG: "✘", OPEN: "…"}
STATE = {symbol: state for state, symbol in SYMBOL.items()}

#: what an exercise line says after its title (a wrong one says what is wrong instead)
EXERCISE_WORDS = {PASSED: "passed", OPEN: "not attempted yet"}
#: the verdict a prediction or recap line says after its title
PREDICTION_WORDS = {PASSED: "right", WRONG: "not quite", OPEN: "no prediction yet"}
_VERDICT_STATE = {word: state for state, word in PREDICTION_WORDS.items()}

HINT_PREFIX = "    hint: "
_LINE = re.compile(r"^(?P<symbol>[✔✘…]) (?P<lesson>\d\d)\.(?P<kind>[pq]?)(?P<number>\d+) (?P<title>[^:\n]+?): "
                   r"(?P<text>.*)$", re.M)
_HINT = re.compile(r"^\s+hint: (?P<hint>.*)$")


@dataclass(frozen=True)
class StatusLine:
    state: str     # PASSED, WRONG or OPEN
    lesson: str    # "01"
    kind: str      # "" for an exercise, "p" for a prediction, "q" for a recap question
    number: int
    title: str
    text: str      # everything after "title: " (for a prediction, after the verdict too)
    line: str

    @property
    def id(self) -> str:
        return f"{self.lesson}.{self.kind}{self.number}"

    @property
    def is_exercise(self) -> bool:
        return self.kind == ""


def write(label: str, state: str, text: str) -> str:
    """Print and return one line ``<symbol> <label>: <text>`` (``label`` is ``NN.K title``, ``NN.pK title``...)."""
    line = f"{SYMBOL[state]} {label}: {text}"
    print(line)
    return line


def write_hint(hint: str) -> None:
    print(f"{HINT_PREFIX}{hint}")


def prediction_text(state: str, detail: str) -> str:
    """The text after a prediction's title: its verdict, then the details."""
    return f"{PREDICTION_WORDS[state]}: {detail}" if detail else PREDICTION_WORDS[state]


def parse_line(line: str) -> StatusLine | None:
    """The line as a :class:`StatusLine`, or None when it is not a status line."""
    match = _LINE.match(line.rstrip("\n"))
    if match is None:
        return None
    state, text = STATE[match["symbol"]], match["text"]
    if match["kind"]:
        verdict, _, detail = text.partition(": ")
        if _VERDICT_STATE.get(verdict) != state:
            return None
        text = detail
    return StatusLine(state, match["lesson"], match["kind"], int(match["number"]), match["title"], text,
                      match.group(0))


def parse(text: str) -> list[StatusLine]:
    """Every status line in ``text`` (a cell's output, a whole saved notebook's outputs), in order."""
    return [found for line in text.splitlines() if (found := parse_line(line)) is not None]


def hint_of(line: str) -> str | None:
    """The hint of an indented ``hint:`` line under a wrong exercise line, else None."""
    match = _HINT.match(line)
    return match["hint"] if match else None
