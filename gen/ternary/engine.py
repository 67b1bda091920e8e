"""Energy of the ternary engine from gate-level simulation: per MAC versus zero density, and per
classified image of the digits network.

The flow's gate-level bench (:mod:`gen.flow.bench`), applied to a ``ternary_engine`` design
point and to whole layers:

1. synthesise and read the netlist back, write the cell models and the dump wrapper
   (:func:`gen.flow.bench.prepare`); the engine's weight memory has no SRAM macro in the flow,
   so Yosys maps it to enable flip-flops (``weight_depth`` words of ``n_i`` packed trits) with
   their read multiplexer;
2. run an :class:`verif.ternary.engine.EnginePlan` on the netlist with the engine's cocotb
   testbench (:func:`verif.ternary.engine.run`, driver and monitor of
   :mod:`verif.ternary.engine_cocotb`), inside the wrapper that dumps the value changes of the
   netlist instance; every output pixel (trits and sums) is compared with the golden model
   (:meth:`~verif.ternary.engine.EnginePlan.check`) and any difference fails the run;
3. count toggles (:mod:`gen.eda.activity`) over stretches of the run taken from the testbench's
   per-layer timing, and turn them into energy (:mod:`gen.eda.power`,
   :meth:`gen.flow.bench.GateLevel.energy`).

Results are cached by content in the flow's one cache (:class:`gen.flow.cache.Cache`).

Two measurements:

* :func:`engine_energy`, the *sparsity sweep*: one layer of ``ch_in = n_i`` to ``ch_out = n_o``
  channels (``k`` x ``k``, SAME, stride 1, no pooling) over ``frames`` random frames of
  ``image_width`` x ``image_width`` pixels whose trits, like the weights', are 0 with
  probability ``density`` (else +1/-1 equiprobable). The energy is that of the stretch in which
  the frames stream: from the first pixel taken (after the weight fetch, which is measured
  separately) to the last output pixel taken. MACs are those the engine computes:
  ``windows * k * k * ch_in * ch_out`` (one window per output pixel); 1 MAC = 2 operations.
* :func:`network_energy` / :func:`digits_energy`, *energy per classified image*: the layers of a
  network (the trained digits network of :func:`gen.ternary.digits.train`) each run on all ``N``
  images, chained through the engine (a layer's input is the engine's own output of the layer
  before). The energy of a layer is its whole stretch, from setting its descriptor to taking
  its last output: threshold writes, the weight fetch from the weight memory into the OCUs
  (once per layer, for all ``N`` images) and the frames. The per-image energy is the sum over
  the layers divided by ``N``: the per-layer fetch is amortised over the ``N`` images of the
  batch. Loading the weight memory from outside (once for the network) is measured and
  reported separately and not included. Beside it, OCU-based estimates: the measured energy
  per window of one ternary OCU (at each layer's measured zero density) and of the binary
  (XNOR-popcount) OCU, times the OCU windows the network needs.

Leakage is counted at the testbench clock (10 ns per cycle).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gen.eda import activity as act
from gen.eda import power, synth
from gen.flow import bench
from gen.flow.bench import (
    BUILD_ROOT,
    CACHE,
    WRAPPER,
    BenchOptions,
    EnergyError,
    GateLevel,
    Stimulus,
    check_count,
    check_seed,
    energy_split,
    prepare,
)
from gen.flow.cache import content_key
from gen.flow.design import Instance
from gen.flow.family import instantiate
from gen.flow.record import EnergyRecord
from sim_models.ternary import TernaryLayer
from verif.ternary import engine as ve

from . import digits
from .ocu import ocu_energy, trits

__all__ = ["NetworkEnergyResult", "engine_energy", "sweep_energy", "network_energy",
           "digits_energy", "network_layers", "engine_area", "sweep_layer", "check_sweep",
           "ENGINE_DESIGN", "OPS_PER_MAC", "DEFAULT_FRAMES", "DEFAULT_DENSITY", "MAX_FRAMES",
           "DIGITS_ENGINE", "BUILD_ROOT", "CACHE", "EnergyError"]

_FLOW_VERSION = "engine-3"
ENGINE_DESIGN = "ternary_engine"
#: Operations per multiply-accumulate (a multiply and an add), as in TOPS/W figures.
OPS_PER_MAC = 2
DEFAULT_FRAMES = 4
DEFAULT_DENSITY = 0.5
MAX_FRAMES = 256
#: The engine configuration the digits network runs on (see :mod:`gen.ternary.digits`).
DIGITS_ENGINE = {"n_i": 16, "n_o": 16, "k": 3, "image_width": 8, "latency": 1,
                 "weight_layers": 3}

# -------------------------------------------------------------------------------------------
# results


@dataclass
class NetworkEnergyResult:
    """Energy of a network's layers run on an engine over ``images`` images (see module)."""

    module: str
    params: dict
    images: int
    layers: list
    total_fj: float
    per_image_fj: float
    weight_load_fj: float
    per_image_with_load_fj: float
    network_macs_per_image: int
    engine_macs_per_image: int
    energy_per_network_mac_fj: float
    predictions: list
    labels: list | None
    correct: int | None
    liberty: str
    liberty_path: str
    voltage_v: float
    period_ns: float
    slew_ns: float | None  # None: slews propagated (OpenSTA's way)
    wire_load: str
    sim: str
    area: dict
    checked_pixels: int
    seconds: float
    limits: list
    cached: bool = False

    def to_dict(self) -> dict:
        return dict(self.__dict__)


