"""Checkers for lesson 08, Jacobians and ``backward(gradient=...)``."""

from __future__ import annotations

import numbers
import sys

import torch

from torch import nn

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
    if isinstance(v, (list, tuple)) or type(v).__module__ == "numpy":
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
    return "u.grad = d(Y[0, 2] + Y[1, 0])/du = [3, 0, 6]"


# --- exercise 2: a Jacobian row by row -----------------------------------------------------------

#: the files of ready-made Jacobian builders (exercise 2 asks for the rows by hand)
_BUILDERS = {"autograd/functional.py": "torch.autograd.functional.jacobian", "_functorch": "torch.func (jacrev/vmap)"}


def _builder_on_stack() -> str | None:
    """The ready-made Jacobian builder that is calling f right now, or None."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename.replace("\\", "/")
        for part, tool in _BUILDERS.items():
            if part in path:
                return tool
        frame = frame.f_back
    return None


class _Counted:
    """A test function that counts its forward calls and the backward passes through it."""

    def __init__(self, body, n_out: int):
        self.body, self.n_out = body, n_out
        self.forwards = self.backwards = 0
        self.tool: str | None = None  # a ready-made Jacobian builder found calling f, if any


    def _count_backward(self, grad):
        self.backwards += 1

    def __call__(self, x):
        self.forwards += 1
        if self.tool is None:
            self.tool = _builder_on_stack()
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
        given = x.clone()
        J = run_learner(fn, f, given, name="jacobian_by_rows", errors={
            "does not require grad": ("backward found nothing that requires grad",
                                      "x arrives without requires_grad: start with x = x.detach().requires_grad_()"),
            "second time": ("the second backward found the graph already freed",
                            "pass retain_graph=True to every backward but the last"),
            "implicitly created only for scalar": (
                "backward() was called on the whole output without a gradient",
                "give each backward a one-hot gradient: a row of torch.eye(y.numel())")})
        name = f"J for a function with {x.numel()} inputs and {n_out} outputs"
        if f.tool is not None:
            raise Wrong(f"{name} was built by {f.tool}, which called f for you",
                        "this warm-up asks for the rows by hand: one forward, then one backward per output with a "
                        "one-hot gradient (the ready-made tools come in section 5)")
        if f.forwards == 0 and J is not None:
            raise Wrong(f"jacobian_by_rows never called f, so {name} cannot come from it",
                        "the checker passes other functions than the notebook's: compute J from f and x, "
                        "y = f(x) once, then one backward per output")
        if given.requires_grad or given.grad is not None or not torch.equal(given.detach(), x):
            raise Wrong("jacobian_by_rows changed the caller's x (its requires_grad, .grad or values)",
                        "measure: print x.requires_grad after your call; start from a new leaf, "
                        "x = x.detach().requires_grad_(), and leave the caller's tensor alone")
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
                        "this exercise asks for one backward per output (jacrev does them all in one vectorised "
                        "pass: section 5)")
    return "one forward and one backward per output, rows match jacrev"


# --- exercise 3: the shape of a Jacobian ----------------------------------------------------------

_OUT, _IN = (8, 10), (8, 1, 5, 5)


@exercise(LESSON, 3, "predict the Jacobian's shape")
def jacobian_shape(shape):
    if isinstance(shape, torch.Size):
        shape = tuple(shape)
    if isinstance(shape, list):
        shape = tuple(shape)
    if not isinstance(shape, tuple):
        raise Wrong(f"give the shape as a tuple of ints, got {type(shape).__name__}", "for example (2, 3)")
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape):
        raise Wrong("every entry of the shape should be a whole number", "for example (2, 3)")
    shape = tuple(int(n) for n in shape)  # numpy integers too
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


# --- exercise 4: saliency for a batch (Make) ------------------------------------------------------

def _scorer_small() -> nn.Module:
    torch.manual_seed(8)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 4))


def _scorer_normed() -> nn.Module:
    torch.manual_seed(9)
    model = nn.Sequential(nn.Linear(7, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Linear(12, 3))
    with torch.no_grad():  # statistics of a model that has trained: eval mode uses them, samples stay independent
        model[1].running_mean.uniform_(-0.5, 0.5)
        model[1].running_var.uniform_(0.5, 2.0)
    return model.eval()


#: (model maker, batch size, input features, classes): two scorers this lesson never used
_EX4_CASES = [(_scorer_small, 6, 5, 4), (_scorer_normed, 5, 7, 3)]
_EX4_TOL = dict(rtol=1e-5, atol=1e-6)  # one batched backward against B one-sample backwards: last-bit differences


def _per_sample(model, x, pick) -> torch.Tensor:
    """Reference: for each sample alone, d pick(scores of that sample) / d x[b], one backward each."""
    rows = []
    for b in range(x.shape[0]):
        leaf = x[b:b + 1].detach().clone().requires_grad_()
        (g,) = torch.autograd.grad(pick(model(leaf)[0], b), leaf)
        rows.append(g[0])
    return torch.stack(rows)


def _saliency_mistakes(model, x, target) -> list[tuple[torch.Tensor, str, str]]:
    """(what a plausible wrong answer returns, what it is, the hint) for this model and batch."""
    B = x.shape[0]
    predicted = model(x).argmax(1)
    leaf = x.detach().clone().requires_grad_()
    scores = model(leaf)
    (all_targets,) = torch.autograd.grad(scores[:, target].sum(), leaf, retain_graph=True)
    (loss_grad,) = torch.autograd.grad(nn.functional.cross_entropy(scores, target), leaf)
    right = _per_sample(model, x, lambda s, b: s[target[b]])
    return [
        (_per_sample(model, x, lambda s, b: s.sum()), "the gradient of every class score added up",
         "a gradient of ones (or .sum() of all scores) weighs every class: put 1 only at each sample's target class"),
        (_per_sample(model, x, lambda s, b: s[predicted[b]]), "the gradient of the predicted class (argmax)",
         "the exercise asks for the target class target[b], which is not always the class the model predicts"),
        (all_targets, "each sample's gradient of the scores at every sample's target",
         "scores[:, target] is a B x B matrix (every sample scored at every target): take one entry per row, "
         "scores[torch.arange(B), target] or scores.gather(1, target[:, None])"),
        (loss_grad, "the gradient of the cross-entropy loss",
         "the exercise asks for the target score itself, not the loss"),
        (right / B, "the right gradient divided by the batch size",
         "mean() over the batch gives each sample weight 1/B: use sum(), or a gradient of ones at the targets"),
        (right.abs(), "the absolute value of the gradient", "return the gradient itself, signs included"),
    ]


@exercise(LESSON, 4, "saliency for a batch")
def batch_saliency(saliency):
    expect_function(saliency, "saliency")
    for make, B, F, C in _EX4_CASES:
        _check_saliency(saliency, make(), B, F, C)
    return "each sample's target score differentiated by its own input, with no loop over the samples, parameter gradients untouched"


def _check_saliency(saliency, model, B: int, F: int, C: int) -> None:
    g = torch.Generator().manual_seed(B * 100 + F)
    x = torch.randn(B, F, generator=g)
    with torch.no_grad():
        predicted = model(x).argmax(1)
    target = predicted.clone()
    target[::2] = (predicted[::2] + 1) % C  # half the targets differ from the prediction
    # training code calls a saliency between backward and step: gradients are already there
    for p in model.parameters():
        p.grad = torch.full_like(p, 0.5)
    grads_before = {n: p.grad.clone() for n, p in model.named_parameters()}
    modes_before = {n: m.training for n, m in model.named_modules()}
    x_before = x.clone()
    forwards, backwards = [], []

    def _seen(module, args, out):
        forwards.append(1)
        if isinstance(out, torch.Tensor) and out.requires_grad:
            try:
                out.register_hook(lambda grad: backwards.append(1))
            except RuntimeError:  # a tensor inside a torch.func transform takes no hooks
                pass

    hook = model.register_forward_hook(_seen)
    try:
        result = run_learner(saliency, model, x, target.clone(), name="saliency", errors={
            "implicitly created only for scalar": (
                "backward() was called on a batch of scores without a gradient",
                "pass gradient= with the scores' shape: 1 at each sample's target class, 0 elsewhere"),
            "does not require grad": (
                "backward found nothing that requires grad",
                "x arrives without requires_grad: work on x_leaf = x.detach().requires_grad_()"),
            "Mismatch in shape": (
                "the gradient you passed does not have the scores' shape",
                "gradient= (or grad_outputs=) must have the shape of model(x), (B, classes): "
                "1 at [b, target[b]], 0 elsewhere")})
    finally:
        hook.remove()
    changed = [n for n, p in model.named_parameters() if p.grad is None or not torch.equal(p.grad, grads_before[n])]
    if changed:
        what = "cleared" if all(p.grad is None for p in model.parameters()) else "changed"
        raise Wrong(f"saliency {what} the model's parameter gradients ({changed[0]}, ...)",
                    "the training step's gradients must survive: use torch.autograd.grad(scores, x_leaf, "
                    "grad_outputs=...), which writes no .grad, or backward(gradient=..., inputs=[x_leaf])")
    flipped = [n or "the model" for n, m in model.named_modules() if m.training != modes_before[n]]
    if flipped:
        now = "eval" if not model.get_submodule(flipped[0] if flipped[0] != "the model" else "").training else "train"
        raise Wrong(f"saliency left the model in {now} mode ({flipped[0]} changed): the training step that called it "
                    "goes on in that mode", "measure: compare model.training before and after your call; a saliency "
                    "needs no mode change, and any you make must be undone before returning")
    if x.requires_grad or x.grad is not None or not torch.equal(x, x_before):
        raise Wrong("saliency changed the caller's x (its requires_grad, .grad or values)",
                    "work on a copy: x_leaf = x.detach().clone().requires_grad_()")
    name = f"the saliency of a batch of {B} samples with {F} features"
    if isinstance(result, torch.Tensor) and result.dim() == 3 and tuple(result.shape) in {(B, C, F), (C, B, F)}:
        raise Wrong(f"{name} has shape {tuple(result.shape)}: a gradient for every class",
                    "the exercise asks only for each sample's target class: shape (B, F), like x")
    if len(forwards) >= B:  # a loop over the samples (a second call to read the class count is fine)
        raise Wrong(f"saliency ran the model {len(forwards)} times for one batch",
                    "the samples are independent: one forward of the whole batch and one backward with "
                    "gradient= 1 at each target give every sample's gradient at once")
    if len(backwards) >= B:  # one forward, then a backward per sample
        raise Wrong(f"saliency ran {len(backwards)} backward passes through the model for one batch of {B}",
                    "measure: count your backward/grad calls; the samples are independent, so one backward with "
                    "gradient= 1 at [b, target[b]] (0 elsewhere) gives every sample's row at once")
    expected = _per_sample(model, x, lambda s, b: s[target[b]])
    if isinstance(result, torch.Tensor) and not result.requires_grad and result.shape == expected.shape:
        value = result.detach().to(expected.dtype)
        if not torch.allclose(value, expected, **_EX4_TOL):
            for wrong, what, hint in _saliency_mistakes(model, x, target):
                if torch.allclose(value, wrong, **_EX4_TOL):
                    raise Wrong(f"{name} is {what}", hint)
    expect_tensor(result, expected, name,
                  "sample b's row is d model(x)[b, target[b]] / d x[b]: compare one row with a one-sample backward",
                  atol=1e-5)

#: what the lesson's notebook uses (its checkers); the other names serve the checkers and their tests
__all__ = ["pick_outputs_gradient", "jacobian_by_rows", "jacobian_shape", "batch_saliency"]
