"""Checkers for lesson 06, retain_graph: backward twice, and when not to.

Each checker rebuilds its own tensors, model and data, so the learner's notebook state is never trusted
(and, as for every checker, the learner's random state is never touched).
"""

from __future__ import annotations

import numbers

import torch
from torch import nn

from ..checking import Wrong, exercise, expect_function, expect_number, run_learner
from ..graph import build_graph
from ..memory import footprint_of, graph_footprint
from ..models import RNNCell, TwoStateCell, make_waves

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
    if isinstance(answer, torch.Tensor) and answer.numel() == 1 and not answer.requires_grad:
        answer = answer.item()
    if isinstance(answer, numbers.Real) and not isinstance(answer, bool) and float(answer).is_integer():
        answer = int(answer)  # 3, 3.0, numpy.int64(3): the same number
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise Wrong(f"answer with the number of the call (1, 2, 3 or 4, or 0 for none), got {answer!r}"
                    if isinstance(answer, (str, float)) else
                    f"answer with the number of the call (1, 2, 3 or 4, or 0 for none), got {type(answer).__name__}",
                    "a whole number without quotes, for example first_failing_call = 1")
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


def _weighted_grads(model, x, y, sizes, weight) -> list[torch.Tensor]:
    """The gradients of sum over micro-batches of weight(rows) * mean loss: a mistake's result, for naming it."""
    model.zero_grad()
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        (nn.functional.mse_loss(model(xp), yp) * weight(len(xp))).backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    return grads


#: micro-batch sizes the checker tries (24 rows): unequal first, so that a plain 1/k weighting shows
ACCUMULATION_SIZES = ([16, 8], [5, 7, 3, 9], [12, 12])


@exercise(LESSON, 2, "gradient accumulation over unequal micro-batches")
def accumulation(accumulate):
    expect_function(accumulate, "accumulate")
    for sizes in ACCUMULATION_SIZES:
        model, x, y = _accumulation_problem()
        expected = _full_batch_grads(model, x, y)
        k = len(sizes)
        per_k = _weighted_grads(model, x, y, sizes, lambda rows: 1 / k)
        unweighted = _weighted_grads(model, x, y, sizes, lambda rows: 1.0)
        for p in model.parameters():  # stale gradients from an earlier step
            p.grad = torch.ones_like(p)
        batch_sizes, backward_calls = [], []
        pre = model.register_forward_pre_hook(lambda module, args: batch_sizes.append(args[0].shape[0]))
        post = model[0].weight.register_hook(lambda grad: backward_calls.append(1))
        try:
            run_learner(accumulate, model, x, y, list(sizes), name="accumulate", errors={SECOND_BACKWARD: (
                f"with sizes {sizes}, your function raised: {SECOND_BACKWARD}",
                "a backward walked a graph that an earlier backward freed: give every micro-batch its own forward "
                "pass and loss")})
        finally:
            pre.remove()
            post.remove()
        grads = [p.grad for p in model.parameters()]
        if any(g is None for g in grads):
            raise Wrong(f"with sizes {sizes}, some parameters have no .grad after your function",
                        "call backward() on each micro-batch's loss, and do not clear .grad after the last one")
        if sorted(batch_sizes) != sorted(sizes):
            raise Wrong(f"with sizes {sizes}, the model saw batches of {batch_sizes} rows",
                        "cut x and y with x.split(sizes): pieces of exactly those sizes (x.chunk(k) makes equal ones)")
        if len(backward_calls) != k:
            raise Wrong(f"with sizes {sizes}, backward reached the model {len(backward_calls)} times, expected {k}",
                        "one backward() per micro-batch: .grad adds the pieces up for you")
        if _grads_match(grads, expected, 1.0):
            continue
        stale = [g - 1 for g in grads]
        if any(_grads_match(stale, ref) for ref in (expected, per_k, unweighted)):
            raise Wrong(f"with sizes {sizes}, the old gradients (all ones) are still in .grad",
                        "clear the gradients once, before the first micro-batch: model.zero_grad()")
        if _grads_match(grads, per_k):
            raise Wrong(f"with sizes {sizes}, every micro-batch weighed the same (loss / k): its {min(sizes)} rows "
                        f"counted as much as its {max(sizes)}",
                        "a micro-batch's mean loss stands for its rows only: scale it by len(x_part) / len(x)")
        if _grads_match(grads, unweighted):
            raise Wrong(f"with sizes {sizes}, the gradient is the sum of the micro-batches' mean-loss gradients",
                        "scale each micro-batch's mean loss by its share of the rows, len(x_part) / len(x), "
                        "before backward")
        raise Wrong(f"with sizes {sizes}, the accumulated gradient differs from the full-batch gradient",
                    "zero_grad() once before the loop (not inside it), then backward (loss * len(x_part) / len(x)) "
                    "for every micro-batch")
    return "micro-batches of 16 + 8, 5 + 7 + 3 + 9 and 12 + 12 rows give the full-batch gradient"


