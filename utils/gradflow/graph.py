"""Look at the autograd graph behind a live tensor, as text or as a matplotlib figure.

The graph is read the way ``backward`` walks it: from a tensor's ``grad_fn`` along
``next_functions``. What you see:

* an operation node for every backward function (``MulBackward0``, ``AddmmBackward0``, ...);
* a leaf node for every tensor that will receive ``.grad`` (reached through ``AccumulateGrad``),
  with its name, shape and whether its ``.grad`` is set yet;
* a grey "no grad" stub where an input does not require grad (data, a constant, a frozen
  parameter or a ``detach()``-ed tensor): gradients stop there;
* with ``names=`` given, every named tensor that requires grad but is *not* reachable is listed as
  **cut off**: no gradient from this output can reach it.

No Graphviz needed: the layout is a simple layered drawing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import torch

# colours of the figure, one per kind of node
_COLOURS = {
    "root": "#cfe2ff",
    "op": "#e9ecef",
    "leaf_grad": "#b7e4c7",  # leaf whose .grad is set
    "leaf_nograd": "#fff3bf",  # leaf that requires grad, .grad still None
    "input": "#ffffff",  # an input that does not require grad: gradients stop here
}


@dataclass
class Node:
    key: int
    kind: str  # "root", "op", "leaf_grad", "leaf_nograd", "input"
    label: str
    children: list[int] = field(default_factory=list)  # towards the leaves (the way gradients flow)


@dataclass
class Graph:
    nodes: dict[int, Node]
    roots: list[int]
    cut_off: list[str]  # names of tensors that require grad but cannot be reached
    frozen: list[str] = field(default_factory=list)  # named leaves with requires_grad=False

    def leaves(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind.startswith("leaf")]


def _name_table(names) -> dict[int, str]:
    """id(tensor) -> name, from a dict of tensors, a module, or a list of either."""
    table: dict[int, str] = {}
    if names is None:
        return table
    items = names if isinstance(names, (list, tuple)) else [names]
    for item in items:
        if isinstance(item, torch.nn.Module):
            pairs = list(item.named_parameters())
        else:
            pairs = list(item.items())
        for name, tensor in pairs:
            if isinstance(tensor, torch.Tensor):
                table[id(tensor)] = name
    return table


def _named_tensors(names) -> list[tuple[str, torch.Tensor]]:
    if names is None:
        return []
    items = names if isinstance(names, (list, tuple)) else [names]
    out = []
    for item in items:
        pairs = item.named_parameters() if isinstance(item, torch.nn.Module) else item.items()
        out.extend((n, t) for n, t in pairs if isinstance(t, torch.Tensor))
    return out


def _shape(t: torch.Tensor) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]" if t.dim() else "scalar"


def _grad_text(t: torch.Tensor) -> str:
    if t.grad is None:
        return ".grad None"
    if t.grad.numel() <= 3:
        values = ", ".join(f"{v:.4g}" for v in t.grad.flatten().tolist())
        return f".grad [{values}]"
    return ".grad set"


def _saved_inputs(fn) -> list[torch.Tensor]:
    """Tensors a backward node saved (its inputs, mostly); empty once the graph is freed."""
    found = []
    for attr in dir(fn):
        if attr.startswith("_saved_") and not attr.startswith("_saved_tensors"):
            try:
                value = getattr(fn, attr)
            except RuntimeError:  # freed by backward
                continue
            if isinstance(value, torch.Tensor):
                found.append(value)
    return found


def build_graph(*roots: torch.Tensor, names=None) -> Graph:
    """Walk ``grad_fn`` from each root tensor and return the graph as plain data."""
    table = _name_table(names)
    quiet = {id(t): n for n, t in _named_tensors(names) if not t.requires_grad}
    nodes: dict[int, Node] = {}
    root_keys: list[int] = []
    reached: set[int] = set()  # id() of every leaf tensor reached
    stub_count = 0

    def leaf_node(t: torch.Tensor) -> int:
        key = id(t)
        reached.add(key)
        if key not in nodes:
            name = table.get(key, "leaf")
            kind = "leaf_grad" if t.grad is not None else "leaf_nograd"
            nodes[key] = Node(key, kind, f"{name} {_shape(t)}\n{_grad_text(t)}")
        return key

    def visit(fn) -> int:
        nonlocal stub_count
        key = id(fn)
        if key in nodes:
            return key
        if type(fn).__name__ == "AccumulateGrad":
            return leaf_node(fn.variable)
        node = Node(key, "op", type(fn).__name__)
        nodes[key] = node
        saved = _saved_inputs(fn)
        # name a no-grad input only when it is the node's single one: with several, which saved
        # tensor belongs to which input slot is not knowable from the outside
        single = sum(nxt is None for nxt, _ in fn.next_functions) == 1
        for nxt, _ in fn.next_functions:
            if nxt is None:
                stub_count += 1
                label = "no grad"
                for t in saved if single else []:
                    if id(t) in quiet:
                        label = f"{quiet[id(t)]}: no grad"
                        break
                stub_key = -stub_count
                nodes[stub_key] = Node(stub_key, "input", label)
                node.children.append(stub_key)
            else:
                node.children.append(visit(nxt))
        return key

    for i, t in enumerate(roots):
        name = table.get(id(t), "output" if len(roots) == 1 else f"output {i}")
        if t.grad_fn is not None:
            key = visit(t.grad_fn)
            node = nodes[key]
            node.kind = "root"
            if not node.label.startswith(name):
                node.label = f"{name} = {node.label}"
        elif t.requires_grad:
            key = leaf_node(t)
        else:
            key = -(1000 + i)
            nodes[key] = Node(key, "input", f"{name}: no graph\n(requires_grad=False)")
        root_keys.append(key)

    named = _named_tensors(names)
    cut_off = [n for n, t in named if t.requires_grad and t.is_leaf and id(t) not in reached]
    frozen = [n for n, t in named if isinstance(t, torch.nn.Parameter) and not t.requires_grad]
    return Graph(nodes, root_keys, cut_off, frozen)


def graph_text(*roots: torch.Tensor, names=None) -> str:
    """The graph as an indented tree, from the output down to the leaves.

    A node reached a second time is written once more with "(shared, see above)" and not expanded.
    """
    graph = build_graph(*roots, names=names)
    lines: list[str] = []
    seen: set[int] = set()

    def write(key: int, prefix: str, last: bool, top: bool) -> None:
        node = graph.nodes[key]
        text = node.label.replace("\n", ", ")
        branch = "" if top else ("└─ " if last else "├─ ")
        if key in seen and node.children:
            lines.append(f"{prefix}{branch}{text} (shared, see above)")
            return
        seen.add(key)
        lines.append(f"{prefix}{branch}{text}")
        inner = prefix if top else prefix + ("   " if last else "│  ")
        for i, child in enumerate(node.children):
            write(child, inner, i == len(node.children) - 1, False)

    for key in graph.roots:
        write(key, "", True, True)
    if graph.cut_off:
        lines.append("cut off (requires grad, but no path from the output): " + ", ".join(graph.cut_off))
    if graph.frozen:
        lines.append("frozen (requires_grad=False, never get .grad): " + ", ".join(graph.frozen))
    return "\n".join(lines)


def print_graph(*roots: torch.Tensor, names=None) -> None:
    print(graph_text(*roots, names=names))


def _layers(graph: Graph) -> list[list[int]]:
    """Assign each node the length of the longest path from a root, so every edge points down."""
    depth: dict[int, int] = {}
    order: list[int] = []
    seen: set[int] = set()

    def topo(key: int) -> None:  # post-order DFS gives a reverse topological order
        if key in seen:
            return
        seen.add(key)
        for child in graph.nodes[key].children:
            topo(child)
        order.append(key)

    for key in graph.roots:
        topo(key)
    for key in reversed(order):
        depth.setdefault(key, 0)
        for child in graph.nodes[key].children:
            depth[child] = max(depth.get(child, 0), depth[key] + 1)
    layers: list[list[int]] = [[] for _ in range(max(depth.values()) + 1)]
    for key in reversed(order):
        layers[depth[key]].append(key)
    return layers


class Drawing:
    """A drawn graph. A notebook shows it as the picture, with the text tree as its plain-text form.

    The text form is what nbval compares and what a reader without images sees; the figure is
    built without pyplot, so it is displayed exactly once (end the cell with it, no ``;``).
    """

    def __init__(self, figure, text: str):
        self.figure = figure
        self.text = text

    def _repr_png_(self) -> bytes:
        import io

        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()

    def __repr__(self) -> str:
        return self.text


def draw_graph(*roots: torch.Tensor, names=None, title: str | None = None, ax=None) -> Drawing:
    """Draw the autograd graph of ``roots`` with matplotlib; returns a :class:`Drawing`.

    Arrows point the way gradients flow during ``backward``: from the output down to the leaves.
    Pass ``ax=`` to draw into an existing matplotlib axes (for side-by-side comparisons).
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    graph = build_graph(*roots, names=names)
    layers = _layers(graph)
    width = max(len(layer) for layer in layers)
    if ax is None:
        fig = Figure(figsize=(max(4.0, 2.3 * width), 0.6 + 0.95 * len(layers)))
        ax = fig.subplots()
    else:
        fig = ax.figure
    ax.set_axis_off()

    # x positions: spread each layer, ordered by the mean position of its parents (fewer crossings)
    pos: dict[int, tuple[float, float]] = {}
    parents: dict[int, list[int]] = {}
    for node in graph.nodes.values():
        for child in node.children:
            parents.setdefault(child, []).append(node.key)
    for row, layer in enumerate(layers):
        def anchor(key: int) -> float:
            xs = [pos[p][0] for p in parents.get(key, []) if p in pos]
            return sum(xs) / len(xs) if xs else 0.0

        ordered = sorted(layer, key=anchor) if row else layer
        for i, key in enumerate(ordered):
            pos[key] = ((i + 0.5) / len(ordered), 1.0 - (row + 0.5) / len(layers))

    boxes = {}
    for key, (x, y) in pos.items():
        node = graph.nodes[key]
        style = "round,pad=0.3"
        box = dict(boxstyle=style, fc=_COLOURS[node.kind], ec="#495057", lw=1.0)
        if node.kind == "input":
            box.update(ec="#adb5bd", ls="--")
        boxes[key] = ax.text(x, y, node.label, ha="center", va="center", fontsize=8, bbox=box,
                             family="monospace", transform=ax.transAxes)
    for node in graph.nodes.values():
        for child in node.children:
            ax.annotate("", xy=(0.5, 1.0), xycoords=boxes[child], xytext=(0.5, 0.0), textcoords=boxes[node.key],
                        arrowprops=dict(arrowstyle="-|>", color="#495057", lw=0.8, shrinkA=2, shrinkB=2))
    notes = []
    if graph.cut_off:
        notes.append("cut off (no gradient can reach): " + ", ".join(graph.cut_off))
    if graph.frozen:
        notes.append("frozen (requires_grad=False): " + ", ".join(graph.frozen))
    if notes:
        ax.text(0.0, -0.02, "\n".join(notes), transform=ax.transAxes, fontsize=8, color="#c92a2a",
                va="top", ha="left")
    legend = [Patch(fc=_COLOURS["root"], ec="#495057", label="output"),
              Patch(fc=_COLOURS["op"], ec="#495057", label="backward op"),
              Patch(fc=_COLOURS["leaf_grad"], ec="#495057", label="leaf, .grad set"),
              Patch(fc=_COLOURS["leaf_nograd"], ec="#495057", label="leaf, .grad None"),
              Patch(fc="white", ec="#adb5bd", ls="--", label="input without grad")]
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    ax.set_title(title or "autograd graph (arrows: the way backward flows)", fontsize=9)
    return Drawing(fig, graph_text(*roots, names=names))


def reachable_leaves(*roots: torch.Tensor) -> list[torch.Tensor]:
    """The leaf tensors that a backward from ``roots`` would give a ``.grad``."""
    graph_leaves: list[torch.Tensor] = []
    seen: set[int] = set()
    stack = [t.grad_fn for t in roots if t.grad_fn is not None]
    for t in roots:
        if t.grad_fn is None and t.requires_grad:
            graph_leaves.append(t)
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        if type(fn).__name__ == "AccumulateGrad":
            graph_leaves.append(fn.variable)
            continue
        stack.extend(nxt for nxt, _ in fn.next_functions if nxt is not None)
    return graph_leaves


def names_reached(*roots: torch.Tensor, names: Iterable) -> list[str]:
    """Which of the named tensors a backward from ``roots`` would reach, in the given order."""
    ids = {id(t) for t in reachable_leaves(*roots)}
    return [n for n, t in _named_tensors(names) if id(t) in ids]
