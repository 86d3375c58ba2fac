"""The solutions (and the field guide) under strict nbval once per CPU kernel this machine can run (`make test-kernels`).

    python -m gradflow_course test-kernels                      # every capability this CPU has
    python -m gradflow_course test-kernels --require avx2,avx512   # fail if one of these is missing here

PyTorch picks its CPU kernels by the CPU's capability (``torch.backends.cpu.get_cpu_capability()``)
and lets the environment variable ``ATEN_CPU_CAPABILITY`` choose a lower one. Two computations that
agree in exact arithmetic (a hand-written SGD step and ``torch.optim.SGD``) can round differently
under vectorised kernels, so a notebook that passes on one machine can fail on a learner's. This
command runs every capability from ``default`` up to the CPU's best, checks that each one really took
effect, and prints which were covered. A run that could cover only ``default`` says so loudly.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable

import gradflow_course.paths as paths
import gradflow_course.suite as suite

#: x86 capabilities in increasing order; ATEN_CPU_CAPABILITY accepts each name in lower case
X86_ORDER = ["default", "avx2", "avx512"]
PROBE = "import torch; print(torch.backends.cpu.get_cpu_capability())"


def capability_in_effect(capability: str | None) -> str:
    """The capability a fresh Python process reports with ATEN_CPU_CAPABILITY set (None: unset)."""
    env = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
    if capability is not None:
        env["ATEN_CPU_CAPABILITY"] = capability
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().lower()


def capabilities_up_to(best: str) -> list[str]:
    """Every capability to run, from ``default`` up to the CPU's best one (``best`` as torch names it)."""
    best = best.lower()
    if best in X86_ORDER:
        return X86_ORDER[: X86_ORDER.index(best) + 1]
    return ["default"] if best == "default" else ["default", best]  # ARM (SVE), s390x (ZVECTOR), ...


@dataclass
class Run:
    capability: str
    outcome: str  # "passed", "failed (exit code N)", or "skipped: ..."
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome.startswith("passed")


def run_solutions(capability: str) -> int:
    """Strict nbval of the notebooks with stored outputs (solutions/, guide/) with ATEN_CPU_CAPABILITY set; the
    pytest exit code."""
    env = dict(os.environ, ATEN_CPU_CAPABILITY=capability)
    folders = [f for f in ("solutions", "guide") if (paths.root() / f).is_dir()]
    return subprocess.call([sys.executable, "-m", "pytest", *suite.OPTIONS, "-q", *folders],
                           cwd=paths.root(), env=env)


def run_matrix(capabilities: list[str], runner: Callable[[str], int] = run_solutions,
               probe: Callable[[str | None], str] = capability_in_effect, covered: str | None = None) -> list[Run]:
    """One run per capability; ``covered`` is one that a run without ATEN_CPU_CAPABILITY (make test) already
    proved, so it is reported, not repeated."""
    runs = []
    for capability in capabilities:
        if capability == covered:
            runs.append(Run(capability, "passed (make test ran it: this CPU's best)"))
            continue
        in_effect = probe(capability)
        if in_effect != capability:  # torch fell back: this CPU (or build) cannot run it
            runs.append(Run(capability, f"skipped: torch ran '{in_effect}' instead"))
            continue
        print(f"\n== solutions with ATEN_CPU_CAPABILITY={capability} ==", flush=True)
        start = time.perf_counter()
        code = runner(capability)
        runs.append(Run(capability, "passed" if code == 0 else f"failed (exit code {code})",
                        time.perf_counter() - start))
    return runs


def summary(runs: list[Run], required: list[str]) -> tuple[str, int]:
    """The closing table and the exit code: non-zero if a run failed or a required kernel was not covered."""
    lines = ["", f"{'CPU kernel':<12} {'result':<40} seconds"]
    lines += [f"{r.capability:<12} {r.outcome:<40} {r.seconds:7.1f}" for r in runs]
    covered = [r.capability for r in runs if r.ok]
    lines.append(f"covered: {', '.join(covered) or 'nothing'} (machine: {platform.machine()})")
    code = 0 if runs and all(r.ok or r.outcome.startswith("skipped") for r in runs) else 1
    vectorised = [r.capability for r in runs if r.capability != "default" and r.ok]
    if not vectorised:
        lines += ["", "!" * 78,
                  "!! WARNING: only the default (non-vectorised) CPU kernels were tested on this machine.",
                  "!! Most learners' CPUs use AVX2/AVX-512 (x86) or NEON/SVE (ARM) kernels, which can round",
                  "!! differently; nothing here proves the notebooks on them. Run this on such a CPU.",
                  "!" * 78]
    missing = [c for c in required if c not in covered]
    if missing:
        lines.append(f"FAILED: required CPU kernel(s) not covered here: {', '.join(missing)}")
        code = 1
    return "\n".join(lines), code


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--require", default="", help="comma-separated capabilities that must be covered")
    parser.add_argument("--after-make-test", action="store_true",
                        help="make test has just passed: it ran the solutions and guide under this CPU's best kernel, "
                             "so only the others run here (what .ci/run does)")


def run(args: argparse.Namespace) -> int:
    required = [c.strip().lower() for c in args.require.split(",") if c.strip()]
    best = capability_in_effect(None)
    covered = best if args.after_make_test else None
    running = [c for c in capabilities_up_to(best) if c != covered]
    print(f"this CPU's best kernel: {best}; running {', '.join(running) or 'nothing more'}"
          + (f" ({covered}: make test has just run it)" if covered else ""))
    text, code = summary(run_matrix(capabilities_up_to(best), covered=covered), required)
    print(text)
    return code

