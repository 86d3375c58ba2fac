"""Quiet terminals: two lines of noise never reach a learner's terminal or the bench table.

* Every kernel start logs ``[IPKernelApp] WARNING | Kernel is running over TCP without encryption``.
  The kernel listens on 127.0.0.1 only (`make lab` binds the server there), as Jupyter always has;
  the line tells a learner nothing they can act on.
* JupyterLab logs ``Skipped non-installed server(s): ...`` (jupyter-lsp lists language servers the
  course never installs).

Only those records are dropped, by a logging filter in each app's config file in this environment
(``.venv/etc/ipython/ipython_kernel_config.py``, ``.venv/etc/jupyter/jupyter_server_config.py``).
No setting changes: transport, token, ip and every other security default stay as Jupyter ships them;
every other warning and error still shows.
"""

from __future__ import annotations

import sys
from pathlib import Path

NOISE = ("Kernel is running over TCP without encryption", "Skipped non-installed server(s)")
MARK = "# written by gradflow_course.quiet"
CONFIG = f'''{MARK}: drop two known lines of noise, change no setting
import logging


class _DropNoise(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        return not any(noise in message for noise in {NOISE!r})


for _name in {{names!r}}:
    logging.getLogger(_name).addFilter(_DropNoise())
'''
FILES = {
    Path("etc") / "ipython" / "ipython_kernel_config.py": ("IPKernelApp",),
    Path("etc") / "jupyter" / "jupyter_server_config.py": ("ServerApp", "LabApp", "ExtensionApp"),
}


def install(prefix: Path | None = None) -> list[Path]:
    """Write the filters into this environment (idempotent); a config file someone else wrote is left alone."""
    prefix = Path(sys.prefix) if prefix is None else prefix
    written = []
    for relative, names in FILES.items():
        path = prefix / relative
        if path.exists() and MARK not in path.read_text(encoding="utf-8", errors="replace"):
            continue  # not ours: never overwrite a config file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(CONFIG.format(names=names), encoding="utf-8")
        written.append(path)
    return written
