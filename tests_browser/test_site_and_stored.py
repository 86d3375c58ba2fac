"""What a reader without a kernel sees, and the learner's predictions, in headless Chromium.

1. The static site (`make site`): MathJax (copied from jupyter-server-mathjax) turns `$$...$$` into
   rendered math with nothing fetched from the web, and axe-core's audit (axe-playwright-python)
   finds no serious or critical issue on the index and on a lesson page.
2. An unrun solution opened in JupyterLab shows the explorer's stored picture and text, never
   "Error displaying widget: model not found".
3. Lesson 00 in JupyterLab: one `my_prediction = ...` and one quiz `my_answer = ...` are typed and the
   reveal cells run: each reveal line changes from "no prediction yet" to right / not quite.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading

import pytest

from test_lab import ERROR_OUTPUTS, code_cell_count, open_notebook, run_all_cells, wait_all_executed, wait_idle

from conftest import ROOT

LESSON = "00_autograd_refresher.ipynb"
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    """The site's index and its first lesson page with a formula, built into a temporary folder and served on
    127.0.0.1 (as from any static web server); the whole site's links are tests/test_site.py's."""
    import dataclasses

    from gradflow_course import metadata
    from gradflow_course.site import build_site

    course = metadata.load()
    first = next(ls for ls in course.lessons if "$$" in (ROOT / "solutions" / f"{ls.name}.ipynb").read_text("utf-8"))
    out = tmp_path_factory.mktemp("site") / "_site"
    build_site(out, dataclasses.replace(course, lessons=(first,)), guide=False)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", out
    server.shutdown()


def _math_lesson(out) -> str:
    return next(p.name for p in sorted(out.glob("0*.html")) if "$$" in p.read_text(encoding="utf-8"))


def test_site_renders_math_offline(page, site_url, artifacts):
    base, out = site_url
    name = _math_lesson(out)
    outside = []
    page.on("request", lambda request: outside.append(request.url) if not request.url.startswith(base)
            and not request.url.startswith(("data:", "about:")) else None)
    page.goto(f"{base}/{name}")
    page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
                           " && document.querySelectorAll('.MathJax, .MathJax_Display, .MathJax_SVG').length > 0",
                           timeout=60_000)
    rendered = page.locator(".MathJax, .MathJax_Display")
    rendered.first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "10_site_math.png"))
    assert rendered.count() > 0
    assert "$$" not in page.locator("body").inner_text()  # every formula was typeset
    assert not outside, f"the site fetched from elsewhere: {outside[:5]}"


@pytest.mark.parametrize("which", ["index", "lesson"])
def test_site_has_no_serious_accessibility_issue(page, site_url, artifacts, which):
    from axe_playwright_python.sync_playwright import Axe

    base, out = site_url
    name = "index.html" if which == "index" else _math_lesson(out)
    page.goto(f"{base}/{name}")
    if which == "lesson":
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0", timeout=60_000)
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    report = "\n".join(f"{v['impact']}: {v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['html'][:160]})"
                       for v in bad)
    (artifacts / f"axe_{which}.txt").write_text(report or "no serious or critical issue\n")
    assert not bad, report


def test_unrun_solution_shows_the_explorers_picture_not_an_error(page, lab, artifacts):
    name = "solution_01_detach.ipynb"
    shutil.copy2(ROOT / "solutions" / "01_detach.ipynb", lab.root_dir / name)
    open_notebook(page, lab, name)  # opened, never run
    # the explorer's cell (01-018); JupyterLab shows the richest stored form: the picture
    cell = page.locator(f"{PANEL} .jp-CodeCell", has_text="explore_flow(detach_after").first
    cell.scroll_into_view_if_needed()
    picture = cell.locator(".jp-RenderedImage img").first
    picture.wait_for(state="visible", timeout=30_000)
    assert picture.evaluate("img => img.naturalWidth") > 100  # the explorer's last picture, decoded
    cell.screenshot(path=str(artifacts / "11_unrun_solution_explorer.png"))
    text = page.locator(f"{PANEL} .jp-Notebook").inner_text()
    assert "model not found" not in text and "Error displaying widget" not in text


def _cell_index(page, text: str) -> int:
    index = page.evaluate(
        """(t) => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')]
                   .findIndex(c => (c.querySelector('.jp-InputArea-editor') || {innerText: ''}).innerText.includes(t))""",
        text)
    assert index >= 0, f"no cell holds {text!r}"
    return index


def _settle(page, name: str) -> None:
    """Nothing queued or running ([*]) and the kernel idle."""
    page.wait_for_timeout(1000)
    page.wait_for_function(
        """() => ![...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputArea-prompt')]
                 .some(p => p.textContent.includes('*'))""", timeout=300_000)
    wait_idle(page, name)


def _guess_then_reveal(page, name: str, guess_cell_text: str, typed: str | None) -> str:
    """Run everything above the guess cell, (type the guess,) run it and the collapsed reveal under it."""
    cells = page.locator(f"{PANEL} .jp-Cell")
    i = _cell_index(page, guess_cell_text)
    editor = cells.nth(i).locator(".cm-content")
    editor.click()
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Above Selected Cell$")).click()
    _settle(page, name)
    if typed is not None:
        editor.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(typed)
    editor.click()
    page.keyboard.press("Shift+Enter")  # runs the guess, moves to the (collapsed) reveal cell
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Enter")  # runs the reveal
    _settle(page, name)
    return cells.nth(i + 1).locator(".jp-OutputArea").inner_text()


def _first_guess(variable: str) -> tuple[str, str]:
    """The stub line of lesson 00's first `variable = ...` guess and the solution's answer under it,
    read from the solution notebook so that the test follows the lesson's content."""
    import json

    from gradflow_course.markers import STUB

    cells = json.loads((ROOT / "solutions" / LESSON).read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        lines = "".join(cell["source"]).splitlines()
        for k, line in enumerate(lines):
            if line.startswith(f"{STUB} {variable} = ..."):
                return line.removeprefix(STUB).strip(), lines[k + 1]
    raise AssertionError(f"lesson 00's solution has no {variable} stub")


def test_a_prediction_and_a_quiz_answer_make_the_reveal_react(page, lab, artifacts):
    name = "zz_predict_00.ipynb"  # a copy, so its kernel starts fresh
    shutil.copy2(lab.root_dir / LESSON, lab.root_dir / name)
    open_notebook(page, lab, name)
    prediction, right_prediction = _first_guess("my_prediction")
    before = _guess_then_reveal(page, name, prediction, None)
    assert re.search(r"00\.p1 [^\n]*: no prediction yet", before), before
    after = _guess_then_reveal(page, name, prediction, right_prediction)
    assert re.search(r"00\.p1 [^\n]*: right", after), after
    quiz, right_answer = _first_guess("my_answer")
    before = _guess_then_reveal(page, name, quiz, None)
    assert re.search(r"00\.[pq]\d [^\n]*: no prediction yet", before), before
    after = _guess_then_reveal(page, name, quiz, right_answer)
    assert re.search(r"00\.[pq]\d [^\n]*: right", after), after
    page.screenshot(path=str(artifacts / "12_lesson00_reveal_reacted.png"))
    errors = page.locator(ERROR_OUTPUTS)
    assert errors.count() == 0, [errors.nth(i).inner_text()[:300] for i in range(errors.count())]
