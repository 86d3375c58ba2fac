"""`gradflow-course minutes`: the estimate counts what a learner reads, runs, predicts and writes, part by part."""

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from gradflow_course import minutes


def test_core_exercises_and_going_further_are_counted_apart():
    nb = new_notebook(cells=[
        new_markdown_cell("## 1 · A question\n\n" + "word " * 180 + "\n\n**Predict:** what?"),
        new_code_cell("x = 1\ny = 2\n\nprint(x + y)"),                       # 3 lines, one run
        new_markdown_cell("## Exercises\n\n### Exercise 1 · Make"),
        new_code_cell("def f():\n    ### BEGIN SOLUTION\n    # STUB: raise NotImplementedError\n    a = 1\n    return a\n"
                      "    ### END SOLUTION\n\n\nex.f(f)"),
        new_code_cell("### BEGIN SOLUTION\n# STUB: y = x + 1  # a bug to fix\ny = x - 1\nz = 3\n### END SOLUTION\n"
                      "ex.g(y)"),
        new_markdown_cell("## Going further\n\n" + "word " * 900),             # not in the core
        new_code_cell("print('optional')"),
    ])
    core, exercises = minutes.estimate(nb)
    assert (core.words, core.code_lines, core.code_cells, core.predictions) == (185, 3, 1, 1)  # "1 A question", 180 words, "Predict what"
    assert exercises.exercise_count == 2
    assert exercises.answer_lines == 2 + 2  # the written answer's two lines; of the fix, the two lines the stub lacks
    assert core.core_minutes == pytest.approx(185 / 180 + (3 * 6 + 15) / 60 + 1.5)


def test_each_recap_question_of_a_solution_counts_in_the_core(tmp_path):
    def with_recap(lines):
        cell = new_code_cell("quiz.recap.reveal(my_answers)")
        cell.outputs = [new_output("stream", name="stdout", text=lines)]
        nb = new_notebook(cells=[new_markdown_cell("## 1 · A"), cell])
        (tmp_path / "solutions").mkdir(exist_ok=True)
        (tmp_path / "solutions" / "00_probe.ipynb").write_text(__import__("nbformat").writes(nb))
        return minutes.lesson_minutes("00_probe", tmp_path)["core"]

    verdicts = "".join(f"✔ 00.q{n} question {n}: right: (a) x, because y\n" for n in range(1, 5))
    assert with_recap(verdicts) - with_recap("nothing printed\n") == 4 * minutes.MINUTES_PER_RECAP_QUESTION
