"""Predictions and quizzes: the learner commits to a guess, the reveal cell compares it with what happened.

A prediction is recorded in the notebook, in a cell of its own, before the reveal::

    my_prediction = ...        # the learner replaces the ... with a number, a shape, a name, True/False

and the reveal cell (tagged ``reveal``, first line ``# run to reveal``) computes the truth, proves it
with an ``assert`` and calls::

    reveal("00.p1 out after the forward pass", my_prediction, out.item(), why="mean(75, 108) = 91.5")

which prints exactly one line, in one of three shapes (``<id>`` is ``NN.pK`` for a prediction,
``NN.qK`` for a recap question; the title never holds a colon)::

    ✔ 00.p1 out after the forward pass: right: 91.5, because mean(75, 108) = 91.5
    ✘ 00.p1 out after the forward pass: not quite: you said 90, it is 91.5, because mean(75, 108) = 91.5
    … 00.p1 out after the forward pass: no prediction yet: it is 91.5, because mean(75, 108) = 91.5

The line's shape is written and read in one place, :mod:`gradflow.status_line` (the progress view reads
it back). :func:`reveal` never raises on the learner's guess.

Multiple choice: a :class:`Choice` whose every wrong option carries the misconception it encodes.
Display it (a readable text and HTML form that lists the question and the options, never the answer),
record ``my_answer = "b"`` in the next cell, and reveal with ``choice.reveal(my_answer)``. A
:class:`Recap` groups several choices for the end of a lesson and reveals a list of answers.
"""

from __future__ import annotations

import html
import math
import numbers
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import torch

from .checking import is_placeholder
from .status_line import OPEN as _OPEN
from .status_line import PASSED as _PASSED
from .status_line import PREDICTION_WORDS, write
from .status_line import WRONG as _WRONG

__all__ = ["Revealed", "Results", "reveal", "Choice", "Recap"]

#: the verdicts a reveal prints, by the state of its line
RIGHT, WRONG, OPEN = (PREDICTION_WORDS[state] for state in (_PASSED, _WRONG, _OPEN))
_STATE = {word: state for state, word in PREDICTION_WORDS.items()}

_LABEL = re.compile(r"^\d\d\.[pq]\d+ [^:\n]+$")


class Revealed:
    """What :func:`reveal` returns: true when the guess was right. Shows nothing when a cell ends with it."""

    def __init__(self, status: str, line: str):
        self.status = status  # "right", "not quite" or "no prediction yet"
        self.line = line

    def __bool__(self) -> bool:
        return self.status == RIGHT

    def __repr__(self) -> str:
        return f"Revealed({self.status})"

    def _ipython_display_(self) -> None:  # the printed line already said it all
        pass


def _check_label(label: str) -> str:
    if not isinstance(label, str) or not _LABEL.match(label.strip()):
        raise ValueError(f"a reveal label is 'NN.pK title' or 'NN.qK title' (no colon), got {label!r}")
    return label.strip()


def _emit(label: str, status: str, detail: str) -> Revealed:
    text = " ".join(f"{status}: {detail}".split())  # one line, whatever the texts held
    return Revealed(status, write(" ".join(label.split()), _STATE[status], text))


# --- comparing a guess with the truth ----------------------------------------------------------


