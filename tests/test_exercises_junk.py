"""Every registered checker, fed junk, prints feedback and returns false: never a traceback.

Right answers are tested per lesson (tests/test_lessonNN_*.py); here only what no checker may
accept or crash on.
"""

from pathlib import Path

import pytest
import torch

from gradflow.checking import exercises_of
from gradflow_course import metadata

#: every checker of every lesson course.toml lists (the kit's own test checkers are not lessons)
ALL = [ex for name in metadata.load(Path(__file__).resolve().parents[1] / "course.toml").names()
       for ex in exercises_of(name)]


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
