"""Lesson 07's checkers from both sides (leaving parameters out of the optimizer): plausible wrong answers
are rejected with the hint that names the real cause, right answers written differently pass."""

import numpy as np
import pytest
import torch

from torch import nn

from checker_helpers import WrongAnswers, accepts, rejected
from gradflow.exercises import optimizer_exclusion as ex
from gradflow.models import SeedNet

wrong = WrongAnswers("07")


def _backbone(model):
    return list(model.model_1.parameters()) + list(model.model_2.parameters())


# --- 07.1 two groups, one still (warm-up) ---------------------------------------------------------

def _two_groups(model):
    return torch.optim.SGD([{"params": model.fc.parameters(), "lr": 0.1},
                            {"params": _backbone(model), "lr": 0.0}], momentum=0.9)


def _three_groups(model):  # model_1 and model_2 apart, defaults after the list: same options, also right
    return torch.optim.SGD([{"params": model.model_1.parameters(), "lr": 0},
                            {"params": model.model_2.parameters(), "lr": 0},
                            {"params": model.fc.parameters()}], lr=0.1, momentum=0.9)


@pytest.mark.parametrize("right", [_two_groups, _three_groups])
def test_ex1_accepts_groups_written_differently(right, capsys):
    assert ex.two_groups(right)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("answer, fragments", [
    (lambda m: torch.optim.SGD(m.fc.parameters(), lr=0.1, momentum=0.9),
     ["model_1.weight is in no parameter group", "a backbone group with lr=0"]),
    (lambda m: torch.optim.SGD([{"params": m.fc.parameters(), "lr": 0.0},
                                {"params": _backbone(m), "lr": 0.1}], momentum=0.9),
     ["model_1.weight is in a group with lr=0.1, expected lr=0.0", "the head (fc) learns with lr=0.1"]),
    (lambda m: torch.optim.SGD([{"params": m.fc.parameters(), "lr": 0.1},
                                {"params": _backbone(m), "lr": 0.0}]),
     ["momentum is [0, 0], expected 0.9", "pass momentum=0.9 after the list"]),
    (lambda m: torch.optim.Adam([{"params": m.fc.parameters(), "lr": 0.1}, {"params": _backbone(m), "lr": 0.0}]),
     ["expected torch.optim.SGD"]),
    (lambda m: None, ["returned None", "return the optimizer"]),
    # the learner's real errors are reported as they are, with their cause (not "run the cells above again")
    (lambda m: torch.optim.SGD([{"params": m.fc.parameters(), "lr": 0.1},
                                {"params": m.parameters(), "lr": 0.0}], momentum=0.9),
     ["raised ValueError: some parameters appear in more than one parameter group", "one group only"]),
    (lambda m: torch.optim.SGD([{"params": [m.fc], "lr": 0.1}, {"params": _backbone(m), "lr": 0.0}], momentum=0.9),
     ["make_optimizer raised TypeError: optimizer can only optimize Tensors", "not the layer itself"]),
    (lambda m: torch.optim.SGD([{"params": m.fc, "lr": 0.1}], momentum=0.9),
     ["make_optimizer raised TypeError: 'Linear' object is not iterable", "not the layer itself"]),
    (lambda m: torch.optim.SGD(m.fc.parameters(), lr=0.1, momentun=0.9),
     ["make_optimizer raised TypeError: SGD.__init__() got an unexpected keyword argument 'momentun'",
      "the error comes from inside your make_optimizer"]),
])
def test_ex1_rejects_wrong_groups_and_reports_real_errors(answer, fragments, capsys):
    rejected(ex.two_groups, answer, "07.1", *fragments, capsys=capsys)


_NOTEBOOK_NET = SeedNet()  # a model of the notebook's, not the one the checker passes


@wrong(1, "not parameters of the model passed", "build the groups from the `model` argument", kind="ignored")
def _m1_rebuilds_the_model(model):
    model = SeedNet()
    return _two_groups(model)


