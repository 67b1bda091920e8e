"""The Family interface and the registry through which the CLI and the report find families.

A family (approximate multipliers, ternary convolution, CIM, CGRA, or one from another
package) is a :class:`Family` object: its designs and parameters, the design points of
``make verilog``, what one operation is, its options and measurement of ``edgeforge energy``,
its own subcommands and its report sections. The flow names no family: families are found
through the Python entry-point group :data:`ENTRY_POINT_GROUP` (``module:attribute`` of a
:class:`Family` instance; this project declares its four in ``pyproject.toml``, another pip
package can add its own) and through the environment variable :data:`ENV_VAR`
(``module:attribute`` entries separated by commas, for a family that is not installed, e.g.
one in a test tree). :func:`register` adds one to this process only: the report's worker
processes find families by the first two ways, so a family registered by a call alone cannot
be measured with more than one worker.
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from .design import Design, Instance, Param, parse_params

__all__ = ["Family", "ReportSection", "ReportContext", "EnergyOption", "register", "families",
           "designs", "get", "instantiate", "default_set", "family_of", "ENTRY_POINT_GROUP",
           "ENV_VAR", "Param", "Design", "Instance"]

ENTRY_POINT_GROUP = "edgeforge.families"
ENV_VAR = "EDGEFORGE_FAMILIES"


@dataclass(frozen=True)
class EnergyOption:
    """An option a family adds to ``edgeforge energy`` (``argparse`` keywords in ``kwargs``).

    ``designs`` lists the designs it applies to (empty: every design of the family); given for
    another design it is refused by name. Its default is always None (not given): the family
    applies its own default.
    """

    flag: str
    kwargs: dict = field(default_factory=dict)
    designs: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


@dataclass
class ReportContext:
    """What a report section runs with.

    Members
    -------
    outdir
        The report's directory.
    liberty, compare_liberty
        The libraries as given (None: the default; compare: none).
    seed, workers
        The report's seed and worker processes.
    options
        This section's options (from ``build_report(sections=...)``; empty: its defaults).
    args
        The parsed command line of ``edgeforge report`` (None from the API): values of the
        options the family added with :meth:`Family.add_report_options`.
    """

    outdir: Path
    liberty: str | None
    compare_liberty: str | None
    seed: int
    workers: int
    options: dict
    args: argparse.Namespace | None

    def arg(self, name: str, default=None):
        """Option ``name`` of this section: from ``options``, else the command line (the
        options its family added with :meth:`Family.add_report_options`), else ``default``."""
        if name in self.options:
            return self.options[name]
        value = getattr(self.args, name, None) if self.args is not None else None
        return default if value is None else value


class ReportSection:
    """One section of ``edgeforge report``.

    ``name`` keys the section in ``build_report(sections={name: options | True | False})``.
    The report runs every section's work on one executor, longest jobs first:

    - the points of the report's spec whose design is in :attr:`designs` (a sweep through the
      flow, :mod:`gen.flow.sweep`; :meth:`adapt` may change a point's workload from the
      section's options);
    - the section's own studies, :meth:`jobs` (work that is not a grid of design points).

    :meth:`collect` then turns both into the top-level keys of ``report.json`` the section
    owns, and :meth:`blocks` turns those into document blocks (the kinds of
    :mod:`gen.flow.render`: ``("h1"|"h2"|"h3"|"p", text)``, ``("ul", [items])``,
    ``("table", header, rows)``, ``("figure", id, plotly_figure_dict, caption)``, ...).
    """

    name: str = ""
    #: Run by a plain ``edgeforge report`` (False: only when named in ``sections``).
    default: bool = True
    #: The names of its options (``build_report(sections={name: {...}})``); others are refused.
    options: tuple[str, ...] = ()
    #: The report's title when this is the first section that has one (None: no claim).
    title: str | None = None
    #: The designs whose points of the report spec this section receives.
    designs: tuple[str, ...] = ()

    def check(self, ctx: ReportContext) -> None:
        """Validate the section's options before anything runs (ValueError)."""

    def adapt(self, ctx: ReportContext, point):
        """``point`` (a :class:`gen.flow.sweep.SweepPoint` of the spec) as this report runs it,
        e.g. with a workload option of the command line; default unchanged."""
        return point

    def jobs(self, ctx: ReportContext) -> list:
        """The section's studies (:class:`gen.flow.executor.Job`, each with ``describe`` for its
        progress line); they run on the report's executor beside every other job."""
        return []

    def collect(self, ctx: ReportContext, points: list, results: list) -> dict:
        """The section's ``report.json`` keys from its spec ``points`` (pairs of
        :class:`gen.flow.sweep.SweepPoint` and result: ``result["row"]``,
        ``result["records"][metric]``) and the ``results`` of :meth:`jobs` (in job order)."""
        raise NotImplementedError

    def blocks(self, report: dict, ctx: ReportContext) -> list[tuple]:
        return []

    def limits(self, report: dict) -> list[str]:
        """Lines of the report's limits list."""
        return []


