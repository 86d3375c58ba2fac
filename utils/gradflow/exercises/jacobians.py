"""Checkers for lesson 08, Jacobians and ``backward(gradient=...)``."""

from __future__ import annotations

import torch

from ..checking import Wrong, exercise, expect_function, expect_tensor, expect_type, run_learner

LESSON = "08_jacobians"


# --- exercise 1: the gradient argument that selects Y[0, 2] + Y[1, 0] ----------------------------

_Y_SHAPE = (2, 3)
_PICKED = torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])


def _describe_weights(v: torch.Tensor) -> str:
    """'weight 1 on Y[0, 0] and weight 2 on Y[1, 2]' for the nonzero entries of v."""
    parts = [f"weight {v[i, j].item():g} on Y[{i}, {j}]" for i, j in torch.nonzero(v).tolist()]
    return " and ".join(parts) if parts else "weight 0 on every output"


@exercise(LESSON, 1, "choose the gradient argument")
def pick_outputs_gradient(v):
    if isinstance(v, (list, tuple)):
        raise Wrong(f"v should be a tensor, got {type(v).__name__}",
                    "backward refuses a list as gradient: wrap it in torch.tensor(...)")
    expect_type(v, torch.Tensor, "v")
    if not v.is_floating_point():
        v = v.float()
    if v.shape != _Y_SHAPE and v.numel() == 6:
        raise Wrong(f"v has shape {tuple(v.shape)}, but Y has shape {_Y_SHAPE}",
                    "gradient must have the output's exact shape: one weight per element of Y, laid out like Y")
    if v.shape == _Y_SHAPE and torch.equal(v.detach(), torch.ones(_Y_SHAPE)):
        raise Wrong("v of all ones gives the gradient of Y.sum(): every output counts",
                    "give weight 1 to the two outputs you want and 0 to the others")
    if v.shape == _Y_SHAPE and not v.requires_grad and not torch.equal(v, _PICKED):
        raise Wrong(f"your v puts {_describe_weights(v)}",
                    "the sum needs weight 1 on Y[0, 2] (row 0, column 2) and on Y[1, 0] (row 1, column 0), "
                    "0 everywhere else")
    expect_tensor(v, _PICKED, "v", f"gradient must have Y's shape {_Y_SHAPE}")
    return "x.grad = d(Y[0, 2] + Y[1, 0])/dx = [3, 0, 6]"


# --- exercise 2: a Jacobian row by row -----------------------------------------------------------

class _Counted:
    """A test function that counts its forward calls and the backward passes through it."""

    def __init__(self, body, n_out: int):
        self.body, self.n_out = body, n_out
        self.forwards = self.backwards = 0

    def _count_backward(self, grad):
        self.backwards += 1

    def __call__(self, x):
        self.forwards += 1
        h = x * 1.0
        if h.requires_grad:
            h.register_hook(self._count_backward)
        return self.body(h)


def _square_body(m):  # the seed's k: J = [[2 m0, 3], [2, 2 m1]]
    return torch.stack([m[0] ** 2 + 3 * m[1], m[1] ** 2 + 2 * m[0]])


def _wide_body(x):  # 3 inputs -> 4 outputs
    return torch.stack([x[0] * x[1], x[1] * x[2], torch.sin(x[0]), x.sum() ** 2])


_CASES = [(_square_body, 2, torch.tensor([2.0, 3.0])), (_wide_body, 4, torch.tensor([0.5, -1.0, 2.0]))]


def _reference_jacobian(body, x):
    from torch.func import jacrev

    return jacrev(body)(x.clone())


