"""The course in a real browser: JupyterLab in headless Chromium, driven by Playwright.

1. Lesson 00 opens, Run > Run All Cells runs every cell, the kernel goes idle, and no cell shows an
   error (nothing on stderr, no traceback).
2. The gradient-flow explorer (gradflow.explorer) renders as live widgets; ticking "detach after" on
   lin1 changes what it shows: lin0 and lin1 stop receiving a gradient and the graph is redrawn.

Screenshots go to tests_browser/artifacts/ (git-ignored).
"""

from __future__ import annotations

import re

import nbformat

LESSON = "00_autograd_refresher.ipynb"
WIDGET_CALL = re.compile(r"\b(explore_flow|FlowExplorer)\(")
ERROR_OUTPUTS = ('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], '
                 ".jp-OutputArea-output.jp-mod-error, .jp-RenderedText[data-mime-type*=error]")


def open_notebook(page, lab, name: str) -> None:
    page.goto(lab.url(f"lab/tree/{name}") + "&reset")  # reset: no tabs restored from an earlier page
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(state="visible", timeout=90_000)
    wait_idle(page, name)


def wait_idle(page, name: str, timeout: int = 120_000) -> None:
    """The status bar shows this notebook with its kernel started and idle ('Python 3 (ipykernel) | Idle')."""
    page.wait_for_function(
        """(name) => {
            const bar = document.querySelector('#jp-main-statusbar');
            const text = bar ? bar.innerText : '';
            return text.includes(name) && /Python 3[^|]*\\|\\s*Idle/.test(text) && !text.includes('No Kernel');
        }""", arg=name, timeout=timeout)


def run_all_cells(page) -> None:
    """Run > Run All Cells, from the menu bar, as a learner would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def wait_all_executed(page, name: str, code_cells: int, timeout: int = 300_000) -> None:
    """Every code cell shows an execution count ([n]:), none is queued or running ([*]:), kernel idle."""
    page.wait_for_function(
        """(n) => {
            const panel = [...document.querySelectorAll('.jp-NotebookPanel')].find(p => !p.classList.contains('lm-mod-hidden'));
            if (!panel) return false;
            const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent.trim());
            const done = prompts.filter(t => /^\\[\\d+\\]:$/.test(t)).length;
            const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
            return prompts.length === n && done === n && indicator && indicator.getAttribute('data-status') === 'idle';
        }""", arg=code_cells, timeout=timeout)
    wait_idle(page, name)


def code_cell_count(path) -> int:
    """Code cells that show an input prompt: a collapsed reveal cell (source_hidden) shows none."""
    return sum(c.cell_type == "code" and not c.metadata.get("jupyter", {}).get("source_hidden")
               for c in nbformat.read(path, as_version=4).cells)


def test_lesson_00_runs_all_cells_without_an_error(page, lab, artifacts):
    open_notebook(page, lab, LESSON)
    page.screenshot(path=str(artifacts / "01_lesson00_opened.png"))
    run_all_cells(page)
    n = code_cell_count(lab.root_dir / LESSON)
    wait_all_executed(page, LESSON, n)
    figure = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-RenderedImage").first
    figure.scroll_into_view_if_needed()  # the autograd graph drawn live by gradflow.draw_graph
    page.screenshot(path=str(artifacts / "02_lesson00_graph_figure_after_run_all.png"))
    errors = page.locator(ERROR_OUTPUTS)
    texts = [errors.nth(i).inner_text()[:300] for i in range(errors.count())]
    assert not texts, f"cells show errors: {texts}"
    outputs = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output")
    assert outputs.count() > 0, "the cells produced output"
    all_text = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").inner_text()
    assert "gradflow ready: torch 2.13.0" in all_text  # the set-up cell ran in the course's kernel
    assert "a.grad = tensor([15., 18.])" in all_text  # seed 004's example, computed live
    # no checker line says "passed" (prose may use the word: match the checker's line, e.g. "00.1 ...: passed")
    assert "not attempted yet" in all_text and not re.search(r"\b00\.\d+ [^\n]*: passed", all_text)
    # the last exercise cell's checker ran too (kernel really reached the end)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").last.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "03_lesson00_exercises_not_attempted.png"))


def test_an_error_in_a_cell_is_detected(page, lab, artifacts):
    """The 'no error' check above is not vacuous: a cell that raises is seen as an error output."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                           "display_name": "Python 3 (ipykernel)"}})
    nb.cells = [nbformat.v4.new_code_cell("1 / 0"), nbformat.v4.new_code_cell("print('after')")]
    nbformat.write(nb, lab.root_dir / "zz_error.ipynb")
    open_notebook(page, lab, "zz_error.ipynb")
    run_all_cells(page)
    page.locator(ERROR_OUTPUTS).first.wait_for(state="visible", timeout=60_000)
    assert "ZeroDivisionError" in page.locator(ERROR_OUTPUTS).first.inner_text()