def _number(value: Any) -> float | None:
    """A real number from an int, float, numpy scalar, one-element tensor or numeric string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.dtype == torch.bool:
        return float(value.detach().reshape(()).item())
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    if type(value).__module__ == "numpy" and getattr(value, "size", 0) == 1:
        return _number(value.item())
    return None


def _truth_value(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if type(value).__module__ == "numpy" and type(value).__name__ in {"bool", "bool_"}:  # numpy's bool
        return bool(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dtype == torch.bool:
        return bool(value.item())
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "false", "no"}:
        return value.strip().lower() in {"true", "yes"}
    return None


def _as_tensor(value: Any) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value.detach().to(torch.float64)
    if isinstance(value, str) or value is None:
        return None
    try:
        return torch.as_tensor(value, dtype=torch.float64)
    except Exception:  # a ragged list, strings, objects: not a tensor-like guess
        return None


def _is_names(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in value)


def _names(value: Any) -> set[str] | None:
    if isinstance(value, str):
        parts = [p for p in re.split(r"[,\s]+", value) if p]
        return {p.strip().lower() for p in parts}
    if isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in value):
        return {v.strip().lower() for v in value}
    return None


def _fmt_number(x: float) -> str:
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.4g}"


def show(value: Any) -> str:
    """A short, stable rendering of a guess or an answer (no ids, no addresses)."""
    if value is Ellipsis:
        return "..."
    if value is None or isinstance(value, bool):
        return str(value)
    if _truth_value(value) is not None and not isinstance(value, str):
        return str(_truth_value(value))
    if isinstance(value, torch.Size):
        return str(tuple(value))
    if _is_names(value):
        items = sorted(value) if isinstance(value, (set, frozenset)) else list(value)
        return "[" + ", ".join(items) + "]"
    number = _number(value) if not isinstance(value, str) else None
    if number is not None and not (isinstance(value, torch.Tensor) and value.dim() > 0):
        return _fmt_number(number)
    if isinstance(value, torch.Tensor):
        flat = value.detach().flatten()[:8].tolist()
        if value.dtype == torch.bool:
            body = ", ".join(str(v) for v in flat)
        else:
            body = ", ".join(_fmt_number(float(v)) for v in flat)
        more = ", ..." if value.numel() > 8 else ""
        shape = f" of shape {tuple(value.shape)}" if value.dim() > 1 else ""
        return f"[{body}{more}]{shape}"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]" if isinstance(value, list) else \
            "(" + ", ".join(show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    text = repr(value)
    return re.sub(r" at 0x[0-9a-fA-F]+", "", text)[:80]


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if _truth_value(value) is not None and not isinstance(value, str):
        return "True/False"
    if isinstance(value, (list, tuple)) and not value:
        return "an empty list"
    if _is_names(value) or isinstance(value, str):
        return "a name" if isinstance(value, str) else "a list of names"
    if _number(value) is not None and not (isinstance(value, torch.Tensor) and value.dim() > 0):
        return "a number"
    if isinstance(value, (list, tuple)):
        flat = list(_leaves(value))
        odd = [v for v in flat if _number(v) is None or isinstance(v, str)]
        if not flat:
            return "an empty list"
        if odd:  # say which item is not a number, not "a list of numbers"
            item = f"{odd[0]!r} is a string," if isinstance(odd[0], str) else f"{show(odd[0])} is"
            return f"a list in which {item} not a number"
        if _as_tensor(value) is None:
            return "a ragged list (its rows differ in length)"
        return "a list of numbers"
    if isinstance(value, torch.Tensor):
        return "a list of numbers"
    return f"a {type(value).__name__}"


def _leaves(value: Any):
    """The items of a (nested) list or tuple."""
    for v in value:
        if isinstance(v, (list, tuple)):
            yield from _leaves(v)
        else:
            yield v


def _same(guess: Any, actual: Any, rtol: float, atol: float) -> tuple[bool, str | None]:
    """(is the guess right, an extra note when the form itself was off). Never raises."""
    if actual is None:
        return guess is None or (isinstance(guess, str) and guess.strip().lower() == "none"), None
    truth = _truth_value(actual) if not isinstance(actual, str) else None
    if truth is not None:
        said = _truth_value(guess)
        if said is None:
            return False, "answer with True or False"
        return said == truth, None
    if isinstance(actual, str):
        if isinstance(guess, str):
            return guess.strip().lower() == actual.strip().lower(), None
        return False, "answer with a name in quotes"
    if _is_names(actual):
        said = _names(guess)
        if said is None:
            return False, "answer with a list of names in quotes"
        return said == {a.strip().lower() for a in actual}, None
    number = _number(actual)
    if number is not None and not (isinstance(actual, torch.Tensor) and actual.dim() > 0):
        said = _number(guess)
        if said is None:
            return False, "answer with a number"
        return math.isclose(said, number, rel_tol=rtol, abs_tol=atol), None
    if isinstance(actual, (tuple, list)) and actual and all(isinstance(v, bool) for v in actual):
        said = [_truth_value(v) for v in guess] if isinstance(guess, (tuple, list)) else None
        if said is None or None in said:
            return False, f"answer with {len(actual)} True/False values, e.g. {tuple(not v for v in actual)}"
        return said == list(actual), None
    if isinstance(actual, torch.Size) or (isinstance(actual, tuple) and all(isinstance(v, int) for v in actual)):
        try:
            return tuple(int(v) for v in guess) == tuple(actual) and all(
                _number(v) is not None and float(v) == int(v) for v in guess), None
        except Exception:
            return False, "answer with a shape, a tuple of whole numbers such as (2, 3)"
    want = _as_tensor(actual)
    if want is not None:
        said = _as_tensor(guess)
        if said is None:
            return False, "answer with a list of numbers"
        if said.shape != want.shape:
            if said.numel() == want.numel():
                said = said.reshape(want.shape)
            else:
                return False, f"your guess has shape {tuple(said.shape)}, the answer {tuple(want.shape)}"
        return bool(torch.allclose(said, want, rtol=rtol, atol=atol)), None
    return bool(guess == actual), None


def reveal(label: str, guess: Any, actual: Any, *, why: str, rtol: float = 2e-3, atol: float = 1e-6,
           shown: str | None = None) -> Revealed:
    """Compare the learner's recorded guess with what really happened; print one line; return the verdict.

    ``label`` is ``"NN.pK title"``. ``actual`` is the true value, computed in the reveal cell (a number,
    a tensor or list of numbers, a shape, a name, a list of names, True/False, None). Numbers and
    tensors are compared with a tolerance (``rtol``, ``atol``; by default a guess rounded to 3
    significant digits is right), tensors by shape and value, names case-insensitively (a list of
    names in any order). ``why`` is printed after "because". ``shown`` replaces how the answer is
    written. A ``...`` guess prints the calm "no prediction yet" line, with the answer.
    """
    label = _check_label(label)
    answer = shown if shown is not None else show(actual)
    because = f"it is {answer}, because {why}"
    if is_placeholder(guess):
        return _emit(label, OPEN, because)
    try:
        right, note = _same(guess, actual, rtol, atol)
    except Exception:  # a guess that cannot be compared at all is simply not right
        right, note = False, None
    if right:
        return _emit(label, RIGHT, f"{answer}, because {why}")
    try:
        said = show(guess)
        kind = _kind(guess)
    except Exception:
        said = kind = f"a {type(guess).__name__}"
    said = said if len(said) <= 80 else said[:77] + "..."
    extra = f" ({note}: you gave {kind})" if note else ""
    return _emit(label, WRONG, f"you said {said}{extra}, {because}")


# --- multiple choice -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    text: str  # what the learner reads
    why: str  # for the right option: why it is right; for a wrong one: the misconception it encodes


class Choice:
    """A multiple-choice question whose every wrong option diagnoses one misconception.

    ``options`` maps a letter to ``(text, why)``: for the right option ``why`` explains the answer
    (printed after "because"), for each wrong one it names the misconception behind choosing it.
    ``guide`` names the field guide entry (``"05.03"``) a question was drawn from: every verdict then
    ends by pointing at it, so the learner can read the bug as people met it.
    Display the object to show the question; pass the recorded answer to :meth:`reveal`.
    """

    def __init__(self, label: str, question: str, options: Mapping[str, tuple[str, str]], answer: str,
                 guide: str | None = None):
        self.label = _check_label(label)
        self.guide = guide
        self.question = question
        self.options = {k.strip().lower(): Option(*v) for k, v in options.items()}
        self.answer = answer.strip().lower()
        if self.answer not in self.options or len(self.options) < 2:
            raise ValueError(f"{label}: the answer {answer!r} must be one of at least two options")

    @property
    def id(self) -> str:
        return self.label.split(" ", 1)[0]

    def letter(self, answer: Any) -> str | None:
        """The option a recorded answer names: a letter (any case, ``"(b)"``, ``"b)"``), an option's text, or
        the text's head before its first comma or colon (so ``"none"`` names the option "None, and ...").
        Python ``None`` names only an option whose text is exactly "None"."""
        if answer is None:
            found = [k for k, o in self.options.items() if o.text.strip() == "None"]
            return found[0] if len(found) == 1 else None
        if not isinstance(answer, str):
            return None
        key = answer.strip().lower().strip("()[]. ")
        if key in self.options:
            return key
        said = answer.strip().lower()
        for head in (lambda t: t, lambda t: re.split(r"[,:]", t, maxsplit=1)[0]):
            found = [k for k, o in self.options.items() if head(o.text.strip().lower()).strip() == said]
            if len(found) == 1:
                return found[0]
        return None

    def _option_text(self, letter: str) -> str:
        return f"({letter}) {self.options[letter].text}"

    def reveal(self, answer: Any) -> Revealed:
        """Compare the recorded answer with the right option; print one line. Never raises."""
        verdict = self._verdict(answer)
        if self.guide:
            verdict = (verdict[0], f"{verdict[1]} (in the wild: field guide entry {self.guide})")
        return _emit(self.label, *verdict)

    def _verdict(self, answer: Any) -> tuple[str, str]:
        right = self.options[self.answer]
        because = f"it is {self._option_text(self.answer)}, because {right.why}"
        letter = self.letter(answer)
        if is_placeholder(answer) or (answer is None and letter is None):  # None, unless an option is "None": no answer
            return OPEN, because
        if letter == self.answer:
            return RIGHT, f"{self._option_text(self.answer)}, because {right.why}"
        if letter is None:
            try:
                said = repr(answer) if isinstance(answer, str) else show(answer)
            except Exception:
                said = f"a {type(answer).__name__}"
            letters = ", ".join(self.options)
            return WRONG, f"you said {said}, which is not one of the letters {letters}; {because}"
        return WRONG, f"you said ({letter}), but {self.options[letter].why}; {because}"

    def text(self, number: str | None = None) -> str:
        head = f"{number or self.id}. {self.question}"
        return "\n".join([head] + [f"   ({k}) {o.text}" for k, o in self.options.items()])

    def html(self, number: str | None = None) -> str:
        items = "".join(f"<li><b>({html.escape(k)})</b> {html.escape(o.text)}</li>" for k, o in self.options.items())
        return (f"<div class='gradflow-quiz'><p><b>{html.escape(number or self.id)}.</b> {html.escape(self.question)}</p>"
                f"<ul style='list-style:none'>{items}</ul></div>")

    def _repr_mimebundle_(self, include=None, exclude=None):
        note = "Record your answer below, as a letter in quotes (for example my_answer = \"a\"), then run the reveal."
        return {"text/plain": self.text() + "\n" + note, "text/html": self.html() + f"<p><i>{html.escape(note)}</i></p>"}

    def __repr__(self) -> str:
        return self.text()


class Recap:
    """A few :class:`Choice` questions for the end of a lesson, answered as one list of letters."""

    def __init__(self, title: str, questions: Iterable[Choice]):
        self.title = title
        self.questions = list(questions)

    def text(self) -> str:
        parts = [self.title] + [q.text(str(i)) for i, q in enumerate(self.questions, 1)]
        return "\n".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None):
        n = len(self.questions)
        note = f"Record your answers below as a list of {n} letters, in order (for example my_answers = [\"a\", ...])."
        body = "".join(q.html(str(i)) for i, q in enumerate(self.questions, 1))
        return {"text/plain": self.text() + "\n" + note,
                "text/html": f"<p><b>{html.escape(self.title)}</b></p>{body}<p><i>{html.escape(note)}</i></p>"}

    def __repr__(self) -> str:
        return self.text()

    def reveal(self, answers: Any) -> "Results":
        """One line per question. ``answers`` is a list of letters (``...`` for the whole list or one item)."""
        n = len(self.questions)
        if answers is Ellipsis:
            answers = [...] * n
        elif isinstance(answers, Mapping):
            answers = [answers.get(i, answers.get(str(i), ...)) for i in range(1, n + 1)]
        elif isinstance(answers, str):
            answers = [a for a in re.split(r"[,\s]+", answers) if a]
        elif not isinstance(answers, (list, tuple)):
            answers = [answers] + [...] * (n - 1)
        answers = list(answers)[:n] + [...] * max(0, n - len(answers))
        return Results(q.reveal(a) for q, a in zip(self.questions, answers))


class Results(list):
    """The verdicts of a :class:`Recap`: a list of :class:`Revealed` that shows nothing when a cell ends with it."""

    def _ipython_display_(self) -> None:
        pass

