"""Checkers for lesson 09, the capstone bug hunt.

Every checker receives the learner's *fixed* function, runs it on fresh models and data it builds
itself (the notebook's random state is untouched), and compares
what happened with a reference step: which parameters and buffers moved, by how much, and whether
autograd raised. Nothing reads source code: a fix passes because it behaves right.

The makers used here (:func:`gradflow.models.make_classifier`, :func:`~gradflow.models.make_batch`) are
the ones the lesson uses to show each bug, so the learner can rerun the same situation.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from ..checking import Wrong, differing, exercise, expect_function, run_learner, train, train_step
from ..gan import discriminator_step, gan_batch, generator_step, make_gan
from ..models import make_batch, make_classifier, make_regressor
from ..tracker import ParamTracker

LESSON = "09_capstone"

CLAMP = 0.3  # the weight bound of the ".data" exercise
#: the in-place error autograd raises when a saved tensor changed, with what it means in each bug
INPLACE = "modified by an inplace operation"
_INPLACE_MESSAGE = ("your step still raises autograd's in-place error ('one of the variables needed for gradient "
                    "computation has been modified by an inplace operation')")


# --- bug 1: the D loss updates (reaches) G ---------------------------------------------------


@exercise(LESSON, 1, "a discriminator step that leaves G alone")
def d_step(fixed_d_step):
    expect_function(fixed_d_step, "fixed_d_step")
    (G, D), (G_ref, D_ref) = make_gan(seed=3), make_gan(seed=3)
    opt_D, opt_ref = torch.optim.SGD(D.parameters(), lr=0.1), torch.optim.SGD(D_ref.parameters(), lr=0.1)
    tracker = ParamTracker({"G": G, "D": D})
    computed: list[str] = []  # a tensor hook sees a gradient even if the step clears .grad afterwards
    hooks = [p.register_hook(lambda grad, name=n: computed.append(name)) for n, p in G.named_parameters()]
    try:
        for step in range(2):
            real, z = gan_batch(step)
            run_learner(fixed_d_step, G, D, opt_D, real, z)
            discriminator_step(D_ref, opt_ref, real, G_ref(z))
    finally:
        for hook in hooks:
            hook.remove()
    reached = [n for n, p in G.named_parameters() if p.grad is not None] + computed
    if reached:
        raise Wrong(f"the discriminator's loss reached the generator: autograd computed G.{reached[0]}'s gradient",
                    "score the fake batch with D(fake.detach()): the D step must not backpropagate into G")
    moved_G = [n for n in tracker.changed() if n.startswith("G.")]
    if moved_G:
        raise Wrong(f"your D step changed the generator ({moved_G[0]})", "only opt_D.step() belongs in a D step")
    if not any(n.startswith("D.") for n in tracker.changed()):
        raise Wrong("the discriminator did not change", "call loss.backward() and opt_D.step()")
    if differing(D, D_ref):
        raise Wrong("after two steps D differs from a correct D step",
                    "loss = BCE(D(real), 1) + BCE(D(fake.detach()), 0); zero_grad, backward, step")
    return "G untouched, D matches a reference step"


# --- bug 2: the G step backpropagates through the stale D graph ------------------------------


def _ref_gan_step(G, D, opt_G, opt_D, real, z):
    fake = G(z)
    discriminator_step(D, opt_D, real, fake)
    generator_step(D, opt_G, fake)


@exercise(LESSON, 2, "a GAN step without the stale D graph")
def gan_step(fixed_gan_step):
    expect_function(fixed_gan_step, "fixed_gan_step")
    (G, D), (G_ref, D_ref) = make_gan(seed=4), make_gan(seed=4)
    opts = [torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)]
    opts_ref = [torch.optim.SGD(G_ref.parameters(), lr=0.1), torch.optim.SGD(D_ref.parameters(), lr=0.1)]
    start = ParamTracker({"G": G, "D": D})
    for step in range(2):
        real, z = gan_batch(10 + step)
        run_learner(fixed_gan_step, G, D, *opts, real, z, errors={INPLACE: (_INPLACE_MESSAGE, (
            "opt_D.step() changed D's weights in place after D(fake) was computed: "
            "score the fake batch again with the updated D for the generator's loss"))})
        _ref_gan_step(G_ref, D_ref, *opts_ref, real, z)
    changed = start.changed()
    for net in ("G", "D"):
        if not any(n.startswith(net + ".") for n in changed):
            raise Wrong(f"{net} did not change", f"both steps are needed: opt_D.step() and opt_G.step()")
    if differing(D, D_ref):
        raise Wrong("after two steps D differs from a reference GAN step",
                    "the D step comes first and scores the fake batch detached: D(fake.detach())")
    if differing(G, G_ref):
        raise Wrong("after two steps G differs from a reference GAN step",
                    "after opt_D.step(), compute the generator's loss from a fresh D(fake), then zero_grad, "
                    "backward, opt_G.step()")
    return "D step, then G step through the updated D"


# --- bug 3: a frozen backbone that still moves under momentum and weight decay ---------------


def _warm_classifier(seed: int):
    """A classifier after two full training steps with momentum: the optimizer has state."""
    model = make_classifier(seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    train(model, opt, [make_batch(100 + step) for step in range(2)])
    return model, opt


@exercise(LESSON, 3, "a frozen backbone that stays frozen")
def head_only_step(fixed_head_step):
    expect_function(fixed_head_step, "fixed_head_step")
    (model, opt), (ref, opt_ref) = _warm_classifier(seed=5), _warm_classifier(seed=5)
    ref.backbone.requires_grad_(False)
    tracker, head_tracker = ParamTracker(model.backbone), ParamTracker(model.head)
    for step in range(3):
        x, y = make_batch(200 + step)
        run_learner(fixed_head_step, model, opt, x, y)
        train_step(ref, opt_ref, x, y)
    if tracker.changed():
        raise Wrong(f"the backbone still moved ({', '.join(tracker.changed())})",
                    "a zero gradient is still a gradient: momentum and weight decay move the parameter anyway; "
                    "make the backbone's .grad None (or set requires_grad_(False)), so the optimizer skips it")
    if not head_tracker.changed():
        raise Wrong("the head did not change", "the head must still be trained: backward and opt.step()")
    if differing(model.head, ref.head):
        raise Wrong("the head's update differs from training the head alone",
                    "one zero_grad, one forward and one backward per step; leave the head's gradient as it is")
    return "backbone unchanged over three steps, head matches a reference"


# --- bug 4: a .data edit between forward and backward corrupts a gradient --------------------


def _ref_clamped_step(model, opt, x, y):
    train_step(model, opt, x, y, F.mse_loss)
    with torch.no_grad():
        for p in model.parameters():
            p.clamp_(-CLAMP, CLAMP)


@exercise(LESSON, 4, "a weight bound that does not corrupt gradients")
def clamped_step(fixed_clamped_step):
    expect_function(fixed_clamped_step, "fixed_clamped_step")
    model, ref = make_regressor(seed=6), make_regressor(seed=6)
    opt, opt_ref = torch.optim.SGD(model.parameters(), lr=0.2), torch.optim.SGD(ref.parameters(), lr=0.2)
    for step in range(3):
        x, y = make_batch(300 + step, n=32, n_in=4, regression=True)
        run_learner(fixed_clamped_step, model, opt, x, y, errors={INPLACE: (_INPLACE_MESSAGE, (
            "autograd caught an in-place edit of a weight it saved for backward: apply the bound "
            "after opt.step(), not between the forward pass and backward"))})
        _ref_clamped_step(ref, opt_ref, x, y)
    outside = [n for n, p in model.named_parameters() if p.detach().abs().max() > CLAMP + 1e-6]
    if outside:
        raise Wrong(f"after your step {outside[0]} has values outside [-{CLAMP}, {CLAMP}]",
                    "apply the bound after opt.step(): a bound applied before the step is undone by the step")
    if differing(model, ref):
        raise Wrong("the weights differ from a correct step (bound applied after opt.step())",
                    "an edit through .data before backward changes a tensor autograd saved, so the gradient of "
                    "the first layer is computed with the wrong weights; bound the weights after the step, "
                    "inside torch.no_grad()")
    return "gradients from the forward's own weights, bound kept after each step"


# --- bug 5: a snapshot that shares storage ---------------------------------------------------


@exercise(LESSON, 5, "which parameters did the step change")
def changed_by_step(fixed_changed_by_step):
    expect_function(fixed_changed_by_step, "fixed_changed_by_step")
    model, ref = make_classifier(seed=7), make_classifier(seed=7)
    for m in (model, ref):
        m.backbone.requires_grad_(False)  # a frozen backbone: only the head may change
    opt, opt_ref = torch.optim.SGD(model.parameters(), lr=0.1), torch.optim.SGD(ref.parameters(), lr=0.1)
    x, y = make_batch(400)
    answer = run_learner(fixed_changed_by_step, model, opt, x, y)
    train_step(ref, opt_ref, x, y)
    expected = ["head.weight", "head.bias"]
    if answer is None:
        raise Wrong("your function returned None", "return the list of names of the parameters that changed")
    if not isinstance(answer, (list, tuple, set)) or not all(isinstance(n, str) for n in answer):
        raise Wrong(f"your function should return a list of parameter names, got {type(answer).__name__}")
    if not answer:
        raise Wrong("your function says no parameter changed, but the head did",
                    "a snapshot made with detach() or .data shares storage with the live parameter, so it "
                    "changes with it: take the snapshot with p.detach().clone()")
    if sorted(answer) != sorted(expected):
        raise Wrong(f"your function returned {sorted(answer)}, expected {expected}",
                    "compare each parameter with its own snapshot taken before the step; the backbone is frozen")
    if differing(model, ref):
        raise Wrong("the model was not trained exactly one step",
                    "snapshot, then zero_grad, forward, backward, step once, then compare")
    return "the head changed, the frozen backbone did not"


# --- bug 6: a "frozen" BatchNorm backbone whose running statistics still move ------------------


def _bn_setup(seed: int):
    model = make_classifier(seed, batchnorm=True)
    model.backbone.requires_grad_(False)
    return model, torch.optim.SGD(model.head.parameters(), lr=0.1)


@exercise(LESSON, 6, "a BatchNorm backbone that stays frozen")
def bn_head_step(fixed_bn_head_step):
    expect_function(fixed_bn_head_step, "fixed_bn_head_step")
    (model, opt), (ref, opt_ref) = _bn_setup(seed=8), _bn_setup(seed=8)
    # the backbone was trained before: give BatchNorm statistics that are not the defaults
    for m in (model, ref):
        with torch.no_grad():
            m.backbone[1].running_mean.fill_(0.2)
            m.backbone[1].running_var.fill_(1.5)
    tracker = ParamTracker(model.backbone)
    for step in range(3):
        x, y = make_batch(500 + step)
        model.train()  # what the surrounding training loop does
        run_learner(fixed_bn_head_step, model, opt, x, y)
        ref.train()
        ref.backbone.eval()
        train_step(ref, opt_ref, x, y)
    moved = tracker.changed()
    if moved:
        raise Wrong(f"the frozen backbone still changed: {', '.join(moved)}",
                    "requires_grad_(False) stops gradients, not BatchNorm's running statistics: put the backbone "
                    "in eval() mode inside the step")
    if differing(model.head, ref.head):
        raise Wrong("the head's update differs from a head trained on an eval-mode backbone",
                    "call model.backbone.eval() before the forward pass, then zero_grad, backward, step")
    return "running statistics and weights of the backbone unchanged"
