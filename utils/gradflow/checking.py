"""The exercise-checker mechanism.

An exercise is a plain function decorated with :func:`exercise`. Its body states what a right
answer looks like with the ``expect_*`` helpers, which raise :class:`Wrong` with a message and a
hint. The decorator turns every outcome into one printed line and a truth value (a :class:`CheckResult`):

    ✔ 00.1 gradient of the mean: passed
    … 00.1 gradient of the mean: not attempted yet (replace the ... with your answer)
    ✘ 00.1 gradient of the mean: wrong value: expected tensor([15., 18.]), got tensor([5., 6.])
        hint: did you call backward twice without zeroing .grad?

A checker never raises on a learner's answer: ``...``, ``None``, a wrong type, a tensor still in the
graph, or code that throws are all reported, not turned into a traceback. Every body runs inside
``torch.random.fork_rng()``: a checker may seed and draw freely, the learner's random state is kept.

The kit a checker body is written with:

* ``expect_tensor``, ``expect_value``, ``expect_choice``, ``expect_type``, ``expect_function``: the answer's shape;
* :func:`run_learner`: call the learner's function; a known autograd error, or any error raised in the learner's
  code, becomes a ``Wrong`` that names it (only a lost name says "run the cells above again");
* :func:`expect_number`: "a loss (or accuracy) as a plain number";
* :func:`train_step` / :func:`train`: the reference training step (zero_grad, loss, backward, step);
* :func:`differing`: the names of the tensors where two models (or two snapshots) differ.
* :func:`grad_mode_kept`: around a learner's call, put grad mode back and say so if the answer left it off;
* :func:`globals_read`: the notebook globals (a model, an lr) an answer read instead of its arguments.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import math
import types
from dataclasses import dataclass
from typing import Any, Callable

import torch

from .status_line import EXERCISE_WORDS, OPEN, PASSED, WRONG, write, write_hint

#: CheckResult.status of each outcome (what the printed line's symbol says)
_STATUS = {"passed": PASSED, "wrong": WRONG, "not attempted": OPEN}


class CheckResult:
    """What a checker returns: true when the answer passed. Shows nothing when a cell ends with it."""

    def __init__(self, passed: bool, status: str):
        self.passed = passed
        self.status = status  # "passed", "not attempted" or "wrong"

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"CheckResult({self.status})"

    def _ipython_display_(self) -> None:  # the printed line already said it all
        pass


class Wrong(Exception):
    """Raised inside a checker body: the answer is wrong. ``hint`` says why it might be."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotAttempted(Exception):
    """Raised inside a checker body when the answer is still the lesson's placeholder."""


@dataclass(frozen=True)
class Exercise:
    lesson: str  # notebook stem, e.g. "00_autograd_refresher"
    number: int
    title: str
    check: Callable[..., "CheckResult"]

    @property
    def label(self) -> str:
        return f"{self.lesson[:2]}.{self.number} {self.title}"


#: every exercise of the course, by lesson stem, in the order they are defined
REGISTRY: dict[str, list[Exercise]] = {}


def exercises_of(lesson: str) -> list[Exercise]:
    """The exercises registered for a lesson stem.

    The lesson's checkers live in ``gradflow.exercises.<stem without its number>`` (``01_detach`` ->
    ``gradflow.exercises.detach``); that module is imported by name, so this module needs no import of it.
    """
    module = f"{__package__}.exercises.{lesson.split('_', 1)[-1]}"
    if importlib.util.find_spec(module) is not None:
        importlib.import_module(module)  # its @exercise decorators register the checkers
    return list(REGISTRY.get(lesson, []))


def is_placeholder(value: Any) -> bool:
    """True for what a lesson stub leaves in place of an answer: ``...`` (also inside a tuple/list/dict)."""
    if value is Ellipsis:
        return True
    if isinstance(value, (tuple, list)):
        return any(is_placeholder(v) for v in value)
    if isinstance(value, dict):
        return any(is_placeholder(v) for v in value.values())
    return False


def report(label: str, status: str, detail: str = "", hint: str | None = None) -> None:
    """Print one checker line (gradflow.status_line) and an indented hint line when there is one."""
    state = _STATUS[status]
    if state == WRONG:
        text = detail
    elif state == PASSED:
        text = f"{EXERCISE_WORDS[PASSED]} ({detail})" if detail else EXERCISE_WORDS[PASSED]
    else:
        text = f"{EXERCISE_WORDS[OPEN]} ({detail or 'replace the ... with your answer and run the cell again'})"
    write(label, state, text)
    if hint:
        write_hint(hint)


