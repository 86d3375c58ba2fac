"""One slow import skipped in the course's tool processes: pytest (its workers too) and `gradflow-course`.

nbformat imports jsonschema to validate notebooks; jsonschema imports ``rfc3987_syntax`` when it is
installed (jupyter-events asks for jsonschema's ``format-nongpl`` extra), and that package builds a Lark
grammar as it is imported: 2.2 s on a 2-core machine, paid again by every process that reads a notebook
(upstream: python-jsonschema/jsonschema#1428). It serves only the ``iri`` and ``iri-reference`` formats,
which no notebook schema uses and nbformat never checks. Marked absent, it is skipped as if not installed.
Learners' kernels and JupyterLab are not touched.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)
