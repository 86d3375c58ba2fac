"""Lesson 00's questions: two predictions in the lesson (00.p3, 00.p5) and the recap (00.q1-00.q4).

The questions are data, in autograd_refresher.toml next to this file.
"""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
