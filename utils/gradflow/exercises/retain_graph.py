"""Checkers for lesson 06, retain_graph: backward twice, and when not to.

Each checker rebuilds its own tensors, model and data, so the learner's notebook state is never trusted
(and, as for every checker, the learner's random state is never touched).
"""

from __future__ import annotations

import torch
from torch import nn

from ..checking import Wrong, exercise, expect_function, expect_number, run_learner
from ..models import RNNCell, make_waves

LESSON = "06_retain_graph"

SECOND_BACKWARD = "Trying to backward through the graph a second time"
INPLACE = "modified by an inplace operation"


# --- exercise 1: which call fails? ---------------------------------------------------------------

#: the sequence of exercise 1: (output name, retain_graph) for calls 1, 2, 3, 4
SEQUENCE = [("e", True), ("d", False), ("d", True), ("e", False)]


def first_failing(sequence=SEQUENCE) -> int:
    """Run the backward calls of ``sequence`` on seed 001's graph; the number of the first that fails (0: none)."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        a = torch.rand(1, 4, requires_grad=True)
    c = a**2 * 2
    outputs = {"d": c.mean(), "e": c.sum()}
    for number, (name, retain) in enumerate(sequence, start=1):
        try:
            outputs[name].backward(retain_graph=retain)
        except RuntimeError as error:
            if SECOND_BACKWARD in str(error):
                return number
            raise
    return 0


@exercise(LESSON, 1, "which backward call fails")
def which_call_fails(answer):
    truth = first_failing()  # run it for real: the claim holds for the installed PyTorch
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise Wrong(f"answer with the number of the call (1, 2, 3 or 4, or 0 for none), got {type(answer).__name__}")
    hints = {
        0: "one of them fails: count which calls free the graph (those without retain_graph=True)",
        1: "call 1 is the first backward through a fresh graph: it always runs",
        2: "call 2 runs: call 1 kept the graph (retain_graph=True); call 2 uses it, then frees it",
        3: "call 3 is the first call after the graph was freed",
        4: "look earlier: retain_graph=True on call 3 cannot bring back a graph that call 2 already freed",
    }
    if answer not in hints:
        raise Wrong(f"there is no call number {answer}", "answer 1, 2, 3 or 4 (or 0 if no call fails)")
    if answer != truth:
        raise Wrong(f"call {answer} is not the first to fail", hints[answer])
    return "call 2 freed the graph; retain_graph=True on call 3 came too late"


# --- exercise 2: gradient accumulation ------------------------------------------------------------

def _accumulation_problem():
    torch.manual_seed(6)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    x, y = torch.randn(24, 3), torch.randn(24, 1)
    return model, x, y


def _full_batch_grads(model, x, y) -> list[torch.Tensor]:
    model.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    return grads


def _grads_match(grads, expected, scale=1.0) -> bool:
    """Every gradient equals ``scale`` times its expected value (a tolerance: two computations)."""
    return all(g is not None and g.shape == e.shape and torch.allclose(g, e * scale, atol=1e-6, rtol=1e-4)
               for g, e in zip(grads, expected))


@exercise(LESSON, 2, "gradient accumulation over k micro-batches")
def accumulation(accumulate):
    expect_function(accumulate, "accumulate")
    for k in (2, 3, 4):
        model, x, y = _accumulation_problem()
        expected = _full_batch_grads(model, x, y)
        for p in model.parameters():  # stale gradients from an earlier step
            p.grad = torch.ones_like(p)
        batch_sizes, backward_calls = [], []
        pre = model.register_forward_pre_hook(lambda module, args: batch_sizes.append(args[0].shape[0]))
        post = model[0].weight.register_hook(lambda grad: backward_calls.append(1))
        try:
            accumulate(model, x, y, k)
        finally:
            pre.remove()
            post.remove()
        grads = [p.grad for p in model.parameters()]
        if any(g is None for g in grads):
            raise Wrong(f"with k={k}, some parameters have no .grad after your function",
                        "call backward() on each micro-batch's loss, and do not clear .grad after the last one")
        if batch_sizes and max(batch_sizes) > len(x) // k:
            raise Wrong(f"with k={k}, the model saw a batch of {max(batch_sizes)} rows at once",
                        f"split x and y into k micro-batches of {len(x) // k} rows (x.chunk(k)) and run each separately")
        if len(backward_calls) != k:
            raise Wrong(f"with k={k}, backward reached the model {len(backward_calls)} times, expected {k}",
                        "one backward() per micro-batch: .grad adds the pieces up for you")
        if _grads_match(grads, expected, 1.0):
            continue
        if _grads_match([g - 1 for g in grads], expected, 1.0) or _grads_match([g - 1 for g in grads], expected, float(k)):
            raise Wrong(f"with k={k}, the old gradients (all ones) are still in .grad",
                        "clear the gradients once, before the first micro-batch: model.zero_grad()")
        if _grads_match(grads, expected, float(k)):
            raise Wrong(f"with k={k}, the gradient is {k} times the full-batch gradient",
                        "each micro-batch loss is a mean over its rows: divide it by k before backward")
        raise Wrong(f"with k={k}, the accumulated gradient differs from the full-batch gradient",
                    "zero_grad() once before the loop (not inside it), then backward (loss / k) for every micro-batch")
    return "k = 2, 3 and 4 micro-batches give the full-batch gradient"


# --- exercise 3: truncated backpropagation through time --------------------------------------------

def _reference_chunks(xs, ys, mode: str):
    """Losses and final weights of SGD over the chunks; mode: 'tbptt', 'reset' (h from zeros) or 'every-step'."""
    torch.manual_seed(3)
    cell = RNNCell()
    opt = torch.optim.SGD(cell.parameters(), lr=0.1)
    h = torch.zeros(xs.shape[2], 16)
    losses = []
    for chunk_x, chunk_y in zip(xs, ys):
        h = torch.zeros_like(h) if mode == "reset" else h.detach()
        loss = 0.0
        for x, y in zip(chunk_x, chunk_y):
            h = cell(x, h.detach() if mode == "every-step" else h)
            loss = loss + nn.functional.mse_loss(cell.readout(h), y)
        loss = loss / len(chunk_x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().clone() for p in cell.parameters()]


@exercise(LESSON, 3, "fix the recurrent loop (truncated BPTT)")
def truncated_bptt(train_chunk):
    expect_function(train_chunk, "train_chunk")
    xs, ys = make_waves()
    expected_losses, expected_weights = _reference_chunks(xs, ys, "tbptt")
    torch.manual_seed(3)
    cell = RNNCell()
    opt = torch.optim.SGD(cell.parameters(), lr=0.1)
    h = torch.zeros(xs.shape[2], 16)
    losses = []
    for number, (chunk_x, chunk_y) in enumerate(zip(xs, ys), start=1):
        result = run_learner(train_chunk, cell, opt, chunk_x, chunk_y, h, errors={
            SECOND_BACKWARD: (f"chunk {number} failed: {SECOND_BACKWARD} ...",
                              "h still carries the previous chunk's (freed) graph: detach it before the chunk"),
            INPLACE: (f"chunk {number} failed: a saved tensor was {INPLACE}",
                      "retain_graph=True kept the old graph, but opt.step() changed the weights it saved; "
                      "detach h instead of retaining the graph")})
        if not (isinstance(result, tuple) and len(result) == 2):
            raise Wrong(f"train_chunk should return a pair (loss as a number, new h), got {type(result).__name__}")
        loss, h = result
        losses.append(expect_number(loss, "the first value returned (the chunk's loss)", "return loss.item(), h"))
        if not isinstance(h, torch.Tensor) or h.shape != (xs.shape[2], 16):
            raise Wrong(f"the second value returned should be the new hidden state of shape ({xs.shape[2]}, 16)",
                        "return the h of the chunk's last step")
    if torch.allclose(torch.tensor(losses), torch.tensor(expected_losses), atol=1e-5) and all(
            torch.allclose(p, e, atol=1e-6) for p, e in zip(cell.parameters(), expected_weights)):
        return "six chunks match truncated BPTT, with the state carried and detached"
    if all(torch.allclose(p, e, atol=1e-6) for p, e in zip(cell.parameters(), expected_weights)):
        raise Wrong("the weights are right but the returned losses are not each chunk's loss",
                    "return loss.item() of this chunk: the mean over its steps")
    for mode, hint in [("reset", "you restarted from zeros: carry the state, h.detach() keeps its value"),
                       ("every-step", "you cut the graph at every step: detach once per chunk, so gradients still "
                                      "flow through the steps inside the chunk")]:
        other_losses, _ = _reference_chunks(xs, ys, mode)
        if torch.allclose(torch.tensor(losses), torch.tensor(other_losses), atol=1e-5):
            raise Wrong("the losses differ from truncated BPTT", hint)
    raise Wrong("after six chunks the losses or weights differ from truncated BPTT",
                "per chunk: detach h, run the steps, loss = mean of the step losses, zero_grad, backward, step")
