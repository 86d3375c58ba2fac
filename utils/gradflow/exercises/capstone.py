"""Checkers for lesson 09's bug hunt: eight training scripts, each with one gradient-flow bug.

The learner fixes a script in place and passes the function to its checker. A checker never reads
the code to judge it: it runs the function on fresh models and data (made by
:mod:`gradflow.hunt_models` and :mod:`gradflow.gan`, inside ``torch.random.fork_rng`` so the
notebook's random state is untouched), from a state that exposes the bug, over several steps, and
tests the behaviour: what trains, what stays, how much backward work each step does, and whether
the result equals a reference computed the right way (with a stated tolerance). A fix that only
hides the symptom fails with a hint about what still goes wrong.

The only use of the source is to recognise the script exactly as the lesson hands it out (its
syntax tree, comments and names of the function aside): that counts as "not attempted yet".

The cause of each bug is named only after a correct fix (in the passed line), or on request:
``hint(n)`` prints the next hint for bug ``n`` (first a measurement to make, then what it means and the
lesson behind it), ``explain(n)`` names the cause and the fix.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap

import torch
from torch.nn import functional as F
from torch.optim.optimizer import register_optimizer_step_post_hook

import gradflow.hunt_models as hm
from ..checking import NotAttempted, Wrong, exercise, expect_function, run_learner
from ..gan import discriminator_step, gan_batch, generator_step, make_gan
from ..tracker import ParamTracker


LESSON = "09_capstone"

# --- hints and causes, revealed on request --------------------------------------------------------

HINTS = {  # 1: a measurement to make (where to look); 2: what that measurement means, and the lesson behind it
    1: ["Measure: register a hook on one of G's weights (p.register_hook) and count how many backward passes reach "
        "G in one step, and print G's .grad norm right before opt_G.step().",
        "More than one arrival means a loss meant for D trains G too, and a .grad not cleared right before the G "
        "backward carries it into opt_G.step(); the retain_graph=True hides the error that would have said so. "
        "Lesson 01 (detach: cutting the graph) and lesson 06 (retain_graph)."],
    2: ["Measure: time one backward per chunk (or count the time steps it walks through) for chunks 1, 2, 3 ...: "
        "does it stay flat?",
        "Growing work means each chunk's loss still reaches into the earlier chunks' graphs through a tensor carried "
        "from chunk to chunk; retain_graph=True only keeps those graphs alive. Lesson 06 (retain_graph), "
        "sections 6 and 7: a recurrent loop."],
    3: ["Measure: after the unfreeze, print which tensors require grad next to the tensors the optimizer holds "
        "(opt.param_groups), and whether a backbone weight changes over one step.",
        "A gradient that arrives moves nothing unless an optimizer steps that tensor: the list the optimizer was "
        "built from is fixed. Lesson 07 (leaving parameters out of the optimizer) and lesson 02 (requires_grad)."],
    4: ["Measure: after one step, are all weights inside the bound? Then compare the step's p.grad with "
        "torch.autograd.grad of the loss from a fresh forward at the weights the forward pass used.",
        "If the gradients differ, a weight changed between forward and backward without autograd noticing, so the "
        "gradient belongs to weights the forward never used; if the bound fails, the step pushes past it after "
        "the clamp. Lesson 04 (.data versus detach(): the silent wrong gradient)."],
    5: ["Measure: right after the average is made, compare ema[name].data_ptr() with the parameter's, and print "
        "both after one step.",
        "Equal pointers mean one storage, so the 'average' is the live weight under another name and every update "
        "of it writes into the model. Lesson 05 (clone(): a real copy)."],
    6: ["Measure: print soft_targets.is_inference() and requires_grad, and find the line the traceback names.",
        "An inference tensor cannot be saved for backward, and kl_div saves its target; a detach() or view of an "
        "inference tensor is one too, wherever it is made. Lesson 03 (no_grad, inference_mode and eval()), the "
        "section on inference tensors."],
    7: ["Measure: compare J with torch.func.jacrev(f)(x) at the starting point: equal, or equal to J.T?",
        "J.T instead of J means each backward's result (one output, all inputs) went into the wrong index, and "
        "Newton solves with the wrong matrix. Lesson 08 (Jacobians): which index is the output?"],
    8: ["Measure: after the freeze, print model.aux.weight.grad (None or zeros?) and whether model.aux.weight "
        "changes over one step.",
        "A .grad that is zero but not None is still stepped: AdamW's moments and weight decay move the parameter "
        "even though no gradient is computed for it. Lesson 07 (section 4: a frozen parameter under momentum, Adam "
        "and weight decay) and lesson 02."],
}

CAUSES = {
    1: "the D loss scored G(z) without .detach(), so its backward reached G; retain_graph=True silenced the "
       "second-backward error, and since opt_G.zero_grad() ran only after opt_G.step(), G's .grad held the D "
       "loss's gradient too: G stepped partly to help D. Fix: D(fake.detach()) in the D loss (or clear G's "
       "gradients right before the G backward).",
    2: "the carried hidden state h kept every earlier chunk's graph, so each backward walked back through the "
       "whole stream (work and memory grow per chunk); retain_graph=True only silenced the error that said so. "
       "Fix: carry the value, not the history: h = h.detach() before each chunk, and no retain_graph.",
    3: "the optimizer was built from the tensors that required grad at that moment (the head); "
       "requires_grad_(True) later lets gradients reach the backbone, but no optimizer steps it. Fix: "
       "opt.add_param_group({'params': model.backbone.parameters(), 'lr': 1e-3}) at the unfreeze.",
    4: "p.data.clamp_() between the forward pass and backward changed weights autograd had saved, without "
       "autograd knowing (.data bypasses the version counter): the gradient was computed with weights the "
       "forward never used, and the step then left the bound again. Fix: bound the weights inside "
       "torch.no_grad() after opt.step() (and, if you like, before the forward).",
    5: "p.detach() shares storage with the parameter, so the 'average' was the live weights themselves: it "
       "always equalled them, and ema.mul_(d).add_(p, alpha=1 - d) scaled the live weights by 1 - (1 - d)**2 "
       "after every step. Fix: a copy, p.detach().clone().",
    6: "the teacher's soft targets were made under torch.inference_mode(); kl_div saves its target for "
       "backward, and inference tensors cannot be saved. Fix: make them under torch.no_grad() (or clone "
       "them outside inference mode).",
    7: "each backward returns one row of the Jacobian (one output, all inputs), and J[:, i] = g wrote it into "
       "a column: Newton used J transposed and wandered. Fix: J[i] = g, or J = torch.func.jacrev(f)(x).",
    8: "opt.zero_grad(set_to_none=False) left a zero tensor in the frozen head's .grad; AdamW steps every "
       "parameter whose .grad is not None, so momentum and weight decay kept moving it. Fix: "
       "opt.zero_grad() (set_to_none=True), or set the head's .grad to None when freezing it.",
}

_hints_given: dict[int, int] = {}


def hint(number: int) -> None:
    """Print the next hint for bug ``number``: first a measurement to make, then what it means (and its lesson)."""
    if not isinstance(number, int) or number not in HINTS:
        print(f"there is no bug {number!r}: choose one of {', '.join(str(n) for n in HINTS)}")
        return
    given = _hints_given.get(number, 0)
    if given >= len(HINTS[number]):
        print(f"bug {number}: no more hints. ex.explain({number}) names the cause (it gives the answer away).")
        return
    _hints_given[number] = given + 1
    print(f"bug {number}, hint {given + 1} of {len(HINTS[number])}: {HINTS[number][given]}")


def explain(number: int) -> None:
    """Name the cause of bug ``number`` (ask only when you want the answer)."""
    if not isinstance(number, int) or number not in CAUSES:
        print(f"there is no bug {number!r}: choose one of {', '.join(str(n) for n in CAUSES)}")
        return
    print(f"bug {number}, the cause: {CAUSES[number]}")


# --- "the script as found" ---------------------------------------------------------------------


def fingerprint(fn) -> str | None:
    """A short digest of a function's syntax tree (name, docstring and comments left out), or None."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    node = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if node is None:
        return None
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    # unparse: the code itself, whatever its comments, spacing and quotes (and steadier across Pythons than dump)
    text = ast.unparse(node.args) + "\n" + "\n".join(ast.unparse(stmt) for stmt in body)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


