# amaranth: UnusedElaboratable=no
# (the registry builds generators to validate parameters; commands such as `errors` never
# elaborate them, which is intended)
"""The ternary family: output-channel units (ternary, binary) and the CUTIE-style engine."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence

from gen.flow.design import Design, Instance, Param
from gen.flow.family import EnergyOption, Family, ReportSection
from hw.ternary import OCU, BinaryOCU, TernaryEngine
from sim_models.ternary import TernaryLayer
from sim_models.ternary.ocu import BinaryOCUModel, OCUModel

from . import cli
from .report import EngineSection, OcuSection


def _ocu_name(prefix: str) -> Callable[[Mapping[str, object]], str]:
    def name(p: Mapping[str, object]) -> str:
        storage = "_latch" if p["weight_storage"] == "latch" else ""
        pooling = f"_{p['pooling']}pool" if p["pooling"] != "none" else ""
        return f"{prefix}_i{p['n_i']}_k{p['k']}_p{p['latency']}{storage}{pooling}"

    return name


def _ocu_kwargs(kw: Mapping[str, object]) -> dict[str, object]:
    out = {key: value for key, value in kw.items() if key not in ("latency", "pooling")}
    if "latency" in kw:
        out["pipeline"] = kw["latency"]
    pooling = kw.get("pooling", "none")
    out["pooling"] = None if pooling == "none" else pooling
    return out


def _ternary_ocu_component(**kw):
    return OCU(**_ocu_kwargs(kw))


def _binary_ocu_component(**kw):
    return BinaryOCU(**_ocu_kwargs(kw))


def _ternary_ocu_model(**kw):
    return OCUModel(**_ocu_kwargs(kw))


def _binary_ocu_model(**kw):
    return BinaryOCUModel(**_ocu_kwargs(kw))


def _ocu_params(what: str) -> tuple[Param, ...]:
    return (
        Param("n_i", int, 96, "1..256", "input channels"),
        Param("k", int, 3, "1|3|5|7", "kernel size (k x k window)"),
        Param("latency", int, 1, "0..2", f"pipeline register stages of the {what} unit",
              model=False),
        Param("weight_storage", str, "ff", "'ff'|'latch'", "weight buffer storage",
              model=False),
        Param("pooling", str, "none", "'none'|'max'|'sum'", "2x2 pooling of 4 window sums"),
    )


def _engine_name(p: Mapping[str, object]) -> str:
    layers = p.get("weight_layers", 1)
    return (f"ternary_engine_i{p['n_i']}_o{p['n_o']}_k{p['k']}_w{p['image_width']}"
            f"_p{p['latency']}" + (f"_m{layers}" if layers != 1 else ""))


def _engine_component(**kw):
    layers = kw.get("weight_layers", 1)
    if isinstance(layers, bool) or not isinstance(layers, int) or not 1 <= layers <= 64:
        raise ValueError(f"Weight layers must be an integer between 1 and 64, not {layers!r}")
    depth = layers * kw["n_o"] * kw["k"] * kw["k"]
    if isinstance(kw["n_o"], int) and isinstance(kw["k"], int) and depth > 65536:
        raise ValueError(f"Weight layers x n_o x k x k must be at most 65536 words, not {depth}")
    return TernaryEngine(kw["n_i"], kw["n_o"], kw["k"], kw["image_width"],
                         pipeline=kw["latency"], weight_depth=depth, shared=True)


def _engine_model(**kw):
    def layer(image, weights, lo=None, hi=None, *, stride=1, padding="same", pooling=None):
        """One ternary layer as the engine computes it (raw sums without thresholds)."""
        return TernaryLayer(weights, lo, hi, stride=stride, padding=padding,
                            pooling=pooling)(image)

    return layer


DESIGNS: tuple[Design, ...] = (
    Design(
        "ternary_ocu", "ternary",
        "ternary output-channel unit: k x k x n_i trit dot product and thresholds per cycle",
        _ocu_params("ternary"),
        _ternary_ocu_component, _ternary_ocu_model, _ocu_name("ternary_ocu"),
    ),
    Design(
        "binary_ocu", "ternary",
        "binary (XNOR-popcount) output-channel unit, the baseline of the ternary one",
        _ocu_params("binary"),
        _binary_ocu_component, _binary_ocu_model, _ocu_name("binary_ocu"),
    ),
    Design(
        "ternary_engine", "ternary",
        "CUTIE-style engine: packed line buffer and weight memory, n_o OCUs (one Verilog "
        "module instantiated n_o times), 2x2 pooling, one window per cycle",
        (
            Param("n_i", int, 96, "1..256", "input channels"),
            Param("n_o", int, 96, "1..256", "output channels (OCUs)"),
            Param("k", int, 3, "1|3|5|7", "kernel size (k x k window)"),
            Param("image_width", int, 64, "k..1024", "widest input frame (line length)"),
            Param("latency", int, 1, "0..2",
                  "OCU pipeline stages (the engine adds the line buffer's 1)", model=False),
            Param("weight_layers", int, 1, "1..64",
                  "weight memory size in layers of n_o x k x k packed words", model=False),
        ),
        _engine_component, _engine_model, _engine_name,
    ),
)


class TernaryFamily(Family):
    """The ternary family's plug-in (:class:`gen.flow.family.Family`)."""

    name = "ternary"
    title = "CUTIE-style ternary convolution (output-channel units, engine)"
    order = 20
    operation = ("a multiply-accumulate of a trit (a bit in the binary unit) and a "
                 "weight, counted as two operations")
    designs = DESIGNS

    # -- edgeforge energy: the OCU flow (gen.ternary.ocu) and the engine's sweep
    # (gen.ternary.engine)
    def energy_options(self) -> Sequence[EnergyOption]:
        """``--density`` (ternary_ocu, ternary_engine), ``--frames`` (ternary_engine),
        ``--windows`` (ternary_ocu, binary_ocu)."""
        return cli.energy_options()

    def check_energy(self, point: Instance, args: argparse.Namespace) -> None:
        cli.check_energy(point, args)

    def energy(self, point: Instance, args: argparse.Namespace, options) -> object:
        return cli.energy(point, args, options)

    def energy_text(self, record) -> str:
        return cli.energy_text(record)

    # -- edgeforge digits and the report
    def add_commands(self, sub) -> dict[str, Callable[[argparse.Namespace], int]]:
        cli.add_digits_parser(sub)
        return {"digits": cli.cmd_digits}

    def report_sections(self) -> Sequence[ReportSection]:
        return (OcuSection(), EngineSection())

    def rtl_check(self, design: str) -> str | None:
        return cli.CHECKERS.get(design)


FAMILY = TernaryFamily()
