"""gradflow: the helper library of the gradflow course (controlling gradient flow in PyTorch).

Everything a notebook needs is importable from here::

    from gradflow import setup, draw_graph, print_graph, ParamTracker, SavedTensors, audit
"""

from .audit import Audit, Finding, audit, audit_step
from .graph import build_graph, draw_graph, graph_text, names_reached, print_graph, reachable_leaves
from .memory import Footprint, SavedTensors, graph_footprint, kib, saved_bytes
from .session import clean_message, expect_error, setup, show_source, show_warnings
from .tracker import ParamTracker

__all__ = [
    "Audit", "Finding", "audit", "audit_step", "Footprint", "ParamTracker", "SavedTensors", "build_graph", "clean_message", "draw_graph", "expect_error",
    "graph_footprint", "graph_text", "kib", "names_reached", "print_graph", "reachable_leaves", "saved_bytes",
    "setup", "show_source", "show_warnings",
]
