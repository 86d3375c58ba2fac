"""Right and specific wrong answers for lesson 06's checkers (retain_graph)."""

import numpy as np
import pytest
import torch
from torch import nn

from checker_helpers import WrongAnswers, accepts
from gradflow.exercises import retain_graph as ex

wrong = WrongAnswers("06")

# --- exercise 1 ------------------------------------------------------------------------------------


def test_first_failing_runs_the_sequence_for_real():
    assert ex.first_failing() == 3
    assert ex.first_failing([("d", True), ("e", True), ("d", False), ("e", False)]) == 4  # seed 001's sequence
    assert ex.first_failing([("d", True), ("e", False)]) == 0


test_ex1_accepts_the_number_in_any_numeric_form = accepts(ex.which_call_fails, "06.1", {
    "int": 3,
    "float": 3.0,
    "numpy": np.int64(3),
    "tensor": torch.tensor(3),
})


wrong.case(1, 4, "call 4 is not the first to fail", "cannot bring back a graph", kind="other")
wrong.case(1, 2, "call 2 is not the first to fail", "call 1 kept the graph", kind="other")
wrong.case(1, 1, "call 1 is not the first to fail", "always runs", kind="other")
wrong.case(1, 0, "call 0 is not the first to fail", "one of them fails", kind="other")
wrong.case(1, 7, "no call number 7", "answer 1, 2, 3 or 4", kind="narrow")
wrong.case(1, "3", "got '3'", "without quotes", kind="return")
wrong.case(1, True, "got bool", "whole number", kind="return")
wrong.case(1, 2.5, "got 2.5", "whole number", kind="return")
test_ex1_rejects_wrong_calls_and_forms = wrong.rejects(1, ex.which_call_fails)


# --- exercise 2 ------------------------------------------------------------------------------------


def _accumulate(model, x, y, sizes):
    model.zero_grad()
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        (nn.functional.mse_loss(model(xp), yp) * len(xp) / len(x)).backward()


def _accumulate_sum_reduced(model, x, y, sizes):  # sum-reduced losses over the rows, divided by all rows
    for p in model.parameters():
        p.grad = None
    start = 0
    for size in sizes:
        xp, yp = x[start:start + size], y[start:start + size]
        start += size
        (nn.functional.mse_loss(model(xp), yp, reduction="sum") / y.numel()).backward()


def _accumulate_divide_at_end(model, x, y, sizes):  # weighted by rows, divided by all rows once at the end
    model.zero_grad()
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        (nn.functional.mse_loss(model(xp), yp) * len(xp)).backward()
    for p in model.parameters():
        p.grad /= len(x)


def _accumulate_with_logged_loss(model, x, y, sizes):  # the full-batch loss logged under no_grad: no graph kept
    _accumulate(model, x, y, sizes)
    with torch.no_grad():
        nn.functional.mse_loss(model(x), y).item()


test_ex2_accepts_accumulation_written_in_several_ways = accepts(ex.accumulation, "06.2", {
    "solution": _accumulate,
    "sum-reduced": _accumulate_sum_reduced,
    "divide-at-end": _accumulate_divide_at_end,
    "logged-loss": _accumulate_with_logged_loss,
})


@wrong(2, "every micro-batch weighed the same (1/k each): its 8 rows counted as much as its 16",
       "weigh it by len(x_part) / len(x)", kind="narrow")
def _per_k(model, x, y, sizes):  # the lesson's 1/k, right only for equal sizes
    model.zero_grad()
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        (nn.functional.mse_loss(model(xp), yp) / len(sizes)).backward()


@wrong(2, "every micro-batch weighed the same (1/k each)", "weigh it by len(x_part) / len(x)", kind="other")
def _per_k_at_end(model, x, y, sizes):  # the 1/k applied to .grad once, at the end
    model.zero_grad()
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        nn.functional.mse_loss(model(xp), yp).backward()
    for p in model.parameters():
        p.grad /= len(sizes)


@wrong(2, "the sum of the micro-batches' mean-loss gradients", "len(x_part) / len(x)", kind="other")
def _unscaled(model, x, y, sizes):
    model.zero_grad()
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        nn.functional.mse_loss(model(xp), yp).backward()


@wrong(2, "the model saw batches of [12, 12] rows", "x.split(sizes)", kind="ignored")
def _equal_chunks(model, x, y, sizes):  # ignores the sizes: the lesson's x.chunk(k)
    model.zero_grad()
    k = len(sizes)
    for xp, yp in zip(x.chunk(k), y.chunk(k)):
        (nn.functional.mse_loss(model(xp), yp) / k).backward()


