# amaranth: UnusedElaboratable=no
# (the registry builds generators to validate parameters; commands such as `errors` never
# elaborate them, which is intended)
"""The compute-in-memory family: the bit-serial digital CIM macro."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from gen.flow.cli_support import PROBABILITY, integer, slews
from gen.flow.design import Design, Instance, Param
from gen.flow.family import EnergyOption, Family, ReportSection
from hw.cim import CIMMacro
from sim_models.cim import CIMMacroModel

from . import macro
from .macro import DEFAULT_VECTORS, MAX_VECTORS, WEIGHT_CHOICES
from .report import CimSection


def _cim_name(p: Mapping[str, object]) -> str:
    s = ("s" if p["signed_inputs"] else "u") + ("s" if p["signed_weights"] else "u")
    enc = "fib" if p["encoding"] == "fibbinary" else "bin"
    approx = f"_a{p['approx_bits']}" if p["approx_bits"] else ""
    latch = "_latch" if p["storage"] == "latch" else ""
    return (f"cim_r{p['rows']}_c{p['cols']}_w{p['wb']}_i{p['ib']}_{s}_{enc}_{p['bit_order']}"
            f"{approx}{latch}")


def _cim_component(**kw):
    return CIMMacro(kw["rows"], kw["cols"], kw["wb"], kw["ib"],
                    **{k: v for k, v in kw.items() if k not in ("rows", "cols", "wb", "ib")})


def _cim_model(**kw):
    return CIMMacroModel(kw["rows"], kw["cols"], kw["wb"], kw["ib"],
                         **{k: v for k, v in kw.items() if k not in ("rows", "cols", "wb", "ib")})


DESIGNS: tuple[Design, ...] = (
    Design(
        "cim_macro", "cim",
        "bit-serial digital CIM macro (ISSCC'22-style), binary or fibbinary weights "
        "(2 input bits per cycle), exact or truncated adder tree",
        (
            Param("rows", int, 64, "1..1024", "rows: inputs per dot product"),
            Param("cols", int, 4, "1..256", "columns: dot products (weights per row)"),
            Param("wb", int, 4, "1..8", "weight bits"),
            Param("ib", int, 4, "1..8", "input bits (applied 1 or 2 per cycle)"),
            Param("signed_inputs", bool, False, "true|false", "two's-complement inputs"),
            Param("signed_weights", bool, False, "true|false", "two's-complement weights"),
            Param("bit_order", str, "lsb", "'lsb'|'msb'", "input slice order"),
            Param("encoding", str, "binary", "'binary'|'fibbinary'", "weight encoding"),
            Param("approx_bits", int, 0, "0..wb-1",
                  "product bits dropped before the adder tree (0: exact)"),
            Param("storage", str, "ff", "'ff'|'latch'", "bit-cell storage", model=False),
        ),
        _cim_component, _cim_model, _cim_name,
    ),
)


class CimFamily(Family):
    """The cim family's plug-in (:class:`gen.flow.family.Family`)."""

    name = "cim"
    title = "bit-serial digital compute-in-memory macro (binary or fibbinary weights)"
    order = 30
    designs = DESIGNS
    operation = ("a multiply-accumulate of an ib-bit input and a wb-bit weight, counted as two "
                 "operations")

    def energy_options(self) -> Sequence[EnergyOption]:
        """``--input-zero``, ``--vectors`` and ``--cim-weights`` of ``cim_macro``."""
        on = ("cim_macro",)
        return (
            EnergyOption("--input-zero", {
                "type": PROBABILITY,
                "help": "cim_macro: probability that an input is 0 (0..1, default 0: dense)"},
                on),
            EnergyOption("--vectors", {
                "type": integer(8, MAX_VECTORS),
                "help": f"cim_macro: input vectors measured (8..{MAX_VECTORS}, default "
                        f"{DEFAULT_VECTORS})"}, on),
            EnergyOption("--cim-weights", {
                "choices": WEIGHT_CHOICES,
                "help": "cim_macro: weights uniform over the encoding's levels (default) or "
                        "over the fibbinary codebook in either encoding"}, on),
        )

    @staticmethod
    def _workload(args: argparse.Namespace) -> dict:
        """The workload options of ``args`` with the family's defaults."""
        return {"input_zero": 0.0 if args.input_zero is None else args.input_zero,
                "weights": args.cim_weights or "encoding",
                "vectors": DEFAULT_VECTORS if args.vectors is None else args.vectors,
                "seed": args.seed}

    def check_energy(self, point: Instance, args: argparse.Namespace) -> None:
        macro.check_options(point, **self._workload(args))

    def energy(self, point: Instance, args: argparse.Namespace, options):
        return macro.measure_macro(point, options, **self._workload(args))

    def energy_text(self, record) -> str:
        return energy_text(record)

    def report_sections(self) -> Sequence[ReportSection]:
        return (CimSection(),)

    def rtl_check(self, design: str) -> str | None:
        return "python -m verif.cim.macro" if design == "cim_macro" else None


def energy_text(r) -> str:
    """What ``edgeforge energy cim_macro`` prints for the record ``r``."""
    p = r.params
    lines = [
        f"{r.module}  [liberty: {r.liberty}]",
        f"  energy/MAC       {r.energy_per_mac_fj:.3f} fJ  ({p['ib']}b x {p['wb']}b MAC; "
        f"{r.macs_per_vector} MACs per vector in {r.cycles_per_vector} cycles)",
        f"  TOPS/W           {r.tops_per_w:.3f}  (1 MAC = 2 ops; {r.voltage_v:g} V, "
        f"{1000 / r.period_ns:g} MHz clock)",
        f"  energy/vector    {r.energy_per_vector_fj:.1f} fJ  (switching {r.switching_fj:.1f}, "
        f"internal {r.internal_fj:.1f}, leakage {r.leakage_fj:.3f})",
        f"  workload         {r.workload_text}; {r.vectors} vectors back to back; measured "
        f"zero inputs {100 * r.measured_zero_fraction:.1f} %",
        f"  area             {r.area_um2:.2f} um^2 = {r.area_ge:.1f} GE, {r.cells} cells",
        f"  conditions       {slews(r.slew_ns)}, wire load {r.wire_load}; gate-level "
        f"simulation ({r.sim}): {r.checked_results} result vectors matched the golden model",
        f"  {'group (fJ/vector)':<18} {'internal':>10} {'switching':>10} {'leakage':>10} "
        f"{'total':>10}",
    ]
    for g, d in r.groups.items():
        lines.append(f"  {g:<18} {d['internal_fj']:>10.1f} {d['switching_fj']:>10.1f} "
                     f"{d['leakage_fj']:>10.4f} {d['total_fj']:>10.1f}")
    lines.append("  limits           " + "; ".join(r.limits))
    return "\n".join(lines)


FAMILY = CimFamily()
