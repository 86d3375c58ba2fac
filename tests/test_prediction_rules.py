"""The prediction rules (gradflow_course.prediction_rules, run by `lint`), on small synthetic notebooks.

Every lesson is checked against them by tests/test_lint.py."""


import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from gradflow_course.prediction_rules import answer_values, check_predictions

PROMPT = "**Predict:** what is `out`? Record your guess below."
PREDICTION = "my_prediction = ...  # a number"
REVEAL = "# run to reveal\nprint(out.item())\nassert out.item() == 91.5\nreveal('00.p1 out', my_prediction, out.item(), why='x')"


def reveal_cell(source=REVEAL, tags=("reveal",)):
    cell = new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    return cell


def nb(*cells):
    book = new_notebook()
    book.cells = [new_markdown_cell("# 00 · title"), new_code_cell("out = x.mean()"), *cells]
    for n, cell in enumerate(book.cells):
        cell["id"] = f"c{n}"
    return book


def good():
    return [new_markdown_cell(PROMPT), new_code_cell(PREDICTION), reveal_cell()]


def test_a_notebook_that_follows_the_rules_passes():
    assert check_predictions(nb(*good())) == []


def test_a_quiz_display_cell_between_prompt_and_prediction_is_fine():
    cells = good()
    cells.insert(1, new_code_cell("quiz.b_grad"))
    assert check_predictions(nb(*cells)) == []


def test_the_prediction_may_sit_in_a_solution_region():
    cells = good()
    cells[1] = new_code_cell("### BEGIN SOLUTION\nmy_prediction = 91.5\n### END SOLUTION")
    assert check_predictions(nb(*cells)) == []


def test_prompt_without_a_prediction_cell():
    problems = check_predictions(nb(new_markdown_cell(PROMPT), reveal_cell()))
    assert problems == ["notebook, cell c2 (Predict prompt): no prediction cell (`my_... = ...`) after the prompt"]


def test_reveal_before_the_prediction():
    problems = check_predictions(nb(new_markdown_cell(PROMPT), reveal_cell(), new_code_cell(PREDICTION)))
    assert any("comes before the prediction cell" in p for p in problems)


def test_prediction_with_nothing_after_it():
    problems = check_predictions(nb(new_markdown_cell(PROMPT), new_code_cell(PREDICTION)))
    assert any("no reveal cell after the prediction" in p for p in problems)


def test_reveal_cell_must_be_tagged():
    problems = check_predictions(nb(new_markdown_cell(PROMPT), new_code_cell(PREDICTION), reveal_cell(tags=())))
    assert problems == ["notebook, cell c2 (Predict prompt): the reveal cell c4 is not tagged 'reveal'"]


def test_reveal_first_line_must_be_a_comment():
    source = REVEAL.replace("# run to reveal\n", "")
    problems = check_predictions(nb(new_markdown_cell(PROMPT), new_code_cell(PREDICTION), reveal_cell(source)))
    assert any("must start with a neutral comment" in p for p in problems)


def test_reveal_first_line_must_not_name_the_answer():
    source = REVEAL.replace("# run to reveal", "# out is 91.5")
    problems = check_predictions(nb(new_markdown_cell(PROMPT), new_code_cell(PREDICTION), reveal_cell(source)))
    assert any("names the answer" in p for p in problems)


def test_prompt_stating_the_answer():
    problems = check_predictions(nb(new_markdown_cell(PROMPT + " (Answer: 91.5)"), new_code_cell(PREDICTION),
                                    reveal_cell()))
    assert problems == ["notebook, cell c2 (Predict prompt): markdown cell c2 states the answer that the reveal "
                        "c4 asserts: 91.5"]


def test_a_number_written_differently_is_still_the_answer():
    problems = check_predictions(nb(new_markdown_cell(PROMPT + " It comes out as 91.50."), new_code_cell(PREDICTION),
                                    reveal_cell()))
    assert len(problems) == 1 and "91.50" in problems[0]


def test_string_answers_in_the_prompt():
    source = "# run to reveal\nassert type(out.grad_fn).__name__ == 'MeanBackward0'"
    prompt = new_markdown_cell("**Predict:** which node? It is `MeanBackward0`.")
    problems = check_predictions(nb(prompt, new_code_cell(PREDICTION), reveal_cell(source)))
    assert len(problems) == 1 and "'MeanBackward0'" in problems[0]


def test_inputs_in_the_prompt_are_not_answers():
    prompt = new_markdown_cell("**Predict:** start from `a = [2, 3]`, run 1 step: what is `out`?")
    assert check_predictions(nb(prompt, new_code_cell(PREDICTION), reveal_cell())) == []


def test_visible_cell_with_an_assert_between_prompt_and_reveal():
    cells = good()
    cells.insert(1, new_code_cell("out = x.mean()\nassert out.item() > 0"))
    problems = check_predictions(nb(*cells))
    assert problems == ["notebook, cell c2 (Predict prompt): visible cell c3 before the reveal holds an assert"]


def test_visible_comment_giving_the_answer_away():
    cells = good()
    cells[1] = new_code_cell("my_prediction = ...  # hint: about 91.5")
    problems = check_predictions(nb(*cells))
    assert len(problems) == 1 and "a comment in visible cell c3 gives the answer away: 91.5" in problems[0]


def test_each_prompt_is_checked_up_to_the_next_one():
    second = [new_markdown_cell("**Predict:** and now?"), new_code_cell("print(out)")]
    problems = check_predictions(nb(*good(), *second))
    assert problems == ["notebook, cell c5 (Predict prompt): no prediction cell (`my_... = ...`) after the prompt",
                        "notebook, cell c5 (Predict prompt): the reveal cell c6 is not tagged 'reveal'",
                        "notebook, cell c5 (Predict prompt): the reveal cell c6 must start with a neutral comment "
                        "such as '# run to reveal' (its first line stays visible), not 'print(out)'"]


def test_without_a_prediction_the_next_code_cell_is_still_checked_as_the_reveal():
    problems = check_predictions(nb(new_markdown_cell(PROMPT), new_code_cell("assert out.item() == 91.5  # 91.5")))
    assert any("no prediction cell" in p for p in problems) and any("not tagged" in p for p in problems)


def test_cells_tagged_solution_are_ignored():
    cells = good()
    answer = new_markdown_cell("The answer is 91.5.")
    answer.metadata["tags"] = ["solution"]
    cells.insert(1, answer)
    assert check_predictions(nb(*cells)) == []


def test_answer_values_reads_assert_literals_only():
    numbers, strings = answer_values("x = 15.0\nassert torch.equal(g, torch.tensor([30.0, -36.0]))\n"
                                     "assert name == 'AddBackward0' and n == 1\nprint('hello there')")
    assert numbers == {30.0, 36.0} and strings == {"AddBackward0"}
    assert answer_values("%time x = 1\nassert y == 42") == ({42.0}, set())  # IPython syntax falls back to text


def test_nbformat_reads_what_the_checker_is_given():
    book = nbformat.reads(nbformat.writes(nb(*good())), as_version=4)
    assert check_predictions(book) == []