#: fingerprints of the eight scripts as lesson 09 hands them out (a test keeps them in step)
AS_FOUND = {
    1: "d005037e8884", 2: "45496a1b96bc", 3: "4fcaadcb4ee4", 4: "92a4a386a380",
    5: "bce5ecb2a69b", 6: "d6a17907b91d", 7: "a5ec39d8cf6d", 8: "9a52e705aa6b",
}


def _attempted(fn, number: int) -> None:
    expect_function(fn, "your fixed script")
    if fingerprint(fn) == AS_FOUND[number]:
        raise NotAttempted("this is still the script as found: fix it, run its cell, then this one")


def _differs(a: torch.nn.Module, b: torch.nn.Module, atol: float) -> list[str]:
    """Names of parameters where ``a`` and ``b`` differ by more than ``atol`` (plus rtol 1e-4)."""
    pb = dict(b.named_parameters())
    return [n for n, p in a.named_parameters()
            if not torch.allclose(p.detach(), pb[n].detach(), rtol=1e-4, atol=atol)]


SECOND_BACKWARD = "backward through the graph a second time"
NO_GRAD_FN = "does not require grad and does not have a grad_fn"


# --- bug 1: a GAN step ------------------------------------------------------------------------


@exercise(LESSON, 1, "a GAN step that trains G and D as meant")
def gan(train_step):
    _attempted(train_step, 1)
    with torch.random.fork_rng():
        G, D = make_gan(seed=21)
        G_ref, D_ref = make_gan(seed=21)
        adam = lambda net: torch.optim.Adam(net.parameters(), lr=2e-3, betas=(0.5, 0.999))  # noqa: E731
        opt_G, opt_D, opt_G_ref, opt_D_ref = adam(G), adam(D), adam(G_ref), adam(D_ref)
        reached: list[int] = []  # gradient arrivals at G's first weight, one entry per backward pass
        hook = G.net[0].weight.register_hook(lambda grad: reached.append(1))
        tracker = ParamTracker({"G": G, "D": D})
        try:
            for step in range(3):
                real, z = gan_batch(900 + step)
                run_learner(train_step, G, D, opt_G, opt_D, real, z, name="train_step", errors={
                    SECOND_BACKWARD: ("your step raises 'Trying to backward through the graph a second time'",
                                      "that is the error the script's retain_graph=True was silencing: which "
                                      "backward frees the graph the G loss still needs, and should it reach it?"),
                    "modified by an inplace operation": (
                        "your step raises autograd's in-place error",
                        "measure: which D(...) does each loss use? A score computed before opt_D.step() saved D's "
                        "old weights, and the step has changed them since: a loss needs a score made after the "
                        "last step of the network it goes through"),
                    NO_GRAD_FN: ("your step raises 'element 0 of tensors does not require grad': one of its losses "
                                 "has no graph", "measure: print each loss's requires_grad before its backward; a "
                                 "loss computed only from detached tensors, or while every parameter it uses is "
                                 "frozen, has none, and the loss that trains a network needs a graph back into it")})
                fake = G_ref(z)
                discriminator_step(D_ref, opt_D_ref, real, fake)
                generator_step(D_ref, opt_G_ref, fake)
        finally:
            hook.remove()
    changed = tracker.changed()
    if not any(n.startswith("G.") for n in changed):
        raise Wrong("G never changed in three steps: the generator does not train any more",
                    "whatever stops the D step's gradient from reaching G must not stay on for the G step "
                    "(a requires_grad_(False) needs its requires_grad_(True), and the fake batch of the "
                    "G loss needs its graph back to G)")
    if not any(n.startswith("D.") for n in changed):
        raise Wrong("D never changed in three steps", "the D step needs opt_D.step()")
    if _differs(G, G_ref, atol=1e-5):
        raise Wrong("after three steps G differs from a G trained on its own loss, bce(D(G(z)), 1) through "
                    "the updated D", "G's .grad at opt_G.step() must hold the G loss's gradient and nothing else")
    if _differs(D, D_ref, atol=1e-5):
        raise Wrong("after three steps D differs from a D trained on real -> 1, G(z) -> 0",
                    "D's update must come from the D loss only, before the G step")
    if len(reached) > 3:
        raise Wrong(f"G's values are right, but backward reached G {len(reached)} times in 3 steps (expected 3, one "
                    "per G loss): the D loss still backpropagates into G every step, work the G step then throws away",
                    "measure: a hook on a G weight counts the arrivals per step; the D loss needs no gradient in G, "
                    "so cut the graph there instead of clearing G's .grad afterwards")
    return f"G now learns from its own loss. The cause: {CAUSES[1]}"


