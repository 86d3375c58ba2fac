"""Lesson 08's checkers from both sides (Jacobians): plausible wrong answers are rejected with the hint
that names the real cause, right answers written differently pass."""

import numpy as np
import pytest
import torch
from torch.func import grad, jacrev, vmap

from checker_helpers import WrongAnswers, rejected
from gradflow.exercises import jacobians as ex

wrong = WrongAnswers("08")


def _out(capsys):
    return capsys.readouterr().out


# --- 08.1 choose the gradient argument (Modify) -------------------------------------------------------

def _built_by_index():
    v = torch.zeros(2, 3, dtype=torch.float64)
    v[0, 2] = v[1, 0] = 1
    return v


@pytest.mark.parametrize("right", [
    torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]),
    torch.tensor([[0, 0, 1], [1, 0, 0]]),  # integers
    _built_by_index(),  # float64, written by index
    torch.eye(3)[[2, 0]],  # rows of the identity
])
def test_ex1_accepts_v_written_differently(right, capsys):
    assert ex.pick_outputs_gradient(right)
    assert "passed" in _out(capsys)


for _id, _answer, _cause, _hint, _kind in [
    ("list", [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], "should be a tensor, got list", "torch.tensor", "return"),
    ("ndarray", np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]), "should be a tensor, got ndarray", "torch.tensor",
     "return"),
    ("flat", torch.tensor([0.0, 0.0, 1.0, 1.0, 0.0, 0.0]), "shape (6,)", "exact shape", "other"),
    ("ones", torch.ones(2, 3), "Y.sum()", "weight 1 to the two outputs", "shortcut"),
    ("swapped_indices", torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
     "weight 1 on Y[0, 0] and weight 1 on Y[1, 2]", "row 0, column 2", "other"),
    ("one_based", torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]), "weight 1 on Y[0, 1]", "row 0, column 2", "other"),
    ("transposed", torch.tensor([[0, 0, 1], [1, 0, 0]]).T, "shape (3, 2)", "exact shape", "other"),
    ("one_output_only", torch.tensor([[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]), "weight 1 on Y[0, 2]", "Y[1, 0]", "narrow"),
    ("u_grad_instead", torch.tensor([3.0, 0.0, 6.0]), "v", None, "return"),
]:
    wrong.case(1, _answer, _cause, _hint, id=_id, kind=_kind)

test_ex1_rejects_mutants = wrong.rejects(1, ex.pick_outputs_gradient)


# --- 08.2 a Jacobian row by row (warm-up) ----------------------------------------------------------------

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


def _rows_columns_of_eye(f, x):  # written differently: range loop, backward, .grad copied, then cleared
    x = x.clone().detach().requires_grad_(True)
    y = f(x)
    n = y.shape[0]
    J = torch.zeros(n, x.shape[0])
    for i in range(n):
        one_hot = torch.zeros(n)
        one_hot[i] = 1.0
        y.backward(one_hot, retain_graph=True)
        J[i] = x.grad
        x.grad.zero_()
    return J


def _typo(f, x):
    x = x.detach().requires_grad_()
    y = f(x)
    return torch.stack([torch.autograd.grad(y, x, v, retain_grpah=True)[0] for v in torch.eye(y.numel())])


@pytest.mark.parametrize("right", [_rows_autograd_grad, _rows_backward, _rows_columns_of_eye])
def test_ex2_accepts_row_loops_written_differently(right, capsys):
    assert ex.jacobian_by_rows(right)
    assert "passed" in _out(capsys)


def _functional_jacobian(f, x):  # the ready-made builder: one backward per output too, so counts alone miss it
    return torch.autograd.functional.jacobian(f, x)


def _on_the_callers_x(f, x):  # no detach: the caller's x now requires grad
    x.requires_grad_()
    y = f(x)
    return torch.stack([torch.autograd.grad(y, x, grad_outputs=e, retain_graph=True)[0] for e in torch.eye(y.numel())])


def _first_function_only(f, x):  # the numbers of the seed's k at x = (2, 3), typed in
    return torch.tensor([[4.0, 3.0], [2.0, 6.0]])


