"""The Python the course runs on, and what to do on any other: `make setup` runs this file first.

    python3 utils/gradflow_course/python_check.py     # exit 0 on Python 3.11; else one line, exit 1

It runs as a plain file with whatever Python `make` found, before any environment exists, so it
imports nothing from the course and keeps to syntax old Pythons can parse. The refusal names a
route to 3.11 that works on a machine without it (the README shows the same routes before its
first command; tests/test_python_versions.py keeps README, pyproject.toml, environment.yml, CI and
this file on the same version).
"""

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


def main():
    line = refusal(sys.version_info)
    if line is not None:
        sys.stderr.write(line + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
