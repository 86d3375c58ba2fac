"""The checker kit: every checker keeps the learner's random state, and the helpers a checker body uses."""

import inspect

import pytest
import torch
from torch import nn

import gradflow.exercises  # noqa: F401  (registers every lesson's checkers)
from gradflow.checking import (REGISTRY, Wrong, differing, exercise, expect_number, run_learner, train,
                               train_step)

LESSON_EXERCISES = [e for lesson, found in sorted(REGISTRY.items()) if lesson[:2].isdigit() and lesson < "90"
                    for e in found]


def _meddler(*args, **kwargs):
    """A learner's function that reseeds and draws, then fails: what a checker must survive and undo."""
    torch.manual_seed(999)
    torch.rand(3)
    raise RuntimeError("boom")


def test_the_registry_holds_every_lesson():
    assert {e.lesson[:2] for e in LESSON_EXERCISES} == {f"{n:02d}" for n in range(10)}


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
    with pytest.raises(RuntimeError, match="other"):
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
