"""Right and specific wrong answers for lesson 02's checkers."""

import torch
from torch.nn import functional as F

from gradflow.exercises import requires_grad as ex


# --- exercise 1: freeze exactly these ----------------------------------------------------------

def _freeze_right(model):
    model.lin1.requires_grad_(False)
    model.lin2.weight.requires_grad_(False)


def _freeze_all_of_lin2(model):
    model.lin1.requires_grad_(False)
    model.lin2.requires_grad_(False)


def _freeze_with_module_attribute(model):
    model.lin1.requires_grad = False
    model.lin2.weight.requires_grad = False


def _freeze_with_detach(model):
    model.detach_after = "lin1"
    model.lin2.weight.requires_grad_(False)


def _freeze_too_much(model):
    model.lin0.requires_grad_(False)
    model.lin1.requires_grad_(False)
    model.lin2.weight.requires_grad_(False)


def _freeze_everything(model):
    model.requires_grad_(False)


def _freeze_too_little(model):
    model.lin1.weight.requires_grad_(False)
    model.lin2.weight.requires_grad_(False)


def test_freeze_exactly(capsys):
    assert ex.freeze_exactly(_freeze_right)
    assert "passed" in capsys.readouterr().out
    assert not ex.freeze_exactly(_freeze_all_of_lin2)
    assert "freeze model.lin2.weight only" in capsys.readouterr().out
    assert not ex.freeze_exactly(_freeze_with_module_attribute)
    assert "requires_grad_(False)" in capsys.readouterr().out
    assert not ex.freeze_exactly(_freeze_with_detach)
    assert "detach cuts off" in capsys.readouterr().out
    assert not ex.freeze_exactly(_freeze_too_much)
    assert "do not freeze lin0" in capsys.readouterr().out
    assert not ex.freeze_exactly(_freeze_everything)
    assert "element 0 of tensors" in capsys.readouterr().out
    assert not ex.freeze_exactly(_freeze_too_little)
    assert "lin1.bias" in capsys.readouterr().out


# --- exercise 2: predict who gets a gradient ---------------------------------------------------

def test_predict_grads(capsys):
    assert ex.predict_grads({"lin2.bias", "lin3.weight"})
    assert ex.predict_grads(["lin3.weight", "lin2.bias"])
    capsys.readouterr()
    assert not ex.predict_grads({"lin0.weight", "lin0.bias", "lin1.weight", "lin1.bias", "lin2.bias", "lin3.weight"})
    assert "detaches lin1's output" in capsys.readouterr().out
    assert not ex.predict_grads({"lin2.weight", "lin2.bias", "lin3.weight", "lin3.bias"})
    assert "are frozen" in capsys.readouterr().out
    assert not ex.predict_grads({"lin3.weight"})
    assert "requires_grad is per tensor" in capsys.readouterr().out
    assert not ex.predict_grads({"lin2.bias"})
    assert "lin3.weight is missing" in capsys.readouterr().out
    assert not ex.predict_grads({"layer1.weight"})
    assert "not parameter names" in capsys.readouterr().out
    assert not ex.predict_grads("lin2.bias, lin3.weight")
    assert "not one string" in capsys.readouterr().out


# --- exercise 3: a backbone that stays frozen --------------------------------------------------

def _loop(model, x, y, steps, *, freeze=True, eval_backbone=True, params="head", train_each_step=True):
    if freeze:
        model.backbone.requires_grad_(False)
    chosen = model.head.parameters() if params == "head" else model.parameters()
    opt = torch.optim.SGD(chosen, lr=0.1)
    if not train_each_step and eval_backbone:
        model.backbone.eval()
    for _ in range(steps):
        if train_each_step:
            model.train()
            if eval_backbone:
                model.backbone.eval()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return loss.item()


def test_frozen_backbone_right(capsys):
    assert ex.frozen_backbone(lambda m, x, y, steps=5: _loop(m, x, y, steps))
    assert "passed" in capsys.readouterr().out


def test_frozen_backbone_wrong(capsys):
    # the lesson's trap: frozen, but still in train() mode
    assert not ex.frozen_backbone(lambda m, x, y, steps=5: _loop(m, x, y, steps, eval_backbone=False))
    assert "model.backbone.eval()" in capsys.readouterr().out
    # eval() called once, then undone by model.train() in the loop
    def eval_once_then_train(m, x, y, steps=5):
        m.backbone.eval()
        return _loop(m, x, y, steps, eval_backbone=False)
    assert not ex.frozen_backbone(eval_once_then_train)
    assert "BatchNorm statistics changed" in capsys.readouterr().out
    # nothing frozen, optimizer over every parameter
    assert not ex.frozen_backbone(lambda m, x, y, steps=5: _loop(m, x, y, steps, freeze=False, params="all"))
    assert "backbone parameters changed" in capsys.readouterr().out
    # optimizer over the head only, but the backbone still requires grad
    assert not ex.frozen_backbone(lambda m, x, y, steps=5: _loop(m, x, y, steps, freeze=False))
    assert "still require grad" in capsys.readouterr().out
    # returns the tensor
    def returns_tensor(m, x, y, steps=5):
        m.backbone.requires_grad_(False)
        m.eval()
        opt = torch.optim.SGD(m.head.parameters(), lr=0.1)
        for _ in range(steps):
            opt.zero_grad()
            loss = F.cross_entropy(m(x), y)
            loss.backward()
            opt.step()
        return loss
    assert not ex.frozen_backbone(returns_tensor)
    assert "attached to the graph" in capsys.readouterr().out
    # one step too few
    assert not ex.frozen_backbone(lambda m, x, y, steps=5: _loop(m, x, y, steps - 1))
    assert "differs from a reference" in capsys.readouterr().out
    # a stub
    def stub(m, x, y, steps=5):
        raise NotImplementedError("freeze the backbone and train the head")
    assert not ex.frozen_backbone(stub)
    assert "not attempted yet" in capsys.readouterr().out


def test_frozen_backbone_eval_once_without_train_calls_also_passes():
    # a loop that never calls model.train() keeps the backbone in eval() after one call: also right
    assert ex.frozen_backbone(lambda m, x, y, steps=5: _loop(m, x, y, steps, train_each_step=False))


# --- exercise 4: where to freeze to save memory ------------------------------------------------

def test_memory_choice(capsys):
    assert ex.memory_choice("a")
    assert ex.memory_choice(" A ")
    capsys.readouterr()
    assert not ex.memory_choice("b")
    assert "backward passes through" in capsys.readouterr().out
    assert not ex.memory_choice("d")
    assert "only a frozen prefix" in capsys.readouterr().out
    assert not ex.memory_choice("z")
    assert "not an option" in capsys.readouterr().out
