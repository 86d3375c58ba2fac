"""Every registered checker, fed junk, prints feedback and returns false: never a traceback.

Right answers are tested per lesson (tests/test_lessonNN_*.py); here only what no checker may
accept or crash on.
"""

import pytest
import torch

from gradflow.checking import REGISTRY, exercises_of

import gradflow.exercises  # noqa: F401  (registers every lesson)

ALL = [ex for lesson, exs in sorted(REGISTRY.items()) if not lesson.startswith("9") for ex in exs]


def _raises(*args, **kwargs):
    raise RuntimeError("learner code failed")


JUNK = {
    "ellipsis": ...,
    "none": None,
    "string": "forty-two",
    "object": object(),
    "wrong-shape tensor": torch.zeros(7, 7, 7),
    "attached tensor": torch.ones(2, requires_grad=True) * 2,
    "raising function": _raises,
}


@pytest.mark.parametrize("exercise", ALL, ids=[ex.label for ex in ALL])
@pytest.mark.parametrize("kind", list(JUNK))
def test_junk_is_rejected_with_feedback(exercise, kind, capsys):
    n_args = exercise.check.__wrapped__.__code__.co_argcount
    result = exercise.check(*[JUNK[kind]] * max(n_args, 1))
    out = capsys.readouterr().out
    assert not result
    assert out.startswith(("… ", "✘ ")), out
    assert "Traceback" not in out
    if kind == "ellipsis":
        assert "not attempted yet" in out


def test_every_lesson_with_a_checker_module_has_exercises():
    assert exercises_of("00_autograd_refresher"), "lesson 00 registers no exercises"
