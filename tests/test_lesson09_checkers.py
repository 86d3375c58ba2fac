"""Lesson 09's bug hunt: each broken step fails its checker, each fixed step passes, junk gets feedback."""

import pytest
import torch
from torch.nn import functional as F

from gradflow.exercises import capstone as ex

CLAMP = ex.CLAMP


def bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


# --- the broken steps, as the lesson shows them, and their fixes ----------------------------

def broken_d_step(G, D, opt_D, real, z):
    opt_D.zero_grad()
    fake = G(z)
    loss = bce(D(real), 1.0) + bce(D(fake), 0.0)
    loss.backward()
    opt_D.step()
    return loss.item()


def fixed_d_step(G, D, opt_D, real, z):
    opt_D.zero_grad()
    fake = G(z)
    loss = bce(D(real), 1.0) + bce(D(fake.detach()), 0.0)
    loss.backward()
    opt_D.step()
    return loss.item()


def broken_gan_step(G, D, opt_G, opt_D, real, z):
    fake = G(z)
    d_fake = D(fake)
    opt_D.zero_grad()
    (bce(D(real), 1.0) + bce(D(fake.detach()), 0.0)).backward()
    opt_D.step()
    opt_G.zero_grad()
    bce(d_fake, 1.0).backward()
    opt_G.step()


def fixed_gan_step(G, D, opt_G, opt_D, real, z):
    fake = G(z)
    opt_D.zero_grad()
    (bce(D(real), 1.0) + bce(D(fake.detach()), 0.0)).backward()
    opt_D.step()
    opt_G.zero_grad()
    bce(D(fake), 1.0).backward()
    opt_G.step()


def g_first_gan_step(G, D, opt_G, opt_D, real, z):
    fake = G(z)
    opt_G.zero_grad()
    bce(D(fake), 1.0).backward()
    opt_G.step()
    opt_D.zero_grad()
    (bce(D(real), 1.0) + bce(D(fake.detach()), 0.0)).backward()
    opt_D.step()


def broken_head_step(model, opt, x, y):
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    for p in model.backbone.parameters():
        p.grad.zero_()
    opt.step()


def fixed_head_step(model, opt, x, y):
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    for p in model.backbone.parameters():
        p.grad = None
    opt.step()


def fixed_head_step_requires_grad(model, opt, x, y):
    model.backbone.requires_grad_(False)
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()


def broken_clamped_step(model, opt, x, y):
    opt.zero_grad()
    loss = F.mse_loss(model(x), y)
    for p in model.parameters():
        p.data.clamp_(-CLAMP, CLAMP)
    loss.backward()
    opt.step()


def detach_clamped_step(model, opt, x, y):
    opt.zero_grad()
    loss = F.mse_loss(model(x), y)
    for p in model.parameters():
        p.detach().clamp_(-CLAMP, CLAMP)
    loss.backward()
    opt.step()


def fixed_clamped_step(model, opt, x, y):
    opt.zero_grad()
    F.mse_loss(model(x), y).backward()
    opt.step()
    with torch.no_grad():
        for p in model.parameters():
            p.clamp_(-CLAMP, CLAMP)


def broken_changed_by_step(model, opt, x, y):
    before = {n: p.detach() for n, p in model.named_parameters()}
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()
    return [n for n, p in model.named_parameters() if not torch.equal(p, before[n])]


def fixed_changed_by_step(model, opt, x, y):
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()
    return [n for n, p in model.named_parameters() if not torch.equal(p, before[n])]


def broken_bn_head_step(model, opt, x, y):
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()


def fixed_bn_head_step(model, opt, x, y):
    model.backbone.eval()
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()


