"""Lesson 03's checkers from both sides (no_grad, inference_mode, eval): plausible wrong answers are rejected
with a hint naming the real cause, and right answers written differently from the solution pass."""

import numpy as np
import pytest
import torch

from checker_helpers import WrongAnswers, rejected
from gradflow.exercises import no_grad as ex
from gradflow.quizzes import no_grad as quiz

wrong = WrongAnswers("03")

RIGHT = dict(a=True, b=False, c=True, d=True, e=False, f=False)


def test_snippet_truth_matches_the_lesson():
    assert ex._snippet_truth() == RIGHT


# --- 03.1 predict requires_grad --------------------------------------------------------------


def test_ex1_accepts_the_right_flags_in_any_form(capsys):
    assert ex.predict_requires_grad(**RIGHT)
    assert ex.predict_requires_grad(*RIGHT.values())  # positionally, as the lesson's cell passes them
    assert capsys.readouterr().out.count("passed (6 of 6)") == 2


@pytest.mark.parametrize("change, cause", [
    (dict(c=False), "still has requires_grad=True"),      # "inside no_grad everything is off": c *is* w
    (dict(e=True), "does not re-attach"),                 # "after the block, grads are back"
    (dict(d=False, f=True), "enable_grad"),               # enable_grad ignored, inference_mode thought different
    (dict(a="True"), "should be True or False"),          # a string, not a bool
])
def test_ex1_rejects_plausible_slips(change, cause, capsys):
    rejected(lambda flags: ex.predict_requires_grad(**flags), {**RIGHT, **change}, "03.1", cause, capsys=capsys)


def test_ex1_not_attempted(capsys):
    assert not ex.predict_requires_grad(..., ..., ..., ..., ..., ...)
    assert "not attempted yet" in capsys.readouterr().out


# --- 03.2 no_grad without eval ---------------------------------------------------------------


@pytest.mark.parametrize("letter", ["b", " B ", "(b)"])
def test_ex2_accepts_the_letter_written_loosely(letter, capsys):
    assert ex.no_grad_without_eval(letter)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("letter, cause, hint", [
    ("c", "'c' is not it", "still behave as in training"),        # no_grad thought to switch the layers
    ("a", "'a' is not it", "nothing is recorded under no_grad"),  # no_grad thought to let gradients through
    ("d", "'d' is not it", "no error is raised"),
    ("z", "not an option", "read the four options"),
    (2, "should be one of the letters", "one letter in quotes"),
    (None, "got NoneType", "one letter in quotes"),
])
def test_ex2_rejects_misconceptions(letter, cause, hint, capsys):
    rejected(ex.no_grad_without_eval, letter, "03.2", cause, hint, capsys=capsys)


# --- 03.3 an evaluation function (Make) -------------------------------------------------------


def _solution(model, batches):
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in batches:
            correct += (model(x).argmax(dim=1) == y).sum().item()
            total += len(y)
    for module, training in modes:
        module.training = training
    return correct / total


@torch.no_grad()
def _decorated_with_state_dict_of_modes(model, batches):
    modes = {name: m.training for name, m in model.named_modules()}
    model.eval()
    try:
        hits = torch.cat([model(x).argmax(1).eq(y) for x, y in batches])
        return hits.float().mean()  # a 0-dim tensor without a graph is a number too
    finally:
        for name, m in model.named_modules():
            m.train(modes[name])  # train() recurses, but modules come parents first: each child is set last


@torch.inference_mode()
def _inference_mode_and_apply(model, batches):
    flags = [m.training for m in model.modules()]
    model.apply(lambda m: m.eval())
    correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in batches)
    for m, flag in zip(model.modules(), flags):
        m.training = flag
    return correct / sum(len(y) for _, y in batches)


@pytest.mark.parametrize("right", [_solution, _decorated_with_state_dict_of_modes, _inference_mode_and_apply])
def test_ex3_accepts_right_answers_written_differently(right, capsys):
    assert ex.evaluate_function(right)
    assert "passed" in capsys.readouterr().out


def _accuracy(model, batches):
    return torch.cat([(model(x).argmax(dim=1) == y).float() for x, y in batches]).mean().item()


@wrong(3, "built an autograd graph", "torch.no_grad()")
def _without_no_grad(model, batches):
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    accuracy = _accuracy(model, batches)
    for m, mode in modes:
        m.training = mode
    return accuracy


@wrong(3, "running statistics changed", "call model.eval()")
def _without_eval(model, batches):
    with torch.no_grad():
        return _accuracy(model, batches)


@wrong(3, "module 1 (BatchNorm1d) was in eval mode before evaluate and is in training mode",
       "model.train(...) switches every submodule")
def _train_was_training(model, batches):  # the recipe for a model in one mode; breaks the fine-tuned one
    was_training = model.training
    model.eval()
    with torch.no_grad():
        accuracy = _accuracy(model, batches)
    model.train(was_training)
    return accuracy


@wrong(3, "was in training mode before evaluate and is in eval mode",
       "setting model.training changes only the top module's flag")
def _top_flag_only(model, batches):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        accuracy = _accuracy(model, batches)
    model.training = was_training
    return accuracy


