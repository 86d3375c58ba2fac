"""No notebook claims bitwise float equality between two different computations.

PyTorch picks CPU kernels by the CPU's capability (default, AVX2, AVX-512, NEON), and two computations
that are equal in exact arithmetic may differ in the last bit from one kernel to another. A notebook
compares such results with a stated tolerance (``torch.testing.assert_close``). Bitwise comparisons
(``torch.equal``, ``==`` with a float literal or an ``.item()``) are allowed only in the cells listed
in ``float_equality_exact.toml`` (next to this file), each with the reason it is exact by construction
and the number of such comparisons in the cell, so a new one in a listed cell is reviewed too.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import nbformat
import pytest

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"

EXACT_FILE = Path(__file__).with_name("float_equality_exact.toml")


def _exact() -> dict[str, tuple[int, str]]:
    """cell id -> (bitwise comparisons in the cell, why each is exact), from ``float_equality_exact.toml``."""
    table = tomllib.loads(EXACT_FILE.read_text(encoding="utf-8"))
    reasons = table["reasons"]
    return {cell: (entry["count"], reasons.get(entry["why"], entry["why"])
                   + (f" ({entry['detail']})" if "detail" in entry else ""))
            for cell, entry in table["cells"].items()}


EXACT = _exact()


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
        "cell to tests/float_equality_exact.toml with the reason.")
    assert listed[0] == len(hits), (
        f"cell {cell_id} now has {len(hits)} bitwise float comparisons, the table lists {listed[0]} "
        f"({listed[1]}):\n    {shown}\nReview the new one, then update tests/float_equality_exact.toml.")


def test_every_listed_cell_still_exists_and_compares_bitwise():
    stale = sorted(set(EXACT) - set(_scan()))
    assert not stale, f"float_equality_exact.toml lists cells that no longer compare floats bit for bit: {stale}; remove them"
