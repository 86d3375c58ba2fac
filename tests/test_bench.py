"""`make bench` measures every notebook, even when one of them fails."""

import re

import pytest

import nbformat

from gradflow_course import cli


def _notebook(path, source):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.slow  # starts a kernel, a server or a pytest of its own
def test_bench_reports_a_failing_notebook_in_one_line_and_each_kernels_memory(tmp_path, capsys, monkeypatch):
    # one bench run (kernels are what cost here): a failing notebook gets one line and the others are still
    # measured; 200 MiB held by one notebook's kernel shows in its memory column and nowhere else
    import gradflow_course.bench as bench
    import gradflow_course.sizing as sizing

    assert bench.measure_notebook is sizing.measure_notebook, "one home for the kernel measurement"
    # three kernels in all (bare, bad, big; no warm-up with one repeat), none importing torch: this test is about
    # the table, and a torch import would only add 3 s per kernel
    monkeypatch.setattr(sizing, "BARE_SOURCE", "import json")
    bad = _notebook(tmp_path / "a_bad.ipynb", "assert 1 == 2, 'lesson claim broke'")
    big = _notebook(tmp_path / "c_big.ipynb", "import json\nb = b'\\x01' * (200 * 1024 * 1024)")  # bare + 200 MiB
    code = cli.main(["bench", str(bad), str(big), "--repeat", "1"])
    out = capsys.readouterr().out
    assert code == 1
    bad_row = next(line for line in out.splitlines() if "a_bad.ipynb" in line)
    assert "FAILED: AssertionError: lesson claim broke" in bad_row
    big_row = next(line for line in out.splitlines() if "c_big.ipynb" in line)
    assert re.search(r"(within|over) 15 s$", big_row), big_row  # the verdict's words: the next test, with timings set
    assert "Traceback" not in out
    header = next(line for line in out.splitlines() if line.startswith("notebook"))
    assert "kernel MiB" in header and "CPU s" in header
    bare_row = next(line for line in out.splitlines() if line.startswith("(bare:"))
    big_mib, bare_mib = float(big_row.split()[3]), float(bare_row.split(")")[1].split()[2])
    assert big_mib - bare_mib >= 190, out
    assert re.search(rf"largest kernel after Run All: {round(big_mib)} MiB \(c_big\)", out), out


def test_bench_explains_its_goals_and_a_slow_machine_is_no_failure(tmp_path, capsys, monkeypatch):
    # issue 22: the goal column was unexplained, and "84.7 s vs suite goal 52.2 s" read like a failure
    import gradflow_course.bench as bench

    monkeypatch.setattr(bench, "_measure", lambda path: {"seconds": 18.0 if "slow" in path.name else 4.0,
                                                         "rss_mib": 300, "cpu_s": 3.0, "first_error": None})
    fast, slow = tmp_path / "01_fast.ipynb", tmp_path / "02_slow.ipynb"
    assert cli.main(["bench", str(fast), str(slow), "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("notebook"))
    legend = "\n".join(lines[:lines.index(header)])
    assert "goal" in legend and "15 s" in legend and "floor" in legend and "not a test" in legend, legend
    assert re.search(r"01_fast\.ipynb .* within 15 s$", out, re.M), out
    assert re.search(r"02_slow\.ipynb .* over 15 s$", out, re.M), out
    suite = next(line for line in lines if "make test" in line and "target" in line)
    assert "goal" not in suite.split(":")[0] and "not a failure" in out
    # the floor is the notebooks' own Run All (4 + 18 s) over the cores: what re-running every notebook costs
    import os

    assert f"22.0 s in all, over {os.cpu_count()} cores = {22.0 / os.cpu_count():.1f} s" in out, out


def test_the_suite_is_compared_with_the_floor_measured_before_and_after_it(tmp_path, capsys, monkeypatch):
    # the machine slows down while the suite runs: the floor after it counts as much as the one before
    import gradflow_course.bench as bench

    passes = iter([4.0, 4.0, 4.0, 6.0, 6.0])  # bare, then two notebooks before the suite and two after
    monkeypatch.setattr(bench, "_measure", lambda path: {"seconds": next(passes), "rss_mib": 300, "cpu_s": 3.0,
                                                         "first_error": None})
    monkeypatch.setattr(bench.subprocess, "call", lambda *a, **k: 0)
    clock = iter([100.0, 112.0])  # the suite's start and end
    monkeypatch.setattr(bench.time, "perf_counter", lambda: next(clock))
    monkeypatch.setattr(bench.os, "cpu_count", lambda: 2)
    assert cli.main(["bench", str(tmp_path / "01_a.ipynb"), str(tmp_path / "02_b.ipynb"), "--repeat", "1",
                     "--suite"]) == 0
    out = capsys.readouterr().out
    # floor 4 s before (8 s / 2 cores), 6 s after: 12 s of suite is 2.4 x their mean of 5 s
    assert "make test took 12.0 s = 2.40 x the floor (floor 4.0 s before the suite, 6.0 s after, 5.0 s their mean" in out, out