def exercise(lesson: str, number: int, title: str):
    """Register a checker and make it safe: it prints one line and returns a truthy CheckResult.

    The body receives the learner's answer(s). It returns ``None`` or a short string to show on
    success, and raises :class:`Wrong` for a wrong answer. A placeholder (``...``) anywhere in the
    arguments, or a learner function that raises ``NotImplementedError``, counts as not attempted.
    """

    def decorate(body: Callable[..., Any]) -> Callable[..., CheckResult]:
        label = f"{lesson[:2]}.{number} {title}"

        @functools.wraps(body)
        def check(*answers: Any, **named: Any) -> CheckResult:
            if not answers and not named:
                report(label, "not attempted", "pass your answer to the checker")
                return CheckResult(False, "not attempted")
            if is_placeholder(list(answers)) or is_placeholder(named):
                report(label, "not attempted")
                return CheckResult(False, "not attempted")
            try:
                with torch.random.fork_rng():  # the body may seed and draw: the learner's stream is kept
                    note = body(*answers, **named)
            except NotAttempted as stub:
                report(label, "not attempted", str(stub) or "")
                return CheckResult(False, "not attempted")
            except NotImplementedError:
                report(label, "not attempted", "your function still raises NotImplementedError")
                return CheckResult(False, "not attempted")
            except Wrong as wrong:
                report(label, "wrong", wrong.message, wrong.hint)
                return CheckResult(False, "wrong")
            except Exception as error:  # never crash: say whose code raised it and what it means
                wrong = _explain(error, [a for a in (*answers, *named.values()) if callable(a)])
                report(label, "wrong", wrong.message, wrong.hint)
                return CheckResult(False, "wrong")
            report(label, "passed", note or "")
            return CheckResult(True, "passed")

        REGISTRY.setdefault(lesson, []).append(Exercise(lesson, number, title, check))
        return check

    return decorate


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "(no message)"


# --- expectations: the building blocks of checker bodies -------------------------------------


def expect_tensor(answer: Any, expected: torch.Tensor, name: str = "your answer", hint: str | None = None,
                  *, atol: float = 1e-4, allow_graph: bool = False) -> torch.Tensor:
    """A tensor with ``expected``'s shape and values (within ``atol``). Returns it detached."""
    if answer is None:
        raise Wrong(f"{name} is None", hint or "None is what .grad holds before any backward reaches it")
    if isinstance(answer, (int, float)) and expected.numel() == 1:
        answer = torch.tensor(float(answer))
    if not isinstance(answer, torch.Tensor):
        raise Wrong(f"{name} should be a tensor, got {type(answer).__name__}", hint)
    if answer.requires_grad and not allow_graph:
        raise Wrong(f"{name} is still attached to the autograd graph (requires_grad=True)",
                    "hand over the value only: use .detach() (or read .grad, which never requires grad)")
    value = answer.detach()
    if value.shape != expected.shape and value.numel() == expected.numel() == 1:
        value = value.reshape(expected.shape)
    if value.shape != expected.shape:
        raise Wrong(f"{name} has shape {tuple(value.shape)}, expected {tuple(expected.shape)}", hint)
    if not value.is_floating_point():
        value = value.to(expected.dtype)
    if not torch.allclose(value.to(expected.dtype), expected, atol=atol, rtol=1e-4):
        raise Wrong(f"{name} is {_short(value)}, expected {_short(expected)}", hint)
    return value


def expect_value(answer: Any, expected: Any, name: str = "your answer", hint: str | None = None) -> None:
    """A plain value (bool, int, str, ...) equal to ``expected``, of the same type family."""
    if answer is None:
        raise Wrong(f"{name} is None", hint)
    if isinstance(expected, bool):
        if not isinstance(answer, bool):
            raise Wrong(f"{name} should be True or False, got {type(answer).__name__}", hint)
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool):
        if isinstance(answer, torch.Tensor) and answer.numel() == 1:
            answer = answer.item()
        if not isinstance(answer, (int, float)) or isinstance(answer, bool):
            raise Wrong(f"{name} should be a number, got {type(answer).__name__}", hint)
        if not math.isclose(answer, expected, rel_tol=1e-4, abs_tol=1e-6):
            raise Wrong(f"{name} is {answer}, expected {expected}", hint)
        return
    elif not isinstance(answer, type(expected)):
        raise Wrong(f"{name} should be a {type(expected).__name__}, got {type(answer).__name__}", hint)
    if answer != expected:
        raise Wrong(f"{name} is {answer!r}, expected {expected!r}", hint)


def expect_choice(answer: Any, options: dict[str, str], correct: str, name: str = "your choice") -> None:
    """One letter of a multiple-choice question. ``options`` maps letter -> why it is right or wrong."""
    if not isinstance(answer, str):
        raise Wrong(f"{name} should be one of the letters {', '.join(repr(k) for k in options)}, "
                    f"got {type(answer).__name__}")
    key = answer.strip().lower()
    if key not in options:
        raise Wrong(f"{answer!r} is not an option; choose one of {', '.join(repr(k) for k in options)}")
    if key != correct:
        raise Wrong(f"{key!r} is not it", options[key])


