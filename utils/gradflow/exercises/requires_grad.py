"""Checkers for lesson 02, requires_grad: freezing parameters."""

from __future__ import annotations

import torch
from torch import nn

from ..checking import (Wrong, differing, exercise, expect_choice, expect_function, expect_number, expect_type,
                        run_learner, train)
from ..models import BackboneNet, Gate, LinearChain, make_blobs
from ..tracker import ParamTracker

LESSON = "02_requires_grad"

CHAIN_NAMES = [f"lin{i}.{kind}" for i in range(4) for kind in ("weight", "bias")]


def _fmt(names) -> str:
    return "{" + ", ".join(sorted(names)) + "}" if names else "{}"


# --- exercise 1 ------------------------------------------------------------------------------

FREEZE_TARGET = {"lin0.weight", "lin0.bias", "lin2.bias", "lin3.weight", "lin3.bias"}


@exercise(LESSON, 1, "freeze exactly these")
def freeze_exactly(freeze):
    expect_function(freeze, "freeze")
    torch.manual_seed(0)
    model = LinearChain()
    x = torch.randn(2, 4)
    returned = run_learner(freeze, model, name="freeze")
    if isinstance(returned, nn.Module) and returned is not model:
        raise Wrong("freeze returned a different model",
                    "change the model you are given in place (requires_grad_ changes it in place)")
    module_flags = [name for name, m in model.named_modules() if "requires_grad" in vars(m)]
    if module_flags:
        raise Wrong(f"you set a plain attribute requires_grad on the module(s) {', '.join(module_flags)}, "
                    "which freezes nothing", "call the method instead: model.lin1.requires_grad_(False)")
    if model.detach_after is not None:
        raise Wrong(f"you set detach_after={model.detach_after!r}: detach cuts off every layer before it",
                    "freeze with requires_grad_(False) on the parameters; gradients then still flow through")
    out = model(x).sum()
    if not out.requires_grad:
        raise Wrong("every parameter is frozen: backward would fail with "
                    "'element 0 of tensors does not require grad'", "freeze lin1 and lin2.weight only")
    out.backward()
    got = {name for name, p in model.named_parameters() if p.grad is not None}
    if got == FREEZE_TARGET:
        return "gradients reach exactly " + _fmt(FREEZE_TARGET)
    extra, missing = got - FREEZE_TARGET, FREEZE_TARGET - got
    if "lin2.bias" in missing and "lin2.weight" not in got:
        raise Wrong("lin2.bias gets no gradient: you froze all of lin2",
                    "requires_grad is per tensor: freeze model.lin2.weight only")
    if missing & {"lin0.weight", "lin0.bias"}:
        raise Wrong(f"{_fmt(missing & {'lin0.weight', 'lin0.bias'})} get no gradient",
                    "freezing lin1 does not stop gradients reaching lin0: do not freeze lin0")
    if missing:
        raise Wrong(f"these get no gradient but should: {_fmt(missing)}",
                    "freeze only lin1 (both tensors) and lin2.weight")
    raise Wrong(f"these still get a gradient: {_fmt(extra)}",
                "freeze them with requires_grad_(False): lin1 entirely, and lin2.weight")


# --- exercise 2 ------------------------------------------------------------------------------

PREDICT_TARGET = {"lin2.bias", "lin3.weight"}


