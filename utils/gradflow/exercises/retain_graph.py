"""Checkers for lesson 06, retain_graph: backward twice, and when not to.

Each checker rebuilds its own tensors, model and data, so the learner's notebook state is never trusted
(and, as for every checker, the learner's random state is never touched).
"""

from __future__ import annotations

import numbers

import torch
from torch import nn

from ..checking import (LearnerError, Wrong, exercise, expect_function, expect_number, globals_read, grad_mode_kept,
                        run_learner)
from ..graph import build_graph
from ..memory import footprint_of, graph_footprint
from ..models import TwoStateCell, make_waves

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

#: (rows, micro-batch sizes, model layout): unequal sizes first, so that a plain 1/k weighting shows; row counts
#: and models unlike the notebook's, so that a hard-coded len(x) or shape shows
ACCUMULATION_CASES = [(24, [16, 8], (3, 8, 1)), (20, [5, 7, 3, 5], (5, 6, 2)), (30, [10, 10, 10], (3, 8, 1))]


def _accumulation_problem(rows: int, layout):
    n_in, n_hidden, n_out = layout
    torch.manual_seed(6 + rows)
    model = nn.Sequential(nn.Linear(n_in, n_hidden), nn.Tanh(), nn.Linear(n_hidden, n_out))
    x, y = torch.randn(rows, n_in), torch.randn(rows, n_out)
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


def _weighted_grads(model, x, y, sizes, weight, last_only=False) -> list[torch.Tensor]:
    """The gradients of sum over micro-batches of weight(rows) * mean loss (``last_only``: the last micro-batch's
    term alone): a mistake's result, for naming it."""
    model.zero_grad()
    for xp, yp in list(zip(x.split(sizes), y.split(sizes)))[-1 if last_only else 0:]:
        (nn.functional.mse_loss(model(xp), yp) * weight(len(xp))).backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    return grads


