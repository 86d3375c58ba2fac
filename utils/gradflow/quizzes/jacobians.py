"""Lesson 08's questions: three predictions in the lesson (08.p1, 08.p3, 08.p7) and the recap
(08.q1-08.q4).

The questions are data, in jacobians.toml next to this file.
"""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
