"""RTL of every multiplier design against its golden model, on the simulator chosen by ``SIM``.

Each design point is emitted to Verilog, built once per simulator in
``build/verif/<module>/<sim>/`` and checked in the streaming harness: directed corners, then
every operand pair up to 8 bits, or seeded random pairs: 50,000 at 16 bits, 5,000 at 32 and
2,000 at 64, where corner pairs dominate (Icarus spends about 17 ms per 32-bit pair; the
1,000,000-pair runs are in ``make regress``).
Pipelined points (latency 1, 2) receive operands back to back, one pair per clock.
"""

from __future__ import annotations

import numpy as np
import pytest

from gen.approx.verify import verify
from gen.flow.family import instantiate
from verif.approx.multiplier import MAX_CORNER_PAIRS, corner_operands, corner_pairs, stimulus
from verif.sim import verilator_selected

SEED = 20261124
FAST = [
    # (design, params, random samples when not exhaustive)
    ("exact", {"width": 8, "arch": "array"}, 0),
    ("exact", {"width": 8, "signed": True, "arch": "array", "latency": 1}, 0),
    ("exact", {"width": 8, "arch": "booth"}, 0),
    ("exact", {"width": 8, "signed": True, "arch": "booth", "latency": 2}, 0),
    ("exact", {"width": 7, "signed": True, "arch": "booth"}, 0),
    ("exact", {"width": 16, "signed": True, "arch": "booth"}, 50_000),
    ("exact", {"width": 32, "arch": "booth", "latency": 1}, 5_000),
    ("exact", {"width": 64, "signed": True, "arch": "booth"}, 2_000),
    ("drum", {"width": 8, "k": 4}, 0),
    ("drum", {"width": 8, "k": 3, "signed": True, "sign_mode": "ones"}, 0),
    ("drum", {"width": 8, "k": 5, "signed": True, "sign_mode": "twos", "latency": 1}, 0),
    ("drum", {"width": 16, "k": 6}, 50_000),
    ("drum", {"width": 16, "k": 5, "signed": True, "sign_mode": "ones"}, 50_000),
    ("drum", {"width": 32, "k": 8, "latency": 2}, 5_000),
    ("drum", {"width": 64, "k": 12, "signed": True}, 2_000),
    ("roup", {"width": 8, "p": 1, "r": 2}, 0),
    ("roup", {"width": 8, "p": 2, "r": 1, "signed": False}, 0),
    ("roup", {"width": 7, "p": 1, "r": 1}, 0),
    ("roup", {"width": 16, "p": 1, "r": 2, "latency": 1}, 50_000),
    ("roup", {"width": 16, "p": 2, "r": 3, "signed": False}, 50_000),
    ("roup", {"width": 32, "p": 3, "r": 4}, 5_000),
]


def _id(case):
    return instantiate(case[0], case[1]).module


def _fast(cases):
    """Under SIM=verilator the 64-bit points move to ``make regress``: their C++ alone takes
    Verilator three to four minutes to compile (Icarus runs them in under a minute)."""
    verilator = verilator_selected()
    return [pytest.param(c, marks=pytest.mark.slow) if verilator and c[1]["width"] > 32 else c
            for c in cases]


@pytest.mark.rtl
@pytest.mark.parametrize("case", _fast(FAST), ids=_id)
def test_rtl_matches_golden_model(case):
    name, params, samples = case
    inst = instantiate(name, params)
    print(f"{inst.module}: seed {SEED}, random samples {samples or 'none (exhaustive)'}")
    report = verify(inst, samples=samples or 100_000, seed=SEED)
    print(f"{report.module} ({report.sim}): {report.checked} vectors, {report.vectors}")
    assert report.checked >= (1 << (2 * params["width"]) if params["width"] <= 8 else samples)


@pytest.mark.rtl
@pytest.mark.slow
@pytest.mark.parametrize("case", [
    ("drum", {"width": 16, "k": k}, 1_000_000) for k in (4, 5, 6, 7, 8)
] + [
    ("roup", {"width": 16, "p": p, "r": r}, 1_000_000) for p, r in ((0, 2), (1, 0), (2, 4))
] + [
    ("exact", {"width": 32, "signed": True, "arch": "booth"}, 1_000_000),
    ("drum", {"width": 32, "k": 8, "latency": 2}, 1_000_000),
    ("roup", {"width": 32, "p": 3, "r": 4}, 1_000_000),
], ids=_id)
def test_rtl_long_random(case):
    name, params, samples = case
    inst = instantiate(name, params)
    print(f"{inst.module}: seed {SEED}, {samples} random samples")
    report = verify(inst, vectors="random", samples=samples, seed=SEED)
    assert report.checked >= samples


@pytest.mark.parametrize("width,signed", [(8, False), (8, True), (16, True), (32, False),
                                          (64, True)])
def test_corner_operands_cover_the_directed_values(width, signed):
    c = set(corner_operands(width, signed, k=5))
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    assert {0, 1, hi, lo, 31, 32, 33} <= c and min(c) == lo and max(c) == hi
    assert all((1 << i) in c and (1 << i) - 1 in c for i in range(width - (1 if signed else 0)))
    a, b = corner_pairs(width, signed, k=5)
    pairs = set(zip(a, b, strict=True))
    assert len(pairs) == len(a) <= max(MAX_CORNER_PAIRS, 12 * 2 * len(c) + 2 * len(c))
    assert {(hi, hi), (lo, lo), (lo, hi), (0, hi), (hi, 1)} <= pairs


def test_stimulus_is_exhaustive_up_to_8_bits_and_seeded_beyond():
    a, b = stimulus(6, True)
    assert len(a) == len(corner_pairs(6, True)[0]) + 4096
    assert set(zip(a[-4096:], b[-4096:], strict=True)) == {
        (x, y) for x in range(-32, 32) for y in range(-32, 32)}
    a1, b1 = stimulus(32, False, samples=1000, seed=3)
    a2, b2 = stimulus(32, False, samples=1000, seed=3)
    a3, _ = stimulus(32, False, samples=1000, seed=4)
    assert list(a1) == list(a2) and list(b1) == list(b2) and list(a1) != list(a3)
    # 64-bit random operands are uniform over the whole range, not just the low 63 bits
    a, _ = stimulus(64, True, samples=4000, seed=1)
    rand = np.array([int(x) < 0 for x in a[-4000:]])
    assert 0.45 < rand.mean() < 0.55
    assert max(a[-4000:]) < 1 << 63 and min(a[-4000:]) >= -(1 << 63)
