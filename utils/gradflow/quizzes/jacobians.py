"""Lesson 08's questions: two predictions in the lesson (08.p1, and 08.p5 under Going further) and
the recap (08.q1-08.q4).

The questions are data, in jacobians.toml next to this file.
"""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
