"""Tests of the batch-norm folding (sim_models.ternary.bn).

The property under test: for every integer sum ``s`` of the original weights, the engine's rule
on the sign-corrected sum ``S`` (``S = -s`` for negated channels) equals the ternary activation
of the real value ``g' * s + b'`` (round half up at +-0.5, clipped). The expectation is computed
here in exact rational arithmetic, independently of the model's threshold formulas.
"""

import math
from fractions import Fraction

import numpy as np
import pytest

from sim_models.ternary import (
    FoldedBatchNorm,
    TernaryLayer,
    fold_thresholds,
    pool,
    ternarise,
    ternary_conv2d,
    threshold,
)

SEED = 31337
HALF = Fraction(1, 2)


def quantise_exact(g: float, b: float, s: int) -> int:
    """Ternary activation of g*s + b with exact rationals: >= 1/2 -> +1, < -1/2 -> -1."""
    y = Fraction(g) * s + Fraction(b)
    if y >= HALF:
        return 1
    if y < -HALF:
        return -1
    return 0


def engine_rule(sum_: int, lo: int, hi: int) -> int:
    if sum_ > hi:
        return 1
    if sum_ < lo:
        return -1
    return 0


def check_all_sums(scale, offset, bound, max_abs_sum=None):
    """Exhaustive over s in [-bound, bound] for every channel; returns the mismatch count."""
    lo, hi, negate = fold_thresholds(scale, offset, max_abs_sum=max_abs_sum)
    sums = np.arange(-bound, bound + 1)
    for ch, (g, b) in enumerate(zip(scale, offset, strict=True)):
        assert bool(negate[ch]) is (g < 0)
        hw_sums = -sums if negate[ch] else sums
        got = threshold(hw_sums[:, None], lo[ch], hi[ch])[:, 0]
        expected = [quantise_exact(g, b, int(s)) for s in sums]
        assert got.tolist() == expected, (ch, g, b, int(lo[ch]), int(hi[ch]))
    return lo, hi, negate


def test_ternarise_by_hand():
    y = np.array([-2.0, -0.5000001, -0.5, 0.0, 0.4999999, 0.5, 3.0])
    assert ternarise(y).tolist() == [-1, -1, 0, 0, 0, 1, 1]
    assert ternarise(np.array([1, 0, -1])).tolist() == [1, 0, -1]
    with pytest.raises(TypeError, match="real numbers"):
        ternarise(np.array(["a"]))


def test_fold_exact_ties_dyadic_grid():
    # g' = sign * k/8 and b' = j/16: (+-0.5 - b') / g' is often an integer, so g'*s + b' hits
    # +-0.5 exactly at some integer sums -- the cases where an off-by-one shows. In sixteenths
    # everything is an integer: 16 * y = 2 * sign * k * s + j, compared with +-8.
    k, j, sign = (a.ravel() for a in np.meshgrid(np.arange(1, 17), np.arange(-24, 25), [1, -1]))
    scale, offset = sign * k / 8, j / 16
    sums = np.arange(-40, 41)
    y16 = 2 * (sign * k)[:, None] * sums[None, :] + j[:, None]
    expected = np.where(y16 >= 8, 1, np.where(y16 < -8, -1, 0))
    assert np.count_nonzero(np.abs(y16) == 8) > 300  # exact ties
    lo, hi, negate = fold_thresholds(scale, offset)
    assert negate.tolist() == (sign < 0).tolist()
    hw = np.where(negate[:, None], -sums[None, :], sums[None, :])  # sign-corrected sums
    got = np.array([threshold(hw[ch][:, None], lo[ch], hi[ch])[:, 0] for ch in range(len(k))])
    np.testing.assert_array_equal(got, expected)


def test_fold_random_parameters():
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED)
    n = 300
    scale = rng.choice([-1, 1], n) * 10.0 ** rng.uniform(-3, 1, n)
    offset = rng.normal(0, 3, n)
    check_all_sums(scale.tolist(), offset.tolist(), 150, max_abs_sum=150)


