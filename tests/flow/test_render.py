"""gen.flow.render and gen.flow.explorer without a browser: the structure of the HTML (escaping,
one plotly.js per page, wrapped tables, contents), the Markdown twin, the time table, checks of
the arguments, and deterministic output. tests/flow/test_browser.py opens the pages in Chromium.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from gen.flow.explorer import write_explorer
from gen.flow.render import display_path, render_html, render_md, timing_blocks

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

EVIL = "<script>alert('x')</script> & \"q\""
BUNDLE_HEAD = get_plotlyjs()[:300]


def _fig(name: str = "points") -> dict:
    return {"data": [{"type": "scatter", "x": [1, 2, 3], "y": [3, 1, 2], "name": name}],
            "layout": {"xaxis": {"title": {"text": "x"}}}}


def _blocks() -> list[tuple]:
    return [
        ("h1", "Title " + EVIL),
        ("h2", "Section " + EVIL),
        ("p", "para " + EVIL),
        ("ul", ["item " + EVIL, "plain"]),
        ("table", ["name", "MRED %", "area um^2", "flag"],
         [["a|b " + EVIL, "1.5", "1,234 (56 GE)", "yes"], ["c", "-", "7", "no"],
          ["d", "-0.25", "12", "yes"]]),
        ("img", "pareto.png", "a plot " + EVIL),
        ("h3", "Sub section"),
        ("figure", "one", _fig("</script><b>trace</b>"), "first " + EVIL),
        ("h2", "Section " + EVIL),  # the same heading twice: two anchors
        ("figure", "two", _fig(), "second"),
    ]


class _Tree(HTMLParser):
    """Start tags with their parent's tag and class, text of scripts, ids."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.tags: list[tuple[str, dict, tuple[str, dict] | None]] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a, self.stack[-1] if self.stack else None))
        if tag not in ("meta", "img", "input", "br", "link"):
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] == "script":
            self.scripts.append(data)


def _tree(text: str) -> _Tree:
    t = _Tree()
    t.feed(text)
    return t


def test_html_escapes_every_text_and_keeps_one_bundle():
    page = render_html(_blocks(), "page " + EVIL)
    assert "<script>alert" not in page and "</script><b>" not in page
    # title, h1, 2 h2 and their 2 contents entries, p, li, cell, img alt and caption, figure
    assert page.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;q&#34;") == 12
    assert page.count(BUNDLE_HEAD) == 1
    tree = _tree(page)
    figs = [a["id"] for tag, a, _ in tree.tags if "ef-figure" in a.get("class", "")]
    assert figs == ["fig-one", "fig-two"]
    for _, a, _ in tree.tags:
        if "ef-figure" in a.get("class", ""):
            assert re.fullmatch(r"height: [1-9]\d*px", a["style"])
    # the figure JSON survives the escaping
    calls = [s for s in tree.scripts if "Plotly.newPlot(\"fig-one\"" in s]
    spec = json.loads(re.search(r"\}\)\((\{.*\})\);", calls[0], re.S).group(1))
    assert spec["data"][0]["name"] == "</script><b>trace</b>"
    assert render_html(_blocks()[:5], "no figures").count(BUNDLE_HEAD) == 0


def test_tables_wrapped_numeric_sortable_and_contents():
    tree = _tree(render_html(_blocks(), "t"))
    tables = [(a, parent) for tag, a, parent in tree.tags if tag == "table"]
    assert len(tables) == 1
    assert all(p[0] == "div" and p[1]["class"] == "table-wrap" and "sortable" in a["class"]
               for a, p in tables)
    ths = [a.get("class") for tag, a, _ in tree.tags if tag == "th"]
    assert ths == [None, "num", "num", None]
    keys = [a["data-v"] for tag, a, _ in tree.tags if tag == "td" and a.get("class") == "num"]
    assert keys == ["1.5", "1234.0", "", "7.0", "-0.25", "12.0"]
    ids = [a["id"] for tag, a, _ in tree.tags if tag in ("h1", "h2", "h3")]
    assert len(set(ids)) == len(ids) == 4
    toc = [a["href"] for tag, a, parent in tree.tags if tag == "a" and a["href"].startswith("#")]
    assert toc == [f"#{i}" for i in ids[1:]]  # every h2/h3, not the h1


