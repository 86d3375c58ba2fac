"""Right and specific wrong answers for lesson 08's checkers (Jacobians)."""

import torch
from torch.func import jacrev

from gradflow.exercises import jacobians as ex


def _out(capsys):
    return capsys.readouterr().out


# --- exercise 1 -----------------------------------------------------------------------------------

def test_pick_outputs_gradient_right(capsys):
    assert ex.pick_outputs_gradient(torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]))
    assert "passed" in _out(capsys)


def test_pick_outputs_gradient_wrong_answers(capsys):
    assert not ex.pick_outputs_gradient([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    assert "torch.tensor" in _out(capsys)
    assert not ex.pick_outputs_gradient(torch.tensor([0.0, 0.0, 1.0, 1.0, 0.0, 0.0]))
    assert "exact shape" in _out(capsys)
    assert not ex.pick_outputs_gradient(torch.ones(2, 3))
    assert "Y.sum()" in _out(capsys)
    assert not ex.pick_outputs_gradient(torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))
    out = _out(capsys)
    assert "weight 1 on Y[0, 0] and weight 1 on Y[1, 2]" in out and "row 0, column 2" in out
    assert not ex.pick_outputs_gradient(torch.tensor([[0, 0, 1], [1, 0, 0]]).T)
    assert "shape" in _out(capsys)


def test_pick_outputs_gradient_accepts_integer_tensor(capsys):
    assert ex.pick_outputs_gradient(torch.tensor([[0, 0, 1], [1, 0, 0]]))


# --- exercise 2 -----------------------------------------------------------------------------------

def _rows_autograd_grad(f, x):
    x = x.detach().requires_grad_()
    y = f(x)
    return torch.stack([torch.autograd.grad(y, x, v, retain_graph=True)[0] for v in torch.eye(y.numel())])


def _rows_backward(f, x):
    x = x.detach().requires_grad_()
    y = f(x)
    rows = []
    for i, v in enumerate(torch.eye(y.numel())):
        x.grad = None
        y.backward(v, retain_graph=i < y.numel() - 1)
        rows.append(x.grad.clone())
    return torch.stack(rows)


def _columns(f, x):
    return _rows_backward(f, x).T


def _no_zeroing(f, x):
    x = x.detach().requires_grad_()
    y = f(x)
    rows = []
    for v in torch.eye(y.numel()):
        y.backward(v, retain_graph=True)
        rows.append(x.grad.clone())
    return torch.stack(rows)


def _forward_per_row(f, x):
    x = x.detach().requires_grad_()
    n_out = f(x).numel()
    return torch.stack([torch.autograd.grad(f(x), x, v)[0] for v in torch.eye(n_out)])


def _no_retain(f, x):
    x = x.detach().requires_grad_()
    y = f(x)
    return torch.stack([torch.autograd.grad(y, x, v)[0] for v in torch.eye(y.numel())])


def _no_requires_grad(f, x):
    y = f(x)
    return torch.stack([torch.autograd.grad(y, x, v, retain_graph=True)[0] for v in torch.eye(y.numel())])


def _whole_output(f, x):
    x = x.detach().requires_grad_()
    f(x).backward()
    return x.grad


def _jacrev(f, x):
    return jacrev(f)(x)


def _returns_list(f, x):
    return list(_rows_autograd_grad(f, x))


def test_jacobian_by_rows_right(capsys):
    assert ex.jacobian_by_rows(_rows_autograd_grad)
    assert ex.jacobian_by_rows(_rows_backward)
    assert "passed" in _out(capsys)


def test_jacobian_by_rows_wrong_answers(capsys):
    cases = [
        (_columns, "transpose"),
        (_no_zeroing, "x.grad = None"),
        (_forward_per_row, "retain_graph=True"),
        (_no_retain, "retain_graph=True to every backward but the last"),
        (_no_requires_grad, "requires_grad_()"),
        (_whole_output, "one-hot"),
        (_jacrev, "one backward per output"),
        (_returns_list, "torch.stack"),
        (lambda f, x: None, "returned None"),
    ]
    for fn, text in cases:
        assert not ex.jacobian_by_rows(fn), fn
        out = _out(capsys)
        assert text in out, (fn, out)


def test_jacobian_by_rows_stub_is_not_attempted(capsys):
    def stub(f, x):
        raise NotImplementedError("one forward, then one backward per output")

    assert not ex.jacobian_by_rows(stub)
    assert "not attempted yet" in _out(capsys)


# --- exercise 3 -----------------------------------------------------------------------------------

def _g(x):
    return torch.stack([x[0] * x[1], torch.sin(x[2]), x.pow(2).sum()])


X0 = torch.tensor([1.0, 2.0, 0.5])


def test_jacrev_jacobian_right(capsys):
    assert ex.jacrev_jacobian(jacrev(_g)(X0))
    assert ex.jacrev_jacobian(torch.autograd.functional.jacobian(_g, X0))  # same matrix, also fine
    assert "passed" in _out(capsys)


def test_jacrev_jacobian_wrong_answers(capsys):
    assert not ex.jacrev_jacobian(jacrev(_g))
    assert "call it at x0" in _out(capsys)
    assert not ex.jacrev_jacobian(jacrev(_g)(X0).T)
    assert "transpose" in _out(capsys)
    assert not ex.jacrev_jacobian(jacrev(_g)(X0)[0])
    assert "one row" in _out(capsys)
    assert not ex.jacrev_jacobian(jacrev(_g)(X0 + 1))
    assert "x0" in _out(capsys)


# --- exercise 4 -----------------------------------------------------------------------------------

def test_jacobian_shape_right(capsys):
    assert ex.jacobian_shape((8, 10, 8, 1, 5, 5))
    assert ex.jacobian_shape([8, 10, 8, 1, 5, 5])
    assert ex.jacobian_shape(torch.Size([8, 10, 8, 1, 5, 5]))


def test_jacobian_shape_matches_jacrev():
    weight = torch.randn(25, 10)

    def h(images):
        return images.reshape(8, 25) @ weight

    assert tuple(jacrev(h)(torch.randn(8, 1, 5, 5)).shape) == (8, 10, 8, 1, 5, 5)


def test_jacobian_shape_wrong_answers(capsys):
    cases = [
        ((8, 1, 5, 5, 8, 10), "input's shape first"),
        ((8, 10, 1, 5, 5), "per-image"),
        ((80, 200), "flattened"),
        ((8, 10), "output's shape"),
        ((8, 1, 5, 5), "x.grad"),
        ((1, 2, 3), "output's shape followed by the input's"),
        ("(8, 10, 8, 1, 5, 5)", "tuple of ints"),
        ((8.0, 10, 8, 1, 5, 5), "int"),
    ]
    for answer, text in cases:
        assert not ex.jacobian_shape(answer), answer
        out = _out(capsys)
        assert text in out, (answer, out)
