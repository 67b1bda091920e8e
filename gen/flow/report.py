"""``edgeforge report``: every family's report section in one document (``build/report/``).

The core names no family. It validates the libraries, asks every registered family for its
:class:`gen.flow.family.ReportSection` objects, runs them in family order through one executor
(:class:`gen.flow.executor.LocalExecutor`), merges the top-level keys each section returns into
``report.json``, and renders the sections' blocks as ``index.md`` and ``index.html`` (the same
content). A section that fails aborts the report, named; nothing is written then.

``report.json`` keys of the core: ``title``, ``liberty``/``liberty_path`` (the library of every
number unless a section says otherwise), ``compare_liberty``/``compare_liberty_path`` (the
second library some sections also measure with, or None) and ``limits`` (every section's
limits, in order).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gen.eda import files, synth

from .executor import JobError, LocalExecutor
from .family import ReportContext, ReportSection, families

__all__ = ["build_report", "ReportError", "sections", "render_md", "render_html", "TITLE"]

TITLE = "edgeforge report"


class ReportError(RuntimeError):
    """A section failed (synthesis, gate-level simulation or energy); names the point."""


def sections() -> list[ReportSection]:
    """Every family's report sections, in family order."""
    return [s for f in families().values() for s in f.report_sections()]


@dataclass
class _Steps:
    """Step counter of the progress display: ``[i/n] module what seconds ETA``."""

    total: int
    enabled: bool
    done: int = 0
    t0: float = field(default_factory=time.perf_counter)

    def line(self, module: str, what: str, seconds: float, eta: float | None) -> None:
        self.done += 1
        eta_text = "" if eta is None else f"  ETA {duration(eta)}"
        say(self.enabled, f"[{self.done:{len(str(self.total))}d}/{self.total}] "
                          f"{module:<22} {what}  {seconds:5.1f} s{eta_text}")


def say(enabled: bool, text: str) -> None:
    """A progress line on standard error when ``enabled``."""
    if enabled:
        print(text, file=sys.stderr, flush=True)


