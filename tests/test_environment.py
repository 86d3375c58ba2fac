"""environment.yml (conda, Binder, repo2docker) installs what pyproject.toml declares; postBuild is ready."""

import os
import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _normal(requirement: str) -> str:
    """'torch == 2.13.0' -> 'torch==2.13.0' (name normalised, spaces dropped)."""
    rest = requirement.strip()[len(_name(requirement)):]
    return _name(requirement) + re.sub(r"\s+", "", rest)


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def _pip_section(env: dict) -> list[str]:
    sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(sections) == 1, "environment.yml has one pip section"
    return [str(line).strip() for line in sections[0]]


def test_environment_yml_has_the_shape_repo2docker_reads():
    env = _environment()
    assert (ROOT / "environment.yml").is_file(), "repo2docker reads environment.yml at the repository root"
    assert set(env) >= {"name", "channels", "dependencies"}
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "pip" in conda
    python = [d for d in conda if d.startswith("python")]
    assert python == ["python=3.11"], "the same Python as pyproject's requires-python"
    assert _pyproject()["project"]["requires-python"].startswith(">=3.11")


def test_environment_yml_and_pyproject_declare_the_same_packages():
    project = _pyproject()["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    pip = [line for line in _pip_section(_environment()) if not line.startswith("-")]
    assert sorted(map(_normal, pip)) == sorted(map(_normal, declared)), (
        "environment.yml's pip section must list pyproject.toml's dependencies and test extras, "
        "with the same version pins")


def test_environment_yml_uses_the_constraints_and_installs_the_course_editable():
    options = [line for line in _pip_section(_environment()) if line.startswith("-")]
    assert "-c constraints.txt" in options, "exact tested versions come from constraints.txt"
    assert "-e ." in options, "the helper library is installed in editable mode"


def test_every_declared_package_has_an_exact_version_in_constraints():
    project = _pyproject()["project"]
    declared = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    pinned = {_name(line) for line in (ROOT / "constraints.txt").read_text().splitlines()
              if line and not line.startswith("#") and "==" in line}
    assert not {_name(r) for r in declared} - pinned


def test_postbuild_makes_the_editable_install_and_is_executable():
    post = ROOT / "postBuild"
    assert post.is_file(), "repo2docker runs postBuild after installing environment.yml"
    text = post.read_text()
    assert text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/bash")
    assert re.search(r"pip install\b[^\n]*-e \.", text), "postBuild installs this repository in editable mode"
    assert os.access(post, os.X_OK), "postBuild must be executable (chmod +x)"
    tracked = subprocess.run(["git", "ls-files", "-s", "postBuild"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode == 0 and tracked.stdout:  # in a clone, the executable bit must be committed too
        assert tracked.stdout.startswith("100755"), "commit postBuild with mode 100755 (git add --chmod=+x)"
