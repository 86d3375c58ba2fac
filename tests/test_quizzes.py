"""Each lesson's questions are data (gradflow/quizzes/<lesson>.toml), shipped with the package and loaded
into the module ``gradflow.quizzes.<lesson>`` that the notebooks import."""

import importlib
import tomllib
from pathlib import Path

from gradflow.predict import Choice, Recap
from gradflow_course import metadata

ROOT = Path(__file__).resolve().parents[1]
QUIZZES = ROOT / "utils" / "gradflow" / "quizzes"


def test_every_lesson_module_has_its_data_file_and_the_package_ships_them():
    lessons = sorted(p.stem for p in QUIZZES.glob("*.py") if not p.stem.startswith("_"))
    assert lessons == sorted(p.stem for p in QUIZZES.glob("*.toml"))
    topics = sorted(name.split("_", 1)[1] for name in metadata.load(ROOT / "course.toml").names())
    assert lessons == topics, "one quiz module and data file per lesson of course.toml"
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "quizzes/*.toml" in package_data["gradflow"], "a normal install must find the questions too"


def test_a_lesson_module_holds_its_questions_in_file_order():
    quiz = importlib.import_module("gradflow.quizzes.clone")
    names = [k for k, v in vars(quiz).items() if isinstance(v, (Choice, Recap))]
    assert names == ["copies_after_step", "gradient_through_clone", "deepcopy_tensors", "deepcopy_model", "recap"]
    assert quiz.copies_after_step.label == "05.p1 which copies keep the old values"
    assert list(quiz.copies_after_step.options) == ["a", "b", "c", "d"] and quiz.copies_after_step.answer == "b"
    assert quiz.copies_after_step.options["b"].text == "only the clones"
    assert quiz.recap.title == "Recap: four questions on lesson 05" and len(quiz.recap.questions) == 4
    assert quiz.recap.questions[3].options["a"].why == ("a clone is a non-leaf in the graph; detach() first gives "
                                                        "a copy outside it")


def test_a_question_drawn_from_the_guide_keeps_its_entry_id():
    for path in sorted(QUIZZES.glob("*.toml")):
        quiz = importlib.import_module(f"gradflow.quizzes.{path.stem}")
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
        for name, table in tables.items():
            for raw, loaded in zip(table.get("questions", [table]), getattr(quiz, name).questions
                                   if "questions" in table else [getattr(quiz, name)]):
                assert loaded.guide == raw.get("guide"), f"{path.name} {raw['label']}"
