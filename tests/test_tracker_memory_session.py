"""Parameter tracker, saved-tensor bytes, and the notebook set-up helpers."""

import warnings

import pytest
import torch
from torch import nn

from gradflow import (ParamTracker, SavedTensors, clean_message, expect_error, graph_footprint, kib, saved_bytes, setup,
                      show_warnings)
from gradflow.models import TwoLayerNet


def _train(net, steps=5):
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x = torch.randn(8, 10)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.mse_loss(net(x), torch.ones(8, 3)).backward()
        opt.step()


def test_tracker_sees_seed_002_detach_result():
    torch.manual_seed(0)
    net = TwoLayerNet(detach_between=True)
    tracker = ParamTracker(net)
    _train(net)
    assert tracker.unchanged() == ["layer1.weight", "layer1.bias"]
    assert tracker.changed() == ["layer2.weight", "layer2.bias"]
    assert "layer2.bias" in tracker.report() and "yes" in tracker.report()


def test_tracker_is_not_fooled_by_shared_storage():
    # a snapshot made with detach() alone shares storage and would say "unchanged"; ours copies
    net = nn.Linear(2, 1)
    tracker = ParamTracker(net)
    shared = net.weight.detach()
    _ = shared
    with torch.no_grad():
        net.weight.add_(1.0)
    assert "weight" in tracker.changed()


def test_tracker_includes_batchnorm_buffers_and_prefixes():
    bn = nn.BatchNorm1d(3)
    bn.requires_grad_(False)
    tracker = ParamTracker({"backbone": bn})
    bn.train()
    bn(torch.randn(4, 3))
    assert set(tracker.changed()) == {"backbone.running_mean", "backbone.running_var",
                                      "backbone.num_batches_tracked"}
    tracker.reset()
    assert tracker.changed() == []


def test_saved_bytes_counts_activations_not_excluded_parameters():
    lin = nn.Linear(100, 100)
    x = torch.randn(32, 100)
    with SavedTensors(exclude=lin) as saved:
        torch.relu(lin(x)).sum()
    # x is saved for the weight gradient (32*100 floats); relu saves its output (32*100 floats)
    assert saved.bytes == 2 * 32 * 100 * 4
    assert saved.count >= 2
    with torch.no_grad():
        assert saved_bytes(lambda: torch.relu(lin(x)).sum()) == 0
    assert kib(2048) == "2.0 KiB"


def test_frozen_first_layer_saves_less():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(50, 50), nn.ReLU(), nn.Linear(50, 50))
    x = torch.randn(16, 50)
    full = saved_bytes(lambda: net(x).sum(), exclude=net)
    net[0].requires_grad_(False)
    frozen = saved_bytes(lambda: net(x).sum(), exclude=net)
    assert frozen < full


def test_setup_is_reproducible(capsys):
    setup(seed=3)
    first = torch.rand(3)
    setup(seed=3)
    assert torch.equal(first, torch.rand(3))
    assert capsys.readouterr().out.startswith("gradflow ready: torch 2.13.0, seed 3")
    assert torch.get_num_threads() == 1


def test_expect_error_prints_and_proves(capsys):
    with expect_error(RuntimeError, match="boom"):
        raise RuntimeError("boom (Triggered internally at /some/build/path.cpp:12.)")
    assert capsys.readouterr().out == "RuntimeError: boom\n"
    with pytest.raises(AssertionError, match="ran without error"):
        with expect_error(RuntimeError):
            pass
    with pytest.raises(AssertionError, match="no longer contains"):
        with expect_error(RuntimeError, match="other"):
            raise RuntimeError("boom")


def test_show_warnings_prints_clean_messages_once(capsys):
    with show_warnings(expect="careful"):
        for _ in range(2):
            warnings.warn("careful (Triggered internally at /x/y.h:1.)")
    assert capsys.readouterr().out == "UserWarning: careful\n"
    with pytest.raises(AssertionError, match="expected a warning"):
        with show_warnings(expect="careful"):
            pass
    assert clean_message(ValueError("plain")) == "plain"


def test_bytes_recorded_versus_alive_after_a_detach():
    # the part before a detach records its saved tensors, then frees them once nothing refers to them
    torch.manual_seed(0)
    first, second = nn.Linear(64, 64), nn.Linear(64, 64)
    x = torch.randn(8, 64)
    with SavedTensors(exclude=[first, second]) as full:
        out_full = second(torch.relu(first(x)))
    with SavedTensors(exclude=[first, second]) as cut:
        out_cut = second(torch.relu(first(x)).detach())
    assert cut.bytes == full.bytes  # the same recording work
    assert cut.alive_bytes < full.alive_bytes  # but the pre-cut graph is gone
    assert out_full.requires_grad and out_cut.requires_grad


def test_reused_addresses_are_not_merged():
    lin = nn.Linear(32, 32)
    with SavedTensors(exclude=lin) as saved:
        for _ in range(5):
            torch.relu(lin(torch.randn(4, 32))).sum()  # each graph is freed at once; memory is reused
    assert saved.bytes == 5 * 2 * 4 * 32 * 4
    assert saved.alive_bytes == 0


def test_graph_footprint_counts_what_the_graph_holds_until_backward_frees_it():
    w = torch.nn.Parameter(torch.ones(10))
    x = torch.ones(10, requires_grad=True)
    y = (w * x).sum()
    # MulBackward0 saves w and x; SumBackward0 and the two AccumulateGrad nodes save nothing
    assert graph_footprint(y) == (4, 80)
    assert graph_footprint(y, exclude=[w]).bytes == 40
    y.backward(retain_graph=True)
    assert graph_footprint(y).bytes == 80
    y.backward()
    assert graph_footprint(y) == (4, 0)
    assert graph_footprint(torch.ones(2)) == (0, 0)


def test_graph_footprint_leaves_out_what_a_detach_cut_off():
    torch.manual_seed(0)
    first, second = nn.Linear(8, 8), nn.Linear(8, 8)
    x = torch.randn(4, 8)
    full = second(torch.relu(first(x))).sum()
    cut = second(torch.relu(first(x)).detach()).sum()
    assert graph_footprint(cut, exclude=[first, second]).bytes < graph_footprint(full, exclude=[first, second]).bytes
