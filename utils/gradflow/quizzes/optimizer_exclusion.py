"""Lesson 07's questions: three predictions in the lesson (07.p2, 07.p5, 07.p6) and the recap (07.q1-07.q4).

The questions are data, in optimizer_exclusion.toml next to this file.
"""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
