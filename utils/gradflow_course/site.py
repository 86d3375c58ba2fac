"""Build a static, offline HTML site of the course from the executed solutions (what `make site` runs).

    python -m gradflow_course site            # into _site/ (open _site/index.html in a browser)
    python -m gradflow_course site --out DIR

One page per lesson of ``course.toml`` (its solution notebook, with stored outputs and figures), in
lesson order, an index page with each lesson's promise and minutes, and previous / index / next
links on every lesson page.

Why nbconvert (and not mkdocs with mkdocs-jupyter): it is Jupyter's own exporter, already installed
with JupyterLab and pinned in constraints.txt, so the site needs no extra dependency, and its
``lab`` template renders cells and outputs exactly as JupyterLab does. Its default page loads
require.js and MathJax from CDNs; this module's template drops require.js and the widget scripts,
points MathJax at a copy in ``_site/mathjax/`` (from the ``jupyter-server-mathjax`` package on PyPI,
pinned in constraints.txt: nothing is fetched from the web), embeds every image as base64 and inlines
the CSS, so the site works from a folder, a USB stick or a server with no internet. Every picture gets
an alt text from its own output: the graph's text tree, the explorer's summary, or for a plain plot the
heading of the text above it. Widget outputs need a kernel: the site shows their picture and text form.
"""

from __future__ import annotations

import contextlib
import html
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import jinja2
import nbformat
import nbconvert.exporters.html as nbconvert_html
from nbconvert import HTMLExporter

import gradflow_course.metadata as metadata
import gradflow_course.paths as paths