# -------------------------------------------------------------------------------------------
# checks and workload


def _check_engine(inst: Instance) -> None:
    if not isinstance(inst, Instance) or inst.design.name != ENGINE_DESIGN:
        name = inst.design.name if isinstance(inst, Instance) else type(inst).__name__
        raise ValueError(f"Design {name} is not the ternary engine; this flow takes "
                         f"{ENGINE_DESIGN}")


def _check_density(density) -> float:
    if density is None:
        return DEFAULT_DENSITY
    if isinstance(density, bool) or not isinstance(density, (int, float)) \
            or not 0.0 <= float(density) <= 1.0:
        raise ValueError(f"Density must be a number between 0 and 1 (the probability that a "
                         f"trit of the activations and weights is 0), not {density!r}")
    return float(density)


def check_sweep(inst: Instance, density: float | None, frames: int, seed: int) -> float:
    """Validate a sweep measurement's options (see :func:`engine_energy`); the density to use.

    Raises
    ------
    ValueError
        Not the engine, or a bad density, frames or seed.
    """
    _check_engine(inst)
    density = _check_density(density)
    check_count("Frames", frames, 1, MAX_FRAMES)
    check_seed(seed)
    return density


def sweep_layer(inst: Instance, density: float, frames: int, seed: int):
    """The layer and frames of one sweep measurement.

    Parameters
    ----------
    inst
        A ``ternary_engine`` design point.
    density
        Probability (0 to 1) that a trit of the weights and of the frames is 0.
    frames
        Frames of ``image_width`` x ``image_width`` pixels.
    seed
        Seed of every draw.

    Returns
    -------
    tuple
        ``(layer, images, text)``: a :class:`sim_models.ternary.TernaryLayer` of ``n_i`` to
        ``n_o`` channels (SAME, stride 1, thresholds ``lo <= hi`` uniform in ``[-B/4, B/4]``,
        ``B = k * k * n_i``), the frames ``(frames, W, W, n_i)`` and a one-line description.
    """
    p = inst.params
    n_i, n_o, k, w = p["n_i"], p["n_o"], p["k"], p["image_width"]
    rng = np.random.default_rng(seed)
    weights = trits(rng, (n_o, k, k, n_i), density)
    q = k * k * n_i // 4
    bounds = np.sort(rng.integers(-q, q, size=(n_o, 2), endpoint=True), axis=1)
    images = trits(rng, (frames, w, w, n_i), density)
    layer = TernaryLayer(weights, bounds[:, 0], bounds[:, 1], padding="same")
    text = (f"one {k}x{k} SAME layer {n_i} -> {n_o} channels on {frames} frames of {w}x{w} "
            f"pixels; trits of frames and weights 0 with probability {density:g}, else +1/-1 "
            f"equiprobable; thresholds lo <= hi uniform in [{-q}, {q}]; seed {seed}")
    return layer, images, text


# -------------------------------------------------------------------------------------------
# area


def _part_of(path: str) -> str:
    """The engine part an instance path (``ocu3/pop_pos``, ``linebuffer/...``, ``""``) is in."""
    head = path.split("/", 1)[0].split(".", 1)[0]
    if head.startswith("ocu") and head[3:].isdigit():
        return "OCUs"
    if head == "linebuffer":
        return "line buffer"
    if head in ("packer", "weight_unpack"):
        return "output packer, weight unpacker"
    return "weight memory, fetch, control"


