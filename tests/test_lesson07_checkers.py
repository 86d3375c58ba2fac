"""Right and specific wrong answers for lesson 07's checkers (leaving parameters out of the optimizer)."""

import torch

from gradflow.exercises import optimizer_exclusion as ex


def _backbone(model):
    return list(model.model_1.parameters()) + list(model.model_2.parameters())


# --- exercise 1: two groups, one still ------------------------------------------------------------

def _two_groups(model):
    return torch.optim.SGD([{"params": model.fc.parameters(), "lr": 0.1},
                            {"params": _backbone(model), "lr": 0.0}], momentum=0.9)


def test_two_groups_right_answers(capsys):
    assert ex.two_groups(_two_groups)
    # three groups (model_1 and model_2 apart) hold the same parameters with the same options: also right
    assert ex.two_groups(lambda m: torch.optim.SGD([
        {"params": m.model_1.parameters(), "lr": 0}, {"params": m.model_2.parameters(), "lr": 0},
        {"params": m.fc.parameters()}], lr=0.1, momentum=0.9))
    assert capsys.readouterr().out.count("passed") == 2


def test_two_groups_backbone_left_out(capsys):
    assert not ex.two_groups(lambda m: torch.optim.SGD(m.fc.parameters(), lr=0.1, momentum=0.9))
    out = capsys.readouterr().out
    assert "model_1.weight is in no parameter group" in out and "lr=0" in out


def test_two_groups_swapped_learning_rates(capsys):
    assert not ex.two_groups(lambda m: torch.optim.SGD([{"params": m.fc.parameters(), "lr": 0.0},
                                                        {"params": _backbone(m), "lr": 0.1}], momentum=0.9))
    out = capsys.readouterr().out
    assert "model_1.weight is in a group with lr=0.1, expected lr=0.0" in out
    assert "the head (fc) learns with lr=0.1" in out


def test_two_groups_momentum_missing(capsys):
    assert not ex.two_groups(lambda m: torch.optim.SGD([{"params": m.fc.parameters(), "lr": 0.1},
                                                        {"params": _backbone(m), "lr": 0.0}]))
    assert "momentum" in capsys.readouterr().out


def test_two_groups_wrong_optimizer_and_return(capsys):
    assert not ex.two_groups(lambda m: torch.optim.Adam([{"params": m.fc.parameters(), "lr": 0.1},
                                                         {"params": _backbone(m), "lr": 0.0}]))
    assert "expected torch.optim.SGD" in capsys.readouterr().out
    assert not ex.two_groups(lambda m: None)
    assert "returned None" in capsys.readouterr().out


def test_two_groups_duplicate_parameter_is_reported_not_raised(capsys):
    assert not ex.two_groups(lambda m: torch.optim.SGD([{"params": m.fc.parameters(), "lr": 0.1},
                                                        {"params": m.parameters(), "lr": 0.0}], momentum=0.9))
    assert "more than one parameter group" in capsys.readouterr().out


# --- exercise 2: which parameters move ------------------------------------------------------------

RIGHT = {
    "SGD momentum=0.9": {"a": True, "b": False, "c": False},
    "Adam": {"a": True, "b": False, "c": False},
    "AdamW": {"a": True, "b": True, "c": False},
}


def _with(opt_name, key, value):
    answer = {k: dict(v) for k, v in RIGHT.items()}
    answer[opt_name][key] = value
    return answer


def test_which_move_matches_the_pinned_pytorch(capsys):
    assert ex.ex2_truth() == RIGHT
    assert ex.which_move(RIGHT)
    assert "passed" in capsys.readouterr().out


def test_which_move_specific_mistakes(capsys):
    assert not ex.which_move(_with("Adam", "a", False))
    out = capsys.readouterr().out
    assert "under Adam, you say a stays; it moves" in out and "optimizer state" in out
    assert not ex.which_move(_with("AdamW", "b", False))
    out = capsys.readouterr().out
    assert "weight_decay is 0.01" in out
    assert not ex.which_move(_with("Adam", "b", True))
    out = capsys.readouterr().out
    assert "under Adam, you say b moves; it does not" in out and "start at zero" in out
    assert not ex.which_move(_with("SGD momentum=0.9", "c", True))
    assert "c.grad is None" in capsys.readouterr().out