@exercise(LESSON, 2, "gradient accumulation over unequal micro-batches")
def accumulation(accumulate):
    expect_function(accumulate, "accumulate")
    for rows, sizes, layout in ACCUMULATION_CASES:
        model, x, y = _accumulation_problem(rows, layout)
        where = f"with {rows} rows in micro-batches of {sizes}"
        expected = _full_batch_grads(model, x, y)
        k = len(sizes)
        per_k = _weighted_grads(model, x, y, sizes, lambda part: 1 / k)
        unweighted = _weighted_grads(model, x, y, sizes, lambda part: 1.0)
        last_share = _weighted_grads(model, x, y, sizes, lambda part: part / rows, last_only=True)
        for p in model.parameters():  # stale gradients from an earlier step
            p.grad = torch.ones_like(p)
        values = [p.detach().clone() for p in model.parameters()]
        x_before, y_before, versions = x.clone(), y.clone(), (x._version, y._version)
        batch_sizes, backward_calls = [], []
        pre = model.register_forward_pre_hook(  # a forward under no_grad (a logged loss) holds no graph: not counted
            lambda module, args: batch_sizes.append(args[0].shape[0]) if torch.is_grad_enabled() else None)
        post = model[0].weight.register_hook(lambda grad: backward_calls.append(1))
        try:
            with grad_mode_kept("accumulate"):
                run_learner(accumulate, model, x, y, list(sizes), name="accumulate", errors={SECOND_BACKWARD: (
                    f"{where}, your function raised: {SECOND_BACKWARD}",
                    "a backward walked a graph that an earlier backward freed: give every micro-batch its own forward "
                    "pass and loss")})
        finally:
            pre.remove()
            post.remove()
        if not model.training:
            raise Wrong(f"{where}, your function left the model in eval mode",
                        "accumulation changes nothing about the model's mode: leave model.train() as it was")
        if (x._version, y._version) != versions or not (torch.equal(x, x_before) and torch.equal(y, y_before)):
            raise Wrong(f"{where}, your function changed x or y, the caller's batch",
                        "read x and y, never write into them: split them with x.split(sizes)")
        if any(not torch.equal(p.detach(), v) for p, v in zip(model.parameters(), values)):
            raise Wrong(f"{where}, your function changed the model's parameters",
                        "accumulation only fills .grad; the optimizer's step comes after it, outside your function")
        grads = [p.grad for p in model.parameters()]
        if any(g is None for g in grads):
            raise Wrong(f"{where}, some parameters have no .grad after your function",
                        "call backward() on each micro-batch's loss, and do not clear .grad after the last one")
        if sorted(batch_sizes) != sorted(sizes):
            extra = [n for n in batch_sizes if n not in sizes]
            raise Wrong(f"{where}, the model saw batches of {batch_sizes} rows with gradient recording on",
                        f"measure: len(x_part) of each piece you pass to the model; {extra[0] if extra else 'some'}"
                        " rows is not one of the sizes asked for: cut x and y with x.split(sizes) (x.chunk(k) makes "
                        "equal pieces, and one forward over all of x keeps the whole batch's graph)")
        if len(backward_calls) != k:
            raise Wrong(f"{where}, backward reached the model {len(backward_calls)} times, expected {k}",
                        "one backward() per micro-batch: .grad adds the pieces up for you")
        if _grads_match(grads, expected, 1.0):
            continue
        stale = [g - 1 for g in grads]
        if any(_grads_match(stale, ref) for ref in (expected, per_k, unweighted)):
            raise Wrong(f"{where}, the old gradients (all ones) are still in .grad",
                        "measure: .grad minus the full-batch gradient is all ones, the gradients the model arrived "
                        "with; clear them once, before the first micro-batch: model.zero_grad()")
        if _grads_match(grads, per_k):
            raise Wrong(f"{where}, every micro-batch weighed the same (1/k each): its {min(sizes)} rows counted "
                        f"as much as its {max(sizes)}",
                        "a micro-batch's mean loss stands for its rows only: weigh it by len(x_part) / len(x) "
                        "(before backward, or as a sum over rows divided by len(x))")
        if _grads_match(grads, unweighted):
            raise Wrong(f"{where}, the gradient is the sum of the micro-batches' mean-loss gradients",
                        "scale each micro-batch's mean loss by its share of the rows, len(x_part) / len(x), "
                        "before backward")
        if _grads_match(grads, last_share):
            raise Wrong(f"{where}, .grad holds the last micro-batch's share only",
                        "measure: .grad equals what the last backward added; a zero_grad() inside the loop wipes "
                        "the micro-batches before it: clear once, before the loop")
        ratio = [float((g * e).sum() / (e * e).sum()) for g, e in zip(grads, expected)]
        if _grads_match(grads, expected, ratio[0]):
            raise Wrong(f"{where}, the accumulated gradient is {ratio[0]:.3g} times the full-batch gradient",
                        "measure: the ratio of your .grad to the full batch's; the shares of all micro-batches must "
                        "add up to 1: len(x_part) / len(x) each, with len(x) read from x, not typed in")
        raise Wrong(f"{where}, the accumulated gradient differs from the full-batch gradient",
                    "measure: compare .grad with the full batch's mse_loss(model(x), y).backward(); zero_grad() once "
                    "before the loop, then backward (loss * len(x_part) / len(x)) for every micro-batch")
    return ("micro-batches of 16 + 8, 5 + 7 + 3 + 5 and 10 + 10 + 10 rows, on two models, give the full-batch "
            "gradient")


# --- exercise 3 (Modify): per-task gradient norms on a shared trunk, one forward pass ------------------


def _task_problem(case: int):
    """A trunk, its heads, a batch and one target per head, with stale gradients planted in every .grad.
    Case 0: two tasks; case 1: three tasks, and the trunk's first bias frozen."""
    torch.manual_seed(30 + case)
    if case == 0:
        trunk = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh())
        heads = [nn.Linear(8, 1), nn.Linear(8, 2)]
        x = torch.randn(10, 5)
    else:
        trunk = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 6), nn.Tanh())
        trunk[0].bias.requires_grad_(False)
        heads = [nn.Linear(6, 1), nn.Linear(6, 3), nn.Linear(6, 1)]
        x = torch.randn(7, 4)
    targets = [torch.randn(len(x), head.out_features) for head in heads]
    for module in (trunk, *heads):
        for p in module.parameters():
            if p.requires_grad:
                p.grad = torch.randn_like(p)
    return trunk, heads, x, targets