for _answer, _cause, _hint, _kind in [
    (_columns, "transpose", "stack the results as rows", "other"),
    (_no_zeroing, "sum of the rows before it", "x.grad = None", "state"),
    (_forward_per_row, "f ran", "retain_graph=True", "other"),
    (_no_retain, "already freed", "retain_graph=True to every backward but the last", "other"),
    (_no_requires_grad, "nothing that requires grad", "requires_grad_()", "other"),
    (_whole_output, "without a gradient", "one-hot", "other"),
    (_jacrev, "was built by torch.func", "rows by hand", "shortcut"),
    (_functional_jacobian, "was built by torch.autograd.functional.jacobian", "rows by hand", "shortcut"),
    (_on_the_callers_x, "changed the caller's x", "x = x.detach().requires_grad_()", "state"),
    (_first_function_only, "never called f", "other functions than the notebook's", "hard-coded"),
    (_returns_list, "returned a list", "torch.stack", "return"),
    (lambda f, x: None, "returned None", None, "return"),
    (_typo, "jacobian_by_rows raised TypeError", "the error comes from inside your jacobian_by_rows", "other"),
]:
    wrong.case(2, _answer, _cause, _hint, id=getattr(_answer, "__name__", "none").strip("_<>"), kind=_kind)

test_ex2_rejects_mutants = wrong.rejects(2, ex.jacobian_by_rows)


# --- 08.3 predict the Jacobian's shape -------------------------------------------------------------------

def test_ex3_the_answer_is_what_jacrev_returns():
    weight = torch.randn(25, 10)

    def h(images):
        return images.reshape(8, 25) @ weight

    assert tuple(jacrev(h)(torch.randn(8, 1, 5, 5)).shape) == (8, 10, 8, 1, 5, 5)


@pytest.mark.parametrize("right", [(8, 10, 8, 1, 5, 5), [8, 10, 8, 1, 5, 5], torch.Size([8, 10, 8, 1, 5, 5]),
                                   tuple(np.array([8, 10, 8, 1, 5, 5]))])  # numpy integers
def test_ex3_accepts_the_shape_in_any_sequence(right, capsys):
    assert ex.jacobian_shape(right)
    assert "passed" in _out(capsys)


for _id, _answer, _cause, _hint, _kind in [
    ("input_first", (8, 1, 5, 5, 8, 10), "input's shape first", "output's shape comes first", "other"),
    ("per_image", (8, 10, 1, 5, 5), "per-image", "across images too", "narrow"),
    ("one_image", (10, 1, 5, 5), "per-image", "across images too", "narrow"),
    ("flattened", (80, 200), "flattened", "all dims kept", "other"),
    ("output", (8, 10), "output's shape", "AND per input", "other"),
    ("grad_shape", (8, 1, 5, 5), "x.grad", "AND per input", "other"),
    ("unrelated", (1, 2, 3), "the shape is not (1, 2, 3)", "output's shape followed by the input's", "other"),
    ("text", "(8, 10, 8, 1, 5, 5)", "tuple of ints", None, "return"),
    ("floats", (8.0, 10, 8, 1, 5, 5), "whole number", None, "return"),
]:
    wrong.case(3, _answer, _cause, _hint, id=_id, kind=_kind)

test_ex3_rejects_mutants = wrong.rejects(3, ex.jacobian_shape)


# --- 08.4 saliency for a batch (Make) -------------------------------------------------------------------

def _leaf(x):
    return x.detach().clone().requires_grad_()


def _saliency_grad_outputs(model, x, target):
    x = _leaf(x)
    scores = model(x)
    v = torch.zeros_like(scores)
    v[torch.arange(len(target)), target] = 1.0
    (g,) = torch.autograd.grad(scores, x, grad_outputs=v)
    return g


def _saliency_gather_backward_inputs(model, x, target):  # gather + sum, backward only into x
    x = _leaf(x)
    model(x).gather(1, target[:, None]).sum().backward(inputs=[x])
    return x.grad


def _saliency_vmap(model, x, target):  # torch.func per sample, one batched call; detached at the end
    with torch.no_grad():
        classes = model(x[:1]).shape[1]
    weights = torch.nn.functional.one_hot(target, classes).to(x.dtype)
    return vmap(grad(lambda x1, w1: (model(x1[None])[0] * w1).sum()))(x, weights).detach()


@pytest.mark.parametrize("right", [_saliency_grad_outputs, _saliency_gather_backward_inputs, _saliency_vmap])
def test_ex4_accepts_saliency_written_differently(right, capsys):
    assert ex.batch_saliency(right)
    assert "passed" in _out(capsys)


def _into_the_parameters(model, x, target):  # plain backward: adds into every parameter's .grad
    x = _leaf(x)
    model(x).gather(1, target[:, None]).sum().backward()
    return x.grad


def _zeroing_the_model(model, x, target):
    model.zero_grad()
    return _into_the_parameters(model, x, target)


def _all_classes(model, x, target):
    x = _leaf(x)
    scores = model(x)
    scores.backward(torch.ones_like(scores), inputs=[x])
    return x.grad


def _every_target(model, x, target):
    x = _leaf(x)
    (g,) = torch.autograd.grad(model(x)[:, target].sum(), x)
    return g


