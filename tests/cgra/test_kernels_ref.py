"""Numpy kernel references of the CGRA against scalar Python loops (wrapping W-bit arithmetic,
the multiplier hook and its operand order)."""

import numpy as np
import pytest

from sim_models.approx import DrumModel, RoupModel
from sim_models.cgra import kernels

SEED = 20261209
WIDTHS = [8, 16, 32]


def _s(v, w):
    """Python int -> signed w-bit value."""
    v %= 1 << w
    return v - (1 << w) if v >= 1 << (w - 1) else v


def _exact(x, y):
    return x * y


def _rand(rng, w, shape):
    return rng.integers(-(1 << (w - 1)), 1 << (w - 1), size=shape, dtype=np.int64)


def _dot_loop(a, b, w, mul):
    acc = 0
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        acc = _s(acc + _s(mul(x, y), w), w)
    return acc


def _fir_loop(x, h, w, mul):
    x, h = x.tolist(), h.tolist()
    out = []
    for n in range(len(x) - len(h) + 1):
        acc = 0
        for k in range(len(h)):
            acc = _s(acc + mul(h[k], x[n + k]), w)
        out.append(acc)
    return out


def _gemm_loop(A, B, w, mul):
    A, B = A.tolist(), B.tolist()
    return [[_s(sum(mul(A[i][k], B[k][j]) for k in range(len(B))), w)
             for j in range(len(B[0]))] for i in range(len(A))]


def _conv_loop(img, k, w, mul):
    img, k = img.tolist(), k.tolist()
    return [[_s(sum(mul(k[u][v], img[i + u][j + v]) for u in range(3) for v in range(3)), w)
             for j in range(len(img[0]) - 2)] for i in range(len(img) - 2)]


@pytest.mark.parametrize("width", WIDTHS)
def test_exact_kernels(width):
    rng = np.random.default_rng(SEED + width)
    msg = f"seed {SEED + width}"
    a, b = _rand(rng, width, 16), _rand(rng, width, 16)
    got = kernels.dot(a, b, width)
    assert isinstance(got, np.integer)
    assert int(got) == _dot_loop(a, b, width, _exact), msg
    x, h = _rand(rng, width, 24), _rand(rng, width, 8)
    fir = kernels.fir(x, h, width)
    assert fir.dtype == np.int64 and fir.shape == (17,)
    assert fir.tolist() == _fir_loop(x, h, width, _exact), msg
    A, B = _rand(rng, width, (4, 3)), _rand(rng, width, (3, 5))
    assert kernels.gemm(A, B, width).tolist() == _gemm_loop(A, B, width, _exact), msg
    img, k = _rand(rng, width, (6, 7)), _rand(rng, width, (3, 3))
    conv = kernels.conv3x3(img, k, width)
    assert conv.shape == (4, 5)
    assert conv.tolist() == _conv_loop(img, k, width, _exact), msg
    assert kernels.vadd(a, b, width).tolist() == [_s(p + q, width) for p, q in
                                                  zip(a.tolist(), b.tolist(), strict=True)]