@wrong(2, "with 20 rows in micro-batches of [5, 7, 3, 5], the accumulated gradient is 0.833 times",
       "with len(x) read from x, not typed in", kind="hard-coded")
def _rows_typed_in(model, x, y, sizes):  # the 24 rows of the first case typed in
    model.zero_grad()
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        (nn.functional.mse_loss(model(xp), yp) * len(xp) / 24).backward()


@wrong(2, "old gradients (all ones)", "clear them once, before the first micro-batch", kind="state")
def _no_zero_grad(model, x, y, sizes):
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        (nn.functional.mse_loss(model(xp), yp) * len(xp) / len(x)).backward()


@wrong(2, ".grad holds the last micro-batch's share only", "a zero_grad() inside the loop wipes", kind="other")
def _zero_inside_loop(model, x, y, sizes):
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        model.zero_grad()
        (nn.functional.mse_loss(model(xp), yp) * len(xp) / len(x)).backward()


@wrong(2, "the model saw batches of [24] rows", "x.split(sizes)", kind="shortcut")
def _full_batch(model, x, y, sizes):
    model.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()


@wrong(2, "the model saw batches of [24] rows", "one forward over all of x keeps the whole batch's graph",
       kind="symptom")
def _one_forward_retained(model, x, y, sizes):  # one forward, its output split, the second-backward error hidden
    model.zero_grad()
    out = model(x)
    parts = list(zip(out.split(sizes), y.split(sizes)))
    for i, (op, yp) in enumerate(parts):
        (nn.functional.mse_loss(op, yp) * len(op) / len(x)).backward(retain_graph=i < len(parts) - 1)


@wrong(2, "backward reached the model 1 times", "one backward() per micro-batch", kind="shortcut")
def _summed_then_one_backward(model, x, y, sizes):
    model.zero_grad()
    total = sum(nn.functional.mse_loss(model(xp), yp) * len(xp) / len(x)
                for xp, yp in zip(x.split(sizes), y.split(sizes)))
    total.backward()


@wrong(2, "your accumulate raised TypeError", "the error comes from inside your accumulate")
def _old_keyword(model, x, y, sizes):  # the seeds' pre-0.4 spelling
    model.zero_grad()
    for xp, yp in zip(x.split(sizes), y.split(sizes)):
        (nn.functional.mse_loss(model(xp), yp) * len(xp) / len(x)).backward(retain_variables=True)


@wrong(2, "no .grad after your function", "do not clear .grad after the last one", kind="state")
def _zero_after_loop(model, x, y, sizes):
    _accumulate(model, x, y, sizes)
    model.zero_grad()


@wrong(2, "gradient recording was still off", "`with torch.no_grad():`", kind="state")
def _recording_left_off(model, x, y, sizes):  # "done with backward: stop recording"
    _accumulate(model, x, y, sizes)
    torch.set_grad_enabled(False)


@wrong(2, "left the model in eval mode", "leave model.train() as it was", kind="state")
def _eval_mode(model, x, y, sizes):  # eval "so that every micro-batch sees the same model"
    model.eval()
    _accumulate(model, x, y, sizes)


test_ex2_rejects_accumulation_mistakes = wrong.rejects(2, ex.accumulation)


# --- exercise 3 (Modify): per-task gradient norms on a shared trunk -------------------------------------


def _task_grad_norms(trunk, heads, x, targets):
    features = trunk(x)
    params = [p for p in trunk.parameters() if p.requires_grad]
    norms = []
    for i, (head, y) in enumerate(zip(heads, targets)):
        loss = nn.functional.mse_loss(head(features), y)
        grads = torch.autograd.grad(loss, params, retain_graph=i < len(heads) - 1)
        norms.append(torch.cat([g.flatten() for g in grads]).norm().item())
    return norms


def _norms_through_backward(trunk, heads, x, targets):  # backward() into .grad, the caller's .grad put back
    params = [p for p in trunk.parameters() if p.requires_grad]
    everything = [p for m in (trunk, *heads) for p in m.parameters()]
    saved = [p.grad for p in everything]
    features = trunk(x)
    norms = []
    for i, (head, y) in enumerate(zip(heads, targets)):
        for p in everything:
            p.grad = None
        nn.functional.mse_loss(head(features), y).backward(retain_graph=i < len(heads) - 1)
        norms.append(sum(float((p.grad ** 2).sum()) for p in params) ** 0.5)
    for p, g in zip(everything, saved):
        p.grad = g
    return norms


