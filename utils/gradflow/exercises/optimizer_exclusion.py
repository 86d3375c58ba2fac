"""Checkers for lesson 07, leaving parameters out of the optimizer.

Every checker rebuilds its own model (the lesson's :class:`gradflow.models.SeedNet`) and data and runs the
learner's function on them, so notebook state and the learner's random stream play no part.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..checking import Wrong, exercise, expect_function, first_line, run_learner, train
from ..models import SeedNet

LESSON = "07_optimizer_exclusion"


def _data():
    g = torch.Generator().manual_seed(7)
    x = torch.randn(32, 10, generator=g)
    return x, (x[:, 0] > 0).long()


def _net() -> SeedNet:
    torch.manual_seed(3)
    return SeedNet()


def _moved_by_training(net, opt, steps: int = 3, set_to_none: bool = True) -> dict[str, bool]:
    """Train ``steps`` steps on the checkers' data; which parameters changed (compared with a copy: exact)."""
    before = _snapshot(net)
    train(net, opt, [_data()] * steps, set_to_none=set_to_none)
    return _moved(net, before)


def _snapshot(net) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in net.named_parameters()}


def _moved(net, before) -> dict[str, bool]:
    return {n: not torch.equal(p.detach(), before[n]) for n, p in net.named_parameters()}


def _layer_moved(moved: dict[str, bool], layer: str) -> bool:
    return any(v for n, v in moved.items() if n.startswith(layer + "."))


def _group_of(opt, p):
    """Indices of the groups of ``opt`` that hold ``p`` (compared by identity)."""
    return [i for i, g in enumerate(opt.param_groups) if any(q is p for q in g["params"])]


#: fragments of errors that optimizer code raises -> the hint that names the cause
_OPTIMIZER_ERRORS = {
    "optimizer can only optimize Tensors": "pass parameters (layer.parameters()), not the layer itself",
    "object is not iterable": "a group's 'params' takes parameters (layer.parameters()), not the layer itself",
    "more than one parameter group": "each parameter may sit in one group only: a group built from "
                                     "model.parameters() repeats the ones another group already holds",
    "empty parameter list": "model.parameters() is a generator, empty once used: wrap it in list(...) first",
    "param_group must be a dict": "add_param_group takes one dict: {'params': [...], 'lr': ...}",
    "Boolean value of Tensor with more than one value": "list.remove compares tensors with ==: "
                                                        "filter by identity, [p for p in ps if p is not q]",
    "must match the size": "list.remove compares tensors with ==: filter by identity, [p for p in ps if p is not q]",
}


def _adamw_from(groups):
    """Build AdamW from the learner's groups (the kit's code, not theirs): an error names the groups as the cause."""
    try:
        return torch.optim.AdamW(groups, 1e-3)
    except Exception as error:
        hint = next((h for fragment, h in _OPTIMIZER_ERRORS.items() if fragment in str(error)),
                    "every group is a dict whose 'params' holds parameters, each parameter in one group only")
        raise Wrong(f"building AdamW from your groups raised {type(error).__name__}: {first_line(error)}", hint) \
            from None


def _check_optimizer(opt, name="your function"):
    if opt is None:
        raise Wrong(f"{name} returned None", "return the optimizer you built")
    if not isinstance(opt, torch.optim.Optimizer):
        raise Wrong(f"{name} should return a torch.optim optimizer, got {type(opt).__name__}")


# --- exercise 1 --------------------------------------------------------------------------------

