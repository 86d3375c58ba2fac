"""Reads a lesson's questions from its data file, ``<lesson>.toml`` in this package."""

import tomllib
from importlib.resources import files

from ..predict import Choice, Recap


def _choice(table: dict) -> Choice:
    options = {letter: (o["text"], o["why"]) for letter, o in table["options"].items()}
    return Choice(table["label"], table["question"], options, answer=table["answer"], guide=table.get("guide"))


def load(lesson: str) -> dict[str, Choice | Recap]:
    """A lesson's questions by name, in file order: a table with ``questions`` is a :class:`Recap`."""
    data = tomllib.loads(files(__package__).joinpath(f"{lesson}.toml").read_text(encoding="utf-8"))
    return {name: Recap(t["title"], map(_choice, t["questions"])) if "questions" in t else _choice(t)
            for name, t in data.items()}
