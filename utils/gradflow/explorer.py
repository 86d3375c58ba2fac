"""The gradient-flow explorer: toggle requires_grad, detach and no_grad per layer of a small chain, see the graph.

Two layers, kept apart so tests (and a notebook without a frontend) can use the logic alone:

* :class:`FlowLab`, plain Python: a chain ``x -> lin0 -> lin1 -> lin2 -> lin3 -> loss`` with per-layer
  toggles; each :meth:`FlowLab.run` walks the loss's graph once (:func:`gradflow.build_graph`) and reads the
  text tree, the drawing and the bytes held from that one walk;
* :class:`FlowExplorer`, a thin ipywidgets 8 view of it (three checkboxes per layer, the figure, the summary).

Displaying the explorer shows the live controls when a kernel and the widget manager are there. Its
``_repr_mimebundle_`` also carries a deterministic ``text/plain`` summary (what nbval compares, what GitHub
and a terminal show) and an ``image/png`` of the current graph (what a static HTML page shows when no
widget state was saved). No model ids or addresses ever reach the text.

    from gradflow.explorer import explore_flow
    explore_flow(detach_after=["lin1"])          # end the cell with it
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from typing import Iterable

import torch
from torch import nn

from .graph import Graph, build_graph, draw
from .memory import SavedTensors, footprint_of
from .models import LinearChain
from .session import clean_message

__all__ = ["FlowLab", "FlowResult", "FlowExplorer", "explore_flow"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


# --- the gradient-flow lab: pure computation ------------------------------------------------


@dataclass
class FlowResult:
    """What one forward + backward of the lab showed."""

    settings: str  # one line: which toggles are on
    received: list[str]  # parameters whose .grad is set after backward
    no_grad: list[str]  # parameters whose .grad stayed None
    saved_bytes: int  # bytes autograd saved for backward during the forward (parameters excluded)
    held_bytes: int  # of those, the bytes the loss's graph still holds (the rest went with cut-off pieces)
    graph: str  # the text tree of the graph (gradflow.graph_text)
    error: str | None = None  # backward's error message, when nothing in the loss requires grad
    rows: list[tuple[str, bool, bool, bool, str]] = field(default_factory=list)  # per-layer table

    def status(self) -> str:
        """Who received a gradient and the bytes held: the lines a click changes (shown beside the checkboxes)."""
        lines = ["received a gradient: " + (", ".join(self.received) or "none"),
                 f"saved for backward: {self.held_bytes} bytes held by the loss's graph"]
        if self.saved_bytes != self.held_bytes:
            lines.append(f"  ({self.saved_bytes} bytes were saved during the forward; the other "
                         f"{self.saved_bytes - self.held_bytes} belong to pieces cut off the graph: freed once nothing refers to them)")
        if self.error:
            lines.append(f"backward failed: {self.error}")
        return "\n".join(lines)

    def text(self) -> str:
        """A stable, human-readable summary (no ids, no addresses)."""
        lines = ["gradient-flow explorer: x -> lin0 -> lin1 -> lin2 -> lin3 -> loss",
                 f"settings: {self.settings}",
                 "layer  requires_grad  detach after  inside no_grad  gradient",
                 ]
        for name, rg, det, ng, got in self.rows:
            lines.append(f"{name:<5}  {str(rg):<13}  {'yes' if det else 'no':<12}  {'yes' if ng else 'no':<14}  {got}")
        lines.extend(self.status().splitlines())
        lines.append("graph:")
        lines.extend("  " + line for line in self.graph.splitlines())
        return "\n".join(lines)


class FlowLab:
    """A chain of ``nn.Linear`` layers (``lin0`` ... ``lin3``) with three toggles per layer.

    * ``requires_grad``: ``False`` freezes the layer's weight and bias (``requires_grad_(False)``);
    * ``detach``: ``x = x.detach()`` right after the layer;
    * ``no_grad``: the layer runs inside ``with torch.no_grad():``.

    Each :meth:`run` builds a fresh model from the same seed, does the forward pass (measuring the
    bytes saved for backward with :class:`~gradflow.SavedTensors`), calls ``backward`` on
    ``loss = out.pow(2).mean()`` and reports which parameters received ``.grad``. The learner's
    random state is left alone (``torch.random.fork_rng``).
    """

    def __init__(self, sizes=(4, 8, 8, 8, 4), batch: int = 16, seed: int = 0, relu: bool = False):
        self.sizes = tuple(sizes)
        self.batch = batch
        self.seed = seed
        self.relu = relu
        self.layers = [f"lin{i}" for i in range(len(self.sizes) - 1)]
        self.requires_grad = {name: True for name in self.layers}
        self.detach = {name: False for name in self.layers}
        self.no_grad = {name: False for name in self.layers}
        self.model: nn.Module | None = None
        self.loss: torch.Tensor | None = None
        self.result: FlowResult | None = None
        self.graph: Graph | None = None

    def set(self, layer: str, *, requires_grad: bool | None = None, detach: bool | None = None,
            no_grad: bool | None = None) -> "FlowLab":
        """Change the toggles of one layer (``None`` leaves a toggle as it is). Returns the lab."""
        if layer not in self.layers:
            raise KeyError(f"no layer {layer!r}; the layers are {', '.join(self.layers)}")
        for table, value in ((self.requires_grad, requires_grad), (self.detach, detach), (self.no_grad, no_grad)):
            if value is not None:
                table[layer] = bool(value)
        return self

    def reset(self) -> "FlowLab":
        """Every layer trainable, no detach, no no_grad."""
        for name in self.layers:
            self.set(name, requires_grad=True, detach=False, no_grad=False)
        return self

    def settings(self) -> str:
        parts = [f"{n} frozen" for n in self.layers if not self.requires_grad[n]]
        parts += [f"detach after {n}" for n in self.layers if self.detach[n]]
        parts += [f"{n} inside no_grad" for n in self.layers if self.no_grad[n]]
        return "; ".join(parts) if parts else "everything trainable, nothing cut"

    def _forward(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        layers = list(model.named_children())
        for i, (name, layer) in enumerate(layers):
            if self.no_grad[name]:
                with torch.no_grad():
                    x = layer(x)
            else:
                x = layer(x)
            if self.relu and i < len(layers) - 1:
                x = torch.relu(x)
            if self.detach[name]:
                x = x.detach()
        return x

    def run(self) -> FlowResult:
        """Forward, backward, and read off who got a gradient. Stores and returns the result."""
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)
            model = LinearChain(self.sizes)
            x = torch.randn(self.batch, self.sizes[0])
        for name, layer in model.named_children():
            layer.requires_grad_(self.requires_grad[name])
        with SavedTensors(exclude=model) as saved:
            out = self._forward(model, x)
            loss = out.pow(2).mean()
        error = None
        try:
            loss.backward(retain_graph=True)  # keep the graph so it can still be drawn with its saved tensors
        except RuntimeError as err:
            error = clean_message(err)
        self.graph = build_graph(loss, names=model)  # the one walk of this run: text, drawing and bytes held
        held = footprint_of(self.graph, exclude=model).bytes
        params = dict(model.named_parameters())
        received = [n for n, p in params.items() if p.grad is not None]
        missing = [n for n in params if n not in received]
        rows = []
        for name in self.layers:
            got = [n.split(".")[1] for n in received if n.startswith(name + ".")]
            gradient = "weight, bias" if len(got) == 2 else (", ".join(got) or "none")
            rows.append((name, self.requires_grad[name], self.detach[name], self.no_grad[name], gradient))
        self.model, self.loss = model, loss
        self.result = FlowResult(self.settings(), received, missing, saved.bytes, held, self.graph.text(), error, rows)
        return self.result

    def reached(self) -> list[str]:
        """Names of the parameters a backward from the current loss reaches (runs first if needed)."""
        if self.result is None:
            self.run()
        reached = {id(t) for t in self.graph.reached}
        return [n for n, p in self.model.named_parameters() if id(p) in reached]

    def drawing(self):
        """The autograd graph of the current loss, as a :class:`gradflow.graph.Drawing`."""
        if self.result is None:
            self.run()
        return draw(self.graph, title=f"loss graph: {self.result.settings}")

    def text(self) -> str:
        if self.result is None:
            self.run()
        return self.result.text()


def _png_b64(drawing) -> str:
    return base64.b64encode(drawing._repr_png_()).decode("ascii")


def pre_html(text: str) -> str:
    return f"<pre style='font-size:11px;line-height:1.25'>{html.escape(text)}</pre>"


class FlowExplorer:
    """The widget view of a :class:`FlowLab`: three checkboxes per layer, the graph figure and the summary.

    ``explorer.controls[layer][toggle]`` is the ``ipywidgets.Checkbox`` (toggles ``"requires_grad"``,
    ``"detach"``, ``"no_grad"``); ``explorer.image`` (``ipywidgets.Image``) holds the PNG of the graph and
    ``explorer.summary`` (``ipywidgets.HTML``) the text. Changing a checkbox's ``.value`` reruns the lab.
    """

    def __init__(self, lab: FlowLab | None = None):
        import ipywidgets as w

        self.lab = lab or FlowLab()
        self.controls: dict[str, dict[str, "w.Checkbox"]] = {}
        rows = [w.HBox([w.HTML("<b>layer</b>", layout=w.Layout(width="60px")),
                        w.HTML("<b>requires_grad</b>", layout=w.Layout(width="130px")),
                        w.HTML("<b>detach after</b>", layout=w.Layout(width="130px")),
                        w.HTML("<b>inside no_grad</b>", layout=w.Layout(width="130px"))])]
        for name in self.lab.layers:
            boxes = {
                "requires_grad": w.Checkbox(value=self.lab.requires_grad[name], indent=False,
                                            description="", layout=w.Layout(width="130px")),
                "detach": w.Checkbox(value=self.lab.detach[name], indent=False, description="",
                                     layout=w.Layout(width="130px")),
                "no_grad": w.Checkbox(value=self.lab.no_grad[name], indent=False, description="",
                                      layout=w.Layout(width="130px")),
            }
            for toggle, box in boxes.items():
                box.observe(self._on_change, names="value")
            self.controls[name] = boxes
            rows.append(w.HBox([w.HTML(f"<code>{name}</code>", layout=w.Layout(width="60px")), *boxes.values()]))
        self.reset_button = w.Button(description="reset", tooltip="every layer trainable, nothing cut")
        self.reset_button.on_click(lambda _: self.reset())
        self.image = w.Image(format="png")
        self.summary = w.HTML()
        # what a click changes, beside the checkboxes: below the figure it sat ~900 px under them
        self.status = w.HTML(layout=w.Layout(margin="0 0 0 24px"))
        self.widget = w.VBox([w.HTML("<b>Gradient-flow explorer</b>: tick and untick, the graph is rebuilt "
                                     "on every change."),
                              w.HBox([w.VBox([*rows, self.reset_button]), self.status]),
                              w.HBox([self.image]), self.summary])
        self._busy = False
        self.refresh()

    def _on_change(self, change) -> None:
        if self._busy:
            return
        for name, boxes in self.controls.items():
            self.lab.set(name, **{toggle: box.value for toggle, box in boxes.items()})
        self.refresh()

    def set(self, layer: str, **toggles: bool) -> "FlowExplorer":
        """Set toggles from Python, through the checkboxes (as a click would)."""
        self._busy = True
        try:
            for toggle, value in toggles.items():
                self.controls[layer][toggle].value = bool(value)
        finally:
            self._busy = False
        self._on_change(None)
        return self

    def reset(self) -> None:
        self._busy = True
        try:
            for boxes in self.controls.values():
                boxes["requires_grad"].value, boxes["detach"].value, boxes["no_grad"].value = True, False, False
        finally:
            self._busy = False
        self._on_change(None)

    def refresh(self) -> None:
        """Rerun the lab and redraw the figure and the summary."""
        self.lab.run()
        self._drawing = self.lab.drawing()
        self.image.value = self._drawing.png(quick=True)
        self.summary.value = pre_html(self.lab.text())
        self.status.value = pre_html(self.lab.result.status())

    @property
    def text(self) -> str:
        return self.lab.text()

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_())
        bundle["text/plain"] = self.lab.text()
        bundle["image/png"] = _png_b64(self._drawing)
        return bundle

    def __repr__(self) -> str:
        return self.lab.text()


def explore_flow(*, frozen: Iterable[str] = (), detach_after: Iterable[str] = (), no_grad: Iterable[str] = (),
                 sizes=(4, 8, 8, 8, 4), relu: bool = False, seed: int = 0) -> FlowExplorer:
    """A gradient-flow explorer, starting from the given toggles. End a notebook cell with it."""
    lab = FlowLab(sizes=sizes, seed=seed, relu=relu)
    for name in frozen:
        lab.set(name, requires_grad=False)
    for name in detach_after:
        lab.set(name, detach=True)
    for name in no_grad:
        lab.set(name, no_grad=True)
    return FlowExplorer(lab)