@exercise(LESSON, 1, "two groups, one still")
def two_groups(make_optimizer):
    expect_function(make_optimizer, "make_optimizer")
    net = _net()
    opt = run_learner(make_optimizer, net, name="make_optimizer", hints=_OPTIMIZER_ERRORS)
    _check_optimizer(opt, "make_optimizer")
    if not isinstance(opt, torch.optim.SGD):
        raise Wrong(f"make_optimizer returned {type(opt).__name__}, expected torch.optim.SGD")
    mine = {id(p) for p in net.parameters()}
    strangers = sum(id(p) not in mine for g in opt.param_groups for p in g["params"])
    if strangers:
        raise Wrong(f"the optimizer holds {strangers} tensor(s) that are not parameters of the model passed to "
                    "make_optimizer", "measure: compare id(p) of the groups' tensors with model.parameters(); build "
                    "the groups from the `model` argument, not from a model made inside or a notebook global")
    flags = [n for n, p in net.named_parameters() if not p.requires_grad]
    if flags or not all(m.training for m in net.modules()):
        what = f"{flags[0]}.requires_grad is now False" if flags else "the model is now in eval mode"
        raise Wrong(f"make_optimizer changed the model it was given: {what}",
                    "an lr=0 group holds the backbone still by itself; building an optimizer leaves the model's "
                    "flags and mode as they were")
    for name, p in net.named_parameters():
        groups = _group_of(opt, p)
        if not groups:
            hint = ("the exercise asks for a backbone group with lr=0, not for leaving it out"
                    if not name.startswith("fc.") else "the head's parameters belong in a group with lr=0.1")
            raise Wrong(f"{name} is in no parameter group", hint)
        lr = opt.param_groups[groups[0]]["lr"]
        want = 0.1 if name.startswith("fc.") else 0.0
        if lr != want:
            swapped = (lr == 0.0 and want == 0.1) or (lr == 0.1 and want == 0.0)
            raise Wrong(f"{name} is in a group with lr={lr}, expected lr={want}",
                        "the head (fc) learns with lr=0.1, the backbone (model_1, model_2) has lr=0"
                        if swapped else "give each group its lr inside its dict: {'params': ..., 'lr': ...}")
    momenta = [g.get("momentum") for g in opt.param_groups]
    if any(m != 0.9 for m in momenta):
        raise Wrong(f"the groups' momentum is {momenta}, expected 0.9 in both",
                    "pass momentum=0.9 after the list of groups: it becomes the default for every group")
    moved = _moved_by_training(net, opt)
    if not _layer_moved(moved, "fc") or _layer_moved(moved, "model_1") or _layer_moved(moved, "model_2"):
        still = [n for n, m in moved.items() if not m]
        raise Wrong(f"after 3 steps the unchanged tensors are {still}, expected the backbone's four",
                    "only fc should move")
    return "fc moved, model_1 and model_2 stayed where they were"


# --- exercise 2 --------------------------------------------------------------------------------

_EX2_OPTIMIZERS = {
    "SGD momentum=0.9": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
    "Adam": lambda ps: torch.optim.Adam(ps, lr=0.1),
    "AdamW": lambda ps: torch.optim.AdamW(ps, lr=0.1),
}

_EX2_WHY = {  # (parameter, what really happens) -> why
    ("a", True): "a has optimizer state from three real steps; a zero gradient does not erase it",
    ("b", False): "b never had a gradient before: momentum and Adam's moments start at zero, so only "
                  "weight decay could move it, and this optimizer has none",
    ("b", True): "b never had a gradient before, so no momentum; but AdamW's default weight_decay is 0.01, "
                 "and it shrinks p by lr * weight_decay even when the gradient is zero",
    ("c", False): "c.grad is None: each of these three optimizers skips such a parameter",
}


def ex2_truth() -> dict[str, dict[str, bool]]:
    """Run exercise 2's experiment: which of a (trained, zero grad), b (fresh, zero grad), c (None) move."""
    truth = {}
    for name, make in _EX2_OPTIMIZERS.items():
        a, b, c = (nn.Parameter(torch.tensor([1.0, -2.0])) for _ in range(3))
        opt = make([a, b, c])
        for _ in range(3):
            a.grad = torch.tensor([0.5, 0.5])
            opt.step()
        before = [t.detach().clone() for t in (a, b, c)]
        a.grad, b.grad, c.grad = torch.zeros(2), torch.zeros(2), None
        opt.step()
        truth[name] = {k: not torch.equal(t.detach(), old) for k, t, old in zip("abc", (a, b, c), before)}
    return truth


def _truth(value, name: str) -> bool:
    """True/False from a bool, a numpy bool or a one-element bool tensor; anything else is a clear Wrong."""
    if isinstance(value, bool):
        return value
    if type(value).__module__ == "numpy" and type(value).__name__ in {"bool", "bool_"}:
        return bool(value)
    if isinstance(value, torch.Tensor) and value.dtype == torch.bool and value.numel() == 1:
        return bool(value.item())
    if isinstance(value, str):
        raise Wrong(f"{name} is the text {value!r}", "write True or False without quotes")
    if isinstance(value, (int, float)) and value in (0, 1):
        raise Wrong(f"{name} is the number {value!r}", "write True (it moves) or False (it stays), not a number")
    raise Wrong(f"{name} should be True or False, got {type(value).__name__}",
                "write True if the step moves that parameter, False if it stays")