# --- bug 2: a recurrent model on a stream -------------------------------------------------------

N_CHUNKS, CHUNK = 5, 8


def _tbptt_reference(model, opt, chunks):
    h = None
    for xs, ys in chunks:
        pred, h = model(xs, None if h is None else h.detach())
        opt.zero_grad()
        F.mse_loss(pred, ys).backward()
        opt.step()


@exercise(LESSON, 2, "a recurrent model whose steps stay the same size")
def stream(train_stream):
    _attempted(train_stream, 2)
    with torch.random.fork_rng():
        model, ref = hm.make_rnn(seed=22), hm.make_rnn(seed=22)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        chunks = hm.sine_chunks(N_CHUNKS, CHUNK, seed=22)
        run_learner(train_stream, model, opt, chunks, name="train_stream", errors={
            SECOND_BACKWARD: ("your script raises 'Trying to backward through the graph a second time' "
                              "at the second chunk",
                              "that is what retain_graph=True was hiding: chunk 2's backward still walks into "
                              "chunk 1's graph. Through which tensor?"),
            "modified by an inplace operation": ("your script raises autograd's in-place error",
                                                 "a backward still walks into an earlier chunk's graph, whose "
                                                 "saved weights opt.step() has changed since")})
        _tbptt_reference(ref, torch.optim.SGD(ref.parameters(), lr=0.1), chunks)
    expected = N_CHUNKS * CHUNK
    if model.backward_steps > expected:
        raise Wrong(f"backward walked through {model.backward_steps} time steps for {N_CHUNKS} chunks of {CHUNK} "
                    f"(expected {expected}): each chunk still backpropagates into the chunks before it",
                    "the work per chunk must stay flat, whatever retain_graph says")
    if model.backward_steps < expected:
        raise Wrong(f"backward walked through only {model.backward_steps} time steps for {N_CHUNKS} chunks "
                    f"of {CHUNK}", "train on every chunk: one backward per chunk")
    if _differs(model, ref, atol=1e-5):
        raise Wrong("the weights differ from training chunk by chunk with the state carried over",
                    "the state's value must carry from one chunk to the next (the network remembers the "
                    "stream); only its history must not")
    return f"flat work per chunk, state carried. The cause: {CAUSES[2]}"


