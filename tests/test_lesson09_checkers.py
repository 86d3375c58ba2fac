"""Lesson 09's bug hunt: each script as found is "not attempted", fails as an attempt with a hint,
plausible wrong fixes are rejected with the right hint, differently written right fixes pass.

The scripts as found and the lesson's own fixes are read from the notebooks (their one home); the
wrong and alternative fixes are written here.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from gradflow import hunt_models as hm
from gradflow.exercises import capstone as hunt
from gradflow.gan import bce

from checker_helpers import WrongAnswers

wrong = WrongAnswers("09")

ROOT = Path(__file__).resolve().parents[1]
BOUND = hm.BOUND
BACKBONE_LR = 1e-3

CHECKERS = {1: hunt.gan, 2: hunt.stream, 3: hunt.unfreeze, 4: hunt.bound, 5: hunt.ema, 6: hunt.distill,
            7: hunt.newton, 8: hunt.frozen_head}
NAMES = {1: "gan_step", 2: "train_stream", 3: "fine_tune", 4: "bounded_step", 5: "train_with_ema",
         6: "distill", 7: "solve", 8: "train_two_tasks"}


def _script_cells(folder: str) -> dict[int, str]:
    nb = nbformat.read(ROOT / folder / "09_capstone.ipynb", as_version=4)
    cells = {c.id: c.source for c in nb.cells if c.cell_type == "code"}
    return {n: cells[f"09-h{n}b"] for n in CHECKERS}


def _define(source: str, name: str, tmp_path: Path, tag: str):
    """Define a function from cell source in a real file, so inspect.getsource works as in a kernel."""
    path = tmp_path / f"{tag}.py"
    path.write_text(source)
    namespace = {"torch": torch, "nn": nn, "F": F, "bce": bce, "BOUND": BOUND}
    exec(compile(source, str(path), "exec"), namespace)
    return namespace[name]


@pytest.fixture(scope="module")
def lesson_cells():
    return _script_cells("lessons")


@pytest.fixture(scope="module")
def solution_cells():
    return _script_cells("solutions")


def _out(capsys) -> str:
    return capsys.readouterr().out


# --- the scripts as found and the lesson's fixes -------------------------------------------------


@pytest.mark.parametrize("number", list(CHECKERS))
def test_script_as_found_is_not_attempted_and_fingerprinted(number, lesson_cells, tmp_path, capsys):
    fn = _define(lesson_cells[number], NAMES[number], tmp_path, f"found{number}")
    assert hunt.fingerprint(fn) == hunt.AS_FOUND[number], "update AS_FOUND in exercises/capstone.py to the lesson's script"
    assert not CHECKERS[number](fn)
    assert "not attempted yet (this is still the script as found" in _out(capsys)


def test_the_fingerprint_ignores_comments_and_layout_but_not_code(lesson_cells, tmp_path):
    source = lesson_cells[3]
    relaid = source.replace("model.backbone.requires_grad_(False)", "model.backbone.requires_grad_( False )  # note")
    edited = source.replace("lr=1e-2", "lr=0.01 * 1")
    assert relaid != source and edited != source
    fingerprints = [hunt.fingerprint(_define(text, NAMES[3], tmp_path, f"v{i}"))
                    for i, text in enumerate([source, relaid, edited])]
    assert fingerprints[0] == fingerprints[1] == hunt.AS_FOUND[3] != fingerprints[2]
    assert hunt.fingerprint(print) is None and hunt.fingerprint(lambda: 0) is None  # nothing to recognise


FOUND_FAILS = {
    1: "G differs from a G trained on its own loss",
    2: "each chunk still backpropagates into the chunks before it",
    3: "the backbone still never changed",
    4: "outside the bound",
    5: "is the live parameter itself",
    6: "still raises 'Inference tensors cannot be saved for backward'",
    7: "your iterates are not Newton's",
    8: "the frozen auxiliary head still moved",
}


@pytest.mark.parametrize("number", list(CHECKERS))
def test_script_as_found_fails_as_an_attempt(number, lesson_cells, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(hunt.AS_FOUND, number, "not this one")
    fn = _define(lesson_cells[number], NAMES[number], tmp_path, f"found{number}")
    assert not CHECKERS[number](fn)
    out = _out(capsys)
    assert out.startswith(f"✘ 09.{number} ") and FOUND_FAILS[number] in out, out
    assert "hint:" in out and "The cause" not in out


@pytest.mark.parametrize("number", list(CHECKERS))
def test_the_lessons_fix_passes_and_names_the_cause(number, solution_cells, tmp_path, capsys):
    fn = _define(solution_cells[number], NAMES[number], tmp_path, f"fixed{number}")
    assert CHECKERS[number](fn)
    out = _out(capsys)
    assert out.startswith(f"✔ 09.{number} ") and "The cause:" in out, out


# --- wrong fixes (each hides the symptom or moves it) and other right fixes, per bug --------------


def _d_step_then_g_step(D, opt_G, opt_D, real, fake):
    opt_D.zero_grad()
    (bce(D(real), 1.0) + bce(D(fake), 0.0)).backward()
    opt_D.step()
    opt_G.zero_grad()
    bce(D(fake), 1.0).backward()
    opt_G.step()


def gan_never_unfreezes(G, D, opt_G, opt_D, real, z):  # hole 1: G.requires_grad_(False) for good
    G.requires_grad_(False)
    _d_step_then_g_step(D, opt_G, opt_D, real, G(z))


def gan_detach_everything(G, D, opt_G, opt_D, real, z):
    _d_step_then_g_step(D, opt_G, opt_D, real, G(z).detach())


def gan_drop_retain_graph(G, D, opt_G, opt_D, real, z):
    fake = G(z)
    loss_D = bce(D(real), 1.0) + bce(D(fake), 0.0)
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    bce(D(fake), 1.0).backward()
    opt_G.step()
    opt_G.zero_grad()


def gan_zero_g_grads_first(G, D, opt_G, opt_D, real, z):  # right, though the D step still reaches G
    fake = G(z)
    loss_D = bce(D(real), 1.0) + bce(D(fake), 0.0)
    opt_D.zero_grad()
    loss_D.backward(retain_graph=True)
    opt_D.step()
    opt_G.zero_grad()
    bce(D(fake), 1.0).backward()
    opt_G.step()


def gan_freeze_and_unfreeze(G, D, opt_G, opt_D, real, z):  # hole 1, done right
    G.requires_grad_(False)
    opt_D.zero_grad()
    (bce(D(real), 1.0) + bce(D(G(z)), 0.0)).backward()
    opt_D.step()
    G.requires_grad_(True)
    opt_G.zero_grad()
    bce(D(G(z)), 1.0).backward()
    opt_G.step()


def stream_without_retain(model, opt, chunks):
    h = None
    for xs, ys in chunks:
        pred, h = model(xs, h)
        opt.zero_grad()
        F.mse_loss(pred, ys).backward()
        opt.step()


def stream_reset_state(model, opt, chunks):
    for xs, ys in chunks:
        pred, _ = model(xs, None)
        opt.zero_grad()
        F.mse_loss(pred, ys).backward()
        opt.step()


def stream_detach_after_step(model, opt, chunks):  # right: detach at the end, retain_graph kept
    h = None
    for xs, ys in chunks:
        pred, h = model(xs, h)
        opt.zero_grad()
        F.mse_loss(pred, ys).backward(retain_graph=True)
        opt.step()
        h = h.detach()


def fine_tune_default_lr(model, x, y, head_steps, full_steps):
    model.backbone.requires_grad_(False)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for step in range(head_steps + full_steps):
        if step == head_steps:
            model.backbone.requires_grad_(True)
            opt.add_param_group({"params": model.backbone.parameters()})
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


def fine_tune_new_optimizer(model, x, y, head_steps, full_steps):
    model.backbone.requires_grad_(False)
    opt = torch.optim.Adam(model.head.parameters(), lr=1e-2)
    for step in range(head_steps + full_steps):
        if step == head_steps:
            model.backbone.requires_grad_(True)
            opt = torch.optim.Adam([{"params": model.head.parameters()},
                                    {"params": model.backbone.parameters(), "lr": BACKBONE_LR}], lr=1e-2)
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


def fine_tune_never_frozen(model, x, y, head_steps, full_steps):
    opt = torch.optim.Adam([{"params": model.head.parameters()},
                            {"params": model.backbone.parameters(), "lr": BACKBONE_LR}], lr=1e-2)
    for _ in range(head_steps + full_steps):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


def fine_tune_two_optimizers(model, x, y, head_steps, full_steps):  # right: a second optimizer
    model.backbone.requires_grad_(False)
    opts = [torch.optim.Adam(model.head.parameters(), lr=1e-2)]
    for step in range(head_steps + full_steps):
        if step == head_steps:
            model.backbone.requires_grad_(True)
            opts.append(torch.optim.Adam(model.backbone.parameters(), lr=BACKBONE_LR))
        for opt in opts:
            opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        for opt in opts:
            opt.step()


def bound_after_step_keeps_data(model, opt, x, y):  # the bound holds, the gradient is still corrupted
    opt.zero_grad()
    loss = F.mse_loss(model(x), y)
    for p in model.parameters():
        p.data.clamp_(-BOUND, BOUND)
    loss.backward()
    opt.step()
    for p in model.parameters():
        p.data.clamp_(-BOUND, BOUND)


def _clamp_all(model):
    with torch.no_grad():
        for p in model.parameters():
            p.clamp_(-BOUND, BOUND)


def bound_no_grad_before_backward(model, opt, x, y):
    opt.zero_grad()
    loss = F.mse_loss(model(x), y)
    _clamp_all(model)
    loss.backward()
    opt.step()


def bound_before_forward_only(model, opt, x, y):
    _clamp_all(model)
    _sgd_step(model, opt, x, y)


def bound_before_and_after(model, opt, x, y):  # hole 2: must pass, with no word about .data
    _clamp_all(model)
    _sgd_step(model, opt, x, y)
    _clamp_all(model)


def bound_after_only(model, opt, x, y):
    opt.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.clamp(-BOUND, BOUND))
    return loss.item()


def _sgd_step(model, opt, x, y):
    opt.zero_grad()
    F.mse_loss(model(x), y).backward()
    opt.step()


def _ema_per_name(model, opt, batches, decay, start):
    """The loop that the first two wrong EMA fixes share; ``start(p)`` is how each one makes p's average."""
    ema = {name: start(p) for name, p in model.named_parameters()}
    for x, y in batches:
        _sgd_step(model, opt, x, y)
        with torch.no_grad():
            for name, p in model.named_parameters():
                ema[name].mul_(decay).add_(p, alpha=1 - decay)
    return ema


