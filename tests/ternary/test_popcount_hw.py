# amaranth: UnusedElaboratable=no
"""Tests of hw.ternary.PopCount (exhaustive for small n, random for large, structure)."""

import random
import runpy
from pathlib import Path

import pytest
from amaranth.back import verilog
from amaranth.hdl import Shape

from hw.ternary import PopCount

_hwsim = runpy.run_path(str(Path(__file__).with_name("hwsim.py")))
exactly = _hwsim["exactly"]
run_comb = _hwsim["run_comb"]


def simulate(dut, vectors):
    return run_comb(dut, vectors, lambda ctx, v: ctx.set(dut.bits, v),
                    lambda ctx: ctx.get(dut.count))


@pytest.mark.parametrize("n", range(1, 10))
def test_exhaustive(n):
    vectors = list(range(1 << n))
    assert simulate(PopCount(n), vectors) == [bin(v).count("1") for v in vectors]


@pytest.mark.parametrize("n", [31, 100, 864])
def test_random(n):
    rng = random.Random(n)
    full = (1 << n) - 1
    vectors = [0, full, 1, 1 << (n - 1), full ^ 1]
    for density in (0.02, 0.5, 0.98):
        vectors += [sum(1 << i for i in range(n) if rng.random() < density) for _ in range(10)]
    assert simulate(PopCount(n), vectors) == [bin(v).count("1") for v in vectors]


@pytest.mark.parametrize("n, width, depth", [
    (1, 1, 0), (2, 2, 1), (3, 2, 2), (4, 3, 2), (5, 3, 3), (7, 3, 3), (8, 4, 3), (864, 10, 10),
    (1152, 11, 11), (65536, 17, 16),
])
def test_widths_and_depth(n, width, depth):
    dut = PopCount(n)
    assert (dut.n, dut.count_width, dut.depth) == (n, width, depth)
    assert Shape.cast(dut.signature.members["count"].shape).width == width
    for name in ("n", "count_width", "depth"):
        with pytest.raises(AttributeError):
            setattr(dut, name, 1)


def test_tree_structure():
    """n - 1 adders, each node as wide as its largest count, halves of the range."""
    text = verilog.convert(PopCount(10), name="x", emit_src=False)
    assert text.count(" + ") == 9
    assert "wire [3:0] pop_0_9;" in text or "output [3:0] pop_0_9;" in text
    assert "[2:0] pop_0_4;" in text and "[2:0] pop_5_9;" in text
    assert "[1:0] pop_0_2;" in text and "[1:0] pop_3_4;" in text


@pytest.mark.parametrize("n, exc", [(0, ValueError), (-1, ValueError), (65537, ValueError),
                                    (True, TypeError), (8.0, TypeError), (None, TypeError)])
def test_n_invalid(n, exc):
    with pytest.raises(exc, match=exactly(
            f"N must be an integer between 1 and 65536, not {n!r}")):
        PopCount(n)