# --- bug 3: a frozen backbone that is unfrozen later --------------------------------------------

HEAD_LR, BACKBONE_LR = 1e-2, 1e-3


def _fine_tune_reference(model, x, y, head_steps, full_steps):
    model.backbone.requires_grad_(False)
    opt = torch.optim.Adam(model.head.parameters(), lr=HEAD_LR)
    for step in range(head_steps + full_steps):
        if step == head_steps:
            model.backbone.requires_grad_(True)
            opt.add_param_group({"params": model.backbone.parameters(), "lr": BACKBONE_LR})
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


@exercise(LESSON, 3, "a backbone that trains after it is unfrozen")
def unfreeze(fine_tune):
    _attempted(fine_tune, 3)
    x, y = hm.class_batch(seed=23)
    with torch.random.fork_rng():
        model = hm.make_classifier(seed=23)
        frozen_part = ParamTracker(model.backbone)
        head = ParamTracker(model.head)
        run_learner(fine_tune, model, x, y, 3, 0, name="fine_tune")
        if frozen_part.changed():
            raise Wrong(f"the backbone moved during the head-only stage ({frozen_part.changed()[0]})",
                        "the backbone stays frozen until the unfreeze")
        if not head.changed():
            raise Wrong("the head did not train during the head-only stage")
        model, ref = hm.make_classifier(seed=23), hm.make_classifier(seed=23)
        backbone = ParamTracker(model.backbone)
        run_learner(fine_tune, model, x, y, 2, 4, name="fine_tune")  # another head_steps: no number typed in
        _fine_tune_reference(ref, x, y, 2, 4)
    if not backbone.changed():
        raise Wrong("after the unfreeze the backbone still never changed (4 steps)",
                    "a gradient reaching the backbone moves it only if an optimizer steps it")
    largest = max(backbone.change().values())
    if largest > 4 * BACKBONE_LR * 1.1:  # in its first steps an Adam step moves each element by about lr at most
        raise Wrong(f"the backbone moved by up to {largest:.3f} in 4 steps, more than Adam at lr {BACKBONE_LR} "
                    f"can (about {4 * BACKBONE_LR:.3f})", f"the unfrozen backbone trains at the smaller rate "
                    f"BACKBONE_LR = {BACKBONE_LR}, the head keeps {HEAD_LR}")
    if _differs(model.head, ref.head, atol=1e-5):
        raise Wrong("the head's training after the unfreeze differs from continuing the same optimizer",
                    "a new optimizer starts the head's Adam moments from zero: extend the one you have "
                    "(lesson 07) so the head keeps its state")
    if _differs(model.backbone, ref.backbone, atol=1e-5):
        raise Wrong("the backbone's updates differ from Adam at its own learning rate",
                    f"one parameter group for the backbone, lr {BACKBONE_LR}")
    return f"frozen while it should be, trained after. The cause: {CAUSES[3]}"


