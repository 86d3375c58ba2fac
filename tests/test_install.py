"""Installing the course: every Python 3.11 that Debian and Ubuntu ship, a stale .venv, the user's pip indexes.

Offline: the pins are checked against the metadata of the installed packages (what pip reads as
Requires-Python), the Makefile's commands with `make -n`, and pip's own option handling on local
folders only.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from gradflow_course import python_check

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "utils" / "gradflow_course" / "python_check.py"
#: the 3.11 patch releases distributions ship: Ubuntu 22.04 (3.11.0), Debian 12 and Ubuntu 23.04 (3.11.2),
#: Ubuntu 23.10 (3.11.6); python.org's newest is covered by CI
DISTRIBUTION_PYTHONS = ["3.11.0", "3.11.2", "3.11.4", "3.11.6"]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[name.strip()] = version.strip()
    return pins


@pytest.mark.parametrize("python", DISTRIBUTION_PYTHONS)
def test_every_pin_installs_on_the_pythons_debian_and_ubuntu_ship(python):
    # soupsieve 4.1.3 said Requires-Python >=3.11.5: pip on Debian 12's 3.11.2 found no version of it
    refused = []
    checked = 0
    for name, version in _pins().items():
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # an extra not installed here (browser, dev): CI's setup installs and checks it
        if dist.version.split("+")[0] != version:
            continue  # another version installed here than pinned: its metadata says nothing about the pin
        checked += 1
        requires = dist.metadata.get("Requires-Python")
        if requires and not SpecifierSet(requires).contains(python, prereleases=True):
            refused.append(f"{name}=={version} (Requires-Python {requires})")
    assert checked > 50, "the installed environment should hold the pinned versions"
    assert not refused, f"on Python {python} pip cannot install: {', '.join(refused)}"


def _venv(folder: Path, version: str, executable: str) -> Path:
    venv = folder / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = {Path(executable).parent}\ninclude-system-site-packages = false\n"
                                     f"version = {version}\nexecutable = {executable}\n")
    (venv / "bin" / "python").symlink_to(sys.executable)
    return venv


def test_a_venv_made_by_another_python_is_named_stale(tmp_path):
    venv = _venv(tmp_path, "3.11.2", "/usr/bin/python3.11")
    line = python_check.stale_venv(str(venv))
    assert line and "\n" not in line and "3.11.2" in line and "/usr/bin/python3.11" in line


def test_a_venv_made_by_this_python_is_kept(tmp_path):
    base = getattr(sys, "_base_executable", sys.executable)
    import platform

    venv = _venv(tmp_path, platform.python_version(), os.path.realpath(base))
    assert python_check.stale_venv(str(venv)) is None
    assert python_check.stale_venv(str(tmp_path / "no-venv")) is None


def test_the_script_rebuilds_a_stale_venv_before_pip_runs(tmp_path):
    # first `make` with Debian's 3.11.2 failed in pip and left .venv behind; the next `make PYTHON=good`
    # used to reuse its interpreter ("SSL module is not available") until `make clean`
    venv = _venv(tmp_path, "3.11.2", "/usr/bin/python3.11")
    result = subprocess.run([sys.executable, str(SCRIPT), str(venv)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert not venv.exists(), "the stale environment is removed, so `python -m venv` makes a fresh one"
    assert "was made by Python 3.11.2" in result.stderr and result.stderr.count("\n") == 1


def test_make_setup_checks_the_venv_before_it_is_made():
    out = subprocess.run(["make", "-n", "--no-print-directory", "-B", ".venv/.installed-stamp"], cwd=ROOT,
                         capture_output=True, text=True).stdout
    check = out.index("python_check.py .venv")
    assert check < out.index("-m venv .venv")


def test_the_cpu_torch_index_is_added_to_the_users_own_pip_indexes(tmp_path):
    # PIP_EXTRA_INDEX_URL=... replaced the extra indexes of the user's pip.conf; the option adds to them
    out = subprocess.run(["make", "-n", "--no-print-directory", "-B", ".venv/.installed-stamp", "TORCH_INDEX=cpu"],
                         cwd=ROOT, capture_output=True, text=True).stdout
    pip_line = next(line for line in out.splitlines() if "pip install" in line)
    options = re.search(r"(--extra-index-url \S+.*)$", pip_line)
    assert options and CPU_INDEX in options.group(1)
    assert re.search(r"--retries \d", pip_line) and re.search(r"--timeout \d", pip_line), \
        "an unreachable index must not keep pip retrying for 20 minutes"
    without = subprocess.run(["make", "-n", "--no-print-directory", "-B", ".venv/.installed-stamp"],
                             cwd=ROOT, capture_output=True, text=True).stdout
    assert CPU_INDEX not in without
    # pip itself: an --extra-index-url option keeps the config's extra index (the variable does not)
    config = tmp_path / "pip.conf"
    config.write_text(f"[global]\nextra-index-url = {(tmp_path / 'mine').as_uri()}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")} | {"PIP_CONFIG_FILE": str(config)}
    looked = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--index-url",
                             (tmp_path / "empty").as_uri(), "--extra-index-url", (tmp_path / "torch").as_uri(),
                             "no-such-package-gradflow"], env=env, capture_output=True, text=True).stdout
    indexes = next(line for line in looked.splitlines() if line.startswith("Looking in indexes"))
    assert (tmp_path / "mine").as_uri() in indexes and (tmp_path / "torch").as_uri() in indexes


def test_the_readme_first_step_keeps_the_users_pip_configuration():
    readme = (ROOT / "README.md").read_text()
    assert "PIP_EXTRA_INDEX_URL=" not in readme
    assert "make setup TORCH_INDEX=cpu" in readme


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_bare_make_lists_the_commands():
    result = subprocess.run(["make", "--no-print-directory"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert "up to date" not in result.stdout
    makefile = (ROOT / "Makefile").read_text()
    described = dict(re.findall(r"^([\w-]+):[^\n#]*## (.+)$", makefile, re.M))
    assert {"lab", "test", "check", "reset", "progress", "bench", "help"} <= set(described)
    for target, words in described.items():
        line = next((l for l in result.stdout.splitlines() if re.match(rf"^\s*make {re.escape(target)}\s", l)), None)
        assert line is not None, f"`make` lists make {target}"
        assert words.strip() in line, f"with its one line: {words}"