@wrong(3, "the model itself was in training mode before evaluate and is in eval mode",
       "leave the model in the mode it found it")
def _never_restores(model, batches):
    model.eval()
    with torch.no_grad():
        return _accuracy(model, batches)


@wrong(3, "module 1 (BatchNorm1d) was in eval mode", "model.train(...) switches every submodule")
def _always_train_after(model, batches):
    accuracy = _never_restores(model, batches)
    model.train()
    return accuracy


@wrong(3, "the mean of the per-batch accuracies", "the last batch is smaller")
def _mean_of_batch_accuracies(model, batches):
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    with torch.no_grad():
        per_batch = [(model(x).argmax(dim=1) == y).float().mean().item() for x, y in batches]
    for m, mode in modes:
        m.training = mode
    return sum(per_batch) / len(per_batch)


@wrong(3, "the number of correct predictions", "divide by the number of rows")
def _count(model, batches):
    return _solution(model, batches) * sum(len(y) for _, y in batches)


@wrong(3, "which is a percentage", "a fraction between 0 and 1")
def _percentage(model, batches):
    return 100 * _solution(model, batches)


@wrong(3, "requires_grad=False", "do not freeze the model")
def _freezes(model, batches):
    model.requires_grad_(False)
    return _solution(model, batches)


@wrong(3, "raised TypeError", "takes two arguments, the model and a list of (x, y) batches")
def _old_signature(model, x, y):
    return _solution(model, [(x, y)])


@wrong(3, "raised TypeError", "loops `for x, y in batches`")
def _loops_over_the_model(model, batches):
    for layer in model.modules():
        layer.eval()
    return sum(1 for _ in zip(*model))  # TypeError inside the learner's code


wrong.case(3, lambda model, batches: None, "evaluate's result is None", "return the accuracy")
wrong.case(3, lambda model, batches: 0.5, "expected an accuracy of", "dropout off")
wrong.case(3, None, "pass your function evaluate itself", "define `def evaluate")
test_ex3_rejects_plausible_mistakes = wrong.rejects(3, ex.evaluate_function)


def test_ex3_stub_is_not_attempted(capsys):
    def stub(model, batches):
        raise NotImplementedError

    assert not ex.evaluate_function(stub)
    assert "not attempted yet" in capsys.readouterr().out


def test_ex3_scenarios_expose_the_mistakes():
    x, y = ex.make_blobs(n_per_class=20, seed=3)
    modes = [[m.training for m in model.modules()] for _, model in ex._scenarios(x, y)]
    assert modes[0] == [True] * 6 and modes[2] == [False] * 6 and modes[1] == [True, True, False, True, True, True]


# --- 03.4 features a head can train on --------------------------------------------------------


def _cache_no_grad(backbone, x):
    with torch.no_grad():
        return backbone(x)


def _cache_clone(backbone, x):
    with torch.inference_mode():
        features = backbone(x)
    return features.clone()


@torch.no_grad()
def _cache_decorated(backbone, x):
    return backbone(x)


@pytest.mark.parametrize("right", [_cache_no_grad, _cache_clone, _cache_decorated])
def test_ex4_accepts_features_made_without_inference_tensors(right, capsys):
    assert ex.cached_features(right)
    assert "passed" in capsys.readouterr().out


@wrong(4, "still an inference tensor", "torch.no_grad()")
def _cache_inference(backbone, x):
    with torch.inference_mode():
        return backbone(x)


@wrong(4, "still an inference tensor", "made outside inference mode")
def _cache_clone_inside(backbone, x):
    with torch.inference_mode():
        return backbone(x).clone()


wrong.case(4, lambda backbone, x: backbone(x), "attached to the backbone's graph", "compute them under torch.no_grad()")
wrong.case(4, lambda backbone, x: backbone(x).detach(), "threw it away", "run the backbone under torch.no_grad()")
wrong.case(4, lambda backbone, x: _cache_no_grad(backbone, x[:3]), "shape", "return backbone(x)")
wrong.case(4, lambda backbone, x: _cache_no_grad(backbone, x).numpy(), "should return a tensor", "backbone's output")
wrong.case(4, lambda backbone: backbone, "raised TypeError", "it takes the backbone and a batch")
test_ex4_rejects_plausible_mistakes = wrong.rejects(4, ex.cached_features)


# --- the lesson's questions --------------------------------------------------------------------


def test_every_question_has_its_answer_among_its_options_and_a_why_for_each():
    questions = [quiz.eval_records, quiz.stats_unchanged, quiz.saliency, quiz.inference_fails, quiz.backward_inside,
                 *quiz.recap.questions]
    assert len(quiz.recap.questions) == 4
    for q in questions:
        assert q.answer in q.options and all(o.why for o in q.options.values())
        assert q.label.startswith("03.")


def test_a_wrong_choice_explains_its_misconception(capsys):
    assert not quiz.stats_unchanged.reveal("b")
    out = capsys.readouterr().out
    assert out.startswith("✘ 03.p5") and "no_grad stops the recording, not the layers" in out
    assert not quiz.recap.reveal(np.array(["a"]).tolist())[1]  # a short list: the rest count as not answered