@exercise(LESSON, 2, "predict who gets a gradient")
def predict_grads(answer):
    if isinstance(answer, str):
        raise Wrong("give a set or list of names, not one string",
                    'for example {"lin0.weight", "lin3.bias"}')
    expect_type(answer, (set, frozenset, list, tuple), "your answer", 'a set of names such as {"lin0.weight"}')
    if not all(isinstance(n, str) for n in answer):
        raise Wrong("every element should be a parameter name (a string) such as 'lin2.bias'")
    names = {n.strip() for n in answer}
    unknown = names - set(CHAIN_NAMES)
    if unknown:
        raise Wrong(f"not parameter names of the chain: {_fmt(unknown)}",
                    "the names are lin0.weight, lin0.bias, ..., lin3.bias (as in model.named_parameters())")
    if names == PREDICT_TARGET:
        return None
    if names & {"lin0.weight", "lin0.bias", "lin1.weight", "lin1.bias"}:
        raise Wrong(f"{_fmt(names & {'lin0.weight', 'lin0.bias', 'lin1.weight', 'lin1.bias'})} cannot get a gradient",
                    "the forward pass detaches lin1's output: no gradient reaches lin1 or lin0")
    if names & {"lin2.weight", "lin3.bias"}:
        raise Wrong(f"{_fmt(names & {'lin2.weight', 'lin3.bias'})} are frozen",
                    "a tensor with requires_grad=False never gets a .grad")
    if "lin2.bias" not in names:
        raise Wrong("lin2.bias is missing",
                    "freezing lin2.weight does not freeze lin2.bias: requires_grad is per tensor")
    raise Wrong("lin3.weight is missing", "lin3.weight requires grad and sits right after the output")


# --- exercise 3 ------------------------------------------------------------------------------


def _seeded_backbone_net() -> BackboneNet:
    torch.manual_seed(0)
    return BackboneNet()


def _reference_head(x, y, steps):
    """The head after ``steps`` right steps, and the loss of the last step."""
    model = _seeded_backbone_net()
    model.backbone.requires_grad_(False)
    model.eval()
    losses = train(model, torch.optim.SGD(model.head.parameters(), lr=0.1), [(x, y)] * steps)
    return model.head, losses[-1]


@exercise(LESSON, 3, "a backbone that stays frozen")
def frozen_backbone(fine_tune_head):
    expect_function(fine_tune_head, "fine_tune_head")
    x, y = make_blobs(n_per_class=20, seed=3)
    for steps in (4, 2):  # neither is the notebook's default of 5
        _fine_tune_once(fine_tune_head, x, y, steps)
    return "backbone untouched (parameters and BatchNorm statistics), head trained, for 4 and 2 steps"


def _fine_tune_once(fine_tune_head, x, y, steps):
    reference, last_loss = _reference_head(x, y, steps)
    model = _seeded_backbone_net()
    model.train()
    backbone_tracker, head_tracker = ParamTracker(model.backbone), ParamTracker(model.head)
    # a gradient computed for the backbone is wasted work, whether or not the learner's code clears it later;
    # freezing, torch.no_grad() around the backbone, or a detach of its output all compute none
    computed = []
    hooks = [p.register_hook(lambda grad, name=n: computed.append(name))
             for n, p in model.backbone.named_parameters()]
    try:
        result = run_learner(fine_tune_head, model, x, y, steps, errors={
            "does not require grad": (
                "backward found nothing that requires grad: the head's forward ran without a graph too",
                "put only the backbone under torch.no_grad() (or freeze it); compute the head outside it")},
            name="fine_tune_head")
    finally:
        for hook in hooks:
            hook.remove()
    result = expect_number(result, "fine_tune_head's result (the last loss)", "return loss.item()")
    changed = backbone_tracker.changed()
    parameter_names = dict(model.backbone.named_parameters())
    moved_params = [n for n in changed if n in parameter_names]  # buffers (BatchNorm statistics) come later
    if moved_params:
        raise Wrong(f"backbone parameters changed: {', '.join(moved_params)}",
                    "freeze the backbone and give the optimizer only model.head.parameters()")
    if computed:
        raise Wrong(f"autograd computed gradients for the backbone ({computed[0]} first), which nothing uses",
                    "call model.backbone.requires_grad_(False), or run the backbone under torch.no_grad()")
    if changed:
        raise Wrong(f"the backbone's BatchNorm statistics changed: {', '.join(changed)}",
                    "requires_grad_(False) does not stop running statistics: call model.backbone.eval() "
                    "after every model.train()")
    if not head_tracker.changed():
        raise Wrong("the head did not change", "call opt.step() after loss.backward(), for the head's parameters")
    if differing(model.head, reference, atol=1e-5):
        raise Wrong(f"after {steps} steps (fine_tune_head(model, x, y, {steps})) the head differs from a reference "
                    "fine-tuning", "count the steps your loop takes and the statistics the backbone normalised "
                    "with: exactly `steps` steps, the backbone in eval mode during all of them, "
                    "torch.optim.SGD(model.head.parameters(), lr=0.1), F.cross_entropy on the full batch, "
                    "zero_grad in every step")
    if abs(result - last_loss) > 1e-4 * (1 + abs(last_loss)):
        raise Wrong(f"the head is right, but the loss you returned ({result:.4g}) is not the last step's loss "
                    f"({last_loss:.4g})", "return loss.item() of the loss your last step back-propagated")


