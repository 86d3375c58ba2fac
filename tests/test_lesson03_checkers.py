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


def predict(flags):
    return ex.predict_requires_grad(**flags)


def test_ex1_accepts_numpy_bools(capsys):  # the issue: "should be True or False, got bool"
    np = pytest.importorskip("numpy")
    assert ex.predict_requires_grad(*(np.bool_(v) for v in RIGHT.values()))
    assert "passed" in capsys.readouterr().out


wrong.case(1, {**RIGHT, "c": False}, "look again at c", "still has requires_grad=True", id="c_off",
           kind="other")  # "inside no_grad everything is off": c *is* w
wrong.case(1, {**RIGHT, "e": True}, "look again at e", "does not re-attach", id="e_on", kind="other")
wrong.case(1, {**RIGHT, "d": False, "f": True}, "look again at d, f", "enable_grad", id="d_off_f_on", kind="other")
wrong.case(1, {**RIGHT, "d": False}, "5 of 6 right", "enable_grad", id="d_off", kind="narrow")  # the outer block wins
wrong.case(1, dict.fromkeys("abcdef", False), "look again at a, c, d", "outside no_grad", id="all_off",
           kind="hard-coded")  # "no_grad is in the snippet, so nothing requires grad"
wrong.case(1, {**RIGHT, "a": "True"}, "should be True or False, got the string 'True'", "without quotes",
           id="a_string", kind="return")
wrong.case(1, {**RIGHT, "b": 0}, "should be True or False, got a int", "Python bool", id="b_zero", kind="return")
test_ex1_rejects_mutants = wrong.rejects(1, predict)


def test_ex1_not_attempted(capsys):
    assert not ex.predict_requires_grad(..., ..., ..., ..., ..., ...)
    assert "not attempted yet" in capsys.readouterr().out


# --- 03.2 no_grad without eval ---------------------------------------------------------------


@pytest.mark.parametrize("letter", ["b", " B ", "(b)"])
def test_ex2_accepts_the_letter_written_loosely(letter, capsys):
    assert ex.no_grad_without_eval(letter)
    assert "passed" in capsys.readouterr().out


wrong.case(2, "c", "'c' is not it", "still behave as in training", kind="other")  # no_grad thought to switch the layers
wrong.case(2, "a", "'a' is not it", "nothing is recorded under no_grad", kind="other")
wrong.case(2, "d", "'d' is not it", "no error is raised", kind="other")
wrong.case(2, "z", "not an option", "read the four options", kind="other")
wrong.case(2, 2, "should be one of the letters", "one letter in quotes", kind="return")
wrong.case(2, None, "got NoneType", "one letter in quotes", kind="return")
wrong.case(2, ["b"], "got list", "one letter in quotes", kind="return")
test_ex2_rejects_mutants = wrong.rejects(2, ex.no_grad_without_eval)


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


@wrong(3, "built an autograd graph", "torch.no_grad()", kind="other")
def _without_no_grad(model, batches):
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    accuracy = _accuracy(model, batches)
    for m, mode in modes:
        m.training = mode
    return accuracy


@wrong(3, "running statistics changed", "call model.eval()", kind="other")
def _without_eval(model, batches):
    with torch.no_grad():
        return _accuracy(model, batches)


@wrong(3, "module 1 (BatchNorm1d) was in eval mode before evaluate and is in training mode",
       "model.train(...) switches every submodule", kind="state")
def _train_was_training(model, batches):  # the recipe for a model in one mode; breaks the fine-tuned one
    was_training = model.training
    model.eval()
    with torch.no_grad():
        accuracy = _accuracy(model, batches)
    model.train(was_training)
    return accuracy


@wrong(3, "was in training mode before evaluate and is in eval mode",
       "setting model.training changes only the top module's flag", kind="state")
def _top_flag_only(model, batches):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        accuracy = _accuracy(model, batches)
    model.training = was_training
    return accuracy


@wrong(3, "the model itself was in training mode before evaluate and is in eval mode",
       "leave the model in the mode it found it", kind="state")
def _never_restores(model, batches):
    model.eval()
    with torch.no_grad():
        return _accuracy(model, batches)


