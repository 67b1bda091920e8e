"""``edgeforge report``: every family's report section in one document (``build/report/``).

The core names no family. It validates the libraries and the report's spec
(:data:`DEFAULT_SPEC`, a sweep spec of :mod:`gen.flow.sweep`), asks every registered family for
its :class:`gen.flow.family.ReportSection` objects, and runs all of their work on one executor,
longest jobs first: the spec's design points (a sweep: finished points come from its cache) and
the sections' own studies. Each section then collects its part of ``report.json``; the blocks of
all sections are rendered as ``index.md`` and ``index.html`` (:mod:`gen.flow.render`, the same
content; figures are interactive in the HTML). A job that fails aborts the report, named;
nothing is written then.

``report.json`` keys of the core: ``title``, ``liberty``/``liberty_path`` (the library of every
number unless a section says otherwise), ``compare_liberty``/``compare_liberty_path`` (the
second library some sections also measure with, or None), ``limits`` (every section's limits,
in order), ``timing`` (per step: seconds on its worker, section, whether it came from the
cache) and ``wall_seconds``.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from gen.eda import files, synth

from . import sweep
from .cache import Cache
from .executor import Executor, Job, JobError, LocalExecutor
from .family import ReportContext, ReportSection, families
from .render import render_html, render_md, timing_blocks
from .sweep import Spec

__all__ = ["build_report", "ReportError", "sections", "render_md", "render_html", "TITLE",
           "DEFAULT_SPEC", "FULL_SPEC"]

TITLE = "edgeforge report: area, energy and accuracy of every block family"
#: The design points of the report: a sweep spec in the package (``$liberty`` and
#: ``$compare`` are the report's libraries).
DEFAULT_SPEC = Path(__file__).parent / "data" / "report.toml"
#: Points that ``make report FULL=1`` adds (left out of the default report for their run time).
FULL_SPEC = Path(__file__).parent / "data" / "report_full.toml"


class ReportError(RuntimeError):
    """A section failed (synthesis, gate-level simulation or energy); names the point."""


def sections() -> list[ReportSection]:
    """Every family's report sections, in family order."""
    return [s for f in families().values() for s in f.report_sections()]


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
                 args: argparse.Namespace | None = None,
                 spec: str | os.PathLike | None = None, full: bool = False,
                 executor: Executor | None = None) -> Path:
    """Write the report into ``outdir``; return the path of ``index.html``.

    Parameters
    ----------
    outdir
        Output directory (``index.html``, ``index.md``, ``report.json`` and the sections'
        files).
    liberty
        Library of the report's numbers (None: as :func:`gen.eda.synth.resolve_liberty`,
        normally the embedded compact sky130_fd_sc_hd); the spec's ``$liberty``.
    compare_liberty
        A second library that sections measuring libraries against each other also use; the
        spec's ``$compare`` (points on it are dropped without one).
    seed
        Seed of every workload (it replaces the spec's).
    workers
        Processes for the jobs (1: in this process); ignored when ``executor`` is given.
    progress
        One line per finished job on standard error (``[i/n]``, job, result, seconds, ETA).
    sections
        Section name -> its options (a dict; True: its defaults; False: skip); only the named
        sections run. None: every default section, with its defaults.
    args
        The parsed ``edgeforge report`` command line (the families' report options).
    spec
        The report's design points (default :data:`DEFAULT_SPEC`, ``report.toml`` of the
        package), a sweep spec (:mod:`gen.flow.sweep`).
    full
        Also the points of :data:`FULL_SPEC` (``make report FULL=1``): the ones left out of
        the default report for their run time.
    executor
        Where the jobs run (default a :class:`gen.flow.executor.LocalExecutor` of ``workers``).

    Raises
    ------
    ValueError, TypeError
        Bad arguments, libraries or spec (before anything runs).
    ReportError
        A job failed; the message names the point. Nothing is written in that case.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"Seed must be a non-negative integer, not {seed!r}")
    executor = executor if executor is not None else LocalExecutor(workers)
    lib_path = synth.check_liberty(liberty)  # both libraries read in full first
    cmp_path = synth.check_liberty(compare_liberty) if compare_liberty is not None else None
    outdir = Path(outdir)
    chosen = _chosen(sections)
    t_start = time.perf_counter()
    contexts = [ReportContext(outdir, None if liberty is None else str(liberty),
                              None if compare_liberty is None else str(compare_liberty), seed,
                              executor.workers, opt, args)
                for _, opt in chosen]
    for (s, _), ctx in zip(chosen, contexts, strict=True):
        s.check(ctx)
    specs = [_spec(p, liberty, compare_liberty, seed) for p in
             [spec if spec is not None else DEFAULT_SPEC, *([FULL_SPEC] if full else [])]]
    merged = Spec(specs[0].name, seed, [p for s in specs for p in s.points])
    plan = _Plan(chosen, contexts, merged, progress)
    report: dict = {
        "title": next((s.title for s, _ in chosen if s.title), TITLE),
        "liberty": synth.liberty_label(liberty), "liberty_path": str(lib_path),
        "compare_liberty": None if compare_liberty is None else str(compare_liberty),
        "compare_liberty_path": None if cmp_path is None else str(cmp_path),
    }
    plan.run(executor)
    for (s, _), ctx, (points, results) in zip(chosen, contexts, plan.parts(), strict=True):
        part = s.collect(ctx, points, results)
        clash = sorted(set(part) & set(report))
        if clash:
            raise ReportError(f"report section {s.name} returned key {clash[0]!r}, which "
                              "another section or the core already wrote")
        report.update(part)
    report["limits"] = [x for s, _ in chosen for x in s.limits(report)]
    report["timing"] = plan.timing
    report["wall_seconds"] = round(time.perf_counter() - t_start, 1)
    return _write(outdir, report, chosen, contexts, progress, t_start)


def _spec(spec, liberty, compare_liberty, seed: int) -> Spec:
    """The spec at ``spec``, its ``$liberty`` and ``$compare`` libraries filled in, its seed
    replaced by the report's."""
    path = Path(spec)
    text = files.read_text(path, "report spec", max_bytes=sweep.MAX_SPEC_BYTES)
    parsed = sweep.parse_spec(text, name=path.stem, base=path.parent, where=str(path),
                              substitutions={
                                  "liberty": "default" if liberty is None
                                  else str(Path(liberty).resolve()),
                                  "compare": None if compare_liberty is None
                                  else str(Path(compare_liberty).resolve())})
    parsed.points = [dataclasses.replace(p, seed=seed) for p in parsed.points]
    return parsed


