"""Check that repo2docker (Binder, JupyterHub images) understands this repository, without Docker.

    python -m gradflow_course repo2docker-check                  # both checks (a few minutes)
    python -m gradflow_course repo2docker-check --no-postbuild   # only the generated build (seconds)
    python -m gradflow_course repo2docker-check --repo2docker /path/to/repo2docker

1. `repo2docker --no-build --debug` prints the Dockerfile it would build. It must install Python 3.11
   from `environment.yml`, run `postBuild`, and its base environment must carry
   `jupyterhub-singleuser` (the command Zero to JupyterHub starts in each learner's pod).
2. `postBuild`'s steps must succeed in a fresh environment: a throwaway venv gets environment.yml's
   pip section (what conda installs into the image), then postBuild runs in a copy of the repository,
   as repo2docker runs it, ending with the course's preflight.

repo2docker itself is installed into a second throwaway venv (pinned below), never into the
learner's environment. Nothing here needs Docker or a network beyond the package index.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

import yaml

import gradflow_course.paths as paths
from .python_check import refusal

REPO2DOCKER = "jupyter-repo2docker==2026.4.0"


def dockerfile_problems(text: str) -> list[str]:
    """What is missing from a Dockerfile that repo2docker generated for this repository."""
    problems = []
    if not re.search(r"env update\b[^\n]*--file\s+\"?environment\.yml", text):
        problems.append("the build does not install environment.yml (no `env update --file environment.yml`)")
    if not re.search(r"^RUN \./postBuild\s*$", text, re.M):
        problems.append("the build does not run postBuild (no `RUN ./postBuild`)")
    return problems


def pip_section(environment_yml: Path) -> list[str]:
    """The lines of environment.yml's pip section: what conda hands to pip in the image."""
    env = yaml.safe_load(environment_yml.read_text())
    sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    if len(sections) != 1:
        raise ValueError("environment.yml must have exactly one pip section")
    return [str(line) for line in sections[0]]


def python_version(environment_yml: Path) -> str | None:
    env = yaml.safe_load(environment_yml.read_text())
    for dep in env["dependencies"]:
        if isinstance(dep, str) and re.match(r"python\s*=", dep):
            return dep.split("=", 1)[1].strip()
    return None


def _reachable(url: str, timeout: float = 5.0) -> bool:
    """Whether a package index answers at all (an HTTP error is an answer: pip may still use it)."""
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(url, timeout=timeout).close()
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:  # no name, no route, refused, timed out
        return False


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def _venv(folder: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(folder)
    return folder / ("Scripts" if os.name == "nt" else "bin")


def _tail(result: subprocess.CompletedProcess, lines: int = 25) -> str:
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-lines:])


def check_build(repo2docker: Path | None, tmp: Path) -> list[str]:
    if repo2docker is None:
        bin_dir = _venv(tmp / "repo2docker-venv")
        installed = _run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", REPO2DOCKER])
        if installed.returncode != 0:
            return [f"could not install {REPO2DOCKER} in a throwaway venv:\n{_tail(installed)}"]
        repo2docker = bin_dir / "repo2docker"
    result = _run([str(repo2docker), "--no-build", "--debug", "--user-id", "1000", "--user-name", "jovyan",
                   "--target-repo-dir", "/srv/gradflow", str(paths.root())], cwd=tmp)
    if result.returncode != 0:
        return [f"repo2docker --no-build failed:\n{_tail(result)}"]
    output = result.stdout + result.stderr
    problems = dockerfile_problems(output)
    wanted = python_version(paths.root() / "environment.yml")
    if f"Building conda environment for python={wanted}" not in output:
        problems.append(f"repo2docker did not pick the conda build pack for python={wanted}")
    # The base environment repo2docker installs before environment.yml (its lock file for this Python).
    version = _run([str(repo2docker.parent / "python"), "-c",
                    "import repo2docker, pathlib; print(pathlib.Path(repo2docker.__file__).parent)"])
    locks = list(Path(version.stdout.strip()).glob(f"buildpacks/conda/environment.py-{wanted}-linux-64.lock"))
    if not locks or "jupyterhub-singleuser" not in locks[0].read_text():
        problems.append(f"repo2docker's base environment for Python {wanted} has no jupyterhub-singleuser")
    return problems


def check_postbuild(tmp: Path) -> list[str]:
    """A fresh venv with environment.yml's pip section, then postBuild in a copy of the repository."""
    source = tmp / "src"
    files = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=paths.root())
    if files.returncode != 0:
        return [f"git ls-files failed: {files.stderr.strip()}"]
    for name in filter(None, files.stdout.split("\0")):
        if (paths.root() / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(paths.root() / name, source / name)
    # conda writes the pip section to a requirements file beside environment.yml and runs pip in the
    # repository folder: `-c constraints.txt` and `-e .` resolve exactly as they do in the image.
    lines = []
    for line in pip_section(source / "environment.yml"):
        index = re.match(r"--(?:extra-)?index-url\s+(\S+)", line)
        if index and not _reachable(index.group(1)):
            # pip would retry it for every package (minutes); the pinned versions come from the others
            print(f"note: {index.group(1)} is unreachable from here; installing without it")
            continue
        lines.append(line)
    requirements = source / "environment-pip-requirements.txt"
    requirements.write_text("\n".join(lines) + "\n")
    bin_dir = _venv(tmp / "fresh-venv")
    installed = _run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                      "-r", requirements.name], cwd=source)
    if installed.returncode != 0:
        return [f"environment.yml's pip section did not install in a fresh venv:\n{_tail(installed)}"]
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", VIRTUAL_ENV=str(bin_dir.parent))
    env.pop("PYTHONPATH", None)
    ran = _run(["bash", "./postBuild"], cwd=source, env=env)
    if ran.returncode != 0:
        return [f"postBuild failed (exit {ran.returncode}):\n{_tail(ran)}"]
    print(_tail(ran, 15))
    return []


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo2docker", type=Path, help="an installed repo2docker (default: a throwaway venv)")
    parser.add_argument("--no-postbuild", action="store_true", help="only check the generated build")


def run(args: argparse.Namespace) -> int:
    refused = refusal(sys.version_info)
    if refused:
        print(refused, file=sys.stderr)
        return 2
    failed = False
    with tempfile.TemporaryDirectory(prefix="gradflow-r2d-") as folder:
        tmp = Path(folder)
        steps = [("repo2docker --no-build: environment.yml and postBuild in the build",
                  lambda: check_build(args.repo2docker, tmp))]
        if not args.no_postbuild:
            steps.append(("postBuild in a fresh environment", lambda: check_postbuild(tmp)))
        for title, step in steps:
            print(f"... {title}", flush=True)
            problems = step()
            for problem in problems:
                print(f"FAIL {problem}")
            print(f"{'FAIL' if problems else 'PASS'} {title}", flush=True)
            failed |= bool(problems)
    return 1 if failed else 0

