"""How many bytes does autograd keep alive for backward?

Every operation that needs an input (or output) to compute its gradient saves it on the graph.
:class:`SavedTensors` watches this with ``torch.autograd.graph.saved_tensors_hooks`` during a
forward pass and adds up the bytes of the distinct storages saved. It measures what the graph
holds, whatever the device, without relying on an allocator's statistics.
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

import torch

from .graph import Graph, build_graph
from .walk import named_tensors


def _storage_key(t: torch.Tensor) -> tuple[int, int]:
    storage = t.untyped_storage()
    return storage.data_ptr(), storage.nbytes()


class SavedTensors:
    """Context manager: ``with SavedTensors() as saved: loss = model(x).sum()``; then ``saved.bytes``.

    * ``bytes``: the distinct storages autograd saved during the block (what recording cost);
    * ``alive_bytes``: of those, the ones a graph still holds now (after the block);
    * ``count``: how many times a tensor was saved (one storage can be saved by several nodes).

    The hook stores a ``detach()``-ed view (same storage and version counter) rather than the
    tensor itself: saving an output in its own ``grad_fn`` would make a reference cycle that keeps
    the graph alive. During the block every saved storage is held, so the allocator cannot hand
    the same address to a new tensor and two storages are never counted as one.

    ``exclude=`` takes modules or tensors whose storage should not count (for example a model's
    parameters, which exist anyway), so that ``bytes`` is the extra memory the graph holds.
    """

    def __init__(self, exclude=()):
        self._excluded = _excluded_storages(exclude)
        # one entry per distinct storage: its size and weak references to the tensors saved on it
        self._entries: list[tuple[int, list[weakref.ref]]] = []
        self._index: dict[tuple[int, int], int] = {}  # storage key -> entry index
        self._hold: list[torch.Tensor] = []  # keeps saved storages alive during the block
        self.count = 0

    def _pack(self, t: torch.Tensor) -> torch.Tensor:
        self.count += 1
        saved = t.detach()
        key = _storage_key(t)
        if key[0] in self._excluded:
            return saved
        self._hold.append(saved)
        if key not in self._index:
            self._index[key] = len(self._entries)
            self._entries.append((key[1], []))
        self._entries[self._index[key]][1].append(weakref.ref(saved))
        return saved

    def __enter__(self) -> "SavedTensors":
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._hooks.__exit__(*exc)
        self._hold.clear()

    @property
    def bytes(self) -> int:
        return sum(size for size, _ in self._entries)

    @property
    def alive_bytes(self) -> int:
        return sum(size for size, refs in self._entries if any(ref() is not None for ref in refs))


class Footprint(NamedTuple):
    nodes: int  # backward nodes reachable from the output (AccumulateGrad included)
    bytes: int  # distinct storages those nodes still hold for backward


def _excluded_storages(exclude) -> set[int]:
    return {t.untyped_storage().data_ptr() for t in named_tensors(exclude, buffers=True).values()}


def graph_footprint(output: torch.Tensor, exclude=()) -> Footprint:
    """What the graph behind ``output`` holds right now: ``(nodes, bytes)``.

    Walks ``grad_fn`` the way ``backward`` would and adds up the distinct storages its nodes saved.
    Unlike :class:`SavedTensors`, which counts what a forward pass saved, this counts only what a
    backward from ``output`` would still use: pieces cut off by ``detach`` or ``no_grad`` are not
    in it, and after a backward without ``retain_graph`` it is 0 bytes. ``exclude`` as for SavedTensors.
    """
    return footprint_of(build_graph(output), exclude)


def footprint_of(graph: Graph, exclude=()) -> Footprint:
    """:func:`graph_footprint` of a graph already built by :func:`gradflow.build_graph`."""
    return Footprint(graph.n_functions, sum(graph.saved_storages(exclude).values()))


def saved_bytes(fn, *args, exclude=(), **kwargs) -> int:
    """Bytes autograd saves while running ``fn(*args, **kwargs)`` (see :class:`SavedTensors`)."""
    with SavedTensors(exclude=exclude) as saved:
        fn(*args, **kwargs)
    return saved.bytes


def kib(n_bytes: int) -> str:
    """Bytes as a short, stable text: '12.5 KiB'."""
    return f"{n_bytes / 1024:.1f} KiB"