class Family:
    """A design family's plug-in to the flow (subclass it; one instance per family).

    Members
    -------
    name
        Short identifier (``approx``); the family of its designs.
    title
        What the family is, for ``edgeforge list`` and the report.
    designs
        Its :class:`gen.flow.design.Design` objects.
    default_points
        ``(design, params)`` pairs that ``make verilog`` writes and ``synth --all`` runs.
    operation
        What one "operation" of its energy figures is (e.g. "a multiply-accumulate, counted as
        two operations").
    energy_designs
        The designs ``edgeforge energy`` measures (None: all of them).
    merge_modules
        Sweeps and the report synthesise the family's points for area with identical modules
        mapped once.
    """

    name: str = ""
    title: str = ""
    #: Position in listings and in the report (then the name).
    order: int = 100
    designs: tuple[Design, ...] = ()
    default_points: tuple[tuple[str, Mapping], ...] = ()
    operation: str = "operation"
    energy_designs: tuple[str, ...] | None = None
    #: Synthesise the family's points for area with identical modules mapped once
    #: (:func:`gen.eda.synth.synthesize` ``merge``): for designs that instantiate one block
    #: many times (a CGRA's tiles), every copy then has the same netlist and Yosys runs once.
    merge_modules: bool = False

    # -- edgeforge energy
    def measures(self) -> tuple[str, ...]:
        """The designs ``edgeforge energy`` measures: :attr:`energy_designs`, or every design
        when the family implements :meth:`energy` (none when it does not)."""
        if type(self).energy is Family.energy:
            return ()
        return tuple(self.energy_designs if self.energy_designs is not None
                     else (d.name for d in self.designs))

    def energy_options(self) -> Sequence[EnergyOption]:
        """The family's options of ``edgeforge energy``."""
        return ()

    def check_energy(self, point: Instance, args: argparse.Namespace) -> None:
        """Validate the options for ``point`` before anything is written (ValueError)."""

    def energy(self, point: Instance, args: argparse.Namespace, options) -> object:
        """Measure ``point`` with its options ``args`` and the shared bench ``options``
        (:class:`gen.flow.bench.BenchOptions`); an :class:`gen.flow.record.EnergyRecord`."""
        raise NotImplementedError(f"family {self.name} has no energy flow")

    def energy_text(self, record) -> str:
        """The text ``edgeforge energy`` prints for ``record``."""
        return generic_energy_text(record)

    # -- other subcommands and the report
    def add_commands(self, sub) -> dict[str, Callable[[argparse.Namespace], int]]:
        """Add the family's own subcommands to ``sub`` (argparse subparsers); returns
        ``{command: handler}``, a handler returning the exit status."""
        return {}

    def add_report_options(self, parser: argparse.ArgumentParser) -> None:
        """Add the family's options of ``edgeforge report``."""

    def report_sections(self) -> Sequence[ReportSection]:
        return ()

    def sweep_simulator(self, point: Instance) -> str | None:
        """The simulator of ``point``'s energy runs in sweeps and the report (None: ``$SIM``,
        else Icarus when installed), for a family whose netlists one simulator cannot build in
        reasonable time."""
        return None

    def metrics(self) -> Mapping[str, object]:
        """The family's own sweep metrics beyond ``area`` and ``energy``: name ->
        :class:`gen.flow.sweep.Metric` (e.g. error metrics of a multiplier's golden model)."""
        return {}

    def rtl_check(self, design: str) -> str | None:
        """How users check the RTL of ``design`` (a command), for messages."""
        return None


def generic_energy_text(r) -> str:
    """A family-neutral summary of an :class:`gen.flow.record.EnergyRecord`."""
    lines = [f"{r.module}  [liberty: {r.liberty}]",
             f"  energy           switching {r.switching_fj:.3f}, internal {r.internal_fj:.3f}, "
             f"leakage {r.leakage_fj:.4f} fJ per unit",
             f"  conditions       {r.voltage_v:g} V, wire load {r.wire_load}, {r.period_ns:g} ns "
             f"clock; gate-level simulation ({r.sim}) matched the golden model",
             "  limits           " + "; ".join(r.limits)]
    return "\n".join(lines)