def duration(seconds: float) -> str:
    """``1m05s`` or ``42s``."""
    seconds = max(0, round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _chosen(options: Mapping[str, object] | None) -> list[tuple[ReportSection, dict]]:
    """The sections to run with their options (``options``: name -> dict, True or False;
    None: every default section with its defaults)."""
    if options is None:
        options = {s.name: {} for s in sections() if s.default}
    options = dict(options)
    known = sections()
    names = {s.name for s in known}
    unknown = sorted(set(options) - names)
    if unknown:
        raise ValueError(f"Unknown report section {unknown[0]!r}; valid: "
                         f"{', '.join(sorted(names))}")
    out = []
    for s in known:
        opt = options.get(s.name, False)
        if opt is False:
            continue
        if opt is True:
            opt = {}
        if not isinstance(opt, Mapping):
            raise TypeError(f"options of report section {s.name} must be a mapping or a bool, "
                            f"not {opt!r}")
        unknown = sorted(set(opt) - set(s.options))
        if unknown:
            raise ValueError(f"Report section {s.name} has no option {unknown[0]!r}; valid: "
                             f"{', '.join(sorted(s.options)) or 'none'}")
        out.append((s, dict(opt)))
    return out


def build_report(outdir: str | os.PathLike, *, liberty: str | os.PathLike | None = None,
                 compare_liberty: str | os.PathLike | None = None, seed: int = 1,
                 workers: int = 2, progress: bool = True,
                 sections: Mapping[str, object] | None = None,
                 args: argparse.Namespace | None = None) -> Path:
    """Write the report into ``outdir``; return the path of ``index.html``.

    Parameters
    ----------
    outdir
        Output directory (``index.html``, ``index.md``, ``report.json`` and the sections'
        files).
    liberty
        Library of the report's numbers (None: as :func:`gen.eda.synth.resolve_liberty`,
        normally the embedded compact sky130_fd_sc_hd).
    compare_liberty
        A second library that sections measuring libraries against each other also use.
    seed
        Seed of every workload.
    workers
        Processes for the sections' jobs (1: in this process).
    progress
        One line per step on standard error (``[i/n]``, point, result, seconds, ETA).
    sections
        Section name -> its options (a dict; True: its defaults; False: skip); only the named
        sections run. None: every default section, with its defaults.
    args
        The parsed ``edgeforge report`` command line (the families' report options).

    Raises
    ------
    ValueError, TypeError
        Bad arguments or libraries (before anything runs).
    ReportError
        A section failed; the message names the point. Nothing is written in that case.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"Seed must be a non-negative integer, not {seed!r}")
    executor = LocalExecutor(workers)
    lib_path = synth.check_liberty(liberty)  # both libraries read in full first
    cmp_path = synth.check_liberty(compare_liberty) if compare_liberty is not None else None
    outdir = Path(outdir)
    chosen = _chosen(sections)
    t_start = time.perf_counter()
    steps = _Steps(0, progress)
    contexts = [ReportContext(outdir, None if liberty is None else str(liberty),
                              None if compare_liberty is None else str(compare_liberty), seed,
                              workers, executor, opt, args, steps.line)
                for _, opt in chosen]
    for (s, _), ctx in zip(chosen, contexts, strict=True):
        s.check(ctx)
    steps.total = sum(s.steps(ctx) for (s, _), ctx in zip(chosen, contexts, strict=True))
    report: dict = {
        "title": next((s.title for s, _ in chosen if s.title), TITLE),
        "liberty": synth.liberty_label(liberty), "liberty_path": str(lib_path),
        "compare_liberty": None if compare_liberty is None else str(compare_liberty),
        "compare_liberty_path": None if cmp_path is None else str(cmp_path),
    }
    for (s, _), ctx in zip(chosen, contexts, strict=True):
        try:
            part = s.run(ctx)
        except (JobError, RuntimeError) as e:
            raise ReportError(str(e)) from e
        clash = sorted(set(part) & set(report))
        if clash:
            raise ReportError(f"report section {s.name} returned key {clash[0]!r}, which "
                              "another section or the core already wrote")
        report.update(part)
    report["limits"] = [x for s, _ in chosen for x in s.limits(report)]
    return _write(outdir, report, chosen, contexts, progress, t_start)


def _write(outdir: Path, report: dict, chosen, contexts, progress: bool, t_start: float) -> Path:
    outdir.mkdir(parents=True, exist_ok=True)
    files.atomic_write(outdir / "report.json", json.dumps(report, indent=1) + "\n")
    blocks: list[tuple] = [("h1", report["title"])]
    for (s, _), ctx in zip(chosen, contexts, strict=True):
        blocks += s.blocks(report, ctx)
    blocks += [("h2", "Limits"),
               ("ul", [f"Library of every area and energy number: {report['liberty']}"
                       + (f" (the comparison sections also: {report['compare_liberty']})"
                          if report["compare_liberty"] else "") + ".", *report["limits"]])]
    files.atomic_write(outdir / "index.md", render_md(blocks))
    index = outdir / "index.html"
    files.atomic_write(index, render_html(blocks, report["title"]))
    say(progress, f"report written to {outdir} in {duration(time.perf_counter() - t_start)}")
    return index


# -------------------------------------------------------------------------------------------
# documents: one list of blocks rendered as Markdown and as HTML


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_md(blocks: Sequence[tuple]) -> str:
    """Markdown of ``blocks`` (see :class:`gen.flow.family.ReportSection`)."""
    out: list[str] = []
    for kind, *args in blocks:
        if kind in ("h1", "h2", "h3"):
            out += ["#" * int(kind[1]) + " " + args[0], ""]
        elif kind == "p":
            out += [args[0], ""]
        elif kind == "ul":
            out += [f"- {x}" for x in args[0]] + [""]
        elif kind == "table":
            header, rows = args
            out.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("")
        elif kind == "img":
            src, alt = args
            out += [f"![{alt}]({src})", "", f"Plot file: [{src}]({src})", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _html_block(kind: str, args: list) -> str:
    esc = html.escape
    if kind in ("h1", "h2", "h3"):
        return f"<{kind}>{esc(args[0])}</{kind}>"
    if kind == "p":
        return f"<p>{esc(args[0])}</p>"
    if kind == "ul":
        return "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in args[0]) + "</ul>"
    if kind == "table":
        header, rows = args
        return "\n".join(["<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header)
                          + "</tr>",
                          *("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
                            for row in rows),
                          "</table>"])
    if kind == "img":
        src, alt = args
        return f'<p><a href="{esc(src)}"><img src="{esc(src)}" alt="{esc(alt)}"></a></p>'
    raise ValueError(f"unknown report block {kind!r}")


def render_html(blocks: Sequence[tuple], title: str) -> str:
    """A standalone HTML page of ``blocks``."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1400px}table{border-collapse:collapse;"
        "margin-bottom:1em}td,th{border:1px solid #999;padding:2px 6px;text-align:right}"
        "td:first-child{text-align:left}img{max-width:100%}</style></head><body>",
        *(_html_block(kind, args) for kind, *args in blocks),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