def expect_function(answer: Any, name: str) -> None:
    """The learner's function itself (not its result, not a placeholder string)."""
    if not callable(answer):
        raise Wrong(f"pass your function {name} itself, got {type(answer).__name__}",
                    f"define `def {name}(...)` in the cell and pass the name, without calling it")


def expect_type(answer: Any, kind: type | tuple[type, ...], name: str = "your answer", hint: str | None = None) -> None:
    if not isinstance(answer, kind):
        want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise Wrong(f"{name} should be a {want}, got {type(answer).__name__}", hint)


def _short(t: torch.Tensor) -> str:
    """A compact, stable rendering of a tensor for feedback lines."""
    values = t.detach().flatten()[:8].tolist()
    body = ", ".join(f"{v:.4g}" for v in values)
    more = ", ..." if t.numel() > 8 else ""
    return f"tensor([{body}{more}])" if t.dim() else f"tensor({values[0]:.4g})"


# --- the rest of the kit: running the learner's code and comparing with a reference -----------

#: autograd errors a learner's step commonly raises -> (what happened, what to do)
KNOWN_ERRORS = {
    "backward through the graph a second time": (
        "your code calls backward twice through the same graph", "build each loss from a fresh forward pass"),
    "leaf Variable that requires grad is being used in an in-place operation": (
        "your update raised: a leaf Variable that requires grad is being used in an in-place operation",
        "run the in-place update inside `with torch.no_grad():`"),
}


class LearnerError(Wrong):
    """An error raised inside the learner's own code, reported as theirs: its type, its message, and which of
    their functions raised it (never as a notebook to re-run)."""


#: the usual hint for an error raised in the learner's code (``{name}``: the function the checker called)
LEARNER_HINT = ("the error comes from inside your {name}: read the message, fix the line it points to, and run the "
                "cell again")


def _spaces(functions) -> list[dict]:
    """The global namespaces the learner's functions were defined in (a notebook's, a test module's)."""
    return [g for f in functions if isinstance(g := getattr(f, "__globals__", None), dict)]


def _raised_in(error: BaseException, spaces: list[dict]) -> str | None:
    """The name of the deepest function, defined in one of ``spaces``, that the error passed through."""
    name, tb = None, error.__traceback__
    while tb is not None:
        if any(tb.tb_frame.f_globals is g for g in spaces):
            name = tb.tb_frame.f_code.co_name
        tb = tb.tb_next
    return name


def _display(name: str) -> str:
    return "function" if name.startswith("<") else name  # a lambda (or a comprehension) has no name to show


def _stale_hint(error: NameError) -> str:
    missing = f"`{error.name}`" if getattr(error, "name", None) else "that name"
    return (f"{missing} is not defined: if it comes from a cell above, the kernel has lost it (restarted, or cells "
            "run out of order), so run the cells above again from the top; if not, check its spelling")


def learner_error(error: Exception, name: str, where: str | None = None,
                  hints: dict[str, str] | None = None) -> LearnerError:
    """``error``, raised inside the learner's ``name`` (and in their function ``where``), as feedback."""
    name = _display(name)
    message = f"your {name} raised {type(error).__name__}: {first_line(error)}"
    if where and _display(where) not in (name, "function"):
        message += f" (in {where})"  # a helper: theirs, or one a lesson cell defined
    hint = LEARNER_HINT.format(name=name)
    if isinstance(error, NameError):
        hint = _stale_hint(error)
    for fragment, special in (hints or {}).items():
        if fragment in f"{type(error).__name__}: {error}":
            hint = special
            break
    return LearnerError(message, hint)


def _explain(error: Exception, functions) -> Wrong:
    """What the decorator reports for an exception that escaped a checker body."""
    where = _raised_in(error, _spaces(functions))
    if where is not None:  # it came from the learner's own code
        return learner_error(error, where)
    if isinstance(error, NameError):  # a name the lesson defined is gone: the kernel lost the cells above
        return Wrong(f"checking your answer raised NameError: {first_line(error)}", _stale_hint(error))
    return Wrong(f"checking your answer raised {type(error).__name__}: {first_line(error)}",
                 "pass exactly what the exercise asks for (its last line shows the call); the message says what "
                 "did not fit")