def _predicted_class(model, x, target):
    x = _leaf(x)
    scores = model(x)
    (g,) = torch.autograd.grad(scores.gather(1, scores.argmax(1, keepdim=True)).sum(), x)
    return g


def _mean_over_batch(model, x, target):
    x = _leaf(x)
    (g,) = torch.autograd.grad(model(x).gather(1, target[:, None]).mean(), x)
    return g


def _loss_gradient(model, x, target):
    x = _leaf(x)
    (g,) = torch.autograd.grad(torch.nn.functional.cross_entropy(model(x), target), x)
    return g


def _loop_over_samples(model, x, target):
    rows = []
    for b in range(len(x)):
        leaf = _leaf(x[b:b + 1])
        (g,) = torch.autograd.grad(model(leaf)[0, target[b]], leaf)
        rows.append(g[0])
    return torch.stack(rows)


def _on_the_callers_x(model, x, target):
    x.requires_grad_()
    (g,) = torch.autograd.grad(model(x).gather(1, target[:, None]).sum(), x)
    return g


def _no_gradient_argument(model, x, target):
    x = _leaf(x)
    model(x).backward(inputs=[x])
    return x.grad


def _flat_gradient(model, x, target):
    x = _leaf(x)
    scores = model(x)
    scores.backward(torch.ones(len(x)), inputs=[x])
    return x.grad


def _every_class_jacobian(model, x, target):
    return vmap(jacrev(lambda x1: model(x1[None])[0]))(x).detach()


def _graph_attached(model, x, target):
    x = _leaf(x)
    (g,) = torch.autograd.grad(model(x).gather(1, target[:, None]).sum(), x, create_graph=True)
    return g


def _one_forward_b_backwards(model, x, target):  # the hole: one forward, then a backward per sample
    x = _leaf(x)
    scores = model(x)
    for b in range(len(x)):
        scores[b, target[b]].backward(retain_graph=True, inputs=[x])
    return x.grad


def _two_classes_assumed(model, x, target):  # a ones-and-zeros gradient built for the first scorer's 4 classes
    x = _leaf(x)
    picks = torch.nn.functional.one_hot(target, 4).float()
    (g,) = torch.autograd.grad(model(x), x, grad_outputs=picks)
    return g


def _eval_left_on(model, x, target):  # eval() to "freeze" the model, never put back
    model.eval()
    return _saliency_grad_outputs(model, x, target)


for _answer, _cause, _hint, _kind in [
    (_into_the_parameters, "changed the model's parameter gradients", "inputs=[x_leaf]", "state"),
    (_zeroing_the_model, "changed the model's parameter gradients", "must survive", "state"),
    (_on_the_callers_x, "changed the caller's x", "x.detach().clone().requires_grad_()", "state"),
    (_all_classes, "every class score added up", "put 1 only at each sample's target class", "other"),
    (_every_target, "every sample's target", "scores.gather(1, target[:, None])", "other"),
    (_predicted_class, "predicted class (argmax)", "target[b]", "narrow"),
    (_mean_over_batch, "divided by the batch size", "use sum()", "other"),
    (_loss_gradient, "cross-entropy loss", "not the loss", "other"),
    (_loop_over_samples, "ran the model 6 times", "one forward of the whole batch", "shortcut"),
    (_one_forward_b_backwards, "ran 6 backward passes", "one backward with gradient=", "shortcut"),
    (_two_classes_assumed, "does not have the scores' shape", "(B, classes)", "hard-coded"),
    (_eval_left_on, "left the model in eval mode", "model.training", "state"),
    (_no_gradient_argument, "without a gradient", "1 at each sample's target class", "other"),
    (_flat_gradient, "does not have the scores' shape", "(B, classes)", "other"),
    (_every_class_jacobian, "a gradient for every class", "shape (B, F)", "return"),
    (_graph_attached, "still attached to the autograd graph", ".detach()", "return"),
    (lambda model, x, target: None, "is None", None, "return"),
]:
    wrong.case(4, _answer, _cause, _hint, id=getattr(_answer, "__name__", "none").strip("_<>"), kind=_kind)

test_ex4_rejects_mutants = wrong.rejects(4, ex.batch_saliency)


# --- the stubs as the lesson hands them out --------------------------------------------------------


def _jacobian_stub(f, x):
    raise NotImplementedError("one forward, then one backward per output")


def _saliency_stub(model, x, target):
    raise NotImplementedError("one backward for the whole batch")


@pytest.mark.parametrize("check, stub", [(ex.jacobian_by_rows, _jacobian_stub), (ex.batch_saliency, _saliency_stub)],
                         ids=["ex2", "ex4"])
def test_stubs_are_not_attempted(check, stub, capsys):
    assert not check(stub)
    assert "not attempted yet" in _out(capsys)
