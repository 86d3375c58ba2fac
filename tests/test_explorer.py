"""The explorers, driven from Python: set toggles, read what they show (no frontend needed)."""

import base64

import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from gradflow.models import LinearChain
from gradflow.explorer import WIDGET_VIEW, FlowExplorer, FlowLab, explore_flow

ALL = [f"lin{i}.{k}" for i in range(4) for k in ("weight", "bias")]


def test_lab_everything_trainable_gets_every_gradient():
    result = FlowLab().run()
    assert result.received == ALL and result.no_grad == [] and result.error is None
    assert result.saved_bytes == result.held_bytes == 2048  # x, three hidden activations, the output


def test_lab_detach_cuts_everything_before_it():
    result = FlowLab().set("lin1", detach=True).run()
    assert result.received == ALL[4:]
    assert "cut off" in result.graph and "lin0.weight" in result.graph.splitlines()[-1]
    assert result.held_bytes < result.saved_bytes  # the cut-off piece saved tensors that die with it


def test_lab_frozen_middle_layer_passes_gradients_through():
    result = FlowLab().set("lin2", requires_grad=False).run()
    assert result.received == ALL[:4] + ALL[6:]


def test_lab_frozen_middle_layer_saves_no_memory_with_relu_but_a_prefix_does():
    def held(**toggles):
        lab = FlowLab(relu=True)
        for layer, value in toggles.items():
            lab.set(layer, requires_grad=value)
        return lab.run().held_bytes

    assert held(lin2=False) == held()
    assert held(lin0=False) < held()


def test_lab_no_grad_region_cuts_like_detach_and_all_cut_reports_backward_error():
    assert FlowLab().set("lin1", no_grad=True).run().received == ALL[4:]
    result = FlowLab().set("lin3", no_grad=True).run()
    assert result.received == [] and result.held_bytes == 0
    assert "does not require grad" in result.error
    assert "backward failed" in result.text()


def test_lab_matches_a_hand_written_forward():
    lab = FlowLab().set("lin1", detach=True)
    lab.run()
    torch.manual_seed(0)
    model = LinearChain((4, 8, 8, 8, 4), detach_after="lin1")
    x = torch.randn(16, 4)
    model(x).pow(2).mean().backward()
    assert torch.allclose(lab.model.lin3.weight.grad, model.lin3.weight.grad)


def test_lab_leaves_the_callers_random_state_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    FlowLab(seed=1).run()
    assert torch.equal(torch.rand(3), expected)


def test_lab_rejects_unknown_layer():
    with pytest.raises(KeyError, match="lin0, lin1"):
        FlowLab().set("lin9", detach=True)


def test_explorer_checkboxes_drive_the_lab_and_update_the_views():
    explorer = explore_flow()
    png_before = explorer.image.value
    explorer.controls["lin1"]["detach"].value = True  # as a click in the browser would
    assert explorer.lab.detach["lin1"]
    assert explorer.lab.result.received == ALL[4:]
    assert "detach after lin1" in explorer.summary.value
    assert "received a gradient: lin2.weight" in explorer.summary.value
    assert explorer.image.value != png_before and explorer.image.value[:4] == b"\x89PNG"
    explorer.set("lin3", requires_grad=False)
    assert explorer.controls["lin3"]["requires_grad"].value is False
    assert explorer.lab.result.received == ALL[4:6]
    explorer.reset_button.click()
    assert explorer.lab.result.received == ALL
    assert all(box.value is True for box in (b["requires_grad"] for b in explorer.controls.values()))


def test_explorer_initial_toggles_show_in_checkboxes():
    explorer = explore_flow(frozen=["lin0"], detach_after=["lin2"], no_grad=["lin3"])
    assert explorer.controls["lin0"]["requires_grad"].value is False
    assert explorer.controls["lin2"]["detach"].value is True
    assert explorer.controls["lin3"]["no_grad"].value is True


def test_explorer_mimebundle_is_widget_plus_stable_text_and_png():
    bundle = explore_flow(detach_after=["lin1"])._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "image/png", WIDGET_VIEW}
    assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"
    again = explore_flow(detach_after=["lin1"])._repr_mimebundle_()
    assert bundle["text/plain"] == again["text/plain"]  # deterministic: what nbval compares
    assert bundle[WIDGET_VIEW]["model_id"] != again[WIDGET_VIEW]["model_id"]
    assert "0x" not in bundle["text/plain"] and "model_id" not in bundle["text/plain"]
    assert "detach after lin1" in bundle["text/plain"]


def test_one_explorer_click_walks_the_graph_once(monkeypatch):
    import gradflow.graph as graph_module

    explorer = explore_flow()
    calls = []
    real = graph_module.walk
    monkeypatch.setattr(graph_module, "walk", lambda *roots: calls.append(1) or real(*roots))
    explorer.controls["lin1"]["detach"].value = True
    assert calls == [1]
    assert explorer.lab.detach["lin1"] and "detach after lin1" in explorer.summary.value


def test_a_long_title_is_wrapped_inside_the_figure():
    """Several changes make a title wider than the figure: centred, it lost both ends (issue 22); it wraps at spaces."""
    lab = FlowLab()
    for name in lab.layers:
        lab.set(name, requires_grad=False, detach=True, no_grad=True)
    fig = lab.drawing().figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    title = next(t for t in fig.axes[0].texts if t.get_text().startswith("loss graph:"))
    box, page = title.get_window_extent(renderer), fig.bbox
    assert "\n" in title.get_text(), "the title of twelve changes takes several lines"
    assert page.x0 <= box.x0 and box.x1 <= page.x1 and box.y1 <= page.y1, (box, page)
    assert " ".join(title.get_text().split()) == f"loss graph: {lab.result.settings}"  # broken at spaces only


def test_explorer_shows_what_a_click_changes_beside_the_checkboxes():
    explorer = FlowExplorer()
    controls_row = explorer.widget.children[1]
    assert explorer.status in controls_row.children  # not under the figure
    assert "received a gradient: lin0.weight" in explorer.status.value
    explorer.set("lin1", detach=True)
    assert "lin0.weight" not in explorer.status.value and "lin2.weight" in explorer.status.value
    assert "bytes held" in explorer.status.value
