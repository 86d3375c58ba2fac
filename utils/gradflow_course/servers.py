"""JupyterLab servers already running on the learner's workspace, and the notebooks they hold open.

Two slips it prevents: a second `make lab` quietly starting another server on the same folder (two tabs
of one notebook then save over each other), and `make reset` while the notebook is open (JupyterLab's
next save offers "Overwrite", pre-selected, and Enter undoes the reset). Reads the servers' info files
(jupyter_server's own list) and asks each matching server, on 127.0.0.1, for its sessions.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path


def _server_infos() -> list[dict]:
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:
        return []
    try:
        return list(list_running_servers())
    except OSError:
        return []


def _same_folder(a: str | Path, b: Path) -> bool:
    try:
        return Path(a).expanduser().resolve() == b.resolve()
    except (OSError, ValueError):
        return False


def running(workspace: Path) -> list[dict]:
    """The live servers whose root folder is ``workspace`` (their info: url, token, pid, root_dir)."""
    return [info for info in _server_infos() if _same_folder(info.get("root_dir", ""), workspace)]


def link(info: dict) -> str:
    """The link that opens the lab of a running server, token included (as `jupyter lab` prints it)."""
    url = info.get("url", "").rstrip("/") + "/lab"
    return url + (f"?token={info['token']}" if info.get("token") else "")


def open_notebooks(info: dict, timeout: float = 3.0) -> set[str] | None:
    """Paths (relative to the server's root) of the notebooks with a session; None if the server did not answer."""
    url = info.get("url", "").rstrip("/") + "/api/sessions"
    request = urllib.request.Request(url, headers={"Authorization": f"token {info.get('token', '')}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            sessions = json.loads(answer.read().decode("utf-8"))
    except (OSError, ValueError):
        return None
    return {urllib.parse.unquote(s.get("path", "")) for s in sessions if isinstance(s, dict)}


def open_in_lab(workspace: Path, name: str) -> dict | None:
    """The server on ``workspace`` that holds notebook ``name`` open, if any."""
    for info in running(workspace):
        if name in (open_notebooks(info) or set()):
            return info
    return None
