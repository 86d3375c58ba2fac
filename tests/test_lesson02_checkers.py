"""Lesson 02's checkers from both sides: plausible wrong answers are rejected with a hint naming the
real cause, and right answers written differently from the solution pass."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from checker_helpers import WrongAnswers, rejected
from gradflow.exercises import requires_grad as ex

wrong = WrongAnswers("02")


def out_of(capsys) -> str:
    return capsys.readouterr().out


# --- 02.1 freeze exactly these (Modify) ----------------------------------------------------------


def freeze_by_name(model):
    for name, param in model.named_parameters():
        if name in {"lin1.weight", "lin1.bias", "lin2.weight"}:
            param.requires_grad = False  # the attribute is fine on a tensor
    return model


@wrong(1, "you froze all of lin2", "freeze model.lin2.weight only", kind="other")
def freeze_all_of_lin2(model):
    model.lin1.requires_grad_(False)
    model.lin2.requires_grad_(False)


@wrong(1, "plain attribute requires_grad", "requires_grad_(False)", kind="other")
def freeze_with_module_attribute(model):
    model.lin1.requires_grad = False
    model.lin2.weight.requires_grad = False


@wrong(1, "detach cuts off every layer before it", "gradients then still flow through", kind="shortcut")
def freeze_with_detach(model):
    model.detach_after = "lin1"
    model.lin2.weight.requires_grad_(False)


@wrong(1, "get no gradient", "do not freeze lin0", kind="other")
def freeze_too_much(model):
    model.lin0.requires_grad_(False)
    model.lin1.requires_grad_(False)
    model.lin2.weight.requires_grad_(False)


@wrong(1, "every parameter is frozen: backward would fail with 'element 0 of tensors",
       "freeze lin1 and lin2.weight only", kind="other")
def freeze_everything(model):
    model.requires_grad_(False)


@wrong(1, "lin1.bias", "requires_grad_(False)", kind="other")
def freeze_too_little(model):
    model.lin1.weight.requires_grad_(False)
    model.lin2.weight.requires_grad_(False)


@wrong(1, "your freeze raised AttributeError", "the error comes from inside your freeze")
def freeze_a_typo(model):
    model.lin5.requires_grad_(False)


@wrong(1, "lin1.weight", "requires_grad_(False)", kind="data")
def freeze_through_data(model):  # .data is a new tensor each time: its flag is not the parameter's
    model.lin1.weight.data.requires_grad = False
    model.lin1.bias.data.requires_grad = False
    model.lin2.weight.data.requires_grad = False


@wrong(1, "freeze returned a different model", "change the model you are given in place", kind="ignored")
def freeze_a_new_chain(model):
    from gradflow.models import LinearChain
    fresh = LinearChain()
    fresh.lin1.requires_grad_(False)
    fresh.lin2.weight.requires_grad_(False)
    return fresh


def test_ex1_accepts_freezing_tensor_by_tensor(capsys):
    assert ex.freeze_exactly(freeze_by_name)
    assert "passed" in out_of(capsys)


test_ex1_rejects_freezing_the_wrong_tensors = wrong.rejects(1, ex.freeze_exactly)


# --- 02.2 predict who gets a gradient (Modify) ---------------------------------------------------


def test_ex2_accepts_a_set_or_a_list(capsys):
    assert ex.predict_grads({"lin2.bias", "lin3.weight"})
    assert ex.predict_grads(["lin3.weight", "lin2.bias"])
    assert out_of(capsys).count("passed") == 2


wrong.case(2, {"lin0.weight", "lin0.bias", "lin1.weight", "lin1.bias", "lin2.bias", "lin3.weight"},
           "cannot get a gradient", "detaches lin1's output", kind="other")
wrong.case(2, {"lin2.weight", "lin2.bias", "lin3.weight", "lin3.bias"}, "are frozen", "never gets a .grad",
           kind="hard-coded")  # the answer of a chain detached after lin1, retyped: the freezes ignored
wrong.case(2, {"lin3.weight"}, "lin2.bias is missing", "requires_grad is per tensor", kind="other")
wrong.case(2, {"lin2.bias"}, "lin3.weight is missing", "sits right after the output", kind="other")
wrong.case(2, set(ex.CHAIN_NAMES), "cannot get a gradient", "detaches lin1's output", kind="narrow")
wrong.case(2, {"layer1.weight"}, "not parameter names", "named_parameters", kind="other")
wrong.case(2, "lin2.bias, lin3.weight", "not one string", "for example", kind="return")
wrong.case(2, {2, 3}, "every element should be a parameter name", kind="return")
test_ex2_rejects_mutants = wrong.rejects(2, ex.predict_grads)


# --- 02.3 a backbone that stays frozen (Modify) --------------------------------------------------


def loop(model, x, y, steps, *, freeze=True, eval_backbone=True, params="head", train_each_step=True,
         backbone="plain", zero_grad=True):
    if freeze:
        model.backbone.requires_grad_(False)
    opt = torch.optim.SGD(model.head.parameters() if params == "head" else model.parameters(), lr=0.1)
    if not train_each_step and eval_backbone:
        model.backbone.eval()
    for _ in range(steps):
        if train_each_step:
            model.train()
            if eval_backbone:
                model.backbone.eval()
        if zero_grad:
            opt.zero_grad()
        if backbone == "no_grad":
            with torch.no_grad():
                features = model.backbone(x)
            loss = F.cross_entropy(model.head(features), y)
        elif backbone == "detach":
            loss = F.cross_entropy(model.head(model.backbone(x).detach()), y)
        elif backbone == "all_no_grad":
            with torch.no_grad():
                loss = F.cross_entropy(model(x), y)
        else:
            loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return loss.item()


def features_once(model, x, y, steps=5):
    model.eval()  # the whole model in eval mode, the features computed once without a graph
    with torch.no_grad():
        features = model.backbone(x)
    opt = torch.optim.SGD(model.head.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model.head(features), y)
        loss.backward()
        opt.step()
    return loss.item()


def returns_tensor(model, x, y, steps=5):
    model.backbone.requires_grad_(False)
    model.eval()
    opt = torch.optim.SGD(model.head.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return loss


def eval_once_then_train(model, x, y, steps=5):
    model.backbone.eval()
    return loop(model, x, y, steps, eval_backbone=False)


@pytest.mark.parametrize("fine_tune_head", [
    lambda m, x, y, steps=5: loop(m, x, y, steps),
    lambda m, x, y, steps=5: loop(m, x, y, steps, freeze=False, backbone="no_grad"),  # the case
    lambda m, x, y, steps=5: loop(m, x, y, steps, freeze=False, backbone="detach"),
    lambda m, x, y, steps=5: loop(m, x, y, steps, train_each_step=False),
    features_once,
], ids=["freeze", "no_grad backbone", "detached features", "eval once, no train calls", "features once"])
def test_ex3_accepts_freezing_or_no_grad_backbones(fine_tune_head, capsys):
    assert ex.frozen_backbone(fine_tune_head)
    assert "passed" in out_of(capsys)


wrong.case(3, lambda m, x, y, steps=5: loop(m, x, y, steps, eval_backbone=False), "BatchNorm statistics changed",
           "model.backbone.eval()", id="no_backbone_eval", kind="state")
wrong.case(3, eval_once_then_train, "BatchNorm statistics changed", "after every model.train()", kind="state")
wrong.case(3, lambda m, x, y, steps=5: loop(m, x, y, steps, freeze=False, params="all"), "backbone parameters changed",
           "only model.head.parameters()", id="all_parameters_trained", kind="other")
wrong.case(3, lambda m, x, y, steps=5: loop(m, x, y, steps, freeze=False), "computed gradients for the backbone",
           "requires_grad_(False), or run the backbone under torch.no_grad()", id="never_frozen", kind="other")
wrong.case(3, lambda m, x, y, steps=5: loop(m, x, y, steps, freeze=False, backbone="all_no_grad"),
           "backward found nothing that requires grad", "put only the backbone under torch.no_grad()",
           id="everything_under_no_grad", kind="other")
wrong.case(3, returns_tensor, "attached to the graph", "return loss.item()", kind="return")
wrong.case(3, lambda m, x, y, steps=5: loop(m, x, y, steps) and 0.0, "not the last step's loss",
           "return loss.item() of the loss your last step", id="returns_zero", kind="return")  # the issue
wrong.case(3, lambda m, x, y, steps=5: loop(m, x, y, steps - 1), "differs from a reference", "exactly `steps` steps",
           id="one_step_short", kind="other")
wrong.case(3, lambda m, x, y, steps=5: loop(m, x, y, 5), "fine_tune_head(model, x, y, 4)) the head differs",
           "exactly `steps` steps", id="five_steps_always", kind="hard-coded")
wrong.case(3, lambda m, x, y, steps=5: loop(m, x, y, steps, zero_grad=False), "differs from a reference", "zero_grad",
           id="no_zero_grad", kind="other")


@wrong(3, "differs from a reference fine-tuning", "the statistics the backbone normalised with", kind="symptom")
def statistics_put_back_afterwards(model, x, y, steps=5):  # hides the moved statistics; trained on batch statistics
    saved = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    loss = loop(model, x, y, steps, eval_backbone=False)
    model.backbone.load_state_dict(saved)
    return loss


@wrong(3, "the head differs from a reference", "torch.optim.SGD(model.head.parameters(), lr=0.1)", kind="ignored")
def an_optimizer_of_their_own_lr(model, x, y, steps=5):
    model.backbone.requires_grad_(False)
    opt = torch.optim.Adam(model.head.parameters())
    for _ in range(steps):
        model.train()
        model.backbone.eval()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return loss.item()


test_ex3_rejects_mutants = wrong.rejects(3, ex.frozen_backbone)


def test_ex3_stub_is_not_attempted(capsys):
    def stub(m, x, y, steps=5):
        raise NotImplementedError("freeze the backbone and train the head")
    assert not ex.frozen_backbone(stub)
    assert "not attempted yet" in out_of(capsys)


# --- 02.4 where to freeze to save memory (Modify) -------------------------------------------------


def test_ex4_accepts_the_letter_in_any_case(capsys):
    assert ex.memory_choice("a")
    assert ex.memory_choice(" A ")
    assert out_of(capsys).count("passed") == 2


wrong.case(4, "b", "'b' is not it", "backward passes through", kind="other")
wrong.case(4, "c", "'c' is not it", "backward runs through the whole network", kind="other")
wrong.case(4, "d", "'d' is not it", "only a frozen prefix", kind="other")
wrong.case(4, "z", "not an option", "the letters are a, b, c and d", kind="other")
wrong.case(4, None, "got NoneType", "the letters are a, b, c and d", kind="return")
wrong.case(4, 1, "one letter in quotes", "for example", kind="return")
wrong.case(4, ["a"], "one letter in quotes, got list", "for example", kind="return")
test_ex4_rejects_mutants = wrong.rejects(4, ex.memory_choice)


# --- 02.5 BitFit: train only the biases and the norm layers (Make) ------------------------------------

NORMS = (nn.LayerNorm, nn.GroupNorm, nn.BatchNorm1d)


def bitfit_by_module(model):
    model.requires_grad_(False)
    chosen = []
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if name == "bias" or isinstance(module, NORMS):
                chosen.append(param.requires_grad_(True))
    return chosen


def bitfit_by_ids(model):  # written differently: sets of ids, the attribute, and a generator
    keep = {id(p) for m in model.modules() if isinstance(m, NORMS) for p in m.parameters()}
    keep |= {id(p) for n, p in model.named_parameters() if n.endswith(".bias")}
    for param in model.parameters():
        param.requires_grad = id(param) in keep
    return (p for p in model.parameters() if p.requires_grad)


@wrong(5, "weights of the normalisation layers are missing", "pick them by type, not by name", kind="narrow")
def bitfit_by_name(model):
    chosen = []
    for name, param in model.named_parameters():
        param.requires_grad_("bias" in name or "norm" in name)
        if param.requires_grad:
            chosen.append(param)
    return chosen


@wrong(5, "weights of the normalisation layers are missing", "isinstance(module", kind="other")
def bitfit_biases_only(model):
    model.requires_grad_(False)
    return [p.requires_grad_(True) for n, p in model.named_parameters() if n.endswith("bias")]


@wrong(5, "must stay frozen", "weight decay, momentum", kind="other")
def bitfit_returns_everything(model):
    bitfit_by_module(model)
    return list(model.parameters())


@wrong(5, "still require grad", "model.requires_grad_(False)", kind="state")
def bitfit_forgets_to_freeze(model):
    return [p for m in model.modules() for n, p in m.named_parameters(recurse=False)
            if n == "bias" or isinstance(m, NORMS)]


@wrong(5, "do not require grad", "requires_grad_(True)", kind="state")
def bitfit_freezes_all(model):
    chosen = bitfit_forgets_to_freeze(model)
    model.requires_grad_(False)
    return chosen


@wrong(5, "(name, parameter) pairs", "return the parameters only", kind="return")
def bitfit_named_pairs(model):
    bitfit_by_module(model)
    return [(n, p) for n, p in model.named_parameters() if p.requires_grad]


@wrong(5, "appears twice", "named_parameters() once", kind="other")
def bitfit_twice(model):
    chosen = bitfit_by_module(model)
    return chosen + [p for n, p in model.named_parameters() if n == "out.bias"]


@wrong(5, "parameters of the model it was given", "not copies", kind="return")
def bitfit_returns_copies(model):
    return [p.detach().clone().requires_grad_() for p in bitfit_by_module(model)]


@wrong(5, "1-D parameters that are neither biases nor norm weights: gate.weight", "being 1-D", kind="narrow")
def bitfit_every_1d_parameter(model):  # the issue: right while every 1-D parameter is a bias or a norm weight
    model.requires_grad_(False)
    return [p.requires_grad_(True) for p in model.parameters() if p.dim() == 1]


@wrong(5, "do not require grad, so they never get a gradient: ln_in.weight", "arrives with some of them frozen",
       kind="narrow")
def bitfit_only_freezing(model):  # the issue: never switches the chosen ones on (they all required grad before)
    chosen = []
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if name == "bias" or isinstance(module, NORMS):
                chosen.append(param)
            else:
                param.requires_grad_(False)
    return chosen


def test_ex5_accepts_module_walks_and_id_sets(capsys):
    assert ex.bitfit(bitfit_by_module)
    assert ex.bitfit(bitfit_by_ids)
    assert out_of(capsys).count("passed") == 2


wrong.case(5, lambda model: None, "bitfit returned None", "return the list")
wrong.case(5, lambda model: model.lin0, "your bitfit raised AttributeError", "the error comes from inside your bitfit")
test_ex5_rejects_name_matching_unfrozen_weights_and_wrong_returns = wrong.rejects(5, ex.bitfit)


def test_ex5_the_model_is_new_to_the_lesson():
    model = ex.bitfit_model()
    kinds = {type(m) for m in model.modules()}
    assert NORMS[0] in kinds and NORMS[1] in kinds and NORMS[2] in kinds
    assert not any("norm" in name for name, _ in model.named_parameters())  # name matching cannot find them
    assert ex.bitfit_names(model) == [n for n, _ in model.named_parameters()
                                      if n.endswith("bias") or n in {"ln_in.weight", "block.1.weight", "block.4.weight"}]
    assert model.gate.weight.dim() == 1 and "gate.weight" not in ex.bitfit_names(model)  # 1-D, and not BitFit's


def test_ex5_not_attempted(capsys):
    def stub(model):
        raise NotImplementedError("freeze all but the biases and norm weights; return those")
    assert not ex.bitfit(stub)
    assert not ex.bitfit(...)
    assert out_of(capsys).count("not attempted yet") == 2
