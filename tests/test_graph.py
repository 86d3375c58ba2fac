"""Graph walking and drawing from live tensors."""

import matplotlib

matplotlib.use("Agg")

import torch

from gradflow import build_graph, draw_graph, graph_text, names_reached, reachable_leaves
from gradflow.models import LinearChain


def test_text_of_seed_example_shows_ops_leaf_and_shared_node():
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = a + 3
    out = (b * b * 3).mean()
    text = graph_text(out, names={"a": a})
    assert text.splitlines()[0] == "output = MeanBackward0"
    assert "a [2], .grad None" in text
    assert "(shared, see above)" in text
    out.backward()
    assert "a [2], .grad [15, 18]" in graph_text(out, names={"a": a})


def test_leaf_kinds_follow_grad():
    w = torch.ones(2, requires_grad=True)
    y = (w * 2).sum()
    graph = build_graph(y, names={"w": w})
    assert [n.kind for n in graph.leaves()] == ["leaf_nograd"]
    y.backward()
    assert [n.kind for n in build_graph(y, names={"w": w}).leaves()] == ["leaf_grad"]


def test_detach_cut_lists_unreachable_parameters():
    model = LinearChain(detach_after="lin1")
    out = model(torch.randn(3, 4)).sum()
    text = graph_text(out, names=model)
    assert "cut off" in text
    cut_line = text.splitlines()[-1]
    for name in ["lin0.weight", "lin0.bias", "lin1.weight", "lin1.bias"]:
        assert name in cut_line
    assert "lin3.weight" not in cut_line
    assert names_reached(out, names=model) == ["lin2.weight", "lin2.bias", "lin3.weight", "lin3.bias"]


def test_named_detached_input_is_recognised():
    x = torch.tensor([1.0], requires_grad=True)
    z = 2 * x**2
    p = z.detach()
    q = torch.tensor([2.0], requires_grad=True)
    assert "p: no grad" in graph_text(p * q, names={"p": p, "q": q})


def test_tensor_without_graph():
    t = torch.ones(2)
    assert graph_text(t) == "output: no graph, (requires_grad=False)"
    assert reachable_leaves(t) == []


def test_leaf_root_and_reachable_leaves():
    w = torch.ones(2, requires_grad=True)
    assert reachable_leaves(w) == [w]
    v = torch.ones(2, requires_grad=True)
    assert {id(t) for t in reachable_leaves((w * v).sum())} == {id(w), id(v)}


def test_draw_returns_a_figure_with_one_box_per_node():
    model = LinearChain(detach_after="lin1")
    out = model(torch.randn(3, 4)).sum()
    drawing = draw_graph(out, names=model)
    assert repr(drawing) == graph_text(out, names=model)
    assert drawing._repr_png_().startswith(b"\x89PNG")
    fig = drawing.figure
    ax = fig.axes[0]
    n_nodes = len(build_graph(out, names=model).nodes)
    boxes = [t for t in ax.texts if t.get_bbox_patch() is not None]
    assert len(boxes) == n_nodes
    assert any("cut off" in t.get_text() for t in ax.texts + fig.texts)
    fig.canvas.draw()  # layout and arrows render without error


def test_frozen_parameters_are_listed_and_only_unambiguous_inputs_named():
    model = LinearChain()
    model.lin2.requires_grad_(False)
    x = torch.randn(3, 4)
    text = graph_text(model(x).sum(), names=[model, {"x": x}])
    assert text.splitlines()[-1] == "frozen (requires_grad=False, never get .grad): lin2.weight, lin2.bias"
    assert "x: no grad" in text  # lin0's addmm has one no-grad input: the data
    assert "lin2.weight: no grad" not in text  # lin2's has two (weight, bias): which is which is unknowable
    assert "cut off" not in text  # freezing lets gradients pass through to lin0 and lin1


def _count_walks(monkeypatch):
    """Count the graph walks (gradflow.walk.walk) made from now on, wherever they are called."""
    import gradflow.graph as graph_module

    calls = []
    real = graph_module.walk

    def counting(*roots):
        calls.append(len(roots))
        return real(*roots)

    monkeypatch.setattr(graph_module, "walk", counting)
    return calls


def test_draw_graph_walks_the_graph_once(monkeypatch):
    model = LinearChain(detach_after="lin1")
    out = model(torch.randn(3, 4)).sum()
    calls = _count_walks(monkeypatch)
    draw_graph(out, names=model)
    assert calls == [1]


def test_one_walk_gives_text_footprint_and_reached_leaves():
    from gradflow import graph_footprint
    from gradflow.walk import named_tensors, saved_tensors, walk

    model = LinearChain(detach_after="lin1")
    x = torch.randn(3, 4)
    out = model(x).pow(2).sum()
    functions = list(walk(out))
    assert len(functions) == len({id(f) for f in functions}) == graph_footprint(out).nodes
    saved = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for f in functions for t in saved_tensors(f)}
    assert graph_footprint(out).bytes == sum(saved.values()) > 0
    graph = build_graph(out, names=model)
    assert sorted(id(t) for t in graph.reached) == sorted(id(p) for n, p in model.named_parameters()
                                                         if n.startswith(("lin2", "lin3")))
    out.backward()  # frees the saved tensors: the scanner finds none, the footprint is 0 bytes
    assert all(saved_tensors(f) == [] for f in functions) and graph_footprint(out).bytes == 0
    assert list(named_tensors([model, {"x": x}, {"G": model.lin0}])) == [
        *(n for n, _ in model.named_parameters()), "x", "G.weight", "G.bias"]


def test_drawing_text_is_body_size_and_never_scaled_down_for_the_course_largest_graph():
    """The capstone's D-loss graph (two BCE branches through a 2-layer D, G cut off) is the course's
    widest: its labels, legend and notes must be at least 14 px (the site's and JupyterLab's body
    text) in a picture no wider than the site's output column, so no page shrinks them."""
    import io
    import struct

    from gradflow.graph import SITE_PX

    torch.manual_seed(0)
    G = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.LeakyReLU(), torch.nn.Linear(16, 1))
    D = torch.nn.Sequential(torch.nn.Linear(1, 16), torch.nn.LeakyReLU(), torch.nn.Linear(16, 1))
    fake = G(torch.randn(4, 2)).detach()
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    loss = bce(D(torch.randn(4, 1)), torch.ones(4, 1)) + bce(D(fake), torch.zeros(4, 1))
    names = {**{f"G.{k}": v for k, v in G.named_parameters()}, **{f"D.{k}": v for k, v in D.named_parameters()}}
    drawing = draw_graph(loss, names=names, title="D loss")
    png = drawing.png()
    width_px = struct.unpack(">II", png[16:24])[0]
    assert width_px <= SITE_PX
    figure = drawing.figure
    texts = [t for t in figure.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
             if t.get_text().strip()]
    assert any("LeakyReluBackward0" in t.get_text() for t in texts)
    assert any("leaf, .grad None" == t.get_text() for t in texts)  # the legend is drawn
    for text in texts:
        px = text.get_fontsize() * figure.dpi / 72
        assert px >= 14, f"{text.get_text()!r} is {px:.1f} px"
    assert io.BytesIO(png).read(4) == b"\x89PNG"