def ema_data(model, opt, batches, decay=0.9):
    return _ema_per_name(model, opt, batches, decay, start=lambda p: p.data)


def ema_clone_with_graph(model, opt, batches, decay=0.9):
    return _ema_per_name(model, opt, batches, decay, start=lambda p: p.clone())


def ema_copied_each_step(model, opt, batches, decay=0.9):
    for x, y in batches:
        ema = {name: p.detach().clone() for name, p in model.named_parameters()}
        _sgd_step(model, opt, x, y)
        with torch.no_grad():
            for name, p in model.named_parameters():
                ema[name].mul_(decay).add_(p, alpha=1 - decay)
    return ema


def ema_deepcopy(model, opt, batches, decay=0.9):  # right: a copied module, lerp
    average = copy.deepcopy(model).requires_grad_(False)
    for x, y in batches:
        _sgd_step(model, opt, x, y)
        with torch.no_grad():
            for a, p in zip(average.parameters(), model.parameters()):
                a.lerp_(p, 1 - decay)
    return dict(average.named_parameters())


def ema_deepcopy_still_trainable(model, opt, batches, decay=0.9):  # right values, but a copy that still trains
    average = copy.deepcopy(model)
    for x, y in batches:
        _sgd_step(model, opt, x, y)
        with torch.no_grad():
            for a, p in zip(average.parameters(), model.parameters()):
                a.mul_(decay).add_(p, alpha=1 - decay)
    return average


