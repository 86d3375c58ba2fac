"""Preflight for learners and workshops: is this machine ready for the course? (what `make check` runs)

    python -m gradflow_course check

Checks, in order, and prints one table row each (PASS/FAIL) with the fix for every failure:

* Python 3.11 (what the course is tested with);
* torch at the version ``pyproject.toml`` pins (2.13.0);
* the helper package ``gradflow`` importable (installed in editable mode);
* the ipywidgets front-end extension (``@jupyter-widgets/jupyterlab-manager``) present in the
  environment the JupyterLab server runs from, found the way JupyterLab itself finds extensions;
* a ``python3`` kernel that starts and runs one autograd step (started with jupyter_client, so this
  proves the kernel the notebooks will get, not just this interpreter);
* the course notebooks in ``lessons/``;
* the workspace (``workspace/``, or ``$GRADFLOW_WORKSPACE``) can be written: a read-only course folder
  (a hub mount, a classroom image) needs another one.

Nothing here needs the network. Exit status: 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import gradflow_course.paths as paths

WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
FALLBACK_TORCH = "2.13.0"
SETUP = "make setup"
# One autograd step: d(x*x)/dx at x=3 is 6. The kernel prints the result and where it runs.
KERNEL_CODE = (
    "import sys, torch\n"
    "x = torch.tensor(3.0, requires_grad=True)\n"
    "(x * x).backward()\n"
    "print(f'GRADFLOW-CHECK {x.grad.item()} {torch.__version__} {sys.executable}')"
)


@dataclass
class Result:
    """One row of the preflight table."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def pinned_torch(pyproject: Path | None = None) -> str:
    """The torch version ``pyproject.toml`` pins (``torch==X``); the course default if it cannot be read."""
    pyproject = paths.pyproject() if pyproject is None else pyproject
    try:
        deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return FALLBACK_TORCH
    for dep in deps:
        match = re.fullmatch(r"\s*torch\s*==\s*([\w.+]+)\s*", dep)
        if match:
            return match.group(1)
    return FALLBACK_TORCH


def check_python(version: tuple[int, ...] | None = None) -> Result:
    version = tuple(sys.version_info[:3]) if version is None else tuple(version)
    text = ".".join(str(v) for v in version)
    if version[:2] == (3, 11):
        return Result("Python 3.11", True, text)
    return Result("Python 3.11", False, f"found {text}",
                  "install Python 3.11, then `make clean setup` (make picks python3.11 when it is on PATH)")


def check_torch(expected: str | None = None) -> Result:
    expected = expected or pinned_torch()
    name = f"torch {expected}"
    try:
        torch = importlib.import_module("torch")
    except Exception as error:  # noqa: BLE001 - any import failure is a failed check
        return Result(name, False, f"cannot import torch: {type(error).__name__}: {error}",
                      f"`{SETUP}` installs torch=={expected} from constraints.txt into .venv")
    found = torch.__version__
    if found.split("+")[0] == expected:
        return Result(name, True, found)
    return Result(name, False, f"found {found}",
                  f"the outputs are checked against torch {expected}: `make clean setup` reinstalls it")


def check_gradflow() -> Result:
    try:
        gradflow = importlib.import_module("gradflow")
        importlib.import_module("gradflow.checking")
        importlib.import_module("gradflow.graph")
    except Exception as error:  # noqa: BLE001
        return Result("gradflow importable", False, f"{type(error).__name__}: {error}",
                      f"`{SETUP}` installs the helper library (pip install -e .)")
    where = Path(gradflow.__file__).resolve().parent
    return Result("gradflow importable", True, f"from {_short(where)}")


def check_widgets_extension(paths: list[str] | None = None) -> Result:
    """Find the ipywidgets front-end the way JupyterLab does (federated extensions on jupyter_path)."""
    name = "widgets extension in JupyterLab"
    fix = (f"`{SETUP}` installs ipywidgets and jupyterlab_widgets beside jupyterlab; start the lab with "
           "`make lab` so the server runs from .venv")
    try:
        from jupyter_core.paths import jupyter_path
        from jupyterlab_server.config import get_federated_extensions
    except Exception as error:  # noqa: BLE001
        return Result(name, False, f"JupyterLab is not installed here ({type(error).__name__})", fix)
    paths = jupyter_path("labextensions") if paths is None else [str(p) for p in paths]
    try:
        found = get_federated_extensions(paths)
    except Exception as error:  # noqa: BLE001
        return Result(name, False, f"cannot read lab extensions: {error}", fix)
    if WIDGETS_EXTENSION not in found:
        return Result(name, False, f"{WIDGETS_EXTENSION} not found in {len(paths)} extension folders", fix)
    info = found[WIDGETS_EXTENSION]
    return Result(name, True, f"{WIDGETS_EXTENSION} {info.get('version', '?')}")


