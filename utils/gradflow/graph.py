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

from .walk import named_tensors, saved_tensors, walk

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
    saved: list[torch.Tensor] = field(default_factory=list)  # what an op node saved for backward


@dataclass
class Graph:
    nodes: dict[int, Node]
    roots: list[int]
    cut_off: list[str]  # names of tensors that require grad but cannot be reached
    frozen: list[str] = field(default_factory=list)  # named leaves with requires_grad=False
    reached: list[torch.Tensor] = field(default_factory=list)  # leaf tensors a backward would give .grad
    n_functions: int = 0  # backward nodes walked (AccumulateGrad included)

    def leaves(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind.startswith("leaf")]

    def saved_storages(self, exclude=()) -> dict[int, int]:
        """Distinct storages the op nodes still hold for backward: data pointer -> bytes."""
        skip = {t.untyped_storage().data_ptr() for t in named_tensors(exclude, buffers=True).values()}
        return {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes()
                for node in self.nodes.values() for t in node.saved if t.untyped_storage().data_ptr() not in skip}

    def text(self) -> str:
        """The indented tree; a node reached a second time is written once more with "(shared, see above)"."""
        lines: list[str] = []
        seen: set[int] = set()

        def write(key: int, prefix: str, last: bool, top: bool) -> None:
            node = self.nodes[key]
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

        for key in self.roots:
            write(key, "", True, True)
        if self.cut_off:
            lines.append("cut off (requires grad, but no path from the output): " + ", ".join(self.cut_off))
        if self.frozen:
            lines.append("frozen (requires_grad=False, never get .grad): " + ", ".join(self.frozen))
        return "\n".join(lines)


def _shape(t: torch.Tensor) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]" if t.dim() else "scalar"


def _grad_text(t: torch.Tensor) -> str:
    if t.grad is None:
        return ".grad None"
    if t.grad.numel() <= 3:
        values = ", ".join(f"{v:.4g}" for v in t.grad.flatten().tolist())
        return f".grad [{values}]"
    return ".grad set"


def build_graph(*roots: torch.Tensor, names=None) -> Graph:
    """Walk ``grad_fn`` from each root tensor once and return the graph as plain data.

    Everything else reads this one walk: the text tree (:meth:`Graph.text`), the drawing, the footprint
    (:meth:`Graph.footprint`) and the reached leaves.
    """
    named = named_tensors(names)
    table = {id(t): n for n, t in named.items()}
    quiet = {id(t): n for n, t in named.items() if not t.requires_grad}
    nodes: dict[int, Node] = {}
    graph = Graph(nodes, [], [])

    def leaf_node(t: torch.Tensor) -> int:
        key = id(t)
        if key not in nodes:
            kind = "leaf_grad" if t.grad is not None else "leaf_nograd"
            nodes[key] = Node(key, kind, f"{table.get(key, 'leaf')} {_shape(t)}\n{_grad_text(t)}")
            graph.reached.append(t)
        return key

    for fn in walk(*roots):
        graph.n_functions += 1
        if type(fn).__name__ == "AccumulateGrad":
            leaf_node(fn.variable)
            continue
        node = nodes[id(fn)] = Node(id(fn), "op", type(fn).__name__)
        node.saved = saved_tensors(fn)
        # name a no-grad input only when it is the node's single one: with several, which saved
        # tensor belongs to which input slot is not knowable from the outside
        single = sum(nxt is None for nxt, _ in fn.next_functions) == 1
        for nxt, _ in fn.next_functions:
            if nxt is None:
                label = next((f"{quiet[id(t)]}: no grad" for t in node.saved if single and id(t) in quiet), "no grad")
                stub = Node(-len(nodes) - 1, "input", label)
                nodes[stub.key] = stub
                node.children.append(stub.key)
            else:
                node.children.append(id(nxt.variable) if type(nxt).__name__ == "AccumulateGrad" else id(nxt))

    for i, t in enumerate(roots):
        name = table.get(id(t), "output" if len(roots) == 1 else f"output {i}")
        if t.grad_fn is not None:
            node = nodes[id(t.grad_fn)] if id(t.grad_fn) in nodes else nodes[id(t.grad_fn.variable)]
            node.kind = "root"
            if not node.label.startswith(name):
                node.label = f"{name} = {node.label}"
            key = node.key
        elif t.requires_grad:
            key = leaf_node(t)
        else:
            key = -(1000 + i)
            nodes[key] = Node(key, "input", f"{name}: no graph\n(requires_grad=False)")
        graph.roots.append(key)

    reached = {id(t) for t in graph.reached}
    graph.cut_off = [n for n, t in named.items() if t.requires_grad and t.is_leaf and id(t) not in reached]
    graph.frozen = [n for n, t in named.items() if isinstance(t, torch.nn.Parameter) and not t.requires_grad]
    return graph


