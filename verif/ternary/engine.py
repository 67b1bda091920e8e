"""Verification plans of the ternary engine: layers of the golden model as engine transactions.

A *plan* turns layers of :class:`sim_models.ternary.TernaryLayer` and their input images into
what a driver does on the engine's streams and what a checker expects back, so that every
testbench of :class:`hw.ternary.TernaryEngine` (the Amaranth simulation in
``tests/ternary/test_engine_hw.py``, the cocotb run of the generated Verilog) drives the same
transactions and checks against the same golden values:

* the weights of each layer as packed words of the engine's weight memory
  (:func:`weight_writes`; word ``base + co * k * k + ky * k + kx``), each layer at its own
  ``weight_base`` so that all layers' weights can be loaded once;
* the thresholds per output channel (:func:`threshold_writes`), clamped into the engine's
  threshold range without changing a decision; a raw layer (class scores) loads 0, 0 and is
  checked on its sums only;
* the layer descriptor (:func:`descriptor`);
* the input pixels, packed 5 trits per byte (:func:`pack_pixels`); a *chained* layer takes the
  output pixels the engine produced for the previous layer, as they came out, so a network runs
  through the hardware layer after layer;
* the expected output pixels (packed trits and sums) from the golden model
  (:func:`expected_outputs`).

:class:`EnginePlan` holds the steps; :meth:`EnginePlan.check` compares recorded outputs with
the expectation and names the layer, the image, the output position and channel of the first
difference.

The cocotb testbench (:func:`run`) executes a plan on the generated Verilog of a
``ternary_engine`` design point: the steps, every payload packed into an integer, reach the
simulator as a JSON job (``EF_JOB``); the driver and monitor of
:mod:`verif.ternary.engine_cocotb` execute them with the semantics of
``tests/ternary/test_engine_hw.py``'s ``run_plan`` and record every output pixel per layer and
the simulation times of each layer's stretch; :meth:`EnginePlan.check` compares. Builds are
cached per configuration in ``build/verif/<module>/<sim>/``. Named random plans
(:data:`CASES`, :func:`case_plan`) make every run reproducible from the shell, e.g.::

    SIM=verilator python -m verif.ternary.engine -p n_i=8 -p n_o=8 -p k=3 -p image_width=8 \\
        --case chain --seed 7 --stall 0.3 --gaps 0.1
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hw.ternary import TernaryEngine
from sim_models.ternary import TernaryLayer, pack_trits, unpack_trits
from verif.atomic import atomic_write

from .. import sim as _sim
from ..harness import dump_wrapper as _harness_dump_wrapper
from ..point import Design, DesignPoint, parse_params
from ..sim import VERILATOR_WAIVERS, vcd_runner

__all__ = ["EngineConfig", "EngineLayer", "EnginePlan", "IllegalInputPlan", "EngineMismatch",
           "weight_writes",
           "threshold_writes", "descriptor", "pack_pixels", "expected_outputs", "sum_width",
           "CASES", "random_trits", "random_layer", "case_plan", "job", "EngineReport",
           "repro_command", "dump_wrapper", "run", "design_point", "PARAMS", "BUILD_ROOT",
           "DUMP_TOP"]

PADDING = {"valid": 0, "same": 1}
POOLING = {None: 0, "max": 1, "sum": 2}


class EngineMismatch(AssertionError):
    """The engine's outputs differ from the golden model."""


def sum_width(n_i: int, k: int) -> int:
    """Width of the engine's signed sums: ``+-4 * k * k * n_i`` (sum pooling) never wraps."""
    return (4 * k * k * n_i).bit_length() + 1