def engine_area(sres, inst: Instance) -> dict:
    """Area of the engine by part, from the synthesis statistics
    (:class:`gen.eda.synth.SynthResult`).

    Returns ``{"total_um2", "total_ge", "sequential_um2", "weight_memory_bits",
    "parts": {part: um^2}}``; the parts are the OCUs (all ``n_o``), the line buffer (with its
    unpackers), the output packer and weight unpacker, and the engine's own logic: the weight
    memory (flip-flops), the fetch and the control.
    """
    top = inst.module
    parts: dict[str, float] = {}
    ocu = inst.component.ocu_module_name
    for name, d in sres.per_module.items():
        area = d["area_um2"] * d["instances"]
        if name == top:
            part = "weight memory, fetch, control"
        elif name == ocu or name.startswith(ocu + "."):
            part = "OCUs"
        elif name.startswith(top + "."):
            part = _part_of(name[len(top) + 1:])
        else:
            part = "other"
        parts[part] = parts.get(part, 0.0) + area
    depth = inst.component.weight_depth
    bits = depth * 8 * -(-inst.params["n_i"] // 5)
    return {"total_um2": round(sres.area_um2, 3), "total_ge": round(sres.area_ge, 3),
            "sequential_um2": round(sres.sequential_area_um2, 3), "weight_memory_words": depth,
            "weight_memory_bits": bits,
            "parts": {k: round(v, 3) for k, v in sorted(parts.items(), key=lambda x: -x[1])}}


# -------------------------------------------------------------------------------------------
# gate-level run of a plan


def _joules(res) -> float:
    return res.total.total + res.input_switching


def _parts_energy(res, n: int) -> dict:
    """Energy per unit (fJ) by engine part, input nets apart."""
    out: dict[str, float] = {}
    for path, bk in res.per_module.items():
        part = _part_of(path)
        out[part] = out.get(part, 0.0) + bk.total
    out["input nets"] = res.input_switching
    return {k: round(v / n * 1e15, 6) for k, v in out.items()}


class EngineBench(Stimulus):
    """A plan run on the engine's gate-level netlist (:func:`verif.ternary.engine.run`).

    The engine's testbench executes a whole :class:`~verif.ternary.engine.EnginePlan` (its own
    job, build and timing report), so :meth:`simulate` runs the plan and returns its
    :class:`~verif.ternary.engine.EngineReport`; :meth:`check` compares every output pixel
    with the golden model. The energy windows are taken by the caller from the report's
    per-layer timing (several per run).
    """

    test_module = "verif.ternary.engine_cocotb"

    def __init__(self, inst: Instance, plan, tag: str, key: tuple, repro: str):
        self.inst, self.plan, self.tag, self.key, self.repro = inst, plan, tag, key, repro
        self.netlist_path: Path | None = None

    def key_parts(self) -> tuple:
        """The key only: the plan is drawn from the options in it (there is no JSON job)."""
        return tuple(self.key)

    def bench_source(self) -> bytes:
        """The cocotb driver and monitor and the plan's module (job, timing, check)."""
        return super().bench_source() + b"".join(bench.module_sources(ve.__name__))

    def simulate(self, gl: GateLevel, options: BenchOptions, vcd: Path):
        self.netlist_path = gl.netlist_path
        options.note(f"gate-level simulation of the engine ({options.sim}, {self.tag})")
        try:
            report = ve.run(self.inst, self.plan, sim=options.sim, check=False,
                            repro=self.repro, sources=gl.sources, top=WRAPPER,
                            dump=vcd.resolve(),
                            build_dir=(gl.root / "engine_gate" / options.sim).resolve())
        except ve.EngineMismatch as e:
            raise self._mismatch(e) from None
        except RuntimeError as e:
            raise EnergyError(f"gate-level run of {self.inst.module}: {e}") from None
        return report, f"{WRAPPER}.dut"

    def check(self, obs) -> int:
        try:
            return self.plan.check(obs.outputs, self.repro)
        except ve.EngineMismatch as e:
            raise self._mismatch(e) from None

    def _mismatch(self, e: Exception) -> EnergyError:
        return EnergyError(f"the gate-level netlist of {self.inst.module} ({self.netlist_path}) "
                           f"disagrees with the golden model or broke the protocol: {e}")


@dataclass
class _Run:
    """A plan simulated at gate level: its timing and the energy of any stretch of it."""

    gl: GateLevel
    options: BenchOptions
    vcd: Path
    scope: str
    report: object  # verif.ternary.engine.EngineReport
    ch_out: list

    @property
    def period_ns(self) -> float:
        return self.report.period_ns

    def energy(self, start_ns: float, end_ns: float):
        """:class:`gen.eda.power.PowerResult` of the value changes in ``(start_ns, end_ns]``."""
        return self.gl.energy(self.vcd, self.scope, start_ns, end_ns, self.options)

    def first_pixel_ns(self, layer: int) -> float:
        """Start of the cycle in which the layer's first pixel is taken, i.e. the end of its
        weight fetch (``ch_out * k * k + 1`` cycles in which ``i_stream.ready`` is low).

        Read from the dump: over a short window from the first offer, ``i_stream.ready`` must
        rise exactly once (the fetch's end); the time it spends high fixes the edge.
        """
        module = self.gl.point.module
        start = self.report.layers[layer]["start_ns"]
        k = self.gl.point.params["k"]
        span = (self.ch_out[layer] * k * k + 4) * self.period_ns
        try:
            activity = act.read_activity(self.vcd, self.scope, start=start * 1e-9,
                                         end=(start + span) * 1e-9)
        except act.ActivityError as e:
            raise EnergyError(f"energy of {module}: {e}") from None
        key = ((), "i_stream__ready", None)
        rises = activity.bits.get(key)
        if rises != 1:
            raise EnergyError(
                f"{module}: i_stream.ready toggled {rises} times in the {span:g} ns after "
                f"layer {layer}'s first pixel was offered, expected one rise at the end of the "
                "weight fetch; cannot place the fetch")
        high_ns = activity.high[key] * activity.timescale * 1e9
        return round((start + span - high_ns) / self.period_ns) * self.period_ns


def _gate_level(inst: Instance, stim: EngineBench, options: BenchOptions,
                make: Callable[[dict], object]):
    """Synthesise, look the measurement up in the cache (:func:`gen.flow.bench.cached`, made
    by ``make``); on a miss run the plan (every output checked).
    ``(gl, key, cached result or None, _Run or None, checked pixels)``."""
    gl = prepare(inst, options)
    key = bench.cache_key(gl, stim, options)
    hit = bench.cached(gl, key, options, make)
    if hit is not None:
        return gl, key, hit, None, 0
    vcd = (gl.root / "activity" / f"engine-{stim.tag}.vcd").resolve()
    vcd.parent.mkdir(parents=True, exist_ok=True)
    report, scope = stim.simulate(gl, options, vcd)
    checked = stim.check(report)
    ch_out = [e.layer.out_channels for e in stim.plan.layers]
    return gl, key, None, _Run(gl, options, vcd, scope, report, ch_out), checked


# -------------------------------------------------------------------------------------------
# the sparsity sweep


def engine_energy(inst: Instance, *, density: float | None = None, frames: int = DEFAULT_FRAMES,
                  seed: int = 1, liberty: str | os.PathLike | None = None,
                  sim: str | None = None, wire_load: str = "default",
                  slew: float | None = None, build_root: str | os.PathLike = BUILD_ROOT,
                  cache_dir: str | os.PathLike | None = CACHE,
                  progress: Callable[[str], None] | None = None) -> EnergyRecord:
    """Energy per MAC and per output pixel of the engine on one random layer (module docstring).

    Parameters
    ----------
    inst
        A ``ternary_engine`` design point (:func:`gen.flow.family.instantiate`).
    density
        Probability that a trit of the frames and of the weights is 0, 0 to 1 (None: 0.5).
    frames
        Frames streamed (1 to 256), each ``image_width`` x ``image_width`` pixels.
    seed
        Seed of the workload.
    liberty
        Liberty file; None chooses as :func:`gen.eda.synth.resolve_liberty` does.
    sim
        ``"icarus"`` or ``"verilator"`` (default ``$SIM``, else Icarus when installed).
    wire_load, slew
        See :func:`gen.eda.power.analyse`.
    build_root
        Build files under ``build_root/<module>/``.
    cache_dir
        Results are cached here by content; None: recompute everything, synthesis included.
    progress
        Called with a short text before each step.

    Returns
    -------
    EnergyRecord
        See :func:`sweep_energy`.

    Raises
    ------
    ValueError
        Not the engine, bad density, frames, seed or options (before anything runs).
    EnergyError
        The gate-level netlist disagrees with the golden model, the energy came out as zero,
        or a step failed.
    """
    density = check_sweep(inst, density, frames, seed)
    options = BenchOptions.make(liberty=liberty, sim=sim, wire_load=wire_load, slew=slew,
                                build_root=build_root, cache_dir=cache_dir, progress=progress)
    return sweep_energy(inst, density, frames, seed, options)


def sweep_energy(inst: Instance, density: float, frames: int, seed: int,
                 options: BenchOptions) -> EnergyRecord:
    """:func:`engine_energy` with checked options (:func:`check_sweep`) and the shared bench
    options.

    Returns
    -------
    EnergyRecord
        Energies of the frames' stretch (weight fetch excluded): the common fields
        ``switching_fj``, ``internal_fj``, ``leakage_fj``, ``input_switching_fj`` are totals
        of that stretch (fJ), ``groups`` fJ per MAC by cell group. ``extra``: ``density``,
        ``measured_zero_fraction``, ``frames``, ``frame_shape``, ``channels``, ``windows``,
        ``output_pixels``, ``macs``, ``ops_per_mac``, ``cycles``, ``energy_fj``,
        ``energy_per_pixel_fj``, ``energy_per_mac_fj``, ``energy_per_op_fj``, ``fetch_fj``
        and ``fetch_cycles`` (the layer's weight fetch, weight memory into the OCUs, once per
        layer), ``parts`` (fJ per MAC by engine part), ``toggles_per_cycle``,
        ``workload_text``, ``slew_ns``, ``area`` (:func:`engine_area`), ``checked_pixels``.
    """
    t0 = time.perf_counter()
    layer, images, wtext = sweep_layer(inst, density, frames, seed)
    plan = ve.EnginePlan(ve.EngineConfig.of(inst.component), [layer], images, chain=False)
    liberty = options.liberty.given
    cmd = bench.repro(inst, "--density", f"{density:g}", "--frames", str(frames), "--seed",
                      str(seed), *(["--liberty", str(liberty)] if liberty else []))
    stim = EngineBench(inst, plan, f"d{density:g}-f{frames}-s{seed}",
                       (_FLOW_VERSION, "sweep", density, frames, seed), cmd)
    gl, key, hit, run, checked = _gate_level(inst, stim, options, EnergyRecord.from_dict)
    if hit is not None:
        return hit
    options.note("counting toggles")
    record = _sweep_record(run, layer, images, plan.outputs_per_layer[0], seed=seed,
                           workload={"density": density, "frames": frames,
                                     "workload_text": wtext, "checked_pixels": checked})
    record.seconds = round(time.perf_counter() - t0, 3)
    if not record.energy_per_mac_fj > 0:
        raise EnergyError(f"energy of {inst.module} came out as {record.energy_per_mac_fj} "
                          "fJ/MAC")
    options.cache.store(key, record.to_dict())
    return record


def _sweep_record(run: _Run, layer, images, pixels: int, *, seed: int,
                  workload: dict) -> EnergyRecord:
    """The sweep's energies from the run's timing (the frames' stretch and the fetch);
    ``workload`` adds ``density``, ``frames``, ``workload_text`` and ``checked_pixels``."""
    inst = run.gl.point
    t = run.report.layers[0]
    period = run.period_ns
    # the weight fetch (the OCUs' weight buffers loaded from the weight memory) starts when
    # the first pixel is offered and holds it back
    fetch_start, frames_start, end = t["start_ns"], run.first_pixel_ns(0), t["end_ns"]
    fetch = run.energy(fetch_start, frames_start)
    res = run.energy(frames_start, end)
    cycles = round((end - frames_start) / period)
    n_o, k, n_i = inst.params["n_o"], inst.params["k"], inst.params["n_i"]
    windows = pixels  # no pooling: one window per output pixel
    macs = windows * k * k * n_i * n_o
    total = _joules(res)
    groups = energy_split(res, macs)["groups"]
    extra = {
        "density": workload["density"],
        "measured_zero_fraction": {"activations": round(float(np.mean(images == 0)), 4),
                                   "weights": round(float(np.mean(layer.weights == 0)), 4)},
        "frames": workload["frames"], "frame_shape": list(images.shape[1:3]),
        "channels": {"in": n_i, "out": n_o}, "windows": windows, "output_pixels": pixels,
        "macs": macs, "ops_per_mac": OPS_PER_MAC, "cycles": cycles,
        "energy_fj": round(total * 1e15, 3),
        "energy_per_pixel_fj": round(total / pixels * 1e15, 6),
        "energy_per_mac_fj": round(total / macs * 1e15, 6),
        "energy_per_op_fj": round(total / macs / OPS_PER_MAC * 1e15, 6),
        "fetch_fj": round(_joules(fetch) * 1e15, 3),
        "fetch_cycles": round((frames_start - fetch_start) / period),
        "parts": _parts_energy(res, macs), "toggles_per_cycle": round(res.toggles / cycles, 3),
        "workload_text": workload["workload_text"],
        "slew_ns": None if res.slew is None else round(res.slew / 1e-9, 6),
        "area": engine_area(run.gl.synth, inst), "checked_pixels": workload["checked_pixels"],
    }
    lib = run.options.liberty
    return EnergyRecord(
        module=inst.module, params=dict(inst.params), seed=seed,
        switching_fj=round((res.total.switching + res.input_switching) * 1e15, 3),
        internal_fj=round(res.total.internal * 1e15, 3),
        leakage_fj=round(res.total.leakage * 1e15, 3),
        input_switching_fj=round(res.input_switching * 1e15, 3),
        groups={g: v["total_fj"] for g, v in groups.items()}, liberty=run.gl.synth.liberty,
        liberty_path=str(lib.path), voltage_v=lib.library.voltage, period_ns=float(period),
        wire_load=res.wire_load, sim=run.options.sim, cells=res.cells,
        unannotated_nets=res.nets - res.annotated, seconds=0.0,
        limits=_limits(run.options.slew), extra=extra)



def _limits(slew: float | None = None) -> list[str]:
    return [*power.limits(slew), "the weight memory is flip-flops (no SRAM macro in the flow)"]


# -------------------------------------------------------------------------------------------
# a network, per classified image


def _layer_windows(layer, h: int, w: int) -> tuple[int, int]:
    """``(windows, output pixels)`` of one ``h`` x ``w`` image (after pooling, 4 windows per
    output pixel)."""
    oh, ow, _ = layer.output_shape(h, w)
    pixels = oh * ow
    return (pixels * 4 if layer.pooling is not None else pixels), pixels


def network_energy(inst: Instance, layers, images, *, labels=None,
                   liberty: str | os.PathLike | None = None, sim: str | None = None,
                   wire_load: str = "default", slew: float | None = None,
                   build_root: str | os.PathLike = BUILD_ROOT,
                   cache_dir: str | os.PathLike | None = CACHE, tag: str = "net",
                   progress: Callable[[str], None] | None = None) -> NetworkEnergyResult:
    """Energy of ``layers`` run on the engine's gate-level netlist over ``images``, per image.

    Parameters
    ----------
    inst
        A ``ternary_engine`` design point whose weight memory holds all layers.
    layers
        :class:`sim_models.ternary.TernaryLayer` sequence; the last one may be raw (class
        scores).
    images
        Input trits ``(N, H, W, C)``, 1 to 256 images.
    labels
        Optional classes of the images: the engine's predictions (argmax of the last layer's
        sums, ties to the lowest) are then counted correct or not.
    liberty, sim, wire_load, slew, build_root, cache_dir, progress
        As for :func:`engine_energy`.
    tag
        Name of the run's files.

    Returns
    -------
    NetworkEnergyResult
        Per layer (``layers``): windows, output pixels, MACs of the network (its own channels)
        and of the engine (``n_i`` x ``n_o`` per window), the zero fractions of the weights and
        activations (of the layer's channels and of the engine words), the energy of the
        layer's stretch and of its fetch, cycles; the totals and the per-image energy.

    Raises
    ------
    ValueError
        Not the engine, a layer that does not fit it, bad images or options.
    EnergyError
        The gate-level netlist disagrees with the golden model, or a step failed.
    """
    _check_engine(inst)
    images = np.asarray(images, dtype=np.int64)
    if images.ndim != 4 or not 1 <= len(images) <= MAX_FRAMES:
        raise ValueError(f"Images must have shape (N, H, W, C) with N between 1 and "
                         f"{MAX_FRAMES}, not {images.shape}")
    layers = list(layers)
    plan = ve.EnginePlan(ve.EngineConfig.of(inst.component), layers, images, chain=True)
    options = BenchOptions.make(liberty=liberty, sim=sim, wire_load=wire_load, slew=slew,
                                build_root=build_root, cache_dir=cache_dir, progress=progress)
    t0 = time.perf_counter()
    digest = content_key([
        *(x.tobytes() for lay in layers
          for x in (lay.weights, *(() if lay.raw else (lay.lo, lay.hi)))),
        images.tobytes(), [(lay.padding, lay.stride, lay.pooling) for lay in layers],
        None if labels is None else np.asarray(labels).tobytes()])
    stim = EngineBench(inst, plan, f"{tag}-n{len(images)}", (_FLOW_VERSION, "network", digest),
                       f"python -c 'gen.ternary.engine.network_energy(...)' ({tag})")
    gl, key, hit, run, checked = _gate_level(inst, stim, options,
                                             lambda d: NetworkEnergyResult(**d))
    if hit is not None:
        return hit
    options.note("counting toggles")
    result = _network_result(run, plan, len(images), labels, checked)
    result.seconds = round(time.perf_counter() - t0, 3)
    if not result.per_image_fj > 0:
        raise EnergyError(f"energy per image of {inst.module} came out as "
                          f"{result.per_image_fj} fJ")
    options.cache.store(key, result.to_dict())
    return result


def _layers_energy(run: _Run, plan, n: int) -> tuple[list[dict], float]:
    """:func:`network_layers` records with each layer's measured energy, and the total (J)."""
    timing = run.report.layers
    recs = _layer_records(plan, run.gl.point.params)
    total = 0.0
    for index, (rec, t) in enumerate(zip(recs, timing, strict=True)):
        whole = run.energy(t["desc_ns"], t["end_ns"])
        fetch = run.energy(t["start_ns"], run.first_pixel_ns(index))
        total += _joules(whole)
        rec.update({
            "energy_fj": round(_joules(whole) * 1e15, 3),
            "per_image_fj": round(_joules(whole) / n * 1e15, 3),
            "fetch_fj": round(_joules(fetch) * 1e15, 3),
            "cycles": round((t["end_ns"] - t["desc_ns"]) / run.period_ns),
            "parts_per_image_fj": _parts_energy(whole, n),
        })
    return recs, total


def _network_result(run: _Run, plan, n: int, labels, checked: int) -> NetworkEnergyResult:
    """The network's result from the run over ``n`` images (seconds still 0)."""
    inst, options = run.gl.point, run.options
    p = inst.params
    load = run.energy(run.report.start_ns, run.report.layers[0]["desc_ns"])
    recs, total = _layers_energy(run, plan, n)
    net_macs = sum(rec["network_macs_per_image"] for rec in recs)
    eng_macs = sum(rec["engine_macs_per_image"] for rec in recs)
    scores = np.array([px["sums"] for px in run.report.outputs[-1]], dtype=np.int64)
    scores = scores.reshape(n, -1, p["n_o"])[:, 0, :plan.layers[-1].layer.out_channels]
    predictions = [int(v) for v in np.argmax(scores, axis=1)]
    correct = None
    if labels is not None:
        correct = int(np.sum(np.asarray(predictions) == np.asarray(labels)[:n]))
    slew = options.slew
    return NetworkEnergyResult(
        module=inst.module, params=dict(p), images=n, layers=recs,
        total_fj=round(total * 1e15, 3), per_image_fj=round(total / n * 1e15, 3),
        weight_load_fj=round(_joules(load) * 1e15, 3),
        per_image_with_load_fj=round((total + _joules(load)) / n * 1e15, 3),
        network_macs_per_image=net_macs, engine_macs_per_image=eng_macs,
        energy_per_network_mac_fj=round(total / n / net_macs * 1e15, 6),
        predictions=predictions,
        labels=None if labels is None else [int(v) for v in np.asarray(labels)[:n]],
        correct=correct, liberty=run.gl.synth.liberty, liberty_path=str(options.liberty.path),
        voltage_v=options.liberty.library.voltage, period_ns=float(run.period_ns),
        slew_ns=None if slew is None else round(slew * 1e9, 6),
        wire_load=options.wire_load, sim=options.sim, area=engine_area(run.gl.synth, inst),
        checked_pixels=checked, seconds=0.0, limits=_limits(slew))


# -------------------------------------------------------------------------------------------
# the digits network, with OCU-based estimates


def network_layers(inst: Instance, layers, images) -> list[dict]:
    """Per layer of ``layers`` run on ``inst`` over ``images`` (golden model, no simulation):
    windows, output pixels, MACs (the network's own channels and the engine's ``n_i`` x
    ``n_o``), OCU windows and zero fractions (of the layer's weights and input activations, and
    of the engine words, whose unused channels are 0)."""
    images = np.asarray(images, dtype=np.int64)
    plan = ve.EnginePlan(ve.EngineConfig.of(inst.component), list(layers), images, chain=True)
    return _layer_records(plan, inst.params)


def _layer_records(plan, p: dict) -> list[dict]:
    """The records of :func:`network_layers` for the layers of ``plan`` on engine ``p``."""
    n_i, n_o, k = p["n_i"], p["n_o"], p["k"]
    recs = []
    for index, e in enumerate(plan.layers):
        lay = e.layer
        _, h, w, _ = e.inputs.shape
        windows, pixels = _layer_windows(lay, h, w)
        c_out, _, _, c_in = lay.weights.shape
        acts = e.inputs[..., :c_in]
        w_zero = float(np.sum(lay.weights == 0)) / (n_o * k * k * n_i)
        w_zero += (n_o * k * k * n_i - lay.weights.size) / (n_o * k * k * n_i)
        a_zero = (float(np.sum(acts == 0)) + acts[..., :1].size * (n_i - c_in)) \
            / (acts[..., :1].size * n_i)
        recs.append({
            "index": index, "in_shape": [h, w, c_in], "out_channels": c_out,
            "padding": lay.padding, "pooling": lay.pooling, "raw": lay.raw,
            "windows_per_image": windows, "pixels_per_image": pixels,
            "network_macs_per_image": windows * k * k * c_in * c_out,
            "engine_macs_per_image": windows * k * k * n_i * n_o,
            "ocu_windows_per_image": windows * c_out,
            "zero_fraction": {"weights": round(float(np.mean(lay.weights == 0)), 4),
                              "activations": round(float(np.mean(acts == 0)), 4),
                              "engine_weights": round(w_zero, 4),
                              "engine_activations": round(a_zero, 4)},
        })
    return recs


def digits_energy(n_images: int = 32, *, seed: int = 1, liberty: str | os.PathLike | None = None,
                  sim: str | None = None, windows: int = 200, engine: bool = False,
                  cache_dir: str | os.PathLike | None = CACHE,
                  progress: Callable[[str], None] | None = None) -> dict:
    """Energy per classified image of the digits network: estimated from the ternary and the
    binary OCU, and optionally measured on the whole engine.

    Parameters
    ----------
    n_images
        With ``engine``: the first ``n_images`` test images (1 to 256) of
        :func:`gen.ternary.digits.train` run on the gate-level engine. The OCU estimates take their
        zero densities from the whole test split (golden model).
    seed
        Seed of the digits training (and of the OCU workloads).
    liberty, sim, cache_dir, progress
        As for :func:`engine_energy`.
    windows
        Windows per OCU measurement (:func:`gen.ternary.ocu.ocu_energy`).
    engine
        Also measure the network on the gate-level 16-channel engine
        (:func:`network_energy`): about 1,100 cycles per image plus the weight load, which
        Icarus simulates at about 2 cycles per second on this 47,000-cell netlist (Verilator's
        build of it takes hours on 2 cores), so it is off by default.

    Returns
    -------
    dict
        ``layers``: :func:`network_layers` over the whole test split; ``engine``:
        :meth:`NetworkEnergyResult.to_dict` or None; ``ocu_estimate``: per layer the OCU
        windows, the ternary OCU's energy per window at the layer's engine-word zero density
        (mean of weights and activations, rounded to 0.05) and the binary OCU's, and the
        per-image totals ``ternary_fj``, ``binary_fj``, ``saving_pct`` (OCU energy per window
        times windows: no line buffer, no fetch, no control), with weight buffers of
        flip-flops; ``ocu_estimate_latch``: the same with latch (clock-gated) weight buffers,
        CUTIE's choice.

    Raises
    ------
    ValueError
        Bad ``n_images`` or options.
    EnergyError
        A gate-level run failed or disagreed with the golden model.
    """
    if isinstance(n_images, bool) or not isinstance(n_images, int) \
            or not 1 <= n_images <= MAX_FRAMES:
        raise ValueError(f"Images must be an integer between 1 and {MAX_FRAMES}, not "
                         f"{n_images!r}")
    synth.check_liberty(liberty)  # the whole library, before anything is written
    note = progress or (lambda text: None)
    note(f"digits network (seed {seed})")
    net = digits.train(seed=seed)
    inst = instantiate(ENGINE_DESIGN, DIGITS_ENGINE)
    layers = network_layers(inst, net.layers, net.test_images)
    eng = None
    if engine:
        eng = network_energy(inst, net.layers, net.test_images[:n_images],
                             labels=net.test_labels[:n_images], liberty=liberty, sim=sim,
                             cache_dir=cache_dir, tag=f"digits-s{seed}",
                             progress=progress).to_dict()
    net_macs = sum(rec["network_macs_per_image"] for rec in layers)
    estimates = {storage: _ocu_estimate(layers, storage, net_macs, seed=seed, liberty=liberty,
                                        sim=sim, windows=windows, cache_dir=cache_dir,
                                        progress=progress)
                 for storage in ("ff", "latch")}
    return {
        "seed": seed, "test_images": int(len(net.test_labels)),
        "accuracy_float": net.float_accuracy, "accuracy_golden": net.ternary_accuracy,
        "layers": layers, "network_macs_per_image": net_macs, "engine": eng,
        "ocu_estimate": estimates["ff"], "ocu_estimate_latch": estimates["latch"],
    }


def _ocu_estimate(layers: list[dict], storage: str, net_macs: int, *, seed, liberty, sim,
                  windows, cache_dir, progress) -> dict:
    """Per-image energy of ``layers`` (:func:`network_layers`) from the ternary and binary
    OCUs of the digits engine's size with ``storage`` weight buffers."""
    ocu_params = {"n_i": DIGITS_ENGINE["n_i"], "k": DIGITS_ENGINE["k"],
                  "latency": DIGITS_ENGINE["latency"], "weight_storage": storage}
    binary = ocu_energy(instantiate("binary_ocu", ocu_params), liberty=liberty,
                           windows=windows, seed=seed, sim=sim, cache_dir=cache_dir,
                           progress=progress)
    tern_inst = instantiate("ternary_ocu", ocu_params)
    rows = []
    t_sum = b_sum = 0.0
    for rec in layers:
        z = rec["zero_fraction"]
        d = round(round((z["engine_weights"] + z["engine_activations"]) / 2 / 0.05) * 0.05, 2)
        tern = ocu_energy(tern_inst, density=d, liberty=liberty, windows=windows, seed=seed,
                             sim=sim, cache_dir=cache_dir, progress=progress)
        n_win = rec["ocu_windows_per_image"]
        rows.append({"index": rec["index"], "ocu_windows_per_image": n_win, "density": d,
                     "ternary_per_window_fj": tern.energy_per_window_fj,
                     "binary_per_window_fj": binary.energy_per_window_fj,
                     "ternary_fj": round(n_win * tern.energy_per_window_fj, 3),
                     "binary_fj": round(n_win * binary.energy_per_window_fj, 3)})
        t_sum += n_win * tern.energy_per_window_fj
        b_sum += n_win * binary.energy_per_window_fj
    return {"weight_storage": storage, "ternary_module": tern_inst.module,
            "binary_module": binary.module, "windows": windows, "layers": rows,
            "ternary_fj": round(t_sum, 3), "binary_fj": round(b_sum, 3),
            "ternary_per_mac_fj": round(t_sum / net_macs, 6),
            "binary_per_mac_fj": round(b_sum / net_macs, 6),
            "saving_pct": round(100.0 * (1.0 - t_sum / b_sum), 3)}
