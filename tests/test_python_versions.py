"""Which Python the course runs on: one version, claimed in the README, enforced by make, true in CI.

The refusal is a plain file run by whatever Python `make` found (utils/gradflow_course/python_check.py).
On another version it prints one line with a route to 3.11 that works without one installed.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from gradflow_course import python_check

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SCRIPT = ROOT / "utils" / "gradflow_course" / "python_check.py"


def _claimed() -> list[str]:
    """The versions in the README's 'tested on Python X.Y only' sentence."""
    match = re.search(r"tested on Python ((?:\d+\.\d+(?:,? (?:and )?)?)+?)( only)?\b", README.read_text())
    assert match, "the README says which Python versions the course is tested on"
    return re.findall(r"\d+\.\d+", match.group(1))


def _allowed_by_pyproject() -> list[str]:
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low = re.search(r">=\s*3\.(\d+)", spec)
    high = re.search(r"<\s*3\.(\d+)", spec)
    assert low and high, f"requires-python {spec!r} should give a range of minor versions"
    return [f"3.{minor}" for minor in range(int(low.group(1)), int(high.group(1)))]


def _ci_python() -> str:
    job = next(iter(yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())["jobs"].values()))
    match = re.match(r"python:(\d+\.\d+)-", job["container"]["image"])
    assert match, "CI runs in an official python:X.Y image"
    return match.group(1)


def test_the_readme_claim_matches_pyproject_ci_conda_and_the_refusal():
    claimed = _claimed()
    required = "%d.%d" % python_check.REQUIRED
    assert claimed == _allowed_by_pyproject() == [required], (claimed, _allowed_by_pyproject(), required)
    assert _ci_python() in claimed, "CI must test the version the README claims"
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    assert f"python={required}" in conda


def test_the_readme_shows_the_route_before_the_first_command():
    text = README.read_text()
    first_command = text.index("```bash")
    for route in ("conda env create -f environment.yml", "uv python install 3.11", 'make PYTHON="$(uv python find 3.11)"'):
        assert -1 < text.find(route) < first_command, f"{route!r} before the README's first command"


@pytest.mark.parametrize("version", [(3, 12, 3), (3, 13, 0), (3, 10, 14)])
def test_another_python_gets_one_line_with_a_route(version):
    line = python_check.refusal(version)
    found = ".".join(map(str, version))
    assert line and "\n" not in line
    assert line.startswith(f"the course needs Python 3.11, found {found}.")
    assert "conda env create -f environment.yml" in line and "uv python install 3.11" in line
    assert 'make PYTHON="$(uv python find 3.11)" lab' in line


def test_python_311_passes():
    assert python_check.refusal((3, 11, 7)) is None


@functools.cache  # asked at collection (skipif) and by two tests: each candidate is started once
def _other_pythons() -> list[str]:
    """Pythons 3.12/3.13 on PATH or installed by pyenv (a shim alone may refuse to run)."""
    candidates = [shutil.which(name) for name in ("python3.12", "python3.13")]
    candidates += sorted(str(p) for p in (Path.home() / ".pyenv" / "versions").glob("3.1[23].*/bin/python"))
    return [path for path in candidates
            if path and subprocess.run([path, "-c", "pass"], capture_output=True).returncode == 0]


def test_the_script_refuses_as_a_file_under_this_python_and_others():
    # under the course's own Python it passes; that half runs everywhere
    assert subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True).returncode == 0
    for python in _other_pythons():
        result = subprocess.run([python, str(SCRIPT)], capture_output=True, text=True)
        assert result.returncode == 1 and "uv python install 3.11" in result.stderr, (python, result)


@pytest.mark.skipif(shutil.which("make") is None or not _other_pythons(), reason="needs make and a Python 3.12/3.13")
def test_make_setup_on_python_312_stops_with_the_route(tmp_path):
    # a fresh VENV path so the recipe runs; the refusal comes before anything is created
    venv = tmp_path / "venv"
    result = subprocess.run(["make", "--no-print-directory", "setup", f"PYTHON={_other_pythons()[0]}", f"VENV={venv}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "the course needs Python 3.11, found 3.1" in result.stderr and "conda env create" in result.stderr
    assert not venv.exists()
