"""Fixtures of the browser end-to-end test (`make test-browser`): Chromium, a JupyterLab server, a page.

Kept out of `make test` (which collects only tests/ and the notebooks) so the quick suite needs no
browser. What it needs is installed here when missing:

* Debian's Chromium at /usr/bin/chromium (``apt-get install -y chromium``; Playwright's own browser
  download cannot work on these machines, so Playwright is pointed at this binary);
* the ``playwright`` PyPI package (the ``browser`` extra: `make test-browser` installs it).

Screenshots and the server log land in ``tests_browser/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def ensure_chromium() -> Path:
    """Debian's chromium, installed with apt-get when it is missing (needs root, as on CI)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0:
        pytest.fail("Chromium is missing: run `sudo apt-get install -y chromium` (Debian's package)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    assert CHROMIUM.exists(), "apt-get installed chromium but /usr/bin/chromium is not there"
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server from this environment on 127.0.0.1 with a token, in a temporary folder."""

    def __init__(self, root_dir: Path, log: Path):
        from gradflow_course.lab import write_overrides

        write_overrides()  # as `make lab`: no news / update checks (a toast would cover the page, the check would go
        # online), and output lines wrapped at spaces (the course's custom.css)
        self.root_dir = root_dir
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        state = root_dir.parent / "lab-state"
        # render every cell (no virtual scrolling), so the test sees every output
        settings = state / "settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}\n')
        command = [sys.executable, "-m", "gradflow_course.lab_server", "--no-browser",  # as make lab starts it
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root_dir}",
                   f"--LabApp.workspaces_dir={state / 'workspaces'}",
                   f"--LabApp.user_settings_dir={state / 'settings'}"]
        if os.geteuid() == 0:  # Jupyter refuses root without it (as `make lab` does)
            command.append("--allow-root")
        self.runtime_dir = state / "runtime"  # where the server's info file is: `make reset` finds the server there
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(self.runtime_dir), PYTHONUNBUFFERED="1")
        self.log = log.open("w")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                        cwd=root_dir, start_new_session=True)
        self._wait()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}?token={self.token}"

    def _wait(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s; see {self.log.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # only the server this fixture started
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


@pytest.fixture(scope="session")
def lab_root():
    """A temporary folder with copies of the course's lessons (the real workspace is never touched)."""
    folder = Path(tempfile.mkdtemp(prefix="gradflow-browser-"))
    root = folder / "course"
    root.mkdir()
    for notebook in sorted((ROOT / "lessons").glob("*.ipynb")):
        shutil.copy2(notebook, root / notebook.name)
    yield root
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def lab(lab_root, artifacts):
    server = Lab(lab_root, artifacts / "jupyter-lab.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_context(artifacts):
    executable = ensure_chromium()
    try:
        import playwright.sync_api as playwright_api
    except ImportError:
        pytest.fail("the playwright package is missing: `make test-browser` installs it (the 'browser' extra)")
    profile = Path(tempfile.mkdtemp(prefix="gradflow-chromium-"))  # a fresh --user-data-dir
    with playwright_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(executable), headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000})
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context, request, artifacts):
    page = browser_context.new_page()
    page.set_default_timeout(60_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:  # what the browser showed when the test failed
        page.screenshot(path=str(artifacts / f"failed_{request.node.name}.png"))
    page.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
