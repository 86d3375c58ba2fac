"""The lint rules that are not about predictions, on small synthetic notebooks: each fires on its fault."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from gradflow_course import lint


class Files:
    """Just enough of a LessonFiles for one rule: the solution and the built lesson."""

    def __init__(self, *cells):
        self.solution = new_notebook(cells=list(cells))
        for n, cell in enumerate(self.solution.cells):
            cell["id"] = cell.get("id") or f"c{n}"
        self.built = self.solution
        self.name = "00_probe"

    def where(self, folder="solutions", cell=None):
        return f"{folder}/{self.name}.ipynb" + (f", cell {cell.get('id')}" if cell is not None else "")


def reveal(source):
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["reveal"]
    return cell


def region(code):
    return new_code_cell(f"### BEGIN SOLUTION\n{code}\n### END SOLUTION\nex.check(answer)")


SHOWN = new_code_cell("alpha = torch.tensor([2.0, 3.0], requires_grad=True)\nloss = (alpha * alpha).sum()")
EXERCISES = new_markdown_cell("## Exercises")


def test_a_copy_with_renamed_variables_and_numbers_is_retyping():
    renamed = region("beta = torch.tensor([5.0, 1.0], requires_grad=True)\nanswer = (beta * beta).sum()")
    new = region("answer = torch.autograd.grad(torch.sin(torch.ones(3, requires_grad=True)).sum(), [])")
    regions = lint.exercise_regions(Files(SHOWN, EXERCISES, renamed, new).solution)
    assert [share for _, share in regions] == [1.0, 0.0]


def test_grammar_lines_do_not_count_and_code_to_fix_is_a_modify():
    grammar = region("for p in model.parameters():\n    p.grad = None\nloss.backward()")
    fix = new_code_cell("### BEGIN SOLUTION\n# STUB: alpha = torch.tensor([2.0, 3.0], requires_grad=False)\n"
                        "alpha = torch.tensor([2.0, 3.0], requires_grad=True)\n### END SOLUTION")
    stub_only = new_code_cell("def f():\n    ### BEGIN SOLUTION\n    # STUB: raise NotImplementedError\n"
                              "    alpha = torch.tensor([7.0, 8.0], requires_grad=True)\n    ### END SOLUTION")
    regions = lint.exercise_regions(Files(SHOWN, EXERCISES, grammar, fix, stub_only).solution)
    assert [share for _, share in regions] == [0.0, 0.0, 1.0]


def test_two_retyping_exercises_break_the_climb_rule():
    copy = "gamma = torch.tensor([1.0, 4.0], requires_grad=True)\nanswer = (gamma * gamma).sum()"
    files = Files(SHOWN, EXERCISES, region(copy), region(copy.replace("gamma", "delta")))
    files.meta = object()
    assert [p.rule for p in lint.climb(files)] == ["climb"]


def test_a_reveal_that_asserts_before_it_shows_breaks_reveal_order():
    early = reveal("# run to reveal\nout = 2 * 3\nassert out == 6\nprint(out)\nreveal('00.p1 out', my_guess, out)")
    late = reveal("# run to reveal\nout = 2 * 3\nprint(out)\nreveal('00.p1 out', my_guess, out)\nassert out == 6")
    assert [p.rule for p in lint.reveal_order(Files(early))] == ["reveal-order"]
    assert lint.reveal_order(Files(late)) == []


def test_an_exercise_that_overwrites_a_name_a_reveal_reads_breaks_rerun():
    setup = new_code_cell("net = make_net()")
    read = reveal("# run to reveal\nprint(net(x))")
    clobber = new_code_cell("net = ...  # your code here\nex.check(net)")
    problems = lint.rerun(Files(new_markdown_cell("## 1 · A"), setup, new_markdown_cell("## 2 · B"), read,
                                EXERCISES, clobber))
    assert [p.rule for p in problems] == ["rerun"] and "reads names that an exercise cell below assigns: net" in problems[0].message
    own = reveal("# run to reveal\nnet = make_net()\nprint(net(x))")  # a reveal that makes its own net is safe
    assert lint.rerun(Files(new_markdown_cell("## 2 · B"), own, EXERCISES, clobber)) == []


def test_a_section_that_states_the_asserted_answer_before_its_prompt_is_a_spoiler():
    prompt = new_markdown_cell("**Predict:** what is `x.grad`?")
    proof = reveal("# run to reveal\nprint(g)\nassert g == 48.5")
    spoiled = Files(new_markdown_cell("## 1 · Q\n\nThe gradient comes out as 48.5."), prompt, proof)
    clean = Files(new_markdown_cell("## 1 · Q\n\nA chain of two layers."), prompt, proof)
    assert [p.rule for p in lint.spoiler(spoiled)] == ["spoiler"]
    assert lint.spoiler(clean) == []


def test_going_further_sections_belong_after_key_points():
    core = [new_markdown_cell("## 1 · A"), EXERCISES, new_markdown_cell("## Key points\n- one")]
    extra = new_markdown_cell("## Going further · memory\n\nOptional.")
    wild = new_markdown_cell("## In the wild\n- 01.01")
    assert lint.going_further_placement(Files(*core, extra, wild).solution, "nb") == []
    assert lint.going_further_placement(Files(*core, wild, extra).solution, "nb") == []
    early = lint.going_further_placement(Files(core[0], extra, *core[1:]).solution, "nb")
    assert [p.rule for p in early] == ["anatomy"] and "Exercises" in early[0].message


def _recap_root(tmp_path, questions: str):
    quizzes = tmp_path / "utils" / "gradflow" / "quizzes"
    quizzes.mkdir(parents=True)
    (quizzes / "probe.toml").write_text("[recap]\ntitle = 'Recap'\n" + questions, encoding="utf-8")
    index = [{"id": "03.01", "lesson": "00_probe"}, {"id": "05.02", "lesson": "07_other"}]
    (tmp_path / "utils" / "gradflow" / "guide_index.json").write_text(__import__("json").dumps(index))
    files = Files()
    files.root, files.topic = tmp_path, "probe"
    return files


def test_a_recap_needs_a_question_drawn_from_its_own_guide_entries(tmp_path):
    question = "[[recap.questions]]\nlabel = '00.q1 x'\n"
    assert lint.recap_transfer(_recap_root(tmp_path / "own", question + "guide = '03.01'\n")) == []
    for guide, said in ((None, "no recap question is drawn"), ("05.02", "no recap question is drawn"),
                        ("99.99", "names no entry")):
        text = question + (f"guide = '{guide}'\n" if guide else "")
        problems = lint.recap_transfer(_recap_root(tmp_path / str(guide), text))
        assert [p.rule for p in problems] == ["recap-transfer"] and said in problems[0].message


def test_a_checker_module_exports_its_checkers_and_what_the_notebook_calls(monkeypatch):
    import sys
    import types

    from gradflow.checking import Exercise

    module = types.ModuleType("gradflow.exercises.probe")
    monkeypatch.setitem(sys.modules, "gradflow.exercises.probe", module)
    files = Files(new_code_cell("ex.gradient_at(gradient_at)"), new_markdown_cell("Stuck? `ex.hint(1)`"))
    files.topic, files.meta = "probe", object()

    def gradient_at(fn):
        return None

    files.exercises = [Exercise("00_probe", 1, "a", gradient_at)]
    assert [p.message for p in lint.exports(files)] and "no __all__" in lint.exports(files)[0].message
    module.__all__ = ["gradient_at", "hint"]
    assert lint.exports(files) == []
    for exported, said in ((["gradient_at"], "leaves out ['hint']"), (["gradient_at", "hint", "_pattern"], "exports ['_pattern']")):
        module.__all__ = exported
        problems = lint.exports(files)
        assert [p.rule for p in problems] == ["exports"] and said in problems[0].message, problems