# -------------------------------------------------------------------------------------------
# the registry

_FAMILIES: dict[str, Family] = {}
_LOADED = False


def register(family: Family) -> Family:
    """Add ``family`` (its designs must not share a name with another family's).

    Raises
    ------
    TypeError
        Not a :class:`Family`.
    ValueError
        An empty or taken family name, or a design name another family has.
    """
    if not isinstance(family, Family):
        raise TypeError(f"a family must be a gen.flow.family.Family, not a "
                        f"{type(family).__module__}.{type(family).__qualname__}")
    if not family.name or not family.name.isidentifier():
        raise ValueError(f"family name must be an identifier, not {family.name!r}")
    old = _FAMILIES.get(family.name)
    if old is family:
        return family
    if old is not None:
        raise ValueError(f"family {family.name} is registered twice ({type(old).__module__} "
                         f"and {type(family).__module__})")
    taken = {d.name: f.name for f in _FAMILIES.values() for d in f.designs}
    for d in family.designs:
        if d.name in taken:
            raise ValueError(f"design {d.name} of family {family.name} is already a design of "
                             f"family {taken[d.name]}")
        if d.family != family.name:
            raise ValueError(f"design {d.name} says family {d.family!r}, registered by "
                             f"{family.name}")
    _FAMILIES[family.name] = family
    return family


def _load(spec: str, where: str) -> None:
    module, _, attr = spec.strip().partition(":")
    try:
        obj = importlib.import_module(module)
        for part in attr.split(".") if attr else ():
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"{where}: cannot load family {spec!r}: {e}") from None
    try:
        register(obj)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: family {spec!r}: {e}") from None


def _discover() -> None:
    global _LOADED
    if _LOADED:
        return
    before = dict(_FAMILIES)
    try:
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            _load(ep.value, f"entry point {ep.name} of {ENTRY_POINT_GROUP}")
        for spec in filter(None, os.environ.get(ENV_VAR, "").split(",")):
            _load(spec, ENV_VAR)
    except ValueError:  # all or nothing: no half-loaded registry
        _FAMILIES.clear()
        _FAMILIES.update(before)
        raise
    _LOADED = True


def families() -> dict[str, Family]:
    """Every registered family by name, in report order (entry points and :data:`ENV_VAR`
    loaded once)."""
    _discover()
    return dict(sorted(_FAMILIES.items(), key=lambda kv: (kv[1].order, kv[0])))


def designs() -> dict[str, Design]:
    """Every design of every family by name."""
    return {d.name: d for f in families().values() for d in f.designs}


def get(name: str) -> Design:
    """The design called ``name``.

    Raises
    ------
    ValueError
        If there is no such design (the message lists the valid names).
    """
    all_designs = designs()
    try:
        return all_designs[name]
    except KeyError:
        raise ValueError(f"Unknown design {name!r}; valid: "
                         f"{', '.join(sorted(all_designs))}") from None


def family_of(design: str | Design | Instance) -> Family:
    """The family a design (name, :class:`Design` or :class:`Instance`) belongs to."""
    if isinstance(design, Instance):
        design = design.design
    if isinstance(design, str):
        design = get(design)
    return families()[design.family]


def instantiate(name: str, params: Mapping[str, object] | Iterable[str] = ()) -> Instance:
    """Build the generator (not elaborated) and the golden model of a design.

    ``params`` is a mapping of values or an iterable of ``NAME=VALUE`` strings; missing ones
    take their defaults. Every parameter is validated here, before anything is elaborated or
    written.

    Raises
    ------
    TypeError, ValueError
        With the message of the generator or the model naming the parameter and its range.
    """
    design = get(name)
    if isinstance(params, Mapping):
        merged = design.defaults()
        for key, value in params.items():
            merged[key] = design.param(key).check_choice(value)
    else:
        merged = parse_params(design, params)
    component = design.component(**merged)
    model = design.model(**{p.name: merged[p.name] for p in design.params if p.model})
    return Instance(design, merged, component, model)


def default_set() -> list[tuple[str, dict]]:
    """The design points of ``make verilog``: every family's :attr:`Family.default_points`."""
    return [(n, dict(p)) for f in families().values() for n, p in f.default_points]
