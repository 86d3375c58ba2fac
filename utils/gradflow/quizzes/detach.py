"""Lesson 01's questions: the multiple-choice predictions (01.p1, 01.p5-01.p9) and the recap (01.q1-01.q3).

The questions are data, in detach.toml next to this file.
"""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
