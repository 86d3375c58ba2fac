"""Recorded predictions and multiple choice (gradflow.predict), and the status line they print."""

import numpy as np
import pytest
import torch

from gradflow import status_line
from gradflow.predict import Choice, Recap, reveal

LABEL = "00.p1 out after the forward pass"


def one_line(capsys) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    assert status_line.parse_line(out.strip()) is not None, out
    return out.strip()


# --- reveal: the three line shapes -----------------------------------------------------------


def test_right_guess_prints_right_with_the_reason(capsys):
    assert reveal(LABEL, 91.5, 91.5, why="mean(75, 108) = 91.5")
    assert one_line(capsys) == "✔ 00.p1 out after the forward pass: right: 91.5, because mean(75, 108) = 91.5"


def test_wrong_guess_says_what_you_said_and_what_it_is(capsys):
    assert not reveal(LABEL, 90, 91.5, why="mean(75, 108) = 91.5")
    assert one_line(capsys) == ("✘ 00.p1 out after the forward pass: not quite: you said 90, it is 91.5, "
                                "because mean(75, 108) = 91.5")


def test_unanswered_is_calm_and_still_shows_the_answer(capsys):
    result = reveal(LABEL, ..., 91.5, why="mean(75, 108) = 91.5")
    assert not result and result.status == "no prediction yet"
    assert one_line(capsys) == ("… 00.p1 out after the forward pass: no prediction yet: it is 91.5, "
                                "because mean(75, 108) = 91.5")


def test_lines_are_machine_readable():
    text = ("✔ 00.p1 a: right: 1, because x\nnoise\n✘ 03.q12 b c: not quite: you said 2, it is 1, because y\n"
            "… 00.p2 d: no prediction yet: it is 3, because z\n✔ 00.1 a checker line: passed\n")
    found = status_line.parse(text)
    assert [(f.id, f.kind, f.state) for f in found] == [
        ("00.p1", "p", "passed"), ("03.q12", "q", "wrong"), ("00.p2", "p", "open"), ("00.1", "", "passed")]
    assert found[1].title == "b c" and found[1].lesson == "03" and found[1].text == "you said 2, it is 1, because y"
    assert found[3].is_exercise and not found[0].is_exercise


def test_a_line_whose_symbol_and_verdict_disagree_is_not_a_status_line():
    assert status_line.parse_line("✔ 00.p1 a: not quite: you said 2") is None
    assert status_line.parse_line("✔ 00.p1 a: maybe: 1") is None
    assert status_line.hint_of("    hint: look at x.grad") == "look at x.grad"


@pytest.mark.parametrize("label", ["p1 no lesson", "00.1 a checker id", "00.p1", "00.p1 a: colon"])
def test_bad_labels_are_an_authoring_error(label):
    with pytest.raises(ValueError):
        reveal(label, 1, 1, why="x")


# --- reveal: comparing each kind of answer ------------------------------------------------------


@pytest.mark.parametrize("guess", [91.5, 91, 91.52, "91.5", np.float32(91.5), torch.tensor(91.5), torch.tensor([91.5])])
def test_numbers_compare_with_a_tolerance(guess, capsys):
    right = reveal(LABEL, guess, 91.5, why="x")
    assert bool(right) == (guess != 91), capsys.readouterr().out  # 0.5 % off is not a rounding of 91.5


def test_tolerance_is_the_authors_choice(capsys):
    assert reveal(LABEL, 0.3333, 1 / 3, why="x")
    assert not reveal(LABEL, 0.3333, 1 / 3, why="x", rtol=0, atol=1e-9)


@pytest.mark.parametrize("guess", [[15, 18], (15.0, 18.0), torch.tensor([15.0, 18.0]), np.array([15, 18]),
                                   torch.tensor([15.0, 18.0], requires_grad=True)])
def test_tensors_compare_by_value_and_shape(guess, capsys):
    assert reveal("00.p2 a.grad", guess, torch.tensor([15.0, 18.0]), why="3 (a + 3)")
    assert "right: [15, 18]" in capsys.readouterr().out


def test_tensor_of_the_wrong_shape_or_value_is_not_quite(capsys):
    assert not reveal("00.p2 a.grad", [15, 18, 0], torch.tensor([15.0, 18.0]), why="3 (a + 3)")
    assert "shape (3,), the answer (2,)" in capsys.readouterr().out
    assert not reveal("00.p2 a.grad", [30, 36], torch.tensor([15.0, 18.0]), why="3 (a + 3)")
    assert "you said [30, 36], it is [15, 18]" in capsys.readouterr().out


def test_shapes(capsys):
    assert reveal("01.p1 shape", (2, 3), torch.Size([2, 3]), why="x")
    assert reveal("01.p1 shape", [2, 3], (2, 3), why="x")
    assert not reveal("01.p1 shape", (3, 2), torch.Size([2, 3]), why="x")
    assert "you said (3, 2), it is (2, 3)" in capsys.readouterr().out