@exercise(LESSON, 2, "which parameters move")
def which_move(moves):
    if not isinstance(moves, dict):
        raise Wrong(f"step_moves should be a dict, got {type(moves).__name__}",
                    "keep the template: optimizer name -> {'a': True/False, 'b': ..., 'c': ...}")
    truth = ex2_truth()
    missing = [k for k in truth if k not in moves]
    if missing:
        raise Wrong(f"step_moves has no entry for {missing[0]!r}", f"keep the keys of the template: {list(truth)}")
    said_moves = {}
    for opt_name, row in truth.items():
        answer = moves[opt_name]
        if not isinstance(answer, dict) or any(k not in answer for k in "abc"):
            raise Wrong(f"step_moves[{opt_name!r}] should be a dict with keys 'a', 'b', 'c'")
        said_moves[opt_name] = {k: _truth(answer[k], f"step_moves[{opt_name!r}][{k!r}]") for k in "abc"}
    for opt_name, row in truth.items():
        for k in "abc":
            if said_moves[opt_name][k] != row[k]:
                said = "moves" if said_moves[opt_name][k] else "stays"
                raise Wrong(f"under {opt_name}, you say {k} {said}; it does not" if said == "moves"
                            else f"under {opt_name}, you say {k} stays; it moves",
                            _EX2_WHY.get((k, row[k])))
    return "a zero gradient is not 'no gradient': state and weight decay still act on it"


# --- exercise 3: freeze every norm layer mid-training (Modify) ---------------------------------------

_NORMS = (nn.LayerNorm, nn.BatchNorm1d, nn.GroupNorm)


def _norm_net() -> nn.Sequential:
    """A LayerNorm inside a block: 6 -> 8 -> 8 -> 3 (the lesson never showed it)."""
    return nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.ReLU(),
                         nn.Sequential(nn.Linear(8, 8), nn.ReLU()), nn.Linear(8, 3))


def _norm_net_deep() -> nn.Sequential:
    """A BatchNorm1d and a GroupNorm, no LayerNorm: 6 -> 12 -> 8 -> 3."""
    return nn.Sequential(nn.Sequential(nn.Linear(6, 12), nn.BatchNorm1d(12), nn.Tanh()),
                         nn.Sequential(nn.Linear(12, 8), nn.GroupNorm(2, 8), nn.ReLU()), nn.Linear(8, 3))


def _decay_groups(net, make):
    """AdamW/SGD over two groups as fine-tuning code writes them: weights decayed, biases and norms not."""
    decay = [p for n, p in net.named_parameters() if p.dim() > 1]
    rest = [p for n, p in net.named_parameters() if p.dim() <= 1]
    return make([{"params": decay}, {"params": rest, "weight_decay": 0.0}])


#: (model maker, optimizer maker): a LayerNorm under AdamW in two groups, a BatchNorm and a GroupNorm under SGD
#: with momentum and weight decay in one group; both loops zero with set_to_none=False
_EX3_CASES = [
    (_norm_net, lambda net: _decay_groups(net, lambda g: torch.optim.AdamW(g, lr=0.01, weight_decay=0.05))),
    (_norm_net_deep, lambda net: torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)),
]


def _ex3_batches(steps: int):
    g = torch.Generator().manual_seed(37)
    x = torch.randn(16, 6, generator=g)
    return [(x, (x[:, 0] > 0).long() + (x[:, 1] > 0).long())] * steps


@exercise(LESSON, 3, "freeze every norm layer mid-training")
def freeze_mid_training(freeze_norms):
    expect_function(freeze_norms, "freeze_norms")
    for make, make_opt in _EX3_CASES:
        _freeze_norms_once(freeze_norms, make, make_opt)
    return "the norm layers stopped moving and have no gradient computed; every other layer trains on"