def _trainable(trunk) -> list[torch.Tensor]:
    return [p for p in trunk.parameters() if p.requires_grad]


def _task_grads(trunk, heads, x, targets, params) -> list[list[torch.Tensor]]:
    """Per task, the gradient of its loss with respect to ``params`` (a forward pass each: the reference)."""
    return [list(torch.autograd.grad(nn.functional.mse_loss(head(trunk(x)), y), params))
            for head, y in zip(heads, targets)]


def _norm(grads) -> float:
    return torch.cat([g.flatten() for g in grads]).norm().item()


def _task_mistakes(trunk, heads, x, targets) -> dict[str, list[float]]:
    """The norms some plausible mistakes give, to name the one an answer made."""
    params = _trainable(trunk)
    per_task = _task_grads(trunk, heads, x, targets, params)
    stale = [p.grad for p in params]
    running = [torch.zeros_like(p) for p in params]
    piled = []
    for grads in per_task:
        running = [r + g for r, g in zip(running, grads)]
        piled.append(_norm(running))
    head_grads = [torch.autograd.grad(nn.functional.mse_loss(head(trunk(x)), y), params + list(head.parameters()))
                  for head, y in zip(heads, targets)]
    return {
        "piled": piled,
        "stale": [_norm([s + g for s, g in zip(stale, grads)]) for grads in per_task],
        "squared": [_norm(grads) ** 2 for grads in per_task],
        "per-parameter": [sum(g.norm().item() for g in grads) for grads in per_task],
        "heads": [_norm(grads) for grads in head_grads],
    }


#: what each mistake's norms mean, and the fix's shape (where to look first)
TASK_HINTS = {
    "piled": "measure: your second norm equals the norm of task 1's gradient plus task 2's: .grad adds up, so each "
             "backward() added to the one before; torch.autograd.grad(loss, params, retain_graph=...) returns each "
             "task's gradient on its own",
    "stale": "measure: your norms include the gradients that were already in .grad before your call: read the "
             "gradient torch.autograd.grad returns, not .grad",
    "squared": "measure: your norms are the squares of the right ones: take the square root of the sum of squares "
               "(torch.cat([g.flatten() for g in grads]).norm())",
    "per-parameter": "measure: your norms are the sums of one norm per parameter; the task asks for one norm of all "
                     "the trunk's gradients together: torch.cat([g.flatten() for g in grads]).norm()",
    "heads": "measure: your norms include the heads' gradients; differentiate with respect to the trunk's "
             "parameters only",
}


