"""How a notebook is written to disk: the one text every command that writes a notebook uses."""

import nbformat


def render(nb: nbformat.NotebookNode) -> str:
    """The exact text a notebook is committed as."""
    return nbformat.writes(nb) + "\n"
