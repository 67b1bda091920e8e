# amaranth: UnusedElaboratable=no
# (the registry builds generators to validate parameters; commands such as `errors` never
# elaborate them, which is intended)
"""The approximate-multiplier family: exact, DRUM and ROUP multipliers."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from gen.flow.cli_support import integer
from gen.flow.design import Design, Instance, Param
from gen.flow.family import Family
from gen.flow.sweep import Metric
from hw.approx import DRUM, ROUP, ExactMultiplier
from sim_models.approx import DrumModel, ExactModel, RoupModel

from . import cli, multiplier
from .report import ApproxSection, error_record


def _sfx_latency(params: Mapping[str, object]) -> str:
    return f"_l{params['latency']}" if params.get("latency") else ""


def _su(params: Mapping[str, object]) -> str:
    return ("s" if params["signed"] else "u") + str(params["width"])


def _exact_name(p: Mapping[str, object]) -> str:
    return f"mul_{p['arch']}_{_su(p)}{_sfx_latency(p)}"


def _drum_name(p: Mapping[str, object]) -> str:
    mode = f"_{p['sign_mode']}" if p["signed"] else ""
    return f"drum_{_su(p)}_k{p['k']}{mode}{_sfx_latency(p)}"


def _roup_name(p: Mapping[str, object]) -> str:
    return f"roup_{_su(p)}_p{p['p']}_r{p['r']}{_sfx_latency(p)}"


def _exact_component(**kw):
    return ExactMultiplier(**kw)


def _drum_component(**kw):
    return DRUM(**kw)


def _roup_component(**kw):
    return ROUP(**kw)


def _exact_model(**kw):
    return ExactModel(**kw)


def _drum_model(**kw):
    return DrumModel(**kw)


def _roup_model(**kw):
    return RoupModel(**kw)


_LATENCY = Param("latency", int, 0, "0..2", "output pipeline registers", model=False)


DESIGNS: tuple[Design, ...] = (
    Design(
        "exact", "approx", "exact multiplier (Yosys array or explicit radix-4 Booth)",
        (
            Param("width", int, 8, "2..64", "operand width in bits"),
            Param("signed", bool, False, "true|false", "two's-complement operands"),
            Param("arch", str, "array", "'array'|'booth'", "multiplier architecture",
                  model=False),
            _LATENCY,
        ),
        _exact_component, _exact_model, _exact_name,
    ),
    Design(
        "drum", "approx", "DRUM dynamic-range unbiased multiplier (Hashemi et al. 2015)",
        (
            Param("width", int, 16, "4..64", "operand width in bits"),
            Param("k", int, 6, "3..width-1", "bits kept from each operand's leading one"),
            Param("signed", bool, False, "true|false", "two's-complement operands"),
            Param("sign_mode", str, "twos", "'ones'|'twos'",
                  "signed magnitude: one's or two's complement (ignored when unsigned)"),
            _LATENCY,
        ),
        _drum_component, _drum_model, _drum_name,
    ),
    Design(
        "roup", "approx", "ROUP rounding + radix-4 partial-product perforation (Leon 2019)",
        (
            Param("width", int, 16, "4..64", "operand width in bits"),
            Param("p", int, 1, "0..digits-1", "perforated radix-4 rows (digits = "
                  "ceil(width/2) signed, ceil((width+1)/2) unsigned)"),
            Param("r", int, 2, "0..width-2", "multiplicand rounding bits"),
            Param("signed", bool, True, "true|false",
                  "two's-complement operands (unsigned: treated as width+1-bit signed)"),
            _LATENCY,
        ),
        _roup_component, _roup_model, _roup_name,
    ),
)

# The design points `make verilog` writes (`make report` characterises the same set: the approx
# region of gen/flow/data/report.toml; tests/approx/test_approx_report.py checks they agree).
DEFAULT_POINTS: tuple[tuple[str, dict[str, object]], ...] = (
    *(("exact", {"width": w, "signed": s, "arch": a})
      for w in (8, 16) for s in (False, True) for a in ("array", "booth")),
    *(("drum", {"width": 8, "k": k}) for k in (4, 5, 6)),
    *(("drum", {"width": 16, "k": k}) for k in (4, 5, 6, 7, 8)),
    ("drum", {"width": 16, "k": 6, "signed": True, "sign_mode": "twos"}),
    *(("roup", {"width": w, "p": p, "r": r})
      for w in (8, 16) for p, r in ((1, 0), (0, 2), (1, 2), (2, 4))),
)


class ApproxFamily(Family):
    """The approx family's plug-in (:class:`gen.flow.family.Family`).

    ``edgeforge energy`` measures a multiplier's energy per operation
    (:mod:`gen.approx.multiplier`, options ``--workload`` and ``--ops``); the family adds the
    commands ``errors`` (error metrics of a golden model or a LUT) and ``verify`` (the RTL
    against the golden model, :mod:`gen.approx.verify`), and the report section ``approx``
    (:mod:`gen.approx.report`, option ``--ops``; its points: the ``approx`` region of the
    report's spec).
    """

    name = "approx"
    title = "approximate multipliers (exact, DRUM, ROUP)"
    order = 10
    operation = "one multiplication a * b (one vector per clock)"
    designs = DESIGNS
    default_points = DEFAULT_POINTS

    def energy_options(self):
        return cli.energy_options()

    def check_energy(self, point: Instance, args: argparse.Namespace) -> None:
        cli.check_energy(point, args)

    def energy(self, point: Instance, args: argparse.Namespace, options):
        return cli.energy(point, args, options)

    def energy_text(self, record) -> str:
        return cli.energy_text(record)

    def add_commands(self, sub) -> dict:
        return cli.add_commands(sub)

    def add_report_options(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--ops", type=integer(1, multiplier.MAX_OPS),
                            help="operations per energy measurement of the multipliers "
                                 "(1..65536; default: the report spec's, 4000)")

    def report_sections(self):
        return (ApproxSection(d.name for d in DESIGNS),)

    def rtl_check(self, design: str) -> str | None:
        return "edgeforge verify"

    def metrics(self) -> Mapping[str, Metric]:
        return {"errors": Metric("errors", _errors, (),
                                 "error metrics of the golden model (exhaustive up to 16 bits)")}


def _errors(point: Instance, workload: Mapping, seed: int) -> dict:
    """The ``errors`` sweep metric: :func:`gen.approx.report.error_record` (cached)."""
    return error_record(point)


FAMILY = ApproxFamily()
