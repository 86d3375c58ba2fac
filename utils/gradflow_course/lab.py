"""Open the course in JupyterLab: localhost only, token kept, in the learner's workspace.

    python -m gradflow_course lab [extra jupyter lab options]
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
from pathlib import Path

import gradflow_course.paths as paths
import gradflow_course.quiet as quiet
import gradflow_course.servers as servers
from .workspace import sync, sync_guide

# JupyterLab settings for this environment: no news or update checks (they would reach the network)
OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def lab_command(workspace: Path, extra: list[str]) -> list[str]:
    # `jupyter lab` itself, less one slow import (gradflow_course/lab_server.py)
    command = [sys.executable, "-m", "gradflow_course.lab_server", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.root_dir={workspace}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # Jupyter refuses root without it
        command.append("--allow-root")
    return command + extra


# Output lines wrap between words. JupyterLab's own rule (`.jp-OutputArea-output pre { word-break: break-all }`)
# cuts a long checker or reveal line anywhere, mid-word ("beca / use"); `normal` wraps at spaces, and
# JupyterLab's `overflow-wrap: break-word` still breaks a word longer than the whole line. `body` outranks JupyterLab's
# rule, which its scripts add after this file's link.
CUSTOM_CSS = """/* written by gradflow_course.lab: long output lines (checker and reveal lines) wrap at spaces */
body .jp-OutputArea-output pre {
  word-break: normal;
}
"""
# JupyterLab links custom/custom.css into its page when LabApp.custom_css is on; the file is looked up in the
# user's Jupyter config folder first (~/.jupyter/custom/custom.css: a learner's own file wins), then in
# jupyter_server's static/custom folder, which no package ships: the course's file goes there, in this environment.


def custom_css_path() -> Path:
    from jupyter_server import DEFAULT_STATIC_FILES_PATH

    return Path(DEFAULT_STATIC_FILES_PATH) / "custom" / "custom.css"


def write_overrides() -> Path:
    """JupyterLab's settings for this environment: no news or update checks, output lines wrapped at spaces.

    Written into this environment only (``sys.prefix``): the learner's own Jupyter settings are untouched.
    """
    path = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(OVERRIDES, indent=1) + "\n")
    css = custom_css_path()
    css.parent.mkdir(parents=True, exist_ok=True)
    css.write_text(CUSTOM_CSS, encoding="utf-8")
    # LabApp reads its own config file (not jupyter_server_config.d/): the key is merged into what is there
    config = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_lab_config.json"
    try:
        settings = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        settings = {}
    if not isinstance(settings, dict) or not isinstance(settings.get("LabApp", {}), dict):
        return path  # a file we cannot read as Jupyter config is someone else's: left alone, no custom.css
    if settings.get("LabApp", {}).get("custom_css") is not True:
        settings.setdefault("LabApp", {})["custom_css"] = True
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(json.dumps(settings, indent=1) + "\n", encoding="utf-8")
    return path


def busy_port(extra: list[str]) -> int | None:
    """The port asked for with --port / --ServerApp.port when another program already listens there."""
    for i, arg in enumerate(extra):
        match = re.fullmatch(r"--(?:ServerApp\.)?port(?:=(.*))?", arg)
        if not match:
            continue
        value = match.group(1) if match.group(1) is not None else (extra[i + 1] if i + 1 < len(extra) else "")
        if not value.isdigit():
            raise SystemExit(f"the port must be a number, got {value!r} (plain `make lab` picks a free port)")
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", int(value)))
            except OSError:
                return int(value)
    return None


def add_arguments(parser) -> None:
    # any option this command does not know goes on to `jupyter lab` (e.g. --port=9999)
    parser.set_defaults(passthrough=True, extra=[])


def run(args) -> int:
    extra = list(args.extra)
    port = busy_port(extra)
    if port is not None:  # Jupyter would quietly move to another port, or fail after a page of log
        raise SystemExit(f"port {port} is already in use (another JupyterLab?): stop that one, or run plain "
                         f"`make lab`, which picks a free port")
    workspace = paths.workspace()
    for info in servers.running(workspace):  # a second server on one folder: two tabs save over each other
        raise SystemExit(f"JupyterLab already runs on {paths.shown(workspace)}/ (process {info.get('pid')}): open "
                         f"{servers.link(info)} , or stop it with Ctrl+C in its terminal first")
    for line in sync(paths.lessons(), workspace) + sync_guide(paths.root() / "guide", workspace):
        print(line)
    try:  # niceties written into .venv; a read-only course folder goes on without them
        write_overrides()
        quiet.install()
    except OSError as error:
        print(f"note: JupyterLab's quiet settings could not be written into {paths.shown(Path(sys.prefix))}/ "
              f"({error.strerror or error}); the lab starts without them")
    command = lab_command(workspace, extra)
    print(f"starting JupyterLab in {paths.shown(workspace)}/ (your copies); open the URL with its token below")
    os.execv(command[0], command)
    return 0  # not reached

