"""The Python the course runs on, and what to do on any other: `make setup` runs this file first.

    python3 utils/gradflow_course/python_check.py          # exit 0 on Python 3.11; else one line, exit 1
    python3 utils/gradflow_course/python_check.py .venv    # also: remove .venv if another Python made it

A `.venv` made by another interpreter (a first try with a Python whose pip failed) would keep that
interpreter, since `python -m venv` does not replace it; so it is removed, with one line, and made anew.

It runs as a plain file with whatever Python `make` found, before any environment exists, so it
imports nothing from the course and keeps to syntax old Pythons can parse. The refusal names a
route to 3.11 that works on a machine without it (the README shows the same routes before its
first command; tests/test_python_versions.py keeps README, pyproject.toml, environment.yml, CI and
this file on the same version).
"""

import os
import platform
import shutil
import sys

#: the one Python version the course is tested on (pyproject.toml's requires-python pins the same)
REQUIRED = (3, 11)


def refusal(version_info):
    """None on the required Python, else the one line that says what was found and how to get 3.11."""
    if tuple(version_info[:2]) == REQUIRED:
        return None
    want = "%d.%d" % REQUIRED
    found = ".".join(str(part) for part in version_info[:3])
    return ("the course needs Python %s, found %s. Get %s: conda env create -f environment.yml, conda activate"
            " gradflow, make lab; or uv python install %s, then make PYTHON=\"$(uv python find %s)\" lab"
            % (want, found, want, want, want))


def _venv_config(venv):
    """pyvenv.cfg of ``venv`` as a dict (empty when there is none)."""
    config = {}
    try:
        with open(os.path.join(venv, "pyvenv.cfg")) as lines:
            for line in lines:
                key, sep, value = line.partition("=")
                if sep:
                    config[key.strip()] = value.strip()
    except (IOError, OSError):
        pass
    return config


def stale_venv(venv):
    """None when ``venv`` is absent or was made by this Python, else one line naming the Python that made it."""
    if not os.path.isdir(venv):
        return None
    config = _venv_config(venv)
    made_by = config.get("executable") or config.get("home", "?")
    version = config.get("version", "?")
    mine = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(os.path.join(venv, "Scripts", "python.exe")) and not os.path.exists(python):
        why = "its python no longer runs"
    elif version != platform.python_version() or ("executable" in config and os.path.realpath(made_by) != mine):
        why = "it was made by Python %s (%s)" % (version, made_by)
    else:
        return None
    return "rebuilding %s: %s, not by this one (%s, %s)" % (venv, why, platform.python_version(), mine)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    line = refusal(sys.version_info)
    if line is not None:
        sys.stderr.write(line + "\n")
        return 1
    try:
        import ssl  # noqa: F401 - pip needs it for every download
    except ImportError:
        sys.stderr.write("this Python (%s) was built without its ssl module, so pip cannot download: use another"
                         " Python 3.11 (conda env create -f environment.yml, or uv python install 3.11)\n"
                         % sys.executable)
        return 1
    for venv in argv:
        line = stale_venv(venv)
        if line is None:
            continue
        sys.stderr.write(line + "\n")
        try:
            shutil.rmtree(venv)
        except OSError as error:
            sys.stderr.write("could not remove %s (%s): run `make clean`, then make again\n" % (venv, error.strerror))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
