"""gradflow.audit: each finding fires on its bug and stays silent on correct loops; the audited run equals the bare
run bit for bit; every hook it adds is gone after the block."""

import copy

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import gradflow
from gradflow.audit import KINDS, Finding
from gradflow.models import BackboneNet
from gradflow.gan import bce, discriminator_step, generator_step, make_gan, noise, real_samples

GUIDE_FAMILIES = {"01_no_gradient", "02_parameters_move", "03_inplace_and_views", "04_graph_lifetime", "05_step_order",
                  "06_train_eval", "07_numerical", "08_functions_and_hooks", "09_higher_order", "10_wrappers",
                  "11_sampling", "12_copies"}


def mlp(seed=0, n_in=4, hidden=8, n_out=2):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


def batch(i, n=16, n_in=4, n_out=2):
    g = torch.Generator().manual_seed(100 + i)
    return torch.randn(n, n_in, generator=g), torch.randn(n, n_out, generator=g)


def train(model, opt, steps=3, loss_of=None, zero=True):
    losses = []
    for i in range(steps):
        x, y = batch(i)
        if zero:
            opt.zero_grad()
        loss = loss_of(model, x, y) if loss_of else F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.detach().clone())
    return losses


def audited(model, opt, fn, **options):
    with gradflow.audit(model, opt, **options) as a:
        fn()
    return a


# ---------------------------------------------------------------- reference loops: models built in code


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

    def forward(self, x):
        return F.relu(x + self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


def small_resnet(seed=0, c=8, n_classes=3):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(), Block(c), Block(c),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, n_classes))


class TinyTransformer(nn.Module):
    def __init__(self, vocab=20, d=16, heads=2, n_layers=2):
        super().__init__()
        self.embed, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.zeros(1, 8, d))
        self.layers = nn.ModuleList(nn.ModuleDict({
            "attn": nn.MultiheadAttention(d, heads, dropout=0.1, batch_first=True), "ln1": nn.LayerNorm(d),
            "mlp": nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Dropout(0.1), nn.Linear(4 * d, d)),
            "ln2": nn.LayerNorm(d)}) for _ in range(n_layers))
        self.out = nn.Linear(d, vocab)

    def forward(self, tokens):
        h = self.embed(tokens) + self.pos[:, : tokens.shape[1]]
        for layer in self.layers:
            q = layer["ln1"](h)
            h = h + layer["attn"](q, q, q, need_weights=False)[0]
            h = h + layer["mlp"](layer["ln2"](h))
        return self.out(h)


def transformer_loop(model, opt, steps=3):
    losses = []
    for i in range(steps):
        g = torch.Generator().manual_seed(i)
        tokens = torch.randint(0, 20, (4, 8), generator=g)
        opt.zero_grad()
        logits = model(tokens[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 20), tokens[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.detach().clone())
    return losses


def resnet_loop(model, opt, steps=3):
    losses = []
    for i in range(steps):
        g = torch.Generator().manual_seed(i)
        x, y = torch.randn(4, 3, 8, 8, generator=g), torch.randint(0, 3, (4,), generator=g)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.detach().clone())
    return losses


def gan_loop(G, D, opt_G, opt_D, steps=3):
    losses = []
    for i in range(steps):
        g = torch.Generator().manual_seed(i)
        fake = G(noise(16, generator=g))
        losses.append(discriminator_step(D, opt_D, real_samples(16, generator=g), fake))
        losses.append(generator_step(D, opt_G, fake))
    return losses


def finetune():
    torch.manual_seed(0)
    model = BackboneNet()
    model.backbone.requires_grad_(False)
    opt = torch.optim.AdamW(model.head.parameters(), lr=0.01, weight_decay=0.01)

    def loop(steps=3):
        losses = []
        for i in range(steps):
            model.train()
            model.backbone.eval()  # frozen batch norm keeps its statistics
            g = torch.Generator().manual_seed(i)
            x, y = torch.randn(16, 2, generator=g), torch.randint(0, 3, (16,), generator=g)
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.detach().clone())
            model.eval()
            with torch.no_grad():  # an evaluation pass done right
                model(x).argmax(1)
        return losses
    return model, opt, loop