TEMPLATE_NAME = "gradflow_site.html.j2"
# Extends nbconvert's lab template; every block that would load a script from a CDN is emptied.
TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{{ resources.gradflow_mathjax }}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}<style type="text/css">{{ resources.gradflow_css }}</style>{%- endblock extra_css -%}
{%- block body_header -%}{{ super() }}{{ resources.gradflow_nav }}{%- endblock body_header -%}
{%- block body_footer -%}{{ resources.gradflow_nav }}</main>
</body>{%- endblock body_footer -%}
"""
CSS = """
nav.gradflow-nav { display: flex; justify-content: space-between; gap: 1em; max-width: 1100px;
  margin: 0.5em auto; padding: 0.6em 1em; border: 1px solid #ddd; border-radius: 6px;
  font-family: system-ui, sans-serif; background: #f7f7f9; }
nav.gradflow-nav a { text-decoration: none; }
nav.gradflow-nav span.none { color: #999; }
/* WCAG AA contrast (axe-core, 4.5:1) for what nbconvert's lab theme draws too light on #f5f5f5 / white */
.jp-InputPrompt, .jp-OutputPrompt { opacity: 1 !important; color: #4d4d4d !important; }
.highlight .c, .highlight .c1, .highlight .ch, .highlight .cm, .highlight .cp, .highlight .cs { color: #2c5f5f !important; }
.highlight .m, .highlight .mf, .highlight .mi, .highlight .mh, .highlight .mo, .highlight .il { color: #006100 !important; }
.highlight .ow { color: #7512c4 !important; }
"""
INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>gradflow: controlling gradient flow in PyTorch</title>
<style type="text/css">
body {{ font-family: system-ui, sans-serif; max-width: 900px; margin: 2em auto; padding: 0 1em; line-height: 1.5; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: 0.4em 0.6em; border-bottom: 1px solid #ddd; vertical-align: top; }}
td.min {{ white-space: nowrap; }}
</style>
</head>
<body>
<h1>gradflow: controlling gradient flow in PyTorch</h1>
<p>The course's solved notebooks with their outputs, as run on torch {torch}. These pages show the
answers to the exercises: to work through a lesson yourself, open it in JupyterLab (<code>make lab</code>).</p>
<table>
<thead><tr><th>#</th><th>lesson</th><th>promise</th><th>teaching</th><th>exercises</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p>Total: {teaching} min teaching, {exercises} min exercises.</p>
{guide}
</body>
</html>
"""
# MathJax 2 from _site/mathjax/ (the package's combined config), with the one web font it ships
# (STIX-Web, as JupyterLab configures it): no image fonts, nothing looked for elsewhere
MATHJAX = r"""<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
            processEscapes: true, processEnvironments: true},
  messageStyle: "none", showMathMenu: false,
  "HTML-CSS": {availableFonts: [], imageFont: null, preferredFont: null, webFont: "STIX-Web"}
});
</script>
<script src="mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"></script>"""
NO_ALT = re.compile(r"<img(?![^>]*\balt=)")  # a picture without an alt text
# the elements nbconvert's lab template draws for a cell's input and for each output
FOCUSABLE = re.compile(r'<div class="(?:jp-Cell-inputWrapper|[^"]*\bjp-OutputArea-output\b[^"]*)"')
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")


def alt_texts(nb: nbformat.NotebookNode) -> list[str]:
    """One alt text per picture, in page order: the output's own text, else the heading above it."""
    texts = []
    heading = "a figure"
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            lines = [line.strip("# *").strip() for line in cell.source.splitlines() if line.strip()]
            if lines:
                heading = lines[0]
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if not any(kind in data for kind in IMAGE_TYPES):
                continue
            text = data.get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            if not text.strip() or text.lstrip().startswith("<Figure"):
                text = f"plot for: {heading}"
            texts.append(" ".join(text.split()))
    return texts


def _with_alts(body: str, texts: list[str]) -> str:
    """Each picture that has no alt text gets the next of ``texts`` (what nbconvert's own pass would have marked)."""
    pieces = NO_ALT.split(body)
    if len(pieces) - 1 != len(texts):  # never a wrong alt on a picture: fall back to the heading-free form
        texts = (texts + ["a figure from this lesson"] * len(pieces))[: len(pieces) - 1]
    out = [pieces[0]]
    for text, piece in zip(texts, pieces[1:]):
        out.append(f'<img alt="{html.escape(text, quote=True)}"{piece}')
    return "".join(out)


def _finished(body: str, nb: nbformat.NotebookNode) -> str:
    """What nbconvert's own second pass would add, done on the text: an alt text on each picture (the site's,
    from ``nb``) and a tabindex on every cell's input and output, so keyboard users reach them."""
    return FOCUSABLE.sub(r'\g<0> tabindex="0"', _with_alts(body, alt_texts(nb)))


def copy_mathjax(out: Path) -> Path:
    """MathJax 2's files from the jupyter-server-mathjax package into ``out/mathjax`` (no network)."""
    import jupyter_server_mathjax  # imports jupyter_server: only when a site is written

    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(source, out / "mathjax")
    return out / "mathjax"


LESSON_LINK = re.compile(r'href="(?:\.\./(?:solutions|lessons)/|\./)?(\d\d_[a-z0-9_]+)\.ipynb(#[^"]*)?"')
#: a link to a field guide notebook: ../guide/NN.ipynb from a lesson, NN.ipynb from another guide page
GUIDE_LINK = re.compile(r'href="\.\./guide/(\d\d_[a-z0-9_]+)\.ipynb(#[^"]*)?"')
GUIDE_SIBLING = re.compile(r'href="(?:\./)?(\d\d_[a-z0-9_]+)\.ipynb(#[^"]*)?"')
GUIDE_LESSON = re.compile(r'href="\.\./lessons/(\d\d_[a-z0-9_]+)\.ipynb(#[^"]*)?"')


@dataclass
class Page:
    """One lesson page: its metadata and the notebook it is rendered from."""

    lesson: metadata.Lesson
    path: Path

    @property
    def name(self) -> str:
        return f"{self.lesson.name}.html"


def _nav(pages: list[Page], index: int) -> str:
    def link(i: int, label: str) -> str:
        if 0 <= i < len(pages):
            return f'<a href="{pages[i].name}" rel="{label}">{_inline(_label(pages[i].lesson))}</a>'
        return '<span class="none"></span>'

    prev = link(index - 1, "prev").replace('">', '">&larr; ', 1) if index > 0 else link(-1, "prev")
    nxt = link(index + 1, "next").replace("</a>", " &rarr;</a>") if index + 1 < len(pages) else link(-1, "next")
    return (f'<nav class="gradflow-nav">{prev}<a href="index.html" rel="index">all lessons</a>{nxt}</nav>')


def _inline(text: str) -> str:
    """HTML for a line of markdown that uses only `code` spans (titles and promises)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _label(lesson: metadata.Lesson) -> str:
    return f"{lesson.number} · {lesson.title}"


class _AsRendered:
    """Stands in for BeautifulSoup in nbconvert's HTMLExporter, which re-parses every finished page (half of the
    build's time) only to add an alt text to each picture and a tabindex to each cell's input and output. The
    site does both on the page's text (``_finished``), so the page comes back as rendered."""

    def __init__(self, markup: str, features: str | None = None):
        self.markup = markup

    def select(self, selector: str) -> list:
        return []

    def __str__(self) -> str:
        return self.markup


@contextlib.contextmanager
def _as_rendered():
    """nbconvert's HTMLExporter with _AsRendered in place of its BeautifulSoup, for the duration of a build."""
    saved, nbconvert_html.BeautifulSoup = nbconvert_html.BeautifulSoup, _AsRendered
    try:
        yield
    finally:
        nbconvert_html.BeautifulSoup = saved


def _exporter() -> HTMLExporter:
    loader = jinja2.DictLoader({TEMPLATE_NAME: TEMPLATE})
    # clean_html runs bleach over every highlighted code cell: a third of the build, spent distrusting the
    # course's own code (outputs are not sanitized either: sanitize_html=False)
    return HTMLExporter(template_name="lab", template_file=TEMPLATE_NAME, extra_loaders=[loader],
                        embed_images=True, exclude_input_prompt=False, sanitize_html=False,
                        filters={"clean_html": _own_html})


def _own_html(html: str) -> str:
    return html


def without_markers(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with the build's marker lines (BEGIN/END SOLUTION, ``# STUB:``) left out of its code: a reader
    of the site sees the answer as a learner would write it."""
    from .markers import BEGIN, END, STUB

    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = "\n".join(line for line in cell.source.splitlines()
                                     if line.strip() not in (BEGIN, END) and not line.lstrip().startswith(STUB))
    return nb


def build_site(out: Path, course: metadata.Course | None = None, guide: bool = True) -> list[Path]:
    """Write the site into ``out`` (replaced if it exists); return the pages written. A course of fewer lessons,
    or ``guide=False``, builds part of it (the browser test needs one lesson page and the index)."""
    course = metadata.load() if course is None else course
    lessons = [Page(lesson, paths.solution(lesson.name)) for lesson in course.lessons]
    with _as_rendered():
        exporter = _exporter()
        pages: dict[str, str] = {}
        known = {page.lesson.name for page in lessons}
        for index, page in enumerate(lessons):
            nb = without_markers(nbformat.read(page.path, as_version=4))
            body, _ = exporter.from_notebook_node(nb, resources={
                "metadata": {"name": _label(page.lesson), "path": str(page.path.parent)},
                "gradflow_nav": _nav(lessons, index), "gradflow_css": CSS,
                "gradflow_mathjax": MATHJAX})

            def relink(match: re.Match) -> str:  # links between lessons point at their pages
                stem, anchor = match.group(1), match.group(2) or ""
                return f'href="{stem}.html{anchor}"' if stem in known else match.group(0)

            body = GUIDE_LINK.sub(lambda m: f'href="guide-{m.group(1)}.html{m.group(2) or ""}"', body)
            pages[page.name] = _finished(LESSON_LINK.sub(relink, body), nb)
        guide_pages = _guide_pages(exporter, known) if guide else {}
        pages.update(guide_pages)
    pages["index.html"] = _index(lessons, course, sorted(guide_pages))
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    copy_mathjax(out)
    written = []
    for name, text in pages.items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    return written


def _guide_pages(exporter: HTMLExporter, lessons: set[str]) -> dict[str, str]:
    """guide-NN_family.html for each notebook of guide/ (its index first), links turned into the site's pages."""
    folder = paths.root() / "guide"
    pages = {}
    nav = '<nav class="gradflow-nav"><a href="guide-00_index.html" rel="index">field guide</a>' \
          '<a href="index.html" rel="index">all lessons</a></nav>'
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        title = nb.cells[0].source.splitlines()[0].lstrip("# ") if nb.cells else path.stem
        body, _ = exporter.from_notebook_node(nb, resources={
            "metadata": {"name": title, "path": str(path.parent)}, "gradflow_nav": nav, "gradflow_css": CSS,
            "gradflow_mathjax": MATHJAX})
        body = GUIDE_LESSON.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"'
                                if m.group(1) in lessons else m.group(0), body)
        body = GUIDE_SIBLING.sub(lambda m: f'href="guide-{m.group(1)}.html{m.group(2) or ""}"', body)
        pages[f"guide-{path.stem}.html"] = _finished(body, nb)
    return pages


def _index(pages: list[Page], course: metadata.Course, guide: list[str] = ()) -> str:
    import torch

    rows = []
    for page in pages:
        lesson = page.lesson
        rows.append(f'<tr><td>{lesson.number}</td><td><a href="{page.name}">{_inline(lesson.title)}</a></td>'
                    f"<td>{_inline(lesson.promise)}</td>"
                    f'<td class="min">{lesson.teaching_minutes} min</td>'
                    f'<td class="min">{lesson.exercise_minutes} min</td></tr>')
    guide_line = ('<p>When something goes wrong in your own code: the <a href="guide-00_index.html">field guide</a>, '
                  "bugs people met in the wild, each reproduced and fixed, searchable by error message.</p>"
                  if "guide-00_index.html" in guide else "")
    return INDEX.format(rows="\n".join(rows), torch=torch.__version__.split("+")[0],
                        teaching=course.teaching_minutes, exercises=course.exercise_minutes, guide=guide_line)


def add_arguments(parser) -> None:
    parser.add_argument("--out", type=Path, default=None, help="default: _site/ in the course folder")


def run(args) -> int:
    out = args.out or paths.site()
    pages = build_site(out)
    print(f"built {len(pages)} pages into {paths.shown(out)}; open {paths.shown(out / 'index.html')} in a browser")
    return 0
