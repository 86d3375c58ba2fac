"""Quiet terminals: the kernel's TCP warning and jupyter-lsp's "Skipped non-installed server(s)" line
never reach a learner's terminal; every other warning still does, and no security setting changes."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gradflow_course import quiet
from gradflow_course.lab import lab_command

TCP = "Kernel is running over TCP without encryption"
LSP = "Skipped non-installed server(s)"
LSP_DONE = "[lsp] The following Language Servers will be available"


def test_the_filter_drops_only_the_two_lines(tmp_path, capsys):
    code = quiet.CONFIG.format(names=("QuietProbe",))
    logger = logging.getLogger("QuietProbe")
    handler = logging.StreamHandler(sys.stdout)
    logger.addHandler(handler)
    try:
        logger.warning(TCP + " (before)")
        exec(compile(code, "config", "exec"), {})
        logger.warning(TCP + " All communication ...")
        logger.info(LSP + ": bash-language-server")
        logger.warning("a real warning")
    finally:
        logger.removeHandler(handler)
        logger.filters.clear()
    out = capsys.readouterr().out
    assert TCP + " (before)" in out  # the filter is what removes it
    assert "All communication" not in out and LSP not in out
    assert "a real warning" in out


def test_install_never_overwrites_a_config_that_is_not_ours(tmp_path):
    theirs = tmp_path / "etc" / "jupyter" / "jupyter_server_config.py"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("c.ServerApp.port = 9999\n")
    written = quiet.install(tmp_path)
    assert theirs.read_text() == "c.ServerApp.port = 9999\n"
    assert [p.name for p in written] == ["ipython_kernel_config.py"]
    assert quiet.install(tmp_path) == written  # ours is rewritten, idempotent


def test_security_defaults_are_kept():
    command = " ".join(lab_command(Path("/tmp/ws"), []))
    assert "--ServerApp.ip=127.0.0.1" in command
    assert "token" not in command and "transport" not in command and "password" not in command.lower()
    assert "addFilter" in quiet.CONFIG and "c." not in quiet.CONFIG  # no setting of any app is changed


@pytest.mark.slow  # starts a kernel, a server or a pytest of its own
def test_a_real_kernel_start_is_quiet():
    from jupyter_client.manager import start_new_kernel

    quiet.install()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"gradflow-kernel-{os.getpid()}.log"
    with log.open("w") as stderr:
        manager, client = start_new_kernel(kernel_name="python3", stderr=stderr)
        try:
            client.execute_interactive("import logging; logging.getLogger('IPKernelApp')", timeout=60)
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    text = log.read_text()
    log.unlink()
    assert TCP not in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # starts a kernel, a server or a pytest of its own
def test_jupyterlab_terminal_shows_the_url_not_the_noise(tmp_path):
    quiet.install()
    # at debug level jupyter-lsp logs LSP_DONE once it has looked for servers, i.e. after the line the filter drops
    command = lab_command(tmp_path, ["--no-browser", f"--ServerApp.port={_free_port()}",
                                     "--ServerApp.port_retries=0", "--ServerApp.log_level=DEBUG"])
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                               cwd=tmp_path, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    url = re.compile(r"http://127\.0\.0\.1:\d+/lab\?token=\w+")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (url.search("".join(lines)) and LSP_DONE in "".join(lines)):
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
    reader.join(timeout=10)
    text = "".join(lines)
    assert url.search(text) and LSP_DONE in text, text[-2000:]
    assert "ServerApp" in text  # the log itself still reaches the terminal
    assert LSP not in text


@pytest.mark.slow  # starts a kernel, a server or a pytest of its own
def test_bench_and_outputs_kernels_are_quiet(tmp_path, capfd):
    """`make bench` and `make outputs` run notebooks through run_notebook: its kernels print no TCP warning."""
    import nbformat

    from gradflow_course.outputs import run_notebook

    path = tmp_path / "bare.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), path)
    run_notebook(path)
    captured = capfd.readouterr()
    assert TCP not in captured.out + captured.err


def test_readme_gives_the_cpu_torch_tip_before_the_first_installing_command():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    tip = readme.index("make setup TORCH_INDEX=cpu")
    first_install = min(readme.index(command) for command in ("\nmake lab", "\nmake test", "\nmake setup")
                        if command in readme)
    assert tip < first_install
