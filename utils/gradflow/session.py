"""The first cell of every notebook: one call that makes the run reproducible and quiet."""

from __future__ import annotations

import random
import re
import warnings
from contextlib import contextmanager

import torch


def setup(seed: int = 0) -> None:
    """Seed every generator, pin threads and print settings, and size figures small.

    One thread: results do not depend on how many cores the machine has, and small tensors run
    faster without thread hand-offs.
    """
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # numpy is a course dependency; this only guards odd environments
        pass
    torch.set_num_threads(1)
    torch.set_printoptions(precision=4, sci_mode=False)
    import matplotlib

    matplotlib.rcParams.update({"figure.dpi": 72, "savefig.dpi": 72, "figure.max_open_warning": 0,
                                "font.size": 9})
    warnings.simplefilter("default")
    print(f"gradflow ready: torch {torch.__version__.split('+')[0]}, seed {seed}")


_INTERNAL = re.compile(r"\s*\(Triggered internally at [^)]*\)\s*", re.S)


def clean_message(error_or_warning) -> str:
    """The message of an error or warning without PyTorch's machine-specific build paths."""
    text = str(error_or_warning)
    return _INTERNAL.sub(" ", text).strip()


@contextmanager
def expect_error(kind: type[BaseException] = Exception, match: str | None = None):
    """Run a block that must fail; print the error's type and message (not a traceback).

    The claim is proven, not just shown: if nothing is raised, or the message does not contain
    ``match``, the cell fails.
    """
    try:
        yield
    except kind as error:
        message = clean_message(error)
        print(f"{type(error).__name__}: {message}")
        if match is not None and match not in message:
            raise AssertionError(f"the error message no longer contains {match!r}") from error
    else:
        raise AssertionError(f"expected {kind.__name__}, but the block ran without error")


@contextmanager
def show_warnings(expect: str | None = None):
    """Collect the warnings a block raises and print each message once, cleaned.

    With ``expect=``, the cell fails unless a warning containing that text was raised.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    messages = list(dict.fromkeys(f"{w.category.__name__}: {clean_message(w.message)}" for w in caught))
    for message in messages:
        print(message)
    if expect is not None and not any(expect in m for m in messages):
        raise AssertionError(f"expected a warning containing {expect!r}; got {messages or 'none'}")


def show_source(obj) -> None:
    """Print the source of a class or function the lesson imports from the library (read from the live object)."""
    import inspect

    print(inspect.getsource(obj).rstrip())