class _Plan:
    """Every job of the report on one executor: the spec's points (a sweep, finished ones from
    its cache) and the sections' studies; progress lines and the time table as they finish."""

    def __init__(self, chosen, contexts, spec: Spec, progress: bool):
        self.progress, self.t0 = progress, time.perf_counter()
        self.timing: list[dict] = []
        owner = {d: k for k, (s, _) in enumerate(chosen) for d in s.designs}
        self.section_points: list[list[int]] = [[] for _ in chosen]
        points = []
        for p in spec.points:
            k = owner.get(p.design)
            if k is None:
                continue
            self.section_points[k].append(len(points))
            points.append(chosen[k][0].adapt(contexts[k], p))
        self.names = [s.name for s, _ in chosen]
        self.owner_of_point = {i: k for k, idx in enumerate(self.section_points) for i in idx}
        self.sweep = sweep.SweepRun(Spec(spec.name, spec.seed, points))
        for i in range(len(points)):  # points the sweep cache already had
            if self.sweep.rows[i] is not None:
                self._time(self.sweep.spec.points[i].name, self.names[self.owner_of_point[i]],
                           0.0, True)
        self.studies = [s.jobs(ctx) for (s, _), ctx in zip(chosen, contexts, strict=True)]
        self.study_results: list[list] = [[None] * len(j) for j in self.studies]
        self.done_count, self.total = 0, len(self.sweep.todo) + sum(map(len, self.studies))

    def jobs(self) -> list[tuple[Job, Callable]]:
        out = []
        for k, job in enumerate(self.sweep.jobs()):
            out.append((job, functools.partial(self._point_done, k)))
        for sec, jobs in enumerate(self.studies):
            for j, job in enumerate(jobs):
                out.append((job, functools.partial(self._study_done, sec, j)))
        return out

    def run(self, executor: Executor) -> None:
        pairs = self.jobs()
        wrapped = [Job(job.name, _counted, (job.fn, job.args, job.kwargs), cost=job.cost,
                       exclusive=job.exclusive) for job, _ in pairs]

        def done(i: int, res, seconds: float) -> None:
            value, cached = res
            pairs[i][1](pairs[i][0], value, seconds, cached)

        try:
            executor.run(wrapped, done)
        except JobError as e:
            raise ReportError(str(e)) from e

    def _point_done(self, k: int, job: Job, res: dict, seconds: float, cached: bool) -> None:
        self.sweep.done(k, res, seconds)
        i = self.sweep.todo[k]
        self._line(job.name, _describe_row(res["row"]), seconds)
        self._time(job.name, self.names[self.owner_of_point[i]], seconds, cached)

    def _study_done(self, sec: int, j: int, job: Job, res, seconds: float,
                    cached: bool) -> None:
        self.study_results[sec][j] = res
        what = job.describe(res) if job.describe is not None else ""
        self._line(job.name, what, seconds)
        self._time(job.name, self.names[sec], seconds, cached)

    def _line(self, name: str, what: str, seconds: float) -> None:
        self.done_count += 1
        elapsed = time.perf_counter() - self.t0
        left = self.total - self.done_count
        eta = f"  ETA {duration(elapsed / self.done_count * left)}" if left else ""
        say(self.progress, f"[{self.done_count:{len(str(self.total))}d}/{self.total}] "
                           f"{name:<34} {what}  {seconds:6.1f} s{eta}")

    def _time(self, step: str, section: str, seconds: float, cached: bool) -> None:
        self.timing.append({"step": step, "section": section, "seconds": round(seconds, 2),
                            "cached": cached})

    def parts(self) -> list[tuple[list, list]]:
        out = []
        for k, idx in enumerate(self.section_points):
            pts = [(self.sweep.spec.points[i], self.sweep.results[i]) for i in idx]
            out.append((pts, self.study_results[k]))
        return out


