"""Right and specific wrong answers for lesson 04's checkers (.data versus detach)."""

import numpy as np
import pytest
import torch

from gradflow.exercises import data_vs_detach as ex

RIGHT = {"A": False, "B": True, "C": False, "D": True}


def test_snippets_behave_as_the_lesson_says():
    assert {k: ex._raises(f) for k, f in ex.SNIPPETS.items()} == RIGHT


def test_which_raises(capsys):
    assert ex.which_raises(dict(RIGHT))
    assert "passed" in capsys.readouterr().out
    assert not ex.which_raises({**RIGHT, "A": True})
    out = capsys.readouterr().out
    assert "snippet A runs without error" in out and "version counter of its own" in out
    assert not ex.which_raises({**RIGHT, "C": True})
    assert "never saved" in capsys.readouterr().out
    assert not ex.which_raises({**RIGHT, "D": False})
    assert "snippet D raises" in capsys.readouterr().out
    assert not ex.which_raises({"A": False, "B": True})
    assert "no answer for C, D" in capsys.readouterr().out
    assert not ex.which_raises({**RIGHT, "B": "yes"})
    assert "True or False" in capsys.readouterr().out
    assert not ex.which_raises({**RIGHT, "B": ...})
    assert "not attempted yet" in capsys.readouterr().out


def _sgd(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad


def _sgd_data(params, lr):
    for p in params:
        p.data -= lr * p.grad


def _sgd_no_no_grad(params, lr):
    for p in params:
        p -= lr * p.grad


def _sgd_rebind(params, lr):
    with torch.no_grad():
        for p in params:
            p = p - lr * p.grad  # noqa: F841  (the bug under test)


def _sgd_wrong_sign(params, lr):
    with torch.no_grad():
        for p in params:
            p += lr * p.grad


def _stub(params, lr):
    raise NotImplementedError("update each parameter")


def _clip(model, c):
    with torch.no_grad():
        for p in model.parameters():
            p.clamp_(-c, c)


def _clip_data(model, c):
    for p in model.parameters():
        p.data.clamp_(-c, c)


def _clip_no_no_grad(model, c):
    for p in model.parameters():
        p.clamp_(-c, c)


def _clip_rebind(model, c):
    for p in model.parameters():
        p = p.clamp(-c, c)  # noqa: F841


def _clip_replace(model, c):
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            module.weight = torch.nn.Parameter(module.weight.detach().clamp(-c, c))
            module.bias = torch.nn.Parameter(module.bias.detach().clamp(-c, c))


@pytest.mark.parametrize("check, answer, text", [
    (ex.manual_sgd, _sgd, "passed"), (ex.manual_sgd, _sgd_data, "did you write through .data"),
    (ex.manual_sgd, _sgd_no_no_grad, "torch.no_grad()"), (ex.manual_sgd, _sgd_rebind, "did not change"),
    (ex.manual_sgd, _sgd_wrong_sign, "differ from torch.optim.SGD"), (ex.manual_sgd, _stub, "not attempted yet"),
    (ex.weight_clipping, _clip, "passed"), (ex.weight_clipping, _clip_data, "did you write through .data"),
    (ex.weight_clipping, _clip_no_no_grad, "torch.no_grad()"), (ex.weight_clipping, _clip_rebind, "was not clipped"),
    (ex.weight_clipping, _clip_replace, "replaced by a new tensor"),
], ids=lambda v: getattr(v, "__name__", None))
def test_in_place_updates(check, answer, text, capsys):
    assert bool(check(answer)) == (text == "passed")
    assert text in capsys.readouterr().out


def test_values_for_log(capsys):
    assert ex.values_for_log(lambda t: t.detach().cpu().numpy())
    assert "passed" in capsys.readouterr().out
    assert ex.values_for_log(lambda t: t.detach().numpy().copy())
    capsys.readouterr()
    assert not ex.values_for_log(lambda t: t.numpy())
    assert "detach first" in capsys.readouterr().out
    assert not ex.values_for_log(lambda t: t.detach())
    assert "returned a tensor" in capsys.readouterr().out
    assert not ex.values_for_log(lambda t: t.detach().tolist())
    assert "not a NumPy array" in capsys.readouterr().out
    assert not ex.values_for_log(lambda t: np.zeros(tuple(t.shape)))
    assert "other values" in capsys.readouterr().out


def test_values_for_log_detects_a_changed_input(capsys):
    def detach_in_place(t):
        return t.detach_().numpy()

    assert not ex.values_for_log(detach_in_place)
    assert "left the graph" in capsys.readouterr().out
