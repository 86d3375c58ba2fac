"""`make bench` measures every notebook, even when one of them fails."""

import nbformat

from gradflow_course import cli


def test_bench_reports_a_failing_notebook_in_one_line_and_goes_on(tmp_path, capsys):
    good, bad = tmp_path / "a_good.ipynb", tmp_path / "b_bad.ipynb"
    for path, source in ((good, "x = 1"), (bad, "assert 1 == 2, 'lesson claim broke'")):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, path)
    code = cli.main(["bench", str(bad), str(good), "--repeat", "1"])
    out = capsys.readouterr().out
    assert code == 1
    bad_row = next(line for line in out.splitlines() if "b_bad.ipynb" in line)
    assert "FAILED: AssertionError: lesson claim broke" in bad_row
    assert any("a_good.ipynb" in line and "ok" in line for line in out.splitlines())
    assert "Traceback" not in out