def accumulation(declared=True):
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def loop(steps=3, micro=4):
        for i in range(steps):
            for k in range(micro):
                x, y = batch(10 * i + k)
                (F.mse_loss(model(x), y) / micro).backward()
            opt.step()
            opt.zero_grad()
    return model, opt, loop


def reference_runs():
    """name -> (model, optimizer, loop, audit options): the correct loops the audit must stay silent on."""
    runs = {}
    m = mlp()
    o = torch.optim.SGD(m.parameters(), lr=0.1)
    runs["sgd"] = (m, o, lambda: train(m, o), {})
    m2 = mlp(1)
    o2 = torch.optim.Adam(m2.parameters(), lr=0.01)
    runs["adam"] = (m2, o2, lambda: train(m2, o2), {})
    G, D = make_gan()
    oG, oD = torch.optim.Adam(G.parameters(), lr=1e-3), torch.optim.Adam(D.parameters(), lr=1e-3)
    runs["gan"] = ({"G": G, "D": D}, [oG, oD], lambda: gan_loop(G, D, oG, oD), {})
    fm, fo, floop = finetune()
    runs["finetune"] = (fm, fo, floop, {})
    am, ao, aloop = accumulation()
    runs["accumulation"] = (am, ao, aloop, {"accumulate": True})
    rm = small_resnet()
    ro = torch.optim.SGD(rm.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    runs["resnet"] = (rm, ro, lambda: resnet_loop(rm, ro), {})
    torch.manual_seed(0)
    tm = TinyTransformer()
    to = torch.optim.AdamW(tm.parameters(), lr=1e-3)
    runs["transformer"] = (tm, to, lambda: transformer_loop(tm, to), {})
    return runs


@pytest.mark.parametrize("name", ["sgd", "adam", "gan", "finetune", "accumulation", "resnet", "transformer"])
def test_no_warning_on_a_correct_loop(name):
    model, opt, loop, options = reference_runs()[name]
    a = audited(model, opt, loop, **options)
    assert a.warnings == [], a.text()
    assert a.backwards >= 3


def test_the_accumulation_loop_is_silent_even_undeclared():
    model, opt, loop = accumulation()
    assert audited(model, opt, loop).warnings == []


# ---------------------------------------------------------------- it never changes the training it watches


def _state(model):
    models = model.values() if isinstance(model, dict) else [model]
    return [t.clone() for m in models for t in m.state_dict().values()]


@pytest.mark.parametrize("name", ["sgd", "adam", "gan", "finetune", "resnet", "transformer"])
def test_audited_run_equals_bare_run_bit_for_bit(name):
    model, opt, loop, options = reference_runs()[name]
    torch.manual_seed(5)
    bare_losses = loop()
    bare = _state(model)
    model, opt, loop, options = reference_runs()[name]
    torch.manual_seed(5)
    with gradflow.audit(model, opt, **options):
        watched_losses = loop()
    watched = _state(model)
    assert all(torch.equal(torch.as_tensor(a), torch.as_tensor(b)) for a, b in zip(bare_losses, watched_losses))
    assert len(bare) == len(watched) and all(torch.equal(a, b) for a, b in zip(bare, watched))


def test_a_buggy_loop_is_not_changed_either():
    def run(watch):
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        if watch:
            with gradflow.audit(model, opt) as a:
                losses = train(model, opt, zero=False)
            assert "grad_accumulated" in a.kinds()
        else:
            losses = train(model, opt, zero=False)
        return losses, _state(model)
    (l1, s1), (l2, s2) = run(False), run(True)
    assert all(torch.equal(a, b) for a, b in zip(l1 + s1, l2 + s2))


def test_an_inplace_error_is_still_raised_inside_the_audit():
    model = mlp()
    with gradflow.audit(model):
        h = model[0](torch.randn(3, 4))
        out = h.sigmoid()
        out.mul_(2)  # sigmoid saved its output: backward must refuse
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


def _hook_counts(model, opt):
    return (sum(len(p._backward_hooks or {}) + len(getattr(p, "_post_accumulate_grad_hooks", None) or {})
                for p in model.parameters()),
            sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules()),
            len(opt._optimizer_step_pre_hooks) + len(opt._optimizer_step_post_hooks))


