"""The first cell of every notebook: one call that makes the run reproducible and quiet."""

from __future__ import annotations

import random
import re
import warnings
from contextlib import contextmanager

import torch


def setup(seed: int = 0) -> None:
    """Seed every generator, pin threads and print settings, and size figures small.

    In a notebook it also turns two common slips into one line with the fix (a reveal run twice, a
    name lost in a kernel restart; see :func:`calm_line`); every other error keeps its traceback.

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
    _calm_errors()
    print(f"gradflow ready: torch {torch.__version__.split('+')[0]}, seed {seed}")


#: PyTorch's words when backward() meets a graph an earlier backward() freed (a reveal cell run twice)
BACKWARD_TWICE = "Trying to backward through the graph a second time"


def calm_line(error: BaseException, in_cell: bool = True) -> str | None:
    """The one line shown instead of a traceback for a slip every learner makes, else None.

    ``in_cell``: the error was raised by the notebook's own code (a NameError inside a library is a bug,
    not a lost name, and keeps its traceback).
    """
    if type(error) is NameError and in_cell:
        return (f"NameError: {error}. Run the cells above first (Run > Run All Above Selected Cell): after a "
                f"kernel restart every name is forgotten (or check its spelling)")
    if type(error) is RuntimeError and BACKWARD_TWICE in str(error):
        return ("RuntimeError: this graph was already used by backward() and then freed: run the cells of this "
                "section from its first cell again (that builds the graph anew)")
    return None


def _show_calmly(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler (``set_custom_exc``): one line for a known slip, else its own traceback.

    IPython's ``run_code`` ignores what a handler returns, so the handler shows the error itself, through
    ``_showtraceback``: in a kernel that sends a real error message, so the cell still fails for
    JupyterLab's Run All, nbval and nbclient.
    """
    innermost = tb
    while innermost is not None and innermost.tb_next is not None:
        innermost = innermost.tb_next
    in_cell = innermost is not None and innermost.tb_frame.f_globals is shell.user_ns
    line = calm_line(value, in_cell)
    if line is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)
        return None
    shell._get_exc_info((etype, value, tb))  # keeps sys.last_* for %debug and %tb
    shell._showtraceback(etype, value, [line])
    return None


def _calm_errors() -> None:
    """Register :func:`_show_calmly` in the running IPython kernel; nothing outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        # the handler sees these types and their subclasses; calm_line picks the two slips by exact type
        shell.set_custom_exc((NameError, RuntimeError), _show_calmly)


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