# --- exercise 4 ------------------------------------------------------------------------------

MEMORY_OPTIONS = {
    "a": "right: nothing before the third layer requires grad, so no graph is recorded there",
    "b": "the first layer still needs its gradient, so backward passes through the frozen middle layers and "
         "every activation before them stays saved (the ReLUs save them anyway)",
    "c": "the first layers still need gradients, so backward runs through the whole network: every "
         "activation is saved",
    "d": "where matters: only a frozen prefix stops autograd recording; section 5 measured the middle freeze at "
         "zero bytes saved",
}


@exercise(LESSON, 4, "where to freeze to save memory")
def memory_choice(answer):
    if not isinstance(answer, str):
        raise Wrong(f"answer with one letter in quotes, got {type(answer).__name__}",
                    'for example memory_choice = "b" (the letters are a, b, c and d)')
    if answer.strip().lower() not in MEMORY_OPTIONS:
        raise Wrong(f"{answer!r} is not an option", "the letters are a, b, c and d: pick the one you predict")
    expect_choice(answer, MEMORY_OPTIONS, "a")


# --- exercise 5: BitFit, train only the biases and the norm layers ------------------------------

NORMS = (nn.LayerNorm, nn.GroupNorm, nn.BatchNorm1d)


def bitfit_model(seed: int = 0) -> nn.Sequential:
    """A model the lesson never showed: a bias-free layer, LayerNorm, GroupNorm and BatchNorm1d with plain names,
    and a 1-D gate that is not a normalisation layer."""
    from collections import OrderedDict

    torch.manual_seed(seed)
    return nn.Sequential(OrderedDict(
        embed=nn.Linear(6, 16),
        ln_in=nn.LayerNorm(16),
        block=nn.Sequential(nn.Linear(16, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(),
                            nn.Linear(16, 16), nn.GroupNorm(4, 16), nn.ReLU()),
        gate=Gate(16),
        out=nn.Linear(16, 3),
    ))


def bitfit_names(model: nn.Module) -> list[str]:
    """The parameters BitFit trains: every bias, and the weight of every normalisation layer."""
    names = []
    for module_name, module in model.named_modules():
        for name, _ in module.named_parameters(recurse=False):
            if name == "bias" or isinstance(module, NORMS):
                names.append(f"{module_name}.{name}" if module_name else name)
    return names


@exercise(LESSON, 5, "train only the biases and the norm layers")
def bitfit(bitfit_fn):
    expect_function(bitfit_fn, "bitfit")
    model = bitfit_model()
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    # the model has been fine-tuned before: every parameter holds a gradient and an optimizer state existed
    torch.nn.functional.cross_entropy(model(x), y).backward()
    want = bitfit_names(model)
    # ... and an earlier recipe froze some of them: an answer that only freezes must also switch these on
    model.ln_in.requires_grad_(False)
    model.out.bias.requires_grad_(False)
    returned = run_learner(bitfit_fn, model, name="bitfit")
    if returned is None:
        raise Wrong("bitfit returned None", "return the list of the parameters that train")
    if isinstance(returned, nn.Parameter) or not hasattr(returned, "__iter__"):
        raise Wrong(f"bitfit should return a list of parameters, got {type(returned).__name__}")
    returned = list(returned)
    if returned and isinstance(returned[0], tuple):
        raise Wrong("bitfit returned (name, parameter) pairs", "return the parameters only: [p for name, p in ...]")
    by_id = {id(p): n for n, p in model.named_parameters()}
    if not all(isinstance(p, torch.Tensor) and id(p) in by_id for p in returned):
        raise Wrong("bitfit should return parameters of the model it was given (the tensors themselves)",
                    "return the model's own parameters, not copies: an optimizer must hold the tensors the model uses")
    given = [by_id[id(p)] for p in returned]
    norm_weights = [n for n in want if not n.endswith("bias")]
    missing, extra = [n for n in want if n not in given], [n for n in given if n not in want]
    if missing and set(missing) <= set(norm_weights):
        raise Wrong(f"the weights of the normalisation layers are missing: {', '.join(missing)}",
                    "pick them by type, not by name (these are called ln_in, block.1, block.4): "
                    "isinstance(module, (nn.LayerNorm, nn.GroupNorm, nn.BatchNorm1d))")
    if missing:
        raise Wrong(f"these should train but are not in your list: {', '.join(missing)}",
                    "every bias trains (name == 'bias' in module.named_parameters(recurse=False)), "
                    "and every parameter of a normalisation layer")
    if extra and all(n in dict(model.named_parameters()) and dict(model.named_parameters())[n].dim() == 1
                     for n in extra):
        raise Wrong(f"your list holds 1-D parameters that are neither biases nor norm weights: {', '.join(extra)}",
                    "look at the module each one belongs to (model.gate is a Gate, not a norm layer): being 1-D "
                    "does not make a parameter a bias or a norm weight; pick biases by name == 'bias' and norm "
                    "layers by isinstance(module, (nn.LayerNorm, nn.GroupNorm, nn.BatchNorm1d))")
    if extra:
        raise Wrong(f"your list holds parameters that must stay frozen: {', '.join(extra)}",
                    "an optimizer given a frozen weight can still move it (weight decay, momentum): "
                    "return only the biases and the norm layers' weights")
    if len(given) != len(set(given)):
        raise Wrong("a parameter appears twice in your list", "walk model.modules() with recurse=False, "
                    "or model.named_parameters() once")
    still = [n for n, p in model.named_parameters() if p.requires_grad and n not in want]
    if still:
        raise Wrong(f"these still require grad, so autograd computes their gradients for nothing: {', '.join(still)}",
                    "start with model.requires_grad_(False), then switch on the ones that train")
    off = [n for n, p in model.named_parameters() if not p.requires_grad and n in want]
    if off:
        raise Wrong(f"these are in your list but do not require grad, so they never get a gradient: {', '.join(off)}",
                    "the model arrives with some of them frozen already: call requires_grad_(True) on every "
                    "parameter you return")
    # several AdamW steps (weight decay!) from the stale gradients: exactly the BitFit tensors may move
    tracker = ParamTracker(model, buffers=False)
    opt = torch.optim.AdamW(returned, lr=1e-2, weight_decay=0.01)
    model.train()
    for _ in range(3):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    if tracker.changed() != want:
        raise Wrong(f"after 3 AdamW steps these moved: {', '.join(tracker.changed())}",
                    "only biases and norm weights may move")
    return f"{len(want)} of {len(list(model.parameters()))} tensors train (biases and norm weights), the rest stay put"

#: what the lesson's notebook uses (its checkers); the other names serve the checkers and their tests
__all__ = ["freeze_exactly", "predict_grads", "frozen_backbone", "memory_choice", "bitfit"]
