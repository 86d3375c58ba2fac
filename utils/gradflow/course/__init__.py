"""Course tooling: build lessons, run notebooks, manage the learner's workspace, launch the lab.

Each module is a command: ``python -m gradflow.course.<module> --help``.
"""