def _kd_loss(logits, y, soft):
    return F.cross_entropy(logits, y) + F.kl_div(F.log_softmax(logits, dim=1), soft, reduction="batchmean")


def distill_clone_inside(student, teacher, opt, x, y, steps):
    with torch.inference_mode():
        soft = F.softmax(teacher(x), dim=1).clone()
    for _ in range(steps):
        loss = _kd_loss(student(x), y, soft)
        opt.zero_grad()
        loss.backward()
        opt.step()


def distill_with_graph(student, teacher, opt, x, y, steps):
    for _ in range(steps):
        soft = F.softmax(teacher(x), dim=1)
        loss = _kd_loss(student(x), y, soft)
        opt.zero_grad()
        loss.backward()
        opt.step()


def distill_all_inference(student, teacher, opt, x, y, steps):
    with torch.inference_mode():
        soft = F.softmax(teacher(x), dim=1)
        for _ in range(steps):
            loss = _kd_loss(student(x), y, soft)
            opt.zero_grad()
            loss.backward()
            opt.step()


def distill_clone_outside(student, teacher, opt, x, y, steps):  # right: clone outside inference mode
    with torch.inference_mode():
        soft = F.softmax(teacher(x), dim=1)
    soft = soft.clone()
    for _ in range(steps):
        loss = _kd_loss(student(x), y, soft)
        opt.zero_grad()
        loss.backward()
        opt.step()