def _freeze_norms_once(freeze_norms, make, make_opt) -> None:
    torch.manual_seed(13)
    net = make()
    opt = make_opt(net)
    kinds = sorted({type(m).__name__ for m in net.modules() if isinstance(m, _NORMS)})
    where = f"in a model with {' and '.join(kinds)} under {type(opt).__name__}"
    norm_ids = {id(p) for m in net.modules() if isinstance(m, _NORMS) for p in m.parameters(recurse=False)}
    train(net, opt, _ex3_batches(3), set_to_none=False)
    returned = run_learner(freeze_norms, net, opt, name="freeze_norms", hints=_OPTIMIZER_ERRORS)
    if isinstance(returned, torch.optim.Optimizer):
        raise Wrong("freeze_norms returned a new optimizer, but the training loop keeps stepping the one it passed "
                    "you (its groups and its state)",
                    "measure: print opt.param_groups after your call, unchanged; change that optimizer in place "
                    "(or leave it and switch the norms' gradients off)")
    left_eval = [n or "the model" for n, m in net.named_modules() if not m.training]
    if left_eval:
        raise Wrong(f"freeze_norms left {left_eval[0]} in eval mode: eval() changes what BatchNorm computes "
                    "(running statistics instead of the batch's) and freezes no parameter",
                    "look at model.training after your call; requires_grad_(False) freezes, and the mode stays "
                    "the training loop's business")
    before = _snapshot(net)
    train(net, opt, _ex3_batches(3), set_to_none=False)
    moved = _moved(net, before)
    params = dict(net.named_parameters())
    norms = [n for n, p in params.items() if id(p) in norm_ids]
    others = [n for n, p in params.items() if id(p) not in norm_ids]
    computed = [n for n in norms if params[n].requires_grad]
    still_moving = [n for n in norms if moved[n]]
    if still_moving:
        n = still_moving[0]
        if params[n].requires_grad:
            raise Wrong(f"{where}, the norm parameter {n} kept moving and still requires grad",
                        "measure: print p.requires_grad for each norm parameter; each nn.LayerNorm, nn.BatchNorm1d "
                        "and nn.GroupNorm in model.modules() needs requires_grad_(False)")
        grad = params[n].grad
        raise Wrong(f"{where}, the norm parameter {n} kept moving, although it no longer requires grad",
                    f"measure: its .grad is {'a zero tensor' if grad is not None else 'None'} after a step; "
                    "zero_grad(set_to_none=False) keeps a zero .grad, and momentum, Adam's moments and weight "
                    "decay move a parameter whose .grad is not None: set p.grad = None once (or take it out of "
                    "the groups and opt.state)")
    if computed:
        raise Wrong(f"{where}, the norm parameters stopped moving, but {computed[0]} still has requires_grad=True: "
                    "its gradient is computed every step",
                    "an lr of 0 or leaving it out of the optimizer saves no compute: also call requires_grad_(False)")
    stopped = [n for n in others if not moved[n]]
    if stopped:
        raise Wrong(f"{where}, {stopped[0]} stopped training too, and it belongs to no norm layer",
                    "measure: list which parameters you froze; pick them by module type "
                    "(isinstance(m, (nn.LayerNorm, nn.BatchNorm1d, nn.GroupNorm))), not by shape or name")
    _check_state_agrees(opt, net, "freeze_norms")


def _check_state_agrees(opt, net, name: str) -> None:
    listed = {id(p) for g in opt.param_groups for p in g["params"]}
    orphans = [n for n, p in net.named_parameters() if p in opt.state and id(p) not in listed]
    if orphans:
        raise Wrong(f"{orphans[0]} left every group, but its optimizer state is still in opt.state: "
                    "opt.state_dict() (every checkpoint) raises KeyError",
                    "pop the state too: opt.state.pop(p, None) for each parameter you take out (see Pitfalls)")
    try:
        opt.state_dict()
    except Exception as error:
        raise Wrong(f"after {name}, opt.state_dict() raises {type(error).__name__}",
                    "the groups and opt.state must agree: pop the state of every parameter you take out") from None


# --- exercise 4: unfreeze one block at a time (Modify) -----------------------------------------------

def _stack3() -> nn.Sequential:
    return nn.Sequential(nn.Sequential(nn.Linear(6, 8), nn.ReLU()), nn.Sequential(nn.Linear(8, 8), nn.Tanh()),
                         nn.Linear(8, 3))


def _stack4() -> nn.Sequential:
    return nn.Sequential(nn.Sequential(nn.Linear(6, 10), nn.LayerNorm(10), nn.ReLU()),
                         nn.Sequential(nn.Linear(10, 8), nn.ReLU()), nn.Sequential(nn.Linear(8, 8), nn.Tanh()),
                         nn.Linear(8, 3))


#: (model maker, the head's optimizer): two depths, two optimizers, two head rates unlike the lesson's 0.01
_EX4_CASES = [(_stack3, lambda ps: torch.optim.Adam(ps, lr=0.02)),
              (_stack4, lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9))]

