# amaranth: UnusedElaboratable=no
"""Tests of hw.ternary.trit: the code, the ternary multiplier (with silencing), the product
array and illegal-code detection, in Amaranth's simulator."""

import random
import runpy
from pathlib import Path

import pytest
from amaranth.hdl import Shape, signed

from hw.ternary import ILLEGAL_CODE, TRIT, TernaryMultiply, TernaryProducts, TritCheck
from hw.ternary.trit import code_value, pixel_layout, trit_code, window_layout

_hwsim = runpy.run_path(str(Path(__file__).with_name("hwsim.py")))
exactly = _hwsim["exactly"]
pack = _hwsim["pack"]
run_comb = _hwsim["run_comb"]

# the four codes as signed values of TRIT: +1 = 0b01, 0 = 0b00, -1 = 0b11, illegal 0b10 = -2
CODES = [0, 1, -1, -2]


def value(code):
    """Trit value of a code, None when illegal."""
    return None if code == -2 else code


def test_encoding():
    assert TRIT == signed(2)
    assert ILLEGAL_CODE == -2
    assert [trit_code(t) for t in (-1, 0, 1)] == [0b11, 0b00, 0b01]
    assert [code_value(c) for c in range(4)] == [0, 1, None, -1]
    assert pixel_layout(5).size == 10
    assert window_layout(4, 3).size == 2 * 4 * 9
    # [ky][kx][ci] with [0][0][0] lowest: flat index (ky * k + kx) * n_i + ci
    const = window_layout(2, 3).const([[[0, 0]] * 3, [[0, 0], [0, 0], [0, 1]], [[0, 0]] * 3])
    assert const.as_value().value == 1 << (2 * ((1 * 3 + 2) * 2 + 1))


def test_multiply_exhaustive():
    """All 16 code pairs: the two lines and the illegal flag."""
    dut = TernaryMultiply()
    pairs = [(a, w) for a in CODES for w in CODES]

    def apply(ctx, pair):
        ctx.set(dut.a, pair[0])
        ctx.set(dut.w, pair[1])

    got = run_comb(dut, pairs, apply,
                   lambda ctx: (ctx.get(dut.pos), ctx.get(dut.neg), ctx.get(dut.illegal)))
    for (a, w), lines in zip(pairs, got, strict=True):
        if value(a) is None or value(w) is None:
            product = 0
        else:
            product = value(a) * value(w)
        illegal = int(value(a) is None or value(w) is None)
        assert lines == (int(product == 1), int(product == -1), illegal), (a, w)


def test_silencing():
    """A zero operand keeps both lines at 0 whatever the other operand is, also while the
    other operand walks through every code in every order (no cycle raises a line)."""
    dut = TernaryMultiply()
    sequences = []
    for zero_side in ("a", "w"):
        walk = [c for c in CODES for _ in range(2)] + CODES[::-1] + [1, -1, 1, -2, -1, 0, 1]
        sequences += [(zero_side, other) for other in walk]

    def apply(ctx, item):
        zero_side, other = item
        ctx.set(dut.a, 0 if zero_side == "a" else other)
        ctx.set(dut.w, 0 if zero_side == "w" else other)

    got = run_comb(dut, sequences, apply, lambda ctx: (ctx.get(dut.pos), ctx.get(dut.neg)))
    assert got == [(0, 0)] * len(sequences)


@pytest.mark.parametrize("n", [1, 5, 37])
def test_products_random(n):
    rng = random.Random(n)
    dut = TernaryProducts(n)
    vectors = [([rng.choice(CODES) for _ in range(n)], [rng.choice(CODES) for _ in range(n)])
               for _ in range(60)]

    def apply(ctx, vector):
        ctx.set(dut.a, pack(vector[0]))
        ctx.set(dut.w, pack(vector[1]))

    got = run_comb(dut, vectors, apply, lambda ctx: (ctx.get(dut.pos), ctx.get(dut.neg)))
    for (a, w), (pos, neg) in zip(vectors, got, strict=True):
        products = [0 if value(x) is None or value(y) is None else x * y
                    for x, y in zip(a, w, strict=True)]
        assert pos == sum(1 << i for i, p in enumerate(products) if p == 1)
        assert neg == sum(1 << i for i, p in enumerate(products) if p == -1)


@pytest.mark.parametrize("n", [1, 3, 64])
def test_check(n):
    rng = random.Random(n)
    dut = TritCheck(n)
    vectors = [[0] * n, [1] * n, [-1] * n, [-2] * n]
    vectors += [[rng.choice(CODES) if rng.random() < 0.1 else 0 for _ in range(n)]
                for _ in range(40)]
    got = run_comb(dut, vectors, lambda ctx, v: ctx.set(dut.trits, pack(v)),
                   lambda ctx: (ctx.get(dut.mask), ctx.get(dut.illegal)))
    for vector, (mask, illegal) in zip(vectors, got, strict=True):
        expected = sum(1 << i for i, t in enumerate(vector) if t == -2)
        assert (mask, illegal) == (expected, int(expected != 0))


@pytest.mark.parametrize("cls", [TernaryProducts, TritCheck])
@pytest.mark.parametrize("n, exc", [(0, ValueError), (65537, ValueError), (True, TypeError),
                                    (2.0, TypeError)])
def test_n_invalid(cls, n, exc):
    with pytest.raises(exc, match=exactly(
            f"N must be an integer between 1 and 65536, not {n!r}")):
        cls(n)


def test_signatures():
    dut = TernaryMultiply()
    members = dut.signature.members
    assert members["a"].shape == TRIT and members["w"].shape == TRIT
    assert [members[x].flow.name for x in ("pos", "neg", "illegal")] == ["Out"] * 3
    products = TernaryProducts(7)
    assert products.n == 7 and Shape.cast(products.signature.members["a"].shape).width == 14
    assert Shape.cast(products.signature.members["pos"].shape).width == 7
    with pytest.raises(AttributeError):
        products.n = 3
