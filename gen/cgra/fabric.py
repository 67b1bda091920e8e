"""Energy per kernel run of a CGRA fabric from gate-level simulation, and kernel output error.

The flow of :mod:`gen.ocu_energy`, applied to ``cgra`` design points with the fabric's own
cocotb driver and monitor (:mod:`verif.cgra.fabric_cocotb`):

1. assemble the kernel (:mod:`sim_models.cgra.programs`) for the fabric and run it on the golden
   model (:class:`sim_models.cgra.CGRAModel`);
2. synthesise the fabric, read the netlist back, write the cell models
   (:func:`gen.energy.prepare_gate_level`);
3. simulate the netlist in a wrapper that dumps its nets: configuration through the scan
   chain, instruction memories and scratchpads through the host ports, ``start``, run to
   ``halt``; every executed row's FU outputs and the scratchpads afterwards are compared with
   the golden model (a difference fails the run with a repro command);
4. count toggles from the ``start`` pulse to ``done`` (the run, its 2-cycle pipeline fill
   included; configuration and loading excluded) and turn them into energy (:mod:`gen.eda.power`).

Energy per run is the energy of that window at the testbench clock (10 ns, 100 MHz; leakage of
the whole fabric over the run included); it is also split by FU (the synthesised hierarchy
keeps one module per unit) and by FU type.

Kernel output error (:func:`kernel_error`) compares a fabric's kernel results with the exact
numpy reference over several seeded input draws, on the golden model (the RTL equals it,
which the tests and step 3 check): EP, MED, MSE, MRED and WCE of REFERENCE 1.3 over the
kernel's output values.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from gen.flow.design import Instance

from .energy import EnergyError, _fj, energy_breakdown, resolve_library

__all__ = ["CGRAEnergyResult", "cgra_energy", "kernel_error", "KernelError", "BUILD_ROOT",
           "CACHE", "unit_of_module"]

BUILD_ROOT = Path("build") / "energy"
CACHE = Path("build") / "cache" / "energy"
_FLOW_VERSION = "cgra-3"


@dataclass
class CGRAEnergyResult:
    """Energy of one kernel run on one fabric (fJ per run unless named)."""

    module: str
    params: dict
    kernel: str
    seed: int
    cycles: int
    window_cycles: int
    energy_per_run_fj: float
    energy_per_cycle_fj: float
    switching_fj: float
    internal_fj: float
    leakage_fj: float
    input_switching_fj: float
    groups: dict
    per_unit: dict
    per_type: dict
    toggles_per_run: int
    liberty: str
    liberty_path: str
    voltage_v: float
    period_ns: float
    wire_load: str
    sim: str
    area_um2: float
    area_ge: float
    area_per_type: dict
    cells: int
    unannotated_nets: int
    checked_rows: int
    seconds: float
    limits: list
    cached: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class KernelError:
    """Kernel output error of a fabric against the exact reference (REFERENCE 1.3 names)."""

    kernel: str
    module: str
    draws: int
    seeds: list
    outputs: int
    ep: float
    med: float
    mse: float
    mred: float
    wce: int
    mean_abs_exact: float

    def to_dict(self) -> dict:
        return asdict(self)


def unit_of_module(module: str, fabric) -> tuple[str, str]:
    """``(unit, category)`` of a synthesised module of a fabric.

    The generator names its submodules ``fu_<fu>`` (a function unit and its multiplier),
    ``id_<id>`` (an instruction decoder with its instruction memory), ``in_<fu>_<i>`` (slot
    multiplexers), ``ctrl_<fu>`` (control network) and ``sb_<x>_<y>`` (mesh switchboxes); the
    top module holds the configuration chain. Categories: the FU type (``mul (drum)`` etc.
    for multipliers), ``ID + imem``, ``data network``, ``control network``,
    ``configuration + top``.
    """
    text = module.replace("\\", "")
    if "." in text.split("/")[0]:  # a synthesised module's name: "<top>.fu_mul0.exact"
        parts = text.split(".")[1:]
    else:  # an instance path of the power analysis: "fu_mul0/exact", "" or "(top)"
        parts = [p for p in text.split("/") if p and p != "(top)"]
    if not parts:
        return "(top)", "configuration + top"
    head = parts[0]
    if head.startswith("fu_"):
        name = head[3:]
        try:
            fu = fabric.fu(name)
        except (KeyError, ValueError):
            return head, "other"
        kind = f"mul ({fu.params['kind']})" if fu.type == "mul" else fu.type
        return name, kind
    if head.startswith("id_"):
        return head[3:], "ID + imem"
    if head.startswith(("in_", "sb_")):
        return head, "data network"
    if head.startswith("ctrl_"):
        return head, "control network"
    if "." not in text and "/" not in text:  # the top module's own name
        return "(top)", "configuration + top"
    return head, "other"


def _by_category(values: dict, fabric, key: str, *, instances: bool = False) -> dict:
    out: dict[str, float] = {}
    for module, row in values.items():
        cat = "input nets" if module == "(input nets)" else unit_of_module(module, fabric)[1]
        out[cat] = out.get(cat, 0.0) + row[key] * (row.get("instances", 1) if instances else 1)
    return {k: round(v, 3) for k, v in sorted(out.items())}


def _simulate(sim: str, build_dir: Path, run_dir: Path, job: dict, vcd: Path,
              repro: str) -> dict:
    from verif.sim import run_job, vcd_runner

    from .ocu_energy import WRAPPER

    vcd.parent.mkdir(parents=True, exist_ok=True)
    try:
        return run_job(sim, "verif.cgra.fabric_cocotb", WRAPPER, build_dir, run_dir, job,
                       "gate-level simulation", repro, plusargs=[f"+dump={vcd.resolve()}"],
                       runner=vcd_runner(sim))
    except RuntimeError as e:
        raise EnergyError(str(e)) from None


def _repro(inst: Instance, kernel, seed, sim, liberty) -> str:
    return " ".join(shlex.quote(x) for x in [
        "edgeforge", "energy", "cgra", *inst.cli_params(), "--kernel", kernel,
        *(["--liberty", str(liberty)] if liberty else []), "--seed", str(seed), "--sim", sim])


def _kernel_setup(inst: Instance, kernel: str, seed: int):
    from sim_models.cgra.asm import assemble
    from sim_models.cgra.programs import kernel as get_kernel

    fabric = inst.model.fabric
    k = get_kernel(kernel)
    prog = assemble(k.program_text, fabric, filename=f"{kernel}.pasm")
    inputs = k.inputs(seed)
    return fabric, k, prog, inputs, k.memories(inputs)


def cgra_energy(inst: Instance, *, kernel: str, seed: int = 1,
                liberty: str | os.PathLike | None = None, sim: str | None = None,
                wire_load: str = "default", slew: float | None = None,
                build_root: str | os.PathLike = BUILD_ROOT,
                cache_dir: str | os.PathLike | None = CACHE,
                progress: Callable[[str], None] | None = None) -> CGRAEnergyResult:
    """Synthesise a fabric, run one kernel at gate level and estimate its energy per run.

    Parameters
    ----------
    inst
        A ``cgra`` design point (:func:`gen.flow.design.instantiate`).
    kernel
        A kernel of :data:`sim_models.cgra.programs.KERNELS`.
    seed
        Seed of the kernel's input data.
    liberty, sim, wire_load, slew, build_root, cache_dir, progress
        As for :func:`gen.ocu_energy.ocu_energy`.

    Raises
    ------
    ValueError
        Not a CGRA design, unknown kernel or bad option (before anything is written).
    EnergyError
        The netlist disagrees with the golden model, the run did not halt, the energy came out
        as zero, or a step failed.
    """
    from gen.eda import activity as act
    from gen.eda import power
    from verif import sim as sim_mod
    from verif.cgra.fabric import CGRATestError, check, job
    from verif.cgra.fabric_cocotb import PERIOD_NS

    from .ocu_energy import WRAPPER, _build, prepare_bench

    if inst.design.name != "cgra":
        raise ValueError(f"Design {inst.design.name} is not a CGRA fabric; the CGRA energy flow "
                         "takes cgra")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"Seed must be a non-negative integer, not {seed!r}")
    fabric, k, prog, inputs, memories = _kernel_setup(inst, kernel, seed)
    trace = inst.model.run(prog.config, prog.imems, memories)
    lib_path, library = resolve_library(liberty, wire_load)
    simulator = sim_mod.prepare(sim)
    note = progress or (lambda text: None)
    t0 = time.perf_counter()

    bench = Path(__file__).resolve().parent.parent / "verif" / "cgra" / "fabric_cocotb.py"
    # the result depends on the program and on the kernel's input data (the scratchpads)
    digest = hashlib.sha256(k.program_text.encode())
    for name in sorted(memories):
        digest.update(name.encode() + b"\0" + bytes(memories[name]) + b"\0")
    digest = digest.hexdigest()[:16]
    gl = prepare_bench(inst, liberty, library, lib_path, build_root, cache_dir, note, bench,
                       (_FLOW_VERSION, kernel, digest, seed, simulator, wire_load, slew))
    if (cached := gl.cached(CGRAEnergyResult)) is not None:
        return cached
    sres, nl, models, root, netlist_path, wrapper = (gl.sres, gl.netlist, gl.models, gl.root,
                                                     gl.netlist_path, gl.wrapper)
    repro = _repro(inst, kernel, seed, simulator, liberty)
    build_dir = (root / "cgra_gate" / simulator).resolve()
    note(f"building the gate-level testbench ({simulator})")
    _build([netlist_path.resolve(), models.resolve(), wrapper.resolve()], simulator, build_dir)
    tag = f"{kernel}-s{seed}"
    vcd = root / "activity" / f"cgra-{tag}.vcd"
    note(f"gate-level simulation ({simulator}, {kernel}: {trace.cycles} cycles)")
    obs = _simulate(simulator, build_dir, build_dir / tag,
                    job(fabric, prog.config, prog.imems, memories,
                        max_cycles=trace.cycles + 64, full=True), vcd, repro)
    try:
        rows = check(fabric, trace, obs, repro)
    except CGRATestError as e:
        raise EnergyError(f"the gate-level netlist of {inst.module} ({netlist_path}) disagrees "
                          f"with the golden model: {e}") from None

    note("counting toggles")
    start, end = obs["start_ns"] * 1e-9, obs["end_ns"] * 1e-9
    window = int(round((obs["end_ns"] - obs["start_ns"]) / PERIOD_NS))
    try:
        activity = act.read_activity(vcd, f"{WRAPPER}.dut", start=start, end=end)
        res = power.analyse(nl, library, activity, wire_load=wire_load, slew=slew)
    except (act.ActivityError, power.PowerError) as e:
        raise EnergyError(f"energy of {inst.module}: {e}") from None
    tot = res.total
    if not tot.total + res.input_switching > 0:
        raise EnergyError(f"energy of {inst.module} came out as zero: no toggles in {vcd}")
    groups, per_module = energy_breakdown(res, 1)
    per_unit: dict[str, float] = {}
    for module, row in per_module.items():
        unit = "(input nets)" if module == "(input nets)" else unit_of_module(module, fabric)[0]
        per_unit[unit] = round(per_unit.get(unit, 0.0) + row["total_fj"], 3)
    run_fj = _fj(tot.total + res.input_switching, 1)
    result = CGRAEnergyResult(
        module=inst.module, params=dict(inst.params), kernel=kernel, seed=seed,
        cycles=trace.cycles, window_cycles=window, energy_per_run_fj=run_fj,
        energy_per_cycle_fj=round(run_fj / max(window, 1), 3),
        switching_fj=_fj(tot.switching + res.input_switching, 1),
        internal_fj=_fj(tot.internal, 1), leakage_fj=_fj(tot.leakage, 1),
        input_switching_fj=_fj(res.input_switching, 1), groups=groups, per_unit=per_unit,
        per_type=_by_category(per_module, fabric, "total_fj"),
        toggles_per_run=int(res.toggles), liberty=sres.liberty, liberty_path=str(lib_path),
        voltage_v=library.voltage, period_ns=float(PERIOD_NS), wire_load=res.wire_load,
        sim=simulator, area_um2=sres.area_um2, area_ge=sres.area_ge,
        area_per_type=_by_category(sres.per_module, fabric, "area_um2", instances=True),
        cells=res.cells,
        unannotated_nets=res.nets - res.annotated, checked_rows=rows,
        seconds=round(time.perf_counter() - t0, 3), limits=list(res.limits))
    gl.store(result.to_dict())
    return result


def kernel_error(inst: Instance, kernel: str, seeds: range | list = range(1, 33)) -> KernelError:
    """Output error of ``kernel`` on the fabric of ``inst`` against the exact reference.

    Runs the golden model once per seed (each seed draws new inputs) and pools the outputs.
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("Seeds must not be empty")
    fabric = inst.model.fabric
    approx, exact = [], []
    k = None
    for seed in seeds:
        fabric, k, prog, inputs, memories = _kernel_setup(inst, kernel, seed)
        trace = inst.model.run(prog.config, prog.imems, memories)
        approx.append(np.asarray(k.result(trace.memories), dtype=np.int64).ravel())
        exact.append(np.asarray(k.reference(inputs, fabric.width), dtype=np.int64).ravel())
    a = np.concatenate(approx).astype(np.float64)
    x = np.concatenate(exact).astype(np.float64)
    e = a - x
    nz = x != 0
    return KernelError(
        kernel=kernel, module=inst.module, draws=len(seeds), seeds=[seeds[0], seeds[-1]],
        outputs=int(len(x)), ep=round(float(np.mean(e != 0)), 6),
        med=round(float(np.mean(np.abs(e))), 6), mse=round(float(np.mean(e * e)), 6),
        mred=round(float(np.mean(np.abs(e[nz]) / np.abs(x[nz]))) if nz.any() else 0.0, 8),
        wce=int(np.max(np.abs(e))), mean_abs_exact=round(float(np.mean(np.abs(x))), 3))
