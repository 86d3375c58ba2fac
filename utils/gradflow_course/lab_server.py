"""JupyterLab's own entry point (what `jupyter lab` runs), started as `make lab` starts it.

    python -m gradflow_course.lab_server [jupyter lab options]

The one difference from `jupyter lab`: fast_start is imported first, so the server skips the 2-3 s import
of ``rfc3987_syntax`` that jupyter-events' jsonschema would pay (no event schema of jupyter-server,
jupyterlab or jupyter-lsp uses the ``iri`` formats it serves; tests/test_commands.py checks that).
"""

import gradflow_course.fast_start  # noqa: F401  (first: before jupyter_server imports jsonschema)

import sys

from jupyterlab.labapp import main

if __name__ == "__main__":
    sys.exit(main())
