"""Find the field guide's entry for an error message or a symptom, in a kernel::

    from gradflow.guide import find
    find("one of the variables needed for gradient computation has been modified by an inplace operation")
    find("frozen layer still changes")

Paste the error's text as it is (tensor shapes, version numbers and names may differ from the entry's):
words count, their order does not. The entries come from ``guide_index.json`` beside this module, which
``make lessons`` writes from the guide's notebooks; nothing is downloaded.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from importlib.resources import files

__all__ = ["find", "entries", "Match"]

_WORD = re.compile(r"[a-z_][a-z0-9_]+")
_COMMON = {"the", "of", "a", "an", "to", "is", "in", "and", "or", "for", "be", "has", "have", "not", "but", "at",
           "by", "on", "it", "its", "this", "that", "with", "was", "are", "your", "you", "no", "one", "does", "do", "my"}


def entries() -> list[dict]:
    """Every entry of the guide, as the index holds it (an empty list when the index is missing)."""
    try:
        return json.loads(files(__package__).joinpath("guide_index.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, OSError, ValueError):
        return []


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _COMMON}


@dataclass(frozen=True)
class Match:
    score: float
    entry: dict

    @property
    def link(self) -> str:
        return f"guide/{self.entry['notebook']}"

    def line(self) -> str:
        e = self.entry
        return f"{e['id']} · {e['title']} ({e['family']}): entry {e['id']} of {self.link} (lesson {e['lesson']})"


class Matches(list):
    """What :func:`find` returns: the best entries first; shows as lines in a terminal, links in JupyterLab."""

    def __repr__(self) -> str:
        if not self:
            return "no entry of the field guide matches; try fewer words, the error's first line, or guide/00_index.ipynb"
        return "\n".join(m.line() for m in self)

    def _repr_html_(self) -> str:
        if not self:
            return f"<p>{html.escape(repr(self))}</p>"
        items = "".join(f'<li><a href="../{html.escape(m.link)}">{html.escape(m.entry["id"])} · '
                        f'{html.escape(m.entry["title"])}</a> ({html.escape(m.entry["family"])}): '
                        f'{html.escape(m.entry["symptom"])}</li>' for m in self)
        return f"<ol>{items}</ol>"


def find(text: str, limit: int = 6) -> Matches:
    """The entries whose error message or symptom share the most words with ``text`` (best first)."""
    query = _words(str(text))
    if not query:
        return Matches()
    found = []
    for entry in entries():
        error, about = _words(entry["error"]), _words(f"{entry['title']} {entry['symptom']}")
        # how well the text and the entry's message cover each other (an F1 of their words) counts twice: the
        # entries whose message is the pasted one score highest, a shorter message that shares a few words less
        shared = len(query & error)
        score = (4 * shared / (len(query) + len(error)) if error else 0.0) + len(query & about) / len(query)
        if score >= 0.5:
            found.append(Match(round(score, 3), entry))
    found.sort(key=lambda m: (-m.score, m.entry["id"]))
    return Matches(found[:limit])
