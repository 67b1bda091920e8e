"""Energy per operation of a multiplier design point from gate-level simulation.

``edgeforge energy exact|drum|roup``. The flow is the one gate-level bench of
:mod:`gen.flow.bench` (synthesis, netlist, cell models, activity, power, cache) with this
family's stimulus (:class:`MultiplierStimulus`, a :class:`gen.flow.vectors.VectorStimulus`):

1. the workload's operands (``ops + 1`` pairs) and the golden model's products;
2. the netlist runs in the streaming vector harness of :mod:`verif.harness` (one instance, one
   operation per clock), which compares every result with the golden model: this is
   gate-level verification, and any mismatch fails the run with a repro command;
3. the value changes of the netlist instance are dumped, and the toggles of the window in which
   the workload's operations follow one another (from half a clock before vector 1 reaches the
   inputs, ``ops`` clocks long) turn into energy.

Energy per operation is the energy of that window divided by the number of operations in it.
It includes the switching energy of the block's input nets (charging its own input pins, which
OpenSTA's ``report_power`` leaves to the driving instance outside the block), and, for pipelined
points, the clock pins and flip-flops. Leakage is counted at the harness clock
(:data:`verif.harness.PERIOD_NS` ns per operation).

Workloads: ``uniform`` (operands uniform over their range), ``gaussian`` (signed: normal around
0 with sigma a quarter of the range; unsigned: the magnitude of such a normal, like activations
after a ReLU), or the path of a ``.npz`` file with integer arrays ``a`` and ``b`` (a recorded
operand set, used in order). Random workloads use a fixed, reported seed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gen.eda.arrays import load_npz
from gen.flow import bench
from gen.flow.bench import BUILD_ROOT, CACHE, BenchOptions, EnergyError, Measurement
from gen.flow.cache import file_digest
from gen.flow.design import Instance
from gen.flow.record import EnergyRecord
from gen.flow.vectors import MAX_OPS, PERIOD_NS, Port, VectorStimulus
from verif.approx.multiplier import _as_model_input

__all__ = ["EnergyError", "MultiplierStimulus", "WORKLOADS", "DEFAULT_OPS", "MAX_OPS",
           "energy", "measure", "make_workload", "BUILD_ROOT", "CACHE"]

_VERSION = "approx-1"
WORKLOADS = ("uniform", "gaussian")
DEFAULT_OPS = 4000


def _operand_range(width: int, signed: bool) -> tuple[int, int]:
    lo = -(1 << (width - 1)) if signed else 0
    return lo, lo + (1 << width) - 1


def make_workload(workload: str, width: int, signed: bool, n: int,
                  seed: int = 1) -> tuple[np.ndarray, np.ndarray, str]:
    """Operand arrays ``a``, ``b`` (``n`` each) and a one-line description.

    Raises
    ------
    ValueError
        Unknown workload, a recorded file that is missing, malformed, too short or out of the
        operand range.
    """
    lo, hi = _operand_range(width, signed)
    if workload == "uniform":
        rng = np.random.default_rng(seed)
        a = rng.integers(lo, hi, n, endpoint=True, dtype=np.int64)
        b = rng.integers(lo, hi, n, endpoint=True, dtype=np.int64)
        return a, b, f"uniform random operands, seed {seed}"
    if workload == "gaussian":
        rng = np.random.default_rng(seed)
        sigma = (1 << width) / 8 if signed else (1 << width) / 4
        ab = rng.normal(0.0, sigma, (2, n))
        if not signed:
            ab = np.abs(ab)
        ab = np.clip(np.rint(ab), lo, hi).astype(np.int64)
        shape = "normal" if signed else "half-normal"
        return ab[0], ab[1], f"{shape} operands (sigma {sigma:g}), seed {seed}"
    return _recorded_workload(workload, width, signed, n)


def _recorded_workload(workload: str, width: int, signed: bool,
                       n: int) -> tuple[np.ndarray, np.ndarray, str]:
    """:func:`make_workload` of a ``.npz`` file."""
    lo, hi = _operand_range(width, signed)
    path = Path(workload)
    if path.suffix != ".npz":
        raise ValueError(f"Workload must be 'uniform', 'gaussian' or a .npz file with arrays a "
                         f"and b, not {workload!r}")
    data = load_npz(path, "workload file", ("a", "b"))
    a, b = data["a"], data["b"]
    for name, arr in (("a", a), ("b", b)):
        if arr.ndim != 1:
            raise ValueError(f"workload file {path}: array {name} must be one-dimensional, not "
                             f"of shape {arr.shape}")
    if len(a) != len(b):
        raise ValueError(f"workload file {path}: arrays a and b must be of equal length, not "
                         f"{len(a)} and {len(b)}")
    for name, arr in (("a", a), ("b", b)):
        if not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"workload file {path}: array {name} must hold integers, "
                             f"not {arr.dtype}")
        if len(arr) and (arr.min() < lo or arr.max() > hi):
            raise ValueError(f"workload file {path}: array {name} must lie in [{lo}, {hi}] "
                             f"for {width}-bit {'signed' if signed else 'unsigned'} operands")
    m = min(len(a), len(b))
    if m < n:
        raise ValueError(f"workload file {path} holds {m} operand pairs; {n} are needed")
    return a[:n].astype(np.int64), b[:n].astype(np.int64), f"recorded operands from {path}"


class MultiplierStimulus(VectorStimulus):
    """A multiplier's workload through the streaming vector harness (module docstring).

    Parameters
    ----------
    point
        The multiplier design point.
    workload, ops, seed
        As for :func:`energy` (validated there).
    liberty, sim
        The library as the user named it and the simulator, for the repro command.
    """

    def __init__(self, point: Instance, workload: str, ops: int, seed: int,
                 liberty: str | None, sim: str):
        comp = point.component
        width, signed = comp.width, comp.signed
        a, b, self.workload_text = make_workload(workload, width, signed, ops + 1, seed)
        expected = point.model(_as_model_input(a, width, signed),
                               _as_model_input(b, width, signed))
        recorded = workload not in WORKLOADS
        super().__init__(
            inputs=[Port("a", width, signed), Port("b", width, signed)],
            outputs=[Port("p", comp.o_width, signed)],
            stimulus={"a": a, "b": b}, expected={"p": expected}, latency=comp.latency,
            tag=f"{Path(workload).stem if recorded else workload}-s{seed}-n{ops}",
            key=(_VERSION, workload, file_digest(workload) if recorded else "", ops, seed),
            repro=bench.repro(point, *(["--liberty", str(liberty)] if liberty else []),
                              "--workload", workload, "--ops", str(ops), "--seed", str(seed),
                              "--sim", sim))
        self.point, self.workload, self.seed = point, workload, seed

    def record(self, m: Measurement) -> dict:
        res, sres, ops = m.power, m.gl.synth, self.ops
        return {
            "design": self.point.design.name, "energy_per_op_fj": m.split["total_fj"],
            "per_module": m.split["per_module"], "ops": ops, "workload": self.workload,
            "workload_text": self.workload_text, "seed": self.seed,
            "period_ns": float(PERIOD_NS),
            "slew_ns": None if res.slew is None else round(res.slew / 1e-9, 6),
            "area_um2": sres.area_um2, "area_ge": sres.area_ge,
            "toggles_per_op": round(res.toggles / ops, 3),
        }


def measure(point: Instance, options: BenchOptions, *, workload: str = "uniform",
            ops: int = DEFAULT_OPS, seed: int = 1) -> EnergyRecord:
    """:func:`energy` with the bench options already resolved (``edgeforge energy``).

    Raises
    ------
    ValueError
        Bad ``ops``, ``seed`` or workload (before anything is written).
    EnergyError
        The gate-level netlist disagrees with the golden model, or a step fails.
    """
    _check(ops, seed)
    stimulus = MultiplierStimulus(point, workload, ops, seed, options.liberty.given,
                                  options.sim)
    return bench.measure(point, stimulus, options)


def _check(ops: object, seed: object) -> None:
    bench.check_count("Ops", ops, 1, MAX_OPS)
    bench.check_seed(seed)


def energy(inst: Instance, *, liberty: str | os.PathLike | None = None,
           workload: str = "uniform", ops: int = DEFAULT_OPS, seed: int = 1,
           sim: str | None = None, wire_load: str = "default", slew: float | None = None,
           build_root: str | os.PathLike = BUILD_ROOT,
           cache_dir: str | os.PathLike | None = CACHE,
           progress: Callable[[str], None] | None = None) -> EnergyRecord:
    """Synthesise, simulate at gate level and estimate the energy per operation of ``inst``.

    Parameters
    ----------
    inst
        A multiplier design point (:func:`gen.flow.family.instantiate`).
    liberty
        Liberty file; None chooses as :func:`gen.eda.synth.resolve_liberty` does.
    workload
        ``"uniform"``, ``"gaussian"`` or a ``.npz`` path (see the module docstring).
    ops
        Operations to measure (1 to 65536); ``ops + 1`` vectors are simulated.
    seed
        Seed of random workloads.
    sim
        ``"icarus"`` or ``"verilator"`` (default ``$SIM``, else Icarus when installed).
    wire_load, slew
        See :func:`gen.eda.power.analyse`.
    build_root
        Results under ``build_root/<module>/``.
    cache_dir
        Results are cached here by the content of everything they depend on (netlist, cell
        models, liberty file, workload, options, simulator, testbench, tools); None: recompute
        everything, synthesis included.
    progress
        Called with a short text before each step.

    Returns
    -------
    EnergyRecord
        The common fields and the multiplier's own (``design``, ``energy_per_op_fj``,
        ``per_module``, ``ops``, ``workload``, ``workload_text``, ``slew_ns``, ``area_um2``,
        ``area_ge``, ``toggles_per_op``).

    Raises
    ------
    ValueError
        Bad parameters, workload or liberty file (before anything is written).
    EnergyError
        The gate-level netlist disagrees with the golden model, or a step fails.
    """
    _check(ops, seed)
    if wire_load not in ("default", "none"):
        raise ValueError(f"Wire load must be 'default' or 'none', not {wire_load!r}")
    comp = inst.component
    make_workload(workload, comp.width, comp.signed, ops + 1, seed)  # before the library
    options = BenchOptions.make(liberty=liberty, sim=sim, wire_load=wire_load, slew=slew,
                                build_root=build_root, cache_dir=cache_dir, progress=progress)
    return measure(inst, options, workload=workload, ops=ops, seed=seed)