def test_reference_formula_is_off_by_one_for_strict_compares():
    # REFERENCE.md: hi = ceil((0.5 - b')/g'), lo = ceil((-0.5 - b')/g'), negated for g' < 0.
    def reference(g, b):
        hi = math.ceil((0.5 - b) / g)
        lo = math.ceil((-0.5 - b) / g)
        return (-lo, -hi) if g < 0 else (lo, hi)

    # g' = 0.5, b' = -0.75: at s = 3, y = 0.75 >= 0.5 -> +1, but 3 > ceil(2.5) = 3 is false
    assert quantise_exact(0.5, -0.75, 3) == 1
    lo_r, hi_r = reference(0.5, -0.75)
    assert engine_rule(3, lo_r, hi_r) == 0
    lo, hi, _ = fold_thresholds([0.5], [-0.75])
    assert (int(lo[0]), int(hi[0])) == (lo_r, hi_r - 1) == (1, 2)
    assert engine_rule(3, int(lo[0]), int(hi[0])) == 1
    # g' = -0.5, b' = 0.25: y = 0.5 * S + 0.25 on S = -s is < -0.5 for S < -1.5, i.e. from
    # S = -2 (s = 2) on; the literally negated reference lo is -ceil(1.5) = -2, which misses S = -2
    assert quantise_exact(-0.5, 0.25, 1) == 0 and quantise_exact(-0.5, 0.25, 2) == -1
    lo, hi, negate = fold_thresholds([-0.5], [0.25])
    lo_r, hi_r = reference(-0.5, 0.25)
    assert negate[0] and int(lo[0]) == -1 and lo_r == -2
    assert engine_rule(-2, int(lo[0]), int(hi[0])) == -1
    assert engine_rule(-2, lo_r, hi_r) == 0
    # over random parameters: the module's hi is the reference's minus one for g' > 0
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED)
    g = 10.0 ** rng.uniform(-2, 1, 200)
    b = rng.normal(0, 2, 200)
    lo, hi, _ = fold_thresholds(g, b)
    ref = [reference(gv, bv) for gv, bv in zip(g.tolist(), b.tolist(), strict=True)]
    assert hi.tolist() == [r[1] - 1 for r in ref]
    assert lo.tolist() == [r[0] for r in ref]


def test_zero_scale_and_clipping():
    # g' = 0: constant output, decided by b' alone
    lo, hi, negate = fold_thresholds([0.0, 0.0, 0.0, 0.0], [0.5, 0.49, -0.5, -0.51],
                                     max_abs_sum=10)
    sums = np.arange(-10, 11)
    for ch, level in enumerate([1, 0, 0, -1]):
        assert threshold(sums[:, None], lo[ch], hi[ch])[:, 0].tolist() == [level] * 21
    assert not negate.any()
    with pytest.raises(ValueError, match="scale 0"):
        fold_thresholds([0.0], [0.0])
    # thresholds far outside the range are clipped to +-(max_abs_sum + 1), same outputs
    lo, hi, _ = check_all_sums([1e-6, -1e-6, 1e-6], [100.0, 100.0, -100.0], 12, max_abs_sum=12)
    assert lo.tolist() == [-13, -13, 13] and hi.tolist() == [-13, -13, 13]
    with pytest.raises(ValueError, match="does not fit 64 bits"):
        fold_thresholds([1e-300], [1.0])


def test_batchnorm_parameters_and_conv_layers():
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED)
    c_out, c_in = 12, 5
    gamma = rng.normal(0, 1, c_out)
    gamma[:3] = [-0.7, 1e-4, -2.0]  # negative scales get negated weights
    beta = rng.normal(0, 0.5, c_out)
    mean = rng.normal(0, 4, c_out)
    var = rng.uniform(0.5, 30, c_out)
    bias = rng.normal(0, 1, c_out)
    eps = 1e-3
    bn = FoldedBatchNorm(gamma, beta, mean, var, bias=bias, eps=eps, max_abs_sum=9 * c_in)
    # g' and b' as REFERENCE.md writes them, in scalar Python
    for ch in range(c_out):
        std = math.sqrt(var[ch] + eps)
        assert bn.scale[ch] == gamma[ch] / std
        assert bn.offset[ch] == ((bias[ch] - mean[ch]) / std) * gamma[ch] + beta[ch]
    assert bn.negate.tolist() == (gamma < 0).tolist()
    assert bn.channels == c_out and bn.max_abs_sum == 45
    w = rng.integers(-1, 2, size=(c_out, 3, 3, c_in))
    act = rng.integers(-1, 2, size=(3, 9, 7, c_in))
    np.testing.assert_array_equal(bn.apply(w), w * np.where(gamma < 0, -1, 1)[:, None, None, None])
    sums = ternary_conv2d(act, w)  # of the original weights
    expected = np.vectorize(
        lambda s, ch: quantise_exact(float(bn.scale[ch]), float(bn.offset[ch]), int(s))
    )(sums, np.arange(c_out))
    layer = bn.layer(w)
    assert isinstance(layer, TernaryLayer)
    np.testing.assert_array_equal(layer(act), expected)


