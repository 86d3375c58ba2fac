"""Lesson 07's questions: three predictions in the lesson (07.p3, 07.p4, 07.p5) and the recap (07.q1-07.q4).

The questions are data, in optimizer_exclusion.toml next to this file.
"""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