def _newton_with(f, x, target, steps, jacobian, damping=1.0):
    for _ in range(steps):
        x = x.detach().requires_grad_()
        y = f(x)
        x = x - damping * torch.linalg.solve(jacobian(y, x), y.detach() - target)
    return x.detach()


def _rows_by_backward(y, x):  # x.grad accumulates: each row is the sum of the rows before it
    J = torch.zeros(len(y), len(x))
    for i in range(len(y)):
        y[i].backward(retain_graph=True)
        J[i] = x.grad
    return J


def _transposed(y, x):  # the gradient of y[i] written into column i
    J = torch.zeros(len(y), len(x))
    for i in range(len(y)):
        (g,) = torch.autograd.grad(y[i], x, retain_graph=True)
        J[:, i] = g
    return J


def solve_rows_add_up(f, x, target, steps):
    return _newton_with(f, x, target, steps, _rows_by_backward)


def solve_damped(f, x, target, steps):
    return _newton_with(f, x, target, steps, _transposed, damping=0.5)


def solve_functional_transposed(f, x, target, steps):
    for _ in range(steps):
        J = torch.autograd.functional.jacobian(f, x).T
        x = x - torch.linalg.solve(J, f(x) - target)
    return x


def solve_jacrev(f, x, target, steps):  # right: one call
    for _ in range(steps):
        x = x - torch.linalg.solve(torch.func.jacrev(f)(x), f(x) - target)
    return x


def _two_task_loop(model, opt, x, y, aux_target, steps, freeze_at, on_freeze=None, set_to_none=False):
    for step in range(steps):
        if step == freeze_at:
            model.aux.requires_grad_(False)
            opt = on_freeze(opt) if on_freeze else opt
        hunt._two_task_step(model, opt, x, y, aux_target, with_aux=step < freeze_at, set_to_none=set_to_none)


def two_tasks_no_decay(model, x, y, aux_target, steps, freeze_at):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    _two_task_loop(model, opt, x, y, aux_target, steps, freeze_at)


def two_tasks_zero_grads(model, x, y, aux_target, steps, freeze_at):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)

    def zero(opt):
        for p in model.aux.parameters():
            p.grad.zero_()
        return opt

    _two_task_loop(model, opt, x, y, aux_target, steps, freeze_at, on_freeze=zero)


def two_tasks_new_optimizer(model, x, y, aux_target, steps, freeze_at):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    rebuild = lambda opt: torch.optim.AdamW(  # noqa: E731
        [p for p in model.parameters() if p.requires_grad], lr=1e-2, weight_decay=0.1)
    _two_task_loop(model, opt, x, y, aux_target, steps, freeze_at, on_freeze=rebuild)


def two_tasks_grad_none(model, x, y, aux_target, steps, freeze_at):  # right: drop the frozen .grad
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)

    def drop(opt):
        for p in model.aux.parameters():
            p.grad = None
        return opt

    _two_task_loop(model, opt, x, y, aux_target, steps, freeze_at, on_freeze=drop)


WRONG = [
    (1, gan_never_unfreezes, "G never changed in three steps"),
    (1, gan_detach_everything, "G never changed in three steps"),
    (1, gan_drop_retain_graph, "backward through the graph a second time"),
    (2, stream_without_retain, "backward through the graph a second time"),
    (2, stream_reset_state, "the state's value must carry"),
    (3, fine_tune_default_lr, "more than Adam at lr 0.001"),
    (3, fine_tune_new_optimizer, "starts the head's Adam moments from zero"),
    (3, fine_tune_never_frozen, "the backbone moved during the head-only stage"),
    (4, bound_after_step_keeps_data, "differently from one SGD step along the gradient of the loss at the weights"),
    (4, bound_no_grad_before_backward, "in-place error"),
    (4, bound_before_forward_only, "outside the bound"),
    (5, ema_data, "is the live parameter itself"),
    (5, ema_clone_with_graph, "still attached to the graph"),
    (5, ema_copied_each_step, "started at the initial weights"),
    (5, ema_deepcopy_still_trainable, "a deep copy keeps requires_grad=True"),
    (6, distill_clone_inside, "a clone made inside inference mode"),
    (6, distill_with_graph, "backward reached the teacher"),
    (6, distill_all_inference, "does not require grad"),
    (7, solve_rows_add_up, "your iterates are not Newton's"),
    (7, solve_damped, "your iterates are not Newton's"),
    (7, solve_functional_transposed, "check your J against torch.func.jacrev"),
    (8, two_tasks_no_decay, "the frozen auxiliary head still moved"),
    (8, two_tasks_zero_grads, "not momentum, not weight decay"),
    (8, two_tasks_new_optimizer, "keep the one optimizer and its state"),
]