@exercise(LESSON, 3, "per-task gradient norms, one forward pass")
def task_gradient_norms(task_grad_norms):
    expect_function(task_grad_norms, "task_grad_norms")
    for case in (0, 1):
        trunk, heads, x, targets = _task_problem(case)
        n = len(heads)
        where = f"with {n} tasks"
        expected = [_norm(grads) for grads in _task_grads(trunk, heads, x, targets, _trainable(trunk))]
        mistakes = _task_mistakes(trunk, heads, x, targets)
        modules = (trunk, *heads)
        params = [p for m in modules for p in m.parameters()]
        before = [(p.detach().clone(), p.requires_grad, p.grad, None if p.grad is None else p.grad.clone())
                  for p in params]
        x_before, x_version = x.clone(), x._version
        outputs = []
        hook = trunk.register_forward_hook(lambda module, args, out: outputs.append(out))
        read = globals_read(task_grad_norms, nn.Module)
        try:
            with grad_mode_kept("task_grad_norms"):
                result = run_learner(task_grad_norms, trunk, heads, x, targets, name="task_grad_norms", errors={
                    SECOND_BACKWARD: (f"{where}, your function raised: {SECOND_BACKWARD} ...",
                                      "measure: which task's backward raised: the one after a call without "
                                      "retain_graph=True, which freed the trunk's saved tensors; retain on every "
                                      "task's backward but the last (retain_graph=i < len(heads) - 1)"),
                    "One of the differentiated Tensors does not require grad": (
                        f"{where}, your function raised: One of the differentiated Tensors does not require grad",
                        "measure: [p.requires_grad for p in trunk.parameters()]: one is frozen, and autograd.grad "
                        "refuses it; differentiate with respect to those that require grad only")})
        except Wrong as wrong:
            if read:
                raise Wrong(f"{wrong.message}; your function reads the notebook's `{read[0]}`",
                            "use the trunk and heads arguments: the checker passes its own") from None
            raise
        finally:
            hook.remove()
        if read:
            raise Wrong(f"{where}, your function reads the notebook's `{read[0]}`",
                        "use the trunk and heads arguments: the checker passes its own")
        if len(outputs) != 1:
            raise Wrong(f"{where}, the trunk ran {len(outputs)} times",
                        "one forward pass for all tasks: features = trunk(x) once, then each head on features; "
                        "retain_graph=True lets every task's backward walk the same trunk graph"
                        if outputs else "run the trunk once, features = trunk(x), and every head on those features")
        for p, (value, flag, grad, grad_value) in zip(params, before):
            if p.requires_grad != flag:
                raise Wrong(f"{where}, after your function a parameter's requires_grad is {p.requires_grad} (it was "
                            f"{flag})", "leave the flags alone: choose the parameters that require grad, do not "
                            "switch any")
            if not torch.equal(p.detach(), value):
                raise Wrong(f"{where}, after your function a parameter's values changed",
                            "measure only: no optimizer step, no in-place edit of a parameter")
            if (p.grad is None) != (grad is None) or (grad is not None and not torch.equal(p.grad, grad_value)):
                raise Wrong(f"{where}, after your function the parameters' .grad is not what it was (the caller's "
                            "gradients were changed)",
                            "measure: p.grad before and after your call; backward() adds into .grad (and "
                            "zero_grad() wipes the caller's): torch.autograd.grad(loss, params, retain_graph=...) "
                            "returns each gradient and leaves .grad alone")
        if x._version != x_version or not torch.equal(x, x_before):
            raise Wrong(f"{where}, your function changed x, the caller's batch", "read x, never write into it")
        if isinstance(result, (int, float, torch.Tensor)) and not isinstance(result, bool):
            raise Wrong(f"{where}, your function returned one {type(result).__name__}, not a list of {n} norms",
                        "one norm per task, in the order of heads: return a list")
        if not isinstance(result, (list, tuple)):
            raise Wrong(f"{where}, your function returned {type(result).__name__}, not a list of {n} norms",
                        "return a list with one number per task, in the order of heads")
        if len(result) != n:
            raise Wrong(f"{where}, your function returned {len(result)} norms for {n} tasks",
                        "loop over all the heads (zip(heads, targets)), however many there are")
        norms = [expect_number(float(v) if isinstance(v, numbers.Real) and not isinstance(v, bool) else v,
                               f"norm {i + 1}", "each norm as a plain number: .item()") for i, v in enumerate(result)]
        footprint = graph_footprint(outputs[0], exclude=[trunk, x])
        close = lambda a, b: torch.allclose(torch.tensor(a), torch.tensor(b), rtol=1e-4, atol=1e-6)  # noqa: E731
        if not close(norms, expected):
            for name, wrong_norms in mistakes.items():
                if close(norms, wrong_norms):
                    raise Wrong(f"{where}, your norms {[round(v, 4) for v in norms]} differ from each task's "
                                f"{[round(v, 4) for v in expected]}", TASK_HINTS[name])
            raise Wrong(f"{where}, your norms {[round(v, 4) for v in norms]} differ from each task's "
                        f"{[round(v, 4) for v in expected]}",
                        "measure one task alone: torch.autograd.grad(its loss, the trunk's parameters that require "
                        "grad); the norm is that of all of them together")
        if footprint.bytes > 0:
            raise Wrong(f"{where}, when your function returned, the trunk's graph still held {footprint.bytes} bytes "
                        "of saved tensors",
                        "measure: graph_footprint(features) after the last task: retain_graph=True on the last "
                        "backward keeps the graph alive for nothing; retain on every backward but the last")
    return "right norms for 2 and 3 tasks (a frozen trunk bias), one trunk forward, .grad left as it was"


