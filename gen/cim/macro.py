"""Energy per MAC and TOPS/W of the CIM macro from gate-level simulation.

The flow of :mod:`gen.ocu_energy`, applied to ``cim_macro`` design points with the macro's own
cocotb driver and monitor (:mod:`verif.cim.macro_cocotb`):

1. synthesise, read the netlist back, write the cell models
   (:func:`gen.energy.prepare_gate_level`);
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
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gen.flow.design import Instance

from .energy import EnergyError, _fj, energy_breakdown, resolve_library

__all__ = ["CIMEnergyResult", "cim_energy", "cim_workload", "OPS_PER_MAC", "DEFAULT_VECTORS",
           "MAX_VECTORS", "BUILD_ROOT", "CACHE", "WARM_VECTORS"]

BUILD_ROOT = Path("build") / "energy"
CACHE = Path("build") / "cache" / "energy"
_FLOW_VERSION = "cim-3"
OPS_PER_MAC = 2
DEFAULT_VECTORS = 64
MAX_VECTORS = 4096
WARM_VECTORS = 2


@dataclass
class CIMEnergyResult:
    """Energy of one CIM design point on one workload (fJ per vector unless named)."""

    module: str
    params: dict
    input_zero: float
    weights: str
    measured_zero_fraction: float
    vectors: int
    cycles_per_vector: int
    macs_per_vector: int
    energy_per_vector_fj: float
    energy_per_mac_fj: float
    tops_per_w: float
    switching_fj: float
    internal_fj: float
    leakage_fj: float
    input_switching_fj: float
    groups: dict
    per_module: dict
    toggles_per_vector: float
    workload_text: str
    seed: int
    liberty: str
    liberty_path: str
    voltage_v: float
    period_ns: float
    slew_ns: float | None  # None: slews propagated (OpenSTA's way)
    wire_load: str
    sim: str
    area_um2: float
    area_ge: float
    cells: int
    unannotated_nets: int
    checked_results: int
    seconds: float
    limits: list
    cached: bool = False

    def to_dict(self) -> dict:
        return dict(self.__dict__)


WEIGHT_CHOICES = ("encoding", "fibbinary")


def cim_workload(model, vectors: int, input_zero: float, seed: int,
                 weights: str = "encoding"):
    """Inputs ``(vectors, rows)``, weights ``(rows, cols)`` and a one-line description."""
    from sim_models.cim import codebook

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


def _simulate(sim: str, build_dir: Path, run_dir: Path, job: dict, vcd: Path,
              repro: str) -> dict:
    from verif.sim import run_job, vcd_runner

    from .ocu_energy import WRAPPER

    vcd.parent.mkdir(parents=True, exist_ok=True)
    try:
        out = run_job(sim, "verif.cim.macro_cocotb", WRAPPER, build_dir, run_dir, job,
                      "gate-level simulation", repro, plusargs=[f"+dump={vcd.resolve()}"],
                      runner=vcd_runner(sim))
    except RuntimeError as e:
        raise EnergyError(str(e)) from None
    return out["sets"][0]


def _repro(inst: Instance, input_zero, vectors, seed, sim, liberty, weights) -> str:
    return " ".join(shlex.quote(x) for x in [
        "edgeforge", "energy", inst.design.name, *inst.cli_params(),
        *(["--cim-weights", weights] if weights != "encoding" else []),
        "--input-zero", f"{input_zero:g}", *(["--liberty", str(liberty)] if liberty else []),
        "--vectors", str(vectors), "--seed", str(seed), "--sim", sim])


def cim_energy(inst: Instance, *, input_zero: float = 0.0, weights: str = "encoding",
               liberty: str | os.PathLike | None = None, vectors: int = DEFAULT_VECTORS,
               seed: int = 1, sim: str | None = None, wire_load: str = "default",
               slew: float | None = None, build_root: str | os.PathLike = BUILD_ROOT,
               cache_dir: str | os.PathLike | None = CACHE,
               progress: Callable[[str], None] | None = None) -> CIMEnergyResult:
    """Synthesise, simulate at gate level and estimate the energy per MAC of a CIM macro.

    Parameters
    ----------
    inst
        A ``cim_macro`` design point (:func:`gen.flow.design.instantiate`).
    input_zero
        Probability that an input is 0, 0 to 1.
    weights
        ``"encoding"``: weights uniform over the encoding's levels; ``"fibbinary"``: over the
        fibbinary codebook whatever the encoding.
    vectors
        Vectors measured, 8 to :data:`MAX_VECTORS`, after :data:`WARM_VECTORS` warm-up ones.
    liberty, seed, sim, wire_load, slew, build_root, cache_dir, progress
        As for :func:`gen.ocu_energy.ocu_energy`.

    Raises
    ------
    ValueError
        Not a CIM design, or a bad option (before anything is written).
    EnergyError
        The netlist disagrees with the golden model, the vectors did not stream back to back,
        the energy came out as zero, or a step failed.
    """
    from gen.eda import activity as act
    from gen.eda import power
    from verif import sim as sim_mod
    from verif.cim.macro import VectorSet, job
    from verif.cim.macro_cocotb import PERIOD_NS

    from .ocu_energy import WRAPPER, _build, prepare_bench

    if inst.design.name != "cim_macro":
        raise ValueError(f"Design {inst.design.name} is not a CIM macro; the CIM energy flow "
                         "takes cim_macro")
    if isinstance(input_zero, bool) or not isinstance(input_zero, (int, float)) \
            or not 0.0 <= float(input_zero) <= 1.0:
        raise ValueError(f"Input zero probability must be a number between 0 and 1, not "
                         f"{input_zero!r}")
    input_zero = float(input_zero)
    if weights not in WEIGHT_CHOICES:
        raise ValueError(f"Weights must be 'encoding' or 'fibbinary', not {weights!r}")
    if isinstance(vectors, bool) or not isinstance(vectors, int) \
            or not 8 <= vectors <= MAX_VECTORS:
        raise ValueError(f"Vectors must be an integer between 8 and {MAX_VECTORS}, not "
                         f"{vectors!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"Seed must be a non-negative integer, not {seed!r}")
    comp, model = inst.component, inst.model
    total = WARM_VECTORS + vectors
    x, w, wtext = cim_workload(model, total, input_zero, seed, weights)
    lib_path, library = resolve_library(liberty, wire_load)
    simulator = sim_mod.prepare(sim)
    note = progress or (lambda text: None)
    t0 = time.perf_counter()

    bench = Path(__file__).resolve().parent.parent / "verif" / "cim" / "macro_cocotb.py"
    gl = prepare_bench(inst, liberty, library, lib_path, build_root, cache_dir, note, bench,
                       (_FLOW_VERSION, input_zero, vectors, seed, simulator, wire_load, slew,
                        *(() if weights == "encoding" else (weights,))))
    if (cached := gl.cached(CIMEnergyResult)) is not None:
        return cached
    sres, nl, models, root, netlist_path, wrapper = (gl.sres, gl.netlist, gl.models, gl.root,
                                                     gl.netlist_path, gl.wrapper)

    repro = _repro(inst, input_zero, vectors, seed, simulator, liberty, weights)
    build_dir = (root / "cim_gate" / simulator).resolve()
    note(f"building the gate-level testbench ({simulator})")
    _build([netlist_path.resolve(), models.resolve(), wrapper.resolve()], simulator, build_dir)
    tag = f"z{input_zero:g}-s{seed}-n{vectors}" + ("" if weights == "encoding" else "-wfib")
    vcd = root / "activity" / f"cim-{tag}.vcd"
    note(f"gate-level simulation ({simulator}, {total} vectors x {comp.cycles} cycles)")
    vset = VectorSet("energy", w, x)
    obs = _simulate(simulator, build_dir, build_dir / tag, job(comp, [vset], readback=False),
                    vcd, repro)

    from verif.cim.macro import unpack

    o_shape = comp.output_shape
    got = np.array([unpack(p, o_shape.width, comp.cols, o_shape.signed)
                    for p in obs["results"]])
    exp = model(x, w)
    if got.shape != exp.shape or not (got == exp).all():
        bad = int((got != exp).any(axis=1).sum()) if got.shape == exp.shape else -1
        raise EnergyError(f"the gate-level netlist of {inst.module} ({netlist_path}) disagrees "
                          f"with the golden model ({bad} of {len(exp)} vectors differ, or the "
                          f"count is wrong: {len(got)}); reproduce: {repro}")
    acc = obs["accepted"]
    if len(acc) != total or set(np.diff(acc).tolist()) != {comp.cycles}:
        raise EnergyError(f"{inst.module}: the vectors were not accepted every {comp.cycles} "
                          "cycles; the energy window would be wrong")

    note("counting toggles")
    start = (obs["start_ns"] + (acc[WARM_VECTORS] + 1) * PERIOD_NS - PERIOD_NS / 2) * 1e-9
    end = start + vectors * comp.cycles * PERIOD_NS * 1e-9
    try:
        activity = act.read_activity(vcd, f"{WRAPPER}.dut", start=start, end=end)
        res = power.analyse(nl, library, activity, wire_load=wire_load, slew=slew)
    except (act.ActivityError, power.PowerError) as e:
        raise EnergyError(f"energy of {inst.module}: {e}") from None
    tot = res.total
    if not tot.total + res.input_switching > 0:
        raise EnergyError(f"energy of {inst.module} came out as zero: no toggles in {vcd}")
    groups, per_module = energy_breakdown(res, vectors)
    per_vector = _fj(tot.total + res.input_switching, vectors)
    macs = comp.rows * comp.cols
    per_mac = round(per_vector / macs, 6)
    result = CIMEnergyResult(
        module=inst.module, params=dict(inst.params), input_zero=input_zero, weights=weights,
        measured_zero_fraction=round(float(np.mean(x[WARM_VECTORS:] == 0)), 4),
        vectors=vectors, cycles_per_vector=comp.cycles, macs_per_vector=macs,
        energy_per_vector_fj=per_vector, energy_per_mac_fj=per_mac,
        tops_per_w=round(OPS_PER_MAC * 1000.0 / per_mac, 3),
        switching_fj=_fj(tot.switching + res.input_switching, vectors),
        internal_fj=_fj(tot.internal, vectors), leakage_fj=_fj(tot.leakage, vectors),
        input_switching_fj=_fj(res.input_switching, vectors), groups=groups,
        per_module=per_module, toggles_per_vector=round(res.toggles / vectors, 3),
        workload_text=wtext, seed=seed, liberty=sres.liberty, liberty_path=str(lib_path),
        voltage_v=library.voltage, period_ns=float(PERIOD_NS),
        slew_ns=None if res.slew is None else round(res.slew / 1e-9, 6),
        wire_load=res.wire_load, sim=simulator,
        area_um2=sres.area_um2, area_ge=sres.area_ge, cells=res.cells,
        unannotated_nets=res.nets - res.annotated, checked_results=len(exp),
        seconds=round(time.perf_counter() - t0, 3), limits=list(res.limits))
    gl.store(result.to_dict())
    return result
