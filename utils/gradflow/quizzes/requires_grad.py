"""Lesson 02's questions: the multiple-choice predictions (02.p2-02.p4, 02.p8, 02.p12, 02.p13) and the recap.

The questions are data, in requires_grad.toml next to this file.
"""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
