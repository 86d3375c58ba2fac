"""Two slips every learner makes get one calm line with the fix instead of a long traceback.

* Running a reveal cell again (after changing a guess) calls backward() on a graph that is already
  freed: PyTorch's "Trying to backward through the graph a second time", 40 lines of traceback.
* After a kernel restart, the first cell run stops on a bare NameError.

`gradflow.setup()` registers an IPython handler for exactly these two; every other error keeps
IPython's own traceback, and the cell still fails (nbval, Run All and `make bench` all see an error).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

BACKWARD_TWICE = """
import torch
w = torch.tensor(2.0, requires_grad=True)
loss = w * w
loss.backward()
loss.backward()
"""


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="nocolor")
    yield shell
    shell.set_custom_exc((), None)
    InteractiveShell.clear_instance()


def _run(shell, code: str, capsys):
    result = shell.run_cell(code)
    out = capsys.readouterr()
    return result, out.out + out.err


def test_running_a_reveal_again_says_to_run_the_section_again(shell, capsys):
    _run(shell, "from gradflow import setup; setup()", capsys)
    result, shown = _run(shell, BACKWARD_TWICE, capsys)
    assert isinstance(result.error_in_exec, RuntimeError), "the cell still fails"
    assert "run the cells of this section from its first cell again" in shown
    assert len(shown.strip().splitlines()) == 1, shown
    assert "Traceback" not in shown


def test_a_name_lost_in_a_restart_says_to_run_the_cells_above(shell, capsys):
    _run(shell, "from gradflow import setup; setup()", capsys)
    result, shown = _run(shell, "my_prediction + 1", capsys)
    assert isinstance(result.error_in_exec, NameError)
    assert "name 'my_prediction' is not defined" in shown
    assert "Run All Above Selected Cell" in shown
    assert len(shown.strip().splitlines()) == 1, shown


def test_other_errors_keep_ipythons_traceback(shell, capsys):
    _run(shell, "from gradflow import setup; setup()", capsys)
    for code, name in [("1 / 0", "ZeroDivisionError"), ("import torch; torch.ones(2) @ torch.ones(3)", "RuntimeError"),
                       ("def f():\n    y = y + 1\nf()", "UnboundLocalError")]:
        result, shown = _run(shell, code, capsys)
        assert type(result.error_in_exec).__name__ == name
        assert "Traceback" in shown and "Run All Above" not in shown and "this section" not in shown, shown


def test_without_setup_ipython_is_unchanged(shell, capsys):
    result, shown = _run(shell, BACKWARD_TWICE, capsys)
    assert "Traceback" in shown and "this section" not in shown


@pytest.mark.slow  # starts a kernel, a server or a pytest of its own
def test_nbval_still_fails_on_a_calmed_error(tmp_path):
    # the one-line error must stay an error: nbval (make test), Run All and make bench stop on it
    cells = [nbformat.v4.new_code_cell("from gradflow import setup\nsetup()"),
             nbformat.v4.new_code_cell(BACKWARD_TWICE),
             nbformat.v4.new_code_cell("never_defined")]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                        "language": "python"}})
    path = tmp_path / "calm.ipynb"
    nbformat.write(nb, path)
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "--nbval-lax",
                             "--nbval-current-env", "-q", str(path)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 1, result.stdout[-2000:]
    assert "2 failed, 1 passed" in result.stdout, result.stdout[-2000:]
    assert "run the cells of this section from its first cell again" in result.stdout
    assert "Run All Above Selected Cell" in result.stdout
