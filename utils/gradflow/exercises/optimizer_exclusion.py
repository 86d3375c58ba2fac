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
    ("c", False): "c.grad is None: every optimizer skips such a parameter",
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


# --- exercise 3 --------------------------------------------------------------------------------

@exercise(LESSON, 3, "freeze a layer so it truly stops")
def freeze_mid_training(freeze_layer):
    expect_function(freeze_layer, "freeze_layer")
    net = _net()
    opt = torch.optim.AdamW(net.parameters(), lr=0.01)
    _moved_by_training(net, opt, set_to_none=False)
    run_learner(freeze_layer, net, opt, "model_2", name="freeze_layer", hints=_OPTIMIZER_ERRORS)
    moved = _moved_by_training(net, opt, set_to_none=False)
    wants_grad = [n for n, p in net.model_2.named_parameters() if p.requires_grad]
    if _layer_moved(moved, "model_2"):
        if wants_grad:
            raise Wrong("model_2 kept moving after freeze_layer",
                        "switch off its gradient with requires_grad_(False) for each of its parameters")
        raise Wrong("model_2 kept moving after freeze_layer, although it no longer requires grad",
                    "zero_grad(set_to_none=False) leaves its .grad a zero tensor, and AdamW's moments and "
                    "weight decay move it anyway: set p.grad = None once (or take it out of the optimizer)")
    if wants_grad:
        raise Wrong(f"model_2 stopped moving, but its gradient is still computed every step "
                    f"(model_2.{wants_grad[0]} has requires_grad=True)",
                    "leaving a layer out of the optimizer saves no compute: also call requires_grad_(False)")
    for layer in ("model_1", "fc"):
        if not _layer_moved(moved, layer):
            raise Wrong(f"{layer} stopped training too", "freeze only the layer named by `name`")
    listed = {id(p) for g in opt.param_groups for p in g["params"]}
    orphans = [n for n, p in net.named_parameters() if p in opt.state and id(p) not in listed]
    if orphans:
        raise Wrong(f"{orphans[0]} left every group, but its AdamW state is still in opt.state: "
                    "opt.state_dict() (every checkpoint) raises KeyError",
                    "pop the state too: opt.state.pop(p, None) for each parameter you take out (see Pitfalls)")
    try:
        opt.state_dict()
    except Exception as error:
        raise Wrong(f"after freeze_layer, opt.state_dict() raises {type(error).__name__}",
                    "the groups and opt.state must agree: pop the state of every parameter you take out") from None
    return "model_2 stopped moving and has no gradient computed; model_1 and fc train on"


# --- exercise 4 --------------------------------------------------------------------------------

@exercise(LESSON, 4, "unfreeze gradually")
def gradual_unfreeze(unfreeze):
    expect_function(unfreeze, "unfreeze")
    for head_lr in (0.01, 0.05):  # a second head lr: "ten times smaller than the head's", not a fixed number
        _unfreeze_once(unfreeze, head_lr)
    return "the backbone trains at a tenth of the head's learning rate, next to the head"


