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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim_models.ternary import TernaryLayer, pack_trits, unpack_trits

__all__ = ["EngineConfig", "EngineLayer", "EnginePlan", "EngineMismatch", "weight_writes",
           "threshold_writes", "descriptor", "pack_pixels", "expected_outputs", "sum_width"]

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