@wrong(1, "not parameters of the model passed", "not from a model made inside or a notebook global", kind="hard-coded")
def _m1_uses_the_notebook_net(model):
    return _two_groups(_NOTEBOOK_NET)


@wrong(1, "model_1.weight.requires_grad is now False", "leaves the model's flags", kind="state")
def _m1_also_freezes(model):
    for p in _backbone(model):
        p.requires_grad_(False)
    return _two_groups(model)


@wrong(1, "the model is now in eval mode", "flags and mode as they were", kind="state")
def _m1_switches_to_eval(model):
    model.eval()
    return _two_groups(model)


@wrong(1, "model_1.weight is in no parameter group", "a backbone group with lr=0", kind="shortcut")
def _m1_leaves_the_backbone_out(model):
    return torch.optim.SGD(model.fc.parameters(), lr=0.1, momentum=0.9)


@wrong(1, "should return a torch.optim optimizer, got list", kind="return")
def _m1_returns_the_groups(model):
    return [{"params": model.fc.parameters(), "lr": 0.1}, {"params": _backbone(model), "lr": 0.0}]


@wrong(1, "momentum is [0, 0], expected 0.9", "pass momentum=0.9 after the list", kind="other")
def _m1_without_momentum(model):
    return torch.optim.SGD([{"params": model.fc.parameters(), "lr": 0.1}, {"params": _backbone(model), "lr": 0.0}])


@wrong(1, "model_1.weight is in a group with lr=0.1, expected lr=0.0", "the head (fc) learns with lr=0.1",
       kind="other")
def _m1_swapped_rates(model):
    return torch.optim.SGD([{"params": model.fc.parameters(), "lr": 0.0},
                            {"params": _backbone(model), "lr": 0.1}], momentum=0.9)


test_ex1_rejects_mutants = wrong.rejects(1, ex.two_groups)


# --- 07.2 which parameters move -------------------------------------------------------------------

RIGHT = {
    "SGD momentum=0.9": {"a": True, "b": False, "c": False},
    "Adam": {"a": True, "b": False, "c": False},
    "AdamW": {"a": True, "b": True, "c": False},
}


def _with(opt_name, key, value):
    answer = {k: dict(v) for k, v in RIGHT.items()}
    answer[opt_name][key] = value
    return answer


def test_ex2_truth_matches_the_pinned_pytorch():
    assert ex.ex2_truth() == RIGHT


@pytest.mark.parametrize("right", [
    RIGHT,
    {k: {n: np.bool_(v) for n, v in row.items()} for k, row in RIGHT.items()},  # numpy bools (e.g. from an array)
    {k: {n: torch.tensor(v) for n, v in row.items()} for k, row in RIGHT.items()},  # one-element bool tensors
])
def test_ex2_accepts_bools_of_every_kind(right, capsys):
    assert ex.which_move(right)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("answer, fragments", [
    (_with("Adam", "a", False), ["under Adam, you say a stays; it moves", "optimizer state"]),
    (_with("AdamW", "b", False), ["under AdamW, you say b stays; it moves", "weight_decay is 0.01"]),
    (_with("Adam", "b", True), ["under Adam, you say b moves; it does not", "start at zero"]),
    (_with("SGD momentum=0.9", "c", True), ["you say c moves; it does not", "c.grad is None"]),
    (_with("Adam", "a", np.False_), ["under Adam, you say a stays; it moves"]),
    (_with("Adam", "a", "yes"), ["step_moves['Adam']['a'] is the text 'yes'", "without quotes"]),
    (_with("Adam", "a", 1), ["step_moves['Adam']['a'] is the number 1", "not a number"]),
    (_with("Adam", "a", None), ["should be True or False, got NoneType", "write True if the step moves"]),
    ({"Adam": RIGHT["Adam"]}, ["no entry for 'SGD momentum=0.9'", "keep the keys"]),
    ({**RIGHT, "AdamW": {"a": True}}, ["keys 'a', 'b', 'c'"]),
    ([True, False], ["step_moves should be a dict, got list", "keep the template"]),
])
def test_ex2_rejects_wrong_and_malformed_answers(answer, fragments, capsys):
    rejected(ex.which_move, answer, "07.2", *fragments, capsys=capsys)


