"""The checker kit: every checker keeps the learner's random state, and the helpers a checker body uses."""

import inspect
from pathlib import Path

import pytest
import torch
from torch import nn

from gradflow.checking import (LearnerError, Wrong, differing, exercise, exercises_of, expect_number,
                               expect_function, run_learner, train, train_step)
from gradflow_course import metadata

LESSONS = metadata.load(Path(__file__).resolve().parents[1] / "course.toml").names()
LESSON_EXERCISES = [e for name in LESSONS for e in exercises_of(name)]


def _meddler(*args, **kwargs):
    """A learner's function that reseeds and draws, then fails: what a checker must survive and undo."""
    torch.manual_seed(999)
    torch.rand(3)
    raise RuntimeError("boom")


def test_the_registry_holds_every_lesson():
    assert {e.lesson for e in LESSON_EXERCISES} == set(LESSONS)


@pytest.mark.parametrize("ex", LESSON_EXERCISES, ids=lambda e: e.label)
def test_no_checker_touches_the_learners_random_state(ex, capsys):
    n_args = len(inspect.signature(ex.check.__wrapped__).parameters)
    torch.manual_seed(123)
    expected = torch.rand(4)
    torch.manual_seed(123)
    assert not ex.check(*[_meddler] * n_args)
    assert torch.equal(torch.rand(4), expected)  # the same stream: exact
    assert capsys.readouterr().out.count(ex.label) == 1


def test_the_decorator_restores_the_state_whatever_the_body_does(capsys):
    @exercise("97_kit", 1, "a seeding body")
    def seeding(answer):
        torch.manual_seed(0)
        torch.rand(5)
        if answer == "wrong":
            raise Wrong("no")
        if answer == "crash":
            raise ValueError("bad")

    for answer in ("right", "wrong", "crash"):
        torch.manual_seed(5)
        expected = torch.rand(2)
        torch.manual_seed(5)
        seeding(answer)
        assert torch.equal(torch.rand(2), expected)
    assert capsys.readouterr().out.splitlines()[0] == "✔ 97.1 a seeding body: passed"


def test_run_learner_turns_known_errors_into_feedback():
    def second_backward():
        x = torch.ones(2, requires_grad=True)
        y = (x * x).sum()
        y.backward()
        y.backward()

    with pytest.raises(Wrong, match="backward twice"):
        run_learner(second_backward)
    with pytest.raises(Wrong, match="mine"):
        run_learner(second_backward, errors={"second time": ("mine", "hint")})
    with pytest.raises(LearnerError, match="your function raised RuntimeError: other"):
        run_learner(lambda: (_ for _ in ()).throw(RuntimeError("other")))
    assert run_learner(lambda a, b: a + b, 1, 2) == 3


@pytest.mark.parametrize("value, message", [(None, "is None"), (torch.ones(2), "shape"), ("1.0", "str"),
                                            (True, "bool"), (float("nan"), "nan"),
                                            (torch.ones(1, requires_grad=True) * 2, "attached")])
def test_expect_number_rejects(value, message):
    with pytest.raises(Wrong, match=message):
        expect_number(value)


def test_expect_number_accepts_numbers_and_plain_scalar_tensors():
    assert expect_number(2) == 2.0 and expect_number(torch.tensor(0.5)) == 0.5


def test_train_step_is_one_plain_step_and_differing_names_what_moved():
    torch.manual_seed(0)
    model, x, y = nn.Linear(3, 2), torch.randn(8, 3), torch.tensor([0, 1] * 4)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    copy = nn.Linear(3, 2)
    copy.load_state_dict(model.state_dict())
    loss = train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), x, y)
    expected = nn.functional.cross_entropy(copy(x), y)
    expected.backward()
    with torch.no_grad():
        for p in copy.parameters():
            p -= 0.1 * p.grad
    assert loss == pytest.approx(expected.item(), rel=1e-6)
    assert differing(model, copy) == []  # a hand-written step and SGD agree within the tolerance
    assert differing(model, before) == ["weight", "bias"]
    assert len(train(model, torch.optim.SGD(model.parameters(), lr=0.1), [(x, y)] * 3)) == 3


# --- an error raised inside the learner's code is reported as theirs ------------------------------------------


