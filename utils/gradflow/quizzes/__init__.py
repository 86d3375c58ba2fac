"""The multiple-choice questions of each lesson (``from gradflow.quizzes import autograd_refresher as quiz``).

They live here, not in the notebook, so that the cell which shows a question holds neither the
answer nor the explanations (see :class:`gradflow.predict.Choice`). A lesson's questions are data, in
``<lesson>.toml`` next to this file; the module ``<lesson>.py`` only loads them (:func:`load`).
"""

import tomllib
from importlib.resources import files

from ..predict import Choice, Recap


def _choice(table: dict) -> Choice:
    options = {letter: (o["text"], o["why"]) for letter, o in table["options"].items()}
    return Choice(table["label"], table["question"], options, answer=table["answer"])


def load(lesson: str) -> dict[str, Choice | Recap]:
    """A lesson's questions by name, in file order: a table with ``questions`` is a :class:`Recap`."""
    data = tomllib.loads(files(__name__).joinpath(f"{lesson}.toml").read_text(encoding="utf-8"))
    return {name: Recap(t["title"], map(_choice, t["questions"])) if "questions" in t else _choice(t)
            for name, t in data.items()}
