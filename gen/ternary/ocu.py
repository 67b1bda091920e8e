"""Energy per MAC of an output-channel unit (ternary or binary) from gate-level simulation.

The flow's gate-level bench (:mod:`gen.flow.bench`) with the OCU's own testbench,
:class:`OCUStimulus`:

1. synthesise and read the netlist back, write the cell models and the dump wrapper
   (:func:`gen.flow.bench.prepare`);
2. simulate the netlist with the cocotb driver and monitor of :mod:`verif.ternary.ocu_cocotb`
   (weights and thresholds loaded through ``w_stream``/``th_stream``, then the windows streamed
   back to back, one per clock), inside the wrapper that dumps the value changes of the netlist
   instance (``+dump=<file>``); every result is compared with the golden model
   (:class:`sim_models.ternary.ocu.OCUModel` / ``BinaryOCUModel``) and any mismatch fails the
   run with a repro command;
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

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from amaranth.hdl import Shape

from gen.flow.bench import (
    BUILD_ROOT,
    CACHE,
    BenchOptions,
    EnergyError,
    Measurement,
    Stimulus,
    check_count,
    check_seed,
    measure,
    repro,
)
from gen.flow.design import Instance
from gen.flow.record import EnergyRecord
from verif.stream import PERIOD_NS

__all__ = ["OCU_DESIGNS", "OCUStimulus", "ocu_energy", "measure_ocu", "check_ocu",
           "ocu_workload", "trits", "OPS_PER_MAC", "DEFAULT_WINDOWS", "DEFAULT_DENSITY",
           "MAX_WINDOWS", "BUILD_ROOT", "CACHE", "EnergyError"]

_FLOW_VERSION = "ocu-3"
#: Designs this flow measures.
OCU_DESIGNS = ("ternary_ocu", "binary_ocu")
#: Operations per multiply-accumulate (a multiply and an add), as in TOPS/W figures.
OPS_PER_MAC = 2
DEFAULT_WINDOWS = 200
DEFAULT_DENSITY = 0.5
MAX_WINDOWS = 8192
_TRIT_CODE = np.array([0b11, 0b00, 0b01])  # trit + 1 -> 2-bit code


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


def trits(rng: np.random.Generator, shape: tuple, density: float) -> np.ndarray:
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
    w = _TRIT_CODE[trits(rng, (k, k, n_i), density) + 1]
    x = _TRIT_CODE[trits(rng, (windows, k, k, n_i), density) + 1]
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
    out = {}
    for name, f in comp.result_layout:
        v = raw >> f.offset & ((1 << f.width) - 1)
        if Shape.cast(f.shape).signed and v >> (f.width - 1) & 1:
            v -= 1 << f.width
        out[name] = v
    return out


# -------------------------------------------------------------------------------------------
# the measurement


class OCUStimulus(Stimulus):
    """One OCU measurement on the gate-level bench (:mod:`gen.flow.bench`).

    Parameters
    ----------
    inst
        A ``ternary_ocu`` or ``binary_ocu`` design point.
    density
        Zero density of the ternary trits (checked); None for the binary unit.
    windows
        Windows asked for (checked); rounded up to whole pool groups, after a warm-up of
        ``latency + 1`` windows (also whole pool groups).
    seed
        Seed of the workload.
    repro
        The command that repeats the measurement.
    """

    test_module = "verif.ternary.ocu_cocotb"

    def __init__(self, inst: Instance, density: float | None, windows: int, seed: int,
                 repro: str):
        comp = inst.component
        wpr = comp.windows_per_result
        self.inst, self.density, self.seed = inst, density, seed
        self.measured = -(-windows // wpr) * wpr
        self.warm = -(-(comp.latency + 1) // wpr) * wpr
        self.total = self.warm + self.measured
        self.x, self.w, self.th, self.workload_text = ocu_workload(inst, self.total, density,
                                                                   seed)
        tag = f"d{density:g}" if density is not None else "bits"
        self.tag = f"ocu-{tag}-s{seed}-n{self.measured}"
        self.key = (_FLOW_VERSION, density, self.measured, seed)
        self.repro = repro
        self.netlist_path: Path | None = None

    def job(self) -> dict:
        return _job(self.inst.component, self.x, self.w, self.th)

    def simulate(self, gl, options: BenchOptions, vcd: Path) -> tuple[dict, str]:
        self.netlist_path = gl.netlist_path  # named in a mismatch
        return super().simulate(gl, options, vcd)

    def check(self, obs: dict) -> int:
        """Every result against the golden model; the windows must stream one per clock."""
        inst, comp, obs = self.inst, self.inst.component, obs["sets"][0]
        wpr = comp.windows_per_result
        exp = inst.model(self.x, self.w, **self.th)
        got = [_unpack(comp, raw) for raw in obs["results"]]
        n_exp = len(exp["sum"])
        if len(got) != n_exp:
            raise EnergyError(f"the gate-level netlist of {inst.module} gave {len(got)} "
                              f"results, expected {n_exp}; reproduce: {self.repro}")
        bad = [i for i, g in enumerate(got) if any(g[f] != int(exp[f][i]) for f in exp)]
        if bad:
            i = bad[0]
            raise EnergyError(
                f"the gate-level netlist of {inst.module} ({self.netlist_path}) disagrees with "
                f"the golden model on {len(bad)} of {n_exp} results; first: result {i} "
                f"(windows {i * wpr}..{(i + 1) * wpr - 1}), expected "
                f"{ {f: int(exp[f][i]) for f in exp} }, got {got[i]}; reproduce: {self.repro}")
        acc, total = obs["accepted"], self.total
        if len(acc) != total or acc[-1] - acc[0] != total - 1:
            raise EnergyError(f"{inst.module}: the {total} windows took {acc[-1] - acc[0] + 1} "
                              f"cycles, not one per clock; the energy window would be wrong")
        return n_exp

    def window(self, obs: dict) -> tuple[float, float, int]:
        """From half a period before window ``warm`` is applied, ``measured`` periods in which
        the pipeline holds only workload windows (window i is applied at ``start + acc[i] *
        P`` and taken at the edge one period later)."""
        obs = obs["sets"][0]
        start = obs["start_ns"] + obs["accepted"][self.warm] * _period_ns() - _period_ns() / 2
        return start, start + self.measured * _period_ns(), self.measured

    def record(self, m: Measurement) -> dict:
        """The OCU's own fields of the record (listed in :func:`ocu_energy`)."""
        res, split, sres = m.power, m.split, m.gl.synth
        macs = self.inst.component.n_products
        per_window = split["total_fj"]
        if self.density is None:
            zeros = {"windows": 0.0, "weights": 0.0}
        else:
            zeros = {"windows": round(float(np.mean(self.x[self.warm:] == 0)), 4),
                     "weights": round(float(np.mean(self.w == 0)), 4)}
        return {
            "design": self.inst.design.name, "density": self.density,
            "measured_zero_fraction": zeros, "windows": self.measured,
            "macs_per_window": macs, "ops_per_mac": OPS_PER_MAC,
            "energy_per_window_fj": per_window,
            "energy_per_mac_fj": round(per_window / macs, 6),
            "energy_per_op_fj": round(per_window / macs / OPS_PER_MAC, 6),
            "per_module": split["per_module"],
            "toggles_per_window": round(res.toggles / self.measured, 3),
            "workload_text": self.workload_text, "seed": self.seed,
            "period_ns": float(_period_ns()),
            "slew_ns": None if res.slew is None else round(res.slew / 1e-9, 6),
            "area_um2": sres.area_um2, "area_ge": sres.area_ge, "checked_results": m.checked,
        }


