"""No notebook claims bitwise float equality between two different computations.

PyTorch picks CPU kernels by the CPU's capability (default, AVX2, AVX-512, NEON), and two computations
that are equal in exact arithmetic may differ in the last bit from one kernel to another. A notebook
compares such results with a stated tolerance (``torch.testing.assert_close``). Bitwise comparisons
(``torch.equal``, ``==`` with a float literal or an ``.item()``) are allowed only in the cells listed
in ``EXACT``, each with the reason it is exact by construction and the number of such comparisons
in the cell, so a new one in a listed cell is reviewed too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"

SMALL_INTS = "small integer values: every operation is exact in float32"
SAME_OP = "the same operation on the same data, run twice: deterministic on one machine"
COPY = "a value against its own copy or the storage it shares: no arithmetic in between"
ROUNDED = "both sides rounded to 4 decimals before comparing"
SETTING = "an optimizer setting read back as it was given: a stored number, no arithmetic"

#: cell id -> (bitwise comparisons in the cell, why each is exact)
EXACT: dict[str, tuple[int, str]] = {
    "00-004c": (1, SMALL_INTS),
    "00-009": (1, SMALL_INTS),
    "00-016": (1, SMALL_INTS),
    "00-018": (1, SMALL_INTS),
    "00-024": (1, SMALL_INTS),
    "01-004": (1, COPY),
    "01-006": (1, SMALL_INTS),
    "01-010": (2, SMALL_INTS),
    "02-044h": (2, COPY),
    "02-050f": (1, SMALL_INTS),
    "03-021": (3, SAME_OP),
    "03-021c": (2, SMALL_INTS + " (1.0 * 2.0; eval dropout returns its input)"),
    "03-030": (1, SAME_OP),
    "03-043": (1, SAME_OP),
    "03-053c": (1, SMALL_INTS),
    "03-053f": (1, SAME_OP),
    "04-006": (1, SMALL_INTS),
    "04-016": (1, SMALL_INTS),
    "04-016c": (2, COPY),
    "04-024": (1, SMALL_INTS),
    "04-032": (1, COPY),
    "04-037c": (1, COPY + " (did the step move the parameter at all?)"),
    "05-006": (2, COPY + "; and 1.0, 2.0 are the untouched starting values"),
    "05-011": (1, ROUNDED),
    "05-013": (1, SMALL_INTS),
    "05-019": (1, SMALL_INTS),
    "05-022": (1, COPY),
    "05-028": (1, COPY),
    "05-028c": (1, COPY),
    "05-028e": (2, COPY),
    "05-034": (2, SMALL_INTS),
    "05-035c": (1, COPY),
    "06-014c": (1, SMALL_INTS),
    "06-033": (1, COPY + " (targets are the inputs shifted by one)"),
    "06-041g": (1, SAME_OP + " (the retained graph replays the same saved tensors)"),
    "07-017": (2, SETTING),
    "07-028": (1, COPY + " (did the step move the parameter at all?)"),
    "07-030": (1, SETTING),
    "07-041": (1, SETTING),
    "08-006": (1, SMALL_INTS),
    "08-008": (2, SMALL_INTS),
    "08-010": (1, SMALL_INTS),
    "08-010b": (2, SMALL_INTS),
    "08-014": (1, SMALL_INTS),
    "08-015": (2, SMALL_INTS),
    "08-017": (1, SMALL_INTS),
    "08-019": (1, SMALL_INTS),
    "08-021": (4, SMALL_INTS),
    "08-029d": (1, "structural zeros: no path from that input, nothing is computed"),
    "08-029o": (1, SAME_OP + " (the detached penalty adds nothing to any gradient)"),
    "08-031": (1, SMALL_INTS),
    "08-041": (1, SMALL_INTS),
    "09-029b1": (1, "a ReLU mask: each value is 0 or the weight, copied"),
    "09-029c": (1, COPY + " (the hook sees the gradient that .grad stores)"),
    "09-h5c": (1, COPY + " (is the average the live tensor itself?)"),
}


def _is_float_literal(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, float) for n in ast.walk(node))


def _calls(node: ast.AST, attr: str) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == attr
               for n in ast.walk(node))


def bitwise_comparisons(source: str) -> list[str]:
    """The source lines that compare floats bit for bit: torch.equal, or ==/!= on a float literal or .item()."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: nothing to scan
        return []
    lines = source.splitlines()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "equal" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "torch":
            found.append(lines[node.lineno - 1].strip())
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
            sides = [node.left, *node.comparators]
            if any(_is_float_literal(s) or _calls(s, "item") for s in sides):
                found.append(lines[node.lineno - 1].strip())
    return found


def _scan() -> dict[str, list[str]]:
    found = {}
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and (hits := bitwise_comparisons(cell.source)):
                found[cell.id] = hits
    return found


def test_scanner_sees_float_equality_and_ignores_the_rest():
    assert bitwise_comparisons("assert torch.equal(p, q)") == ["assert torch.equal(p, q)"]
    assert bitwise_comparisons("assert loss.item() == 0.25") == ["assert loss.item() == 0.25"]
    assert bitwise_comparisons("ok = a.item() != b.item()") == ["ok = a.item() != b.item()"]
    assert bitwise_comparisons("assert names == ['w']\nassert n == 3\nassert x.shape == (2, 3)") == []
    assert bitwise_comparisons("torch.testing.assert_close(p, q, rtol=0, atol=1e-5)") == []


@pytest.mark.parametrize("cell_id", sorted(_scan()))
def test_every_bitwise_float_comparison_is_exact_by_construction(cell_id):
    hits = _scan()[cell_id]
    listed = EXACT.get(cell_id)
    shown = "\n    ".join(hits)
    assert listed is not None, (
        f"cell {cell_id} compares floats bit for bit:\n    {shown}\n"
        "Two different computations may differ in the last bit from one CPU kernel to another: use "
        "torch.testing.assert_close with a stated rtol/atol, or, if it is exact by construction, add the "
        "cell to EXACT in this file with the reason.")
    assert listed[0] == len(hits), (
        f"cell {cell_id} now has {len(hits)} bitwise float comparisons, EXACT lists {listed[0]} "
        f"({listed[1]}):\n    {shown}\nReview the new one, then update EXACT.")


def test_every_listed_cell_still_exists_and_compares_bitwise():
    stale = sorted(set(EXACT) - set(_scan()))
    assert not stale, f"EXACT lists cells that no longer compare floats bit for bit: {stale}; remove them"