_EX4_ERRORS = {
    **_OPTIMIZER_ERRORS,
    "more than one parameter group": "unfreeze_next is called once per block: find the highest block still frozen "
                                     "(its parameters require no grad and sit in no group), not a fixed index",
}


@exercise(LESSON, 4, "unfreeze one block at a time")
def gradual_unfreeze(unfreeze_next):
    expect_function(unfreeze_next, "unfreeze_next")
    for make, make_opt in _EX4_CASES:
        _unfreeze_stack(unfreeze_next, make, make_opt)
    return "each call adds the next block down in its own group, ten times slower than the last one added"


def _unfreeze_stack(unfreeze_next, make, make_opt) -> None:
    torch.manual_seed(17)
    net = make()
    depth = len(net)
    for block in list(net)[:-1]:
        block.requires_grad_(False)
    opt = make_opt(net[-1].parameters())
    batches = _ex3_batches(2)
    train(net, opt, batches)
    for k in range(1, depth):
        lrs_before = [g["lr"] for g in opt.param_groups]
        returned = run_learner(unfreeze_next, net, opt, name="unfreeze_next", hints=_EX4_ERRORS)
        if isinstance(returned, torch.optim.Optimizer):
            raise Wrong("unfreeze_next returned a new optimizer, but training keeps stepping the one it passed you "
                        "(and a new one would forget the head's state)",
                        "change opt in place: opt.add_param_group({...})")
        turn, where = depth - 1 - k, f"with {depth} blocks under {type(opt).__name__}, after call {k}"
        params = {i: list(b.parameters()) for i, b in enumerate(net)}
        early = [i for i in range(turn) if any(p.requires_grad for p in params[i])]
        if early:
            raise Wrong(f"{where}, block {early[0]} already requires grad before its turn: backward computes its "
                        "gradients for nothing", "measure: print [p.requires_grad for p in block.parameters()] "
                        "for each block; switch on only the block being unfrozen (block.requires_grad_(True))")
        if not all(p.requires_grad for p in params[turn]):
            raise Wrong(f"{where}, block {turn} still has requires_grad=False",
                        "backward gives no .grad to a parameter that does not require grad: "
                        "call requires_grad_(True) on the block you unfreeze")
        missing = [key for g in opt.param_groups for key in opt.defaults if key not in g]
        if missing:
            raise Wrong(f"{where}, a parameter group lacks the optimizer's option {missing[0]!r}: step() would "
                        f"raise KeyError: {missing[0]!r}",
                        "a dict appended to opt.param_groups skips the defaults; opt.add_param_group({...}) "
                        "fills them in")
        groups = [_group_of(opt, p) for p in params[turn]]
        if not all(groups):
            raise Wrong(f"{where}, block {turn} is in no parameter group of the optimizer you were passed, so its "
                        "step() never moves it", "opt.add_param_group({'params': block.parameters(), 'lr': ...})")
        if len(opt.param_groups) != len(lrs_before) + 1 or {i for gs in groups for i in gs} != {len(lrs_before)}:
            raise Wrong(f"{where}, block {turn} should sit alone in one new group "
                        f"(there are {len(opt.param_groups)} groups, {len(lrs_before)} before the call)",
                        "one opt.add_param_group call per block, so each block keeps its own lr")
        now = [g["lr"] for g in opt.param_groups[:len(lrs_before)]]
        if now != lrs_before:
            raise Wrong(f"{where}, the earlier groups' learning rates changed from {lrs_before} to {now}",
                        "add a new group; leave the groups already there alone")
        want, lr = lrs_before[-1] / 10, opt.param_groups[-1]["lr"]
        if not math.isclose(lr, want, rel_tol=1e-9):
            if math.isclose(lr, opt.param_groups[0]["lr"] / 10, rel_tol=1e-9):
                hint = ("that is a tenth of the head's rate: each block learns ten times slower than the block "
                        "added just before it, opt.param_groups[-1]['lr'] / 10")
            elif math.isclose(lr, lrs_before[-1], rel_tol=1e-9):
                hint = "a group without 'lr' takes the optimizer's default: give the new group its 'lr'"
            else:
                hint = "read the rate of the group added last, opt.param_groups[-1]['lr'], and divide it by 10"
            raise Wrong(f"{where}, block {turn} learns with lr={lr:g}, expected {want:g}", hint)
        before = _snapshot(net)
        train(net, opt, batches)
        moved = _moved(net, before)
        names = dict(net.named_parameters())
        for i in range(depth):
            ids = {id(p) for p in params[i]}
            moved_i = any(moved[n] for n, p in names.items() if id(p) in ids)
            if moved_i != (i >= turn):
                raise Wrong(f"{where}, block {i} {'moved' if moved_i else 'did not move'} in the next steps",
                            "from the head down, the unfrozen blocks train and the others stay")


