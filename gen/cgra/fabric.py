"""Energy per kernel run of a CGRA fabric from gate-level simulation, and kernel output error.

The gate-level bench of :mod:`gen.flow.bench`, applied to ``cgra`` design points with the
fabric's own cocotb driver and monitor (:mod:`verif.cgra.fabric_cocotb`):

1. assemble the kernel (:mod:`sim_models.cgra.programs`) for the fabric and run it on the golden
   model (:class:`sim_models.cgra.CGRAModel`);
2. synthesise the fabric (identical tiles mapped once, :func:`gen.eda.synth.synthesize` with
   ``merge``), read the netlist back, write the cell models (:func:`gen.flow.bench.prepare`);
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
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from gen.flow import bench
from gen.flow.bench import (
    BUILD_ROOT,
    CACHE,
    BenchOptions,
    EnergyError,
    GateLevel,
    Measurement,
    Stimulus,
)
from gen.flow.design import Instance
from gen.flow.record import EnergyRecord
from sim_models.cgra.asm import assemble
from sim_models.cgra.programs import kernel as get_kernel
from verif.cgra.fabric import CGRATestError, check, job
from verif.cgra.fabric_cocotb import PERIOD_NS

__all__ = ["KernelRun", "cgra_energy", "measure_kernel", "kernel_error", "KernelError",
           "BUILD_ROOT", "CACHE", "unit_of_module", "by_category"]

_FLOW_VERSION = "cgra-3"


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


def by_category(values: dict, fabric, key: str, *, instances: bool = False) -> dict:
    """Sum ``values[module][key]`` (energy per module, or area: ``instances`` times each) by
    the category of :func:`unit_of_module`; ``(input nets)`` stays a category of its own."""
    out: dict[str, float] = {}
    for module, row in values.items():
        cat = "input nets" if module == "(input nets)" else unit_of_module(module, fabric)[1]
        out[cat] = out.get(cat, 0.0) + row[key] * (row.get("instances", 1) if instances else 1)
    return {k: round(v, 3) for k, v in sorted(out.items())}


def kernel_setup(inst: Instance, kernel: str, seed: int):
    fabric = inst.model.fabric
    k = get_kernel(kernel)
    prog = assemble(k.program_text, fabric, filename=f"{kernel}.pasm")
    inputs = k.inputs(seed)
    return fabric, k, prog, inputs, k.memories(inputs)


class KernelRun(Stimulus):
    """One kernel run on a fabric's netlist: configure, load, ``start``, run to ``done``.

    The measured window is the run (one unit); every executed row and the scratchpads after
    it are checked against the golden model's trace.
    """

    test_module = "verif.cgra.fabric_cocotb"
    # one synthesis per distinct tile: the fabric's identical FUs, decoders, switchboxes...
    # are one module each (about half the Yosys time of the small fabric)
    merge_modules = True

    def __init__(self, point: Instance, kernel: str, seed: int, sim: str,
                 liberty: str | None):
        self.point, self.kernel, self.seed = point, kernel, seed
        self.fabric, k, self.prog, _, self.memories = kernel_setup(point, kernel, seed)
        self.trace = point.model.run(self.prog.config, self.prog.imems, self.memories)
        self.tag = f"cgra-{kernel}-s{seed}"
        # the result depends on the program and on the kernel's input data (the scratchpads)
        digest = hashlib.sha256(k.program_text.encode())
        for name in sorted(self.memories):
            digest.update(name.encode() + b"\0" + bytes(self.memories[name]) + b"\0")
        self.key = (_FLOW_VERSION, kernel, digest.hexdigest()[:16], seed)
        self.repro = bench.repro(point, "--kernel", kernel,
                                 *(["--liberty", liberty] if liberty else []),
                                 "--seed", str(seed), "--sim", sim)
        self._netlist = None

    def job(self) -> dict:
        return job(self.fabric, self.prog.config, self.prog.imems, self.memories,
                   max_cycles=self.trace.cycles + 64, full=True)

    def simulate(self, gl: GateLevel, options: BenchOptions, vcd) -> tuple[dict, str]:
        self._netlist = gl.netlist_path  # named when the netlist disagrees with the model
        return super().simulate(gl, options, vcd)

    def check(self, obs: dict) -> int:
        try:
            return check(self.fabric, self.trace, obs, self.repro)
        except CGRATestError as e:
            raise EnergyError(f"the gate-level netlist of {self.point.module} "
                              f"({self._netlist}) disagrees with the golden model: {e}") from None

    def window(self, obs: dict) -> tuple[float, float, int]:
        return obs["start_ns"], obs["end_ns"], 1

    def record(self, m: Measurement) -> dict:
        obs, split, sres = m.observations, m.split, m.gl.synth
        window = int(round((obs["end_ns"] - obs["start_ns"]) / PERIOD_NS))
        per_unit: dict[str, float] = {}
        for module, row in split["per_module"].items():
            unit = "(input nets)" if module == "(input nets)" \
                else unit_of_module(module, self.fabric)[0]
            per_unit[unit] = round(per_unit.get(unit, 0.0) + row["total_fj"], 3)
        run_fj = split["total_fj"]
        return {
            "kernel": self.kernel, "seed": self.seed, "cycles": self.trace.cycles,
            "window_cycles": window, "energy_per_run_fj": run_fj,
            "energy_per_cycle_fj": round(run_fj / max(window, 1), 3), "per_unit": per_unit,
            "per_type": by_category(split["per_module"], self.fabric, "total_fj"),
            "toggles_per_run": int(m.power.toggles), "period_ns": float(PERIOD_NS),
            "area_um2": sres.area_um2, "area_ge": sres.area_ge,
            "area_per_type": by_category(sres.per_module, self.fabric, "area_um2",
                                         instances=True),
            "checked_rows": m.checked,
        }


def _check_point(inst: Instance, seed: object) -> None:
    if inst.design.name != "cgra":
        raise ValueError(f"Design {inst.design.name} is not a CGRA fabric; the CGRA energy flow "
                         "takes cgra")
    bench.check_seed(seed)


def measure_kernel(inst: Instance, kernel: str, seed: int,
                   options: BenchOptions) -> EnergyRecord:
    """:func:`cgra_energy` with the shared bench options already resolved."""
    _check_point(inst, seed)
    stimulus = KernelRun(inst, kernel, seed, options.sim, options.liberty.given)
    return bench.measure(inst, stimulus, options)


def cgra_energy(inst: Instance, *, kernel: str, seed: int = 1,
                liberty: str | os.PathLike | None = None, sim: str | None = None,
                wire_load: str = "default", slew: float | None = None,
                build_root: str | os.PathLike = BUILD_ROOT,
                cache_dir: str | os.PathLike | None = CACHE,
                progress: Callable[[str], None] | None = None) -> EnergyRecord:
    """Synthesise a fabric, run one kernel at gate level and estimate its energy per run.

    Parameters
    ----------
    inst
        A ``cgra`` design point (:func:`gen.flow.family.instantiate`).
    kernel
        A kernel of :data:`sim_models.cgra.programs.KERNELS`.
    seed
        Seed of the kernel's input data.
    liberty, sim, wire_load, slew, build_root, cache_dir, progress
        As for :meth:`gen.flow.bench.BenchOptions.make`.

    Returns
    -------
    EnergyRecord
        Per run; ``extra`` holds ``kernel``, ``cycles``, ``window_cycles``,
        ``energy_per_run_fj``, ``energy_per_cycle_fj``, ``per_unit``, ``per_type``,
        ``toggles_per_run``, ``area_um2``, ``area_ge``, ``area_per_type`` and
        ``checked_rows``.

    Raises
    ------
    ValueError
        Not a CGRA design, unknown kernel or bad option (before anything is written).
    EnergyError
        The netlist disagrees with the golden model, the run did not halt, the energy came out
        as zero, or a step failed.
    """
    _check_point(inst, seed)
    get_kernel(kernel)  # an unknown kernel is refused before the library is read
    options = BenchOptions.make(liberty=liberty, sim=sim, wire_load=wire_load, slew=slew,
                                build_root=build_root, cache_dir=cache_dir, progress=progress)
    return measure_kernel(inst, kernel, seed, options)


def kernel_error(inst: Instance, kernel: str, seeds: range | list = range(1, 33)) -> KernelError:
    """Output error of ``kernel`` on the fabric of ``inst`` against the exact reference.

    Runs the golden model once per seed (each seed draws new inputs) and pools the outputs.
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("Seeds must not be empty")
    fabric = inst.model.fabric
    approx, exact = [], []
    for seed in seeds:
        fabric, k, prog, inputs, memories = kernel_setup(inst, kernel, seed)
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