def test_max_pooling_commutes_with_batchnorm_applied_before_it():
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED + 1)
    c_out, c_in = 10, 4
    scale = rng.choice([-1, 1], c_out) * rng.uniform(0.05, 0.5, c_out)
    offset = rng.normal(0, 1, c_out)
    lo, hi, negate = fold_thresholds(scale, offset)
    w = rng.integers(-1, 2, size=(c_out, 3, 3, c_in))
    act = rng.integers(-1, 2, size=(4, 8, 10, c_in))
    sums = ternary_conv2d(act, w)
    signs = np.where(negate, -1, 1)[:, None, None, None]
    folded = TernaryLayer(w * signs, lo, hi, pooling="max")(act)

    def bn_exact(s, ch):
        return Fraction(float(scale[ch])) * int(s) + Fraction(float(offset[ch]))

    def quant(y):
        return 1 if y >= HALF else (-1 if y < -HALF else 0)

    before = np.zeros(folded.shape, dtype=int)  # float net: BN, then max pooling, then quant
    after = np.zeros(folded.shape, dtype=int)  # BN after max pooling
    pooled = pool(sums, "max")
    for n, y, x, ch in np.ndindex(folded.shape):
        window = sums[n, 2 * y : 2 * y + 2, 2 * x : 2 * x + 2, ch].ravel()
        before[n, y, x, ch] = quant(max(bn_exact(s, ch) for s in window))
        after[n, y, x, ch] = quant(bn_exact(pooled[n, y, x, ch], ch))
    np.testing.assert_array_equal(folded, before)
    pos = ~negate
    np.testing.assert_array_equal(folded[..., pos], after[..., pos])
    # for g' < 0 the batch norm after the pooling takes the minimum instead: not the same
    assert (folded[..., negate] != after[..., negate]).any()


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"eps": 0.0}, ValueError, "Eps must be a positive real number"),
        ({"eps": True}, TypeError, "Eps must be"),
        ({"var": [1.0, -1.0]}, ValueError, "Var must be non-negative"),
        ({"gamma": [1.0, np.nan]}, ValueError, "Gamma must be finite"),
        ({"beta": ["a", "b"]}, TypeError, "Beta must hold real numbers"),
        ({"mean": [0.0, 0.0, 0.0]}, ValueError, "same length"),
        ({"bias": np.zeros((2, 1))}, ValueError, "one value per channel"),
    ],
)
def test_batchnorm_validation(kwargs, exc, match):
    params = {"gamma": [1.0, 2.0], "beta": [0.0, 0.0], "mean": [0.0, 0.0], "var": [1.0, 1.0]}
    params.update(kwargs)
    with pytest.raises(exc, match=match):
        FoldedBatchNorm(**params)


def test_folded_is_read_only_and_weights_checked():
    bn = FoldedBatchNorm([1.0, -1.0], 0.0, 0.0, 1.0)
    for arr in (bn.scale, bn.offset, bn.lo, bn.hi, bn.negate):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0
    with pytest.raises(AttributeError):
        bn.lo = None
    with pytest.raises(ValueError, match=r"shape \(2, K, K, C_in\)"):
        bn.apply(np.zeros((3, 1, 1, 1), dtype=int))
    with pytest.raises(ValueError, match="must hold trits"):
        bn.apply(np.full((2, 1, 1, 1), 2))
    with pytest.raises(TypeError, match="Max abs sum must be an integer"):
        fold_thresholds([1.0], [0.0], max_abs_sum=1.5)