@exercise(LESSON, 2, "a Jacobian row by row")
def jacobian_by_rows(fn):
    expect_function(fn, "jacobian_by_rows")
    for body, n_out, x in _CASES:
        f = _Counted(body, n_out)
        expected = _reference_jacobian(body, x)
        J = run_learner(fn, f, x.clone(), errors={
            "does not require grad": ("backward found nothing that requires grad",
                                      "x arrives without requires_grad: start with x = x.detach().requires_grad_()"),
            "second time": ("the second backward found the graph already freed",
                            "pass retain_graph=True to every backward but the last"),
            "implicitly created only for scalar": (
                "backward() was called on the whole output without a gradient",
                "give each backward a one-hot gradient: a row of torch.eye(y.numel())")})
        name = f"J for a function with {x.numel()} inputs and {n_out} outputs"
        if J is None:
            raise Wrong("jacobian_by_rows returned None", "return the stacked rows: torch.stack(rows)")
        if isinstance(J, (list, tuple)):
            raise Wrong(f"jacobian_by_rows returned a {type(J).__name__}",
                        "stack the rows into one tensor: torch.stack(rows)")
        expect_type(J, torch.Tensor, name)
        values = J.detach() if J.is_floating_point() else J.detach().float()
        if values.shape == expected.T.shape and values.shape != expected.shape:
            raise Wrong(f"{name} has shape {tuple(values.shape)}, expected {tuple(expected.shape)}",
                        "rows are outputs, columns are inputs: each backward gives one row; stack them as rows")
        square = expected.shape[0] == expected.shape[1]
        if square and values.shape == expected.shape and torch.allclose(values, expected.T, atol=1e-5) \
                and not torch.allclose(values, expected, atol=1e-5):
            raise Wrong(f"{name} is the transpose of the Jacobian",
                        "each backward gives one row (one output, all inputs): stack the results as rows, not columns")
        if values.shape == expected.shape and torch.allclose(values, expected.cumsum(0), atol=1e-5):
            raise Wrong(f"in {name} each row is the sum of the rows before it",
                        "backward adds into .grad: set x.grad = None before each row (or use torch.autograd.grad)")
        expect_tensor(J, expected, name, "compare one row with torch.func.jacrev(f)(x)[i]", atol=1e-5)
        if f.forwards > 1:
            raise Wrong(f"f ran {f.forwards} times for one Jacobian",
                        "run the forward once and keep its graph alive with retain_graph=True")
        if f.backwards != n_out:
            raise Wrong(f"{f.backwards} backward pass(es) for {n_out} outputs",
                        "this exercise asks for one backward per output (jacrev, one vectorised call, is exercise 3)")
    return "one forward and one backward per output, rows match jacrev"


# --- exercise 3: jacrev in one call ---------------------------------------------------------------

def _g(x):
    return torch.stack([x[0] * x[1], torch.sin(x[2]), x.pow(2).sum()])


_X0 = torch.tensor([1.0, 2.0, 0.5])


@exercise(LESSON, 3, "a Jacobian in one call")
def jacrev_jacobian(J_g):
    from torch.func import jacrev

    expected = jacrev(_g)(_X0.clone())
    if callable(J_g) and not isinstance(J_g, torch.Tensor):
        raise Wrong("J_g is a function, not a tensor",
                    "jacrev(g) returns a function that computes the Jacobian: call it at x0, jacrev(g)(x0)")
    if isinstance(J_g, torch.Tensor) and J_g.shape == (3,):
        raise Wrong("J_g has shape (3,): that is one row (a single vector-Jacobian product)",
                    "jacrev(g)(x0) returns the whole 3 x 3 matrix")
    if isinstance(J_g, torch.Tensor) and J_g.shape == expected.shape and not J_g.requires_grad and torch.allclose(
            J_g.float(), expected.T, atol=1e-5):
        raise Wrong("J_g is the transpose of the Jacobian", "rows are outputs: J[i, j] = d g(x)_i / d x_j")
    expect_tensor(J_g, expected, "J_g", "use jacrev(g)(x0) with the g and x0 defined in the cell", atol=1e-5)
    return "rows are the 3 outputs of g, columns its 3 inputs"


# --- exercise 4: the shape of a Jacobian ----------------------------------------------------------

_OUT, _IN = (8, 10), (8, 1, 5, 5)


@exercise(LESSON, 4, "predict the Jacobian's shape")
def jacobian_shape(shape):
    if isinstance(shape, torch.Size):
        shape = tuple(shape)
    if isinstance(shape, list):
        shape = tuple(shape)
    if not isinstance(shape, tuple):
        raise Wrong(f"give the shape as a tuple of ints, got {type(shape).__name__}", "for example (2, 3)")
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
        raise Wrong("every entry of the shape should be an int", "for example (2, 3)")
    expected = _OUT + _IN
    if shape == expected:
        return "output shape (8, 10) followed by input shape (8, 1, 5, 5)"
    if shape == _IN + _OUT:
        raise Wrong(f"{shape} puts the input's shape first", "the output's shape comes first, then the input's")
    if shape in {(10, 1, 5, 5), (8, 10, 1, 5, 5), (10, 8, 1, 5, 5)}:
        raise Wrong(f"{shape} is a per-image Jacobian",
                    "jacrev differentiates every output by every input, across images too: "
                    "the full input shape (8, 1, 5, 5) follows the full output shape")
    if shape == _OUT:
        raise Wrong(f"{shape} is the output's shape", "the Jacobian has one entry per output AND per input")
    if shape == _IN:
        raise Wrong(f"{shape} is the input's shape: the shape of x.grad after one backward (one v^T J)",
                    "the Jacobian has one entry per output AND per input")
    if shape == (80, 200) or len(shape) == 2:
        raise Wrong(f"{shape} is flattened", "jacrev does not flatten: output shape, then input shape, all dims kept")
    raise Wrong(f"the shape is not {shape}", "the Jacobian's shape is the output's shape followed by the input's")