# --- shared by exercise 4: one chunk of truncated BPTT, or of a mistake -----------------------------

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


# --- exercise 4 (Make): truncated BPTT for a cell with two states -----------------------------------

TWO_STATE_CHUNKS = 6

#: the settings the checker tries: (hidden size, decay, batch, steps per chunk, optimizer); none is the notebook's
#: alone, and the second has a momentum optimizer, so that a step on a rebuilt optimizer differs
TWO_STATE_SETTINGS = [
    (8, 0.9, 4, 5, lambda params: torch.optim.SGD(params, lr=0.1)),
    (6, 0.7, 3, 4, lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9)),
]


def _two_state_problem(setting: int = 0, carried: str = "hm"):
    """A fresh TwoStateCell, its optimizer, the waves, and a state whose parts named in ``carried`` still carry a
    graph.

    The state comes from a warm-up chunk that was already backpropagated: its saved tensors are freed,
    and its gradients are still in ``.grad``. So a state that is not detached fails at once, and a step
    without ``zero_grad`` uses stale gradients.
    """
    n_hidden, decay, batch, chunk_len, make_opt = TWO_STATE_SETTINGS[setting]
    torch.manual_seed(4 + setting)
    cell = TwoStateCell(n_hidden=n_hidden, decay=decay)
    opt = make_opt(cell.parameters())
    xs, ys = make_waves(n_chunks=TWO_STATE_CHUNKS + 1, chunk_len=chunk_len, batch=batch, seed=2 + setting)
    state = cell.initial_state(batch)
    warm_up = 0.0
    for x, y in zip(xs[0], ys[0]):
        state = cell(x, state)
        warm_up = warm_up + nn.functional.mse_loss(cell.readout(state), y)
    warm_up.backward()
    state = tuple(s if part in carried else s.detach() for s, part in zip(state, "hm"))
    return cell, opt, xs[1:], ys[1:], state


def _two_state_reference(mode: str = "right", setting: int = 0):
    """Per chunk (loss, nodes behind the returned state), and the final weights.
    mode: 'right', 'reset' (state from zeros), 'every-step' (state detached at every step), 'no-zero-grad'."""
    cell, opt, xs, ys, state = _two_state_problem(setting)
    rows = []
    for chunk_x, chunk_y in zip(xs, ys):
        loss, state = _reference_chunk(cell, opt, chunk_x, chunk_y, state, mode,
                                       lambda: cell.initial_state(xs.shape[2]))
        rows.append((loss, graph_footprint_of_state(state, cell, xs, ys).nodes))
    return rows, [p.detach().clone() for p in cell.parameters()]


def graph_footprint_of_state(state, *exclude):
    """Nodes and saved bytes of the graph behind both tensors of a state (the model and data excluded)."""
    return footprint_of(build_graph(*state), exclude)


def _runs_with(train_chunk2, setting: int, carried: str):
    """Does one chunk of the learner's function run on a state where only the parts in ``carried`` carry a freed
    graph? And is the state it returns cut from the graph? (None, None) when it fails."""
    cell, opt, xs, ys, state = _two_state_problem(setting, carried)
    mode = torch.is_grad_enabled()
    try:
        with torch.random.fork_rng():
            _, new = train_chunk2(cell, opt, xs[0], ys[0], state)
        return True, all(isinstance(s, torch.Tensor) and s.grad_fn is None for s in new)
    except Exception:
        return None, None
    finally:
        torch.set_grad_enabled(mode)


