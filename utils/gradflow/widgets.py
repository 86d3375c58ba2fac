"""Predict-then-reveal quizzes: which parameters does a backward reach? (The truth comes from a live backward.)

Two layers, kept apart so tests (and a notebook without a frontend) can use the logic alone: the plain
:class:`GradQuiz` and its thin ipywidgets 8 view :class:`QuizWidget`. The gradient-flow explorer lives in
:mod:`gradflow.explorer`; its names are re-exported here so ``from gradflow.widgets import explore_flow`` works.

    from gradflow.widgets import quiz
"""

from __future__ import annotations

import html
from typing import Callable, Iterable

import torch
from torch import nn

from .explorer import WIDGET_VIEW, FlowExplorer, FlowLab, FlowResult, _pre, explore_flow  # noqa: F401 (re-exported)
from .graph import names_reached
from .session import clean_message

__all__ = ["FlowLab", "FlowResult", "FlowExplorer", "explore_flow", "GradQuiz", "QuizWidget", "quiz"]

# --- predict then reveal: which parameters get a gradient? ----------------------------------


def _named(names) -> dict[str, torch.Tensor]:
    if isinstance(names, nn.Module):
        return dict(names.named_parameters())
    return {n: t for n, t in dict(names).items() if isinstance(t, torch.Tensor)}


class GradQuiz:
    """A "which of these get a gradient?" question whose answer comes from a live backward.

    ``build`` is a function with no arguments that sets up the situation and returns
    ``(output, names)``: the tensor to call ``backward`` on (summed if it is not a scalar) and the
    candidates, as a module or a dict ``name -> tensor``. It is run inside ``fork_rng`` so seeding in
    it leaves the notebook's random state alone. ``explanation`` is shown after the reveal.
    """

    def __init__(self, question: str, build: Callable[[], tuple], explanation: str = ""):
        self.question = question
        self.explanation = explanation
        self._build = build
        self._truth: dict[str, bool] | None = None
        self._reasons: dict[str, str] = {}
        self.error: str | None = None

    def _solve(self) -> None:
        with torch.random.fork_rng():
            output, names = self._build()
        tensors = _named(names)
        reached = set(names_reached(output, names=tensors)) if isinstance(output, torch.Tensor) else set()
        try:
            (output if output.dim() == 0 else output.sum()).backward()
        except RuntimeError as err:
            self.error = clean_message(err)
        self._truth = {n: t.grad is not None for n, t in tensors.items()}
        for n, t in tensors.items():
            if self._truth[n]:
                self._reasons[n] = "backward reaches it along the graph, so .grad is filled"
            elif not t.requires_grad:
                self._reasons[n] = "requires_grad is False: autograd never computes its gradient"
            elif n not in reached:
                self._reasons[n] = "requires grad, but no path from the output reaches it: a detach() or no_grad cut it"
            else:
                self._reasons[n] = "no gradient arrived"

    @property
    def names(self) -> list[str]:
        if self._truth is None:
            self._solve()
        return list(self._truth)

    @property
    def truth(self) -> dict[str, bool]:
        """name -> whether backward gave it a ``.grad`` (computed once, from a live backward)."""
        if self._truth is None:
            self._solve()
        return dict(self._truth)

    def check(self, picked: Iterable[str]) -> list[tuple[str, bool, bool, str]]:
        """For each candidate: (name, you said it gets a gradient, it does, why)."""
        picked = set(picked)
        return [(n, n in picked, got, self._reasons[n]) for n, got in self.truth.items()]

    def score(self, picked: Iterable[str]) -> int:
        return sum(said == got for _, said, got, _ in self.check(picked))

    def question_text(self) -> str:
        lines = [f"quiz: {self.question}", "candidates: " + ", ".join(self.names),
                 "tick the ones you predict get a .grad, then press reveal"]
        return "\n".join(lines)

    def reveal_text(self, picked: Iterable[str]) -> str:
        rows = self.check(picked)
        width = max(len(n) for n, *_ in rows)
        lines = [f"{sum(s == g for _, s, g, _ in rows)} of {len(rows)} right"]
        for name, said, got, why in rows:
            mark = "right" if said == got else "WRONG"
            lines.append(f"{mark:<5}  {name:<{width}}  gets a gradient: {'yes' if got else 'no':<3}  - {why}")
        if self.error:
            lines.append(f"backward itself failed: {self.error}")
        if self.explanation:
            lines.append(self.explanation)
        return "\n".join(lines)


class QuizWidget:
    """The widget view of a :class:`GradQuiz`: one checkbox per candidate, a reveal button, feedback.

    ``quiz_widget.boxes[name]`` is the checkbox, ``quiz_widget.button`` the reveal button
    (``.click()`` works from Python) and ``quiz_widget.feedback`` the ``ipywidgets.HTML`` answer.
    """

    def __init__(self, quiz: GradQuiz):
        import ipywidgets as w

        self.quiz = quiz
        self.boxes = {n: w.Checkbox(value=False, description=n, indent=False) for n in quiz.names}
        self.button = w.Button(description="reveal", button_style="info")
        self.button.on_click(lambda _: self.reveal())
        self.feedback = w.HTML()
        self.widget = w.VBox([w.HTML(f"<b>Predict:</b> {html.escape(quiz.question)}"),
                              *self.boxes.values(), self.button, self.feedback])

    @property
    def picked(self) -> list[str]:
        return [n for n, box in self.boxes.items() if box.value]

    def reveal(self) -> str:
        text = self.quiz.reveal_text(self.picked)
        self.feedback.value = _pre(text)
        return text

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_())
        bundle["text/plain"] = self.quiz.question_text()
        return bundle

    def __repr__(self) -> str:
        return self.quiz.question_text()


def quiz(question: str, build: Callable[[], tuple], explanation: str = "") -> QuizWidget:
    """A predict-then-reveal quiz widget (see :class:`GradQuiz`). End a notebook cell with it."""
    return QuizWidget(GradQuiz(question, build, explanation))
