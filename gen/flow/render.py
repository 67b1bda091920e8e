"""Documents of the flow: one list of blocks rendered as Markdown and as a standalone HTML page.

A block is a tuple whose first item names its kind:

``("h1" | "h2" | "h3" | "p", text)``
    A heading or a paragraph (plain text; escaped in HTML).
``("ul", items)``
    A bulleted list of plain-text items.
``("table", header, rows)``
    A table (cells are text; numbers are given as text). In HTML: in a horizontally scrollable
    container with a sticky header, numeric columns right aligned, sortable by a click on a
    header.
``("img", file, alt)``
    An image file beside the document (a path relative to it).
``("figure", fig_id, figure, caption)``
    An interactive plotly figure: ``figure`` is a plain dict (``Figure.to_plotly_json()`` or
    built by hand) with ``data`` and optionally ``layout``. In HTML plotly.js is embedded once per
    page (no network); in Markdown the figure is one line naming it.

The HTML comes from the jinja2 templates in ``gen/flow/templates/`` (autoescaped). The page has
a table of contents of the h2/h3 headings and, with ``timing``, a "Where the time went" table at
its end (:func:`timing_blocks` gives the same table as blocks for the Markdown twin).
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import jinja2
import plotly.io.json as plotly_json
from markupsafe import Markup
from plotly.offline import get_plotlyjs

__all__ = ["BLOCK_KINDS", "render_md", "render_html", "timing_blocks", "display_path",
           "plotly_bundle", "script_json", "template_env", "TIMING_TITLE"]

# kind -> number of arguments after the kind
BLOCK_KINDS = {"h1": 1, "h2": 1, "h3": 1, "p": 1, "ul": 1, "table": 2, "img": 2, "figure": 3}
TIMING_TITLE = "Where the time went"
FIGURE_HEIGHT_PX = 460
_FIG_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
# a number at the start of a cell: 12, -3.5, +0.25, 1,234, 1.5e-3 (then any unit or note)
_LEADING_NUMBER = re.compile(r"[+\-\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?")
_BLANK_CELLS = {"", "-", "\u2013", "\u2014", "n/a", "na", "none"}


@functools.cache
def template_env() -> jinja2.Environment:
    """The jinja2 environment of ``gen/flow/templates/`` (autoescape on, strict undefined)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True)


@functools.cache
def plotly_bundle() -> Markup:
    """plotly.js (the offline bundle of the installed plotly), safe inside ``<script>``."""
    js = get_plotlyjs()
    if "</script" in js.lower():  # never true for plotly's bundle; it would end the element
        raise RuntimeError("The plotly.js bundle contains '</script' and cannot be embedded")
    return Markup(js)


def script_json(value: object) -> Markup:
    """``value`` as JSON safe inside ``<script>`` (``<``, ``>``, ``&`` as ``\\u`` escapes;
    numpy arrays and NaN handled as plotly does)."""
    text = plotly_json.to_json_plotly(value)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return Markup(text)


def display_path(path: str | os.PathLike, base: str | os.PathLike) -> str:
    """``path`` as a report may print it: relative to ``base`` (the report's directory) when it
    lies under it, else only its file name (never an absolute path of the machine)."""
    p = Path(os.path.abspath(path))
    try:
        return p.relative_to(os.path.abspath(base)).as_posix()
    except ValueError:
        return p.name


# -------------------------------------------------------------------------------------------
# checks


def _check_blocks(blocks: Sequence[tuple]) -> None:
    ids: set[str] = set()
    for block in blocks:
        if not isinstance(block, tuple) or not block or block[0] not in BLOCK_KINDS:
            kind = block[0] if isinstance(block, tuple) and block else block
            raise ValueError(f"Report block kind must be one of {', '.join(BLOCK_KINDS)}, "
                             f"not {kind!r}")
        if len(block) - 1 != BLOCK_KINDS[block[0]]:
            raise ValueError(f"Report block {block[0]!r} takes {BLOCK_KINDS[block[0]]} "
                             f"argument(s), not {len(block) - 1}")
        if block[0] == "figure":
            _check_figure(block[1], block[2], ids)
        elif block[0] == "table" and any(len(r) != len(block[1]) for r in block[2]):
            raise ValueError(f"Every row of a table must have {len(block[1])} cells (its "
                             f"header {list(block[1])!r})")