def _norms_through_features(trunk, heads, x, targets):  # the gradient at the features first, then through the trunk
    features = trunk(x)
    params = [p for p in trunk.parameters() if p.requires_grad]
    norms = []
    for i, (head, y) in enumerate(zip(heads, targets)):
        leaf = features.detach().requires_grad_()
        (g_features,) = torch.autograd.grad(nn.functional.mse_loss(head(leaf), y), leaf)
        grads = torch.autograd.grad(features, params, g_features, retain_graph=i < len(heads) - 1)
        norms.append(torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in grads])))
    return [float(n) for n in norms]


test_ex3_accepts_per_task_norms_written_differently = accepts(ex.task_gradient_norms, "06.3", [
    _task_grad_norms, _norms_through_backward, _norms_through_features])


@wrong(3, "with 3 tasks, your function raised: Trying to backward through the graph a second time",
       "retain on every task's backward but the last", kind="hard-coded")
def _retain_first_only(trunk, heads, x, targets):  # written for the two tasks of a first try
    features = trunk(x)
    params = [p for p in trunk.parameters() if p.requires_grad]
    return [torch.cat([g.flatten() for g in torch.autograd.grad(
        nn.functional.mse_loss(head(features), y), params, retain_graph=i == 0)]).norm().item()
        for i, (head, y) in enumerate(zip(heads, targets))]


@wrong(3, "returned 2 norms for 3 tasks", "however many there are", kind="narrow")
def _two_tasks(trunk, heads, x, targets):
    return _task_grad_norms(trunk, heads[:2], x, targets[:2])


@wrong(3, "the trunk ran 2 times", "one forward pass for all tasks", kind="shortcut")
def _forward_per_task(trunk, heads, x, targets):  # right numbers, the trunk's work done once per task
    params = [p for p in trunk.parameters() if p.requires_grad]
    return [torch.cat([g.flatten() for g in torch.autograd.grad(
        nn.functional.mse_loss(head(trunk(x)), y), params)]).norm().item() for head, y in zip(heads, targets)]


@wrong(3, "the trunk's graph still held", "retain on every backward but the last", kind="symptom")
def _retain_everywhere(trunk, heads, x, targets):  # retain_graph=True "just in case", the last call too
    features = trunk(x)
    params = [p for p in trunk.parameters() if p.requires_grad]
    return [torch.cat([g.flatten() for g in torch.autograd.grad(
        nn.functional.mse_loss(head(features), y), params, retain_graph=True)]).norm().item()
        for head, y in zip(heads, targets)]


@wrong(3, "the parameters' .grad is not what it was", "torch.autograd.grad(loss, params, retain_graph=...)",
       kind="state")
def _backward_and_zero(trunk, heads, x, targets):  # .grad used as scratch space: the caller's gradients are lost
    params = [p for p in trunk.parameters() if p.requires_grad]
    features = trunk(x)
    norms = []
    for i, (head, y) in enumerate(zip(heads, targets)):
        trunk.zero_grad()
        nn.functional.mse_loss(head(features), y).backward(retain_graph=i < len(heads) - 1)
        norms.append(torch.cat([p.grad.flatten() for p in params]).norm().item())
    return norms


@wrong(3, "gradient recording was still off", "`with torch.no_grad():`", kind="state")
def _recording_left_off(trunk, heads, x, targets):  # recording switched off to compute the norms, never back on
    features = trunk(x)
    params = [p for p in trunk.parameters() if p.requires_grad]
    grads = [torch.autograd.grad(nn.functional.mse_loss(head(features), y), params, retain_graph=i < len(heads) - 1)
             for i, (head, y) in enumerate(zip(heads, targets))]
    torch.set_grad_enabled(False)
    return [torch.cat([g.flatten() for g in gs]).norm().item() for gs in grads]


@wrong(3, "your second norm equals the norm of task 1's gradient plus task 2's", ".grad adds up", kind="other")
def _piled_up(trunk, heads, x, targets):  # .grad saved and put back, but never cleared between the tasks
    params = [p for p in trunk.parameters() if p.requires_grad]
    everything = [p for m in (trunk, *heads) for p in m.parameters()]
    saved = [p.grad for p in everything]
    for p in everything:
        p.grad = None
    features = trunk(x)
    norms = []
    for i, (head, y) in enumerate(zip(heads, targets)):
        nn.functional.mse_loss(head(features), y).backward(retain_graph=i < len(heads) - 1)
        norms.append(torch.cat([p.grad.flatten() for p in params]).norm().item())
    for p, g in zip(everything, saved):
        p.grad = g
    return norms