@wrong(3, "module 1 (BatchNorm1d) was in eval mode", "model.train(...) switches every submodule", kind="state")
def _always_train_after(model, batches):
    accuracy = _never_restores(model, batches)
    model.train()
    return accuracy


@wrong(3, "the mean of the per-batch accuracies", "the last batch is smaller", kind="narrow")
def _mean_of_batch_accuracies(model, batches):
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    with torch.no_grad():
        per_batch = [(model(x).argmax(dim=1) == y).float().mean().item() for x, y in batches]
    for m, mode in modes:
        m.training = mode
    return sum(per_batch) / len(per_batch)


@wrong(3, "the number of correct predictions", "divide by the number of rows", kind="return")
def _count(model, batches):
    return _solution(model, batches) * sum(len(y) for _, y in batches)


@wrong(3, "which is a percentage", "a fraction between 0 and 1", kind="return")
def _percentage(model, batches):
    return 100 * _solution(model, batches)


@wrong(3, "requires_grad=False", "do not freeze the model", kind="state")
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


wrong.case(3, lambda model, batches: None, "evaluate's result is None", "return the accuracy", kind="return")


@wrong(3, "gradient recording is still off for the whole program", "use `with torch.no_grad():`", kind="state")
def _set_grad_enabled_never_restored(model, batches):
    torch.set_grad_enabled(False)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    accuracy = _accuracy(model, batches)
    for m, training in modes:
        m.training = training
    return accuracy
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


@wrong(4, "still an inference tensor", "torch.no_grad()", kind="other")
def _cache_inference(backbone, x):
    with torch.inference_mode():
        return backbone(x)


@wrong(4, "still an inference tensor", "made outside inference mode", kind="other")
def _cache_clone_inside(backbone, x):
    with torch.inference_mode():
        return backbone(x).clone()


wrong.case(4, lambda backbone, x: backbone(x), "attached to the backbone's graph", "compute them under torch.no_grad()",
           kind="other")
wrong.case(4, lambda backbone, x: backbone(x).detach(), "threw it away", "run the backbone under torch.no_grad()",
           kind="symptom")
wrong.case(4, lambda backbone, x: backbone(x).data, "threw it away", "run the backbone under torch.no_grad()",
           kind="data")
wrong.case(4, lambda backbone, x: _cache_no_grad(backbone, x[:3]), "shape", "return backbone(x)", kind="narrow")
wrong.case(4, lambda backbone, x: _cache_no_grad(backbone, x).numpy(), "should return a tensor", "backbone's output",
           kind="return")
wrong.case(4, lambda backbone, x: _cache_no_grad(backbone, x).requires_grad_(), "you switched it on after the forward",
           "without requires_grad_()", id="features_switched_on", kind="other")  # the issue: told to use no_grad


@wrong(4, "gradient recording is still off for the whole program", "use `with torch.no_grad():`", kind="state")
def _cache_grad_mode_left_off(backbone, x):
    torch.set_grad_enabled(False)
    return backbone(x)


@wrong(4, "no longer requires grad: your function changed the caller's model", "a cache must leave the model",
       kind="state")
def _cache_by_freezing(backbone, x):  # no graph, but the caller's backbone stays frozen
    backbone.requires_grad_(False)
    return backbone(x)
wrong.case(4, lambda backbone: backbone, "raised TypeError", "it takes the backbone and a batch")
test_ex4_rejects_plausible_mistakes = wrong.rejects(4, ex.cached_features)


# --- the lesson's questions --------------------------------------------------------------------


def test_every_question_has_its_answer_among_its_options_and_a_why_for_each():
    questions = [quiz.eval_records, quiz.stats_unchanged, quiz.saliency, quiz.inference_fails, quiz.backward_inside,
                 *quiz.recap.questions]
    assert len(quiz.recap.questions) == 3
    for q in questions:
        assert q.answer in q.options and all(o.why for o in q.options.values())
        assert q.label.startswith("03.")


def test_a_wrong_choice_explains_its_misconception(capsys):
    assert not quiz.stats_unchanged.reveal("b")
    out = capsys.readouterr().out
    assert out.startswith("✘ 03.p3") and "no_grad stops the recording, not the layers" in out
    assert not quiz.recap.reveal(np.array(["a"]).tolist())[1]  # a short list: the rest count as not answered