# --- exercise 5: discriminative learning rates (Make) -------------------------------------------

def _blocks_small() -> nn.Sequential:
    """Three blocks, a LayerNorm inside the first: 6 -> 8 -> 8 -> 3."""
    return nn.Sequential(nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.ReLU()),
                         nn.Sequential(nn.Linear(8, 8), nn.ReLU()),
                         nn.Linear(8, 3))


def _blocks_deep() -> nn.Sequential:
    """Four blocks, a BatchNorm and a bias-free layer: 6 -> 12 -> 10 -> 8 -> 3."""
    return nn.Sequential(nn.Sequential(nn.Linear(6, 12, bias=False), nn.BatchNorm1d(12), nn.ReLU()),
                         nn.Sequential(nn.Linear(12, 10), nn.Tanh()),
                         nn.Sequential(nn.Linear(10, 8), nn.ReLU()),
                         nn.Linear(8, 3))


#: (model maker, head_lr, decay): two models this lesson never used, and two settings, so no number can be typed in
_EX5_CASES = [(_blocks_small, 0.01, 0.5), (_blocks_deep, 0.02, 0.3)]
_WARMUP = 3  # the checker's scheduler warms every group up over this many steps


def _warmup(step: int) -> float:
    return min(1.0, (step + 1) / _WARMUP)


@exercise(LESSON, 5, "discriminative learning rates")
def discriminative_lrs(block_groups):
    expect_function(block_groups, "block_groups")
    for make, head_lr, decay in _EX5_CASES:
        _check_block_groups(block_groups, make, head_lr, decay)
    return "each block learns `decay` times slower than the one above it, and the scheduler scales them all"


def _check_block_groups(block_groups, make, head_lr: float, decay: float) -> None:
    torch.manual_seed(5)
    blocks = make()
    groups = run_learner(block_groups, blocks, head_lr, decay, name="block_groups", hints=_OPTIMIZER_ERRORS)
    if isinstance(groups, torch.optim.Optimizer):
        raise Wrong("block_groups returned an optimizer",
                    "return the list of group dicts: the checker builds its own optimizer and scheduler from it")
    if isinstance(groups, dict):
        raise Wrong("block_groups returned one dict", "return a list of dicts, one group per block")
    if groups is None or isinstance(groups, (str, torch.Tensor)) or not hasattr(groups, "__iter__"):
        raise Wrong(f"block_groups should return a list of dicts, got {type(groups).__name__}",
                    "[{'params': block.parameters(), 'lr': ...}, ...], one dict per block")
    groups = list(groups)
    if not all(isinstance(g, dict) and "params" in g for g in groups):
        raise Wrong("every group should be a dict with a 'params' key",
                    "[{'params': block.parameters(), 'lr': ...}, ...], one dict per block")
    changed = [n for n, p in blocks.named_parameters() if not p.requires_grad]
    if changed or not all(m.training for m in blocks.modules()):
        what = f"{changed[0]}.requires_grad is now False" if changed else "the model is now in eval mode"
        raise Wrong(f"block_groups changed the model it was given: {what}",
                    "building groups reads the model and changes nothing: its flags and mode stay as they were")
    # the default lr is not head_lr, so a group that leaves out 'lr' shows up
    opt = _adamw_from(groups)
    names = {id(p): n for n, p in blocks.named_parameters()}
    depth = len(blocks)
    strangers = [p for g in opt.param_groups for p in g["params"] if id(p) not in names]
    if strangers:
        raise Wrong(f"your groups hold {len(strangers)} tensor(s) that are not the model's parameters",
                    "measure: id(p) of a group's tensor against id() of the block's parameters; put the parameters "
                    "themselves in the groups (block.parameters()), not p.data, copies or detached tensors: the "
                    "optimizer would update those, and the model would never change")
    got: dict[int, float] = {}
    for name, p in blocks.named_parameters():
        where = _group_of(opt, p)
        if not where:
            raise Wrong(f"{name} is in no group, so it would never train",
                        "take each block's parameters with block.parameters(): that includes every layer in the "
                        "block (norms and biases too)")
        got.setdefault(int(name.split(".")[0]), opt.param_groups[where[0]]["lr"])
    for name, p in blocks.named_parameters():
        block = int(name.split(".")[0])
        want = head_lr * decay ** (depth - 1 - block)
        lr = opt.param_groups[_group_of(opt, p)[0]]["lr"]
        if not math.isclose(lr, want, rel_tol=1e-6):
            raise Wrong(f"with {depth} blocks, head_lr={head_lr} and decay={decay}, {name} (block {block}) "
                        f"learns at lr={lr:.6g}, expected {want:.6g}", _lr_hint(got, head_lr, decay, depth))
    # several steps with a scheduler built on your groups: every group follows it, and every parameter moves
    start = [g["lr"] for g in opt.param_groups]
    scheduler = torch.optim.lr_scheduler.LambdaLR(opt, _warmup)
    g = torch.Generator().manual_seed(11)
    x = torch.randn(16, 6, generator=g)
    y = torch.randint(0, 3, (16,), generator=g)
    before = {n: p.detach().clone() for n, p in blocks.named_parameters()}
    for _ in range(_WARMUP + 1):
        opt.zero_grad()
        nn.functional.cross_entropy(blocks(x), y).backward()
        opt.step()
        scheduler.step()
    still = [n for n, p in blocks.named_parameters() if torch.equal(p.detach(), before[n])]
    if still:
        raise Wrong(f"after {_WARMUP + 1} steps {still[0]} has not moved",
                    "a parameter that trains needs requires_grad=True and a group with lr > 0")
    ratios = [g["lr"] / s if s else 0.0 for g, s in zip(opt.param_groups, start)]
    if not all(math.isclose(r, _warmup(_WARMUP + 1), rel_tol=1e-9) for r in ratios):
        raise Wrong("the scheduler did not scale every group alike", "give each group its own 'lr' and nothing else")