def test_markdown_twin():
    md = render_md(_blocks() + timing_blocks([{"step": "synth", "seconds": 2.0,
                                                "cached": True, "family": "x"}]))
    lines = md.splitlines()
    assert lines[0] == "# Title " + EVIL and "## Section " + EVIL in lines
    assert "| name | MRED % | area um^2 | flag |" in lines and "|---|---|---|---|" in lines
    assert "| a\\|b " + EVIL + " | 1.5 | 1,234 (56 GE) | yes |" in lines
    assert "- item " + EVIL in lines and "![a plot " + EVIL + "](pareto.png)" in lines
    assert "Figure: first " + EVIL + " (see index.html)" in lines
    assert "Figure: second (see index.html)" in lines
    assert "## Where the time went" in lines and "| synth | x | 2.0 | 100.0 | yes |" in lines
    assert md.endswith("\n") and not md.endswith("\n\n") and "BUNDLE" not in md


def test_timing_table_at_the_end_slowest_first():
    timing = [{"step": f"s{i}", "seconds": s, "cached": i == 1, "family": "f"}
              for i, s in enumerate([1.0, 4.0, 0.0, 3.0])]
    page = render_html([("h1", "t")], "t", timing=timing)
    body = page[page.index("Where the time went</h2>"):]
    order = re.findall(r"<tr><td>(s\d)</td>", body)
    assert order == ["s1", "s3", "s0", "s2"]
    blocks = timing_blocks(timing)
    shares = [float(r[3]) for r in blocks[-1][2]]
    assert math.isclose(sum(shares), 100.0, abs_tol=0.2)
    assert "1 taken from the cache" in blocks[1][1] and "8.0 s" in blocks[1][1]
    with pytest.raises(ValueError, match="^Seconds of timing entry 0 must be a non-negative"):
        timing_blocks([{"step": "a", "seconds": -1}])
    with pytest.raises(ValueError, match="^Timing entry 1 must be a dict with 'step'"):
        timing_blocks([{"step": "a", "seconds": 1}, {"seconds": 1}])


@pytest.mark.parametrize("blocks, message", [
    ([("h4", "x")], "Report block kind must be one of h1, h2, h3, p, ul, table, img, figure, "
                    "not 'h4'"),
    ([("table", ["a", "b"], [["1"]])], "Every row of a table must have 2 cells"),
    ([("p",)], "Report block 'p' takes 1 argument(s), not 0"),
    ([("figure", "1bad", _fig(), "c")], "Figure id must be a letter then"),
    ([("figure", "a", _fig(), "c"), ("figure", "a", _fig(), "d")],
     "Figure id 'a' is used twice on one page"),
    ([("figure", "a", {"layout": {}}, "c")], "Figure 'a' must be a dict with a 'data' list"),
])
def test_bad_blocks_are_named(blocks, message):
    for render in (render_md, lambda b: render_html(b, "t")):
        with pytest.raises(ValueError, match="^" + re.escape(message)):
            render(blocks)


def test_display_path_is_never_absolute(tmp_path):
    report = tmp_path / "report"
    assert display_path(report / "verilog" / "a.v", report) == "verilog/a.v"
    assert display_path(tmp_path / "elsewhere" / "lib.gz", report) == "lib.gz"
    assert display_path("/usr/share/x/cells.lib", report) == "cells.lib"


def test_render_is_deterministic():
    assert render_html(_blocks(), "t", timing=[{"step": "a", "seconds": 1}]) == \
        render_html(_blocks(), "t", timing=[{"step": "a", "seconds": 1}])
    assert render_md(_blocks()) == render_md(_blocks())