def _widget_notebook(lab) -> str:
    """The first lesson that shows the explorer; a small notebook of our own if no lesson does (yet)."""
    for path in sorted(lab.root_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if any(c.cell_type == "code" and WIDGET_CALL.search(c.source) for c in nb.cells):
            return path.name
    # ADAPT: no lesson calls explore_flow(...) yet (lessons 01-03 are meant to). Until one does, the
    # test drives the same widget in a two-cell notebook that uses it the documented way.
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("from gradflow import setup\n\nsetup()"),
                nbformat.v4.new_code_cell("from gradflow.explorer import explore_flow\n\nexplore_flow()")]
    nbformat.write(nb, lab.root_dir / "zz_explorer.ipynb")
    return "zz_explorer.ipynb"


def _received_line(text: str) -> str:
    match = re.search(r"received a gradient: (.*)", text)
    assert match, f"the explorer shows no 'received a gradient' line:\n{text[:500]}"
    return match.group(1).strip()


def test_flow_explorer_toggle_changes_what_it_shows(page, lab, artifacts):
    name = _widget_notebook(lab)
    open_notebook(page, lab, name)
    run_all_cells(page)
    wait_all_executed(page, name, code_cell_count(lab.root_dir / name))
    explorer = page.locator(".widget-vbox", has_text="Gradient-flow explorer").first
    explorer.wait_for(state="visible", timeout=60_000)
    explorer.scroll_into_view_if_needed()
    boxes = explorer.locator(".widget-checkbox input[type=checkbox]")
    assert boxes.count() >= 12, "four layers with three toggles each (requires_grad, detach after, inside no_grad)"
    summary = explorer.locator(".widget-html-content pre").last
    image = explorer.locator(".widget-image, img").last
    before_text, before_src = summary.inner_text(), image.get_attribute("src")
    before = _received_line(before_text)
    explorer.screenshot(path=str(artifacts / "04_explorer_before_toggle.png"))

    lin1_detach = boxes.nth(1 * 3 + 1)  # row lin1, column "detach after"
    cut = not lin1_detach.is_checked()  # tick it (or, if the lesson starts with it ticked, untick it)
    lin1_detach.click()
    after_text = before_text
    for _ in range(120):  # the kernel reruns the lab and the HTML widget is re-rendered
        page.wait_for_timeout(250)
        after_text = summary.inner_text()
        if after_text != before_text:
            break
    after = _received_line(after_text)
    explorer.screenshot(path=str(artifacts / "05_explorer_after_toggle_detach_lin1.png"))

    assert after != before, "ticking a box changed which parameters receive a gradient"
    if cut:
        assert "lin0.weight" not in after and "lin1.weight" not in after, "a detach after lin1 cuts lin0 and lin1 off"
    else:
        assert "lin1.weight" in after, "without the detach after lin1, lin1 gets its gradient back"
    assert "lin3.weight" in after and "lin3.weight" in before
    assert image.get_attribute("src") != before_src, "the graph figure was redrawn"
    errors = page.locator(ERROR_OUTPUTS)
    assert errors.count() == 0, [errors.nth(i).inner_text()[:300] for i in range(errors.count())]
