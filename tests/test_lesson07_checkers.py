"""Lesson 07's checkers from both sides (leaving parameters out of the optimizer): plausible wrong answers
are rejected with the hint that names the real cause, right answers written differently pass."""

import numpy as np
import pytest
import torch

from checker_helpers import rejected
from gradflow.exercises import optimizer_exclusion as ex


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


def test_ex2_stub_is_not_attempted(capsys):
    assert not ex.which_move({k: {"a": ..., "b": ..., "c": ...} for k in RIGHT})
    assert "not attempted yet" in capsys.readouterr().out


# --- 07.3 freeze a layer so it truly stops (Modify) -------------------------------------------------

def _freeze_and_clear(model, opt, name):
    for p in getattr(model, name).parameters():
        p.requires_grad_(False)
        p.grad = None


def _freeze_and_remove(model, opt, name):
    layer = list(getattr(model, name).parameters())
    for p in layer:
        p.requires_grad_(False)
    for group in opt.param_groups:
        group["params"] = [p for p in group["params"] if all(p is not q for q in layer)]
    for p in layer:
        opt.state.pop(p, None)


def _freeze_module_call_and_clear(model, opt, name):  # the module's requires_grad_ and zero_grad(set_to_none)
    layer = getattr(model, name)
    layer.requires_grad_(False)
    layer.zero_grad(set_to_none=True)


@pytest.mark.parametrize("right", [_freeze_and_clear, _freeze_and_remove, _freeze_module_call_and_clear])
def test_ex3_accepts_each_safe_recipe(right, capsys):
    assert ex.freeze_mid_training(right)
    assert "passed" in capsys.readouterr().out


def _requires_grad_only(model, opt, name):
    getattr(model, name).requires_grad_(False)


def _remove_only(model, opt, name):
    _freeze_and_remove(model, opt, name)
    for p in getattr(model, name).parameters():
        p.requires_grad_(True)


def _freeze_and_remove_keeping_state(model, opt, name):  # the hole: state left behind
    layer = list(getattr(model, name).parameters())
    for p in layer:
        p.requires_grad_(False)
    for group in opt.param_groups:
        group["params"] = [p for p in group["params"] if all(p is not q for q in layer)]


def _freeze_with_list_remove(model, opt, name):
    for p in getattr(model, name).parameters():
        p.requires_grad_(False)
        opt.param_groups[0]["params"].remove(p)


def _freeze_two_layers(model, opt, name):
    for layer in (model.model_1, getattr(model, name)):
        for p in layer.parameters():
            p.requires_grad_(False)
            p.grad = None


@pytest.mark.parametrize("answer, fragments", [
    (_requires_grad_only, ["kept moving", "zero tensor", "p.grad = None"]),
    (_remove_only, ["still computed", "requires_grad_(False)"]),
    (_freeze_and_remove_keeping_state, ["still in opt.state", "raises KeyError", "opt.state.pop(p, None)"]),
    (_freeze_with_list_remove, ["freeze_layer raised RuntimeError", "filter by identity"]),
    (lambda model, opt, name: None, ["kept moving", "requires_grad_(False)"]),
    (_freeze_two_layers, ["model_1 stopped training too", "only the layer named"]),
])
def test_ex3_rejects_freezes_that_leak(answer, fragments, capsys):
    rejected(ex.freeze_mid_training, answer, "07.3", *fragments, capsys=capsys)


# --- 07.4 unfreeze gradually (Modify) ----------------------------------------------------------------

def _unfreeze(model, opt):
    for p in _backbone(model):
        p.requires_grad_(True)
    opt.add_param_group({"params": _backbone(model), "lr": opt.param_groups[0]["lr"] / 10})


def _unfreeze_module_calls(model, opt):  # the modules' requires_grad_, two groups, lr read from the defaults
    model.model_1.requires_grad_(True)
    model.model_2.requires_grad_(True)
    for layer in (model.model_1, model.model_2):
        opt.add_param_group({"params": layer.parameters(), "lr": opt.defaults["lr"] * 0.1})


@pytest.mark.parametrize("right", [_unfreeze, _unfreeze_module_calls])
def test_ex4_accepts_unfreezing_written_differently(right, capsys):
    assert ex.gradual_unfreeze(right)
    assert "passed" in capsys.readouterr().out


def _without_requires_grad(model, opt):
    opt.add_param_group({"params": _backbone(model), "lr": 0.001})


def _without_group(model, opt):
    for p in _backbone(model):
        p.requires_grad_(True)


def _same_lr(model, opt):
    _without_group(model, opt)
    opt.add_param_group({"params": _backbone(model)})


def _into_head_group(model, opt):
    _without_group(model, opt)
    opt.param_groups[0]["params"].extend(_backbone(model))


def _changing_head_lr(model, opt):
    _unfreeze(model, opt)
    opt.param_groups[0]["lr"] = opt.param_groups[0]["lr"] / 10


def _fixed_number(model, opt):  # right only when the head happens to learn at 0.01
    _without_group(model, opt)
    opt.add_param_group({"params": _backbone(model), "lr": 0.001})


def _whole_model(model, opt):
    _without_group(model, opt)
    opt.add_param_group({"params": model.parameters(), "lr": 0.001})


def _a_list_not_a_dict(model, opt):
    _without_group(model, opt)
    opt.add_param_group(_backbone(model))


@pytest.mark.parametrize("answer, fragments", [
    (_without_requires_grad, ["requires_grad=False", "requires_grad_(True)"]),
    (_without_group, ["in no parameter group", "add_param_group"]),
    (_same_lr, ["expected 0.001", "head's rate"]),
    (_into_head_group, ["expected 0.001", "head's rate"]),
    (_changing_head_lr, ["expected it to stay 0.01", "leave the head's group alone"]),
    (_fixed_number, ["with the head at lr=0.05", "expected 0.005", "opt.param_groups[0]['lr']"]),
    (_whole_model, ["unfreeze raised ValueError: some parameters appear in more than one parameter group",
                    "one group only"]),
    (_a_list_not_a_dict, ["unfreeze raised TypeError: param_group must be a dict", "one dict"]),
])
def test_ex4_rejects_half_unfreezing(answer, fragments, capsys):
    rejected(ex.gradual_unfreeze, answer, "07.4", *fragments, capsys=capsys)


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


@pytest.mark.parametrize("answer, fragments", [
    (_reversed, ["learns at lr=0.01, expected 0.0025", "the order is reversed"]),
    (_decayed_head, ["expected 0.0025", "one decay too many"]),
    (_no_lr, ["lr=0.001, expected 0.0025", "the optimizer's default"]),
    (_linear_layers_only, ["0.1.weight is in no group", "norms and biases too"]),
    (_whole_model_plus_head, ["raised ValueError: some parameters appear in more than one parameter group"]),
    (_hard_coded, ["with 4 blocks, head_lr=0.02 and decay=0.3"]),
    (_an_optimizer, ["returned an optimizer", "return the list of group dicts"]),
    (_copies, ["is in no group"]),
    (lambda blocks, head_lr, decay: None, ["should return a list of dicts, got NoneType"]),
])
def test_ex5_rejects_wrong_rates_and_groups(answer, fragments, capsys):
    rejected(ex.discriminative_lrs, answer, "07.5", *fragments, capsys=capsys)


def test_ex5_stub_is_not_attempted(capsys):
    def stub(blocks, head_lr, decay):
        raise NotImplementedError("return one group per block")

    assert not ex.discriminative_lrs(stub)
    assert "not attempted yet" in capsys.readouterr().out
