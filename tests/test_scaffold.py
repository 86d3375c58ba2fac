"""`make new-lesson`: a throwaway lesson is scaffolded and passes every rule of `lint` and its own tests as written.

The steps run in a temporary copy of the course (course.toml, the library, the solutions and lessons, the
kit, the shared test helpers), reached by pointing ``gradflow_course.paths.ROOT`` at it; the kernels import
``gradflow`` from that copy too (PYTHONPATH), so the new checker module is the one they load.
"""

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from gradflow_course import cli, lint, metadata, paths
from gradflow_course.outputs import run_notebook
from gradflow_course.scaffold import ScaffoldError, lesson_name, new_lesson, next_steps

ROOT = Path(__file__).resolve().parents[1]
COURSE = metadata.load(ROOT / "course.toml")
NAME = f"{len(COURSE.lessons):02d}_probe"
# the commands of CONTRIBUTING.md's "Adding a lesson", in its order; the test below runs each one
STEPS = ["make new-lesson NAME=", "make lint LESSON=", "make outputs LESSON=", "make lessons", "make test"]


@pytest.fixture
def course_copy(tmp_path, monkeypatch):
    root = tmp_path / "course"
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("utils", "solutions", "lessons", "instructors"):
        shutil.copytree(ROOT / folder, root / folder, ignore=skip)
    (root / "tests").mkdir()
    for name in ("checker_helpers.py", "float_equality_exact.toml", "sanitize.cfg"):
        shutil.copy2(ROOT / "tests" / name, root / "tests" / name)
    for name in ("course.toml", "conftest.py", "pyproject.toml"):
        shutil.copy2(ROOT / name, root / name)
    monkeypatch.setattr(paths, "ROOT", root)
    monkeypatch.setenv("PYTHONPATH", str(root / "utils"))  # the kernels' `gradflow` is the copy's
    return root


def _text(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []))


@pytest.mark.slow
def test_a_new_lesson_passes_lint_and_its_own_tests_as_generated(course_copy, monkeypatch):
    number = NAME[:2]
    assert cli.main(["new-lesson", NAME[3:]]) == 0  # the bare topic, as CONTRIBUTING.md writes it
    topic = NAME[3:]
    for written in (f"solutions/{NAME}.ipynb", f"lessons/{NAME}.ipynb", f"utils/gradflow/exercises/{topic}.py",
                    f"utils/gradflow/quizzes/{topic}.toml", f"tests/test_lesson{number}_checkers.py",
                    f"instructors/notes/{NAME}.md"):
        assert (course_copy / written).is_file(), written

    # every rule of `make lint`, the checker tests counted from a collection in the copy; this process finds the
    # copy's new checker module beside the library's own
    import gradflow.exercises

    monkeypatch.setattr(gradflow.exercises, "__path__", [*gradflow.exercises.__path__,
                                                        str(course_copy / "utils" / "gradflow" / "exercises")])
    # one pytest process runs the new checker tests, as `make test` does, and counts them for the lint rule
    tests = [course_copy / "tests" / f"test_lesson{number}_checkers.py"]
    ran = lint.collect_counts(tests, course_copy, run=True)
    assert ran["exit"] == 0, ran["output"]
    course = metadata.load()
    problems = [str(p) for p in lint.check(lint.LessonFiles(NAME, course, course_copy, ran[number])) if not p.warning]
    assert not problems, "\n".join(problems)

    # the solution passes its checkers and says right to its reveals; the lesson stubs are "not attempted"
    solved = nbformat.read(course_copy / "solutions" / f"{NAME}.ipynb", as_version=4)
    printed = "".join(_text(c) for c in solved.cells)
    assert f"✔ {number}.1 " in printed and f"✔ {number}.2 " in printed and f"✔ {number}.p1 " in printed
    ran = run_notebook(course_copy / "lessons" / f"{NAME}.ipynb")
    lines = re.findall(rf"^(.) {number}\.(\d) .*$", "".join(_text(c) for c in ran.cells), re.M)
    assert lines == [("…", "1"), ("…", "2")], lines


def test_the_guide_walks_through_the_same_steps_in_order():
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = guide[guide.index("## Adding a lesson"):]
    position = 0
    for step in STEPS:
        found = section.find(step, position)
        assert found >= 0, f"'Adding a lesson' in CONTRIBUTING.md should show `{step}` after the steps before it"
        position = found


def test_the_steps_it_prints_are_the_guides_commands_in_order():
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = guide[guide.index("## Adding a lesson"):guide.index("Only these files change")]
    position = 0
    for step in next_steps(lesson_name("hooks", COURSE)):
        if step.startswith("make"):
            found = section.find(f"`{step}`", position)
            assert found >= 0, f"CONTRIBUTING.md's 'Adding a lesson' should show `{step}` after the steps before it"
            position = found


def test_a_bare_topic_is_given_the_next_number():
    assert lesson_name("probe", COURSE) == NAME
    assert lesson_name(NAME, COURSE) == NAME


@pytest.mark.parametrize("name, problem", [
    ("10-hooks", "lower-case words joined by underscores"),
    ("Hooks", "lower-case words joined by underscores"),
    ("42_far", "the next lesson number is"),
    (COURSE.names()[0], "the next lesson number is"),
])
def test_a_bad_or_taken_name_writes_nothing(course_copy, name, problem):
    before = (course_copy / "course.toml").read_text()
    with pytest.raises(ScaffoldError, match=problem):
        new_lesson(name)
    assert (course_copy / "course.toml").read_text() == before
    assert sorted(p.name for p in (course_copy / "solutions").iterdir()) == [f"{n}.ipynb" for n in COURSE.names()]
    assert not (course_copy / "tests" / f"test_lesson{NAME[:2]}_checkers.py").exists()


def test_an_existing_checker_module_is_never_overwritten(course_copy):
    existing = course_copy / "utils" / "gradflow" / "exercises" / "probe.py"
    existing.write_text("# someone's work\n")
    with pytest.raises(ScaffoldError, match="not overwriting utils/gradflow/exercises/probe.py"):
        new_lesson(NAME)
    assert existing.read_text() == "# someone's work\n" and not (course_copy / "solutions" / f"{NAME}.ipynb").exists()