# --- bug 4: a weight bound ---------------------------------------------------------------------

LR_BOUND = 0.2


@exercise(LESSON, 4, "a weight bound that holds")
def bound(train_step):
    _attempted(train_step, 4)
    with torch.random.fork_rng():
        model = hm.make_regressor(seed=24)  # weights start outside the bound: the state that exposes the bug
        opt = torch.optim.SGD(model.parameters(), lr=LR_BOUND)
        used: list[list[torch.Tensor]] = []
        handle = model.register_forward_pre_hook(
            lambda module, args: used.append([p.detach().clone() for p in module.parameters()]))
        try:
            for step in range(3):
                x, y = hm.regression_batch(seed=240 + step)
                used.clear()
                run_learner(train_step, model, opt, x, y, name="train_step", errors={
                    "modified by an inplace operation": (
                        "your step raises autograd's in-place error",
                        "autograd caught an edit of a weight it saved for backward: that edit cannot sit "
                        "between the forward pass and backward")})
                if not used:
                    raise Wrong("your step never ran the model", "one forward pass per step")
                # what an honest step does: the gradient at the weights the forward used, then the bound
                names = [n for n, _ in model.named_parameters()]
                weights = {n: w.requires_grad_() for n, w in zip(names, used[-1])}
                loss = F.mse_loss(torch.func.functional_call(model, weights, (x,)), y)
                grads = torch.autograd.grad(loss, list(weights.values()))
                for (name, p), w, g in zip(model.named_parameters(), weights.values(), grads):
                    outside = p.detach().abs().max().item()
                    if outside > hm.BOUND + 1e-6:
                        raise Wrong(f"after step {step + 1}, {name} reaches {outside:.3f}, outside the bound "
                                    f"[-{hm.BOUND}, {hm.BOUND}]", "opt.step() can push weights past the bound")
                    expected = (w.detach() - LR_BOUND * g).clamp(-hm.BOUND, hm.BOUND)
                    # a hand-made update and optim.SGD can differ in the last bit: compare with a tolerance
                    if not torch.allclose(p.detach(), expected, rtol=1e-4, atol=1e-6):
                        raise Wrong(f"step {step + 1} moved {name} differently from one SGD step along the gradient "
                                    "of the loss at the weights the forward pass used (then the bound)",
                                    "measure: compare p.grad after your backward with torch.autograd.grad of a fresh "
                                    "forward at the same weights; if they differ, a weight changed between forward "
                                    "and backward; if they agree, the step itself differs (a rescaled or clipped "
                                    "gradient, another lr): the script's step is plain SGD, then the bound")
        finally:
            handle.remove()
    return f"bound kept, gradients honest. The cause: {CAUSES[4]}"


