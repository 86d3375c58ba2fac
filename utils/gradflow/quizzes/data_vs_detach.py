"""Lesson 04's questions: the multiple-choice predictions (04.p1, 04.p2, 04.p5, 04.p6, 04.p8, 04.p10, 04.p11)
and the recap (04.q1-04.q4).

The questions are data, in data_vs_detach.toml next to this file.
"""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
