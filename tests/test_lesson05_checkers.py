"""Right and specific wrong answers for lesson 05's checkers (clone)."""

import warnings

import numpy as np
import torch
from torch import nn

from gradflow.exercises import clone as ex


def test_real_snapshot(capsys):
    assert ex.real_snapshot(lambda m: {n: p.detach().clone() for n, p in m.named_parameters()})
    assert "passed" in capsys.readouterr().out
    assert not ex.real_snapshot(lambda m: {n: p.detach() for n, p in m.named_parameters()})
    assert "changed during training" in capsys.readouterr().out
    assert not ex.real_snapshot(lambda m: {n: p.data for n, p in m.named_parameters()})
    assert "detach().clone()" in capsys.readouterr().out
    assert not ex.real_snapshot(lambda m: {n: p.clone() for n, p in m.named_parameters()})
    assert "CloneBackward0" in capsys.readouterr().out
    assert not ex.real_snapshot(lambda m: {n: p.detach().numpy() for n, p in m.named_parameters()})
    assert "changed during training" in capsys.readouterr().out
    assert not ex.real_snapshot(lambda m: [p.detach().clone() for p in m.parameters()])
    assert "should return a dict" in capsys.readouterr().out
    assert not ex.real_snapshot(lambda m: {"weight": m.layer1.weight.detach().clone()})
    assert "no entry for 'layer1.weight'" in capsys.readouterr().out


def test_real_snapshot_accepts_numpy_copies(capsys):
    assert ex.real_snapshot(lambda m: {n: p.detach().numpy().copy() for n, p in m.named_parameters()})


def _hidden():
    torch.manual_seed(0)
    return torch.relu(nn.Linear(4, 3)(torch.randn(2, 4)))


def test_copy_out_of_graph(capsys):
    hidden = _hidden()
    assert ex.copy_out_of_graph(hidden.detach().clone(), hidden)
    assert "passed" in capsys.readouterr().out
    assert not ex.copy_out_of_graph(hidden.detach(), hidden)
    assert "shares storage" in capsys.readouterr().out
    assert not ex.copy_out_of_graph(hidden.data, hidden)
    assert "shares storage" in capsys.readouterr().out
    assert not ex.copy_out_of_graph(hidden.clone(), hidden)
    assert "still in the graph (grad_fn=CloneBackward0)" in capsys.readouterr().out
    assert not ex.copy_out_of_graph(torch.zeros_like(hidden), hidden)
    assert "does not hold the values" in capsys.readouterr().out
    assert not ex.copy_out_of_graph(hidden.detach().numpy(), hidden)
    assert "should be a Tensor" in capsys.readouterr().out


def test_torch_tensor_copy_is_accepted_but_warns_as_the_lesson_says(capsys):
    hidden = _hidden()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        copied = torch.tensor(hidden)
    assert any("detach().clone()" in str(w.message) for w in caught)
    assert ex.copy_out_of_graph(copied, hidden)


def test_trainable_copy(capsys):
    w = torch.tensor([0.5, -1.5, 2.0], requires_grad=True)
    assert ex.trainable_copy(w.detach().clone().requires_grad_(True), w)
    assert "passed" in capsys.readouterr().out
    assert not ex.trainable_copy(w.clone(), w)
    assert "not a leaf" in capsys.readouterr().out
    assert not ex.trainable_copy(w.detach(), w)
    assert "shares storage" in capsys.readouterr().out
    assert not ex.trainable_copy(w.detach().clone(), w)
    assert "requires_grad_(True)" in capsys.readouterr().out
    assert not ex.trainable_copy(w, w)
    assert "shares storage" in capsys.readouterr().out
    assert not ex.trainable_copy(torch.tensor([1, 2, 3]), w)
    assert "dtype" in capsys.readouterr().out
    assert not ex.trainable_copy(torch.zeros(3, requires_grad=True), w)
    assert "does not hold the values" in capsys.readouterr().out


def test_numpy_array_answers_are_rejected_without_crashing(capsys):
    w = torch.tensor([0.5, -1.5, 2.0], requires_grad=True)
    assert not ex.trainable_copy(np.array([0.5, -1.5, 2.0]), w)
    assert "should be a Tensor" in capsys.readouterr().out