# --- bug 5: an exponential moving average of the weights ---------------------------------------

EMA_DECAY = 0.9


def _ema_tensors(ema) -> dict[str, torch.Tensor]:
    if isinstance(ema, torch.nn.Module):
        return dict(ema.named_parameters())
    if isinstance(ema, dict) and all(isinstance(v, torch.Tensor) for v in ema.values()):
        return dict(ema)
    raise Wrong(f"your function should return the averages as a dict name -> tensor, got {type(ema).__name__}",
                "return ema")


@exercise(LESSON, 5, "an average of the weights that really averages")
def ema(train_with_ema):
    _attempted(train_with_ema, 5)
    batches = [hm.regression_batch(seed=250 + k) for k in range(4)]
    with torch.random.fork_rng():
        model, ref = hm.make_regressor(seed=25), hm.make_regressor(seed=25)
        opt, opt_ref = (torch.optim.SGD(m.parameters(), lr=0.1) for m in (model, ref))
        averages = _ema_tensors(run_learner(train_with_ema, model, opt, batches, name="train_with_ema"))
        expected = {n: p.detach().clone() for n, p in ref.named_parameters()}
        for x, y in batches:
            opt_ref.zero_grad()
            F.mse_loss(ref(x), y).backward()
            opt_ref.step()
            with torch.no_grad():
                for n, p in ref.named_parameters():
                    expected[n].mul_(EMA_DECAY).add_(p, alpha=1 - EMA_DECAY)
    if sorted(averages) != sorted(expected):
        raise Wrong(f"the averages should be named like the parameters {sorted(expected)}, got {sorted(averages)}")
    params = dict(model.named_parameters())
    shared = [n for n, t in averages.items() if t.untyped_storage().data_ptr() == params[n].untyped_storage().data_ptr()]
    if shared:
        raise Wrong(f"the average {shared[0]!r} is the live parameter itself (same storage)",
                    "an average must be its own tensor, or it moves with every step")
    if _differs(model, ref, atol=1e-5):
        raise Wrong("the model itself trained differently from plain SGD",
                    "the average must never write into the live weights")
    for n, t in averages.items():
        if t.grad_fn is not None:
            raise Wrong(f"the average {n!r} is still attached to the graph (requires_grad=True)",
                        "it records how it was computed from the parameters: take the copy without the graph")
        if t.requires_grad:  # a leaf with no graph, e.g. from copy.deepcopy(model): a copy that still trains
            raise Wrong(f"the average {n!r} still requires grad: a deep copy keeps requires_grad=True",
                        "an average is never trained: freeze the copy with requires_grad_(False) (lesson 05), so "
                        "no loss through it computes gradients for it")
        if not torch.allclose(t, expected[n], rtol=1e-4, atol=1e-6):
            raise Wrong(f"the average {n!r} differs from an exponential moving average (decay {EMA_DECAY}) "
                        "started at the initial weights", "start it once, before training, from a copy")
    return f"a real average of four steps. The cause: {CAUSES[5]}"