def test_every_hook_is_removed_and_backward_restored():
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    backward = torch.autograd.backward
    with gradflow.audit(model, opt):
        assert torch.autograd.backward is not backward
        assert _hook_counts(model, opt) != (0, 0, 0)
        train(model, opt, 1)
    assert torch.autograd.backward is backward
    assert _hook_counts(model, opt) == (0, 0, 0)


def test_hooks_are_removed_when_the_block_raises():
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    backward = torch.autograd.backward
    with pytest.raises(ValueError):
        with gradflow.audit(model, opt) as a:
            train(model, opt, 1)
            raise ValueError("boom")
    assert torch.autograd.backward is backward and _hook_counts(model, opt) == (0, 0, 0)
    assert a.backwards == 1


def test_report_holds_no_tensor_after_the_block():
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    a = audited(model, opt, lambda: train(model, opt))
    assert not any(isinstance(v, torch.Tensor) for v in vars(a).values())
    assert a._tracker is None and a._named == {}


# ---------------------------------------------------------------- the report


def test_report_renders_as_text_and_html_and_findings_are_data():
    model = mlp()
    opt = torch.optim.SGD(model[2].parameters(), lr=0.1)
    a = audited(model, opt, lambda: train(model, opt))
    assert isinstance(a.findings[0], Finding)
    text, page = repr(a), a._repr_html_()
    assert text.startswith("audit: 4 parameters, 3 backward(s), 3 update(s)") and "not_in_optimizer" in text
    assert "<table>" in page and "not_in_optimizer" in page
    assert "0.weight" in a.table()
    for f in a.findings:
        assert f.severity in ("error", "warning", "info") and f.evidence and f.cause and f.fix
        assert f.guide.startswith("guide/") and f.guide[len("guide/"):-len(".ipynb")] in GUIDE_FAMILIES
        assert f.lesson.startswith("lessons/")


def test_every_kind_links_a_guide_family_and_a_lesson_that_exists():
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    for guide, lesson in KINDS.values():
        assert guide[len("guide/"):-len(".ipynb")] in GUIDE_FAMILIES
        assert (root / lesson).exists(), lesson


def test_audit_step_wraps_a_step_function():
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = batch(0)

    def step():
        opt.zero_grad()
        F.mse_loss(model(x), y).backward()
        opt.step()
    a = gradflow.audit_step(step, model, opt, steps=3)
    assert a.backwards == 3 and a.updates == 3 and a.warnings == []


def test_says_what_it_could_not_see():
    model = mlp()
    with gradflow.audit(model) as a:
        model(torch.randn(2, 4))
    assert any("no backward" in u for u in a.unseen) and any("no optimizer" in u for u in a.unseen)


# ---------------------------------------------------------------- 1. parameters that never got a gradient


class TwoStage(nn.Module):
    def __init__(self, cut="none"):
        super().__init__()
        torch.manual_seed(0)
        self.a, self.b, self.unused = nn.Linear(4, 8), nn.Linear(8, 2), nn.Linear(4, 2)
        self.cut = cut

    def forward(self, x):
        if self.cut == "no_grad":
            with torch.no_grad():
                h = self.a(x)
        else:
            h = self.a(x)
        if self.cut == "detach":
            h = h.detach()
        return self.b(h)


def _no_gradient(cut):
    model = TwoStage(cut)
    del model.unused
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return audited(model, opt, lambda: train(model, opt))


def test_no_gradient_names_the_cut_by_detach():
    f, = [f for f in _no_gradient("detach").warnings]
    assert f.kind == "no_gradient" and f.params == ["a.bias", "a.weight"]
    assert "cut by detach() between a and b" in f.evidence and f.lesson == "lessons/01_detach.ipynb"


def test_no_gradient_names_no_grad():
    f, = _no_gradient("no_grad").warnings
    assert f.kind == "no_gradient" and "every time with grad mode off" in f.evidence
    assert f.lesson == "lessons/03_no_grad.ipynb"


def test_no_gradient_names_an_unused_layer():
    model = TwoStage()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    f, = audited(model, opt, lambda: train(model, opt)).warnings
    assert f.params == ["unused.bias", "unused.weight"] and "never ran in a forward pass" in f.evidence