def _failed_chunk_hint(train_chunk2, setting: int) -> str:
    """Why the first chunk raised the second-backward error: which part of the state was not cut, and where."""
    with_h, _ = _runs_with(train_chunk2, setting, "h")
    with_m, _ = _runs_with(train_chunk2, setting, "m")
    clean, returns_cut = _runs_with(train_chunk2, setting, "")
    if with_h and not with_m:
        return ("measure: your function runs when only h carries the old graph and fails when m does: you cut h but "
                "not m; detach both h and m at the start of the chunk")
    if with_m and not with_h:
        return ("measure: your function runs when only m carries the old graph and fails when h does: you cut m but "
                "not h; detach both h and m at the start of the chunk")
    if clean and returns_cut:
        return ("measure: your function runs on a state without history, and the state it returns is detached, but "
                "the state you are given may still carry the graph of the chunk before (already freed), as here: "
                "detach both h and m at the start of the chunk, not (only) the state you return")
    return ("the state you were given still carries the graph of the chunk before (already freed): detach both h "
            "and m at the start of the chunk; retain_graph=True cannot bring a freed graph back")


@exercise(LESSON, 4, "truncated BPTT for a cell with two states")
def two_state_tbptt(train_chunk2):
    expect_function(train_chunk2, "train_chunk2")
    summary = []
    for setting in range(len(TWO_STATE_SETTINGS)):
        summary.append(_two_state_run(train_chunk2, setting))
    return (f"{TWO_STATE_CHUNKS} chunks in two settings, no error, the graph bounded at {summary[0]} and {summary[1]} "
            "nodes, weights as in truncated BPTT")


