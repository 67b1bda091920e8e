"""An offline, interactive explorer of a sweep's result rows: one standalone HTML file.

The page (template ``gen/flow/templates/explorer.html.j2``, plotly.js embedded, no network) has
a scatter plot of two numeric columns chosen in select boxes, points coloured by a chosen
column, hover text with every column of the point, the Pareto front (both axes minimised) drawn
as a line, log-scale toggles, and below it a table of every row, sortable by a click on a header
and filtered by a text box (the filter also applies to the plot). The rows are embedded as JSON;
the same rows give the same file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from gen.eda import files

from .render import plotly_bundle, script_json, template_env

__all__ = ["write_explorer", "MAX_GROUPS"]

MAX_GROUPS = 12  # a numeric column with at most this many distinct values can colour points
_MAX_CATEGORIES = 40  # a text column with more distinct values is not offered for colour


def _check_rows(rows: object) -> list[Mapping]:
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Sequence):
        raise TypeError(f"Rows must be a list of dicts, not {type(rows).__name__}")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(f"Rows must be a list of dicts; row {i} is a {type(row).__name__}")
        for k, v in row.items():
            if not isinstance(k, str):
                raise TypeError(f"Column names must be strings; row {i} has {k!r}")
            if v is not None and not isinstance(v, str | int | float | bool):
                raise TypeError(f"Value of column {k!r} in row {i} must be a number, string, "
                                f"bool or None, not {type(v).__name__}")
    return list(rows)


def _columns(rows: list[Mapping], columns: Sequence[str] | None) -> list[str]:
    known = list(dict.fromkeys(k for row in rows for k in row))
    if columns is None:
        return known
    columns = list(columns)
    for c in columns:
        if c not in known:
            raise ValueError(f"Column {c!r} is in no row; valid: {', '.join(known) or 'none'}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"Columns must not repeat a name, not {columns!r}")
    return columns


def _value(v: object) -> object:
    """A JSON-safe cell (NaN and infinities as None)."""
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _kinds(rows: list[Mapping], columns: list[str]) -> tuple[list[str], list[str]]:
    """The numeric columns (every value a number or None, at least one number) and the
    columns that can colour points (text/bool, or numeric with few distinct values)."""
    numeric, groups = [], []
    for c in columns:
        vals = [_value(r.get(c)) for r in rows]
        present = [v for v in vals if v is not None]
        distinct = len({repr(v) for v in present})
        is_num = bool(present) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                       for v in present)
        if is_num:
            numeric.append(c)
        if 1 <= distinct <= (MAX_GROUPS if is_num else _MAX_CATEGORIES):
            groups.append(c)
    return numeric, groups


def _pick(name: str, value: str | None, valid: list[str], default: str | None) -> str | None:
    if value is None:
        return default
    if value not in valid:
        raise ValueError(f"{name} must be one of the columns {', '.join(valid) or '(none)'}, "
                         f"not {value!r}")
    return value


def _default_group(rows: list[Mapping], groups: list[str], numeric: list[str]) -> str | None:
    """The first text column with 2 to 12 distinct values, some repeated, else none."""
    for c in groups:
        if c not in numeric and \
                2 <= len({repr(r.get(c)) for r in rows}) <= min(MAX_GROUPS, len(rows) - 1):
            return c
    return None


def _cell(v: object) -> dict:
    """A table cell: its text, and its sort key (a number's ``repr``, else empty)."""
    if isinstance(v, bool):
        return {"text": "true" if v else "false", "key": ""}
    if isinstance(v, int):
        return {"text": str(v), "key": str(v)}
    if isinstance(v, float):
        return {"text": f"{v:.6g}", "key": repr(v)}
    return {"text": "" if v is None else v, "key": ""}


def write_explorer(path: str | os.PathLike, rows: Sequence[Mapping], *, title: str,
                   columns: Sequence[str] | None = None, default_x: str | None = None,
                   default_y: str | None = None, group_by: str | None = None) -> Path:
    """Write the explorer of ``rows`` to ``path`` (one standalone HTML file); return the path.

    Parameters
    ----------
    path
        The HTML file to write (its directory is created).
    rows
        One flat dict per point: numbers, strings, bools or None (NaN and infinities shown as
        empty).
    title
        The page title.
    columns
        The columns to show, in order (None: every key of the rows, in first-seen order).
    default_x, default_y
        The numeric columns on the axes first (None: the first and second numeric columns).
    group_by
        The column colouring the points first (None: the first text column with 2 to 12
        distinct values, not one per row, else one colour).

    Raises
    ------
    TypeError
        ``rows`` is not a list of flat dicts of the types above, or ``title`` is not a string.
    ValueError
        An unknown or repeated column, an axis that is not a numeric column, a ``group_by``
        column with too many distinct values.
    """
    if not isinstance(title, str):
        raise TypeError(f"Title must be a string, not {title!r}")
    rows = _check_rows(rows)
    cols = _columns(rows, columns)
    numeric, groups = _kinds(rows, cols)
    x = _pick("default_x", default_x, numeric, numeric[0] if numeric else None)
    y = _pick("default_y", default_y, numeric, numeric[1] if len(numeric) > 1 else x)
    group = _pick("group_by", group_by, groups, _default_group(rows, groups, numeric))
    data = {"columns": cols, "numeric": numeric, "groups": groups, "x": x, "y": y,
            "group": group, "rows": [[_value(r.get(c)) for c in cols] for r in rows]}
    page = template_env().get_template("explorer.html.j2").render(
        title=title, columns=cols, numeric=set(numeric), n_rows=len(rows),
        table=[[_cell(_value(r.get(c))) for c in cols] for r in rows],
        data=script_json(data), plotly_js=plotly_bundle() if numeric else None)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    files.atomic_write(path, page)
    return path