@pytest.mark.parametrize("width", WIDTHS)
def test_wrapping_and_patterns(width):
    m = 1 << width
    top = m // 2 - 1
    # the largest products and sums wrap modulo 2**W
    a = np.full(16, -(m // 2), dtype=np.int64)
    assert int(kernels.dot(a, a, width)) == _s(16 * (m // 2) ** 2, width)
    assert kernels.vadd([top], [1], width).tolist() == [-(m // 2)]
    # unsigned patterns are read as signed values
    assert kernels.vadd([m - 1], [m - 1], width).tolist() == [-2]
    assert int(kernels.dot([m - 1, 3], [5, m - 2], width)) == -5 - 6
    assert kernels.wrap([m, m + 1, -1, m // 2], width).tolist() == [0, 1, -1, -(m // 2)]


def test_wrap_object_arrays():
    big = np.array([2**70 + 5, -(2**65) - 1], dtype=object)
    assert kernels.wrap(big, 16).tolist() == [5, -1]
    assert kernels.wrap(np.array([], dtype=object), 8).shape == (0,)


def test_small_by_hand():
    assert int(kernels.dot([1, 2, 3], [4, 5, -6], 8)) == 4 + 10 - 18
    assert kernels.fir([1, 2, 3, 4], [1, 10], 16).tolist() == [21, 32, 43]
    assert kernels.gemm([[1, 2], [3, 4]], [[5, 6], [7, 8]], 32).tolist() == [[19, 22], [43, 50]]
    img = np.arange(16).reshape(4, 4)
    k = np.zeros((3, 3), dtype=int)
    k[0, 2] = 1  # picks img[i, j + 2]: no flip
    assert kernels.conv3x3(img, k, 8).tolist() == [[2, 3], [6, 7]]
    assert int(kernels.dot([100], [100], 8)) == _s(10000, 8)


@pytest.mark.parametrize("width", [16, 32])
@pytest.mark.parametrize("kind", ["drum", "roup"])
def test_approximate_mul_hook(width, kind):
    rng = np.random.default_rng(SEED + 5 * width)
    model = (DrumModel(width, 6, signed=True, sign_mode="twos") if kind == "drum"
             else RoupModel(width, 1, 2, signed=True))

    def mul(x, y):  # the model's product; object dtype at 32 bits
        return model(x, y)

    def mul_scalar(x, y):
        return int(model(x, y))

    msg = f"seed {SEED + 5 * width}, {kind}"
    a, b = _rand(rng, width, 16), _rand(rng, width, 16)
    got = int(kernels.dot(a, b, width, mul=mul))
    assert got == _dot_loop(a, b, width, mul_scalar), msg
    assert got != int(kernels.dot(a, b, width)), msg  # approximate on these operands
    x, h = _rand(rng, width, 24), _rand(rng, width, 8)
    assert kernels.fir(x, h, width, mul=mul).tolist() == _fir_loop(x, h, width, mul_scalar), msg
    A, B = _rand(rng, width, (4, 4)), _rand(rng, width, (4, 4))
    assert kernels.gemm(A, B, width, mul=mul).tolist() == _gemm_loop(A, B, width, mul_scalar)
    img, k = _rand(rng, width, (6, 6)), _rand(rng, width, (3, 3))
    assert kernels.conv3x3(img, k, width, mul=mul).tolist() == \
        _conv_loop(img, k, width, mul_scalar), msg


def test_mul_operand_order():
    # a non-commutative "multiplier" shows which operand goes first
    def first(x, y):
        return x

    x = np.array([1, 2, 3, 4])
    h = np.array([10, 20])
    assert kernels.fir(x, h, 16, mul=first).tolist() == [30, 30, 30]  # h first
    assert int(kernels.dot([1, 2], [5, 7], 16, mul=first)) == 3  # a first
    assert kernels.gemm([[1, 2]], [[5], [7]], 16, mul=first).tolist() == [[3]]  # A first
    k = np.full((3, 3), 2)
    assert kernels.conv3x3(np.ones((3, 3), int), k, 16, mul=first).tolist() == [[18]]
    # vadd has no products: the hook is not called
    assert kernels.vadd([1], [2], 8, mul=lambda p, q: 1 / 0).tolist() == [3]


def test_checks():
    with pytest.raises(ValueError, match="Data width must be 8, 16 or 32, not 12"):
        kernels.dot([1], [1], 12)
    with pytest.raises(TypeError, match="Data width must be 8, 16 or 32"):
        kernels.dot([1], [1], 8.0)
    with pytest.raises(ValueError, match="a and b must have the same length, not 2 and 1"):
        kernels.dot([1, 2], [1], 8)
    with pytest.raises(ValueError, match=r"a must lie in \[-128, 255\]"):
        kernels.vadd([256], [0], 8)
    with pytest.raises(TypeError, match="x must hold integers"):
        kernels.fir([1.5, 2.0], [1], 8)
    with pytest.raises(ValueError, match="h must have 1 to len"):
        kernels.fir([1, 2], [1, 2, 3], 8)
    with pytest.raises(ValueError, match="A and B do not chain"):
        kernels.gemm(np.ones((2, 3), int), np.ones((2, 3), int), 8)
    with pytest.raises(ValueError, match=r"k must have shape \(3, 3\)"):
        kernels.conv3x3(np.ones((4, 4), int), np.ones((2, 2), int), 8)
    with pytest.raises(ValueError, match="img must be at least 3x3"):
        kernels.conv3x3(np.ones((2, 4), int), np.ones((3, 3), int), 8)
    with pytest.raises(ValueError, match="mul returned shape"):
        kernels.dot([1, 2], [3, 4], 8, mul=lambda p, q: np.array(1))
