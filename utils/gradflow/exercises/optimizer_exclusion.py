"""Checkers for lesson 07, leaving parameters out of the optimizer.

Every checker rebuilds its own model (the lesson's :class:`gradflow.models.SeedNet`) and data and runs the
learner's function on them, so notebook state and the learner's random stream play no part.
"""

from __future__ import annotations

import torch
from torch import nn

from ..checking import Wrong, exercise, expect_function, expect_type, train
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
    opt = make_optimizer(net)
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


@exercise(LESSON, 2, "which parameters move")
def which_move(moves):
    expect_type(moves, dict, "moves", "a dict: optimizer name -> {'a': True/False, 'b': ..., 'c': ...}")
    truth = ex2_truth()
    missing = [k for k in truth if k not in moves]
    if missing:
        raise Wrong(f"moves has no entry for {missing[0]!r}", f"keep the keys of the template: {list(truth)}")
    for opt_name, row in truth.items():
        answer = moves[opt_name]
        if not isinstance(answer, dict) or any(k not in answer for k in "abc"):
            raise Wrong(f"moves[{opt_name!r}] should be a dict with keys 'a', 'b', 'c'")
        for k in "abc":
            if not isinstance(answer[k], bool):
                raise Wrong(f"moves[{opt_name!r}][{k!r}] should be True or False, got {type(answer[k]).__name__}")
    for opt_name, row in truth.items():
        for k in "abc":
            if moves[opt_name][k] != row[k]:
                said = "moves" if moves[opt_name][k] else "stays"
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
    freeze_layer(net, opt, "model_2")
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
    return "model_2 stopped moving and has no gradient computed; model_1 and fc train on"


# --- exercise 4 --------------------------------------------------------------------------------

@exercise(LESSON, 4, "unfreeze gradually")
def gradual_unfreeze(unfreeze):
    expect_function(unfreeze, "unfreeze")
    net = _net()
    backbone = {n: p for n, p in net.named_parameters() if n.startswith(("model_1.", "model_2."))}
    for p in backbone.values():
        p.requires_grad_(False)
    opt = torch.optim.Adam(net.fc.parameters(), lr=0.01)
    _moved_by_training(net, opt)
    unfreeze(net, opt)
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
    if [opt.param_groups[i]["lr"] for i in sorted(head_groups)] != [0.01]:
        raise Wrong(f"the head's learning rate is now {[opt.param_groups[i]['lr'] for i in sorted(head_groups)]}, "
                    "expected it to stay 0.01", "add a new group for the backbone; leave the head's group alone")
    lrs = sorted({opt.param_groups[i]["lr"] for groups in placed.values() for i in groups})
    if lrs != [0.001]:
        hint = ("a parameter added to the head's group (or a group without 'lr') learns at the head's rate"
                if 0.01 in lrs else "ten times smaller than 0.01")
        raise Wrong(f"the backbone learns with lr {lrs}, expected 0.001", hint)
    if not all(_layer_moved(moved, layer) for layer in ("model_1", "model_2", "fc")):
        still = [n for n, m in moved.items() if not m]
        raise Wrong(f"after unfreezing, these did not move: {still}")
    return "the backbone trains at lr=0.001 next to the head at lr=0.01"
