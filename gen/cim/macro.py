"""Energy per MAC and TOPS/W of the CIM macro from gate-level simulation.

The flow's gate-level bench (:mod:`gen.flow.bench`) with the macro's own stimulus
(:class:`MacroStimulus`) and cocotb driver and monitor (:mod:`verif.cim.macro_cocotb`):

1. synthesise, read the netlist back, write the cell models (:func:`gen.flow.bench.prepare`);
2. simulate the netlist in a wrapper that dumps its nets: the weights are written row by row,
   then the input vectors stream back to back (one per :attr:`~hw.cim.CIMMacro.cycles`
   clocks, ``o_stream`` always ready); every result is compared with the golden model
   (:class:`sim_models.cim.CIMMacroModel`) and a mismatch fails the run with a repro command;
3. count toggles only over the compute cycles of the measured vectors (after the weight load
   and a warm-up of 2 vectors) and turn them into energy (:mod:`gen.eda.power`).

Units: one MAC is one ``ib``-bit x ``wb``-bit multiply-accumulate; a vector is ``rows * cols``
MACs; one MAC is **two operations**, the convention of the ISSCC macro's TOPS/W. Energy per
MAC = energy of the measured stretch / (vectors * rows * cols); TOPS/W = 2 / (fJ per MAC) *
1000. Leakage is counted at the testbench clock (10 ns, 100 MHz), for the macro's whole
``cycles`` per vector: the bit-serial latency is part of its cost.

Workload: inputs uniform over their range, each set to 0 with probability ``input_zero``
(0: dense, e.g. 0.9: sparse); weights uniform over the encoding's levels (the fibbinary
codebook in fibbinary mode), or over the fibbinary codebook in either mode with
``weights="fibbinary"`` (the same weight statistics for a binary macro, isolating the
architecture's saving from that of sparser weight bits); one fixed, reported seed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gen.flow.bench import (
    BUILD_ROOT,
    CACHE,
    BenchOptions,
    EnergyError,
    GateLevel,
    Measurement,
    Stimulus,
    check_count,
    check_probability,
    check_seed,
    measure,
    repro,
)
from gen.flow.design import Instance
from gen.flow.record import EnergyRecord
from sim_models.cim import codebook
from verif.cim.macro import VectorSet, job, unpack
from verif.cim.macro_cocotb import PERIOD_NS

__all__ = ["MacroStimulus", "cim_energy", "measure_macro", "check_options", "cim_workload",
           "OPS_PER_MAC", "DEFAULT_VECTORS", "MAX_VECTORS", "BUILD_ROOT", "CACHE",
           "WARM_VECTORS", "WEIGHT_CHOICES"]

_FLOW_VERSION = "cim-4"
OPS_PER_MAC = 2
DEFAULT_VECTORS = 64
MAX_VECTORS = 4096
WARM_VECTORS = 2


#: ``weights``: uniform over the encoding's levels, or over the fibbinary codebook.
WEIGHT_CHOICES = ("encoding", "fibbinary")


def cim_workload(model, vectors: int, input_zero: float, seed: int,
                 weights: str = "encoding"):
    """Inputs ``(vectors, rows)``, weights ``(rows, cols)`` and a one-line description."""
    rng = np.random.default_rng(seed)
    if model.encoding == "fibbinary" or weights == "fibbinary":
        levels = codebook(model.wb, model.signed_weights)
        w = rng.choice(levels, size=(model.rows, model.cols))
        wtext = f"weights uniform over the {len(levels)} fibbinary levels"
    else:
        lo, hi = model.weight_range()
        w = rng.integers(lo, hi, size=(model.rows, model.cols), endpoint=True)
        wtext = f"weights uniform in [{lo}, {hi}]"
    lo, hi = model.input_range()
    x = rng.integers(lo, hi, size=(vectors, model.rows), endpoint=True)
    x = np.where(rng.random(x.shape) < input_zero, 0, x)
    text = (f"inputs uniform in [{lo}, {hi}], each 0 with probability {input_zero:g}; {wtext}; "
            f"seed {seed}")
    return x, w, text


def check_options(inst: Instance, input_zero: object, weights: object, vectors: object,
                  seed: object) -> float:
    """Validate the workload options in the order users meet them; ``input_zero`` as a float.

    Raises
    ------
    ValueError
        Not a CIM design, or a bad option (one line naming it and its range).
    """
    if inst.design.name != "cim_macro":
        raise ValueError(f"Design {inst.design.name} is not a CIM macro; the CIM energy flow "
                         "takes cim_macro")
    input_zero = check_probability("Input zero probability", input_zero)
    if weights not in WEIGHT_CHOICES:
        raise ValueError(f"Weights must be 'encoding' or 'fibbinary', not {weights!r}")
    check_count("Vectors", vectors, 8, MAX_VECTORS)
    check_seed(seed)
    return input_zero


class MacroStimulus(Stimulus):
    """The CIM workload on the bench: weights row by row, then vectors back to back.

    Parameters
    ----------
    inst
        A ``cim_macro`` design point.
    input_zero, weights, vectors, seed
        As for :func:`cim_energy` (checked by :func:`check_options`).
    sim, liberty
        The simulator and the library as given, for the repro command.
    """

    test_module = "verif.cim.macro_cocotb"

    def __init__(self, inst: Instance, *, input_zero: float, weights: str, vectors: int,
                 seed: int, sim: str, liberty: str | None):
        self.inst, self.input_zero, self.weights = inst, input_zero, weights
        self.vectors, self.seed = vectors, seed
        self.x, self.w, self.workload_text = cim_workload(
            inst.model, WARM_VECTORS + vectors, input_zero, seed, weights)
        fib = weights != "encoding"
        self.tag = f"cim-z{input_zero:g}-s{seed}-n{vectors}" + ("-wfib" if fib else "")
        self.key = (_FLOW_VERSION, input_zero, vectors, seed, *((weights,) if fib else ()))
        self.repro = repro(inst, *(["--cim-weights", weights] if fib else []),
                           "--input-zero", f"{input_zero:g}",
                           *(["--liberty", str(liberty)] if liberty else []),
                           "--vectors", str(vectors), "--seed", str(seed), "--sim", sim)
        self.netlist_path: Path | None = None

    def job(self) -> dict:
        return job(self.inst.component, [VectorSet("energy", self.w, self.x)], readback=False)

    def simulate(self, gl: GateLevel, options: BenchOptions, vcd: Path) -> tuple[dict, str]:
        self.netlist_path = gl.netlist_path  # named by a mismatch
        obs, scope = super().simulate(gl, options, vcd)
        return obs["sets"][0], scope

    def check(self, obs: dict) -> int:
        comp, module = self.inst.component, self.inst.module
        o_shape = comp.output_shape
        got = np.array([unpack(p, o_shape.width, comp.cols, o_shape.signed)
                        for p in obs["results"]])
        exp = self.inst.model(self.x, self.w)
        if got.shape != exp.shape or not (got == exp).all():
            bad = int((got != exp).any(axis=1).sum()) if got.shape == exp.shape else -1
            raise EnergyError(f"the gate-level netlist of {module} ({self.netlist_path}) "
                              f"disagrees with the golden model ({bad} of {len(exp)} vectors "
                              f"differ, or the count is wrong: {len(got)}); reproduce: "
                              f"{self.repro}")
        acc = obs["accepted"]
        if len(acc) != WARM_VECTORS + self.vectors \
                or set(np.diff(acc).tolist()) != {comp.cycles}:
            raise EnergyError(f"{module}: the vectors were not accepted every {comp.cycles} "
                              "cycles; the energy window would be wrong")
        return len(exp)

    def window(self, obs: dict) -> tuple[float, float, int]:
        """The compute cycles of the measured vectors (after the warm-up ones)."""
        start = obs["start_ns"] + (obs["accepted"][WARM_VECTORS] + 1) * PERIOD_NS - PERIOD_NS / 2
        return start, start + self.vectors * self.inst.component.cycles * PERIOD_NS, \
            self.vectors

    def record(self, m: Measurement) -> dict:
        comp, res, sres, vectors = self.inst.component, m.power, m.gl.synth, self.vectors
        per_vector = m.split["total_fj"]
        macs = comp.rows * comp.cols
        per_mac = round(per_vector / macs, 6)
        return {
            "input_zero": self.input_zero, "weights": self.weights,
            "measured_zero_fraction": round(float(np.mean(self.x[WARM_VECTORS:] == 0)), 4),
            "vectors": vectors, "cycles_per_vector": comp.cycles, "macs_per_vector": macs,
            "energy_per_vector_fj": per_vector, "energy_per_mac_fj": per_mac,
            "tops_per_w": round(OPS_PER_MAC * 1000.0 / per_mac, 3),
            "per_module": m.split["per_module"],
            "toggles_per_vector": round(res.toggles / vectors, 3),
            "workload_text": self.workload_text,
            "slew_ns": None if res.slew is None else round(res.slew / 1e-9, 6),
            "area_um2": sres.area_um2, "area_ge": sres.area_ge, "checked_results": m.checked,
            "seed": self.seed, "period_ns": float(PERIOD_NS),
        }


def measure_macro(inst: Instance, options: BenchOptions, *, input_zero: float = 0.0,
                  weights: str = "encoding", vectors: int = DEFAULT_VECTORS,
                  seed: int = 1) -> EnergyRecord:
    """:func:`cim_energy` with the bench options already made (``edgeforge energy``).

    Raises
    ------
    ValueError, EnergyError
        As :func:`cim_energy`.
    """
    input_zero = check_options(inst, input_zero, weights, vectors, seed)
    stim = MacroStimulus(inst, input_zero=input_zero, weights=weights, vectors=vectors,
                         seed=seed, sim=options.sim, liberty=options.liberty.given)
    return measure(inst, stim, options)


def cim_energy(inst: Instance, *, input_zero: float = 0.0, weights: str = "encoding",
               liberty: str | os.PathLike | None = None, vectors: int = DEFAULT_VECTORS,
               seed: int = 1, sim: str | None = None, wire_load: str = "default",
               slew: float | None = None, build_root: str | os.PathLike = BUILD_ROOT,
               cache_dir: str | os.PathLike | None = CACHE,
               progress: Callable[[str], None] | None = None) -> EnergyRecord:
    """Synthesise, simulate at gate level and estimate the energy per MAC of a CIM macro.

    Parameters
    ----------
    inst
        A ``cim_macro`` design point (:func:`gen.flow.family.instantiate`).
    input_zero
        Probability that an input is 0, 0 to 1.
    weights
        ``"encoding"``: weights uniform over the encoding's levels; ``"fibbinary"``: over the
        fibbinary codebook whatever the encoding.
    vectors
        Vectors measured, 8 to :data:`MAX_VECTORS`, after :data:`WARM_VECTORS` warm-up ones.
    liberty, sim, wire_load, slew, build_root, cache_dir, progress
        As for :meth:`gen.flow.bench.BenchOptions.make`.
    seed
        Seed of the workload.

    Returns
    -------
    EnergyRecord
        The common fields, and in :attr:`~gen.flow.record.EnergyRecord.extra` the macro's
        (fJ per vector unless named): ``input_zero``, ``weights``, ``measured_zero_fraction``,
        ``vectors``, ``cycles_per_vector``, ``macs_per_vector``, ``energy_per_vector_fj``,
        ``energy_per_mac_fj``, ``tops_per_w``, ``per_module``, ``toggles_per_vector``,
        ``workload_text``, ``slew_ns`` (None: slews propagated, OpenSTA's way), ``area_um2``,
        ``area_ge``, ``checked_results``.

    Raises
    ------
    ValueError
        Not a CIM design, or a bad option (before anything is written).
    EnergyError
        The netlist disagrees with the golden model, the vectors did not stream back to back,
        the energy came out as zero, or a step failed.
    """
    check_options(inst, input_zero, weights, vectors, seed)
    options = BenchOptions.make(liberty=liberty, sim=sim, wire_load=wire_load, slew=slew,
                                build_root=build_root, cache_dir=cache_dir, progress=progress)
    return measure_macro(inst, options, input_zero=input_zero, weights=weights,
                         vectors=vectors, seed=seed)
