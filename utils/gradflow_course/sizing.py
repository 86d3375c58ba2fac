"""Workshop sizing: what one learner costs, measured on this machine (memory and CPU of each lesson).

    python -m gradflow_course sizing                 # every solution; writes instructors/sizing.json
    python -m gradflow_course sizing --repeat 1      # quicker, noisier CPU figures
    python -m gradflow_course sizing --output -      # print the table only, write nothing

Each solution runs in a fresh kernel (nbclient, as `make test` runs it). After its Run All the kernel
process is read from outside with psutil: resident memory (RSS) now, the peak RSS during the run
(Linux's VmHWM, where the system reports it), and the CPU seconds the run took (user + system, all
threads: torch's worker threads included). A bare notebook (kernel + torch + matplotlib) gives the
fixed price of any kernel, and an idle JupyterLab server the fixed price of each learner's session.
`per_learner()` turns the figures into what instructors/sizing.md and instructors/hub/config.yaml use.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import math
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

import gradflow_course.metadata as metadata
import gradflow_course.paths as paths
from .build import course_solutions

MIB = 1024 * 1024
BARE_SOURCE = "import torch\nimport matplotlib.pyplot as plt"
# The heaviest lesson's Run All, with every learner pressing it at once, should end within this many
# seconds: it sets the CPU each learner is guaranteed (see per_learner).
RUN_ALL_TARGET_S = 30.0


def _cpu_seconds(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def _peak_rss(proc: psutil.Process) -> int | None:
    """The process's highest resident memory so far (Linux: VmHWM in /proc/PID/status), else None."""
    try:
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def measure_notebook(path: Path, timeout: int = 300) -> dict:
    """Run every cell of `path` in a fresh kernel; the kernel's memory and CPU after its Run All.

    The one home of this measurement: `make bench` prints it per notebook, `sizing` repeats it and
    writes instructors/sizing.json. `first_error` is the first failing cell's error name and message.
    """
    nb = nbformat.read(path, as_version=4)
    # allow_errors: a failing cell still leaves a kernel worth measuring; the error count is reported
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.reset_execution_trackers()
    # the kernel's own stderr carries only ipykernel's start-up notices; errors come back as messages
    with client.setup_kernel(stderr=subprocess.DEVNULL):
        proc = psutil.Process(client.km.provisioner.pid)
        start_rss = proc.memory_info().rss
        cpu_before = _cpu_seconds(proc)
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
        # every cell has replied: the kernel is idle, as a learner's is after Run All
        cpu = _cpu_seconds(proc) - cpu_before
        rss = proc.memory_info().rss
        peak = _peak_rss(proc)
    errors = [output for cell in nb.cells for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    first = {"ename": errors[0].get("ename", ""), "evalue": errors[0].get("evalue", "")} if errors else None
    return {"start_rss_mib": start_rss / MIB, "rss_mib": rss / MIB,
            "peak_rss_mib": None if peak is None else max(peak, rss) / MIB, "cpu_s": cpu, "errors": len(errors),
            "first_error": first}


def _combine(runs: list[dict]) -> dict:
    """Memory: the largest of the runs (what must fit). CPU: the median (a busy neighbour inflates one run)."""
    out = {"rss_mib": round(max(r["rss_mib"] for r in runs)),
           "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 1)}
    peaks = [r["peak_rss_mib"] for r in runs if r["peak_rss_mib"] is not None]
    out["peak_rss_mib"] = round(max(peaks)) if peaks else None
    return out


def bare_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(BARE_SOURCE)]
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    path = folder / "_bare.ipynb"
    nbformat.write(nb, path)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_lab_server(timeout: float = 90.0) -> float:
    """RSS (MiB) of a JupyterLab server that has served the lab page once: each learner's session."""
    token, port = secrets.token_hex(16), _free_port()
    with tempfile.TemporaryDirectory() as root:
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
                   f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root)
        try:
            deadline = time.monotonic() + timeout
            base = f"http://127.0.0.1:{port}"
            while True:
                try:
                    for url in ("/api/status", "/lab", "/api/kernelspecs", "/lab/api/settings"):
                        request = urllib.request.Request(base + url, headers={"Authorization": f"token {token}"})
                        urllib.request.urlopen(request, timeout=10).read()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the JupyterLab server did not start") from None
                    time.sleep(0.5)
            time.sleep(1.0)
            return psutil.Process(server.pid).memory_info().rss / MIB
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def machine_summary() -> dict:
    """What the figures were measured on: no host name, no user, no path."""
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in ("torch", "ipykernel", "jupyterlab"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {"os": platform.system(), "arch": platform.machine(), "cpu_model": model,
            "logical_cpus": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
            "python": platform.python_version(), **versions}


def per_learner(sizing: dict) -> dict:
    """What one learner needs, from measured figures (the rules are explained in instructors/sizing.md).

    memory_mib: the JupyterLab server plus the largest lesson kernel after Run All: the guarantee.
    memory_two_kernels_mib: the server plus two of the largest kernels (a learner who left the last
        lesson's kernel running), or one kernel at its peak if that is more: the limit.
    cpu: the heaviest Run All's CPU seconds spread over RUN_ALL_TARGET_S: the guarantee.
    """
    server = sizing["jupyterlab_server"]["rss_mib"]
    lessons = sizing["lessons"].values()
    rss = max(lesson["rss_mib"] for lesson in lessons)
    peak = max((lesson["peak_rss_mib"] or lesson["rss_mib"]) for lesson in lessons)
    heaviest = max(lesson["cpu_s"] for lesson in lessons)
    return {"memory_mib": math.ceil(server + rss),
            "memory_two_kernels_mib": math.ceil(server + max(2 * rss, peak)),
            "cpu_s_heaviest_run_all": heaviest,
            "cpu": round(heaviest / RUN_ALL_TARGET_S, 3)}


def mebibytes(spec: int | float | str) -> float:
    """A KubeSpawner memory figure in MiB: bytes, or a number with K, M, G or T (powers of 1024)."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    if isinstance(spec, (int, float)):
        return spec / 1024**2
    if not spec or spec[-1] not in units:
        raise ValueError(f"memory {spec!r}: KubeSpawner understands the suffixes K, M, G, T only")
    return float(spec[:-1]) * units[spec[-1]] / 1024**2


def node_allocatable(vcpu: float, memory_gib: float) -> tuple[float, float]:
    """What a node leaves for learners' pods, as a planning assumption: Kubernetes, the system and the
    chart's per-node pods keep half a vCPU and 1 GiB plus a tenth of the memory. The real figure is
    the node's "Allocatable" in `kubectl describe node`, less its daemon pods."""
    return vcpu - 0.5, memory_gib - (1 + 0.1 * memory_gib)


def learners_per_node(vcpu: float, memory_gib: float, cpu_guarantee: float, memory_guarantee_mib: float) -> dict:
    """How many learners' guarantees fit on one node: the smaller of the CPU and the memory count."""
    cpu, memory = node_allocatable(vcpu, memory_gib)
    by_cpu = math.floor(cpu / cpu_guarantee + 1e-9)
    by_memory = math.floor(memory * 1024 / memory_guarantee_mib + 1e-9)
    return {"allocatable_vcpu": cpu, "allocatable_gib": memory, "by_cpu": by_cpu, "by_memory": by_memory,
            "learners": min(by_cpu, by_memory)}


def measure(notebooks: list[Path], repeat: int = 3, log=print) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        bare_path = bare_notebook(Path(tmp))
        measure_notebook(bare_path)  # warm-up: the first kernel start pays for cold file caches
        bare_runs = [measure_notebook(bare_path) for _ in range(repeat)]
    bare = _combine(bare_runs)
    bare["start_rss_mib"] = round(max(r["start_rss_mib"] for r in bare_runs))
    log(f"{'notebook':<32} {'RSS MiB':>8} {'peak MiB':>9} {'CPU s':>6}")
    log(f"{'(bare: kernel + torch + mpl)':<32} {bare['rss_mib']:>8} {bare['peak_rss_mib'] or '-':>9} "
        f"{bare['cpu_s']:>6.1f}")
    lessons = {}
    failed = {}
    for path in notebooks:
        runs = [measure_notebook(path) for _ in range(repeat)]
        row = lessons[path.stem] = _combine(runs)
        log(f"{path.stem:<32} {row['rss_mib']:>8} {row['peak_rss_mib'] or '-':>9} {row['cpu_s']:>6.1f}")
        if any(r["errors"] for r in runs):
            failed[path.stem] = max(r["errors"] for r in runs)
    server = round(measure_lab_server())
    log(f"{'(JupyterLab server, idle)':<32} {server:>8}")
    sizing = {
        "command": "python -m gradflow_course sizing",
        "measured_on": datetime.date.today().isoformat(),
        "repeats": repeat,
        "machine": machine_summary(),
        "jupyterlab_server": {"rss_mib": server},
        "bare_kernel": bare,
        "lessons": lessons,
    }
    sizing["per_learner"] = per_learner(sizing)
    for name, count in failed.items():
        log(f"warning: {name}: {count} cell(s) raised an error (run `make test`); its figures cover the cells that ran")
    need = sizing["per_learner"]
    log(f"\nper learner: {need['memory_mib']} MiB (server + largest kernel), "
        f"{need['memory_two_kernels_mib']} MiB with a second kernel left running; "
        f"heaviest Run All {need['cpu_s_heaviest_run_all']:.1f} CPU s "
        f"= {need['cpu']:.2f} core over {RUN_ALL_TARGET_S:.0f} s")
    return sizing


def merge_lessons(sizing: dict, measured: dict) -> dict:
    """``sizing`` with ``measured``'s lesson rows added or replaced, and the per-learner figures recomputed.

    The bare kernel and the server stay as measured before: a row measured alone is compared with them."""
    merged = json.loads(json.dumps(sizing))
    merged["lessons"].update(measured["lessons"])
    merged["lessons"] = dict(sorted(merged["lessons"].items()))
    merged["per_learner"] = per_learner(merged)
    return merged


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every solution notebook")
    parser.add_argument("--lesson", action="append", default=[],
                        help="measure only this lesson (repeatable) and merge its row into the existing file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per notebook (memory: max, CPU: median)")
    parser.add_argument("--output", default=None,
                        help="JSON file to write ('-' to write nothing); default instructors/sizing.json")


def run(args: argparse.Namespace) -> int:
    out = Path(args.output) if args.output and args.output != "-" else paths.root() / "instructors" / "sizing.json"
    if args.lesson:  # one new lesson, measured alone and merged: numbers are never mixed by hand
        notebooks = [paths.solution(metadata.load().lesson(name).name) for name in args.lesson]
    else:
        notebooks = [p.resolve() for p in args.notebooks] or course_solutions()
    sizing = measure(notebooks, repeat=max(1, args.repeat), log=lambda line: print(line, flush=True))
    if args.lesson:
        sizing = merge_lessons(json.loads(out.read_text(encoding="utf-8")), sizing)
    if args.output != "-":
        out.write_text(json.dumps(sizing, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {paths.shown(out)}")
    return 0