@wrong(3, "One of the differentiated Tensors does not require grad", "one is frozen", kind="narrow")
def _every_parameter(trunk, heads, x, targets):  # right while every trunk parameter requires grad
    features = trunk(x)
    params = list(trunk.parameters())
    return [torch.cat([g.flatten() for g in torch.autograd.grad(
        nn.functional.mse_loss(head(features), y), params, retain_graph=i < len(heads) - 1)]).norm().item()
        for i, (head, y) in enumerate(zip(heads, targets))]


@wrong(3, "sums of one norm per parameter", "one norm of all the trunk's gradients together", kind="other")
def _norm_per_parameter(trunk, heads, x, targets):
    features = trunk(x)
    params = [p for p in trunk.parameters() if p.requires_grad]
    return [sum(g.norm().item() for g in torch.autograd.grad(
        nn.functional.mse_loss(head(features), y), params, retain_graph=i < len(heads) - 1))
        for i, (head, y) in enumerate(zip(heads, targets))]


@wrong(3, "your norms include the heads' gradients", "the trunk's parameters only", kind="other")
def _heads_included(trunk, heads, x, targets):
    features = trunk(x)
    params = [p for p in trunk.parameters() if p.requires_grad]
    return [torch.cat([g.flatten() for g in torch.autograd.grad(
        nn.functional.mse_loss(head(features), y), params + list(head.parameters()),
        retain_graph=i < len(heads) - 1)]).norm().item() for i, (head, y) in enumerate(zip(heads, targets))]


@wrong(3, "returned one float, not a list of 2 norms", "one norm per task", kind="return")
def _one_number(trunk, heads, x, targets):
    return sum(_task_grad_norms(trunk, heads, x, targets))


@wrong(3, "norm 1 is a tensor still attached to the graph", ".item()", kind="return")
def _norms_in_graph(trunk, heads, x, targets):  # create_graph=True, the norms returned as tensors
    features = trunk(x)
    params = [p for p in trunk.parameters() if p.requires_grad]
    return [torch.cat([g.flatten() for g in torch.autograd.grad(
        nn.functional.mse_loss(head(features), y), params, create_graph=True)]).norm()
        for head, y in zip(heads, targets)]


def _notebook_trunk(trunk_arg, heads, x, targets):  # section 3's trunk used in place of the argument
    return _task_grad_norms(trunk, heads, x, targets)


wrong.case(3, _notebook_trunk, "your function reads the notebook's `trunk`", "use the trunk and heads arguments",
           kind="ignored")
wrong.case(3, None, "pass your function task_grad_norms itself", "def task_grad_norms")
test_ex3_rejects_per_task_norms_that_cheat_or_leak = wrong.rejects(3, ex.task_gradient_norms)


torch.manual_seed(0)
trunk = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU())  # section 3's global


# --- exercise 4 (Make): a cell with two states ------------------------------------------------------


def _run_chunk(cell, xs, ys, state, *, cut_every_step=False, steps=None):
    """The chunk's mean loss and the state after it (``steps``: a number typed in instead of len(xs))."""
    loss = 0.0
    for x, y in zip(xs, ys):
        state = cell(x, ex._detached(state) if cut_every_step else state)
        loss = loss + nn.functional.mse_loss(cell.readout(state), y)
    return loss / (steps or len(xs)), state


def _train_chunk(cell, opt, xs, ys, state, *, cut=ex._detached, cut_every_step=False, zero=True, retain=False,
                 step=True, number=True, steps=None):
    """One chunk of truncated BPTT; each keyword introduces one plausible mistake."""
    loss, state = _run_chunk(cell, xs, ys, cut(state), cut_every_step=cut_every_step, steps=steps)
    if zero:
        opt.zero_grad()
    loss.backward(retain_graph=retain)
    if step:
        opt.step()
    return (loss.item() if number else loss), state


def _mistake(**keywords):
    """A train_chunk2 with the mistakes the keywords name."""
    return lambda cell, opt, xs, ys, state: _train_chunk(cell, opt, xs, ys, state, **keywords)


def two_state_solution(cell, opt, xs, ys, state):
    return _train_chunk(cell, opt, xs, ys, state)