def check_kernel(kernel_name: str = "python3", timeout: float = 60.0) -> Result:
    """Start the kernel the notebooks use and run one backward pass in it."""
    name = f"kernel '{kernel_name}' runs autograd"
    fix = ("`make setup` (the kernel comes with ipykernel in .venv); if a global kernel shadows it, "
           "`jupyter kernelspec list` shows which python3 is used")
    try:
        from jupyter_client.manager import start_new_kernel
    except Exception as error:  # noqa: BLE001
        return Result(name, False, f"jupyter_client missing ({type(error).__name__})", fix)
    manager = client = None
    lines: list[str] = []
    errors: list[str] = []

    def hook(message):
        content = message.get("content", {})
        if message.get("msg_type") == "stream":
            lines.append(content.get("text", ""))
        elif message.get("msg_type") == "error":
            errors.append(f"{content.get('ename')}: {content.get('evalue')}")

    try:
        manager, client = start_new_kernel(kernel_name=kernel_name, startup_timeout=timeout,
                                           stderr=subprocess.DEVNULL)  # its start-up chatter
        client.execute_interactive(KERNEL_CODE, timeout=timeout, output_hook=hook, allow_stdin=False)
    except Exception as error:  # noqa: BLE001
        return Result(name, False, f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}", fix)
    finally:
        if client is not None:
            client.stop_channels()
        if manager is not None:
            manager.shutdown_kernel(now=True)
    if errors:
        return Result(name, False, errors[0], fix)
    found = kernel_report("".join(lines))
    if found is None:
        return Result(name, False, "the kernel printed nothing", fix)
    grad, torch_version, executable = found
    if float(grad) != 6.0:
        return Result(name, False, f"d(x*x)/dx at 3 gave {grad}, expected 6.0", fix)
    expected = pinned_torch()
    if torch_version.split("+")[0] != expected:
        return Result(name, False, f"the kernel runs torch {torch_version} ({executable}), not {expected}", fix)
    return Result(name, True, f"x.grad = {float(grad)} (torch {torch_version}, {_short(Path(executable))})")


def kernel_report(text: str) -> tuple[str, str, str] | None:
    """(grad, torch version, interpreter path) from the kernel's GRADFLOW-CHECK line; the path may hold spaces."""
    match = re.search(r"GRADFLOW-CHECK (\S+) (\S+) (.+)", text)
    return (match.group(1), match.group(2), match.group(3).strip()) if match else None


def check_lessons(folder: Path | None = None) -> Result:
    folder = paths.lessons() if folder is None else folder
    notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if notebooks:
        return Result("lessons present", True, f"{len(notebooks)} notebooks in {_short(folder)}/")
    return Result("lessons present", False, f"no notebooks in {_short(folder)}/",
                  "run from the course folder (a full `git clone` of the repository); `git status` shows what is missing")


def check_workspace(folder: Path | None = None) -> Result:
    """Write one throwaway file where the learner's copies go (or the nearest folder above it that exists)."""
    from .workspace import not_writable

    folder = paths.workspace() if folder is None else folder
    name = "workspace writable"
    existing = next((f for f in (folder, *folder.parents) if f.is_dir()), folder)
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        why = error.strerror or str(error)
        return Result(name, False, f"{_short(existing)}/: {why}", not_writable(folder, why))
    return Result(name, True, f"{_short(folder)}/" + ("" if folder.is_dir() else " (make lab creates it)"))


CHECKS: list[Callable[[], Result]] = [check_python, check_torch, check_gradflow, check_widgets_extension,
                                      check_kernel, check_lessons, check_workspace]


def _short(path: Path) -> str:
    return paths.shown(path)


def run_checks(checks: list[Callable[[], Result]] | None = None) -> list[Result]:
    results = []
    for check in CHECKS if checks is None else checks:
        try:
            results.append(check())
        except Exception as error:  # noqa: BLE001 - a broken check is a failed check, never a traceback
            results.append(Result(check.__name__.removeprefix("check_"), False,
                                  f"{type(error).__name__}: {error}", "report this to your instructor"))
    return results


def table(results: list[Result]) -> str:
    """The pass/fail table, then one fix line per failure."""
    width = max(len(r.name) for r in results)
    lines = [f"{'check':<{width}}  result  detail", f"{'-' * width}  ------  ------"]
    for r in results:
        lines.append(f"{r.name:<{width}}  {'PASS' if r.ok else 'FAIL':<6}  {r.detail}")
    failed = [r for r in results if not r.ok]
    lines.append("")
    if failed:
        lines.append(f"{len(failed)} of {len(results)} checks failed. How to fix:")
        lines += [f"  {r.name}: {r.fix}" for r in failed]
    else:
        lines.append(f"all {len(results)} checks passed: you are ready (`make lab` opens the course)")
    return "\n".join(lines)


def add_arguments(parser) -> None:
    pass  # no options: the preflight checks this machine as it is


def run(args=None) -> int:
    print("gradflow preflight (no network needed)\n")
    results = run_checks()
    print(table(results))
    return 0 if all(r.ok for r in results) else 1