def test_which_move_malformed_answers(capsys):
    assert not ex.which_move({"Adam": RIGHT["Adam"]})
    assert "no entry for 'SGD momentum=0.9'" in capsys.readouterr().out
    assert not ex.which_move(_with("Adam", "a", "yes"))
    assert "should be True or False" in capsys.readouterr().out
    assert not ex.which_move({**RIGHT, "AdamW": {"a": True}})
    assert "keys 'a', 'b', 'c'" in capsys.readouterr().out


def test_which_move_stub_is_not_attempted(capsys):
    stub = {k: {"a": ..., "b": ..., "c": ...} for k in RIGHT}
    assert not ex.which_move(stub)
    assert "not attempted yet" in capsys.readouterr().out


# --- exercise 3: freeze a layer so it truly stops ---------------------------------------------------

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


def _requires_grad_only(model, opt, name):
    getattr(model, name).requires_grad_(False)


def _remove_only(model, opt, name):
    layer = list(getattr(model, name).parameters())
    for group in opt.param_groups:
        group["params"] = [p for p in group["params"] if all(p is not q for q in layer)]
    for p in layer:
        opt.state.pop(p, None)


def _freeze_two_layers(model, opt, name):
    for layer in (model.model_1, getattr(model, name)):
        for p in layer.parameters():
            p.requires_grad_(False)
            p.grad = None


def test_freeze_right_answers(capsys):
    assert ex.freeze_mid_training(_freeze_and_clear)
    assert ex.freeze_mid_training(_freeze_and_remove)
    assert capsys.readouterr().out.count("passed") == 2


def test_freeze_requires_grad_alone_keeps_moving(capsys):
    assert not ex.freeze_mid_training(_requires_grad_only)
    out = capsys.readouterr().out
    assert "kept moving" in out and "zero tensor" in out and "p.grad = None" in out


def test_freeze_removal_alone_still_computes_gradients(capsys):
    assert not ex.freeze_mid_training(_remove_only)
    out = capsys.readouterr().out
    assert "still computed" in out and "requires_grad_(False)" in out


def test_freeze_doing_nothing_or_too_much(capsys):
    assert not ex.freeze_mid_training(lambda model, opt, name: None)
    assert "requires_grad_(False)" in capsys.readouterr().out
    assert not ex.freeze_mid_training(_freeze_two_layers)
    assert "model_1 stopped training too" in capsys.readouterr().out


# --- exercise 4: unfreeze gradually ----------------------------------------------------------------

def _unfreeze(model, opt):
    for p in _backbone(model):
        p.requires_grad_(True)
    opt.add_param_group({"params": _backbone(model), "lr": 0.001})


def _unfreeze_without_requires_grad(model, opt):
    opt.add_param_group({"params": _backbone(model), "lr": 0.001})


def _unfreeze_without_group(model, opt):
    for p in _backbone(model):
        p.requires_grad_(True)


def _unfreeze_same_lr(model, opt):
    for p in _backbone(model):
        p.requires_grad_(True)
    opt.add_param_group({"params": _backbone(model)})


def _unfreeze_into_head_group(model, opt):
    for p in _backbone(model):
        p.requires_grad_(True)
    opt.param_groups[0]["params"].extend(_backbone(model))


def _unfreeze_changing_head_lr(model, opt):
    _unfreeze(model, opt)
    opt.param_groups[0]["lr"] = 0.001


def test_unfreeze_right_answer(capsys):
    assert ex.gradual_unfreeze(_unfreeze)
    assert "passed" in capsys.readouterr().out


def test_unfreeze_specific_mistakes(capsys):
    assert not ex.gradual_unfreeze(_unfreeze_without_requires_grad)
    assert "requires_grad=False" in capsys.readouterr().out
    assert not ex.gradual_unfreeze(_unfreeze_without_group)
    assert "add_param_group" in capsys.readouterr().out
    assert not ex.gradual_unfreeze(_unfreeze_same_lr)
    out = capsys.readouterr().out
    assert "expected 0.001" in out and "head's rate" in out
    assert not ex.gradual_unfreeze(_unfreeze_into_head_group)
    assert "expected 0.001" in capsys.readouterr().out
    assert not ex.gradual_unfreeze(_unfreeze_changing_head_lr)
    assert "expected it to stay 0.01" in capsys.readouterr().out
