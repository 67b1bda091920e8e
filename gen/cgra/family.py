# amaranth: UnusedElaboratable=no
# (the registry builds generators to validate parameters; commands such as `errors` never
# elaborate them, which is intended)
"""The CGRA family: R-Blocks-style fabrics of tiles."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable, Mapping, Sequence

from gen.flow.design import Design, Instance, Param
from gen.flow.family import EnergyOption, Family, ReportSection
from gen.flow.sweep import Metric
from hw.cgra import CGRA
from sim_models.cgra import CGRAModel
from sim_models.cgra.fabric_file import load
from sim_models.cgra.programs import KERNELS

from . import asm_cli
from .fabric import kernel_setup, measure_kernel
from .report import CgraSection


def _cgra_fabric(fabric: str, mul: str):
    fab = load(fabric)
    if mul:
        if mul not in ("exact", "drum", "roup"):
            raise ValueError(f"Mul must be '', 'exact', 'drum' or 'roup', not {mul!r}")
        fab = fab.with_mul(mul)
    return fab


def _cgra_name(p: Mapping[str, object]) -> str:
    return f"cgra_{_cgra_fabric(p['fabric'], p['mul']).name}"


def _cgra_component(**kw):
    return CGRA(_cgra_fabric(kw["fabric"], kw["mul"]).to_dict())


def _cgra_model(**kw):
    return CGRAModel(_cgra_fabric(kw["fabric"], kw["mul"]))


#: Kernel of ``edgeforge energy cgra`` without ``--kernel``.
DEFAULT_KERNEL = "dot"

DESIGNS: tuple[Design, ...] = (
    Design(
        "cgra", "cgra",
        "R-Blocks-style CGRA fabric: FUs, crossbar or mesh data network, IDs with "
        "instruction memories, scan-chain configuration (docs/cgra.md)",
        (
            Param("fabric", str, "small", "'small'|'default'|PATH.toml",
                  "fabric description: a built-in or a TOML file"),
            Param("mul", str, "", "''|'exact'|'drum'|'roup'",
                  "replace every MUL tile by this multiplier ('': as described)"),
        ),
        _cgra_component, _cgra_model, _cgra_name,
    ),
)


class CgraFamily(Family):
    """The cgra family's plug-in (:class:`gen.flow.family.Family`)."""

    name = "cgra"
    title = "R-Blocks-style CGRA fabrics (tiles, networks, assembler)"
    order = 40
    designs = DESIGNS
    operation = "a kernel run, from start to done (configuration and loading excluded)"
    # the kernel runs synthesise this way too (gen.cgra.fabric.KernelRun.merge_modules)
    merge_modules = True

    def energy_options(self) -> Sequence[EnergyOption]:
        return (EnergyOption("--kernel", {"help": f"cgra: kernel to run ({', '.join(KERNELS)}; "
                                                  "default dot)"}, designs=("cgra",)),)

    def check_energy(self, point: Instance, args: argparse.Namespace) -> None:
        kernel = _kernel(args)
        if kernel not in KERNELS:
            raise ValueError(f"Kernel must be one of {', '.join(KERNELS)}, not {kernel!r}")

    def energy(self, point: Instance, args: argparse.Namespace, options):
        return measure_kernel(point, _kernel(args), args.seed, options)

    def energy_text(self, record) -> str:
        return energy_text(record)

    def add_commands(self, sub) -> dict[str, Callable[[argparse.Namespace], int]]:
        asm_cli.add_parser(sub)
        return {"asm": asm_cli.cmd_asm}

    def report_sections(self) -> Sequence[ReportSection]:
        return (CgraSection(),)

    def sweep_simulator(self, point: Instance) -> str | None:
        # a fabric's netlist is some 10^5 cells: Icarus reads it in seconds, Verilator's C++ of
        # it compiles for over 20 minutes even at -O0 (so Icarus whenever it is installed)
        return "icarus" if shutil.which("iverilog") else None

    def metrics(self) -> Mapping[str, Metric]:
        return {"cycles": Metric("cycles", kernel_cycles, ("cgra",),
                                 "cycles of the workload's kernel on the cycle-accurate model")}

    def rtl_check(self, design: str) -> str | None:
        return "python -m verif.cgra.fabric --kernel K" if design == "cgra" else None


def kernel_cycles(point: Instance, workload: Mapping, seed: int) -> dict:
    """The ``cycles`` sweep metric: the kernel of ``workload`` (default :data:`DEFAULT_KERNEL`)
    on the fabric's cycle-accurate model, with the inputs of ``seed``."""
    kernel = workload.get("kernel") or DEFAULT_KERNEL
    if kernel not in KERNELS:
        raise ValueError(f"Kernel must be one of {', '.join(KERNELS)}, not {kernel!r}")
    _, _, prog, _, memories = kernel_setup(point, kernel, seed)
    trace = point.model.run(prog.config, prog.imems, memories)
    return {"kernel": kernel, "cycles": trace.cycles}


def _kernel(args: argparse.Namespace) -> str:
    kernel = getattr(args, "kernel", None)
    return DEFAULT_KERNEL if kernel is None else kernel


def energy_text(r) -> str:
    """What ``edgeforge energy cgra`` prints for a record of :func:`gen.cgra.fabric.cgra_energy`."""
    lines = [f"{r.module}: kernel {r.kernel} (seed {r.seed}), {r.cycles} cycles executed "
             f"({r.window_cycles} from start to done), every row equal to the golden model",
             f"  energy per run {r.energy_per_run_fj / 1000:.2f} pJ "
             f"({r.energy_per_cycle_fj / 1000:.2f} pJ per cycle), "
             f"{r.voltage_v:g} V, {r.period_ns:g} ns clock, {r.liberty}",
             f"  area {r.area_um2:,.0f} um^2 ({r.area_ge:,.0f} GE)",
             f"  {'part':<22}{'pJ/run':>10}{'area um^2':>12}"]
    for kind in sorted(set(r.per_type) | set(r.area_per_type)):
        e = r.per_type.get(kind)
        a = r.area_per_type.get(kind)
        lines.append(f"  {kind:<22}{'' if e is None else f'{e / 1000:.2f}':>10}"
                     f"{'' if a is None else f'{a:,.0f}':>12}")
    lines.append("  zero-delay simulation: glitch power not modelled")
    return "\n".join(lines)


FAMILY = CgraFamily()
