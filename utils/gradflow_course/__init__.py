"""gradflow_course: the course's own commands (build, outputs, lab, reset, check, site, bench, ...).

Kept apart from the learner library ``gradflow``: nothing here is imported by a notebook, and the
library imports nothing from here. Every command finds the course folder through ``paths`` and reads
the lesson metadata (``course.toml``) through ``metadata``. Run ``python -m gradflow_course --help``.
"""
