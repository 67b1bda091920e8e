"""Verification of the multiplier family: stimulus sets and the harness run.

Works on any component of the multiplier contract (ports ``a``, ``b`` and ``p``; properties
``width``, ``signed``, ``o_width`` and ``latency``) and any golden model ``model(a, b)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..harness import HarnessResult, Port, VectorHarness

__all__ = ["DEPTH", "LANES", "MAX_CORNER_PAIRS", "corner_operands", "corner_pairs", "stimulus",
           "Mismatch", "CheckResult", "check"]

DEPTH = 1 << 17  # vectors per harness run; longer sets run in batches without recompiling
LANES = 8  # multiplier instances checked side by side per clock


def corner_operands(width: int, signed: bool, k: int | None = None) -> list[int]:
    """Directed operand values: 0, 1, 2^i, 2^i - 1, 2^i + 1, max, most negative, around 2^k."""
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    vals = {0, 1, 2, 3, hi, hi - 1, lo, lo + 1}
    for i in range(width):
        vals.update({1 << i, (1 << i) - 1, (1 << i) + 1})
        if signed:
            vals.update({-(1 << i), -(1 << i) + 1, -(1 << i) - 1})
    if k is not None:
        for d in range(-2, 3):
            vals.update({(1 << k) + d, -((1 << k) + d)})
    return sorted(v for v in vals if lo <= v <= hi)


MAX_CORNER_PAIRS = 16384


def corner_pairs(width: int, signed: bool, k: int | None = None):
    """Operand pairs built from :func:`corner_operands`.

    Every pair of corners while there are at most :data:`MAX_CORNER_PAIRS` of them; beyond that
    (wide operands), every corner against a core set of extremes (0, +-1, +-2, max, max - 1, most
    negative and its neighbour, +-2^(width/2), 2^(width/2) - 1) in both orders, plus every corner
    squared and paired with its mirror in the sorted list.
    """
    corners = corner_operands(width, signed, k)
    if len(corners) ** 2 <= MAX_CORNER_PAIRS:
        pairs = [(x, y) for x in corners for y in corners]
    else:
        lo, hi = corners[0], corners[-1]
        half = 1 << (width // 2)
        core = sorted({v for v in (0, 1, 2, -1, -2, hi, hi - 1, lo, lo + 1, half, -half,
                                   half - 1) if lo <= v <= hi})
        pairs = sorted({*((x, c) for x in corners for c in core),
                        *((c, x) for x in corners for c in core),
                        *zip(corners, corners, strict=True),
                        *zip(corners, reversed(corners), strict=True)})
    a = np.array([x for x, _ in pairs], dtype=object)
    b = np.array([y for _, y in pairs], dtype=object)
    return a, b


def stimulus(width: int, signed: bool, *, exhaustive: bool | None = None,
             samples: int = 100_000, seed: int = 1, k: int | None = None):
    """Operand arrays ``(a, b)``: all corner pairs, then all pairs or ``samples`` random pairs.

    ``exhaustive=None`` means exhaustive for widths up to 8. Random operands are uniform over the
    operand range, drawn with ``numpy.random.default_rng(seed)``.
    """
    ca, cb = corner_pairs(width, signed, k)
    parts_a, parts_b = [ca], [cb]
    if exhaustive is None:
        exhaustive = width <= 8
    lo = -(1 << (width - 1)) if signed else 0
    if exhaustive:
        if width > 12:
            raise ValueError(f"Exhaustive verification is limited to width 12, not {width}")
        vals = np.arange(lo, lo + (1 << width), dtype=np.int64).astype(object)
        ea, eb = np.meshgrid(vals, vals, indexing="ij")
        parts_a.append(ea.ravel())
        parts_b.append(eb.ravel())
    elif samples:
        rng = np.random.default_rng(seed)
        # draw bit patterns 32 bits at a time so any width up to 64 is uniform
        def draw():
            words = rng.integers(0, 1 << 32, size=(samples, (width + 31) // 32), dtype=np.uint64)
            out = np.zeros(samples, dtype=object)
            for j in range(words.shape[1]):
                out = out | (words[:, j].astype(object) << (32 * j))
            out = out & ((1 << width) - 1)
            return out + lo if signed else out
        parts_a.append(draw())
        parts_b.append(draw())
    return np.concatenate(parts_a), np.concatenate(parts_b)


@dataclass(frozen=True)
class Mismatch:
    """The first vector on which the RTL and the golden model disagree."""

    index: int
    a: int
    b: int
    expected: int
    got: int


@dataclass(frozen=True)
class CheckResult:
    """Outcome of :func:`check`: vectors checked, mismatches, the first one, simulation time."""

    checked: int
    mismatches: int
    first: Mismatch | None
    seconds: float
    sim: str


def _as_model_input(values, width: int, signed: bool):
    fits = 2 * width + 1 <= 63
    return np.asarray(values, dtype=np.int64) if fits else np.asarray(values, dtype=object)


def check(component, model, *, module: str, verilog: Path, build_dir: Path, a, b,
          sim: str | None = None, waves: bool = False, lanes: int = LANES) -> CheckResult:
    """Run the RTL of ``component`` (emitted as ``module`` in ``verilog``) on all ``(a, b)``.

    Expected results come from ``model(a, b)``; the RTL runs in the streaming harness, one vector
    per lane and clock (``lanes`` instances side by side), in batches of :data:`DEPTH`.
    """
    width, signed, o_width = component.width, component.signed, component.o_width
    harness = VectorHarness(
        top=module, sources=[verilog],
        inputs=[Port("a", width, signed), Port("b", width, signed)],
        outputs=[Port("p", o_width, signed)],
        latency=component.latency, clocked=component.latency > 0, depth=DEPTH,
        build_dir=build_dir, sim=sim, waves=waves, lanes=lanes,
    )
    a = np.asarray(a, dtype=object).ravel()
    b = np.asarray(b, dtype=object).ravel()
    expected = np.asarray(model(_as_model_input(a, width, signed),
                                _as_model_input(b, width, signed)), dtype=object).ravel()
    checked = mismatches = 0
    seconds = 0.0
    first = None
    for start in range(0, len(a), DEPTH):
        sl = slice(start, start + DEPTH)
        r: HarnessResult = harness.run({"a": a[sl], "b": b[sl]}, {"p": expected[sl]},
                                       tag=f"batch{start // DEPTH}")
        checked += r.checked
        seconds += r.seconds
        if r.mismatches and first is None:
            i = start + r.first_index
            first = Mismatch(i, int(a[i]), int(b[i]), int(expected[i]), r.first_got["p"])
        mismatches += r.mismatches
    return CheckResult(checked, mismatches, first, seconds, harness.sim)