# --- exercise 3: truncated backpropagation through time --------------------------------------------

def _reference_chunks(xs, ys, mode: str):
    """Losses and final weights of SGD over the chunks; mode: 'tbptt', 'reset' (h from zeros), 'every-step'
    or 'no-zero-grad' (truncated BPTT with gradients piling up across chunks)."""
    torch.manual_seed(3)
    cell = RNNCell()
    opt = torch.optim.SGD(cell.parameters(), lr=0.1)
    h = torch.zeros(xs.shape[2], 16)
    losses = []
    for chunk_x, chunk_y in zip(xs, ys):
        loss, h = _reference_chunk(cell, opt, chunk_x, chunk_y, h, mode, lambda: torch.zeros(xs.shape[2], 16))
        losses.append(loss)
    return losses, [p.detach().clone() for p in cell.parameters()]


def _detached(state):
    """A recurrent state cut from its history: one tensor, or each tensor of a tuple."""
    return state.detach() if isinstance(state, torch.Tensor) else tuple(s.detach() for s in state)


def _reference_chunk(cell, opt, chunk_x, chunk_y, state, mode: str, fresh):
    """One chunk of truncated BPTT, or of the mistake ``mode`` names (``fresh()`` makes the state 'reset' starts
    from); the chunk's loss as a number and the state after it."""
    state = fresh() if mode == "reset" else _detached(state)
    loss = 0.0
    for x, y in zip(chunk_x, chunk_y):
        state = cell(x, _detached(state) if mode == "every-step" else state)
        loss = loss + nn.functional.mse_loss(cell.readout(state), y)
    loss = loss / len(chunk_x)
    if mode != "no-zero-grad":
        opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item(), state


