"""Workshop sizing: the command measures the kernel process, its JSON is current, the kit's arithmetic holds."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import nbformat
import pytest

from gradflow_course.sizing import (RUN_ALL_TARGET_S, _combine, learners_per_node, measure_notebook,
                                    mebibytes, per_learner)

ROOT = Path(__file__).resolve().parents[1]
SIZING = ROOT / "instructors" / "sizing.json"
KIT = ROOT / "instructors" / "sizing.md"
CONFIG = ROOT / "instructors" / "hub" / "config.yaml"


def _notebook(folder: Path, name: str, source: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.slow  # starts a kernel, a server or a pytest of its own
def test_it_reads_the_kernels_own_memory_and_cpu(tmp_path):
    # 200 MiB written byte by byte stays resident in the kernel; the busy loop costs the kernel CPU time.
    # The measuring process itself allocates neither, so the difference proves whose figures these are.
    small = measure_notebook(_notebook(tmp_path, "small", "x = 1"))
    big = measure_notebook(_notebook(tmp_path, "big", "b = b'\\x01' * (200 * 1024 * 1024)\n"
                                                      "s = sum(i * i for i in range(2_000_000))"))
    assert big["rss_mib"] - small["rss_mib"] >= 190, (small, big)
    assert big["cpu_s"] - small["cpu_s"] >= 0.05, (small, big)
    if big["peak_rss_mib"] is not None:
        assert big["peak_rss_mib"] >= big["rss_mib"]


def test_repeats_keep_the_largest_memory_and_the_median_cpu():
    runs = [{"rss_mib": 300.2, "peak_rss_mib": 310.0, "cpu_s": 9.0},
            {"rss_mib": 320.6, "peak_rss_mib": 330.4, "cpu_s": 3.0},
            {"rss_mib": 310.0, "peak_rss_mib": None, "cpu_s": 4.0}]
    assert _combine(runs) == {"rss_mib": 321, "peak_rss_mib": 330, "cpu_s": 4.0}


def test_per_learner_adds_the_server_to_the_largest_kernel():
    sizing = {"jupyterlab_server": {"rss_mib": 80},
              "lessons": {"a": {"rss_mib": 300, "peak_rss_mib": 700, "cpu_s": 3.0},
                          "b": {"rss_mib": 350, "peak_rss_mib": 360, "cpu_s": 6.0}}}
    need = per_learner(sizing)
    assert need["memory_mib"] == 80 + 350
    assert need["memory_two_kernels_mib"] == 80 + 700  # one kernel's peak beats two kernels at rest here
    assert need["cpu"] == round(6.0 / RUN_ALL_TARGET_S, 3)


def test_the_committed_sizing_covers_every_lesson_and_is_consistent():
    sizing = json.loads(SIZING.read_text())
    solutions = {p.stem for p in (ROOT / "solutions").glob("*.ipynb")}
    # a new lesson not measured yet is a `make lint` warning (measure it alone: sizing --lesson NAME); a row for a
    # lesson that no longer exists is an error
    assert set(sizing["lessons"]) <= solutions, "a lesson was renamed or removed: run python -m gradflow_course sizing"
    assert sizing["per_learner"] == per_learner(sizing), "per_learner was edited by hand or the rule changed: re-measure"
    for name, row in sizing["lessons"].items():
        assert row["rss_mib"] >= sizing["bare_kernel"]["rss_mib"] * 0.9, f"{name}: less than a bare kernel?"
        assert row["cpu_s"] > 0


def test_the_machine_summary_names_no_host_user_or_path():
    sizing = json.loads(SIZING.read_text())
    assert set(sizing["machine"]) == {"os", "arch", "cpu_model", "logical_cpus", "memory_gib", "python",
                                      "torch", "ipykernel", "jupyterlab"}
    text = SIZING.read_text()
    assert socket.gethostname() not in text
    assert not re.search(r'"/|[A-Za-z]:\\\\|/home/|/root|/Users/', text), "a path in sizing.json"


def _kit_rows() -> dict[tuple[int, int], int]:
    """'| 8 vCPU / 32 GiB | ... | 30 |' rows of the node table in instructors/sizing.md."""
    rows = re.findall(r"^\|\s*(\d+) vCPU / (\d+) GiB\s*\|.*\|\s*\*\*(\d+)\*\*\s*\|\s*$", KIT.read_text(), re.M)
    return {(int(c), int(m)): int(n) for c, m, n in rows}


def test_the_kit_shows_the_nodes_the_issue_asks_about():
    assert {(8, 32), (16, 64)} <= set(_kit_rows())


def test_the_kits_learners_per_node_follow_from_the_hub_configuration():
    import yaml

    single = yaml.safe_load(CONFIG.read_text())["singleuser"]
    for (vcpu, gib), learners in _kit_rows().items():
        expected = learners_per_node(vcpu, gib, single["cpu"]["guarantee"], mebibytes(single["memory"]["guarantee"]))
        assert learners == expected["learners"], f"{vcpu} vCPU / {gib} GiB: the kit says {learners}, {expected}"


def test_the_kit_quotes_the_measured_figures_and_the_command():
    text = KIT.read_text()
    sizing = json.loads(SIZING.read_text())
    need = sizing["per_learner"]
    for figure in (f"{need['memory_mib']} MiB", f"{sizing['bare_kernel']['rss_mib']} MiB",
                   f"{sizing['jupyterlab_server']['rss_mib']} MiB", f"{need['cpu_s_heaviest_run_all']:.1f} s"):
        assert figure in text, f"instructors/sizing.md does not quote {figure} from sizing.json"
    assert "python -m gradflow_course sizing" in text


@pytest.mark.parametrize("vcpu, gib, cpu, mib, learners", [(8, 32, 0.25, 512, 30), (16, 64, 0.25, 512, 62),
                                                           (8, 32, 0.1, 512, 55), (4, 8, 0.1, 1024, 6)])
def test_learners_per_node_takes_the_scarcer_resource(vcpu, gib, cpu, mib, learners):
    assert learners_per_node(vcpu, gib, cpu, mib)["learners"] == learners


def test_the_kit_names_make_bench_and_sizing_as_the_source_and_the_lessons_range():
    text = KIT.read_text()
    lessons = json.loads(SIZING.read_text())["lessons"]
    assert "make bench" in text and "kernel MiB" in text, "the kit says make bench prints the same measurement"
    lightest = min(row["rss_mib"] for row in lessons.values())
    heaviest = max(row["rss_mib"] for row in lessons.values())
    for figure in (lightest, heaviest):
        assert f"| {figure} MiB |" in text, f"the kit's table does not quote {figure} MiB from sizing.json"


def test_the_hub_configuration_quotes_the_measured_figures():
    # the comments beside the guarantees say what they cover: they must be today's measurement
    text = CONFIG.read_text()
    need = json.loads(SIZING.read_text())["per_learner"]
    for figure in (f"{need['memory_mib']} MiB", f"{need['memory_two_kernels_mib']} MiB",
                   f"{need['cpu_s_heaviest_run_all']:.1f} CPU s"):
        assert figure in text, f"instructors/hub/config.yaml does not quote {figure} from sizing.json"


def test_a_lesson_measured_alone_is_merged_and_the_per_learner_figures_follow():
    from gradflow_course.sizing import merge_lessons

    before = {"jupyterlab_server": {"rss_mib": 80}, "bare_kernel": {"rss_mib": 270},
              "lessons": {"00_a": {"rss_mib": 300, "peak_rss_mib": 310, "cpu_s": 2.0}}}
    before["per_learner"] = per_learner(before)
    new = {"lessons": {"01_b": {"rss_mib": 400, "peak_rss_mib": 420, "cpu_s": 5.0}}}
    merged = merge_lessons(before, new)
    assert list(merged["lessons"]) == ["00_a", "01_b"] and merged["bare_kernel"] == before["bare_kernel"]
    assert merged["per_learner"] == per_learner(merged) and merged["per_learner"]["memory_mib"] == 80 + 400
    assert list(before["lessons"]) == ["00_a"], "the file's old figures are not changed in place"
