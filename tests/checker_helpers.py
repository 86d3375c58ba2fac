"""What the checker tests of every lesson share: run a check on an answer and read the line it printed, and
build a lesson's rejects and accepts tests from the wrong and right answers it declares."""

import pytest

#: the kinds of mutant of a reference answer a checker must reject (DESIGN: checkers are tested by mutants);
#: a wrong answer declared with ``kind=`` counts as a mutant, and every exercise needs at least MIN_MUTANTS
MUTANT_KINDS = {
    "hard-coded": "an argument hard-coded to the value the notebook or the checker uses",
    "ignored": "a passed object ignored (the model, optimizer or loss rebuilt inside the answer)",
    "state": "state left changed after the call (grad mode, flags, modes, the caller's tensors, optimizer state)",
    "shortcut": "a shortcut the task forbids",
    "symptom": "the symptom hidden instead of the cause fixed",
    "narrow": "right only for the inputs the notebook tries",
    "return": "the wrong return type or value",
    "data": "`.data` where the lesson teaches why not",
    "other": "a plausible mistake of another kind",
}
MIN_MUTANTS = 6


def printed(capsys) -> str:
    return capsys.readouterr().out


def rejected(check, answer, label: str, *fragments: str, hint: str | None = None, capsys) -> str:
    """Assert that ``check(answer)`` fails with a ✘ line for ``label`` holding every fragment (and ``hint`` after
    "hint:"); return what it printed."""
    assert not check(answer)
    out = capsys.readouterr().out
    assert out.startswith(f"✘ {label} "), out
    for fragment in fragments:
        assert fragment in out, out
    if hint is not None:
        assert "hint:" in out and hint in out.split("hint:")[1], out
    return out


class WrongAnswers:
    """A lesson's plausible wrong answers, each declared where it is written, with the cause and hint its ✘ line
    must state; ``rejects`` turns one exercise's answers into a parametrized test.

        wrong = WrongAnswers("04")

        @wrong(2, "their gradients are zero", "never between backward and the update")
        def _sgd_zeroes_first(params, lr): ...

        wrong.case(2, None, "pass your function", "def sgd")     # an answer that is not a function

        test_ex2_rejects_plausible_mistakes = wrong.rejects(2, ex.manual_sgd)
    """

    def __init__(self, lesson: str):
        self.lesson = lesson
        self.cases: dict[int, list] = {}

    def case(self, exercise: int, answer, cause: str, hint: str | None = None, *, id: str | None = None,
             kind: str | None = None):
        """One wrong answer; ``kind`` (a key of MUTANT_KINDS) marks it as a mutant of the reference answer."""
        if kind is not None and kind not in MUTANT_KINDS:
            raise ValueError(f"kind={kind!r}: use one of {', '.join(MUTANT_KINDS)}")
        marks = [pytest.mark.mutant(lesson=self.lesson, exercise=exercise, kind=kind)] if kind else []
        self.cases.setdefault(exercise, []).append(pytest.param(answer, cause, hint, id=id, marks=marks))

    def __call__(self, exercise: int, cause: str, hint: str | None = None, *, kind: str | None = None):
        def declare(answer):
            self.case(exercise, answer, cause, hint, id=answer.__name__, kind=kind)
            return answer
        return declare

    def rejects(self, exercise: int, check):
        label = f"{self.lesson}.{exercise}"

        @pytest.mark.parametrize("answer, cause, hint", self.cases.pop(exercise))
        def test(answer, cause, hint, capsys):
            rejected(check, answer, label, cause, hint=hint, capsys=capsys)
        return test


def accepts(check, label: str, answers):
    """A test that each right answer (written differently from the solution) passes ``check`` with a ✔ line for
    ``label``; ``answers`` is a list of functions (named by their names) or a dict of id -> answer."""
    if not isinstance(answers, dict):
        answers = {answer.__name__: answer for answer in answers}

    @pytest.mark.parametrize("answer", list(answers.values()), ids=list(answers))
    def test(answer, capsys):
        assert check(answer)
        out = capsys.readouterr().out
        assert out.startswith(f"✔ {label} ") and "passed" in out, out
    return test
