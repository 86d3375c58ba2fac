"""Watch a few steps of your own training loop and say, with evidence, where gradients flow and what moves.

    with gradflow.audit(model, optimizer) as a:
        for x, y in batches:               # one to a few training steps, written as usual
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
    a                                      # a table in Jupyter, text in a terminal
    a.findings                             # the same as data: a list of Finding

or ``audit_step(step, model, optimizer, steps=3)`` around a function that does one step.

What it watches, and how (none of it changes a value the loop computes):

* a snapshot of every parameter and buffer on entry (:class:`gradflow.ParamTracker`), compared on exit;
* a hook on every trainable parameter: which ``backward`` reached it, whether its gradient was finite, and
  whether the ``.grad`` it adds to was left over from before the last update (a tensor's version counter
  says whether it was zeroed or updated, so no value is read for that);
* ``torch.autograd.backward`` (which ``Tensor.backward`` calls) wrapped to number the backward passes and to
  hook the graph's nodes (to name the node where a gradient first stops being finite);
* forward hooks on the modules that own parameters, and on dropout and batch-norm layers: grad mode, which
  inputs were cut from their graph, and weak references to the activations, which a kept graph holds alive;
* a step hook on each optimizer, to count updates.

Every hook and the wrapper are removed on exit (also when the block raises), the snapshots are dropped, and
the report keeps names and numbers only, so nothing is left running or held after the ``with`` block.
"""

from __future__ import annotations

import html
import weakref
from dataclasses import dataclass, field

import torch
from torch import nn

from .tracker import ParamTracker
from .walk import named_tensors, walk

SEVERITIES = ("error", "warning", "info")

#: kind -> (field-guide family, lesson that explains the mechanism); a few kinds pick the lesson by reason
KINDS = {
    "no_gradient": ("guide/01_no_gradient.ipynb", "lessons/00_autograd_refresher.ipynb"),
    "frozen_moved": ("guide/02_parameters_move.ipynb", "lessons/07_optimizer_exclusion.ipynb"),
    "not_in_optimizer": ("guide/02_parameters_move.ipynb", "lessons/07_optimizer_exclusion.ipynb"),
    "stale_optimizer": ("guide/12_copies.ipynb", "lessons/05_clone.ipynb"),
    "in_two_groups": ("guide/02_parameters_move.ipynb", "lessons/07_optimizer_exclusion.ipynb"),
    "grad_accumulated": ("guide/05_step_order.ipynb", "lessons/00_autograd_refresher.ipynb"),
    "graph_kept_alive": ("guide/04_graph_lifetime.ipynb", "lessons/06_retain_graph.ipynb"),
    "frozen_stats_update": ("guide/06_train_eval.ipynb", "lessons/02_requires_grad.ipynb"),
    "train_mode_eval": ("guide/06_train_eval.ipynb", "lessons/03_no_grad.ipynb"),
    "nonfinite_grad": ("guide/07_numerical.ipynb", "lessons/00_autograd_refresher.ipynb"),
    "flags_changed": ("guide/01_no_gradient.ipynb", "lessons/02_requires_grad.ipynb"),
    "ddp_unused": ("guide/10_wrappers.ipynb", "lessons/00_autograd_refresher.ipynb"),
    "shared_storage": ("guide/12_copies.ipynb", "lessons/05_clone.ipynb"),
}

_LESSON_BY_REASON = {"frozen": "lessons/02_requires_grad.ipynb", "no_grad": "lessons/03_no_grad.ipynb",
                     "detached": "lessons/01_detach.ipynb", "unreached": "lessons/00_autograd_refresher.ipynb",
                     "grad_mode": "lessons/03_no_grad.ipynb"}


@dataclass
class Finding:
    """One thing the audit found: what, how bad, on which parameters or modules, the evidence, why, what to do."""

    kind: str
    severity: str  # "error", "warning" or "info"
    params: list[str]
    modules: list[str]
    evidence: str
    cause: str
    fix: str
    guide: str = ""
    lesson: str = ""

    def __post_init__(self):
        guide, lesson = KINDS[self.kind]
        self.guide = self.guide or guide
        self.lesson = self.lesson or lesson

    @property
    def where(self) -> str:
        names = self.params or self.modules
        if not names:
            return "the whole run"
        return ", ".join(names[:6]) + (f" (+{len(names) - 6} more)" if len(names) > 6 else "")

    def text(self) -> str:
        return (f"[{self.severity}] {self.kind}: {self.where}\n  evidence: {self.evidence}\n  cause: {self.cause}\n"
                f"  fix: {self.fix}\n  see: {self.guide}, {self.lesson}")


