"""One home for each thing: the import graph of utils/, and one definition of every demo model and maker."""

import ast
import functools
import importlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UTILS = ROOT / "utils"
LIBRARY = UTILS / "gradflow"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(UTILS).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in UTILS.rglob("*.py") if ".ipynb_checkpoints" not in p.parts}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules under utils/ that ``name`` imports (absolute or relative, ``from . import x`` included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _is_tooling(module: str) -> bool:
    """The learner library is the package ``gradflow`` (a ``gradflow.course`` would count as tooling); the rest of utils/ is tooling."""
    top = module.split(".")[:2]
    return top[0] != "gradflow" or top == ["gradflow", "course"]


@functools.cache  # built by the first test that asks, not at collection in every worker
def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def test_the_learner_library_imports_nothing_from_the_tooling():
    bad = {m: sorted(t for t in deps if _is_tooling(t)) for m, deps in _graph().items() if not _is_tooling(m)}
    assert not {m: deps for m, deps in bad.items() if deps}


def test_no_module_imports_a_package_above_it():
    upward = {m: sorted(t for t in deps if m.startswith(t + ".")) for m, deps in _graph().items()}
    assert not {m: deps for m, deps in upward.items() if deps}


def test_there_are_no_import_cycles():
    state: dict[str, str] = {}
    cycles = []

    def visit(module, stack):
        state[module] = "open"
        for dep in sorted(_graph().get(module, ())):
            if state.get(dep) == "open":
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack + [dep])
        state[module] = "done"

    for module in sorted(_graph()):
        if module not in state:
            visit(module, [module])
    assert not cycles


def test_the_graph_test_sees_real_edges():  # guards the three tests above against an empty graph
    assert "gradflow.checking" in _graph()["gradflow.exercises.capstone"]
    assert "gradflow.hunt_models" in _graph()["gradflow.exercises.capstone"]
    assert _graph()["gradflow"] >= {"gradflow.graph", "gradflow.memory"}


# --- one definition of every model and maker a lesson shows ----------------------------------------

DEFINITION = re.compile(r"^(?:class (\w+)|def (make_\w+))", re.M)


def _notebook_code(stem_glob="*") -> dict[str, str]:
    code = {}
    for path in sorted((ROOT / "solutions").glob(f"{stem_glob}.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code[path.stem] = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return code


def _library_definitions() -> dict[str, str]:
    found = {}
    for path in LIBRARY.rglob("*.py"):
        if "course" in path.relative_to(LIBRARY).parts:
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                found.setdefault(node.name.lstrip("_"), str(path.relative_to(ROOT)))
    return found


def test_no_class_or_maker_shown_in_a_notebook_is_defined_again_in_the_library():
    library = _library_definitions()
    twice = {(stem, name): library[name] for stem, code in _notebook_code().items()
             for m in DEFINITION.finditer(code) for name in [m.group(1) or m.group(2)] if name in library}
    assert not twice, "import it from the library instead (show its source with gradflow.show_source)"


def test_checker_modules_define_no_model_class_or_maker_of_their_own():
    own = []
    for path in sorted((LIBRARY / "exercises").glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            is_model = isinstance(node, ast.ClassDef) and any("Module" in ast.unparse(b) for b in node.bases)
            if is_model or (isinstance(node, ast.FunctionDef) and node.name.lstrip("_").startswith("make_")):
                own.append(f"{path.name}: {node.name}")
    assert not own, "put demo models and makers in gradflow.models (or gradflow.gan)"


def test_notebooks_take_no_model_from_a_checker_module():
    for stem, code in _notebook_code().items():
        assert not re.search(r"\bex\.make_|from gradflow\.exercises\.\w+ import", code), stem


@pytest.mark.parametrize("stem", sorted(_notebook_code()))
def test_notebook_and_checkers_use_the_same_objects(stem):
    """Every model or maker a notebook imports from the library is the very object its checker module uses."""
    checker = importlib.import_module(f"gradflow.exercises.{stem.split('_', 1)[1]}")
    for home, names in re.findall(r"^from (gradflow\.(?:models|gan)) import ([\w, ]+)", _notebook_code(stem)[stem],
                                  re.M):
        module = importlib.import_module(home)
        for name in (n.split(" as ")[0].strip() for n in names.split(",")):
            if hasattr(checker, name):
                assert getattr(checker, name) is getattr(module, name), (stem, name)
