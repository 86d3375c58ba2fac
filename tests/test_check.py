"""The preflight (`make check`): every check passes here, and a failure is reported with its fix."""

import socket

import pytest

from gradflow_course import check
from gradflow_course.check import Result


def test_pinned_torch_is_read_from_pyproject(tmp_path):
    assert check.pinned_torch() == "2.13.0"
    odd = tmp_path / "pyproject.toml"
    odd.write_text('[project]\ndependencies = ["numpy", "torch == 9.1.0"]\n')
    assert check.pinned_torch(odd) == "9.1.0"
    assert check.pinned_torch(tmp_path / "missing.toml") == check.FALLBACK_TORCH


def test_each_check_passes_in_the_course_environment():
    for result in [check.check_python(), check.check_torch(), check.check_gradflow(),
                   check.check_widgets_extension(), check.check_lessons()]:
        assert result.ok, result


def test_failures_name_the_problem_and_the_fix(tmp_path):
    python = check.check_python((3, 9, 1))
    assert not python.ok and "3.9.1" in python.detail and "Python 3.11" in python.fix
    torch = check.check_torch(expected="9.9.9")
    assert not torch.ok and torch.name == "torch 9.9.9" and "found 2.13.0" in torch.detail
    assert "make clean setup" in torch.fix
    widgets = check.check_widgets_extension(paths=[tmp_path])  # a server environment without the extension
    assert not widgets.ok and check.WIDGETS_EXTENSION in widgets.detail and "make setup" in widgets.fix
    lessons = check.check_lessons(tmp_path / "nowhere")
    assert not lessons.ok and "no notebooks" in lessons.detail and lessons.fix
    kernel = check.check_kernel(kernel_name="no-such-kernel", timeout=10)
    assert not kernel.ok and "NoSuchKernel" in kernel.detail and "kernelspec" in kernel.fix


def test_forced_failure_gives_a_fail_row_a_fix_line_and_exit_1(monkeypatch, capsys):
    def broken_torch():
        return Result("torch 2.13.0", False, "found 1.0.0", "`make clean setup` reinstalls it")

    def crashing():
        raise RuntimeError("boom")

    monkeypatch.setattr(check, "CHECKS", [check.check_python, broken_torch, crashing, check.check_lessons])
    assert check.run() == 1
    out = capsys.readouterr().out
    rows = {line.split("  ")[0].strip(): line for line in out.splitlines() if "PASS" in line or "FAIL" in line}
    assert "PASS" in rows["Python 3.11"] and "FAIL" in rows["torch 2.13.0"] and "FAIL" in rows["crashing"]
    assert "2 of 4 checks failed. How to fix:" in out
    assert "  torch 2.13.0: `make clean setup` reinstalls it" in out
    assert "RuntimeError: boom" in out and "Traceback" not in out


def test_all_passing_exits_0(monkeypatch, capsys):
    monkeypatch.setattr(check, "CHECKS", [check.check_python, check.check_lessons])
    assert check.run() == 0
    assert "all 2 checks passed" in capsys.readouterr().out


@pytest.mark.slow  # starts a kernel, a server or a pytest of its own
def test_the_preflight_passes_with_the_network_cut_off(monkeypatch, capsys):
    """Any connection from this process to a non-loopback address fails the test.

    The full preflight starts the python3 kernel once (the slow part), so this test also proves that
    the kernel runs one autograd step on the pinned torch.
    """
    real_connect = socket.socket.connect

    def loopback_only(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") and "/" not in host:
            raise AssertionError(f"the preflight tried to reach {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    code, out = check.run(), capsys.readouterr().out
    assert code == 0, out
    kernel_row = next(line for line in out.splitlines() if line.startswith("kernel 'python3' runs autograd"))
    assert "PASS" in kernel_row and "x.grad = 6.0" in kernel_row and "torch 2.13.0" in kernel_row


def test_the_kernels_path_with_a_space_is_read_whole():
    # issue 22: `make check` cut "/home/ana/my course/.venv/bin/python" at the space
    from gradflow_course import check

    line = "GRADFLOW-CHECK 6.0 2.13.0+cpu /home/ana/my course/.venv/bin/python\n"
    assert check.kernel_report(line) == ("6.0", "2.13.0+cpu", "/home/ana/my course/.venv/bin/python")