def _unfreeze_once(unfreeze, head_lr: float) -> None:
    net = _net()
    backbone = {n: p for n, p in net.named_parameters() if n.startswith(("model_1.", "model_2."))}
    for p in backbone.values():
        p.requires_grad_(False)
    opt = torch.optim.Adam(net.fc.parameters(), lr=head_lr)
    _moved_by_training(net, opt)
    run_learner(unfreeze, net, opt, name="unfreeze", hints=_OPTIMIZER_ERRORS)
    moved = _moved_by_training(net, opt)
    head_groups = {i for p in net.fc.parameters() for i in _group_of(opt, p)}
    placed = {name: _group_of(opt, p) for name, p in backbone.items()}
    frozen = [name for name, p in backbone.items() if not p.requires_grad]
    outside = [n for n, groups in placed.items() if not groups]
    if frozen:
        raise Wrong(f"{frozen[0]} still has requires_grad=False",
                    "backward gives no .grad to a parameter that does not require grad: call requires_grad_(True)")
    if outside:
        raise Wrong(f"{outside[0]} is in no parameter group, so step() never moves it",
                    "opt.add_param_group({'params': backbone_parameters, 'lr': ...})")
    head_lrs = [opt.param_groups[i]["lr"] for i in sorted(head_groups)]
    if len(head_lrs) != 1 or not math.isclose(head_lrs[0], head_lr, rel_tol=1e-9):
        raise Wrong(f"the head's learning rate is now {head_lrs}, expected it to stay {head_lr}",
                    "add a new group for the backbone; leave the head's group alone")
    lrs = sorted({opt.param_groups[i]["lr"] for groups in placed.values() for i in groups})
    want = head_lr / 10
    if len(lrs) != 1 or not math.isclose(lrs[0], want, rel_tol=1e-9):
        if any(math.isclose(lr, head_lr, rel_tol=1e-9) for lr in lrs):
            hint = "a parameter added to the head's group (or a group without 'lr') learns at the head's rate"
        elif any(math.isclose(lr, 0.001, rel_tol=1e-9) for lr in lrs):
            hint = "0.001 is a tenth of 0.01 only: read the head's rate from opt.param_groups[0]['lr']"
        else:
            hint = "ten times smaller than the head's rate, opt.param_groups[0]['lr'] / 10"
        raise Wrong(f"with the head at lr={head_lr}, the backbone learns with lr {lrs}, expected {want:g}", hint)
    if not all(_layer_moved(moved, layer) for layer in ("model_1", "model_2", "fc")):
        still = [n for n, m in moved.items() if not m]
        raise Wrong(f"after unfreezing, these did not move: {still}")


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
    # the default lr is not head_lr, so a group that leaves out 'lr' shows up
    opt = _adamw_from(groups)
    names = {id(p): n for n, p in blocks.named_parameters()}
    depth = len(blocks)
    for name, p in blocks.named_parameters():
        where = _group_of(opt, p)
        if not where:
            raise Wrong(f"{name} is in no group, so it would never train",
                        "take each block's parameters with block.parameters(): that includes every layer in the "
                        "block (norms and biases too)")
        block = int(name.split(".")[0])
        want = head_lr * decay ** (depth - 1 - block)
        lr = opt.param_groups[where[0]]["lr"]
        if not math.isclose(lr, want, rel_tol=1e-6):
            raise Wrong(f"with {depth} blocks, head_lr={head_lr} and decay={decay}, {name} (block {block}) "
                        f"learns at lr={lr:.6g}, expected {want:.6g}", _lr_hint(lr, head_lr, decay, depth, block))
    strangers = [p for g in opt.param_groups for p in g["params"] if id(p) not in names]
    if strangers:
        raise Wrong(f"your groups hold {len(strangers)} tensor(s) that are not the model's parameters",
                    "put the parameters themselves in the groups (block.parameters()), not copies or detached tensors")
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


def _lr_hint(lr: float, head_lr: float, decay: float, depth: int, block: int) -> str:
    close = lambda a, b: math.isclose(a, b, rel_tol=1e-6)  # noqa: E731
    if close(lr, 1e-3):
        return "that is the optimizer's default: a group without 'lr' takes it; give every group its 'lr'"
    if close(lr, head_lr * decay ** block):
        return ("the order is reversed: the head (the last block) learns fastest, at head_lr, and the block "
                "next to the input slowest; iterate from the head down, or use the distance from the head")
    if close(lr, head_lr * decay ** (depth - block)):
        return "one decay too many: the head itself learns at head_lr, the block below it at head_lr * decay"
    if close(lr, head_lr * decay ** (depth - 2 - block)):
        return "one decay too few: the block just below the head learns at head_lr * decay"
    if close(lr, head_lr * decay * (depth - 1 - block)) or close(lr, head_lr - decay * (depth - 1 - block)):
        return "the rate shrinks by a factor per block: head_lr * decay ** (distance from the head)"
    return "block i of n learns at head_lr * decay ** (n - 1 - i): the head at head_lr, each block below `decay` times slower"