def test_no_gradient_silent_when_all_reached_and_frozen_is_info():
    assert _no_gradient("none").findings == []
    model, opt, loop = finetune()
    a = audited(model, opt, loop)
    assert [(f.kind, f.severity) for f in a.findings] == [("no_gradient", "info")]
    assert "frozen" in a.findings[0].cause


# ---------------------------------------------------------------- 2. frozen parameters that still moved


def _freeze_after_training(opt_maker, set_to_none):
    model = mlp()
    opt = opt_maker(model.parameters())
    train(model, opt, 2)
    model[0].requires_grad_(False)  # frozen mid-training, still in the optimizer
    opt.zero_grad(set_to_none=set_to_none)

    def loop():
        for i in range(3):
            x, y = batch(i)
            opt.zero_grad(set_to_none=set_to_none)
            F.mse_loss(model(x), y).backward()
            opt.step()
    return audited(model, opt, loop)


def test_frozen_moved_names_weight_decay():
    a = _freeze_after_training(lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), set_to_none=False)
    f, = [f for f in a.findings if f.kind == "frozen_moved"]
    assert f.severity == "error" and f.params == ["0.bias", "0.weight"]
    assert "weight decay (weight_decay=0.1)" in f.evidence and "Adam's running averages" in f.evidence
    assert "not None" in f.evidence


def test_frozen_moved_names_momentum():
    a = _freeze_after_training(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), set_to_none=False)
    f, = [f for f in a.findings if f.kind == "frozen_moved"]
    assert "momentum" in f.evidence


def test_frozen_moved_silent_when_grad_is_none():
    a = _freeze_after_training(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), set_to_none=True)
    assert "frozen_moved" not in a.kinds()


def test_frozen_moved_by_a_write_outside_the_optimizer():
    model = mlp()
    model[0].requires_grad_(False)
    opt = torch.optim.SGD(model[2].parameters(), lr=0.1)

    def loop():
        train(model, opt)
        with torch.no_grad():
            model[0].weight.mul_(0.99)  # e.g. an EMA-style write
    f, = [f for f in audited(model, opt, loop).findings if f.kind == "frozen_moved"]
    assert f.params == ["0.weight"] and "outside any optimizer" in f.evidence


# ---------------------------------------------------------------- 3. optimizer coverage


def test_not_in_optimizer_fires_and_is_silent_when_covered():
    model = mlp()
    opt = torch.optim.SGD(model[2].parameters(), lr=0.1)
    f, = audited(model, opt, lambda: train(model, opt)).warnings
    assert f.kind == "not_in_optimizer" and f.params == ["0.bias", "0.weight"]
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    assert "not_in_optimizer" not in audited(model, opt, lambda: train(model, opt)).kinds()


def test_stale_optimizer_after_deepcopy():
    old = mlp()
    opt = torch.optim.SGD(old.parameters(), lr=0.1)
    model = copy.deepcopy(old)  # the optimizer still holds old's tensors
    a = audited(model, opt, lambda: train(model, opt))
    assert {"stale_optimizer", "not_in_optimizer"} <= set(a.kinds())
    stale, = [f for f in a.findings if f.kind == "stale_optimizer"]
    assert "opt 0 group 0 param 0 [8, 4]" in stale.modules


def test_in_two_groups_fires_across_optimizers():
    model = mlp()
    opt1 = torch.optim.SGD(model.parameters(), lr=0.1)
    opt2 = torch.optim.SGD(model[2].parameters(), lr=0.1)

    def loop():
        for i in range(2):
            x, y = batch(i)
            opt1.zero_grad()
            opt2.zero_grad()
            F.mse_loss(model(x), y).backward()
            opt1.step()
            opt2.step()
    f, = [f for f in audited(model, [opt1, opt2], loop).findings if f.kind == "in_two_groups"]
    assert f.params == ["2.bias", "2.weight"] and "opt 0 group 0 and opt 1 group 0" in f.evidence


def test_in_two_groups_silent_with_two_groups_of_distinct_params():
    model = mlp()
    opt = torch.optim.SGD([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.01}], lr=0.1)
    assert audited(model, opt, lambda: train(model, opt)).findings == []


