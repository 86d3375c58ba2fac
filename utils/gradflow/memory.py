"""How many bytes does autograd keep alive for backward?

Every operation that needs an input (or output) to compute its gradient saves it on the graph.
:class:`SavedTensors` watches this with ``torch.autograd.graph.saved_tensors_hooks`` during a
forward pass and adds up the bytes of the distinct storages saved. It measures what the graph
holds, whatever the device, without relying on an allocator's statistics.
"""

from __future__ import annotations

import torch


def _storage_key(t: torch.Tensor) -> tuple[int, int]:
    storage = t.untyped_storage()
    return storage.data_ptr(), storage.nbytes()


class SavedTensors:
    """Context manager: ``with SavedTensors() as saved: loss = model(x).sum()``; then ``saved.bytes``.

    ``exclude=`` takes modules or tensors whose storage should not count (for example a model's
    parameters, which exist anyway), so that ``bytes`` is the extra memory the graph holds.
    """

    def __init__(self, exclude=()):
        items = exclude if isinstance(exclude, (list, tuple)) else [exclude]
        self._excluded: set[tuple[int, int]] = set()
        for item in items:
            tensors = list(item.parameters()) + list(item.buffers()) if isinstance(item, torch.nn.Module) else [item]
            self._excluded.update(_storage_key(t) for t in tensors)
        self._storages: dict[tuple[int, int], int] = {}
        self.count = 0  # how many times a tensor was saved (one storage can be saved many times)

    def _pack(self, t: torch.Tensor) -> torch.Tensor:
        self.count += 1
        key = _storage_key(t)
        if key not in self._excluded:
            self._storages[key] = key[1]
        return t

    def __enter__(self) -> "SavedTensors":
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._hooks.__exit__(*exc)

    @property
    def bytes(self) -> int:
        return sum(self._storages.values())


def saved_bytes(fn, *args, exclude=(), **kwargs) -> int:
    """Bytes autograd saves while running ``fn(*args, **kwargs)`` (see :class:`SavedTensors`)."""
    with SavedTensors(exclude=exclude) as saved:
        fn(*args, **kwargs)
    return saved.bytes


def kib(n_bytes: int) -> str:
    """Bytes as a short, stable text: '12.5 KiB'."""
    return f"{n_bytes / 1024:.1f} KiB"
