"""The static site (`make site`): every lesson has a page, every internal link resolves, nothing loads from the web."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from gradflow_course import metadata
from gradflow_course.site import build_site

ROOT = Path(__file__).resolve().parents[1]
COURSE = metadata.load(ROOT / "course.toml")
SOLUTIONS = [ROOT / "solutions" / f"{name}.ipynb" for name in COURSE.names()]


class Page(HTMLParser):
    """Links, ids, scripts, stylesheets and images of one HTML page."""

    def __init__(self, text: str):
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (href, rel)
        self.ids: set[str] = set()
        self.resources: list[str] = []  # what the browser would load: script src, link href, img src
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append((attrs["href"], attrs.get("rel", "")))
        if tag == "script" and attrs.get("src"):
            self.resources.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.resources.append(attrs["href"])
        if tag in ("img", "iframe", "source") and attrs.get("src"):
            self.resources.append(attrs["src"])


pytestmark = pytest.mark.slow  # the module builds the whole site once


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "_site"
    build_site(out)
    return out, {p.name: Page(p.read_text(encoding="utf-8")) for p in out.glob("*.html")}


def test_every_lesson_has_a_page_listed_in_order_on_the_index(site):
    out, pages = site
    expected = [f"{p.stem}.html" for p in SOLUTIONS]
    assert sorted(p for p in pages if not p.startswith("guide-")) == sorted(expected + ["index.html"])
    index_links = [href for href, _ in pages["index.html"].links if not href.startswith("guide-")]
    assert index_links == expected, "the index lists every lesson in lesson order"


def test_prev_and_next_links_chain_the_lessons(site):
    _, pages = site
    order = [f"{p.stem}.html" for p in SOLUTIONS]
    for i, name in enumerate(order):
        rels = {}
        for href, rel in pages[name].links:
            rels.setdefault(rel, set()).add(href)
        assert rels.get("index") == {"index.html"}
        assert rels.get("prev", set()) == ({order[i - 1]} if i > 0 else set())
        assert rels.get("next", set()) == ({order[i + 1]} if i + 1 < len(order) else set())


def test_every_internal_link_resolves(site):
    out, pages = site
    broken = []
    for name, page in pages.items():
        for href, _ in page.links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//"):
                continue  # external documentation links are fine: they are not loaded
            target = name if not parts.path else parts.path
            if target not in pages:
                broken.append(f"{name}: {href} (no such page)")
            elif parts.fragment and unquote(parts.fragment) not in pages[target].ids and \
                    parts.fragment not in pages[target].ids:
                broken.append(f"{name}: {href} (no such anchor)")
    assert not broken, "\n".join(broken)


def test_no_script_style_or_image_is_loaded_from_the_network(site):
    out, pages = site
    for name, page in pages.items():
        external = [r for r in page.resources
                    if not r.startswith("data:") and not (out / urlsplit(r).path).is_file()]
        assert not external, f"{name} loads {external}"
        text = (out / name).read_text(encoding="utf-8")
        assert not re.search(r"@import\s+(url\()?['\"]?(https?:)?//", text), f"{name} imports a remote stylesheet"
        assert "require.js" not in text and "cdnjs" not in text and "cdn.jsdelivr" not in text


def test_figures_are_embedded(site):
    out, _ = site
    text = (out / "00_autograd_refresher.html").read_text(encoding="utf-8")
    assert text.count('src="data:image/png;base64,') >= 1  # the autograd graph drawn by draw_graph
    assert "a.grad = tensor([15., 18.])" in text  # stored outputs are shown


def test_index_shows_each_lessons_promise_and_minutes_from_course_toml(site):
    out, _ = site
    text = (out / "index.html").read_text(encoding="utf-8")
    first = COURSE.lessons[0]
    assert "after this lesson you can say, for any tensor" in text  # lesson 00's promise
    row = text[text.index(f'href="{first.name}.html"'):]
    row = row[:row.index("</tr>")]
    assert f"{first.teaching_minutes} min" in row and f"{first.exercise_minutes} min" in row
    assert f"Total: {COURSE.teaching_minutes} min teaching, {COURSE.exercise_minutes} min exercises." in text


def test_math_is_rendered_by_a_local_mathjax(site):
    """MathJax comes from the jupyter-server-mathjax package, copied beside the pages (the browser test
    sees it turn `$$...$$` into rendered math)."""
    out, pages = site
    lesson = next(name for name in pages if name != "index.html" and "$$" in (out / name).read_text())
    scripts = [r for r in pages[lesson].resources if "MathJax.js" in r]
    assert scripts and all((out / urlsplit(r).path).is_file() for r in scripts)
    assert (out / "mathjax" / "jax" / "input" / "TeX" / "config.js").is_file()


class Images(HTMLParser):
    def __init__(self, text):
        super().__init__()
        self.alts: list[str | None] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.alts.append(dict(attrs).get("alt"))


def test_every_figure_has_a_meaningful_alt_text(site):
    out, pages = site
    seen = 0
    for name in pages:
        alts = Images((out / name).read_text(encoding="utf-8")).alts
        seen += len(alts)
        for alt in alts:
            assert alt and len(alt) > 12 and "No description" not in alt and "<Figure" not in alt, (name, alt)
    assert seen >= 10
    graph = Images((out / "00_autograd_refresher.html").read_text(encoding="utf-8")).alts[0]
    assert graph.startswith("output = MeanBackward0")  # the graph's own text tree
    explorer = Images((out / "01_detach.html").read_text(encoding="utf-8")).alts
    assert any(alt.startswith("gradient-flow explorer: x -> lin0") for alt in explorer)


def test_the_build_markers_do_not_show_on_the_site(site):
    # issue 22: the site showed `### BEGIN SOLUTION` and `# STUB:` lines
    out, _ = site
    pages = [p.read_text(encoding="utf-8") for p in out.glob("*.html")]
    assert pages
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "# STUB:"):
        assert not any(marker in page for page in pages), marker


def test_the_field_guide_has_a_page_per_notebook_linked_from_the_front_page_and_the_lessons(site):
    out, pages = site
    guide = sorted((ROOT / "guide").glob("*.ipynb"))
    assert guide, "the course has a field guide (guide/)"
    assert {f"guide-{p.stem}.html" for p in guide} <= set(pages)
    assert 'href="guide-00_index.html"' in (out / "index.html").read_text(encoding="utf-8")
    lesson_pages = [(out / f"{name}.html").read_text(encoding="utf-8") for name in COURSE.names()]
    assert any('href="guide-' in text for text in lesson_pages), "lessons link their entries' pages"
    for p in guide:
        text = (out / f"guide-{p.stem}.html").read_text(encoding="utf-8")
        assert ".ipynb" not in "".join(re.findall(r'href="([^"]*)"', text)), f"{p.name}: a link still points at a notebook"


def test_part_of_the_site_one_lesson_and_the_index_without_the_guide(tmp_path):
    import dataclasses

    first = COURSE.lessons[0]
    written = build_site(tmp_path / "part", dataclasses.replace(COURSE, lessons=(first,)), guide=False)
    assert sorted(p.name for p in written) == sorted([f"{first.name}.html", "index.html"])
    assert f'href="{first.name}.html"' in (tmp_path / "part" / "index.html").read_text(encoding="utf-8")


def test_pages_are_nbconverts_own_less_its_slow_second_pass(tmp_path, monkeypatch):
    # the build skips nbconvert's BeautifulSoup pass and adds its tabindex (and the alt texts) itself: the same
    # page, attribute for attribute, as nbconvert's own pass gives (alt texts aside: the site writes better ones)
    import contextlib
    import dataclasses

    import nbconvert.exporters.html as nbconvert_html
    from bs4 import BeautifulSoup

    import gradflow_course.site as site

    one = dataclasses.replace(COURSE, lessons=(COURSE.lessons[0],))
    page = f"{COURSE.lessons[0].name}.html"
    build_site(tmp_path / "ours", one, guide=False)
    assert nbconvert_html.BeautifulSoup is BeautifulSoup, "the build puts nbconvert's parser back"
    monkeypatch.setattr(site, "_as_rendered", contextlib.nullcontext)
    build_site(tmp_path / "theirs", one, guide=False)

    def normalized(path: Path) -> str:
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all(alt=True):
            del tag["alt"]
        for tag in soup.find_all(True):  # attribute order carries no meaning in HTML
            tag.attrs = dict(sorted(tag.attrs.items()))
        return str(soup)

    ours, theirs = normalized(tmp_path / "ours" / page), normalized(tmp_path / "theirs" / page)
    assert ours.count('tabindex="0"') == theirs.count('tabindex="0"') > 10
    assert ours == theirs
