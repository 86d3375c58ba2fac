"""The checker mechanism: one line per outcome, a truth value, never a traceback."""

import torch

from gradflow.checking import (CheckResult, Wrong, exercise, expect_choice, expect_tensor, expect_value,
                               is_placeholder, REGISTRY)


@exercise("98_mechanism", 1, "square of three")
def square_of_three(answer):
    expect_value(answer, 9, "the square", hint="3 * 3")


@exercise("98_mechanism", 2, "a tensor")
def a_tensor(answer):
    expect_tensor(answer, torch.tensor([1.0, 2.0]), "t", hint="think again")


@exercise("98_mechanism", 3, "a callable")
def a_callable(fn):
    expect_value(fn(2), 4, "fn(2)")


def test_pass_prints_one_line_and_is_truthy(capsys):
    result = square_of_three(9)
    assert isinstance(result, CheckResult) and result
    assert capsys.readouterr().out == "✔ 98.1 square of three: passed\n"


def test_placeholder_is_not_attempted(capsys):
    assert not square_of_three(...)
    out = capsys.readouterr().out
    assert out.startswith("… 98.1 square of three: not attempted yet")


def test_no_argument_is_not_attempted(capsys):
    assert not square_of_three()
    assert "not attempted yet" in capsys.readouterr().out


def test_wrong_value_names_both_and_hints(capsys):
    assert not square_of_three(8)
    out = capsys.readouterr().out
    assert "✘ 98.1 square of three: the square is 8, expected 9" in out
    assert "hint: 3 * 3" in out


def test_wrong_type_is_reported_not_raised(capsys):
    assert not square_of_three("nine")
    assert "should be a number, got str" in capsys.readouterr().out


def test_learner_code_that_raises_is_reported(capsys):
    def broken(x):
        raise ValueError("boom")

    assert not a_callable(broken)
    assert "raised ValueError: boom" in capsys.readouterr().out


def test_learner_code_not_implemented_is_not_attempted(capsys):
    def stub(x):
        raise NotImplementedError

    result = a_callable(stub)
    assert not result and result.status == "not attempted"
    assert "not attempted yet" in capsys.readouterr().out


def test_tensor_expectations(capsys):
    assert a_tensor(torch.tensor([1.0, 2.0]))
    assert not a_tensor(torch.tensor([1.0, 2.0, 3.0]))
    assert "shape (3,), expected (2,)" in capsys.readouterr().out
    assert not a_tensor(torch.tensor([1.0, 2.0], requires_grad=True) * 1)
    assert "still attached to the autograd graph" in capsys.readouterr().out
    assert not a_tensor(None)
    assert "t is None" in capsys.readouterr().out
    assert not a_tensor([1.0, 2.0])
    assert "should be a tensor, got list" in capsys.readouterr().out


def test_placeholders_inside_containers():
    assert is_placeholder(...) and is_placeholder((1, ...)) and is_placeholder({"a": ...})
    assert not is_placeholder(None) and not is_placeholder(0) and not is_placeholder([1, 2])


def test_choice():
    options = {"a": "no, because x", "b": "yes"}
    expect_choice("B ", options, "b")
    for bad, text in [("a", "no, because x"), ("z", "not an option"), (3, "should be one of")]:
        try:
            expect_choice(bad, options, "b")
        except Wrong as wrong:
            assert text in wrong.message or text in (wrong.hint or "")
        else:
            raise AssertionError("expect_choice accepted a wrong answer")


def test_registry_labels():
    labels = [ex.label for ex in REGISTRY["98_mechanism"]]
    assert labels[:3] == ["98.1 square of three", "98.2 a tensor", "98.3 a callable"]


def test_result_does_not_display_in_notebooks():
    result = CheckResult(True, "passed")
    assert result._ipython_display_() is None and repr(result) == "CheckResult(passed)"


def test_expect_function_names_the_function_and_how_to_pass_it():
    from gradflow.checking import expect_function

    expect_function(len, "step")
    try:
        expect_function(3.5, "step")
    except Wrong as wrong:
        assert wrong.message == "pass your function step itself, got float"
        assert "without calling it" in wrong.hint
    else:
        raise AssertionError("a number was accepted as a function")
