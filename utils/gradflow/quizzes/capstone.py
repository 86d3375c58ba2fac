"""Lesson 09's questions: two predictions in the lesson (09.p2, 09.p4) and the recap (09.q1-09.q4).

The questions are data, in capstone.toml next to this file.
"""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