def _check_figure(fig_id: object, figure: object, ids: set[str]) -> None:
    if not isinstance(fig_id, str) or not _FIG_ID.fullmatch(fig_id):
        raise ValueError("Figure id must be a letter then up to 63 letters, digits, '_' or "
                         f"'-', not {fig_id!r}")
    if fig_id in ids:
        raise ValueError(f"Figure id {fig_id!r} is used twice on one page")
    ids.add(fig_id)
    if not isinstance(figure, Mapping) or not isinstance(figure.get("data"), list | tuple):
        raise ValueError(f"Figure {fig_id!r} must be a dict with a 'data' list (a plotly "
                         "figure as a dict)")


# -------------------------------------------------------------------------------------------
# Markdown


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_block(kind: str, args: list) -> list[str]:
    if kind in ("h1", "h2", "h3"):
        return ["#" * int(kind[1]) + " " + args[0], ""]
    if kind == "p":
        return [args[0], ""]
    if kind == "ul":
        return [f"- {x}" for x in args[0]] + [""]
    if kind == "table":
        header, rows = args
        return ["| " + " | ".join(_md_cell(h) for h in header) + " |",
                "|" + "---|" * len(header),
                *("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows), ""]
    if kind == "img":
        src, alt = args
        return [f"![{alt}]({src})", "", f"Plot file: [{src}]({src})", ""]
    return [f"Figure: {args[2]} (see index.html)", ""]  # figure


def render_md(blocks: Sequence[tuple]) -> str:
    """Markdown of ``blocks`` (the kinds of this module's docstring).

    Raises
    ------
    ValueError
        An unknown block kind, a wrong number of arguments, a table row of the wrong length,
        a bad or repeated figure id.
    """
    blocks = list(blocks)
    _check_blocks(blocks)
    out: list[str] = []
    for kind, *args in blocks:
        out += _md_block(kind, args)
    return "\n".join(out).rstrip("\n") + "\n"


# -------------------------------------------------------------------------------------------
# HTML


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "section"
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


def _leading_number(cell: str) -> float | None:
    m = _LEADING_NUMBER.match(cell.strip())
    if m is None or not any(c.isdigit() for c in m.group()):
        return None
    return float(m.group().replace(",", "").replace("\u2212", "-"))


def _table(header: Sequence, rows: Sequence[Sequence]) -> dict:
    """Cells as text, numeric columns (every non-blank cell starts with a number) and their
    sort keys."""
    text = [[str(c) for c in row] for row in rows]
    numeric = []
    for j in range(len(header)):
        cells = [r[j] for r in text if r[j].strip().lower() not in _BLANK_CELLS]
        numeric.append(bool(cells) and all(_leading_number(c) is not None for c in cells))
    body = [[{"text": c, "num": numeric[j],
              "key": _sort_key(c) if numeric[j] else None} for j, c in enumerate(r)]
            for r in text]
    return {"header": [str(h) for h in header], "numeric": numeric, "rows": body}


def _sort_key(cell: str) -> str:
    v = _leading_number(cell)
    return "" if v is None or not math.isfinite(v) else repr(v)


def _figure(fig_id: str, figure: Mapping, caption: str) -> dict:
    layout = dict(figure.get("layout") or {})
    layout.setdefault("margin", {"t": 70 if layout.get("title") else 30})  # plotly's is 100
    height = layout.get("height")
    if not isinstance(height, int | float) or isinstance(height, bool) or height <= 0:
        height = FIGURE_HEIGHT_PX
    spec = {"data": list(figure["data"]), "layout": layout}
    return {"id": fig_id, "height": int(height), "caption": caption, "json": script_json(spec)}


def _html_items(blocks: Sequence[tuple]) -> tuple[list[dict], list[dict]]:
    """Template items of ``blocks`` and the table of contents (h2/h3)."""
    used: set[str] = set()
    items, toc = [], []
    for kind, *args in blocks:
        item: dict = {"kind": kind}
        if kind in ("h1", "h2", "h3"):
            item.update(text=args[0], id=_slug(args[0], used))
            if kind != "h1":
                toc.append({"level": int(kind[1]), "text": args[0], "id": item["id"]})
        elif kind in ("p", "ul"):
            item["value"] = args[0]
        elif kind == "table":
            item.update(_table(*args))
        elif kind == "img":
            item.update(src=args[0], alt=args[1])
        else:
            item.update(_figure(*args))
        items.append(item)
    return items, toc


def render_html(blocks: Sequence[tuple], title: str, *,
                timing: Sequence[Mapping] | None = None) -> str:
    """A standalone HTML page of ``blocks`` (templates ``gen/flow/templates/``).

    Parameters
    ----------
    blocks
        The document (the kinds of this module's docstring).
    title
        The page title (``<title>``; the first h1 is the visible title).
    timing
        Steps of the run (dicts with ``step``, ``seconds``, ``cached``, ``family``): a
        "Where the time went" table at the end of the page (:func:`timing_blocks`). Pass it
        here or add those blocks to ``blocks``, not both.

    Raises
    ------
    ValueError
        As :func:`render_md`; a bad ``timing`` entry.
    """
    blocks = list(blocks) + (timing_blocks(timing) if timing is not None else [])
    _check_blocks(blocks)
    items, toc = _html_items(blocks)
    figures = any(i["kind"] == "figure" for i in items)
    return template_env().get_template("report.html.j2").render(
        title=title, items=items, toc=toc, plotly_js=plotly_bundle() if figures else None)


# -------------------------------------------------------------------------------------------
# time table


def _timing_entry(entry: Mapping, i: int) -> tuple[str, float, bool, str]:
    if not isinstance(entry, Mapping) or "step" not in entry or "seconds" not in entry:
        raise ValueError(f"Timing entry {i} must be a dict with 'step' and 'seconds' (and "
                         f"'cached', 'family'), not {entry!r}")
    seconds = entry["seconds"]
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) \
            or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"Seconds of timing entry {i} must be a non-negative number, not "
                         f"{seconds!r}")
    return (str(entry["step"]), float(seconds), bool(entry.get("cached", False)),
            str(entry.get("family") or ""))


def timing_blocks(timing: Sequence[Mapping]) -> list[tuple]:
    """The "Where the time went" blocks of ``timing`` (dicts with ``step``, ``seconds``,
    ``cached``, ``family``): a summary paragraph and a table, slowest step first.

    Raises
    ------
    ValueError
        An entry without ``step`` or ``seconds``, or with negative or non-finite seconds.
    """
    steps = [_timing_entry(e, i) for i, e in enumerate(timing)]
    total = sum(s[1] for s in steps)
    cached = sum(s[2] for s in steps)
    rows = [[step, family or "-", f"{sec:.1f}", f"{100 * sec / total:.1f}" if total else "0.0",
             "yes" if hit else "no"]
            for step, sec, hit, family in sorted(steps, key=lambda s: -s[1])]
    return [
        ("h2", TIMING_TITLE),
        ("p", f"{len(steps)} step{'' if len(steps) == 1 else 's'}, {total:.1f} s of step time "
              "in total (summed over workers, so more than the wall time when steps ran in "
              f"parallel); {cached} taken from the cache."),
        ("table", ["step", "family", "seconds", "share %", "cached"], rows),
    ]