# --- bug 6: distillation with a teacher's soft targets -------------------------------------------


@exercise(LESSON, 6, "a student that learns from its teacher")
def distill(distill_run):
    _attempted(distill_run, 6)
    x, y = hm.class_batch(seed=26)
    with torch.random.fork_rng():
        teacher, student = hm.make_teacher_student(seed=26)
        _, ref = hm.make_teacher_student(seed=26)
        opt = torch.optim.SGD(student.parameters(), lr=0.1)
        touched = ParamTracker(teacher)
        reached: list[int] = []
        hooks = [p.register_hook(lambda grad: reached.append(1)) for p in teacher.parameters()]
        try:
            run_learner(distill_run, student, teacher, opt, x, y, 3, name="distill_run", errors={
                "Inference tensors cannot be saved for backward": (
                    "your script still raises 'Inference tensors cannot be saved for backward'",
                    "measure: print soft.is_inference(); a tensor made inside inference mode is an inference "
                    "tensor, and so is a clone made inside inference mode, or any detach() or view of it, "
                    "wherever it is made"),
                NO_GRAD_FN: ("your script raises 'element 0 of tensors does not require grad'",
                             "the student's loss must be recorded: only the teacher's part needs no graph")})
        finally:
            for h in hooks:
                h.remove()
        with torch.no_grad():
            soft = F.softmax(teacher(x), dim=1)
        opt_ref = torch.optim.SGD(ref.parameters(), lr=0.1)
        for _ in range(3):
            logits = ref(x)
            loss = F.cross_entropy(logits, y) + F.kl_div(F.log_softmax(logits, dim=1), soft, reduction="batchmean")
            opt_ref.zero_grad()
            loss.backward()
            opt_ref.step()
    if touched.changed():
        raise Wrong(f"the teacher changed ({touched.changed()[0]})", "only the student trains")
    if reached or any(p.grad is not None for p in teacher.parameters()):
        raise Wrong("backward reached the teacher: its whole forward pass was recorded and backpropagated",
                    "the teacher's targets need no graph at all")
    if _differs(student, ref, atol=1e-5):
        raise Wrong("after three steps the student differs from one trained on cross-entropy + KL to the "
                    "teacher's softmax", "keep the loss as it is; change only how the targets are made")
    return f"the student learns, the teacher stays out of the graph. The cause: {CAUSES[6]}"


# --- bug 7: Newton's method with a Jacobian built by hand ---------------------------------------


def _newton(f, x, target, steps):
    for _ in range(steps):
        x = x - torch.linalg.solve(torch.func.jacrev(f)(x), f(x) - target)
    return x


PROBLEMS = [  # (function, start, target): both have Jacobians far from symmetric
    (hm.arm, (0.3, 0.6), (0.9, 1.1)),
    (hm.mixer, (0.5, 0.5, 0.5), (1.0, 0.4, 0.3)),
]


@exercise(LESSON, 7, "a Newton solver that converges")
def newton(solve):
    _attempted(solve, 7)
    for f, start, target in PROBLEMS:
        x0, t = torch.tensor(start), torch.tensor(target)
        try:
            answer = run_learner(solve, f, x0.clone(), t, 6, name="solve")
        except torch.linalg.LinAlgError:
            raise Wrong(f"on {f.__name__}, the solver met a singular matrix",
                        "Newton's matrix is the Jacobian of f at x, J[i, j] = d f_i / d x_j") from None
        if not isinstance(answer, torch.Tensor) or answer.shape != x0.shape:
            raise Wrong(f"solve should return x, a tensor of shape {tuple(x0.shape)}, got "
                        f"{type(answer).__name__ if not isinstance(answer, torch.Tensor) else tuple(answer.shape)}",
                        "return x")
        reference = _newton(f, x0, t, 6)
        residual = (f(answer.detach()) - t).norm().item()
        # Newton converges quadratically here: after 6 steps both land on the root to rounding
        if not torch.allclose(answer.detach(), reference, rtol=1e-4, atol=1e-5):
            raise Wrong(f"on {f.__name__}, after 6 steps |f(x) - target| = {residual:.3g}: your iterates are not "
                        "Newton's", "Newton's step solves J dx = f(x) - target with J[i, j] = d f_i / d x_j; "
                                    "check your J against torch.func.jacrev(f)(x)")
    return f"converges on both problems. The cause: {CAUSES[7]}"