for _name, (_answer, _cause, _hint, _kind) in {
    "adam_a_stays": (_with("Adam", "a", False), "under Adam, you say a stays; it moves", "optimizer state", "other"),
    "adamw_b_stays": (_with("AdamW", "b", False), "under AdamW, you say b stays; it moves", "weight_decay is 0.01",
                      "narrow"),
    "adam_b_moves": (_with("Adam", "b", True), "under Adam, you say b moves; it does not", "start at zero", "other"),
    "sgd_c_moves": (_with("SGD momentum=0.9", "c", True), "you say c moves; it does not", "c.grad is None", "other"),
    "text": (_with("AdamW", "c", "False"), "is the text 'False'", "without quotes", "return"),
    "number": (_with("SGD momentum=0.9", "b", 0), "is the number 0", "not a number", "return"),
    "sgd_row_everywhere": ({k: dict(RIGHT["SGD momentum=0.9"]) for k in RIGHT},
                           "under AdamW, you say b stays; it moves", "weight_decay is 0.01", "narrow"),
}.items():
    wrong.case(2, _answer, _cause, _hint, id=_name, kind=_kind)

test_ex2_rejects_mutants = wrong.rejects(2, ex.which_move)


def test_ex2_stub_is_not_attempted(capsys):
    assert not ex.which_move({k: {"a": ..., "b": ..., "c": ...} for k in RIGHT})
    assert "not attempted yet" in capsys.readouterr().out


# --- 07.3 freeze every norm layer mid-training (Modify) ------------------------------------------------

_NORMS = (nn.LayerNorm, nn.BatchNorm1d, nn.GroupNorm)


def _norm_params(model):
    return [p for m in model.modules() if isinstance(m, _NORMS) for p in m.parameters(recurse=False)]


def _freeze_norms(model, opt):
    for p in _norm_params(model):
        p.requires_grad_(False)
        p.grad = None


def _freeze_norm_modules(model, opt):  # the module calls: requires_grad_ and zero_grad(set_to_none=True)
    for m in model.modules():
        if isinstance(m, (nn.LayerNorm, nn.BatchNorm1d, nn.GroupNorm)):
            m.requires_grad_(False)
            m.zero_grad(set_to_none=True)


def _freeze_norms_and_remove(model, opt):  # out of the groups and opt.state, by identity
    norms = _norm_params(model)
    for p in norms:
        p.requires_grad_(False)
    for group in opt.param_groups:
        group["params"] = [p for p in group["params"] if all(p is not q for q in norms)]
    for p in norms:
        opt.state.pop(p, None)


test_ex3_accepts_each_safe_recipe = accepts(ex.freeze_mid_training, "07.3",
                                            [_freeze_norms, _freeze_norm_modules, _freeze_norms_and_remove])


@wrong(3, "kept moving, although it no longer requires grad", "its .grad is a zero tensor", kind="other")
def _m3_requires_grad_only(model, opt):
    for p in _norm_params(model):
        p.requires_grad_(False)


@wrong(3, "kept moving, although it no longer requires grad", "a zero .grad", kind="symptom")
def _m3_zeroes_the_grad(model, opt):
    for p in _norm_params(model):
        p.requires_grad_(False)
        p.grad.zero_()


@wrong(3, "with BatchNorm1d and GroupNorm", "nn.BatchNorm1d", kind="hard-coded")
def _m3_layernorm_only(model, opt):
    for m in model.modules():
        if isinstance(m, nn.LayerNorm):
            m.requires_grad_(False)
            m.zero_grad(set_to_none=True)


@wrong(3, "0.bias stopped training too, and it belongs to no norm layer", "not by shape or name", kind="narrow")
def _m3_every_1d_parameter(model, opt):
    for p in model.parameters():
        if p.dim() == 1:
            p.requires_grad_(False)
            p.grad = None