def _lr_hint(got: dict[int, float], head_lr: float, decay: float, depth: int) -> str:
    """The hint for the rates ``got`` (block -> lr), judged on every block at once (one block can fit two patterns)."""
    def fits(rule) -> bool:
        return all(math.isclose(lr, rule(b), rel_tol=1e-6) for b, lr in got.items())

    measure = "print [g['lr'] for g in opt.param_groups] next to the block each group holds: "
    if fits(lambda b: 1e-3):
        return measure + "every group has 0.001, the optimizer's default: a group without 'lr' takes it"
    if fits(lambda b: head_lr * decay ** b):
        return measure + ("the order is reversed: the head (the last block) learns fastest, at head_lr, and the "
                          "block next to the input slowest; use the distance from the head, n - 1 - i")
    if fits(lambda b: head_lr * decay ** (depth - b)):
        return measure + "one decay too many: the head itself learns at head_lr, the block below it at head_lr * decay"
    first = len(_EX5_CASES[0][0]())
    if depth != first and fits(lambda b: head_lr * decay ** (first - 1 - b)):
        return measure + (f"they fit a model of {first} blocks (the first one tried), and this one has {depth}: count "
                          "the blocks with len(blocks), distance from the head n - 1 - i")
    if fits(lambda b: head_lr * decay ** (depth - 2 - b)):
        return measure + "one decay too few: the block just below the head learns at head_lr * decay"
    if fits(lambda b: head_lr * decay * (depth - 1 - b)) or fits(lambda b: head_lr - decay * (depth - 1 - b)) \
            or fits(lambda b: head_lr * (1 - decay * (depth - 1 - b))) \
            or fits(lambda b: head_lr * max(0.0, 1 - decay * (depth - 1 - b))):
        return measure + ("they fall by a fixed step (linearly); they should fall by a factor: each block learns "
                          "`decay` times the rate of the block above, head_lr * decay ** (distance from the head)")
    return measure + ("block i of n learns at head_lr * decay ** (n - 1 - i): the head at head_lr, each block below "
                      "`decay` times slower")

#: what the lesson's notebook uses (its checkers); the other names serve the checkers and their tests
__all__ = ["two_groups", "which_move", "freeze_mid_training", "gradual_unfreeze", "discriminative_lrs"]