# ---------------------------------------------------------------- 4. gradients accumulated across updates


def test_grad_accumulated_fires_without_zeroing():
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    f, = audited(model, opt, lambda: train(model, opt, zero=False)).warnings
    assert f.kind == "grad_accumulated" and len(f.params) == 4


def test_grad_accumulated_fires_without_an_optimizer():
    model = mlp()

    def loop():
        for i in range(3):
            x, y = batch(i)
            F.mse_loss(model(x), y).backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
    assert "grad_accumulated" in audited(model, None, loop).kinds()


def test_grad_accumulated_silent_when_declared():
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    a = audited(model, opt, lambda: train(model, opt, zero=False), accumulate=True)
    assert a.findings == [] and any("accumulate=True" in u for u in a.unseen)


# ---------------------------------------------------------------- 5. graphs kept alive across steps


def _eval_each_step(no_grad):
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    kept = []

    def loop():
        for i in range(4):
            x, y = batch(i)
            opt.zero_grad()
            F.mse_loss(model(x), y).backward()
            opt.step()
            with torch.set_grad_enabled(not no_grad):
                kept.append(F.mse_loss(model(x), y))  # a validation loss kept for a plot
    return audited(model, opt, loop)


def test_graph_kept_alive_fires_on_kept_validation_losses():
    f, = _eval_each_step(no_grad=False).warnings
    assert f.kind == "graph_kept_alive" and "KiB" in f.evidence


def test_graph_kept_alive_fires_on_a_running_statistic_never_detached():
    def run(detach):
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)

        def loop():
            mean_out = torch.zeros(2)
            for i in range(4):
                x, y = batch(i)
                opt.zero_grad()
                out = model(x)
                F.mse_loss(out, y).backward()
                opt.step()
                new = model(x).mean(0)  # a statistic of the outputs after the update
                mean_out = 0.9 * mean_out + 0.1 * (new.detach() if detach else new)
        return audited(model, opt, loop)
    assert run(False).kinds() == ["graph_kept_alive"]
    assert run(True).findings == []


def test_graph_kept_alive_silent_under_no_grad():
    assert _eval_each_step(no_grad=True).findings == []


# ---------------------------------------------------------------- 6. running statistics and evaluation mode


def test_frozen_stats_update_fires_when_frozen_batch_norm_trains():
    torch.manual_seed(0)
    model = BackboneNet()
    model.backbone.requires_grad_(False)
    opt = torch.optim.SGD(model.head.parameters(), lr=0.1)

    def loop():
        model.train()  # the frozen BatchNorm is in training mode too
        for i in range(2):
            x, y = torch.randn(16, 2), torch.randint(0, 3, (16,))
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
    f, = audited(model, opt, loop).warnings
    assert f.kind == "frozen_stats_update" and f.modules == ["backbone.1"]


def test_frozen_stats_update_silent_with_frozen_part_in_eval():
    model, opt, loop = finetune()
    assert audited(model, opt, loop).warnings == []


def _evaluate(call_eval):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def loop():
        train(model, opt, 2)
        if call_eval:
            model.eval()
        with torch.no_grad():
            model(batch(9)[0])
        model.train()
    return audited(model, opt, loop)


def test_train_mode_eval_fires_on_dropout_left_on():
    f, = _evaluate(False).warnings
    assert f.kind == "train_mode_eval" and f.modules == ["2"]


def test_train_mode_eval_silent_after_eval():
    assert _evaluate(True).findings == []


# ---------------------------------------------------------------- 7. non-finite gradients


def test_nonfinite_grad_names_the_parameter_and_the_node():
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    a = audited(model, opt, lambda: train(model, opt, 1, loss_of=lambda m, x, y: (m(x) * 0).sqrt().sum()))
    f, = [f for f in a.findings if f.kind == "nonfinite_grad"]
    assert f.severity == "error" and f.params == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert "SqrtBackward0" in f.evidence


