"""Which parameters (and buffers) did a training step change?

Seed 002 checks this by hand: store ``param.detach().clone()`` for every parameter, train, compare.
:class:`ParamTracker` does the same in one line, and does it right: the snapshot is a *copy*
(``detach().clone()``), never a view that shares storage with the live parameter, so it cannot be
fooled into reporting "unchanged" after an in-place optimizer step.
"""

from __future__ import annotations

import torch

from .walk import named_tensors


class ParamTracker:
    """Snapshot tensors now; later, report which of them changed.

    ``ParamTracker(model)`` tracks a module's parameters and buffers (BatchNorm's running
    statistics and its ``num_batches_tracked`` counter included). ``ParamTracker({"G": gen, "D": disc})`` prefixes names.
    """

    def __init__(self, source, *, buffers: bool = True):
        self._live = named_tensors(source, buffers=buffers)
        self._before = {name: t.detach().clone() for name, t in self._live.items()}

    def change(self) -> dict[str, float]:
        """name -> largest absolute change of any element since the snapshot."""
        return {name: (t.detach().double() - self._before[name].double()).abs().max().item() if t.numel() else 0.0
                for name, t in self._live.items()}

    def changed(self) -> list[str]:
        return [name for name, delta in self.change().items() if delta > 0]

    def unchanged(self) -> list[str]:
        return [name for name, delta in self.change().items() if delta == 0]

    def report(self) -> str:
        width = max(len(n) for n in self._live) if self._live else 4
        lines = [f"{'tensor':<{width}}  changed  max |change|"]
        for name, delta in self.change().items():
            lines.append(f"{name:<{width}}  {'yes' if delta > 0 else 'no ':<7}  {delta:.3g}")
        return "\n".join(lines)

    def print(self) -> None:
        print(self.report())

    def reset(self) -> None:
        """Take a new snapshot now."""
        self._before = {name: t.detach().clone() for name, t in self._live.items()}