def test_names_ignore_case_and_order(capsys):
    assert reveal("00.p3 leaves", "A", "a", why="x")
    assert reveal("00.p3 leaves", ["B", "a"], ["a", "b"], why="x")
    assert reveal("00.p3 leaves", "a, b", ["a", "b"], why="x")
    assert not reveal("00.p3 leaves", ["a"], ["a", "b"], why="x")
    assert "you said [a], it is [a, b]" in capsys.readouterr().out


def test_true_false_and_none(capsys):
    assert reveal("00.p4 kept", False, False, why="x")
    assert reveal("00.p4 kept", np.bool_(True), True, why="x")
    assert reveal("00.p4 kept", torch.tensor(True), True, why="x")
    assert not reveal("00.p4 kept", 1, True, why="x")
    assert "answer with True or False: you gave a number" in capsys.readouterr().out
    assert reveal("00.p5 grad", None, None, why="x")
    assert not reveal("00.p5 grad", 0, None, why="x")


class Unprintable:
    def __repr__(self):
        raise RuntimeError("no repr")

    def __eq__(self, other):
        raise RuntimeError("no eq")


@pytest.mark.parametrize("guess", [None, "ninety", object(), Unprintable(), [1, [2, 3]], {"a": 1}, [..., 2], torch.ones(2, 2),
                                   lambda: 1, float("nan")])
@pytest.mark.parametrize("actual", [91.5, torch.tensor([15.0, 18.0]), "a", ["a", "b"], True, None, torch.Size([2])])
def test_never_crashes_and_always_prints_one_line(guess, actual, capsys):
    result = reveal("00.p9 anything", guess, actual, why="because")
    line = one_line(capsys)
    assert result.status in {"right", "not quite", "no prediction yet"}
    assert "it is" in line or "right" in line  # the answer is always shown


def test_a_long_or_multiline_guess_stays_one_short_line(capsys):
    assert not reveal(LABEL, "x\n" * 500, 91.5, why="x")
    assert len(one_line(capsys)) < 200


def test_a_placeholder_inside_a_list_is_no_prediction_yet(capsys):
    assert reveal("00.p2 a.grad", [..., 18], torch.tensor([15.0, 18.0]), why="x").status == "no prediction yet"


# --- multiple choice ---------------------------------------------------------------------------


def _choice():
    return Choice("00.p4 what b.grad holds", "After backward, what does b.grad hold?", {
        "a": ("tensor([15., 18.])", "backward fills .grad only for leaves, and b is not one"),
        "b": ("None", "b is not a leaf: its gradient flowed through but was not kept"),
        "c": ("an error is raised", "reading .grad never raises; it warns and gives None"),
    }, answer="b")


@pytest.mark.parametrize("answer", ["b", "B", " (b) ", "b)", "none", None])
def test_choice_accepts_the_right_option_written_several_ways(answer, capsys):
    assert _choice().reveal(answer)
    assert one_line(capsys).startswith("✔ 00.p4 what b.grad holds: right: (b) None, because b is not a leaf")


def test_choice_wrong_option_explains_its_misconception(capsys):
    assert not _choice().reveal("a")
    line = one_line(capsys)
    assert "not quite: you said (a), but backward fills .grad only for leaves" in line
    assert "it is (b) None, because" in line


@pytest.mark.parametrize("answer", ["z", 2, "tensor", ["b"], torch.tensor(1.0)])
def test_choice_with_an_answer_that_is_no_option(answer, capsys):
    assert not _choice().reveal(answer)
    line = one_line(capsys)
    assert "not one of the letters a, b, c" in line and "it is (b) None" in line


def test_choice_option_named_by_the_head_of_its_text(capsys):
    choice = Choice("00.p4 t", "q?", {"a": ("None, and a warning", "right"), "b": ("zeros: a tensor", "wrong")}, "a")
    assert choice.reveal("none") and not choice.reveal("zeros")
    assert "you said (b), but wrong" in capsys.readouterr().out


@pytest.mark.parametrize("answer", ["b", "a", ...])
def test_a_question_drawn_from_the_guide_points_at_its_entry_in_every_verdict(answer, capsys):
    drawn = _choice()
    drawn.guide = "01.01"
    drawn.reveal(answer)
    assert one_line(capsys).endswith("(in the wild: field guide entry 01.01)")
    _choice().reveal(answer)
    assert "field guide" not in one_line(capsys)


def _starts_with_none():
    """03.q2's shape: one option's text begins with "none", none is exactly "None"."""
    return Choice("03.q2 no_grad inside forward", "Which layers get a gradient?", {
        "b": ("only the layers after the block", "right"),
        "d": ("none: the whole forward pass is unrecorded", "only the block ran under no_grad"),
    }, answer="b")


@pytest.mark.parametrize("choice", [_starts_with_none(), Choice(
    "00.p4 t", "q?", {"a": ("None, and a warning", "right"), "b": ("zeros: a tensor", "wrong")}, "a")])
def test_python_none_is_no_answer_unless_an_option_is_exactly_none(choice, capsys):
    result = choice.reveal(None)
    assert not result and result.status == "no prediction yet"
    assert one_line(capsys).startswith(f"… {choice.label}: no prediction yet: it is ")


