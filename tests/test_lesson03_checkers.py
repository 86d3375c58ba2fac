"""Right and specific wrong answers for lesson 03's checkers (no_grad, inference_mode, eval)."""

import torch
from torch import nn

from gradflow.exercises import no_grad as ex

RIGHT = dict(a=True, b=False, c=True, d=True, e=False, f=False)


def test_predict_requires_grad(capsys):
    assert ex.predict_requires_grad(**RIGHT)
    assert "6 of 6" in capsys.readouterr().out
    # the classic slip: thinking no_grad also switches off the parameter itself
    assert not ex.predict_requires_grad(**{**RIGHT, "c": False})
    out = capsys.readouterr().out
    assert "5 of 6 right; look again at c" in out and "still has requires_grad=True" in out
    # thinking that leaving no_grad re-attaches the result
    assert not ex.predict_requires_grad(**{**RIGHT, "e": True})
    assert "does not re-attach" in capsys.readouterr().out
    assert not ex.predict_requires_grad(**{**RIGHT, "d": False, "f": True})
    out = capsys.readouterr().out
    assert "look again at d, f" in out and "enable_grad" in out
    assert not ex.predict_requires_grad(**{**RIGHT, "a": "True"})
    assert "should be True or False" in capsys.readouterr().out


def test_predict_requires_grad_not_attempted(capsys):
    assert not ex.predict_requires_grad(..., ..., ..., ..., ..., ...)
    assert "not attempted yet" in capsys.readouterr().out


def test_no_grad_without_eval(capsys):
    assert ex.no_grad_without_eval("b")
    assert ex.no_grad_without_eval(" B ")
    assert not ex.no_grad_without_eval("c")
    assert "still behave as in training" in capsys.readouterr().out
    assert not ex.no_grad_without_eval("z")
    assert "not an option" in capsys.readouterr().out


@torch.no_grad()
def _right(model, x, y):
    mode = model.training
    correct = (model.eval()(x).argmax(1) == y).sum().item()
    model.train(mode)
    return correct / len(y)


@torch.inference_mode()
def _right_inference_mode_tensor(model, x, y):
    was_training = model.training
    model.eval()
    try:
        return (model(x).argmax(dim=1) == y).float().mean()
    finally:
        model.train(was_training)


def _without_no_grad(model, x, y):
    was_training = model.training
    model.eval()
    accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    model.train(was_training)
    return accuracy


def _without_eval(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def _always_train_after(model, x, y):
    model.eval()
    with torch.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    model.train()
    return accuracy


def _never_restores(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def _percentage(model, x, y):
    return 100 * _right(model, x, y)


def _freezes(model, x, y):
    model.requires_grad_(False)
    return _right(model, x, y)


def _returns_count(model, x, y):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        correct = (model(x).argmax(dim=1) == y).sum()
    model.train(was_training)
    return correct


def test_evaluate_function(capsys):
    assert ex.evaluate_function(_right)
    assert ex.evaluate_function(_right_inference_mode_tensor)
    capsys.readouterr()
    assert not ex.evaluate_function(_without_no_grad)
    assert "built an autograd graph" in capsys.readouterr().out
    assert not ex.evaluate_function(_without_eval)
    assert "running statistics changed" in capsys.readouterr().out
    assert not ex.evaluate_function(_always_train_after)
    assert "was in eval mode before evaluate and is in training mode" in capsys.readouterr().out
    assert not ex.evaluate_function(_never_restores)
    assert "was in training mode before evaluate and is in eval mode" in capsys.readouterr().out
    assert not ex.evaluate_function(_percentage)
    assert "percentage" in capsys.readouterr().out
    assert not ex.evaluate_function(_freezes)
    assert "requires_grad=False" in capsys.readouterr().out
    assert not ex.evaluate_function(_returns_count)
    assert "number of correct predictions" in capsys.readouterr().out
    assert not ex.evaluate_function(lambda model, x, y: 0.5)
    assert "expected an accuracy" in capsys.readouterr().out


def test_evaluate_function_stub_is_not_attempted(capsys):
    def stub(model, x, y):
        raise NotImplementedError

    assert not ex.evaluate_function(stub)
    assert "not attempted yet" in capsys.readouterr().out


def _cache_no_grad(backbone, x):
    with torch.no_grad():
        return backbone(x)


def _cache_clone(backbone, x):
    with torch.inference_mode():
        features = backbone(x)
    return features.clone()


def _cache_inference(backbone, x):
    with torch.inference_mode():
        return backbone(x)


def _cache_clone_inside(backbone, x):
    with torch.inference_mode():
        return backbone(x).clone()


def _cache_plain(backbone, x):
    return backbone(x)


def _cache_detach(backbone, x):
    return backbone(x).detach()


def test_cached_features(capsys):
    assert ex.cached_features(_cache_no_grad)
    assert ex.cached_features(_cache_clone)
    capsys.readouterr()
    assert not ex.cached_features(_cache_inference)
    assert "still an inference tensor" in capsys.readouterr().out
    assert not ex.cached_features(_cache_clone_inside)  # a clone made inside inference mode is one too
    assert "still an inference tensor" in capsys.readouterr().out
    assert not ex.cached_features(_cache_plain)
    assert "attached to the backbone's graph" in capsys.readouterr().out
    assert not ex.cached_features(_cache_detach)
    assert "threw it away" in capsys.readouterr().out
    assert not ex.cached_features(lambda backbone, x: _cache_no_grad(backbone, x[:3]))
    assert "shape" in capsys.readouterr().out


def test_snippet_truth_matches_the_lesson():
    assert ex._snippet_truth() == RIGHT