# -------------------------------------------------------------------------------------------
# explorer


def _rows() -> list[dict]:
    return [{"name": f"p{i}", "kind": "ab"[i % 2], "energy": 10.0 - i, "area": i * i,
             "ok": i != 2, "note": EVIL if i == 1 else None, "bad": math.nan if i == 3 else 1.0}
            for i in range(6)]


def _data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="ef-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def test_explorer_embeds_rows_safely(tmp_path):
    path = write_explorer(tmp_path / "sub" / "x.html", _rows(), title="sweep " + EVIL)
    page = path.read_text()
    assert path == tmp_path / "sub" / "x.html"
    assert page.count(BUNDLE_HEAD) == 1 and "<script>alert" not in page
    data = _data(page)
    assert data["columns"] == ["name", "kind", "energy", "area", "ok", "note", "bad"]
    assert data["numeric"] == ["energy", "area", "bad"]
    assert (data["x"], data["y"], data["group"]) == ("energy", "area", "kind")
    want = [[r[c] if not (isinstance(r[c], float) and math.isnan(r[c])) else None
             for c in data["columns"]] for r in _rows()]
    assert data["rows"] == want
    tree = _tree(page)
    assert [a["data-i"] for tag, a, _ in tree.tags if tag == "tr" and "data-i" in a] == \
        [str(i) for i in range(6)]
    assert [a.get("class") for tag, a, _ in tree.tags if tag == "th"] == \
        [None, None, "num", "num", None, None, "num"]


def test_explorer_options_and_determinism(tmp_path):
    a = write_explorer(tmp_path / "a.html", _rows(), title="t", columns=["area", "energy",
                       "kind"], default_x="area", default_y="energy", group_by=None)
    b = write_explorer(tmp_path / "b.html", _rows(), title="t", columns=["area", "energy",
                       "kind"], default_x="area", default_y="energy")
    assert a.read_bytes() == b.read_bytes()
    data = _data(a.read_text())
    assert data["columns"] == ["area", "energy", "kind"] and data["rows"][2] == [4, 8.0, "a"]
    assert data["x"] == "area" and data["group"] == "kind"
    text_only = write_explorer(tmp_path / "c.html", [{"a": "x"}], title="t").read_text()
    assert BUNDLE_HEAD not in text_only and "No numeric column" in text_only


@pytest.mark.parametrize("kwargs, error, message", [
    ({"rows": {"a": 1}}, TypeError, "Rows must be a list of dicts, not dict"),
    ({"rows": [{"a": 1}, [1]]}, TypeError, "Rows must be a list of dicts; row 1 is a list"),
    ({"rows": [{"a": [1]}]}, TypeError, "Value of column 'a' in row 0 must be a number"),
    ({"columns": ["nope"]}, ValueError, "Column 'nope' is in no row; valid: name, kind"),
    ({"default_x": "kind"}, ValueError, "default_x must be one of the columns energy, area, bad"),
    ({"group_by": "missing"}, ValueError, "group_by must be one of the columns"),
    ({"title": None}, TypeError, "Title must be a string, not None"),
])
def test_explorer_bad_arguments(tmp_path, kwargs, error, message):
    args = {"rows": _rows(), "title": "t", **kwargs}
    with pytest.raises(error, match="^" + re.escape(message)):
        write_explorer(tmp_path / "x.html", args.pop("rows"), **args)
    assert not (tmp_path / "x.html").exists()


def test_templates_are_package_data():
    root = Path(__file__).resolve().parents[2]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["gen"]
    templates = sorted((root / "gen" / "flow" / "templates").iterdir())
    assert len(templates) >= 5
    for path in templates:
        rel = path.relative_to(root / "gen").as_posix()
        assert any(fnmatch.fnmatch(rel, g) for g in globs), f"{rel} is not package data"