# --- bug 8: a multi-task model whose auxiliary head is frozen mid-training ------------------------


def _two_task_step(model, opt, x, y, aux_target, with_aux: bool, set_to_none: bool = True) -> None:
    """One step of the two-task model: the main loss, plus the auxiliary loss while the head still trains."""
    opt.zero_grad(set_to_none=set_to_none)
    main, aux = model(x)
    loss = F.cross_entropy(main, y)
    if with_aux:
        loss = loss + F.mse_loss(aux, aux_target)
    loss.backward()
    opt.step()


def _two_task_reference(model, x, y, aux_target, steps, freeze_at):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    for step in range(steps):
        if step == freeze_at:
            model.aux.requires_grad_(False)
        _two_task_step(model, opt, x, y, aux_target, with_aux=step < freeze_at)


@exercise(LESSON, 8, "an auxiliary head that stays frozen")
def frozen_head(train_two_tasks):
    _attempted(train_two_tasks, 8)
    x, y, aux_target = hm.two_task_batch(seed=28)
    with torch.random.fork_rng():
        model, ref = hm.make_two_task(seed=28), hm.make_two_task(seed=28)
        first = hm.make_two_task(seed=28)
        warm_up = ParamTracker(first.aux)
        run_learner(train_two_tasks, first, x, y, aux_target, 2, 2, name="train_two_tasks")  # 2 steps, no freeze
        frozen_from = {n: p.detach().clone() for n, p in first.aux.named_parameters()}
        stepped: list[torch.optim.Optimizer] = []  # the optimizers the script steps (it builds its own)
        handle = register_optimizer_step_post_hook(
            lambda optimizer, args, kwargs: stepped.append(optimizer))
        try:
            run_learner(train_two_tasks, model, x, y, aux_target, 6, 2, name="train_two_tasks")  # same 2, then 4 frozen
        finally:
            handle.remove()
        _two_task_reference(ref, x, y, aux_target, 6, 2)
    moved = [n for n, p in model.aux.named_parameters() if not torch.equal(p.detach(), frozen_from[n])]
    if not warm_up.changed():
        raise Wrong("the auxiliary head never trained before the freeze", "it trains until freeze_at")
    if moved:
        raise Wrong(f"the frozen auxiliary head still moved after the freeze ({moved[0]})",
                    "after requires_grad_(False) nothing may move it: not the loss, not momentum, not weight decay")
    for optimizer in {id(o): o for o in stepped}.values():
        try:
            optimizer.state_dict()
        except Exception as error:
            raise Wrong(f"after the run, the script's optimizer cannot be saved: state_dict() raises "
                        f"{type(error).__name__}", "measure: compare the tensors in opt.param_groups with the keys of "
                        "opt.state; a parameter taken out of the groups must leave opt.state too, or every "
                        "checkpoint fails (lesson 07, Pitfalls)") from None
    if _differs(model, ref, atol=1e-5):
        raise Wrong("the trunk or the main head trained differently from AdamW continuing without the aux head",
                    "keep the one optimizer and its state for everything that still trains; only the frozen "
                    "head must drop out of its steps")
    return f"frozen means frozen. The cause: {CAUSES[8]}"

#: what the lesson's notebook uses (its checkers); the other names serve the checkers and their tests
__all__ = ["gan", "stream", "unfreeze", "bound", "ema", "distill", "newton", "frozen_head", "explain", "hint"]
