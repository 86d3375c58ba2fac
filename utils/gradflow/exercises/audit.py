"""Checkers of lesson 10 · Audit your own training loop (``from gradflow.exercises import audit as ex``).

Each checker is a plain function under ``@exercise(lesson, number, title)``: its body says what a
right answer looks like with the ``expect_*`` helpers of ``gradflow.checking``, which raise ``Wrong``
with a message and a hint. The decorator prints one line and never lets a learner's answer crash.
A checker varies every input the task varies (never only the notebook's values) and looks at what the
answer leaves behind (here: grad mode). Its tests, with the mutants it must reject, are in
tests/test_lesson10_checkers.py.
"""

import math

import torch

from gradflow.checking import Wrong, exercise, expect_function, expect_tensor, run_learner

LESSON = "10_audit"

#: points unlike the notebook's, of both signs, so a hard-coded or sign-blind answer shows
POINTS = (-1.5, 0.25, 3.0)


def _pattern(got: list, expected: list[float]) -> str | None:
    """What a wrong set of answers has in common, when it says something about the cause."""
    values = [float(g) for g in got]
    if len(set(values)) == 1 and len(set(expected)) > 1:
        return "it is the same at every point: is a value hard-coded?"
    if all(math.isclose(v, 2 * e, rel_tol=1e-3) for v, e in zip(values, expected)):
        return "it is twice the derivative at every point: gradients add up, did backward run twice?"
    if all(math.isclose(v, e / 2, rel_tol=1e-3) for v, e in zip(values, expected)):
        return "it is half the derivative at every point: is one factor detached?"
    if all(math.isclose(v, abs(e), rel_tol=1e-3) for v, e in zip(values, expected)):
        return "the sign is lost where the derivative is negative"
    return None


def _expect_all(results: dict[str, object], expected: dict[str, float], hint: str, atol: float = 1e-4) -> None:
    """Every result right; if not, say the pattern of the mistakes (a measurement), then the first wrong one."""
    for label, got in results.items():  # wrong types and graphs first: their messages name the cause
        if not isinstance(got, torch.Tensor) or got.numel() != 1 or got.requires_grad:
            expect_tensor(got, torch.tensor(expected[label]), label, hint=hint)
    wrong = [label for label, got in results.items()
             if not math.isclose(float(got), expected[label], rel_tol=1e-4, abs_tol=atol)]
    if wrong:
        pattern = _pattern([results[k] for k in results], [expected[k] for k in results])
        first = wrong[0]
        raise Wrong(f"{first} is {float(results[first]):.4g}, expected {expected[first]:.4g}"
                    + (f"; {pattern}" if pattern else ""), hint)


def _left_grad_mode_off() -> None:
    if not torch.is_grad_enabled():
        torch.set_grad_enabled(True)  # put it back for the learner, then say so
        raise Wrong("your function left gradient tracking switched off",
                    "use `with torch.no_grad():` (it restores the mode) rather than torch.set_grad_enabled(False)")


@exercise(LESSON, 1, "Modify: the gradient at any point")
def gradient_at(fn):
    """fn(x0) returns d(x * x)/dx at x0 through autograd: 2 * x0, as a tensor, for any x0."""
    expect_function(fn, "gradient_at")
    results = {}
    for x0 in POINTS:
        results[f"gradient_at({x0})"] = got = run_learner(fn, x0, name="gradient_at")
        _left_grad_mode_off()
        if isinstance(got, torch.Tensor) and got.requires_grad:
            raise Wrong(f"gradient_at({x0}) returned a tensor that requires grad: the input, not its gradient?",
                        "return x.grad after the backward pass")
    _expect_all(results, {f"gradient_at({x0})": 2 * x0 for x0 in POINTS},
                hint="build x from x0 with requires_grad=True, run one backward of x * x, return x.grad")


FUNCTIONS = {"sin": (torch.sin, math.cos), "cube": (lambda x: x ** 3, lambda x: 3 * x * x),
             "exp(-x)": (lambda x: torch.exp(-x), lambda x: -math.exp(-x))}


@exercise(LESSON, 2, "Make: the derivative of any function")
def derivative(fn):
    """fn(f, x0) returns f'(x0) through autograd, for functions and points the notebook never shows."""
    expect_function(fn, "derivative")
    results, expected = {}, {}
    for name, (f, df) in FUNCTIONS.items():
        for x0 in POINTS:
            label = f"derivative({name}, {x0})"
            results[label], expected[label] = run_learner(fn, f, x0, name="derivative"), df(x0)
            _left_grad_mode_off()
    _expect_all(results, expected, atol=1e-5,
                hint="make x a leaf that requires grad, call f(x) (the function you were given), run backward "
                     "once, return x.grad; a finite difference is only close")
