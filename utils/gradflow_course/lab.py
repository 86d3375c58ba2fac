"""Open the course in JupyterLab: localhost only, token kept, in the learner's workspace.

    python -m gradflow_course lab [extra jupyter lab options]
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import gradflow_course.paths as paths
from .workspace import sync

# JupyterLab settings for this environment: no news or update checks (they would reach the network)
OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def lab_command(workspace: Path, extra: list[str]) -> list[str]:
    command = [sys.executable, "-m", "jupyter", "lab", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.root_dir={workspace}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # Jupyter refuses root without it
        command.append("--allow-root")
    return command + extra


def write_overrides() -> Path:
    path = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(OVERRIDES, indent=1) + "\n")
    return path


def add_arguments(parser) -> None:
    # any option this command does not know goes on to `jupyter lab` (e.g. --port=9999)
    parser.set_defaults(passthrough=True, extra=[])


def run(args) -> int:
    extra = list(args.extra)
    workspace = paths.workspace()
    for line in sync(paths.lessons(), workspace):
        print(line)
    write_overrides()
    command = lab_command(workspace, extra)
    print("starting:", " ".join(command))
    os.execv(command[0], command)
    return 0  # not reached