CASES = [
    (ex.d_step, broken_d_step, fixed_d_step, "reached the generator"),
    (ex.gan_step, broken_gan_step, fixed_gan_step, "in-place error"),
    (ex.head_only_step, broken_head_step, fixed_head_step, "backbone still moved"),
    (ex.clamped_step, broken_clamped_step, fixed_clamped_step, "outside [-0.3, 0.3]"),
    (ex.changed_by_step, broken_changed_by_step, fixed_changed_by_step, "shares storage"),
    (ex.bn_head_step, broken_bn_head_step, fixed_bn_head_step, "running_mean"),
]
IDS = [case[0].__name__ for case in CASES]


@pytest.mark.parametrize("checker, broken, fixed, message", CASES, ids=IDS)
def test_broken_step_fails_with_specific_feedback(checker, broken, fixed, message, capsys):
    assert not checker(broken)
    out = capsys.readouterr().out
    assert out.startswith("✘ 09.") and message in out, out
    assert "hint:" in out


@pytest.mark.parametrize("checker, broken, fixed, message", CASES, ids=IDS)
def test_fixed_step_passes(checker, broken, fixed, message, capsys):
    assert checker(fixed)
    assert capsys.readouterr().out.startswith("✔ 09.")


def _raises(*args):
    raise RuntimeError("learner code failed")


def _not_implemented(*args):
    raise NotImplementedError("copy the broken step and fix it")


@pytest.mark.parametrize("checker", [case[0] for case in CASES], ids=IDS)
@pytest.mark.parametrize("junk", [..., None, "step", 3, _raises, _not_implemented],
                         ids=["ellipsis", "none", "string", "number", "raising", "stub"])
def test_junk_gets_feedback_not_a_traceback(checker, junk, capsys):
    assert not checker(junk)
    out = capsys.readouterr().out
    assert out.startswith(("… 09.", "✘ 09.")) and "Traceback" not in out
    if junk is ... or junk is _not_implemented:
        assert "not attempted yet" in out
    if junk is _raises:
        assert "RuntimeError: learner code failed" in out


def test_other_fixes_that_behave_right_also_pass(capsys):
    assert ex.head_only_step(fixed_head_step_requires_grad)


def test_specific_wrong_fixes(capsys):
    assert not ex.gan_step(g_first_gan_step)
    assert "D step comes first" in capsys.readouterr().out
    assert not ex.clamped_step(detach_clamped_step)
    assert "in-place edit" in capsys.readouterr().out

    def no_step(G, D, opt_D, real, z):
        opt_D.zero_grad()
        fake = G(z)
        (bce(D(real), 1.0) + bce(D(fake.detach()), 0.0)).backward()

    def zero_g_afterwards(G, D, opt_D, real, z):
        broken_d_step(G, D, opt_D, real, z)
        G.zero_grad()  # hides the .grad, but the backward through G still ran

    assert not ex.d_step(zero_g_afterwards)
    assert "reached the generator" in capsys.readouterr().out

    def retain_graph_gan_step(G, D, opt_G, opt_D, real, z):
        fake = G(z)
        d_fake = D(fake)
        opt_D.zero_grad()
        (bce(D(real), 1.0) + bce(D(fake.detach()), 0.0)).backward(retain_graph=True)
        opt_D.step()
        opt_G.zero_grad()
        bce(d_fake, 1.0).backward()
        opt_G.step()

    assert not ex.gan_step(retain_graph_gan_step)  # retain_graph does not help: the saved weight was changed
    assert "score the fake batch again" in capsys.readouterr().out

    def no_grad_clamp_before_backward(model, opt, x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        with torch.no_grad():
            for p in model.parameters():
                p.clamp_(-CLAMP, CLAMP)
        loss.backward()
        opt.step()

    assert not ex.clamped_step(no_grad_clamp_before_backward)
    assert "after opt.step()" in capsys.readouterr().out

    assert not ex.d_step(no_step)
    assert "did not change" in capsys.readouterr().out

    def all_names(model, opt, x, y):
        broken_changed_by_step(model, opt, x, y)
        return [n for n, _ in model.named_parameters()]

    assert not ex.changed_by_step(all_names)
    assert "expected ['head.weight', 'head.bias']" in capsys.readouterr().out
