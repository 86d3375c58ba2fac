"""The multiple-choice questions of each lesson (``from gradflow.quizzes import autograd_refresher as quiz``).

They live here, not in the notebook, so that the cell which shows a question holds neither the
answer nor the explanations (see :class:`gradflow.predict.Choice`). A lesson's questions are data, in
``<lesson>.toml`` next to this file; the module ``<lesson>.py`` only loads them
(``_bank.load``).
"""