def run_learner(fn: Callable[..., Any], *args: Any, errors: dict[str, tuple[str, str]] | None = None,
                name: str | None = None, hints: dict[str, str] | None = None) -> Any:
    """Call the learner's ``fn(*args)`` and turn what it raises into feedback (:class:`Wrong`):

    * an error whose text contains a key of ``errors`` (or of :data:`KNOWN_ERRORS`) gets that entry's
      (message, hint);
    * any other error is the learner's own (:class:`LearnerError`): "your NAME raised TYPE: first line", plus
      "(in HELPER)" when it came from another function of the notebook; the hint is :data:`LEARNER_HINT`,
      the one of ``hints`` whose key is in "TYPE: message", or, for a ``NameError``, how to bring back a
      lost name.

    ``name`` is how the feedback calls ``fn`` (default: its ``__name__``). ``NotImplementedError`` (a stub),
    :class:`Wrong` and :class:`NotAttempted` pass through to the decorator.
    """
    try:
        return fn(*args)
    except (Wrong, NotAttempted, NotImplementedError):
        raise
    except Exception as error:
        text = str(error)
        for fragment, (message, hint) in [*(errors or {}).items(), *KNOWN_ERRORS.items()]:
            if fragment in text:
                raise Wrong(message, hint) from None
        own = getattr(fn, "__name__", "function")
        where = _raised_in(error, _spaces([fn]))
        raise learner_error(error, name or own, None if where == own else where, hints) from None


def expect_number(value: Any, name: str = "the loss", hint: str = "return loss.item()") -> float:
    """A plain finite number (a one-element tensor without a graph is accepted). Returns it as a float."""
    if value is None:
        raise Wrong(f"{name} is None", hint)
    if isinstance(value, torch.Tensor):
        if value.requires_grad:
            raise Wrong(f"{name} is a tensor still attached to the graph", hint)
        if value.numel() != 1:
            raise Wrong(f"{name} has shape {tuple(value.shape)}, expected one number", hint)
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Wrong(f"{name} should be a number, got {value if isinstance(value, float) else type(value).__name__}",
                    hint)
    return float(value)


def train_step(model: torch.nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
               loss_fn: Callable[..., torch.Tensor] = torch.nn.functional.cross_entropy,
               set_to_none: bool = True) -> float:
    """One reference training step: zero_grad, loss of ``model(x)`` against ``y``, backward, step."""
    opt.zero_grad(set_to_none=set_to_none)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


def train(model, opt, batches, loss_fn=torch.nn.functional.cross_entropy, set_to_none: bool = True) -> list[float]:
    """:func:`train_step` on each ``(x, y)`` of ``batches``; the losses."""
    return [train_step(model, opt, x, y, loss_fn, set_to_none) for x, y in batches]


def _state(source) -> dict[str, torch.Tensor]:
    if isinstance(source, torch.nn.Module):  # parameters and floating buffers (BatchNorm statistics)
        return {**dict(source.named_parameters()),
                **{n: t for n, t in source.named_buffers() if t.is_floating_point()}}
    return dict(source)


def differing(a, b, atol: float = 1e-6, rtol: float = 1e-5) -> list[str]:
    """Names of the tensors where ``a`` and ``b`` differ beyond ``atol``/``rtol`` (a model: its parameters and
    floating buffers; or a dict name -> tensor). Results of two computations are never compared bitwise."""
    sa, sb = _state(a), _state(b)
    return [n for n in sa if n not in sb or sa[n].shape != sb[n].shape
            or not torch.allclose(sa[n].detach(), sb[n].detach(), atol=atol, rtol=rtol)]


# --- what an answer read from the notebook, and the grad mode it left ---------------------------------


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):  # a nested function, lambda or comprehension
            names |= _code_names(const)
    return names


def globals_read(fn, kinds) -> list[str]:
    """The global names that ``fn`` (or a function nested in it) reads and whose values are instances of ``kinds``:
    a notebook's ``lr``, ``model`` or ``opt`` used in place of an argument. Modules (``torch``) and functions are
    never instances of the kinds a checker asks about."""
    code, space = getattr(fn, "__code__", None), getattr(fn, "__globals__", None)
    if not isinstance(code, types.CodeType) or not isinstance(space, dict):
        return []
    return sorted(n for n in _code_names(code) if n in space and isinstance(space[n], kinds)
                  and not isinstance(space[n], bool))


@contextlib.contextmanager
def grad_mode_kept(name: str):
    """Run the learner's call; afterwards gradient recording is back as it was, and a call that left it switched
    off is wrong (``torch.set_grad_enabled(False)`` with no way back, where ``with torch.no_grad():`` restores it)."""
    before = torch.is_grad_enabled()
    try:
        yield
    finally:
        after = torch.is_grad_enabled()
        torch.set_grad_enabled(before)
    if after != before:
        raise Wrong(f"after your {name} ran, gradient recording was still off (torch.is_grad_enabled() was False)",
                    "switch it off only for the update: `with torch.no_grad():` switches it back on at the end, "
                    "torch.set_grad_enabled(False) and the decorator-less torch.no_grad() call do not")
