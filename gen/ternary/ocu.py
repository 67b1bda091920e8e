"""Energy per MAC of an output-channel unit (ternary or binary) from gate-level simulation.

The multiplier flow of :mod:`gen.energy`, applied to the ``ternary_ocu`` and ``binary_ocu``
design points with the OCU's own testbench instead of the vector harness:

1. synthesise and read the netlist back, write the cell models
   (:func:`gen.energy.prepare_gate_level`);
2. simulate the netlist with the cocotb driver and monitor of :mod:`verif.ternary.ocu_cocotb`
   (weights and thresholds loaded through ``w_stream``/``th_stream``, then the windows streamed
   back to back, one per clock), inside a thin Verilog wrapper whose only job is to dump the
   value changes of the netlist instance (``+dump=<file>``); every result is compared with the
   golden model (:class:`verif.ternary.ocu.OCUModel` / ``BinaryOCUModel``) and any mismatch
   fails the run with a repro command;
3. count toggles (:mod:`gen.eda.activity`) only while windows stream back to back, after the
   weight and threshold loads and after the pipeline has filled (the first ``latency + 1``
   windows, rounded up to whole pool groups, are a warm-up), and turn them into energy
   (:mod:`gen.eda.power`).

Units and conventions: one window is ``k * k * n_i`` multiply-accumulates (MACs); one MAC is
**two operations** (a multiply and an add), the convention of CUTIE's and most accelerators'
TOPS/W figures. Energy per window is the energy of the measured stretch divided by its windows;
energy per MAC is that over ``k * k * n_i``, energy per operation half of it. Leakage is counted
at the testbench clock (10 ns per window).

Workload: for the ternary unit every trit of every window and of the weights is 0 with
probability ``density`` (the *zero density*, 0 to 1) and otherwise +1 or -1 with equal
probability; the thresholds ``lo <= hi`` are drawn uniformly from ``[-B/4, B/4]`` with ``B``
the largest possible sum. The binary unit's operands are bits (+1/-1, never 0), so the zero
density does not apply to it: it is measured on uniform random bits and a uniform threshold in
the same range. Every draw comes from one fixed, reported seed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gen.eda import files
from gen.flow.design import Instance

from .energy import (
    EnergyError,
    _digest,
    _fj,
    energy_breakdown,
    prepare_gate_level,
    resolve_library,
)

__all__ = ["OCU_DESIGNS", "OCUEnergyResult", "ocu_energy", "ocu_workload", "OPS_PER_MAC",
           "DEFAULT_WINDOWS", "MAX_WINDOWS", "BUILD_ROOT", "CACHE"]

BUILD_ROOT = Path("build") / "energy"
CACHE = Path("build") / "cache" / "energy"
_FLOW_VERSION = "ocu-2"
#: Designs this flow measures.
OCU_DESIGNS = ("ternary_ocu", "binary_ocu")
#: Operations per multiply-accumulate (a multiply and an add), as in TOPS/W figures.
OPS_PER_MAC = 2
DEFAULT_WINDOWS = 200
DEFAULT_DENSITY = 0.5
MAX_WINDOWS = 8192
WRAPPER = "ef_ocu_dump"
_TRIT_CODE = np.array([0b11, 0b00, 0b01])  # trit + 1 -> 2-bit code


@dataclass
class OCUEnergyResult:
    """Energy of one OCU design point on one workload (energies in fJ per window unless named).

    ``energy_per_mac_fj`` and ``energy_per_op_fj`` divide ``energy_per_window_fj`` by the MACs
    of a window and by ``OPS_PER_MAC`` times that; ``density`` is None for the binary unit.
    """

    module: str
    design: str
    params: dict
    density: float | None
    measured_zero_fraction: dict
    windows: int
    macs_per_window: int
    ops_per_mac: int
    energy_per_window_fj: float
    energy_per_mac_fj: float
    energy_per_op_fj: float
    switching_fj: float
    internal_fj: float
    leakage_fj: float
    input_switching_fj: float
    groups: dict
    per_module: dict
    toggles_per_window: float
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


# -------------------------------------------------------------------------------------------
# workload


def _check_density(inst: Instance, density: float | None) -> float | None:
    if inst.design.name == "binary_ocu":
        if density is not None:
            raise ValueError(
                f"Density does not apply to binary_ocu (its operands are +1/-1 bits, never 0; "
                f"it is measured on uniform random bits), not {density!r}")
        return None
    if density is None:
        return DEFAULT_DENSITY
    if isinstance(density, bool) or not isinstance(density, (int, float)) \
            or not 0.0 <= float(density) <= 1.0:
        raise ValueError(f"Density must be a number between 0 and 1 (the probability that a "
                         f"trit is 0), not {density!r}")
    return float(density)


def _trits(rng: np.random.Generator, shape: tuple, density: float) -> np.ndarray:
    """Trits that are 0 with probability ``density``, else +1/-1 with equal probability."""
    sign = 2 * rng.integers(0, 2, size=shape) - 1
    return np.where(rng.random(shape) < density, 0, sign)


def ocu_workload(inst: Instance, windows: int, density: float | None,
                 seed: int) -> tuple[np.ndarray, np.ndarray, dict, str]:
    """Windows, weights, thresholds and a one-line description for one measurement.

    Parameters
    ----------
    inst
        A ``ternary_ocu`` or ``binary_ocu`` design point.
    windows
        Windows to draw.
    density
        Zero density of the ternary trits (0 to 1); None for the binary unit.
    seed
        Seed of every draw.

    Returns
    -------
    tuple
        ``(windows, weights, thresholds, text)``: element codes of shape ``(windows, k, k,
        n_i)`` and ``(k, k, n_i)`` (2-bit trit codes, or bits with 1 = +1), the threshold
        fields by name (``lo``/``hi`` or ``th``).
    """
    comp = inst.component
    k, n_i = comp.k, comp.n_i
    rng = np.random.default_rng(seed)
    bound = comp.n_products * (comp.windows_per_result if comp.pooling == "sum" else 1)
    q = bound // 4
    if density is None:
        w = rng.integers(0, 2, size=(k, k, n_i))
        x = rng.integers(0, 2, size=(windows, k, k, n_i))
        th = {"th": int(rng.integers(-q, q, endpoint=True))}
        text = (f"uniform random bits (+1/-1; a zero density does not apply to binary "
                f"operands), threshold uniform in [{-q}, {q}], seed {seed}")
        return x, w, th, text
    w = _TRIT_CODE[_trits(rng, (k, k, n_i), density) + 1]
    x = _TRIT_CODE[_trits(rng, (windows, k, k, n_i), density) + 1]
    lo, hi = sorted(int(v) for v in rng.integers(-q, q, size=2, endpoint=True))
    text = (f"trits of windows and weights 0 with probability {density:g}, else +1/-1 "
            f"equiprobable; thresholds lo <= hi uniform in [{-q}, {q}]; seed {seed}")
    return x, w, {"lo": lo, "hi": hi}, text


# -------------------------------------------------------------------------------------------
# testbench job and results


def _pack(codes, bits: int) -> int:
    word = 0
    for i, c in enumerate(np.asarray(codes).reshape(-1)):
        word |= int(c) << (bits * i)
    return word


def _job(comp, x: np.ndarray, w: np.ndarray, th: dict) -> dict:
    """The job of :mod:`verif.ternary.ocu_cocotb` for one set (packed payloads)."""
    bits = comp.word_layout.size // comp.n_i
    wl = comp.weight_write_layout
    words = [(_pack(word, bits) << wl["word"].offset) | (addr << wl["addr"].offset)
             for addr, word in enumerate(w.reshape(comp.n_words, -1))]
    thl = comp.threshold_layout
    thresholds = 0
    for name, value in th.items():
        f = thl[name]
        thresholds |= (value & ((1 << f.width) - 1)) << f.offset
    return {"sets": [{"name": "energy", "weights": words, "thresholds": thresholds,
                      "windows": [_pack(win, bits) for win in x], "ready": [],
                      "results": len(x) // comp.windows_per_result}]}


def _unpack(comp, raw: int) -> dict:
    from amaranth.hdl import Shape

    out = {}
    for name, f in comp.result_layout:
        v = raw >> f.offset & ((1 << f.width) - 1)
        if Shape.cast(f.shape).signed and v >> (f.width - 1) & 1:
            v -= 1 << f.width
        out[name] = v
    return out


# -------------------------------------------------------------------------------------------
# wrapper, build and run

_PORT = re.compile(r"^\s*(input|output)\s+(?:\[(\d+):(\d+)\]\s*)?([A-Za-z_][A-Za-z0-9_$]*)\s*;",
                   re.M)


def _ports(netlist_text: str, top: str) -> list[tuple[str, int, str]]:
    m = re.search(rf"^module\s+{re.escape(top)}\s*\(.*?^endmodule", netlist_text, re.M | re.S)
    if m is None:
        raise EnergyError(f"module {top} not found in its netlist")
    ports = [(d, abs(int(hi) - int(lo)) + 1 if hi else 1, name)
             for d, hi, lo, name in _PORT.findall(m.group(0))]
    if not ports:
        raise EnergyError(f"module {top} of the netlist declares no ports")
    return ports


def wrapper_verilog(netlist_text: str, top: str) -> str:
    """A module ``ef_ocu_dump`` with the ports of ``top`` around one instance ``dut`` of it.

    With ``+dump=<file>`` it dumps every net of ``dut`` to a VCD file; otherwise it is a wire.
    """
    from verif.harness import dump_wrapper

    ports = [{"name": name, "direction": "in" if d == "input" else "out", "width": n}
             for d, n, name in _ports(netlist_text, top)]
    return dump_wrapper(ports, top, WRAPPER)


def _build(sources: list[Path], sim: str, build_dir: Path) -> None:
    from cocotb_tools.runner import get_runner

    from verif.sim import VERILATOR_WAIVERS, verilator_makeflags

    # Verilator: --trace (waves=True) makes the model dump and cocotb call traceEverOn();
    # gate-level nets named _NNN_ are traced only with --trace-underscore
    args = [*VERILATOR_WAIVERS, "--trace-underscore"] if sim == "verilator" else []
    digest = hashlib.sha256()
    for s in sources:
        digest.update(s.read_bytes())
    digest.update(repr((sim, args)).encode())
    stamp = build_dir / "build.stamp"
    if files.stamp_current(stamp, digest.hexdigest()):
        return
    build_dir.mkdir(parents=True, exist_ok=True)
    with verilator_makeflags(sim):
        try:
            get_runner(sim).build(
                sources=sources, hdl_toplevel=WRAPPER, build_dir=build_dir, build_args=args,
                always=True, waves=sim == "verilator", timescale=("1ns", "1ps"),
                log_file=build_dir / "build.log")
        except (SystemExit, subprocess.CalledProcessError) as e:
            raise EnergyError(f"building the gate-level testbench for {sim} failed ({e}); see "
                              f"{build_dir / 'build.log'}") from None
    files.atomic_write(stamp, digest.hexdigest())


def _simulate(sim: str, build_dir: Path, run_dir: Path, job: dict, vcd: Path,
              repro: str) -> dict:
    from verif.sim import run_job, vcd_runner

    vcd.parent.mkdir(parents=True, exist_ok=True)
    try:
        out = run_job(sim, "verif.ternary.ocu_cocotb", WRAPPER, build_dir, run_dir, job,
                      "gate-level simulation", repro, plusargs=[f"+dump={vcd.resolve()}"],
                      runner=vcd_runner(sim))
    except RuntimeError as e:
        raise EnergyError(str(e)) from None
    return out["sets"][0]


def _repro(inst: Instance, density, windows, seed, sim, liberty) -> str:
    return " ".join(shlex.quote(x) for x in [
        "edgeforge", "energy", inst.design.name, *inst.cli_params(),
        *(["--density", f"{density:g}"] if density is not None else []),
        *(["--liberty", str(liberty)] if liberty else []),
        "--windows", str(windows), "--seed", str(seed), "--sim", sim])


@dataclass
class GateLevelBench:
    """A synthesised design point ready for a gate-level cocotb run, and its result cache.

    ``cached_data`` is the cached result (a dict, ``cached`` set) when one exists for the same
    netlist, cell models, library, wrapper, testbench and options; :meth:`store` writes one.
    """

    sres: object
    netlist: object
    models: Path
    root: Path
    netlist_path: Path
    wrapper: Path
    cached_path: Path | None
    cached_data: dict | None

    def store(self, data: dict) -> None:
        """Write ``data`` as the cached result (atomically)."""
        if self.cached_path is None:
            return
        self.cached_path.parent.mkdir(parents=True, exist_ok=True)
        files.atomic_write(self.cached_path, json.dumps(data, indent=1) + "\n")

    def cached(self, cls):
        """``cls(**cached_data)``, or None when there is no cached result or it does not fit
        ``cls`` (an entry of another format: removed, so that it is recomputed)."""
        if self.cached_data is None:
            return None
        try:
            return cls(**self.cached_data)
        except TypeError:
            self.cached_path.unlink(missing_ok=True)
            return None


def prepare_bench(inst: Instance, liberty, library, lib_path, build_root, cache_dir,
                  note: Callable[[str], None], bench: Path, options: tuple) -> GateLevelBench:
    """Synthesise ``inst`` (:func:`gen.energy.prepare_gate_level`), write the dump wrapper
    (:func:`wrapper_verilog`) and look up the cached result of this bench and ``options``."""
    sres, nl, models, root = prepare_gate_level(inst, liberty, library, lib_path, build_root,
                                                cache_dir, note)
    netlist_path = Path(sres.netlist)
    wrapper = root / f"{WRAPPER}.v"
    text = wrapper_verilog(netlist_path.read_text(), inst.module)
    if not wrapper.exists() or wrapper.read_text() != text:
        files.atomic_write(wrapper, text)
    key = hashlib.sha256()
    for part in (netlist_path.read_bytes(), models.read_bytes(), _digest(Path(lib_path)), text,
                 bench.read_bytes(), repr((*options, inst.module))):
        key.update(part if isinstance(part, bytes) else str(part).encode())
        key.update(b"\0")
    cached = Path(cache_dir) / f"{key.hexdigest()[:24]}.json" if cache_dir is not None else None
    data = None
    data = files.read_cache_json(cached)  # None: absent, or damaged and removed
    if data is not None:
        data.update(cached=True, liberty=sres.liberty, liberty_path=str(lib_path))
    return GateLevelBench(sres, nl, models, root, netlist_path, wrapper, cached, data)


# -------------------------------------------------------------------------------------------
# the flow


def ocu_energy(inst: Instance, *, density: float | None = None,
               liberty: str | os.PathLike | None = None, windows: int = DEFAULT_WINDOWS,
               seed: int = 1, sim: str | None = None, wire_load: str = "default",
               slew: float | None = None, build_root: str | os.PathLike = BUILD_ROOT,
               cache_dir: str | os.PathLike | None = CACHE,
               progress: Callable[[str], None] | None = None) -> OCUEnergyResult:
    """Synthesise, simulate at gate level and estimate the energy per MAC of an OCU.

    Parameters
    ----------
    inst
        A ``ternary_ocu`` or ``binary_ocu`` design point (:func:`gen.flow.design.instantiate`).
    density
        Ternary unit: probability that a trit (of windows and weights) is 0, 0 to 1; None means
        0.5. Binary unit: must be None (its operands are bits; measured on uniform bits).
    liberty
        Liberty file; None chooses as :func:`gen.eda.synth.resolve_liberty` does.
    windows
        Windows measured (16 to 8192; rounded up to whole pool groups), streamed back to back
        after a warm-up of ``latency + 1`` windows.
    seed
        Seed of the workload.
    sim
        ``"icarus"`` or ``"verilator"`` (default ``$SIM``, else Icarus when installed).
    wire_load, slew
        See :func:`gen.eda.power.analyse`.
    build_root
        Build files under ``build_root/<module>/``.
    cache_dir
        Results are cached here by the content of everything they depend on; None: recompute
        everything, synthesis included.
    progress
        Called with a short text before each step.

    Returns
    -------
    OCUEnergyResult

    Raises
    ------
    ValueError
        Not an OCU design, bad density, windows, seed or options (before anything is written).
    EnergyError
        The gate-level netlist disagrees with the golden model, the windows did not stream one
        per clock, the energy came out as zero, or a step failed.
    """
    from gen.eda import activity as act
    from gen.eda import power
    from verif import sim as sim_mod

    if inst.design.name not in OCU_DESIGNS:
        raise ValueError(f"Design {inst.design.name} is not an output-channel unit; the OCU "
                         f"energy flow takes {' or '.join(OCU_DESIGNS)}")
    density = _check_density(inst, density)
    if isinstance(windows, bool) or not isinstance(windows, int) \
            or not 16 <= windows <= MAX_WINDOWS:
        raise ValueError(f"Windows must be an integer between 16 and {MAX_WINDOWS}, not "
                         f"{windows!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"Seed must be a non-negative integer, not {seed!r}")
    comp = inst.component
    wpr = comp.windows_per_result
    measured = -(-windows // wpr) * wpr
    warm = -(-(comp.latency + 1) // wpr) * wpr
    total = warm + measured
    macs = comp.n_products
    x, w, th, wtext = ocu_workload(inst, total, density, seed)
    lib_path, library = resolve_library(liberty, wire_load)
    simulator = sim_mod.prepare(sim)
    note = progress or (lambda text: None)
    t0 = time.perf_counter()

    bench = Path(__file__).resolve().parent.parent / "verif" / "ternary" / "ocu_cocotb.py"
    gl = prepare_bench(inst, liberty, library, lib_path, build_root, cache_dir, note, bench,
                       (_FLOW_VERSION, density, measured, seed, simulator, wire_load, slew))
    if (cached := gl.cached(OCUEnergyResult)) is not None:
        return cached
    sres, nl, models, root, netlist_path, wrapper = (gl.sres, gl.netlist, gl.models, gl.root,
                                                     gl.netlist_path, gl.wrapper)

    repro = _repro(inst, density, windows, seed, simulator, liberty)
    build_dir = (root / "ocu_gate" / simulator).resolve()
    note(f"building the gate-level testbench ({simulator})")
    _build([netlist_path.resolve(), models.resolve(), wrapper.resolve()], simulator, build_dir)
    tag = f"d{density:g}" if density is not None else "bits"
    tag += f"-s{seed}-n{measured}"
    vcd = root / "activity" / f"ocu-{tag}.vcd"
    note(f"gate-level simulation ({simulator}, {total} windows)")
    obs = _simulate(simulator, build_dir, build_dir / tag, _job(comp, x, w, th), vcd, repro)

    # every result against the golden model
    exp = inst.model(x, w, **th)
    got = [_unpack(comp, raw) for raw in obs["results"]]
    n_exp = len(exp["sum"])
    if len(got) != n_exp:
        raise EnergyError(f"the gate-level netlist of {inst.module} gave {len(got)} results, "
                          f"expected {n_exp}; reproduce: {repro}")
    bad = [i for i, g in enumerate(got) if any(g[f] != int(exp[f][i]) for f in exp)]
    if bad:
        i = bad[0]
        raise EnergyError(
            f"the gate-level netlist of {inst.module} ({netlist_path}) disagrees with the "
            f"golden model on {len(bad)} of {n_exp} results; first: result {i} (windows "
            f"{i * wpr}..{(i + 1) * wpr - 1}), expected "
            f"{ {f: int(exp[f][i]) for f in exp} }, got {got[i]}; reproduce: {repro}")
    acc = obs["accepted"]
    if len(acc) != total or acc[-1] - acc[0] != total - 1:
        raise EnergyError(f"{inst.module}: the {total} windows took {acc[-1] - acc[0] + 1} "
                          f"cycles, not one per clock; the energy window would be wrong")

    note("counting toggles")
    from verif.ternary.ocu_cocotb import PERIOD_NS

    # window i is applied at start + acc[i] * P and taken at the edge one period later; the
    # stretch from half a period before window `warm` is applied covers `measured` periods in
    # which the pipeline holds only workload windows
    start = (obs["start_ns"] + acc[warm] * PERIOD_NS - PERIOD_NS / 2) * 1e-9
    end = start + measured * PERIOD_NS * 1e-9
    try:
        activity = act.read_activity(vcd, f"{WRAPPER}.dut", start=start, end=end)
        res = power.analyse(nl, library, activity, wire_load=wire_load, slew=slew)
    except (act.ActivityError, power.PowerError) as e:
        raise EnergyError(f"energy of {inst.module}: {e}") from None
    tot = res.total
    if not tot.total + res.input_switching > 0:
        raise EnergyError(f"energy of {inst.module} came out as zero: no toggles in {vcd} "
                          "(the netlist did not switch?)")
    groups, per_module = energy_breakdown(res, measured)
    per_window = _fj(tot.total + res.input_switching, measured)
    xs = x[warm:]
    if density is None:
        zeros = {"windows": 0.0, "weights": 0.0}
    else:
        zeros = {"windows": round(float(np.mean(xs == 0)), 4),
                 "weights": round(float(np.mean(w == 0)), 4)}
    result = OCUEnergyResult(
        module=inst.module, design=inst.design.name, params=dict(inst.params),
        density=density, measured_zero_fraction=zeros, windows=measured,
        macs_per_window=macs, ops_per_mac=OPS_PER_MAC, energy_per_window_fj=per_window,
        energy_per_mac_fj=round(per_window / macs, 6),
        energy_per_op_fj=round(per_window / macs / OPS_PER_MAC, 6),
        switching_fj=_fj(tot.switching + res.input_switching, measured),
        internal_fj=_fj(tot.internal, measured), leakage_fj=_fj(tot.leakage, measured),
        input_switching_fj=_fj(res.input_switching, measured), groups=groups,
        per_module=per_module, toggles_per_window=round(res.toggles / measured, 3),
        workload_text=wtext, seed=seed, liberty=sres.liberty, liberty_path=str(lib_path),
        voltage_v=library.voltage, period_ns=float(PERIOD_NS),
        slew_ns=None if res.slew is None else round(res.slew / 1e-9, 6),
        wire_load=res.wire_load, sim=simulator,
        area_um2=sres.area_um2, area_ge=sres.area_ge, cells=res.cells,
        unannotated_nets=res.nets - res.annotated, checked_results=n_exp,
        seconds=round(time.perf_counter() - t0, 3), limits=list(res.limits))
    gl.store(result.to_dict())
    return result