def test_nonfinite_grad_silent_on_finite_gradients_and_can_be_skipped():
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    assert audited(model, opt, lambda: train(model, opt, 1, loss_of=lambda m, x, y: (m(x) + 1).abs().sqrt().sum())
                   ).findings == []
    a = audited(model, opt, lambda: train(model, opt, 1, loss_of=lambda m, x, y: (m(x) * 0).sqrt().sum()),
                check_finite=False)
    assert "nonfinite_grad" not in a.kinds()


# ---------------------------------------------------------------- 8. flags and grad mode not restored


def test_flags_changed_fires_when_a_step_freezes_and_forgets():
    G, D = make_gan()
    oG, oD = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())

    def loop():
        fake = G(noise(8))
        discriminator_step(D, oD, real_samples(8), fake)
        D.requires_grad_(False)  # freeze D for the G step ...
        generator_step(D, oG, fake)  # ... and never unfreeze it
    f, = [f for f in audited({"G": G, "D": D}, [oG, oD], loop).findings if f.kind == "flags_changed"]
    assert f.params == ["D.net.0.bias", "D.net.0.weight", "D.net.2.bias", "D.net.2.weight"]


def test_flags_changed_fires_on_grad_mode_left_off_and_silent_when_restored():
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    try:
        with gradflow.audit(model, opt) as a:
            train(model, opt, 1)
            torch.set_grad_enabled(False)
    finally:
        torch.set_grad_enabled(True)
    assert a.kinds() == ["flags_changed"] and "grad mode was True on entry and False on exit" in a.findings[0].evidence
    G, D = make_gan()
    oG, oD = torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters())

    def restored():
        fake = G(noise(8))
        discriminator_step(D, oD, real_samples(8), fake)
        D.requires_grad_(False)
        generator_step(D, oG, fake)
        D.requires_grad_(True)
    assert audited({"G": G, "D": D}, [oG, oD], restored).warnings == []


# ---------------------------------------------------------------- 9. parameters DDP would report unused


class AuxNet(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.body, self.main, self.aux = nn.Linear(4, 8), nn.Linear(8, 2), nn.Linear(8, 2)

    def forward(self, x, use_aux):
        h = torch.relu(self.body(x))
        return self.main(h) + (self.aux(h) if use_aux else 0)


def _aux_loop(every_step):
    model = AuxNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def loop():
        for i in range(4):
            x, y = batch(i)
            opt.zero_grad()
            F.mse_loss(model(x, use_aux=every_step or i % 2 == 0), y).backward()
            opt.step()
    return audited(model, opt, loop)


def test_ddp_unused_fires_on_a_head_used_every_other_step():
    f, = _aux_loop(False).warnings
    assert f.kind == "ddp_unused" and f.params == ["aux.bias", "aux.weight"] and "2, 4 of 4" in f.evidence


def test_ddp_unused_silent_when_used_every_step():
    assert _aux_loop(True).findings == []


# ---------------------------------------------------------------- 10. shared storage


def test_shared_storage_fires_on_two_parameters_over_one_storage():
    model = mlp(n_in=8, hidden=8, n_out=8)
    model[2].weight = nn.Parameter(model[0].weight.detach())  # a second leaf over the same memory
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loop = lambda: train(model, opt, loss_of=lambda m, x, y: m(torch.randn(16, 8)).pow(2).mean())  # noqa: E731
    f, = [f for f in audited(model, opt, loop).findings if f.kind == "shared_storage"]
    assert f.severity == "warning" and f.params == ["0.weight", "2.weight"]


def test_tied_weights_are_info_and_untied_are_silent():
    model = mlp(n_in=8, hidden=8, n_out=8)
    model[2].weight = model[0].weight  # tied on purpose: one Parameter, two names
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loop = lambda: train(model, opt, loss_of=lambda m, x, y: m(torch.randn(16, 8)).pow(2).mean())  # noqa: E731
    a = audited(model, opt, loop)
    assert [(f.kind, f.severity) for f in a.findings] == [("shared_storage", "info")]
    assert "freezing one freezes the other" in a.findings[0].cause
    model = mlp(n_in=8, hidden=8, n_out=8)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    assert audited(model, opt, lambda: train(model, opt, loss_of=lambda m, x, y: m(torch.randn(16, 8)).pow(2).mean())
                   ).findings == []