@wrong(3, "left the model in eval mode", "look at model.training", kind="state")
def _m3_and_eval(model, opt):
    _freeze_norms(model, opt)
    model.eval()


@wrong(3, "still in opt.state", "opt.state.pop(p, None)", kind="state")
def _m3_removed_keeping_state(model, opt):
    norms = _norm_params(model)
    for p in norms:
        p.requires_grad_(False)
    for group in opt.param_groups:
        group["params"] = [p for p in group["params"] if all(p is not q for q in norms)]


@wrong(3, "returned a new optimizer", "print opt.param_groups after your call", kind="ignored")
def _m3_returns_a_new_optimizer(model, opt):
    norms = {id(p) for p in _norm_params(model)}
    for p in _norm_params(model):
        p.requires_grad_(False)
    return torch.optim.AdamW([p for p in model.parameters() if id(p) not in norms], lr=0.01)


@wrong(3, "still has requires_grad=True", "also call requires_grad_(False)", kind="symptom")
def _m3_lr_zero_group(model, opt):  # the norms moved into a group of their own with lr=0 (and no decay)
    norms = _norm_params(model)
    for group in opt.param_groups:
        group["params"] = [p for p in group["params"] if all(p is not q for q in norms)]
    for p in norms:
        opt.state.pop(p, None)
        p.grad = None
    opt.add_param_group({"params": norms, "lr": 0.0, "weight_decay": 0.0, "momentum": 0.0})


@wrong(3, "freeze_norms raised", "filter by identity", kind="other")
def _m3_list_remove(model, opt):
    for p in _norm_params(model):
        p.requires_grad_(False)
        opt.param_groups[-1]["params"].remove(p)


wrong.case(3, lambda model, opt: None, "kept moving and still requires grad", "requires_grad_(False)",
           id="nothing", kind="other")

test_ex3_rejects_mutants = wrong.rejects(3, ex.freeze_mid_training)


# --- 07.4 unfreeze one block at a time (Modify) ------------------------------------------------------------

def _held(opt):
    return {id(p) for g in opt.param_groups for p in g["params"]}


def _unfreeze_next(model, opt):
    held = _held(opt)
    for block in reversed(model):
        params = list(block.parameters())
        if params and id(params[0]) not in held:
            block.requires_grad_(True)
            opt.add_param_group({"params": params, "lr": opt.param_groups[-1]["lr"] / 10})
            return


def _unfreeze_by_flags(model, opt):  # the highest block whose parameters still require no grad
    frozen = [i for i, block in enumerate(model) if not any(p.requires_grad for p in block.parameters())]
    block = model[frozen[-1]]
    for p in block.parameters():
        p.requires_grad = True
    opt.add_param_group({"params": list(block.parameters()), "lr": 0.1 * opt.param_groups[-1]["lr"]})


test_ex4_accepts_unfreezing_written_differently = accepts(ex.gradual_unfreeze, "07.4",
                                                          [_unfreeze_next, _unfreeze_by_flags])


def _next_block(model, opt):
    held = _held(opt)
    return next(b for b in reversed(model) if id(next(b.parameters())) not in held)


@wrong(4, "block 0 already requires grad before its turn", "switch on only the block", kind="state")
def _m4_whole_model_on(model, opt):
    model.requires_grad_(True)
    opt.add_param_group({"params": list(_next_block(model, opt).parameters()), "lr": opt.param_groups[-1]["lr"] / 10})


@wrong(4, "still has requires_grad=False", "requires_grad_(True)", kind="other")
def _m4_without_requires_grad(model, opt):
    opt.add_param_group({"params": list(_next_block(model, opt).parameters()), "lr": opt.param_groups[-1]["lr"] / 10})


