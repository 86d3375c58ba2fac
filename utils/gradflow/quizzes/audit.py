"""Lesson 10's questions: the recap (10.q1-10.q4). The questions are data, in audit.toml next to this file."""

from ._bank import load

globals().update(load(__name__.rpartition(".")[2]))
