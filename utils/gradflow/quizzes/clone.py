"""Lesson 05's questions: the multiple-choice predictions of the lesson and the recap (05.q1-05.q4).

The questions are data, in clone.toml next to this file.
"""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
