"""The one walk over an autograd graph, and the one way to name tensors; the rest of gradflow builds on them.

* :func:`walk` visits each backward node reachable from some tensors once, the way ``backward`` would;
* :func:`saved_tensors` lists the tensors one backward node saved for its gradient (none once freed);
* :func:`named_tensors` turns what a caller passes as ``names=`` / ``exclude=`` / a tracker's source
  (a module, a tensor, a dict of either, or a list of those) into one ``name -> tensor`` dict.
"""

from __future__ import annotations

from typing import Iterator

import torch


def walk(*roots: torch.Tensor) -> Iterator:
    """Every backward node reachable from ``roots`` (``AccumulateGrad`` included), each once, depth first."""
    seen: set[int] = set()
    stack = [t.grad_fn for t in reversed(roots) if t.grad_fn is not None]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        yield fn
        stack.extend(nxt for nxt, _ in reversed(fn.next_functions) if nxt is not None and id(nxt) not in seen)


def saved_tensors(fn) -> list[torch.Tensor]:
    """The tensors the backward node ``fn`` saved (``_saved_*`` attributes, lists included); empty once freed."""
    found = []
    for attr in dir(fn):
        if not attr.startswith("_saved_"):
            continue
        try:
            value = getattr(fn, attr)
        except RuntimeError:  # freed by a backward without retain_graph
            continue
        found.extend(v for v in (value if isinstance(value, (tuple, list)) else [value]) if isinstance(v, torch.Tensor))
    return found


def named_tensors(source, *, buffers: bool = False, prefix: str = "") -> dict[str, torch.Tensor]:
    """``name -> tensor`` from a module (its parameters, and buffers if asked), a tensor, a dict of either
    (a module's names get the key as prefix: ``{"G": G}`` -> ``G.net.0.weight``) or a list of those."""
    if source is None:
        return {}
    if isinstance(source, torch.nn.Module):
        pairs = [*source.named_parameters(), *(source.named_buffers() if buffers else [])]
        return {f"{prefix}.{n}" if prefix else n: t for n, t in pairs}
    if isinstance(source, torch.Tensor):
        return {prefix or "tensor": source}
    named: dict[str, torch.Tensor] = {}
    if isinstance(source, dict):
        for key, item in source.items():
            named.update(named_tensors(item, buffers=buffers, prefix=f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(source, (list, tuple)):
        for i, item in enumerate(source):  # a bare tensor in a list is named by its place
            inner = prefix or f"[{i}]" if isinstance(item, torch.Tensor) else prefix
            named.update(named_tensors(item, buffers=buffers, prefix=inner))
    return named