def graph_text(*roots: torch.Tensor, names=None) -> str:
    """The graph as an indented tree, from the output down to the leaves (see :meth:`Graph.text`)."""
    return build_graph(*roots, names=names).text()


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
        return self.png()

    def png(self, quick: bool = False) -> bytes:
        """The figure as PNG bytes. ``quick``: one rendering pass at screen resolution, light compression
        (what a live widget needs on every click) instead of a cropped, sharper picture."""
        import io

        buffer = io.BytesIO()
        if quick:
            self.figure.savefig(buffer, format="png", dpi=72, pil_kwargs={"compress_level": 1})
        else:
            self.figure.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()

    def __repr__(self) -> str:
        return self.text


LABEL_PT = 14  # node labels, legend and notes: JupyterLab's and the site's body text is 14 px
_CHAR_IN = 0.6 * LABEL_PT / 72  # one monospace character, in inches
SITE_PX = 1000  # the site's output column (1100 px page, less the prompt); JupyterLab's is wider


def draw_graph(*roots: torch.Tensor, names=None, title: str | None = None, ax=None) -> Drawing:
    """Draw the autograd graph of ``roots`` with matplotlib; returns a :class:`Drawing`.

    Arrows point the way gradients flow during ``backward``: from the output down to the leaves.
    Pass ``ax=`` to draw into an existing matplotlib axes (for side-by-side comparisons).
    """
    return draw(build_graph(*roots, names=names), title=title, ax=ax)


def _wrapped(title: str, width: float) -> str:
    """``title`` in lines that fit a figure ``width`` inches wide, broken at spaces (a centred line wider than
    the figure loses both its ends)."""
    import textwrap

    fits = max(int(width / (_CHAR_IN * (LABEL_PT + 1) / LABEL_PT)), 20)  # a monospace character is the widest
    return "\n".join(textwrap.wrap(title, fits, break_long_words=False, break_on_hyphens=False)) or title


def draw(graph: Graph, title: str | None = None, ax=None) -> Drawing:
    """Draw a graph already built by :func:`build_graph` (see :func:`draw_graph`)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    layers = _layers(graph)
    # Sized so labels and legend are at least the body text (14 px) where the picture is shown: the
    # figure is 72 dpi, so LABEL_PT points are LABEL_PT pixels, and the widest layer sets the width
    # (each box as wide as its longest label), kept under SITE_PX so no page scales the picture down.
    def layer_inches(layer) -> float:
        return sum(_CHAR_IN * max(map(len, graph.nodes[key].label.splitlines() or [""])) + 0.45 for key in layer)

    width = max(max(layer_inches(layer) for layer in layers), 5.5)
    title = _wrapped(title or "autograd graph (arrows: the way backward flows)", width)
    extra = 0.25 * title.count("\n")  # a title of several lines (the explorer's, with several changes) gets room
    if ax is None:  # legend and notes below the graph: the width stays the graph's own
        note_lines = bool(graph.cut_off) + bool(graph.frozen)
        fig = Figure(figsize=(width, 1.2 + 0.85 * len(layers) + 0.9 + 0.3 * note_lines + extra), dpi=72)
        ax = fig.subplots()
        fig.subplots_adjust(left=0.01, right=0.99, top=1 - (0.45 + extra) / fig.get_figheight(),
                            bottom=(1.0 + 0.3 * note_lines) / fig.get_figheight())
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
        boxes[key] = ax.text(x, y, node.label, ha="center", va="center", fontsize=LABEL_PT, bbox=box,
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
        fig.text(0.01, 0.01, "\n".join(notes), fontsize=LABEL_PT, color="#c92a2a", va="bottom", ha="left")
    legend = [Patch(fc=_COLOURS["root"], ec="#495057", label="output"),
              Patch(fc=_COLOURS["op"], ec="#495057", label="backward op"),
              Patch(fc=_COLOURS["leaf_grad"], ec="#495057", label="leaf, .grad set"),
              Patch(fc=_COLOURS["leaf_nograd"], ec="#495057", label="leaf, .grad None"),
              Patch(fc="white", ec="#adb5bd", ls="--", label="input without grad")]
    ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, 0.0), fontsize=LABEL_PT, frameon=False,
              ncol=3 if width < 9 else 5, handlelength=1.2, columnspacing=1.0)
    # a plain text, not ax.set_title: placing a title measures the (hidden) axes' ticks on every draw
    ax.text(0.5, 1.02, title, transform=ax.transAxes, ha="center", va="bottom", fontsize=LABEL_PT + 1)
    return Drawing(fig, graph.text())


def reachable_leaves(*roots: torch.Tensor) -> list[torch.Tensor]:
    """The leaf tensors that a backward from ``roots`` would give a ``.grad``."""
    return build_graph(*roots).reached


def names_reached(*roots: torch.Tensor, names: Iterable) -> list[str]:
    """Which of the named tensors a backward from ``roots`` would reach, in the given order."""
    ids = {id(t) for t in reachable_leaves(*roots)}
    return [n for n, t in named_tensors(names).items() if id(t) in ids]