@exercise(LESSON, 3, "fix the recurrent loop (truncated BPTT)")
def truncated_bptt(train_chunk):
    expect_function(train_chunk, "train_chunk")
    xs, ys = make_waves()
    expected_losses, expected_weights = _reference_chunks(xs, ys, "tbptt")
    torch.manual_seed(3)
    cell = RNNCell()
    opt = torch.optim.SGD(cell.parameters(), lr=0.1)
    start = [p.detach().clone() for p in cell.parameters()]
    h = torch.zeros(xs.shape[2], 16)
    losses = []
    for number, (chunk_x, chunk_y) in enumerate(zip(xs, ys), start=1):
        h_in = h
        result = run_learner(train_chunk, cell, opt, chunk_x, chunk_y, h, name="train_chunk", errors={
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
        if number > 1 and torch.equal(h.detach(), h_in.detach()):
            raise Wrong(f"after chunk {number}, the h you returned is the h you were given",
                        "return the h of the chunk's last step: the one the cell computed")
        if graph_footprint(h, exclude=[cell, xs, ys, h_in]).bytes > 0:
            raise Wrong(f"after chunk {number}, the graph behind your h still holds its saved tensors",
                        "retain_graph=True keeps every chunk's activations alive for nothing: detach h at the start "
                        "of the chunk and call backward() without retain_graph")
    if all(torch.equal(p.detach(), s) for p, s in zip(cell.parameters(), start)):
        raise Wrong("after six chunks the weights have not moved",
                    "zero_grad, then backward, then opt.step(): step must come after backward")
    if torch.allclose(torch.tensor(losses), torch.tensor(expected_losses), atol=1e-5) and all(
            torch.allclose(p, e, atol=1e-6) for p, e in zip(cell.parameters(), expected_weights)):
        return "six chunks match truncated BPTT, with the state carried and detached"
    if all(torch.allclose(p, e, atol=1e-6) for p, e in zip(cell.parameters(), expected_weights)):
        raise Wrong("the weights are right but the returned losses are not each chunk's loss",
                    "return loss.item() of this chunk: the mean over its steps")
    for mode, hint in [("reset", "you restarted from zeros: carry the state, h.detach() keeps its value"),
                       ("every-step", "you cut the graph at every step: detach once per chunk, so gradients still "
                                      "flow through the steps inside the chunk"),
                       ("no-zero-grad", "the gradients of earlier chunks piled up in .grad: opt.zero_grad() before "
                                        "each backward")]:
        other_losses, _ = _reference_chunks(xs, ys, mode)
        if torch.allclose(torch.tensor(losses), torch.tensor(other_losses), atol=1e-5):
            raise Wrong("the losses differ from truncated BPTT", hint)
    raise Wrong("after six chunks the losses or weights differ from truncated BPTT",
                "per chunk: detach h, run the steps, loss = mean of the step losses, zero_grad, backward, step")


# --- exercise 4 (Make): truncated BPTT for a cell with two states -----------------------------------

TWO_STATE_CHUNKS = 6


def _two_state_problem():
    """A fresh TwoStateCell, its optimizer, the waves, and a state that still carries a graph.

    The state comes from a warm-up chunk that was already backpropagated: its saved tensors are freed,
    and its gradients are still in ``.grad``. So a state that is not detached fails at once, and a step
    without ``zero_grad`` uses stale gradients.
    """
    torch.manual_seed(4)
    cell = TwoStateCell()
    opt = torch.optim.SGD(cell.parameters(), lr=0.1)
    xs, ys = make_waves(n_chunks=TWO_STATE_CHUNKS + 1, seed=2)
    state = cell.initial_state(xs.shape[2])
    warm_up = 0.0
    for x, y in zip(xs[0], ys[0]):
        state = cell(x, state)
        warm_up = warm_up + nn.functional.mse_loss(cell.readout(state), y)
    warm_up.backward()
    return cell, opt, xs[1:], ys[1:], state


def _two_state_reference(mode: str = "right"):
    """Per chunk (loss, nodes behind the returned state), and the final weights.
    mode: 'right', 'reset' (state from zeros), 'every-step' (state detached at every step), 'no-zero-grad'."""
    cell, opt, xs, ys, state = _two_state_problem()
    rows = []
    for chunk_x, chunk_y in zip(xs, ys):
        loss, state = _reference_chunk(cell, opt, chunk_x, chunk_y, state, mode,
                                       lambda: cell.initial_state(xs.shape[2]))
        rows.append((loss, graph_footprint_of_state(state, cell, xs, ys).nodes))
    return rows, [p.detach().clone() for p in cell.parameters()]


def graph_footprint_of_state(state, *exclude):
    """Nodes and saved bytes of the graph behind both tensors of a state (the model and data excluded)."""
    return footprint_of(build_graph(*state), exclude)


@exercise(LESSON, 4, "truncated BPTT for a cell with two states")
def two_state_tbptt(train_chunk2):
    expect_function(train_chunk2, "train_chunk2")
    expected, expected_weights = _two_state_reference()
    cell, opt, xs, ys, state = _two_state_problem()
    steps = []
    handle = opt.register_step_post_hook(lambda *_: steps.append(1))
    losses, nodes = [], []
    try:
        for number, (chunk_x, chunk_y) in enumerate(zip(xs, ys), start=1):
            given = state
            result = run_learner(train_chunk2, cell, opt, chunk_x, chunk_y, state, name="train_chunk2", errors={
                SECOND_BACKWARD: (f"chunk {number} failed: {SECOND_BACKWARD} ...",
                                  "the state you were given still carries the graph of the chunk before (already "
                                  "freed): detach both h and m at the start of the chunk; one is not enough"),
                INPLACE: (f"chunk {number} failed: a saved tensor was {INPLACE}",
                          "retain_graph=True kept the old graph, but opt.step() changed the weights it saved: "
                          "detach both parts of the state instead of retaining the graph")})
            if not (isinstance(result, tuple) and len(result) == 2):
                raise Wrong(f"train_chunk2 should return a pair (loss as a number, new state), "
                            f"got {type(result).__name__}", "return loss.item(), state")
            loss, state = result
            losses.append(expect_number(loss, "the first value returned (the chunk's loss)", "return loss.item(), state"))
            if not (isinstance(state, (tuple, list)) and len(state) == 2
                    and all(isinstance(s, torch.Tensor) and s.shape == given[0].shape for s in state)):
                raise Wrong(f"the second value returned should be the new state, a pair (h, m) of tensors of shape "
                            f"{tuple(given[0].shape)}", "return the state of the chunk's last step, both parts")
            state = tuple(state)
            if all(torch.equal(s.detach(), g.detach()) for s, g in zip(state, given)):
                raise Wrong(f"after chunk {number}, the state you returned is the state you were given",
                            "return the state of the chunk's last step: the one the cell computed")
            if len(steps) != number:
                raise Wrong(f"after chunk {number}, opt.step() has run {len(steps)} times",
                            "one step per chunk: zero_grad, backward, then opt.step()")
            footprint = graph_footprint_of_state(state, cell, xs, ys, *given)
            if footprint.bytes > 0:
                raise Wrong(f"after chunk {number}, the graph behind your state still holds its saved tensors",
                            "retain_graph=True is not the fix: it keeps every chunk's activations alive; detach the "
                            "state at the start of the chunk and call backward() without retain_graph")
            nodes.append(footprint.nodes)
    finally:
        handle.remove()
    if nodes[-1] > nodes[0]:
        raise Wrong(f"the graph behind your state grew from {nodes[0]} to {nodes[-1]} nodes over {len(nodes)} chunks",
                    "each chunk's graph must start at the chunk: detach both h and m first")
    weights = [p.detach().clone() for p in cell.parameters()]

    def matches(rows, final) -> bool:
        return (torch.allclose(torch.tensor(losses), torch.tensor([r[0] for r in rows]), atol=1e-5)
                and all(torch.allclose(w, e, atol=1e-6) for w, e in zip(weights, final)))

    if matches(expected, expected_weights):
        return f"{TWO_STATE_CHUNKS} chunks, no error, the graph bounded at {max(nodes)} nodes, weights as in truncated BPTT"
    for mode, hint in [("reset", "you restarted from zeros: carry the state's values, detach() keeps them"),
                       ("every-step", "you cut the graph at every step: detach once per chunk"),
                       ("no-zero-grad", "the state arrived with gradients already in .grad: opt.zero_grad() "
                                        "before backward")]:
        if matches(*_two_state_reference(mode)):
            raise Wrong("the losses and weights differ from truncated BPTT", hint)
    raise Wrong(f"after {TWO_STATE_CHUNKS} chunks the losses or weights differ from truncated BPTT",
                "per chunk: detach h and m, run the steps (state = cell(x, state)), loss = mean of "
                "mse_loss(cell.readout(state), y), then zero_grad, backward, step; return loss.item(), state")

#: what the lesson's notebook uses (its checkers); the other names serve the checkers and their tests
__all__ = ["which_call_fails", "accumulation", "truncated_bptt", "two_state_tbptt"]
