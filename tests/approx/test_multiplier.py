"""RTL of every multiplier design against its golden model, on the simulator chosen by ``SIM``.

Each design point is emitted to Verilog, built once per simulator in
``build/verif/<module>/<sim>/`` and checked in the streaming harness: directed corners, then
every operand pair up to 8 bits, or 100,000 seeded random pairs at 16 and 32 bits (fewer at 64).
Pipelined points (latency 1, 2) receive operands back to back, one pair per clock.
"""

from __future__ import annotations

import pytest

from gen.designs import instantiate
from gen.verify import verify

pytestmark = pytest.mark.rtl

SEED = 20261124
FAST = [
    # (design, params, random samples when not exhaustive)
    ("exact", {"width": 8, "arch": "array"}, 0),
    ("exact", {"width": 8, "signed": True, "arch": "array", "latency": 1}, 0),
    ("exact", {"width": 8, "arch": "booth"}, 0),
    ("exact", {"width": 8, "signed": True, "arch": "booth", "latency": 2}, 0),
    ("exact", {"width": 7, "signed": True, "arch": "booth"}, 0),
    ("exact", {"width": 16, "signed": True, "arch": "booth"}, 100_000),
    ("exact", {"width": 32, "arch": "booth", "latency": 1}, 100_000),
    ("exact", {"width": 64, "signed": True, "arch": "booth"}, 10_000),
    ("drum", {"width": 8, "k": 4}, 0),
    ("drum", {"width": 8, "k": 3, "signed": True, "sign_mode": "ones"}, 0),
    ("drum", {"width": 8, "k": 5, "signed": True, "sign_mode": "twos", "latency": 1}, 0),
    ("drum", {"width": 16, "k": 6}, 100_000),
    ("drum", {"width": 16, "k": 5, "signed": True, "sign_mode": "ones"}, 100_000),
    ("drum", {"width": 32, "k": 8, "latency": 2}, 100_000),
    ("drum", {"width": 64, "k": 12, "signed": True}, 10_000),
    ("roup", {"width": 8, "p": 1, "r": 2}, 0),
    ("roup", {"width": 8, "p": 2, "r": 1, "signed": False}, 0),
    ("roup", {"width": 7, "p": 1, "r": 1}, 0),
    ("roup", {"width": 16, "p": 1, "r": 2, "latency": 1}, 100_000),
    ("roup", {"width": 16, "p": 2, "r": 3, "signed": False}, 100_000),
    ("roup", {"width": 32, "p": 3, "r": 4}, 100_000),
]


def _id(case):
    return instantiate(case[0], case[1]).module


@pytest.mark.parametrize("case", FAST, ids=_id)
def test_rtl_matches_golden_model(case):
    name, params, samples = case
    inst = instantiate(name, params)
    print(f"{inst.module}: seed {SEED}, random samples {samples or 'none (exhaustive)'}")
    report = verify(inst, samples=samples or 100_000, seed=SEED)
    print(f"{report.module} ({report.sim}): {report.checked} vectors, {report.vectors}")
    assert report.checked >= (1 << (2 * params["width"]) if params["width"] <= 8 else samples)


@pytest.mark.slow
@pytest.mark.parametrize("case", [
    ("drum", {"width": 16, "k": k}, 1_000_000) for k in (4, 5, 6, 7, 8)
] + [
    ("roup", {"width": 16, "p": p, "r": r}, 1_000_000) for p, r in ((0, 2), (1, 0), (2, 4))
] + [
    ("exact", {"width": 32, "signed": True, "arch": "booth"}, 1_000_000),
], ids=_id)
def test_rtl_long_random(case):
    name, params, samples = case
    inst = instantiate(name, params)
    print(f"{inst.module}: seed {SEED}, {samples} random samples")
    report = verify(inst, vectors="random", samples=samples, seed=SEED)
    assert report.checked >= samples