def two_state_with_lists(cell, opt, xs, ys, state):  # a list state, stacked losses, set_to_none=False
    state = [s.detach() for s in state]
    losses = []
    for x, y in zip(xs, ys):
        state = list(cell(x, state))
        losses.append(nn.functional.mse_loss(cell.readout(state), y))
    loss = torch.stack(losses).mean()
    opt.zero_grad(set_to_none=False)
    loss.backward()
    opt.step()
    return loss.detach(), state


def two_state_fresh_leaves(cell, opt, xs, ys, state):  # detach().requires_grad_(): new leaves, also a cut
    h, m = (s.detach().requires_grad_() for s in state)
    return _train_chunk(cell, opt, xs, ys, (h, m), cut=lambda s: s)


test_ex4_accepts_truncated_bptt_of_both_states = accepts(ex.two_state_tbptt, "06.4", {
    "solution": two_state_solution,
    "lists": two_state_with_lists,
    "fresh-leaves": two_state_fresh_leaves,
})


@wrong(4, "chunk 1 failed", "not (only) the state you return", kind="other")
def _detach_at_end(cell, opt, xs, ys, state):  # repackage the state after the step instead of before the chunk
    loss, state = _train_chunk(cell, opt, xs, ys, state, cut=lambda s: s)
    return loss, tuple(s.detach() for s in state)


wrong.case(4, _mistake(cut=lambda s: (s[0].detach(), s[1])), "chunk 1 failed", "you cut h but not m", kind="narrow",
           id="h-only")
wrong.case(4, _mistake(cut=lambda s: (s[0], s[1].detach())), "chunk 1 failed", "you cut m but not h", kind="narrow",
           id="m-only")
wrong.case(4, _mistake(cut=lambda s: s, retain=True), "chunk 1 failed", "retain_graph=True cannot bring a freed graph",
           kind="symptom", id="retain-no-detach")
wrong.case(4, _mistake(retain=True), "still holds its saved tensors", "retain_graph=True is not the fix", kind="symptom")
wrong.case(4, _mistake(zero=False), "differ from truncated BPTT", "opt.zero_grad()", kind="state")
wrong.case(4, _mistake(cut=lambda s: tuple(torch.zeros_like(t) for t in s)), "differ from truncated BPTT",
           "restarted from zeros", kind="other")
wrong.case(4, _mistake(cut_every_step=True), "differ from truncated BPTT", "detach once per chunk", kind="other")
wrong.case(4, lambda cell, opt, xs, ys, state: _train_chunk(cell, opt, xs, ys, state)[1][0],
           "should return a pair", "return loss.item(), state", kind="return")
wrong.case(4, lambda cell, opt, xs, ys, state: (_train_chunk(cell, opt, xs, ys, state)[0], None),
           "a pair (h, m)", "both parts", kind="return")
wrong.case(4, lambda cell, opt, xs, ys, state: (_train_chunk(cell, opt, xs, ys, state)[0], state),
           "the state you were given", "the chunk's last step", kind="return")
wrong.case(4, _mistake(steps=5), "your first chunk's loss is 0.8 times the mean loss over its 4 steps",
           "divide the sum by len(xs), not by a number typed in", kind="hard-coded", id="five-steps")


def _own_optimizer(cell, opt, xs, ys, state):  # the notebook's optimizer rebuilt inside, the passed one ignored
    return _train_chunk(cell, torch.optim.SGD(cell.parameters(), lr=0.1), xs, ys, state)


wrong.case(4, _own_optimizer, "opt.step() of the optimizer passed in has run 0 times", "with the opt argument",
           kind="ignored")


def _recording_left_off(cell, opt, xs, ys, state):  # "the chunk is done: stop recording"
    result = _train_chunk(cell, opt, xs, ys, state)
    torch.set_grad_enabled(False)
    return result


wrong.case(4, _recording_left_off, "gradient recording was still off", "`with torch.no_grad():`", kind="state")
test_ex4_rejects_states_that_carry_their_history = wrong.rejects(4, ex.two_state_tbptt)


def test_ex4_graph_stays_bounded_for_the_reference():
    rows, _ = ex._two_state_reference()
    assert len({nodes for _, nodes in rows}) == 1  # the same graph size every chunk


def test_make_waves_targets_are_next_inputs():
    xs, ys = ex.make_waves(n_chunks=3, chunk_len=4, batch=2)
    assert xs.shape == ys.shape == (3, 4, 2, 1)
    assert torch.equal(xs.flatten(0, 1)[1:], ys.flatten(0, 1)[:-1])
