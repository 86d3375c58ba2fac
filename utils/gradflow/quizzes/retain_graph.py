"""Lesson 06's questions: the multiple-choice predictions of the lesson and the recap (06.q1-06.q3).

The questions are data, in retain_graph.toml next to this file.
"""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