@dataclass
class ParamRow:
    """One parameter as the audit saw it."""

    name: str
    trainable: bool  # requires_grad on entry
    reached: int  # backward passes that gave it a gradient
    moved: float  # largest absolute change over the block
    optimizer: str  # "opt 0 group 1", or "" when no optimizer holds it


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _models(model) -> dict[str, nn.Module]:
    """A module, a dict of modules (names become prefixes, as for ParamTracker) or a list of modules."""
    if isinstance(model, nn.Module):
        return {"": model}
    if isinstance(model, dict):
        return {str(k): m for k, m in model.items()}
    if isinstance(model, (list, tuple)):
        return {f"[{i}]": m for i, m in enumerate(model)}
    raise TypeError(f"audit() watches a module, a dict or a list of modules, not {type(model).__name__}")


def _prefixed(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix and name else prefix or name


def _first_tensor(value):
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        return next((t for t in map(_first_tensor, value) if t is not None), None)
    if isinstance(value, dict):
        return next((t for t in map(_first_tensor, value.values()) if t is not None), None)
    return None


def _tensors(args):
    for a in args:
        if isinstance(a, torch.Tensor):
            yield a
        elif isinstance(a, (tuple, list)):
            yield from _tensors(a)


def _finite(g: torch.Tensor) -> bool:
    """Whether every element is finite: one sum (no bool tensor), and the exact check only if the sum is not."""
    return bool(torch.isfinite(g.sum())) or bool(torch.isfinite(g).all())


_STATS = (nn.modules.batchnorm._BatchNorm,)
_DROPOUT = (nn.modules.dropout._DropoutNd,)


@dataclass
class _ModuleLog:
    calls: int = 0
    calls_no_grad: int = 0
    grad_outputs: int = 0  # calls whose output required grad
    eval_passes: int = 0  # calls in training mode with grad disabled (dropout / batch norm only)


class Audit:
    """The context manager :func:`audit` returns; after the block it is the report (see the module's doc)."""

    def __init__(self, model, optimizer=None, *, accumulate: bool = False, check_finite: bool = True):
        self._models = _models(model)
        if optimizer is None:
            self._optimizers = []
        elif isinstance(optimizer, torch.optim.Optimizer):
            self._optimizers = [optimizer]
        else:
            self._optimizers = list(optimizer)
        self.accumulate = accumulate
        self.check_finite = check_finite
        self.findings: list[Finding] = []
        self.unseen: list[str] = []
        self.params: list[ParamRow] = []
        self.backwards = 0
        self.updates = 0
        self.forwards = 0
        self._active = False
        self._done = False

    # ------------------------------------------------------------------ watching
    def __enter__(self) -> "Audit":
        if self._active or self._done:
            raise RuntimeError("an audit watches one block; make a new gradflow.audit(...) for the next")
        self._active = True
        self._named = {}  # name -> parameter (each parameter once, under its first name)
        self._owner = {}  # name -> module name owning it directly
        self._group = {}  # name -> model key (for the DDP check)
        self._modules: dict[str, nn.Module] = {}
        for key, m in self._models.items():
            for mname, mod in m.named_modules():
                full = _prefixed(key, mname) or type(mod).__name__
                self._modules.setdefault(full, mod)
                for pname, p in mod.named_parameters(recurse=False):
                    name = _prefixed(key, _prefixed(mname, pname))
                    if all(p is not q for q in self._named.values()):
                        self._named[name] = p
                        self._owner[name] = full
                        self._group[name] = key
        self._ids = {id(p): n for n, p in self._named.items()}
        self._trainable0 = {n: p.requires_grad for n, p in self._named.items()}
        self._grad_mode0 = torch.is_grad_enabled()
        self._stat_buffers = {f"{m}.running_mean": mod.running_mean for m, mod in self._modules.items()
                              if isinstance(mod, _STATS) and mod.running_mean is not None}
        self._tracker = ParamTracker({**self._named, **self._stat_buffers})
        self._reached: dict[str, set[int]] = {n: set() for n in self._named}
        self._last_grad: dict[str, tuple] = {}
        self._carried: set[str] = set()
        self._pending: dict[str, int | None] = {}
        self._stale_grad_frozen: set[str] = set()
        self._boundaries = 0
        self._nonfinite: list[str] = []
        self._nonfinite_node: str | None = None
        self._nonfinite_backward = 0
        self._in_backward = False
        self._hit = False
        self._logs: dict[str, _ModuleLog] = {}
        self._outs: dict[int, tuple[str, weakref.ref]] = {}  # address -> (module, storage of its output needing grad)
        self._cuts: dict[str, str] = {}  # module -> the module that got its output detached
        self._acts: list[tuple[int, weakref.ref]] = []  # (update count when made, activation)
        self._alive: list[int] = []  # bytes of earlier steps' activations alive at each update
        self._handles = []
        self._module_handles: dict[str, list] = {}
        self._step_state: dict[str, dict] = {}
        for name, p in self._named.items():
            if p.requires_grad:
                self._handles.append(p.register_hook(self._grad_hook(name, p)))
                self._handles.append(p.register_post_accumulate_grad_hook(self._accumulated_hook(name)))
        owners = set(self._owner.values())
        for mname, mod in self._modules.items():
            if mname in owners or isinstance(mod, _STATS + _DROPOUT):
                self._logs[mname] = _ModuleLog()
                self._module_handles[mname] = [mod.register_forward_pre_hook(self._pre_forward(mname, mod)),
                                               mod.register_forward_hook(self._post_forward(mname))]
        for opt in self._optimizers:
            self._handles.append(opt.register_step_pre_hook(self._before_update))
            self._handles.append(opt.register_step_post_hook(self._after_update))
        self._original_backward = torch.autograd.backward
        torch.autograd.backward = self._backward
        return self

    def __exit__(self, *exc) -> bool:
        torch.autograd.backward = self._original_backward
        for h in self._handles:
            h.remove()
        for hs in self._module_handles.values():
            for h in hs:
                h.remove()
        self._handles, self._module_handles = [], {}
        self._active, self._done = False, True
        try:
            self._analyse()
        finally:
            self._tracker = None
            self._named, self._acts, self._logs, self._outs = {}, [], {}, {}
        return False

    def _grad_hook(self, name: str, p: torch.Tensor):
        def hook(grad):
            if not self._in_backward:
                return None
            self._reached[name].add(self.backwards)
            self._hit = True
            pending = self._pending.get(name)
            if pending is not None and pending != p._version:
                self._carried.add(name)  # the parameter was updated while its .grad held a carried sum
            g = p.grad
            last = self._last_grad.get(name)
            if g is not None and last is not None and last[:2] == (id(g), g._version) and last[2] != p._version:
                self._pending[name] = p._version  # adds to a .grad left from before the last update
            else:
                self._pending[name] = None
            # every gradient a parameter gets came out of a graph node the node hooks checked: read it only
            # once a node has produced a non-finite gradient
            if self._nonfinite_node is not None and not self._nonfinite_backward and not _finite(grad):
                self._nonfinite.append(name)
            return None
        return hook

    def _accumulated_hook(self, name: str):
        def hook(p):
            if self._in_backward and p.grad is not None:
                self._last_grad[name] = (id(p.grad), p.grad._version, p._version)
        return hook

    def _before_update(self, optimizer, *args, **kwargs):
        for group in optimizer.param_groups:
            for p in group["params"]:
                name = self._ids.get(id(p))
                if name is None or p.grad is None:
                    continue
                if not self._trainable0[name]:
                    self._stale_grad_frozen.add(name)
                last = self._last_grad.get(name)
                unzeroed = last is not None and last[:2] == (id(p.grad), p.grad._version)
                if self._pending.get(name) is not None and unzeroed:
                    self._carried.add(name)

    def _pre_forward(self, mname: str, mod: nn.Module):
        log_stats = isinstance(mod, _STATS + _DROPOUT)

        def hook(module, args):
            log = self._logs[mname]
            log.calls += 1
            enabled = torch.is_grad_enabled()
            if not enabled:
                log.calls_no_grad += 1
                if log_stats and module.training and (not isinstance(module, _DROPOUT) or module.p > 0):
                    log.eval_passes += 1
            for t in _tensors(args):
                if t.requires_grad:
                    if t.grad_fn is not None:
                        self._acts.append((self._boundaries, weakref.ref(t)))
                elif self._outs and t.is_floating_point():
                    ptr = t.untyped_storage().data_ptr()
                    producer = self._outs.get(ptr)
                    live = producer[1]() if producer else None
                    # the very storage of another module's output that required grad (still alive, so not an address
                    # reused after a free), now in a tensor that does not require grad: cut by detach
                    if live is not None and live.data_ptr() == ptr and producer[0] != mname:
                        self._cuts.setdefault(producer[0], mname)
            return None
        return hook

    def _post_forward(self, mname: str):
        def hook(module, args, output):
            t = _first_tensor(output)
            if t is not None and t.requires_grad:
                self._logs[mname].grad_outputs += 1
                storage = t.untyped_storage()
                self._outs[storage.data_ptr()] = (mname, weakref.ref(storage))
            return None
        return hook

    def _after_update(self, *args, **kwargs):
        self.updates += 1
        self._boundary()

    def _boundary(self):
        """End of a step (an optimizer step, or a backward when no optimizer is watched): how many bytes of
        activations made before the previous boundary are still held (by a graph, or by your code)."""
        self._boundaries += 1
        seen, alive = set(), 0
        kept = []
        for made, ref in self._acts:
            t = ref()
            if t is None:
                continue
            kept.append((made, ref))
            if made < self._boundaries - 1:
                ptr = t.untyped_storage().data_ptr()
                if ptr not in seen:
                    seen.add(ptr)
                    alive += t.untyped_storage().nbytes()
        self._acts = kept
        self._outs = {ptr: entry for ptr, entry in self._outs.items() if entry[1]() is not None}
        self._alive.append(alive)

    def _backward(self, tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
                  inputs=None):
        self.backwards += 1
        handles = []
        if self.check_finite and not self._nonfinite_backward:
            roots = [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)
            for fn in walk(*[t for t in roots if isinstance(t, torch.Tensor)]):
                if type(fn).__name__ != "AccumulateGrad":
                    handles.append(fn.register_hook(self._node_hook(type(fn).__name__)))
        outer, self._in_backward = self._in_backward, True
        hit, self._hit = self._hit, False
        node_before = self._nonfinite_node
        try:
            return self._original_backward(tensors, grad_tensors, retain_graph, create_graph, grad_variables,
                                           inputs=inputs)
        finally:
            self._in_backward = outer
            for h in handles:
                h.remove()
            if not self._hit:  # a backward of some other model: not one of the watched steps
                self.backwards -= 1
                self._nonfinite_node = node_before
            self._hit = hit or self._hit
            if self._nonfinite and not self._nonfinite_backward:
                self._nonfinite_backward = self.backwards
            if not self._optimizers and self._hit:
                self._boundary()

    def _node_hook(self, name: str):
        def hook(grad_inputs, grad_outputs):
            # nodes run in topological order, so the first one to hand out a non-finite gradient made it,
            # unless what it received was already non-finite (an external gradient or a hook)
            if self._nonfinite_node is None and not all(g is None or _finite(g) for g in grad_inputs):
                made = all(g is None or _finite(g) for g in grad_outputs)
                self._nonfinite_node = name if made else "the gradient passed to backward"
            return None
        return hook

    # ------------------------------------------------------------------ the report
    def _add(self, kind, severity, params, modules, evidence, cause, fix, lesson=""):
        self.findings.append(Finding(kind, severity, sorted(params) if params else [], modules or [], evidence,
                                     cause, fix, lesson=lesson))

    def _analyse(self) -> None:
        change = self._tracker.change()
        pchange = {name: change[name] for name in self._named}
        holders = self._holders()
        self.params = [ParamRow(n, self._trainable0[n], len(self._reached[n]), pchange[n],
                                ", ".join(f"opt {i} group {j}" for i, j in holders.get(id(p), [])))
                       for n, p in self._named.items()]
        if not self.backwards:
            self.unseen.append("no backward ran inside the block: which parameters get gradients was not seen")
        if not self._optimizers:
            self.unseen.append("no optimizer given: which parameters an optimizer holds, and its update mechanism, "
                               "were not checked")
        elif not self.updates:
            self.unseen.append("no optimizer step ran inside the block: updates were not seen")
        self._check_no_gradient()
        self._check_ddp()
        self._check_frozen_moved(pchange, holders)
        self._check_optimizers(holders)
        self._check_accumulation()
        self._check_graph_growth()
        self._check_stats(change)
        self._check_nonfinite()
        self._check_flags()
        self._check_shared()
        order = {s: i for i, s in enumerate(SEVERITIES)}
        self.findings.sort(key=lambda f: order[f.severity])

    def _holders(self) -> dict[int, list[tuple[int, int]]]:
        holders: dict[int, list[tuple[int, int]]] = {}
        for i, opt in enumerate(self._optimizers):
            for j, group in enumerate(opt.param_groups):
                for p in group["params"]:
                    holders.setdefault(id(p), []).append((i, j))
        return holders

    def _check_no_gradient(self) -> None:
        if not self.backwards:
            return
        frozen = [n for n in self._named if not self._trainable0[n]]
        if frozen:
            self._add("no_gradient", "info", frozen, sorted({self._owner[n] for n in frozen}),
                      f"requires_grad=False on entry; no backward gave them a gradient ({self.backwards} watched)",
                      "they are frozen, so autograd gives them no gradient",
                      "nothing, if you meant to freeze them; otherwise requires_grad_(True) before the step",
                      lesson=_LESSON_BY_REASON["frozen"])
        missing = [n for n in self._named if self._trainable0[n] and not self._reached[n]]
        groups: dict[tuple, list[str]] = {}
        for n in missing:
            m = self._owner[n]
            log = self._logs.get(m, _ModuleLog())
            if not self._grad_mode0:
                reason = ("grad_mode", m, "")
            elif log.calls == 0:
                reason = ("unreached", m, "")
            elif log.calls_no_grad == log.calls:
                reason = ("no_grad", m, "")
            else:
                reason = ("detached", m, self._cuts.get(m, ""))
            groups.setdefault(reason, []).append(n)
        for (reason, m, consumer), names in groups.items():
            seen = f"no backward of the {self.backwards} watched reached them"
            if reason == "grad_mode":
                ev, cause = (f"{seen}; grad mode was off when the block began",
                             "the block ran with gradient recording off (inside no_grad or set_grad_enabled(False))")
                fix = "run the training step outside torch.no_grad(); restore grad mode after evaluation"
            elif reason == "unreached":
                ev = f"{seen}; module {m} never ran in a forward pass inside the block"
                cause = f"{m} is not used by the forward that makes the loss, so the loss does not depend on it"
                fix = (f"call {m} in forward (or delete it); if it is used only on some steps, see ddp_unused")
            elif reason == "no_grad":
                ev = f"{seen}; module {m} ran {self._logs[m].calls} time(s), every time with grad mode off"
                cause = f"{m} ran inside torch.no_grad() (or inference_mode), so no graph links it to the loss"
                fix = f"run {m} with grad mode on during the training forward (no_grad only around evaluation)"
            elif consumer:
                ev = (f"{seen}; {m}'s output required grad, then reached {consumer} as an input that did not "
                      f"(same storage: cut by detach() between {m} and {consumer})")
                cause = f"the path from the loss back to {m} is cut by a detach() between {m} and {consumer}"
                fix = f"remove the detach() (or .data) between {m} and {consumer}"
            else:
                ev = (f"{seen}; {m} ran with grad mode on and its output required grad, but the loss's graph "
                      f"does not lead back to it")
                cause = (f"{m}'s output was cut from the loss (a detach(), .data, .item() or .numpy() after {m}) "
                         f"or not used in the loss")
                fix = f"keep {m}'s output in the graph up to the loss: remove the cut, or add its term to the loss"
            lesson = _LESSON_BY_REASON[reason]
            self._add("no_gradient", "warning", names, [m], ev, cause, fix, lesson=lesson)

    def _check_ddp(self) -> None:
        if self.backwards < 2:
            if self.backwards:
                self.unseen.append("one backward watched: parameters used on some steps only (DDP's unused "
                                   "parameters) need two or more")
            return
        never = {n for n in self._named if self._trainable0[n] and not self._reached[n]}
        skipped: dict[str, list[int]] = {}
        for b in range(1, self.backwards + 1):
            for key in set(self._group.values()):
                names = [n for n, g in self._group.items() if g == key and self._trainable0[n]]
                if any(b in self._reached[n] for n in names):
                    for n in names:
                        if b not in self._reached[n] and n not in never:
                            skipped.setdefault(n, []).append(b)
        if skipped:
            passes = sorted({b for bs in skipped.values() for b in bs})
            self._add("ddp_unused", "warning", list(skipped), sorted({self._owner[n] for n in skipped}),
                      f"backward pass(es) {', '.join(map(str, passes))} of {self.backwards} reached other parameters "
                      f"of the same model but not these",
                      "they are used on some steps only; DistributedDataParallel (find_unused_parameters=False) "
                      "stops with an error on the first step that skips them",
                      "use them on every step (add 0 * their output to the loss), or wrap the model with "
                      "find_unused_parameters=True")

    def _check_frozen_moved(self, pchange, holders) -> None:
        moved = [n for n, p in self._named.items() if not self._trainable0[n] and pchange[n] > 0]
        if not moved:
            return
        by_mechanism: dict[str, list[str]] = {}
        for n in moved:
            p = self._named[n]
            where = holders.get(id(p), [])
            if not where:
                sharing = [o for o, q in self._named.items() if o != n and q.untyped_storage().data_ptr()
                           == p.untyped_storage().data_ptr()]
                mech = (f"shares its storage with {sharing[0]}, which was updated" if sharing else
                        "an in-place write outside any optimizer (.data, copy_, an EMA update, a load)")
            else:
                i, j = where[0]
                opt = self._optimizers[i]
                group, state = opt.param_groups[j], opt.state.get(p, {})
                parts = []
                if group.get("weight_decay", 0):
                    parts.append(f"weight decay (weight_decay={group['weight_decay']:g})")
                if "momentum_buffer" in state and state["momentum_buffer"] is not None:
                    parts.append("momentum (a momentum buffer from earlier steps)")
                if "exp_avg" in state:
                    parts.append("Adam's running averages (exp_avg from earlier steps)")
                mech = (f"opt {i} ({type(opt).__name__}) still updates it through " + " and ".join(parts)
                        if parts else f"opt {i} ({type(opt).__name__}) still updates it")
                if n in self._stale_grad_frozen:
                    mech += ("; its .grad was not None at a step (left from before it was frozen), so the optimizer "
                             "did not skip it")
            by_mechanism.setdefault(mech, []).append(n)
        for mech, names in by_mechanism.items():
            biggest = max(pchange[n] for n in names)
            in_opt = "opt " in mech
            self._add("frozen_moved", "error", names, sorted({self._owner[n] for n in names}),
                      f"requires_grad=False, yet max |change| = {_fmt(biggest)} over the block; {mech}",
                      "freezing stops gradients, not updates: " + ("an optimizer that holds a frozen parameter "
                                                                   "with a non-None .grad still moves it" if in_opt
                                                                   else "something else wrote to it"),
                      ("take them out of the optimizer (build it from the trainable parameters), or set their .grad "
                       "to None (zero_grad(set_to_none=True)) after freezing" if in_opt else
                       "find the write: no .data or copy_ on frozen weights, and untie storage with clone()"))

    def _check_optimizers(self, holders) -> None:
        if not self._optimizers:
            return
        missing = [n for n, p in self._named.items() if self._trainable0[n] and id(p) not in holders]
        if missing:
            self._add("not_in_optimizer", "warning", missing, sorted({self._owner[n] for n in missing}),
                      f"requires_grad=True, reached by {sum(bool(self._reached[n]) for n in missing)} of them "
                      f"by a backward; in no param_group of the {len(self._optimizers)} optimizer(s) watched",
                      "autograd computes their gradients but no optimizer holds them, so they never train",
                      "add them to the optimizer (or a param group), or freeze them with requires_grad_(False)")
        stale = []
        for i, opt in enumerate(self._optimizers):
            for j, group in enumerate(opt.param_groups):
                for k, p in enumerate(group["params"]):
                    if id(p) not in self._ids:
                        stale.append(f"opt {i} group {j} param {k} {list(p.shape)}")
        if stale:
            self._add("stale_optimizer", "warning", [], stale,
                      f"{len(stale)} tensor(s) in the optimizer are not parameters of the watched model "
                      f"(compared by identity): {', '.join(stale[:3])}",
                      "the optimizer holds other tensors: made before the model was rebuilt, copied (deepcopy) "
                      "or reloaded, so its updates miss the live model",
                      "build the optimizer from the model you train, after the last rebuild or copy")
        twice = [self._ids.get(pid, f"a tensor in {where}") for pid, where in holders.items() if len(where) > 1]
        if twice:
            where = {self._ids.get(pid, "?"): w for pid, w in holders.items() if len(w) > 1}
            self._add("in_two_groups", "error", [n for n in twice if n in self._named], [],
                      "; ".join(f"{n} in " + " and ".join(f"opt {i} group {j}" for i, j in w)
                                for n, w in where.items()),
                      "the same parameter is updated once per group that holds it, each step",
                      "give every parameter to exactly one optimizer and group")

    def _check_accumulation(self) -> None:
        if not self._carried:
            return
        if self.accumulate:
            self.unseen.append("gradients carried across updates were declared intentional (accumulate=True)")
            return
        self._add("grad_accumulated", "warning", list(self._carried),
                  sorted({self._owner[n] for n in self._carried}),
                  "a backward added to a .grad left from before the last update (neither zeroed nor set to None "
                  "since: its version counter did not move)",
                  ".grad accumulates, and nothing zeroed it between updates, so each update uses the sum of "
                  "every earlier step's gradients",
                  "call optimizer.zero_grad() once per update (before backward or after step); if you accumulate "
                  "on purpose, declare it: gradflow.audit(..., accumulate=True)")

    def _check_graph_growth(self) -> None:
        alive = self._alive
        if len(alive) < 3:
            self.unseen.append(f"{len(alive)} step(s) watched: graph memory growing step over step needs three "
                               "(steps end at an optimizer step, or at a backward when no optimizer is given)")
            return
        if alive[-1] > alive[-2] > alive[-3]:
            self._add("graph_kept_alive", "warning", [], [],
                      "activations of earlier steps still held by a graph at each update: "
                      + ", ".join(f"{b / 1024:.1f} KiB" for b in alive),
                      "a tensor kept across steps (a running total, a list of outputs, a hidden state) holds the "
                      "graph behind it, and every step adds another",
                      "keep numbers with .item(), or detach() what you carry to the next step; evaluate under "
                      "torch.no_grad()")

    def _check_stats(self, change) -> None:
        updated, evals = [], []
        for m, log in self._logs.items():
            mod = self._modules[m]
            if isinstance(mod, _STATS) and mod.track_running_stats and mod.running_mean is not None:
                own = [n for n, o in self._owner.items() if o == m]
                if own and not any(self._trainable0[n] for n in own):
                    delta = change.get(f"{m}.running_mean", 0.0)
                    if delta > 0:
                        updated.append((m, delta))
            if log.eval_passes:
                evals.append((m, log.eval_passes))
        if updated:
            self._add("frozen_stats_update", "warning", [], [m for m, _ in updated],
                      "; ".join(f"{m}: weights frozen, running_mean moved by up to {_fmt(d)}" for m, d in updated),
                      "requires_grad=False freezes the weights, not the running statistics: in training mode "
                      "batch norm updates them on every forward",
                      "put the frozen layers in eval mode after every model.train(): e.g. "
                      "`for m in frozen.modules(): m.eval()` if they are batch norm")
        if evals:
            self._add("train_mode_eval", "warning", [], [m for m, _ in evals],
                      "; ".join(f"{m} ran {k} time(s) with grad mode off while in training mode" for m, k in evals),
                      "a forward with gradients off (an evaluation pass) ran with dropout / batch statistics active, "
                      "so it drops units at random or uses and updates batch statistics",
                      "call model.eval() before evaluating and model.train() after; no_grad does not change the mode")

    def _check_nonfinite(self) -> None:
        if not self.check_finite:
            self.unseen.append("check_finite=False: gradients were not checked for inf or nan")
            return
        if not self._nonfinite:
            return
        node = self._nonfinite_node
        self._add("nonfinite_grad", "error", self._nonfinite, sorted({self._owner[n] for n in self._nonfinite}),
                  f"backward pass {self._nonfinite_backward} gave them inf or nan; the first backward node whose "
                  + (f"output gradient stopped being finite: {node}" if node else
                     "gradient stopped being finite was not found among the loss's nodes (it came in through a "
                     "hook or an external gradient)"),
                  (f"{node} turned finite gradients into inf or nan" if node else "a non-finite gradient")
                  + " (a log, sqrt or division at 0, an overflow)",
                  "guard the operation (clamp its input, add eps, use a stable form such as logsumexp); "
                  "torch.autograd.detect_anomaly() names the forward line")

    def _check_flags(self) -> None:
        changed = [n for n, p in self._named.items() if p.requires_grad != self._trainable0[n]]
        if changed:
            self._add("flags_changed", "warning", changed, sorted({self._owner[n] for n in changed}),
                      "requires_grad on exit differs from on entry: "
                      + ", ".join(f"{n} {self._trainable0[n]} -> {not self._trainable0[n]}" for n in changed[:4]),
                      "the step changed requires_grad and did not set it back, so the next steps train other "
                      "parameters",
                      "set the flags back at the end of the step (or freeze once, before training)")
        if torch.is_grad_enabled() != self._grad_mode0:
            self._add("flags_changed", "warning", [], [],
                      f"grad mode was {self._grad_mode0} on entry and {torch.is_grad_enabled()} on exit",
                      "torch.set_grad_enabled(...) was called during the step and not restored",
                      "use `with torch.no_grad():` (it restores grad mode) instead of set_grad_enabled(False)",
                      lesson=_LESSON_BY_REASON["grad_mode"])

    def _check_shared(self) -> None:
        by_storage: dict[int, list[str]] = {}
        for n, p in self._named.items():
            if p.numel():
                by_storage.setdefault(p.untyped_storage().data_ptr(), []).append(n)
        for names in by_storage.values():
            if len(names) > 1:
                self._add("shared_storage", "warning", names, sorted({self._owner[n] for n in names}),
                          f"{len(names)} distinct parameters share one storage",
                          "they are separate leaves over the same memory: updating or freezing one does not "
                          "treat the other the same way, and an update of one moves the other",
                          "clone() one of them to untie them, or register one Parameter in both places to tie them")
        for key, m in self._models.items():
            seen: dict[int, str] = {}
            for name, p in m.named_parameters(remove_duplicate=False):
                full = _prefixed(key, name)
                if id(p) in seen and seen[id(p)] != full:
                    self._add("shared_storage", "info", [seen[id(p)], full], [],
                              f"{seen[id(p)]} and {full} are the same Parameter",
                              "tied weights: one tensor under two names, so freezing one freezes the other",
                              "nothing, if you meant to tie them; clone() to untie")
                seen.setdefault(id(p), full)

    # ------------------------------------------------------------------ reading it
    @property
    def warnings(self) -> list[Finding]:
        """The findings that need action (severity error or warning)."""
        return [f for f in self.findings if f.severity != "info"]

    def kinds(self, severity: str | None = None) -> list[str]:
        """The kinds found, each once, in report order (only those at ``severity`` if given)."""
        return list(dict.fromkeys(f.kind for f in self.findings if severity in (None, f.severity)))

    def summary(self) -> str:
        counts = {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}
        return (f"audit: {len(self._named_rows())} parameters, {self.backwards} backward(s), {self.updates} "
                f"update(s): {counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info")

    def _named_rows(self):
        return self.params

    def text(self) -> str:
        if not self._done:
            return "gradflow.audit: still watching (the report is ready after the with block)"
        lines = [self.summary()]
        lines += [f.text() for f in self.findings] or ["no findings"]
        if self.unseen:
            lines.append("not seen: " + "; ".join(self.unseen))
        return "\n".join(lines)

    def table(self) -> str:
        """Every parameter: trainable, backward passes that reached it, max |change|, the optimizer holding it."""
        width = max([len(r.name) for r in self.params] + [9])
        lines = [f"{'parameter':<{width}}  trainable  reached  moved     optimizer"]
        for r in self.params:
            lines.append(f"{r.name:<{width}}  {'yes' if r.trainable else 'no':<9}  {r.reached:>3}/{self.backwards:<3}"
                         f"  {_fmt(r.moved):<8}  {r.optimizer or '-'}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def print(self) -> None:
        print(self.text())

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(f"<tr><td>{e(f.severity)}</td><td>{e(f.kind)}</td><td>{e(f.where)}</td><td>{e(f.evidence)}</td>"
                       f"<td>{e(f.cause)}</td><td>{e(f.fix)}</td><td>{e(f.guide)}<br>{e(f.lesson)}</td></tr>"
                       for f in self.findings)
        head = "<tr>" + "".join(f"<th>{c}</th>" for c in ("severity", "kind", "where", "evidence", "cause", "fix",
                                                             "see")) + "</tr>"
        body = f"<table>{head}{rows}</table>" if rows else "<p>no findings</p>"
        unseen = f"<p><b>not seen:</b> {e('; '.join(self.unseen))}</p>" if self.unseen else ""
        return f"<p><b>{e(self.summary())}</b></p>{body}{unseen}"


def audit(model, optimizer=None, *, accumulate: bool = False, check_finite: bool = True) -> Audit:
    """Watch the training steps run inside ``with audit(model, optimizer) as a:`` and report on them.

    ``model``: a module, or a dict / list of modules (a GAN's ``{"G": G, "D": D}``); ``optimizer``: one optimizer
    or a list. ``accumulate=True`` declares that gradients carried across updates are meant (no finding for it);
    ``check_finite=False`` skips the inf/nan checks (the one part whose cost grows with the activations).
    """
    return Audit(model, optimizer, accumulate=accumulate, check_finite=check_finite)


def audit_step(step, model, optimizer=None, *, steps: int = 1, **options) -> Audit:
    """Run ``step()`` ``steps`` times inside an audit and return the report (``options`` as for :func:`audit`)."""
    with audit(model, optimizer, **options) as report:
        for _ in range(steps):
            step()
    return report
