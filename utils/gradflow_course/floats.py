"""Which notebook cells compare floats bit for bit, and which of those are listed as exact by construction.

PyTorch picks CPU kernels by capability, so two computations equal in exact arithmetic may differ in the
last bit between machines. A bitwise comparison (``torch.equal``, ``==``/``!=`` on a float literal or an
``.item()``) is allowed only in a cell listed in ``tests/float_equality_exact.toml``, with its count and
the reason it is exact. `make lint` checks the lessons and the field guide with this module.
"""

from __future__ import annotations

import ast
import functools
import tomllib
from pathlib import Path

EXACT_FILE = Path("tests") / "float_equality_exact.toml"


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


@functools.lru_cache(maxsize=4)
def exact_cells(root: Path) -> dict[str, tuple[int, str]]:
    """cell id -> (bitwise comparisons in the cell, why each is exact), from tests/float_equality_exact.toml."""
    path = root / EXACT_FILE
    if not path.exists():
        return {}
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    reasons = table.get("reasons", {})
    return {cell: (entry["count"], reasons.get(entry["why"], entry["why"])
                   + (f" ({entry['detail']})" if "detail" in entry else ""))
            for cell, entry in table.get("cells", {}).items()}