@wrong(4, "lacks the optimizer's option", "opt.add_param_group({...}) fills them in", kind="shortcut")
def _m4_appends_a_dict(model, opt):
    block = _next_block(model, opt)
    block.requires_grad_(True)
    opt.param_groups.append({"params": list(block.parameters()), "lr": opt.param_groups[-1]["lr"] / 10})


@wrong(4, "expected 0.0002", "a tenth of the head's rate", kind="narrow")
def _m4_tenth_of_the_head(model, opt):
    block = _next_block(model, opt)
    block.requires_grad_(True)
    opt.add_param_group({"params": list(block.parameters()), "lr": opt.param_groups[0]["lr"] / 10})


@wrong(4, "learns with lr=0.001, expected 0.002", "opt.param_groups[-1]['lr']", kind="hard-coded")
def _m4_lesson_number(model, opt):
    block = _next_block(model, opt)
    block.requires_grad_(True)
    opt.add_param_group({"params": list(block.parameters()), "lr": 0.001})


@wrong(4, "unfreeze_next raised ValueError", "not a fixed index", kind="hard-coded")
def _m4_fixed_index(model, opt):
    model[-2].requires_grad_(True)
    opt.add_param_group({"params": model[-2].parameters(), "lr": opt.param_groups[-1]["lr"] / 10})


@wrong(4, "returned a new optimizer", "change opt in place", kind="ignored")
def _m4_new_optimizer(model, opt):
    block = _next_block(model, opt)
    block.requires_grad_(True)
    return type(opt)([*opt.param_groups, {"params": list(block.parameters()), "lr": opt.param_groups[-1]["lr"] / 10}])


@wrong(4, "in no parameter group of the optimizer you were passed", "add_param_group", kind="ignored")
def _m4_rebuilds_locally(model, opt):
    block = _next_block(model, opt)
    block.requires_grad_(True)
    opt = torch.optim.Adam(block.parameters(), lr=0.002)  # noqa: F841 (the caller never sees it)


@wrong(4, "should sit alone in one new group", "one opt.add_param_group call per block", kind="other")
def _m4_into_the_last_group(model, opt):
    block = _next_block(model, opt)
    block.requires_grad_(True)
    opt.param_groups[-1]["params"].extend(block.parameters())


@wrong(4, "learns with lr=0.02, expected 0.002", "a group without 'lr'", kind="other")
def _m4_without_lr(model, opt):
    block = _next_block(model, opt)
    block.requires_grad_(True)
    opt.add_param_group({"params": list(block.parameters())})


test_ex4_rejects_mutants = wrong.rejects(4, ex.gradual_unfreeze)


# --- 07.5 discriminative learning rates (Make) ----------------------------------------------------------

def _by_distance(blocks, head_lr, decay):
    n = len(blocks)
    return [{"params": block.parameters(), "lr": head_lr * decay ** (n - 1 - i)} for i, block in enumerate(blocks)]


def _from_the_head_down(blocks, head_lr, decay):  # a running product, from the head down, lists of parameters
    groups, lr = [], head_lr
    for block in reversed(list(blocks.children())):
        groups.append({"params": list(block.parameters()), "lr": lr})
        lr *= decay
    return groups


def _by_parameter_name(blocks, head_lr, decay):  # one group per parameter, the block read from its name
    n = len(blocks)
    return ({"params": [p], "lr": head_lr * decay ** (n - 1 - int(name.split(".")[0]))}
            for name, p in blocks.named_parameters())


@pytest.mark.parametrize("right", [_by_distance, _from_the_head_down, _by_parameter_name])
def test_ex5_accepts_groups_built_differently(right, capsys):
    assert ex.discriminative_lrs(right)
    assert "passed" in capsys.readouterr().out


def _reversed(blocks, head_lr, decay):
    return [{"params": b.parameters(), "lr": head_lr * decay ** i} for i, b in enumerate(blocks)]


def _decayed_head(blocks, head_lr, decay):
    n = len(blocks)
    return [{"params": b.parameters(), "lr": head_lr * decay ** (n - i)} for i, b in enumerate(blocks)]