def _counted(fn, args, kwargs):
    """Run a job; return its result and whether it came from the cache (every cache lookup
    of the job hit, and there was at least one)."""
    hits, misses = Cache.hits, Cache.misses
    value = fn(*args, **kwargs)
    return value, Cache.hits > hits and Cache.misses == misses


def _describe_row(row: dict) -> str:
    """The progress text of a spec point: its main figures."""
    parts = []
    per = [k for k in row if k.startswith("energy_per_") and k.endswith("_fj")]
    energy = next((k for k in ("energy_per_mac_fj", "energy_per_op_fj") if k in per),
                  per[0] if per else None)
    if energy is not None:
        parts.append(f"{row[energy]:10.1f} fJ/{energy[len('energy_per_'):-3]}")
    for key, unit in (("area_um2", "um^2"), ("cycles", "cycles")):
        if isinstance(row.get(key), (int, float)):
            parts.append(f"{row[key]:,.0f} {unit}")
    return "  ".join(parts)


def _write(outdir: Path, report: dict, chosen, contexts, progress: bool, t_start: float) -> Path:
    outdir.mkdir(parents=True, exist_ok=True)
    files.atomic_write(outdir / "report.json", json.dumps(report, indent=1) + "\n")
    blocks: list[tuple] = [("h1", report["title"])]
    for (s, _), ctx in zip(chosen, contexts, strict=True):
        blocks += s.blocks(report, ctx)
    blocks += [("h2", "Limits"),
               ("ul", [f"Library of every area and energy number: "
                       f"{Path(report['liberty']).name}"
                       + (f" (the comparison sections also: "
                          f"{Path(report['compare_liberty']).name})"
                          if report["compare_liberty"] else "") + ".", *report["limits"]])]
    blocks += timing_blocks(report["timing"])
    files.atomic_write(outdir / "index.md", render_md(blocks))
    index = outdir / "index.html"
    files.atomic_write(index, render_html(blocks, report["title"]))
    say(progress, f"report written to {outdir} in {duration(time.perf_counter() - t_start)}")
    return index