def test_python_none_names_the_option_whose_text_is_exactly_none(capsys):
    assert _choice().letter(None) == "b" and _starts_with_none().letter(None) is None
    assert _choice().reveal(None)
    assert one_line(capsys).startswith("✔ 00.p4 what b.grad holds: right: (b) None")


def test_python_none_in_a_recap_is_an_unanswered_question(capsys):
    recap = Recap("03 recap", [_starts_with_none(), _choice()])
    results = recap.reveal([None, "b"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("… 03.q2 no_grad inside forward: no prediction yet")
    assert lines[1].startswith("✔ 00.p4") and [r.status for r in results] == ["no prediction yet", "right"]


@pytest.mark.parametrize("guess, note", [
    ([576, "none"], "answer with a list of numbers: you gave a list in which 'none' is a string, not a number"),
    ([576, None], "answer with a list of numbers: you gave a list in which None is not a number"),
    ((576, "0", 1), "answer with a list of numbers: you gave a list in which '0' is a string, not a number"),
    ([[1, 2], [3]], "answer with a list of numbers: you gave a ragged list (its rows differ in length)"),
    ([], "you gave an empty list"),
])
def test_a_list_guess_that_is_not_numbers_is_told_what_is_wrong(guess, note, capsys):
    assert not reveal("03.p3 grads of the two layers", guess, torch.tensor([576.0, 0.0]), why="x")
    line = one_line(capsys)
    assert line.startswith("✘ 03.p3 grads of the two layers: not quite:") and note in line, line
    assert "you gave a list of numbers" not in line


def test_choice_unanswered(capsys):
    assert _choice().reveal(...).status == "no prediction yet"
    assert one_line(capsys).startswith("… 00.p4 what b.grad holds: no prediction yet: it is (b) None")


def test_choice_static_form_lists_question_and_options_never_the_answer():
    bundle = _choice()._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    for text in bundle.values():
        assert "After backward, what does b.grad hold?" in text
        assert "tensor([15., 18.])" in text and "an error is raised" in text
        assert "b is not a leaf" not in text and "misconception" not in text and "right" not in text
    assert "<li><b>(a)</b>" in bundle["text/html"]


def test_choice_answer_must_be_an_option():
    with pytest.raises(ValueError):
        Choice("00.p4 t", "q?", {"a": ("x", "y"), "b": ("x", "y")}, answer="c")


def test_recap_reveals_one_line_per_question(capsys):
    recap = Recap("Recap", [_choice(), Choice("00.q2 second", "Two?", {"a": ("1", "no"), "b": ("2", "yes")}, "b")])
    results = recap.reveal(["b", "a"])
    assert [r.status for r in results] == ["right", "not quite"]
    assert [f.id for f in status_line.parse(capsys.readouterr().out)] == ["00.p4", "00.q2"]
    assert [r.status for r in recap.reveal(...)] == ["no prediction yet"] * 2
    assert [r.status for r in recap.reveal(["b"])] == ["right", "no prediction yet"]
    assert [r.status for r in recap.reveal("b, b")] == ["right", "right"]
    assert [r.status for r in recap.reveal(42)] == ["not quite", "no prediction yet"]
    text = recap._repr_mimebundle_()["text/plain"]
    assert "1. After backward" in text and "2. Two?" in text and "yes" not in text


# --- every lesson's questions (gradflow.quizzes) -------------------------------------------------


def _lesson_choices():
    import importlib
    import pkgutil

    import gradflow.quizzes as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"gradflow.quizzes.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, Choice):
                yield f"{info.name}.{name}", value
            elif isinstance(value, Recap):
                yield from ((f"{info.name}.{name}[{i}]", q) for i, q in enumerate(value.questions))


@pytest.mark.parametrize("name, choice", list(_lesson_choices()), ids=lambda v: v if isinstance(v, str) else "")
def test_lesson_questions_have_misconception_options_and_hide_the_answer(name, choice):
    assert len(choice.options) >= 3, "at least two wrong options, each a real misconception"
    whys = [o.why for o in choice.options.values()]
    assert all(len(w) > 20 for w in whys) and len(set(whys)) == len(whys), "each option explains itself"
    shown = "\n".join(choice._repr_mimebundle_().values())
    assert not any(w in shown for w in whys), "the static form never holds an explanation"


def test_recap_results_show_nothing_when_a_cell_ends_with_them(capsys):
    from gradflow.quizzes import autograd_refresher as lesson

    results = lesson.recap.reveal(...)
    assert results._ipython_display_() is None and len(results) == len(lesson.recap.questions)


@pytest.mark.parametrize("guess, right", [((True, False), True), ([True, False], True), ((True, True), False),
                                          ((1, 0), False), ("True, False", False), ((True,), False)])
def test_reveal_compares_a_tuple_of_truth_values_element_by_element(guess, right, capsys):
    from gradflow.predict import reveal

    assert bool(reveal("00.p9 flags", guess, (True, False), why="x")) is right
    out = capsys.readouterr().out
    assert out.startswith("✔" if right else "✘") and "Traceback" not in out