@pytest.mark.parametrize("number, fix, expected", WRONG, ids=[w[1].__name__ for w in WRONG])
def test_rejects_wrong_fixes_with_a_hint(number, fix, expected, capsys):
    assert not CHECKERS[number](fix)
    out = _out(capsys)
    assert out.startswith(f"✘ 09.{number} ") and "hint:" in out, out
    assert expected in out, out
    assert "The cause" not in out and ".data" not in out


RIGHT = [(1, gan_freeze_and_unfreeze), (2, stream_detach_after_step),
         (3, fine_tune_two_optimizers), (4, bound_before_and_after), (4, bound_after_only), (5, ema_deepcopy),
         (6, distill_clone_outside), (7, solve_jacrev), (8, two_tasks_grad_none)]


@pytest.mark.parametrize("number, fix", RIGHT, ids=[r[1].__name__ for r in RIGHT])
def test_accepts_other_right_fixes(number, fix, capsys):
    assert CHECKERS[number](fix)
    assert _out(capsys).startswith(f"✔ 09.{number} ")


def test_the_two_holes_of_the_old_hunt_are_closed(capsys):
    assert not hunt.gan(gan_never_unfreezes)  # G frozen for good: G never trains again
    assert "G never changed" in _out(capsys)
    assert hunt.bound(bound_before_and_after)  # no_grad clamps before the forward and after the step
    out = _out(capsys)
    assert out.startswith("✔ 09.4") and "hint" not in out


def test_a_deep_copy_that_still_requires_grad_is_not_called_attached_to_a_graph(capsys):
    # its tensors are leaves with no graph: the feedback must name the flag, not a graph that is not there
    assert not hunt.ema(ema_deepcopy_still_trainable)
    out = _out(capsys)
    assert "attached to the graph" not in out and "requires_grad_(False)" in out, out


def test_a_gan_fix_that_still_reaches_g_is_rejected_for_its_work(capsys):
    # the hunt promises the work per step is checked: clearing G's .grad late hides the D loss's backward into G
    assert not hunt.gan(gan_zero_g_grads_first)
    assert "backward reached G 6 times in 3 steps" in _out(capsys)


# --- declared mutants of each bug's fix (DESIGN 3: checkers are tested by mutants) ------------------------


def gan_new_adam_each_step(G, D, opt_G, opt_D, real, z):  # the passed optimizers ignored: Adam's moments restart
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
    fake = G(z)
    opt_D.zero_grad()
    (bce(D(real), 1.0) + bce(D(fake.detach()), 0.0)).backward()
    opt_D.step()
    opt_G.zero_grad()
    bce(D(fake), 1.0).backward()
    opt_G.step()


def gan_reuses_the_old_score(G, D, opt_G, opt_D, real, z):  # the G loss from D(fake) scored before opt_D.step()
    fake = G(z)
    score = D(fake)
    opt_D.zero_grad()
    (bce(D(real), 1.0) + bce(D(fake.detach()), 0.0)).backward()
    opt_D.step()
    opt_G.zero_grad()
    bce(score, 1.0).backward()
    opt_G.step()


def stream_own_lr(model, opt, chunks):  # the passed optimizer ignored, the lr typed in
    _tbptt(model, torch.optim.SGD(model.parameters(), lr=0.01), chunks)


_tbptt = hunt._tbptt_reference  # the checker's own reference loop: the mutants vary around it


def stream_skips_the_last_chunk(model, opt, chunks):
    _tbptt(model, opt, list(chunks)[:-1])


def stream_one_backward_at_the_end(model, opt, chunks):  # full BPTT: the work is flat, the training is not
    h, losses = None, []
    for xs, ys in chunks:
        pred, h = model(xs, h)
        losses.append(F.mse_loss(pred, ys))
    opt.zero_grad()
    sum(losses).backward()
    opt.step()


def stream_state_recomputed(model, opt, chunks):  # the carried state recomputed after the step, under no_grad
    h = None
    for xs, ys in chunks:
        pred, _ = model(xs, h)
        opt.zero_grad()
        F.mse_loss(pred, ys).backward()
        opt.step()
        with torch.no_grad():
            _, h = model(xs, h)