def _no_lr(blocks, head_lr, decay):
    return [{"params": b.parameters()} for b in blocks]


def _linear_layers_only(blocks, head_lr, decay):  # misses the norms inside the blocks
    n = len(blocks)
    return [{"params": (b[0] if isinstance(b, torch.nn.Sequential) else b).parameters(),
             "lr": head_lr * decay ** (n - 1 - i)} for i, b in enumerate(blocks)]


def _whole_model_plus_head(blocks, head_lr, decay):
    return [{"params": blocks.parameters(), "lr": head_lr * decay}, {"params": blocks[-1].parameters(), "lr": head_lr}]


def _hard_coded(blocks, head_lr, decay):  # the numbers of one case typed in
    return [{"params": b.parameters(), "lr": lr} for b, lr in zip(blocks, [0.0025, 0.005, 0.01, 0.01])]


def _an_optimizer(blocks, head_lr, decay):
    return torch.optim.AdamW(_by_distance(blocks, head_lr, decay))


def _copies(blocks, head_lr, decay):
    n = len(blocks)
    return [{"params": [p.detach().clone().requires_grad_() for p in b.parameters()],
             "lr": head_lr * decay ** (n - 1 - i)} for i, b in enumerate(blocks)]


def _linear(blocks, head_lr, decay):  # a fixed step per block instead of a factor
    n = len(blocks)
    return [{"params": b.parameters(), "lr": head_lr * (1 - decay * (n - 1 - i))} for i, b in enumerate(blocks)]


def _three_blocks_assumed(blocks, head_lr, decay):  # right only for the first model's depth
    return [{"params": b.parameters(), "lr": head_lr * decay ** (2 - i)} for i, b in enumerate(blocks)]


def _data_tensors(blocks, head_lr, decay):
    n = len(blocks)
    return [{"params": [p.data for p in b.parameters()], "lr": head_lr * decay ** (n - 1 - i)}
            for i, b in enumerate(blocks)]


def _freezes_the_input_block(blocks, head_lr, decay):  # "it learns slowest anyway"
    blocks[0].requires_grad_(False)
    return _by_distance(blocks, head_lr, decay)


for _answer, _cause, _hint, _kind in [
    (_reversed, "learns at lr=0.01, expected 0.0025", "the order is reversed", "other"),
    (_decayed_head, "expected 0.0025", "one decay too many", "other"),
    (_linear, "expected 0.0025", "fall by a fixed step (linearly)", "other"),
    (_no_lr, "lr=0.001, expected 0.0025", "the optimizer's default", "other"),
    (_linear_layers_only, "0.1.weight is in no group", "norms and biases too", "narrow"),
    (_three_blocks_assumed, "with 4 blocks, head_lr=0.02 and decay=0.3", "n - 1 - i", "narrow"),
    (_whole_model_plus_head, "raised ValueError: some parameters appear in more than one parameter group", None,
     "other"),
    (_hard_coded, "with 4 blocks, head_lr=0.02 and decay=0.3", None, "hard-coded"),
    (_an_optimizer, "returned an optimizer", "return the list of group dicts", "return"),
    (_copies, "not the model's parameters", "copies or detached tensors", "ignored"),
    (_data_tensors, "not the model's parameters", "not p.data", "data"),
    (_freezes_the_input_block, "0.0.weight.requires_grad is now False", "flags and mode", "state"),
    (lambda blocks, head_lr, decay: None, "should return a list of dicts, got NoneType", None, "return"),
]:
    wrong.case(5, _answer, _cause, _hint, id=getattr(_answer, "__name__", "none").strip("_<>"), kind=_kind)

test_ex5_rejects_mutants = wrong.rejects(5, ex.discriminative_lrs)


def test_ex5_stub_is_not_attempted(capsys):
    def stub(blocks, head_lr, decay):
        raise NotImplementedError("return one group per block")

    assert not ex.discriminative_lrs(stub)
    assert "not attempted yet" in capsys.readouterr().out