def _helper_that_divides(n):
    return 1 / n


def _learner_step(n):
    return _helper_that_divides(n - 1)  # n = 1: ZeroDivisionError two calls down


def _uses_a_lost_name(x):
    return lesson_helper_from_a_cell_above(x)  # noqa: F821  (what a restarted kernel no longer has)


def _takes_one(x):
    return x


@exercise("97_kit", 2, "a step of the learner's")
def _step_checker(step):
    expect_function(step, "step")
    run_learner(step, 1, name="step")


@exercise("97_kit", 3, "calls the learner directly")
def _direct_checker(step):
    step(1)  # a checker that calls the answer itself: the decorator must still name the learner's code


@exercise("97_kit", 4, "checker that breaks on an odd answer")
def _fragile_checker(answer):
    return answer.shape  # an int has no .shape: the checker's own code fails, not the learner's


def test_run_learner_names_the_error_its_type_and_the_helper_it_came_from():
    with pytest.raises(LearnerError) as caught:
        run_learner(_learner_step, 1, name="step")
    assert caught.value.message == ("your step raised ZeroDivisionError: division by zero "
                                    "(in _helper_that_divides)")
    assert caught.value.hint.startswith("the error comes from inside your step:")
    assert "cells above" not in caught.value.hint


def test_run_learner_says_nothing_about_a_helper_when_the_called_function_raised():
    with pytest.raises(LearnerError) as caught:
        run_learner(_takes_one, 1, 2)
    assert caught.value.message.startswith("your _takes_one raised TypeError: _takes_one() takes 1 positional")
    assert "(in " not in caught.value.message


def test_run_learner_hints_pick_by_fragment_or_error_type():
    with pytest.raises(LearnerError, match="your step raised ZeroDivisionError") as caught:
        run_learner(_learner_step, 1, name="step", hints={"ZeroDivisionError": "n - 1 is zero for n = 1"})
    assert caught.value.hint == "n - 1 is zero for n = 1"
    with pytest.raises(LearnerError) as caught:
        run_learner(_learner_step, 1, name="step", hints={"no such text": "never"})
    assert caught.value.hint.startswith("the error comes from inside your step")


def test_a_lost_name_is_the_one_error_that_asks_to_run_the_cells_above_again():
    with pytest.raises(LearnerError) as caught:
        run_learner(_uses_a_lost_name, 1, name="step")
    assert caught.value.message == ("your step raised NameError: "
                                    "name 'lesson_helper_from_a_cell_above' is not defined")
    assert "`lesson_helper_from_a_cell_above` is not defined" in caught.value.hint
    assert "run the cells above again from the top" in caught.value.hint and "spelling" in caught.value.hint


@pytest.mark.parametrize("checker, line, hint", [
    (_step_checker, "✘ 97.2 a step of the learner's: your step raised ZeroDivisionError: division by zero "
                    "(in _helper_that_divides)", "hint: the error comes from inside your step"),
    (_direct_checker, "✘ 97.3 calls the learner directly: your _helper_that_divides raised ZeroDivisionError",
     "hint: the error comes from inside your _helper_that_divides"),
])
def test_the_decorator_reports_the_learners_error_as_theirs(checker, line, hint, capsys):
    assert not checker(_learner_step)
    out = capsys.readouterr().out
    assert out.startswith(line) and hint in out and "cells above" not in out, out


def test_the_decorator_keeps_run_the_cells_above_again_for_a_lost_name(capsys):
    assert not _direct_checker(_uses_a_lost_name)
    out = capsys.readouterr().out
    assert "raised NameError" in out and "run the cells above again from the top" in out


def test_the_decorator_does_not_blame_the_learners_code_or_kernel_for_a_checkers_own_failure(capsys):
    assert not _fragile_checker(3)
    out = capsys.readouterr().out
    assert out.startswith("✘ 97.4 checker that breaks on an odd answer: checking your answer raised AttributeError")
    assert "cells above" not in out and "pass exactly what the exercise asks for" in out


def test_a_stub_still_reads_not_attempted_through_run_learner(capsys):
    def stub(n):
        raise NotImplementedError("write the step here")

    result = _step_checker(stub)
    assert not result and result.status == "not attempted"