def fine_tune_group_without_requires_grad(model, x, y, head_steps, full_steps):
    model.backbone.requires_grad_(False)
    opt = torch.optim.Adam(model.head.parameters(), lr=1e-2)
    for step in range(head_steps + full_steps):
        if step == head_steps:
            opt.add_param_group({"params": model.backbone.parameters(), "lr": BACKBONE_LR})
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


def fine_tune_three_head_steps(model, x, y, head_steps, full_steps):  # the notebook's 3 typed in
    model.backbone.requires_grad_(False)
    opt = torch.optim.Adam(model.head.parameters(), lr=1e-2)
    for step in range(head_steps + full_steps):
        if step == 3:
            model.backbone.requires_grad_(True)
            opt.add_param_group({"params": model.backbone.parameters(), "lr": BACKBONE_LR})
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


def fine_tune_into_the_head_group(model, x, y, head_steps, full_steps):
    model.backbone.requires_grad_(False)
    opt = torch.optim.Adam(model.head.parameters(), lr=1e-2)
    for step in range(head_steps + full_steps):
        if step == head_steps:
            model.backbone.requires_grad_(True)
            opt.param_groups[0]["params"].extend(model.backbone.parameters())
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


def bound_clips_the_gradient(model, opt, x, y):  # clipping is another step, not the bound
    _clamp_all(model)
    opt.zero_grad()
    F.mse_loss(model(x), y).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
    opt.step()
    _clamp_all(model)


def bound_own_optimizer(model, opt, x, y):  # the passed optimizer ignored
    _clamp_all(model)
    _sgd_step(model, torch.optim.SGD(model.parameters(), lr=0.1), x, y)
    _clamp_all(model)


def bound_clamps_the_gradient(model, opt, x, y):  # the gradient bounded instead of the weights
    opt.zero_grad()
    F.mse_loss(model(x), y).backward()
    for p in model.parameters():
        p.grad.clamp_(-BOUND, BOUND)
    opt.step()


def ema_decay_typed_in(model, opt, batches, decay=0.99):
    return _ema_per_name(model, opt, batches, decay, lambda p: p.detach().clone())


def ema_written_back(model, opt, batches, decay=0.9):  # the average copied into the live weights
    ema = {name: p.detach().clone() for name, p in model.named_parameters()}
    for x, y in batches:
        _sgd_step(model, opt, x, y)
        with torch.no_grad():
            for name, p in model.named_parameters():
                ema[name].mul_(decay).add_(p, alpha=1 - decay)
                p.copy_(ema[name])
    return ema


def distill_detach_outside(student, teacher, opt, x, y, steps):  # a detach() of an inference tensor is one too
    with torch.inference_mode():
        soft = F.softmax(teacher(x), dim=1)
    soft = soft.detach()
    for _ in range(steps):
        loss = _kd_loss(student(x), y, soft)
        opt.zero_grad()
        loss.backward()
        opt.step()


def distill_own_optimizer(student, teacher, opt, x, y, steps):
    distill_clone_outside(student, teacher, torch.optim.SGD(student.parameters(), lr=0.01), x, y, steps)