def _two_state_run(train_chunk2, setting: int) -> int:
    n_hidden, _, batch, chunk_len, _ = TWO_STATE_SETTINGS[setting]
    where = f"with {n_hidden} hidden units, batch {batch} and {chunk_len} steps per chunk"
    expected, expected_weights = _two_state_reference("right", setting)
    cell, opt, xs, ys, state = _two_state_problem(setting)
    steps = []
    handle = opt.register_step_post_hook(lambda *_: steps.append(1))
    losses, nodes = [], []
    try:
        for number, (chunk_x, chunk_y) in enumerate(zip(xs, ys), start=1):
            given = state
            flags = [p.requires_grad for p in cell.parameters()]
            try:
                with grad_mode_kept("train_chunk2"):
                    result = run_learner(train_chunk2, cell, opt, chunk_x, chunk_y, state, name="train_chunk2",
                                         errors={SECOND_BACKWARD: (f"{where}, chunk {number} failed: "
                                                                   f"{SECOND_BACKWARD} ...", ""), INPLACE: (
                                             f"{where}, chunk {number} failed: a saved tensor was {INPLACE}",
                                             "retain_graph=True kept the old graph, but opt.step() changed the weights "
                                             "it saved: detach both parts of the state instead of retaining the graph")})
            except Wrong as error:
                if isinstance(error, LearnerError) or SECOND_BACKWARD not in error.message:
                    raise
                raise Wrong(error.message, _failed_chunk_hint(train_chunk2, setting)) from None
            if [p.requires_grad for p in cell.parameters()] != flags or not cell.training:
                raise Wrong(f"{where}, after chunk {number} the cell's requires_grad flags or train mode changed",
                            "one training step changes the weights only: leave flags and mode as they were")
            if not (isinstance(result, tuple) and len(result) == 2):
                raise Wrong(f"train_chunk2 should return a pair (loss as a number, new state), "
                            f"got {type(result).__name__}", "return loss.item(), state")
            loss, state = result
            losses.append(expect_number(loss, "the first value returned (the chunk's loss)", "return loss.item(), state"))
            if not (isinstance(state, (tuple, list)) and len(state) == 2
                    and all(isinstance(s, torch.Tensor) and s.shape == given[0].shape for s in state)):
                raise Wrong(f"{where}, the second value returned should be the new state, a pair (h, m) of tensors of "
                            f"shape {tuple(given[0].shape)}", "return the state of the chunk's last step, both parts")
            state = tuple(state)
            if all(torch.equal(s.detach(), g.detach()) for s, g in zip(state, given)):
                raise Wrong(f"after chunk {number}, the state you returned is the state you were given",
                            "return the state of the chunk's last step: the one the cell computed")
            if len(steps) != number:
                raise Wrong(f"{where}, after chunk {number}, opt.step() of the optimizer passed in has run {len(steps)} "
                            "times", "one step per chunk with the opt argument (an optimizer built inside your "
                            "function starts without the passed one's momentum): zero_grad, backward, then opt.step()")
            footprint = graph_footprint_of_state(state, cell, xs, ys, *given)
            if footprint.bytes > 0:
                raise Wrong(f"{where}, after chunk {number}, the graph behind your state still holds its saved tensors",
                            "retain_graph=True is not the fix: it keeps every chunk's activations alive; detach the "
                            "state at the start of the chunk and call backward() without retain_graph")
            nodes.append(footprint.nodes)
    finally:
        handle.remove()
    if nodes[-1] > nodes[0]:
        raise Wrong(f"{where}, the graph behind your state grew from {nodes[0]} to {nodes[-1]} nodes over "
                    f"{len(nodes)} chunks", "each chunk's graph must start at the chunk: detach both h and m first")
    weights = [p.detach().clone() for p in cell.parameters()]

    def matches(rows, final) -> bool:
        return (torch.allclose(torch.tensor(losses), torch.tensor([r[0] for r in rows]), atol=1e-5)
                and all(torch.allclose(w, e, atol=1e-6) for w, e in zip(weights, final)))

    if matches(expected, expected_weights):
        return max(nodes)
    for mode, hint in [("reset", "measure: the state your chunk starts from against the one the chunk before "
                                  "returned: you restarted from zeros; carry the state's values, detach() keeps them "
                                  "and cuts only the history"),
                       ("every-step", "measure: how far back the graph behind a chunk's loss reaches: one step, so "
                                      "you cut the graph at every step; detach once per chunk, at its start"),
                       ("no-zero-grad", "measure: cell.W_h.grad before your backward: the cell arrived with the "
                                        "chunk before's gradients still in .grad; opt.zero_grad() before backward")]:
        if matches(*_two_state_reference(mode, setting)):
            raise Wrong(f"{where}, the losses and weights differ from truncated BPTT", hint)
    ratio = losses[0] / expected[0][0] if expected[0][0] else 1.0
    if abs(ratio - 1) > 1e-3:
        raise Wrong(f"{where}, your first chunk's loss is {ratio:.3g} times the mean loss over its {chunk_len} steps",
                    f"measure: print the loss of chunk 1 and count the steps it averages; the chunk's loss is the "
                    "mean of the step losses (its gradient is scaled the same way): divide the sum by len(xs), not "
                    "by a number typed in")
    if all(torch.allclose(w, e, atol=1e-6) for w, e in zip(weights, expected_weights)):
        raise Wrong(f"{where}, the weights are right but the returned losses are not each chunk's loss",
                    f"measure: your losses against the mean over the chunk's {chunk_len} steps of mse_loss(...): "
                    "divide by len(xs), not by a number typed in, and return loss.item() of this chunk")
    raise Wrong(f"{where}, after {TWO_STATE_CHUNKS} chunks the losses or weights differ from truncated BPTT",
                "measure: your first chunk's loss against the mean over its steps of mse_loss(cell.readout(state), y); "
                "per chunk: detach h and m, run the steps (state = cell(x, state)), loss = that mean (divide by "
                "len(xs)), then zero_grad, backward, step; return loss.item(), state")

#: what the lesson's notebook uses (its checkers); the other names serve the checkers and their tests
__all__ = ["which_call_fails", "accumulation", "task_gradient_norms", "two_state_tbptt"]