@dataclass(frozen=True)
class EngineConfig:
    """Generation parameters of an engine (those a plan depends on)."""

    n_i: int
    n_o: int
    k: int
    image_width: int
    weight_depth: int
    max_height: int = 1024

    @classmethod
    def of(cls, engine) -> EngineConfig:
        """The configuration of a :class:`hw.ternary.TernaryEngine`."""
        return cls(engine.n_i, engine.n_o, engine.k, engine.image_width, engine.weight_depth,
                   engine.max_height)

    @property
    def in_bytes(self) -> int:
        return -(-self.n_i // 5)

    @property
    def out_bytes(self) -> int:
        return -(-self.n_o // 5)

    @property
    def sum_width(self) -> int:
        return sum_width(self.n_i, self.k)

    @property
    def threshold_range(self) -> tuple[int, int]:
        """Smallest and largest threshold the engine stores (``sum_width + 1`` bits)."""
        bits = self.sum_width + 1
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _check_fits(cfg: EngineConfig, layer: TernaryLayer, base: int) -> None:
    c_out, k, _, c_in = layer.weights.shape
    if k != cfg.k:
        raise ValueError(f"Layer kernel size {k} differs from the engine's K = {cfg.k}")
    if not 1 <= c_in <= cfg.n_i:
        raise ValueError(f"Layer input channels must be between 1 and N_I = {cfg.n_i}, "
                         f"not {c_in}")
    if not 1 <= c_out <= cfg.n_o:
        raise ValueError(f"Layer output channels must be between 1 and N_O = {cfg.n_o}, "
                         f"not {c_out}")
    if layer.pooling is not None and layer.stride != 1:
        raise ValueError("The engine pools with stride 1 only")
    end = base + c_out * k * k
    if base < 0 or end > cfg.weight_depth:
        raise ValueError(f"Layer weights at {base}..{end - 1} do not fit the weight memory "
                         f"of {cfg.weight_depth} words")


def weight_writes(cfg: EngineConfig, layer: TernaryLayer, base: int) -> list[list]:
    """Weight memory writes ``[addr, [byte, ...]]`` of ``layer`` at ``base``; input channels
    from the layer's ``C_in`` up are 0 trits."""
    _check_fits(cfg, layer, base)
    w = layer.weights
    c_out, k, _, c_in = w.shape
    words = np.zeros((c_out, k, k, cfg.n_i), dtype=np.int64)
    words[..., :c_in] = w
    packed = pack_trits(words.reshape(c_out * k * k, cfg.n_i))
    return [[base + i, [int(b) for b in row]] for i, row in enumerate(packed)]


def threshold_writes(cfg: EngineConfig, layer: TernaryLayer) -> list[list[int]]:
    """Threshold writes ``[ocu, lo, hi]`` of the layer's output channels, clamped to
    ``[-m - 1, m + 1]`` (``m`` the largest ``|sum|``), which changes no decision; a raw layer
    gets ``0, 0``."""
    c_out = layer.out_channels
    if layer.raw:
        return [[co, 0, 0] for co in range(c_out)]
    m = layer.sum_bound
    low, high = cfg.threshold_range
    if m + 1 > high:
        raise ValueError(f"Sum bound {m} exceeds the engine's threshold range")
    lo = np.clip(layer.lo, -m - 1, m + 1)
    hi = np.clip(layer.hi, -m - 1, m + 1)
    return [[co, int(lo[co]), int(hi[co])] for co in range(c_out)]


def descriptor(cfg: EngineConfig, layer: TernaryLayer, height: int, width: int,
               base: int) -> dict[str, int]:
    """The layer descriptor of ``layer`` on ``height`` x ``width`` frames (plain integers)."""
    _check_fits(cfg, layer, base)
    if not 1 <= width <= cfg.image_width:
        raise ValueError(f"Frame width must be between 1 and {cfg.image_width}, not {width}")
    if not 1 <= height <= cfg.max_height:
        raise ValueError(f"Frame height must be between 1 and {cfg.max_height}, not {height}")
    layer.output_shape(height, width)  # raises if the frame is too small
    return {"width": width, "height": height, "ch_in": layer.in_channels,
            "ch_out": layer.out_channels, "padding": PADDING[layer.padding],
            "stride": layer.stride, "pooling": POOLING[layer.pooling], "weight_base": base}


def pack_pixels(images: np.ndarray, channels: int) -> np.ndarray:
    """Raster-order pixels of ``images`` ``(N, H, W, C)`` packed to ``channels`` trits each
    (channels from ``C`` up are 0, channels from ``channels`` up dropped):
    ``(N * H * W, ceil(channels / 5))`` bytes."""
    images = np.asarray(images)
    n, h, w, c = images.shape
    full = np.zeros((n, h, w, channels), dtype=np.int64)
    full[..., :min(c, channels)] = images[..., :channels]
    return pack_trits(full.reshape(n * h * w, channels))


def expected_outputs(cfg: EngineConfig, layer: TernaryLayer, images: np.ndarray):
    """Golden outputs of ``layer`` on ``images`` ``(N, H, W, C_in)``.

    Returns ``(trits, sums)``: output trits ``(N, H', W', n_o)`` (0 beyond the layer's
    channels; all 0 for a raw layer) and sums ``(N, H', W', n_o)`` (window or pooled sums).
    """
    sums = layer.sums(images)
    n, h, w, c_out = sums.shape
    full_sums = np.zeros((n, h, w, cfg.n_o), dtype=np.int64)
    full_sums[..., :c_out] = sums
    trits = np.zeros_like(full_sums)
    if not layer.raw:
        trits[..., :c_out] = layer(images)
    return trits, full_sums


@dataclass
class EngineLayer:
    """One layer of a plan and its golden input and output."""

    layer: TernaryLayer
    base: int
    inputs: np.ndarray  # golden input trits (N, H, W, C)
    chained: bool
    trits: np.ndarray = field(init=False)
    sums: np.ndarray = field(init=False)


class EnginePlan:
    """Layers run on an engine one after the other, each on all images.

    Parameters
    ----------
    cfg : EngineConfig
        The engine.
    layers : sequence of TernaryLayer
        Weights, thresholds, padding, stride and pooling of each layer.
    images : numpy.ndarray
        Input trits of the first layer, ``(N, H, W, C_in)``.
    chain : bool
        Layers after the first take the engine's output pixels of the layer before (the
        plan's golden inputs of those layers are the golden outputs before). Otherwise each
        layer is fed the golden input.

    Raises
    ------
    ValueError
        If a layer does not fit the engine, or a chained layer's input channels are not the
        engine's ``n_o`` output channels' packing.
    """

    def __init__(self, cfg: EngineConfig, layers, images, *, chain: bool = True):
        self.cfg = cfg
        images = np.asarray(images, dtype=np.int64)
        if images.ndim != 4:
            raise ValueError(f"Images must have shape (N, H, W, C), not {images.shape}")
        self.layers: list[EngineLayer] = []
        base = 0
        act = images  # the pixels the layer is fed (channels past its C_in are 0)
        for index, layer in enumerate(layers):
            if layer.raw and index != len(layers) - 1:
                raise ValueError("Only the last layer may be raw")
            chained = chain and index > 0
            if chained and cfg.in_bytes != cfg.out_bytes:
                raise ValueError("Chaining needs N_I and N_O to pack into the same bytes")
            c_in = layer.in_channels
            if act.shape[3] < c_in:
                raise ValueError(f"Layer {index} needs {c_in} input channels, its input has "
                                 f"{act.shape[3]}")
            descriptor(cfg, layer, act.shape[1], act.shape[2], base)  # checks the fit
            entry = EngineLayer(layer, base, act, chained)
            entry.trits, entry.sums = expected_outputs(cfg, layer, act[..., :c_in])
            self.layers.append(entry)
            base += layer.out_channels * cfg.k * cfg.k
            act = entry.trits

    def steps(self) -> list[dict]:
        """The driver's steps (JSON-able): ``{"op": "weights", "writes": ...}`` for all layers
        first, then per layer ``{"op": "layer", "desc": ...}`` (to be set once every output of
        the layer before has been taken; the engine is then idle after at most a few cycles),
        ``{"op": "thresholds", "writes": ...}`` (written while idle) and
        ``{"op": "frames", "pixels": ... | "chain": true, "inputs": n,
        "outputs": n}``."""
        cfg = self.cfg
        writes = [w for e in self.layers for w in weight_writes(cfg, e.layer, e.base)]
        steps = [{"op": "weights", "writes": writes}]
        for e in self.layers:
            n, h, w, _ = e.inputs.shape
            steps.append({"op": "layer", "desc": descriptor(cfg, e.layer, h, w, e.base)})
            steps.append({"op": "thresholds", "writes": threshold_writes(cfg, e.layer)})
            frames = {"op": "frames", "inputs": n * h * w,
                      "outputs": int(np.prod(e.sums.shape[:3]))}
            if e.chained:
                frames["chain"] = True
            else:
                frames["pixels"] = pack_pixels(e.inputs, cfg.n_i).tolist()
            steps.append(frames)
        return steps

    def check(self, observed: list[list[dict]], repro: str = "") -> int:
        """Compare ``observed`` (per layer, the output pixels as dicts ``pixel`` (bytes),
        ``sums`` (integers), ``illegal``) with the golden model; returns the number of output
        pixels checked.

        Raises
        ------
        EngineMismatch
            On the first difference (layer, image, position, channel, expected, got, repro).
        """
        cfg = self.cfg
        checked = 0
        if len(observed) != len(self.layers):
            raise EngineMismatch(f"{len(observed)} layers of outputs recorded, "
                                 f"expected {len(self.layers)}")
        for index, (e, got) in enumerate(zip(self.layers, observed, strict=True)):
            n, h, w, _ = e.sums.shape
            if len(got) != n * h * w:
                raise EngineMismatch(f"layer {index}: {len(got)} output pixels, expected "
                                     f"{n * h * w}")
            pixels = np.array([p["pixel"] for p in got], dtype=np.int64).reshape(-1, cfg.out_bytes)
            trits = unpack_trits(pixels, cfg.n_o).reshape(n, h, w, cfg.n_o)
            sums = np.array([p["sums"] for p in got], dtype=np.int64).reshape(n, h, w, cfg.n_o)
            illegal = np.array([p["illegal"] for p in got], dtype=np.int64)
            for name, want, have in (("sum", e.sums, sums), ("trit", e.trits, trits)):
                if e.layer.raw and name == "trit":
                    continue
                diff = np.argwhere(want != have)
                if len(diff):
                    i, y, x, c = (int(v) for v in diff[0])
                    raise EngineMismatch(
                        f"layer {index}: {len(diff)} {name}s differ; first: image {i}, output "
                        f"({y}, {x}), channel {c}: expected {int(want[i, y, x, c])}, got "
                        f"{int(have[i, y, x, c])}" + (f"; repro: {repro}" if repro else ""))
            if illegal.any():
                raise EngineMismatch(f"layer {index}: illegal flag set on output pixel "
                                     f"{int(np.argmax(illegal))}")
            checked += n * h * w
        return checked

    @property
    def outputs_per_layer(self) -> list[int]:
        return [int(np.prod(e.sums.shape[:3])) for e in self.layers]


class IllegalInputPlan(EnginePlan):
    """A single-layer plan in which some input pixels carry an illegal first byte.

    The byte ``ILLEGAL_BYTE`` replaces byte 0 (trits 0 to 4) of each listed pixel. Illegal codes
    count as 0, so the expected trits and sums are the golden model's on the images with those
    trits zeroed; ``illegal`` is expected on exactly the output pixels one of whose windows
    (pool groups included) covers such a pixel, found by running the golden model with all-one
    weights on an indicator image.

    Parameters
    ----------
    cfg : EngineConfig
        The engine.
    layer : TernaryLayer
        The layer; at least 5 input channels, so that the 5 illegal trits are all active.
    images : numpy.ndarray
        Input trits ``(N, H, W, C_in)``.
    pixels : sequence of tuple of int
        ``(image, y, x)`` of each pixel to corrupt.
    """

    ILLEGAL_BYTE = 250

    def __init__(self, cfg: EngineConfig, layer: TernaryLayer, images, pixels):
        if layer.in_channels < 5:
            raise ValueError("An illegal input byte needs at least 5 active input channels")
        images = np.array(images, dtype=np.int64)
        self.pixels = [tuple(int(v) for v in p) for p in pixels]
        marks = np.zeros(images.shape[:3] + (1,), dtype=np.int64)
        clean = images.copy()
        for i, y, x in self.pixels:
            clean[i, y, x, :5] = 0
            marks[i, y, x, 0] = 1
        super().__init__(cfg, [layer], clean, chain=False)
        self.original = images
        cover = TernaryLayer(np.ones((1, layer.weights.shape[1], layer.weights.shape[1], 1),
                                     dtype=np.int64), stride=layer.stride,
                             padding=layer.padding, pooling=layer.pooling)
        self.flagged = cover.sums(marks)[..., 0] > 0

    def steps(self) -> list[dict]:
        steps = super().steps()
        n, h, w, _ = self.original.shape
        frames = steps[-1]
        frames["pixels"] = pack_pixels(self.original, self.cfg.n_i).tolist()
        for i, y, x in self.pixels:
            frames["pixels"][(i * h + y) * w + x][0] = self.ILLEGAL_BYTE
        return steps

    def check(self, observed: list[list[dict]], repro: str = "") -> int:
        """As :meth:`EnginePlan.check`, with ``illegal`` expected where :attr:`flagged`."""
        if len(observed) != 1 or len(observed[0]) != self.flagged.size:
            return super().check(observed, repro)
        got = np.array([p["illegal"] for p in observed[0]], dtype=bool)
        want = self.flagged.reshape(-1)
        if (got != want).any():
            first = int(np.argmax(got != want))
            raise EngineMismatch(
                f"layer 0: illegal flags differ on {int((got != want).sum())} output pixels; "
                f"first: pixel {first}: expected {int(want[first])}, got {int(got[first])}"
                + (f"; repro: {repro}" if repro else ""))
        cleared = [[{**p, "illegal": 0} for p in observed[0]]]
        return super().check(cleared, repro)


# -------------------------------------------------------------------------------------------
# named random plans (reproducible from the command line)

#: Named plans of :func:`case_plan`: ``(padding, stride, pooling, raw)`` of a single layer, or
#: ``"chain"`` (three layers as the digits network has them: SAME; SAME with max pooling;
#: VALID with sum pooling and raw sums, each fed the engine's own output of the layer before)
#: or ``"illegal"`` (a SAME layer, an illegal byte in two input pixels).
CASES = {
    "same": ("same", 1, None, False),
    "valid": ("valid", 1, None, False),
    "same_s2": ("same", 2, None, False),
    "valid_s2": ("valid", 2, None, False),
    "max": ("same", 1, "max", False),
    "max_valid": ("valid", 1, "max", False),
    "sum": ("same", 1, "sum", False),
    "sum_valid": ("valid", 1, "sum", False),
    "raw": ("valid", 1, "sum", True),
    "chain": None,
    "illegal": None,
}


def random_trits(rng: np.random.Generator, shape, density: float = 2 / 3) -> np.ndarray:
    """Trits, each nonzero (+1 or -1 equiprobable) with probability ``density``."""
    sign = 2 * rng.integers(0, 2, size=shape) - 1
    return np.where(rng.random(shape) < density, sign, 0).astype(np.int64)


def random_layer(rng: np.random.Generator, k: int, c_in: int, c_out: int, *,
                 padding: str = "same", stride: int = 1, pooling: str | None = None,
                 raw: bool = False) -> TernaryLayer:
    """A layer of random trit weights and random thresholds ``lo <= hi`` within about one
    standard deviation of the sums (twice that for sum pooling), so that all three output
    trits occur."""
    weights = random_trits(rng, (c_out, k, k, c_in))
    if raw:
        return TernaryLayer(weights, stride=stride, padding=padding, pooling=pooling)
    q = max(1, round(np.sqrt(k * k * c_in * 4 / 9))) * (2 if pooling == "sum" else 1)
    bounds = np.sort(rng.integers(-q, q + 1, size=(2, c_out)), axis=0)
    return TernaryLayer(weights, bounds[0], bounds[1], stride=stride, padding=padding,
                        pooling=pooling)


def case_plan(cfg: EngineConfig, case: str, seed: int, images: int = 2,
              height: int | None = None) -> EnginePlan:
    """The plan of the named case :data:`CASES` on ``cfg``, drawn from ``seed``.

    Single layers use all ``n_i`` input and ``n_o`` output channels on frames of
    ``image_width`` columns and ``height`` rows (default 6; ``"chain"``: ``image_width``
    rows, at least 8 so that the last, VALID layer gets a 2 x 2 pooled map).

    Raises
    ------
    ValueError
        Unknown case, or one that does not fit the engine.
    """
    if case not in CASES:
        raise ValueError(f"Unknown case {case!r}; valid: {', '.join(CASES)}")
    rng = np.random.default_rng(seed)
    k, n_i, n_o, w = cfg.k, cfg.n_i, cfg.n_o, cfg.image_width
    if case == "chain":
        h = height or w
        if min(h, w) < 2 * (k + 1):
            raise ValueError(f"The chain case needs frames of at least {2 * (k + 1)} x "
                             f"{2 * (k + 1)} pixels")
        c_mid = min(n_i, n_o)
        layers = [random_layer(rng, k, max(1, n_i // 2), n_o),
                  random_layer(rng, k, c_mid, n_o, pooling="max"),
                  random_layer(rng, k, c_mid, max(1, n_o - 2), padding="valid",
                               pooling="sum", raw=True)]
        return EnginePlan(cfg, layers, random_trits(rng, (images, h, w, max(1, n_i // 2))))
    h = height or 6
    x = random_trits(rng, (images, h, w, n_i))
    if case == "illegal":
        layer = random_layer(rng, k, n_i, n_o)
        pixels = [(0, 0, 0), (images - 1, h // 2, w // 2)]
        return IllegalInputPlan(cfg, layer, x, pixels)
    padding, stride, pooling, raw = CASES[case]
    layer = random_layer(rng, k, n_i, n_o, padding=padding, stride=stride, pooling=pooling,
                         raw=raw)
    return EnginePlan(cfg, [layer], x)


# -------------------------------------------------------------------------------------------
# the cocotb run

BUILD_ROOT = Path("build") / "verif"
#: Module name of the value-change-dump wrapper of :func:`dump_wrapper`.
DUMP_TOP = "ef_engine_dump"


def _word(layout, values: dict) -> int:
    """Pack ``values`` (integers, or lists of bytes for packed fields) into ``layout``."""
    word = 0
    for name, f in layout:
        v = values[name]
        if isinstance(v, (list, tuple)):
            v = _bytes(v)
        word |= (int(v) & ((1 << f.width) - 1)) << f.offset
    return word


def _bytes(values) -> int:
    return sum(int(b) << (8 * i) for i, b in enumerate(values))


def job(plan: EnginePlan, component, *, seed: int = 1, stall: float = 0.0, gaps: float = 0.0,
        max_cycles: int | None = None) -> dict:
    """The JSON job of :mod:`verif.ternary.engine_cocotb`: the plan's steps with every
    payload packed for ``component``'s ports, the ``o_stream`` payload layout, the expected
    output count per layer, the back-pressure (``stall``) and gap probabilities, their seed
    and a cycle limit (default: generous for the plan's transfers)."""
    steps = []
    transfers = 0
    for step in plan.steps():
        op = step["op"]
        if op == "weights":
            words = [_word(component.weight_write_layout, {"addr": a, "data": d})
                     for a, d in step["writes"]]
            steps.append({"op": op, "words": words})
            transfers += len(words)
        elif op == "layer":
            steps.append({"op": op, "word": _word(component.layer_layout, step["desc"])})
        elif op == "thresholds":
            words = [_word(component.threshold_layout, {"ocu": o, "lo": lo, "hi": hi})
                     for o, lo, hi in step["writes"]]
            steps.append({"op": op, "words": words})
            transfers += len(words) + plan.cfg.n_o * plan.cfg.k ** 2  # and a weight fetch
        else:
            frames = {k: v for k, v in step.items() if k != "pixels"}
            if "pixels" in step:
                frames["pixels"] = [_bytes(p) for p in step["pixels"]]
            steps.append(frames)
            # SAME frames take a step per extension row and column; outputs may be stalled
            transfers += 2 * step["inputs"] + step["outputs"] + 64
    if max_cycles is None:
        max_cycles = int(4 * transfers / max(1e-3, 1 - stall) / max(1e-3, 1 - gaps)) + 2000
    layout = component.output_layout
    pixel, sums, illegal = layout["pixel"], layout["sums"], layout["illegal"]
    elem = sums.shape.elem_shape
    return {"steps": steps, "expected": plan.outputs_per_layer, "seed": seed,
            "stall": float(stall), "gaps": float(gaps), "max_cycles": max_cycles,
            "out": {"pixel": [pixel.offset, pixel.width // 8],
                    "sums": [sums.offset, _shape_width(elem), sums.shape.length],
                    "illegal": illegal.offset}}


def _shape_width(shape) -> int:
    from amaranth.hdl import Shape

    return Shape.cast(shape).width


@dataclass
class EngineReport:
    """Outcome of :func:`run`.

    Attributes
    ----------
    module : str
        The Verilog module simulated (the engine's, also when wrapped).
    sim : str
        Simulator.
    seed : int
        Seed of the back-pressure and gap draws.
    outputs : list of list of dict
        Per layer, every output pixel as ``{pixel, sums, illegal}``.
    checked : int
        Output pixels compared with the golden model (0 with ``check=False``).
    cycles : int
        Clock cycles from the release of reset to the last output.
    layers : list of dict
        Per layer the simulation times (ns) and cycles (from the release of reset) of
        ``desc`` (descriptor set), ``start`` (first pixel offered; a weight fetch, if any,
        follows), ``stream`` (the clock edge that took the first pixel: the weights are in the
        OCUs) and ``end`` (the clock edge that took the layer's last output): ``desc_ns``,
        ``start_ns``, ``stream_ns``, ``end_ns``, ``desc_cycle``, ``start_cycle``,
        ``stream_cycle``, ``end_cycle``.
    start_ns, end_ns : float
        Simulation times of the release of reset and of the end of the run.
    period_ns : float
        Clock period.
    build_seconds, seconds : float
        Wall time of the build (0 when cached) and of the simulation.
    repro : str
        A shell line re-running this check.
    dump : str or None
        The value-change dump written, if any.
    """

    module: str
    sim: str
    seed: int
    outputs: list
    checked: int
    cycles: int
    layers: list
    start_ns: float
    end_ns: float
    period_ns: float
    build_seconds: float
    seconds: float
    repro: str
    dump: str | None = None


#: Parameters of the ``ternary_engine`` design (the flow registry's) and their defaults.
PARAMS = {"n_i": 96, "n_o": 96, "k": 3, "image_width": 64, "latency": 1, "weight_layers": 1}


def _layer(image, weights, lo=None, hi=None, *, stride=1, padding="same", pooling=None):
    """One ternary layer as the engine computes it (raw sums without thresholds)."""
    return TernaryLayer(weights, lo, hi, stride=stride, padding=padding, pooling=pooling)(image)


def design_point(params=()) -> DesignPoint:
    """The ``ternary_engine`` design point of ``params`` (a mapping, or ``NAME=VALUE`` strings,
    see :data:`PARAMS`): a shared-OCU :class:`hw.ternary.TernaryEngine` whose weight memory holds
    ``weight_layers`` layers, and the layer model, named as the flow names it.

    Raises
    ------
    TypeError, ValueError
        For an unknown parameter or a value the engine refuses.
    """
    p = parse_params("ternary_engine", PARAMS, params)
    layers = p["weight_layers"]
    if isinstance(layers, bool) or not isinstance(layers, int) or not 1 <= layers <= 64:
        raise ValueError(f"Weight layers must be an integer between 1 and 64, not {layers!r}")
    depth = layers * p["n_o"] * p["k"] * p["k"]
    if isinstance(p["n_o"], int) and isinstance(p["k"], int) and depth > 65536:
        raise ValueError(f"Weight layers x n_o x k x k must be at most 65536 words, not {depth}")
    component = TernaryEngine(p["n_i"], p["n_o"], p["k"], p["image_width"],
                              pipeline=p["latency"], weight_depth=depth, shared=True)
    module = (f"ternary_engine_i{p['n_i']}_o{p['n_o']}_k{p['k']}_w{p['image_width']}"
              f"_p{p['latency']}" + (f"_m{layers}" if layers != 1 else ""))
    return DesignPoint(Design("ternary_engine"), module, p, component, _layer, PARAMS)


def repro_command(inst, sim: str, seed: int, case: str, *, images: int = 2,
                  stall: float = 0.0, gaps: float = 0.0) -> str:
    """One shell line that re-runs the named case on the design point ``inst``."""
    args = [sys.executable, "-m", "verif.ternary.engine", *inst.cli_params(), "--case", case,
            "--images", str(images), "--seed", str(seed)]
    if stall:
        args += ["--stall", f"{stall:g}"]
    if gaps:
        args += ["--gaps", f"{gaps:g}"]
    return f"SIM={sim} " + " ".join(shlex.quote(a) for a in args)


def dump_wrapper(ports: list[dict], top: str, name: str = DUMP_TOP) -> str:
    """:func:`verif.harness.dump_wrapper` with the engine's wrapper name by default."""
    return _harness_dump_wrapper(ports, top, name)


def _build(sources: list[Path], top: str, sim: str, build_dir: Path, trace: bool) -> float:
    """Build ``sources`` with toplevel ``top`` unless the same build is in ``build_dir``
    (:func:`verif.sim.build`); return the seconds spent (0 when current)."""
    if sim == "verilator":
        args = [*VERILATOR_WAIVERS, *(["--trace-underscore"] if trace else ["-O3"])]
    else:
        args = []
    t0 = time.perf_counter()
    built = _sim.build(sources, top, build_dir, sim, args=args,
                       waves=trace and sim == "verilator")
    return time.perf_counter() - t0 if built else 0.0


def _module_name(component) -> str:
    c = component
    return (f"ef_engine_i{c.n_i}_o{c.n_o}_k{c.k}_w{c.image_width}_p{c.pipeline}"
            f"_h{c.max_height}_d{c.weight_depth}{'_s' if c.shared else ''}")


def run(target, plan: EnginePlan, *, sim: str | None = None, seed: int = 1,
        stall: float = 0.0, gaps: float = 0.0, check: bool = True, repro: str | None = None,
        sources=None, top: str | None = None, dump=None, build_dir=None,
        build_root=BUILD_ROOT, max_cycles: int | None = None) -> EngineReport:
    """Build the engine's Verilog (or given sources) and execute ``plan`` on it through cocotb.

    Parameters
    ----------
    target : verif.point.DesignPoint, a flow design instance or hw.ternary.TernaryEngine
        A ``ternary_engine`` design point (:func:`design_point`), or an engine component
        (emitted with :meth:`~hw.ternary.TernaryEngine.to_verilog`).
    plan : EnginePlan
        The layers, images and golden outputs; its configuration must be the engine's.
    sim : str, optional
        ``"icarus"`` or ``"verilator"``; default from ``$SIM``.
    seed : int
        Seed of the back-pressure and gap draws.
    stall : float
        Probability that ``o_stream.ready`` is low in a cycle, 0 to 1 (exclusive).
    gaps : float
        Probability of an idle cycle before each input pixel, 0 to 1 (exclusive).
    check : bool
        Compare the outputs with the golden model (:meth:`EnginePlan.check`).
    repro : str, optional
        The shell line a failure names; default: a pointer to the job file.
    sources : sequence of path-like, optional
        Verilog files to simulate instead of the emitted RTL (e.g. a gate-level netlist, its
        cell models and a wrapper); ``top`` names their toplevel, which must have the
        engine's ports.
    top : str, optional
        Toplevel module of ``sources``.
    dump : path-like, optional
        Write a VCD of every net under the engine instance to this file (passed as
        ``+dump=<file>``). Without ``sources`` the emitted RTL is wrapped in
        :func:`dump_wrapper`; with ``sources`` the toplevel must honour the plusarg itself
        (as :func:`dump_wrapper`'s module does). Verilator builds then trace
        (``--trace --trace-underscore``) in their own build directory.
    build_dir : path-like, optional
        Build directory; default ``build_root/<module or top>/<sim>`` (``<sim>-dump`` with a
        dump).
    build_root : path-like
        See ``build_dir``.
    max_cycles : int, optional
        Cycle limit of the simulation; default generous for the plan.

    Returns
    -------
    EngineReport

    Raises
    ------
    EngineMismatch
        A protocol violation (an offered output changed, a threshold write ready while busy,
        a timeout, an output too many) or an output that differs from the golden model.
    RuntimeError
        If the build or the simulation fails.
    ValueError
        Bad arguments (a plan for another configuration, ``sources`` without ``top``).
    """
    component = getattr(target, "component", target)
    if EngineConfig.of(component) != plan.cfg:
        raise ValueError(f"The plan is for {plan.cfg}, the engine is {EngineConfig.of(component)}")
    for name, p in (("Stall", stall), ("Gaps", gaps)):
        if not 0.0 <= p < 1.0:
            raise ValueError(f"{name} must be a probability in [0, 1), not {p!r}")
    if sources is not None and top is None:
        raise ValueError("Simulating given sources needs their toplevel (top=...)")
    module = getattr(target, "module", None) or _module_name(component)
    sim = _sim.prepare(sim)
    trace = dump is not None
    if build_dir is None:
        build_dir = Path(build_root) / (top or module) / (f"{sim}-dump" if trace else sim)
    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    if sources is None:
        text = component.to_verilog(module)
        rtl = build_dir / f"{module}.v"
        if not rtl.exists() or rtl.read_text() != text:
            atomic_write(rtl, text)
        sources = [rtl]
        top = module
        if trace:
            wrapper = build_dir / f"{DUMP_TOP}.v"
            wtext = dump_wrapper(_ports(component), module)
            if not wrapper.exists() or wrapper.read_text() != wtext:
                atomic_write(wrapper, wtext)
            sources.append(wrapper)
            top = DUMP_TOP
    sources = [Path(s).resolve() for s in sources]
    build_seconds = _build(sources, top, sim, build_dir, trace)
    payload = job(plan, component, seed=seed, stall=stall, gaps=gaps, max_cycles=max_cycles)
    text = json.dumps(payload)
    run_dir = build_dir / f"run-s{seed}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"
    run_dir.mkdir(exist_ok=True)
    if repro is None:
        repro = f"(plan not from a named case; the job is {run_dir / 'job.json'})"
    plusargs = []
    if trace:
        dump = Path(dump).resolve()
        dump.parent.mkdir(parents=True, exist_ok=True)
        plusargs = [f"+dump={dump}"]
    t0 = time.perf_counter()
    observed = _sim.run_job(sim, "verif.ternary.engine_cocotb", top, build_dir, run_dir, payload,
                            f"Simulation of {module}", repro, plusargs=plusargs,
                            runner=vcd_runner(sim) if trace else None)
    seconds = time.perf_counter() - t0
    if observed["errors"]:
        raise EngineMismatch(f"{module} ({sim}): {observed['errors'][0]}; repro: {repro}")
    from .engine_cocotb import PERIOD_NS

    last = observed["timing"][-1]
    report = EngineReport(
        module=module, sim=sim, seed=seed, outputs=observed["layers"], checked=0,
        cycles=int(last.get("end_cycle", observed["cycles"])), layers=observed["timing"],
        start_ns=observed["start_ns"], end_ns=observed["end_ns"], period_ns=float(PERIOD_NS),
        build_seconds=build_seconds, seconds=seconds, repro=repro,
        dump=str(dump) if trace else None)
    if check:
        report.checked = plan.check(observed["layers"], repro)
    return report


def _ports(component) -> list[dict]:
    """Ports of the emitted engine module (clock and reset first)."""
    from amaranth.hdl import Shape
    from amaranth.lib import wiring

    out = [{"name": "clk", "direction": "in", "width": 1},
           {"name": "rst", "direction": "in", "width": 1}]
    for path, member in component.signature.members.flatten():
        if member.is_port:
            out.append({"name": "__".join(str(p) for p in path),
                        "direction": "in" if member.flow == wiring.In else "out",
                        "width": Shape.cast(member.shape).width})
    return out


def main(argv=None) -> int:
    """``python -m verif.ternary.engine -p NAME=VALUE ... [--case C] [--images N]
    [--seed N] [--stall P] [--gaps P] [--sim S]``."""
    ap = argparse.ArgumentParser(prog="python -m verif.ternary.engine", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-p", dest="param", action="append", default=[], metavar="NAME=VALUE",
                    help=f"ternary_engine parameter (repeatable): {', '.join(PARAMS)}")
    ap.add_argument("--case", choices=tuple(CASES), default="same")
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stall", type=float, default=0.0)
    ap.add_argument("--gaps", type=float, default=0.0)
    ap.add_argument("--sim")
    args = ap.parse_args(argv)
    try:
        inst = design_point(args.param)
        if args.images < 1:
            raise ValueError(f"--images must be a positive integer, not {args.images}")
        plan = case_plan(EngineConfig.of(inst.component), args.case, args.seed, args.images)
        sim = _sim.prepare(args.sim)
    except (ValueError, TypeError, _sim.SimulatorError) as e:
        ap.error(str(e))
    print(f"{inst.module}: case {args.case}, seed {args.seed}")
    repro = repro_command(inst, sim, args.seed, args.case, images=args.images,
                          stall=args.stall, gaps=args.gaps)
    try:
        r = run(inst, plan, sim=sim, seed=args.seed, stall=args.stall, gaps=args.gaps,
                repro=repro)
    except EngineMismatch as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print(f"{r.module} ({r.sim}): {r.checked} output pixels of {len(plan.layers)} layer(s) "
          f"match the golden model in {r.cycles} cycles (build {r.build_seconds:.1f} s, run "
          f"{r.seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