def distill_without_kl(student, teacher, opt, x, y, steps):  # the error gone with the teacher's term
    for _ in range(steps):
        loss = F.cross_entropy(student(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def solve_returns_a_list(f, x, target, steps):
    return solve_jacrev(f, x, target, steps).tolist()


def solve_jacobian_once(f, x, target, steps):  # the Jacobian of the start point kept for every step
    J = torch.func.jacrev(f)(x)
    for _ in range(steps):
        x = x - torch.linalg.solve(J, f(x) - target)
    return x


def solve_jacrev_transposed(f, x, target, steps):
    for _ in range(steps):
        x = x - torch.linalg.solve(torch.func.jacrev(f)(x).T, f(x) - target)
    return x


def two_tasks_removed_keeping_state(model, x, y, aux_target, steps, freeze_at):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)

    def remove(opt):
        aux = list(model.aux.parameters())
        for group in opt.param_groups:
            group["params"] = [p for p in group["params"] if all(p is not q for q in aux)]
        return opt

    _two_task_loop(model, opt, x, y, aux_target, steps, freeze_at, on_freeze=remove)


def two_tasks_freeze_at_three(model, x, y, aux_target, steps, freeze_at):  # the notebook's 3 typed in
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    _two_task_loop(model, opt, x, y, aux_target, steps, 3 if steps > 3 else steps, set_to_none=True)


def two_tasks_aux_loss_kept(model, x, y, aux_target, steps, freeze_at):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    for step in range(steps):
        if step == freeze_at:
            model.aux.requires_grad_(False)
        hunt._two_task_step(model, opt, x, y, aux_target, with_aux=True)


for _number, _fix, _cause, _hint, _kind in [
    (1, gan_never_unfreezes, "G never changed in three steps", "requires_grad_(True)", "state"),
    (1, gan_detach_everything, "G never changed in three steps", "needs its graph back to G", "other"),
    (1, gan_drop_retain_graph, "backward through the graph a second time", "should it reach it?", "other"),
    (1, gan_zero_g_grads_first, "backward reached G 6 times in 3 steps", "cut the graph there", "symptom"),
    (1, gan_new_adam_each_step, "G differs from a G trained on its own loss", None, "ignored"),
    (1, gan_reuses_the_old_score, "in-place error", "before opt_D.step()", "other"),
    (2, stream_without_retain, "backward through the graph a second time", "Through which tensor?", "other"),
    (2, stream_reset_state, "the weights differ", "the state's value must carry", "symptom"),
    (2, stream_own_lr, "the weights differ", None, "ignored"),
    (2, stream_skips_the_last_chunk, "only 32 time steps", "one backward per chunk", "narrow"),
    (2, stream_one_backward_at_the_end, "the weights differ", None, "shortcut"),
    (2, stream_state_recomputed, "the weights differ", None, "symptom"),
    (3, fine_tune_default_lr, "more than Adam at lr 0.001", "BACKBONE_LR", "other"),
    (3, fine_tune_new_optimizer, "starts the head's Adam moments from zero", "extend the one you have", "ignored"),
    (3, fine_tune_never_frozen, "the backbone moved during the head-only stage", "stays frozen", "state"),
    (3, fine_tune_group_without_requires_grad, "the backbone still never changed", "if an optimizer steps it",
     "other"),
    (3, fine_tune_three_head_steps, "differs", None, "hard-coded"),
    (3, fine_tune_into_the_head_group, "more than Adam at lr 0.001", "BACKBONE_LR", "shortcut"),
    (4, bound_after_step_keeps_data, "differently from one SGD step", "a weight changed between forward", "data"),
    (4, bound_no_grad_before_backward, "in-place error", "cannot sit between the forward pass and backward", "other"),
    (4, bound_before_forward_only, "outside the bound", "past the bound", "narrow"),
    (4, bound_clips_the_gradient, "differently from one SGD step", "clipped", "other"),
    (4, bound_own_optimizer, "differently from one SGD step", "another lr", "ignored"),
    (4, bound_clamps_the_gradient, "outside the bound", None, "symptom"),
    (5, ema_data, "is the live parameter itself", "its own tensor", "data"),
    (5, ema_clone_with_graph, "still attached to the graph", "without the graph", "other"),
    (5, ema_copied_each_step, "started at the initial weights", "start it once", "other"),
    (5, ema_deepcopy_still_trainable, "a deep copy keeps requires_grad=True", "requires_grad_(False)", "state"),
    (5, ema_decay_typed_in, "decay 0.9", None, "hard-coded"),
    (5, ema_written_back, "the model itself trained differently", "never write into the live weights", "state"),
    (6, distill_clone_inside, "Inference tensors cannot be saved", "a tensor made inside inference mode", "other"),
    (6, distill_detach_outside, "Inference tensors cannot be saved", "any detach() or view of it", "symptom"),
    (6, distill_with_graph, "backward reached the teacher", "need no graph", "other"),
    (6, distill_all_inference, "does not require grad", "the student's loss must be recorded", "other"),
    (6, distill_own_optimizer, "the student differs", None, "ignored"),
    (6, distill_without_kl, "the student differs", "keep the loss as it is", "symptom"),
    (7, solve_rows_add_up, "your iterates are not Newton's", "jacrev", "state"),
    (7, solve_damped, "your iterates are not Newton's", None, "other"),
    (7, solve_functional_transposed, "your iterates are not Newton's", "torch.func.jacrev", "other"),
    (7, solve_returns_a_list, "solve should return x, a tensor", "return x", "return"),
    (7, solve_jacobian_once, "your iterates are not Newton's", None, "shortcut"),
    (7, solve_jacrev_transposed, "your iterates are not Newton's", "J[i, j] = d f_i / d x_j", "other"),
    (8, two_tasks_no_decay, "the frozen auxiliary head still moved", "not weight decay", "other"),
    (8, two_tasks_zero_grads, "the frozen auxiliary head still moved", "not momentum", "symptom"),
    (8, two_tasks_new_optimizer, "trained differently", "keep the one optimizer and its state", "ignored"),
    (8, two_tasks_removed_keeping_state, "state_dict() raises KeyError", "must leave opt.state too", "state"),
    (8, two_tasks_freeze_at_three, "still moved after the freeze", None, "hard-coded"),
    (8, two_tasks_aux_loss_kept, "trained differently", None, "other"),
]:
    wrong.case(_number, _fix, _cause, _hint, id=_fix.__name__, kind=_kind)

test_ex1_rejects_mutants = wrong.rejects(1, hunt.gan)
test_ex2_rejects_mutants = wrong.rejects(2, hunt.stream)
test_ex3_rejects_mutants = wrong.rejects(3, hunt.unfreeze)
test_ex4_rejects_mutants = wrong.rejects(4, hunt.bound)
test_ex5_rejects_mutants = wrong.rejects(5, hunt.ema)
test_ex6_rejects_mutants = wrong.rejects(6, hunt.distill)
test_ex7_rejects_mutants = wrong.rejects(7, hunt.newton)
test_ex8_rejects_mutants = wrong.rejects(8, hunt.frozen_head)


# --- junk, hints, state ---------------------------------------------------------------------------


def _raises(*args):
    raise RuntimeError("learner code failed")


def _not_implemented(*args):
    raise NotImplementedError


@pytest.mark.parametrize("number", list(CHECKERS))
@pytest.mark.parametrize("junk", [..., None, "script", 3, _raises, _not_implemented, lambda *a: None],
                         ids=["ellipsis", "none", "string", "number", "raising", "stub", "does-nothing"])
def test_junk_gets_feedback_not_a_traceback(number, junk, capsys):
    assert not CHECKERS[number](junk)
    out = _out(capsys)
    assert out.startswith((f"… 09.{number} ", f"✘ 09.{number} ")) and "Traceback" not in out, out
    if junk is _raises:
        assert "RuntimeError: learner code failed" in out


def test_hints_come_in_steps_and_the_cause_only_on_request(capsys, monkeypatch):
    monkeypatch.setattr(hunt, "_hints_given", {})
    hunt.hint(3)
    first = _out(capsys)
    hunt.hint(3)
    second = _out(capsys)
    hunt.hint(3)
    third = _out(capsys)
    assert first.startswith("bug 3, hint 1 of 2") and "Lesson" not in first
    assert second.startswith("bug 3, hint 2 of 2") and "Lesson 07" in second
    assert "no more hints" in third and "ex.explain(3)" in third
    for text in (first, second, third):
        assert "add_param_group" not in text  # the fix is named by explain(3) only
    hunt.explain(3)
    assert "add_param_group" in _out(capsys)
    hunt.hint(42)
    hunt.hint([1])
    hunt.explain("x")
    assert _out(capsys).count("there is no bug") == 3


def test_every_bug_has_two_hints_and_a_cause():
    assert sorted(hunt.HINTS) == sorted(hunt.CAUSES) == list(CHECKERS)
    # hint 1 is a measurement, hint 2 what it means and the lesson behind it; explain() names cause and fix
    assert all(len(h) == 2 and h[0].startswith("Measure:") and "Lesson 0" in h[1] and "Lesson" not in h[0]
               for h in hunt.HINTS.values())


def test_every_lesson_01_to_08_is_covered():
    lessons = " ".join(h[1] for h in hunt.HINTS.values()).lower()
    for n in range(1, 9):
        assert f"lesson 0{n}" in lessons, f"no bug points to lesson 0{n}"


@pytest.mark.slow  # starts a kernel, a server or a pytest of its own
def test_bug_1_symptom_as_the_lesson_tells_it(lesson_cells, solution_cells, tmp_path):
    """Trained like section 2's GAN, the script as found collapses within 300 steps (std < 0.2); fixed, it does not."""
    from gradflow.gan import make_gan, noise, real_samples

    spreads = {}
    for label, cells in (("found", lesson_cells), ("fixed", solution_cells)):
        gan_step = _define(cells[1], NAMES[1], tmp_path, f"gan_{label}")
        with torch.random.fork_rng():
            torch.manual_seed(0)
            G, D = make_gan(seed=0)
            opt_G = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
            opt_D = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
            for _ in range(300):
                gan_step(G, D, opt_G, opt_D, real_samples(64), noise(64))
            with torch.no_grad():
                spreads[label] = G(noise(1000)).std().item()
    assert spreads["found"] < 0.2 < 0.3 < spreads["fixed"], spreads
