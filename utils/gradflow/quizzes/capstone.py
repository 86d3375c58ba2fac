"""Lesson 09's questions: two predictions under Going further (09.p3, 09.p4) and the recap (09.q1-09.q5).

The questions are data, in capstone.toml next to this file.
"""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
