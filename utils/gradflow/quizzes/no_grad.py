"""Lesson 03's questions: the multiple-choice predictions (03.p2, 03.p3, 03.p4, 03.p8, 03.p9) and the recap (03.q1-03.q3).

The questions are data, in no_grad.toml next to this file.
"""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