def _period_ns() -> float:
    """The testbench's clock (the stream benches' clock, :data:`verif.stream.PERIOD_NS`)."""
    return PERIOD_NS


def check_ocu(inst: Instance, density: float | None, windows: int,
              seed: int) -> float | None:
    """Validate a measurement's options (module docstring); the density to use.

    Raises
    ------
    ValueError
        Not an OCU design, or a bad density, windows or seed.
    """
    if inst.design.name not in OCU_DESIGNS:
        raise ValueError(f"Design {inst.design.name} is not an output-channel unit; the OCU "
                         f"energy flow takes {' or '.join(OCU_DESIGNS)}")
    density = _check_density(inst, density)
    check_count("Windows", windows, 16, MAX_WINDOWS)
    check_seed(seed)
    return density


def measure_ocu(inst: Instance, density: float | None, windows: int, seed: int,
                options: BenchOptions) -> EnergyRecord:
    """:func:`ocu_energy` with checked options (:func:`check_ocu`) and the shared bench
    options."""
    liberty = options.liberty.given
    cmd = repro(inst, *(["--density", f"{density:g}"] if density is not None else []),
                *(["--liberty", str(liberty)] if liberty else []),
                "--windows", str(windows), "--seed", str(seed), "--sim", options.sim)
    return measure(inst, OCUStimulus(inst, density, windows, seed, cmd), options)


def ocu_energy(inst: Instance, *, density: float | None = None,
               liberty: str | os.PathLike | None = None, windows: int = DEFAULT_WINDOWS,
               seed: int = 1, sim: str | None = None, wire_load: str = "default",
               slew: float | None = None, build_root: str | os.PathLike = BUILD_ROOT,
               cache_dir: str | os.PathLike | None = CACHE,
               progress: Callable[[str], None] | None = None) -> EnergyRecord:
    """Synthesise, simulate at gate level and estimate the energy per MAC of an OCU.

    Parameters
    ----------
    inst
        A ``ternary_ocu`` or ``binary_ocu`` design point (:func:`gen.flow.family.instantiate`).
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
    EnergyRecord
        The common fields (energies in fJ per window) and, in ``extra``: ``design``,
        ``density`` (None for the binary unit), ``measured_zero_fraction``, ``windows``,
        ``macs_per_window``, ``ops_per_mac``, ``energy_per_window_fj``, ``energy_per_mac_fj``
        and ``energy_per_op_fj`` (per window over the MACs of a window and over
        :data:`OPS_PER_MAC` times that), ``per_module``, ``toggles_per_window``,
        ``workload_text``, ``slew_ns`` (None: slews propagated, OpenSTA's way), ``area_um2``,
        ``area_ge``, ``checked_results``.

    Raises
    ------
    ValueError
        Not an OCU design, bad density, windows, seed or options (before anything is written).
    EnergyError
        The gate-level netlist disagrees with the golden model, the windows did not stream one
        per clock, the energy came out as zero, or a step failed.
    """
    density = check_ocu(inst, density, windows, seed)
    options = BenchOptions.make(liberty=liberty, sim=sim, wire_load=wire_load, slew=slew,
                                build_root=build_root, cache_dir=cache_dir, progress=progress)
    return measure_ocu(inst, density, windows, seed, options)
