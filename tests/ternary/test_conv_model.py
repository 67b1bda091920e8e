"""Tests of the ternary convolution golden model (sim_models.ternary.conv)."""

import itertools
import pickle

import numpy as np
import pytest

from sim_models.ternary import (
    TernaryLayer,
    TernaryNetwork,
    conv_output_size,
    pool,
    ternary_conv2d,
    threshold,
)

SEED = 424242

# ------------------------------------------------------------------------------------------
# References written differently from the model (which uses sliding windows and one float64
# matrix product): (1) scalar loops over Python ints straight from the formula, (2) np.pad and
# one shifted integer slice per kernel tap, accumulated in int64.


def out_size_ref(size, k, stride, padding):
    if padding == "same":
        return (size + stride - 1) // stride
    return (size - k) // stride + 1


def conv_loops(act, w, stride, padding):
    """out[y][x][o] = sum act[y*s + ky - pad][x*s + kx - pad][ci] * w[o][ky][kx][ci]."""
    h, wd, c_in = len(act), len(act[0]), len(act[0][0])
    c_out, k = len(w), len(w[0])
    pad = (k - 1) // 2 if padding == "same" else 0
    ho, wo = out_size_ref(h, k, stride, padding), out_size_ref(wd, k, stride, padding)
    out = [[[0] * c_out for _ in range(wo)] for _ in range(ho)]
    for y in range(ho):
        for x in range(wo):
            for o in range(c_out):
                total = 0
                for ky in range(k):
                    for kx in range(k):
                        iy, ix = y * stride + ky - pad, x * stride + kx - pad
                        if not (0 <= iy < h and 0 <= ix < wd):
                            continue  # a 0 trit outside the image
                        for ci in range(c_in):
                            total += int(act[iy][ix][ci]) * int(w[o][ky][kx][ci])
                out[y][x][o] = total
    return out


def pool_loops(sums, mode):
    ho, wo, c = len(sums) // 2, len(sums[0]) // 2, len(sums[0][0])
    out = [[[0] * c for _ in range(wo)] for _ in range(ho)]
    for y in range(ho):
        for x in range(wo):
            for o in range(c):
                vals = [sums[2 * y + dy][2 * x + dx][o] for dy in (0, 1) for dx in (0, 1)]
                out[y][x][o] = max(vals) if mode == "max" else sum(vals)
    return out


def threshold_scalar(s, lo, hi):
    if s > hi:
        return 1
    if s < lo:
        return -1
    return 0


def conv_shifted(act, w, stride, padding):
    """(N, H, W, C) int64 sums: np.pad, then one strided slice and one einsum per tap."""
    act = np.asarray(act, dtype=np.int64)
    w = np.asarray(w, dtype=np.int64)
    n, h, wd, _ = act.shape
    k = w.shape[1]
    pad = (k - 1) // 2 if padding == "same" else 0
    ho, wo = out_size_ref(h, k, stride, padding), out_size_ref(wd, k, stride, padding)
    xp = np.pad(act, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    out = np.zeros((n, ho, wo, w.shape[0]), dtype=np.int64)
    for ky in range(k):
        for kx in range(k):
            tap = xp[:, ky : ky + stride * (ho - 1) + 1 : stride,
                     kx : kx + stride * (wo - 1) + 1 : stride]
            out += np.einsum("nyxc,oc->nyxo", tap, w[:, ky, kx, :])
    return out


def pool_slices(s, mode):
    ho, wo = s.shape[-3] // 2, s.shape[-2] // 2
    parts = [s[..., dy : 2 * ho : 2, dx : 2 * wo : 2, :] for dy in (0, 1) for dx in (0, 1)]
    if mode == "max":
        return np.maximum(np.maximum(parts[0], parts[1]), np.maximum(parts[2], parts[3]))
    return parts[0] + parts[1] + parts[2] + parts[3]


def layer_ref(act, w, lo, hi, stride, padding, pooling):
    """One layer on (N, H, W, C) trits with the shifted-slice reference."""
    s = conv_shifted(act, w, stride, padding)
    if pooling is not None:
        s = pool_slices(s, pooling)
    if lo is None:
        return s
    lo, hi = np.asarray(lo), np.asarray(hi)
    return np.select([s > hi, s < lo], [1, -1], 0)


def random_trits(rng, shape, p_zero=1 / 3):
    """Trits with a given share of zeros (sparse maps exercise the zero 'silencing')."""
    signs = rng.choice([-1, 1], size=shape)
    return np.where(rng.random(shape) < p_zero, 0, signs).astype(np.int64)


# ------------------------------------------------------------------------------------------
# convolution, pooling and thresholds against the references

COMBOS = list(itertools.product((1, 3, 5, 7), (1, 2), ("same", "valid"), (None, "max", "sum")))


@pytest.mark.parametrize(("k", "stride", "padding", "pooling"), COMBOS)
def test_layer_matches_scalar_loops(k, stride, padding, pooling):
    seed = SEED + COMBOS.index((k, stride, padding, pooling))
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    h, w_, c_in, c_out = 11, 9, 2, 3  # non-square, odd (pooling drops a row and a column)
    act = random_trits(rng, (h, w_, c_in))
    w = random_trits(rng, (c_out, k, k, c_in))
    sums = conv_loops(act.tolist(), w.tolist(), stride, padding)
    got = ternary_conv2d(act, w, stride=stride, padding=padding)
    assert got.dtype == np.int64
    assert got.tolist() == sums
    assert got.shape[:2] == (out_size_ref(h, k, stride, padding), out_size_ref(w_, k, stride,
                                                                                padding))
    if pooling is not None:
        sums = pool_loops(sums, pooling)
        assert pool(got, pooling).tolist() == sums
    lo = rng.integers(-6, 3, size=c_out)
    hi = lo + rng.integers(-1, 5, size=c_out)  # includes lo > hi (+1 tested first)
    layer = TernaryLayer(w, lo, hi, stride=stride, padding=padding, pooling=pooling)
    expected = [[[threshold_scalar(s, lo[o], hi[o]) for o, s in enumerate(px)] for px in row]
                for row in sums]
    out = layer(act)
    assert out.dtype == np.int8
    assert out.tolist() == expected
    assert layer.output_shape(h, w_) == out.shape
    raw = TernaryLayer(w, stride=stride, padding=padding, pooling=pooling)
    assert raw(act).tolist() == sums


@pytest.mark.parametrize(("k", "stride", "padding", "pooling"), COMBOS)
def test_batched_layer_matches_shifted_reference(k, stride, padding, pooling):
    seed = SEED + 100 + COMBOS.index((k, stride, padding, pooling))
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    n, h, w_, c_in, c_out = 4, 13, 16, 7, 9
    act = random_trits(rng, (n, h, w_, c_in), p_zero=rng.random())
    w = random_trits(rng, (c_out, k, k, c_in), p_zero=rng.random())
    bound = k * k * c_in
    lo = rng.integers(-bound // 3, bound // 4, size=c_out)
    hi = lo + rng.integers(0, bound // 3 + 1, size=c_out)
    layer = TernaryLayer(w, lo, hi, stride=stride, padding=padding, pooling=pooling)
    np.testing.assert_array_equal(
        layer.sums(act), layer_ref(act, w, None, None, stride, padding, pooling)
    )
    got = layer(act)
    np.testing.assert_array_equal(got, layer_ref(act, w, lo, hi, stride, padding, pooling))
    # a batch is the stack of single images
    np.testing.assert_array_equal(got, np.stack([layer(a) for a in act]))
    assert got.shape == (n, *layer.output_shape(h, w_))


def test_same_padding_border_sums_by_hand():
    # all-ones 5x6x4 image and 3x3 kernel: corner taps see 2x2 pixels, edges 2x3, inside 3x3
    act = np.ones((5, 6, 4), dtype=np.int8)
    w = np.ones((1, 3, 3, 4), dtype=np.int8)
    s = ternary_conv2d(act, w)[..., 0]
    assert s[0, 0] == s[0, 5] == s[4, 0] == s[4, 5] == 4 * 4
    assert s[0, 2] == s[2, 0] == 6 * 4
    assert s[2, 2] == 9 * 4
    # stride 2, SAME: ceil(5/2) x ceil(6/2) at origins 0, 2, 4 and 0, 2, 4
    s2 = ternary_conv2d(act, w, stride=2)[..., 0]
    assert s2.tolist() == [[16, 24, 24], [24, 36, 36], [16, 24, 24]]
    # VALID with stride 2: (5 - 3) // 2 + 1 = 2 by (6 - 3) // 2 + 1 = 2, all interior
    assert ternary_conv2d(act, w, stride=2, padding="valid")[..., 0].tolist() == [[36, 36]] * 2


def test_full_range_sums_do_not_wrap():
    # K = 7, C_in = 96: |sum| up to 4704 (the public RTL's 10-bit register holds +-511)
    k, c_in = 7, 96
    act = np.ones((7, 7, c_in), dtype=np.int8)
    w = np.stack([np.ones((k, k, c_in)), -np.ones((k, k, c_in))]).astype(np.int8)
    layer = TernaryLayer(w, padding="valid")
    assert layer.sum_bound == 4704
    assert layer(act).tolist() == [[[4704, -4704]]]
    # sum pooling multiplies the range by 4
    act = np.ones((8, 8, c_in), dtype=np.int8)
    pooled = TernaryLayer(w, padding="valid", pooling="sum")
    assert pooled.sum_bound == 4 * 4704
    s = ternary_conv2d(np.ones((8, 8, c_in), dtype=np.int8), w, padding="valid")
    assert s.shape == (2, 2, 2)
    assert pooled(act).tolist() == [[[4 * 4704, -4 * 4704]]]
    assert pool(np.array([[[2**40], [2**40]], [[2**40], [2**40]]]), "sum").item() == 2**42


def test_pool_by_hand():
    s = np.arange(20).reshape(4, 5, 1) - 7  # the odd last column is dropped
    assert pool(s, "max")[..., 0].tolist() == [[-1, 1], [9, 11]]
    assert pool(s, "sum")[..., 0].tolist() == [[-16, -8], [24, 32]]


def test_threshold_boundaries_by_hand():
    sums = np.array([[-3, -2, -1, 0, 1, 2, 3]]).T  # one channel
    assert threshold(sums, -1, 1)[:, 0].tolist() == [-1, -1, 0, 0, 0, 1, 1]
    # lo > hi: +1 tested first, then -1
    assert threshold(sums, 2, 0)[:, 0].tolist() == [-1, -1, -1, -1, 1, 1, 1]
    # per-channel thresholds on the last axis
    two = np.array([[5, 5], [0, 0]])
    assert threshold(two, [4, -10], [4, 10]).tolist() == [[1, 0], [-1, 0]]


def test_output_size_formulas():
    for size, k, stride, padding in itertools.product(range(1, 20), (1, 3, 5, 7), (1, 2),
                                                      ("same", "valid")):
        if padding == "valid" and size < k:
            with pytest.raises(ValueError, match="at least"):
                conv_output_size(size, k, stride, padding)
            continue
        assert conv_output_size(size, k, stride, padding) == out_size_ref(size, k, stride,
                                                                          padding)


# ------------------------------------------------------------------------------------------
# networks


def test_network_matches_layerwise_reference_and_classifies():
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED)
    specs = [(3, 5, 1, "same", None), (5, 8, 2, "same", "max"), (3, 6, 1, "valid", "sum")]
    layers, raw_specs = [], []
    c_in = 3
    for i, (k, c_out, stride, padding, pooling) in enumerate(specs):
        w = random_trits(rng, (c_out, k, k, c_in))
        if i < len(specs) - 1:
            lo = rng.integers(-8, 0, size=c_out)
            hi = rng.integers(0, 8, size=c_out)
        else:
            lo = hi = None
        layers.append(TernaryLayer(w, lo, hi, stride=stride, padding=padding, pooling=pooling))
        raw_specs.append((w, lo, hi, stride, padding, pooling))
        c_in = c_out
    net = TernaryNetwork(layers)
    act = random_trits(rng, (5, 15, 26, 3))
    x = act
    trace = net.trace(act)
    for got, spec in zip(trace, raw_specs, strict=True):
        x = layer_ref(x, *spec)
        np.testing.assert_array_equal(got, x)
    # 15x26 -> 15x26 -> 8x13 -> pooled 4x6 -> 2x4 -> pooled 1x2
    assert trace[-1].shape == (5, *net.output_shape(15, 26)) == (5, 1, 2, 6)
    np.testing.assert_array_equal(net(act), x)
    flat = x.reshape(5, -1)
    expected = [max(range(flat.shape[1]), key=lambda j, r=r: (r[j], -j)) for r in flat]
    assert net.classify(act).tolist() == expected
    assert net.classify(act[0]).item() == expected[0]


def test_classify_ties_go_to_lowest_index():
    w = np.zeros((4, 1, 1, 1), dtype=np.int8)
    w[1] = w[3] = 1  # classes 1 and 3 tie, 0 and 2 are 0
    net = TernaryNetwork([TernaryLayer(w, padding="valid")])
    assert net.classify(np.ones((1, 1, 1), dtype=np.int8)).item() == 1
    assert net.classify(-np.ones((2, 1, 1, 1), dtype=np.int8)).tolist() == [0, 0]


# ------------------------------------------------------------------------------------------
# validation and the object model

W3 = np.zeros((2, 3, 3, 4), dtype=np.int8)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: ternary_conv2d(np.full((5, 5, 4), 2), W3), ValueError, "Activations must hold "
         r"trits \(-1, 0 or \+1\), got 2"),
        (lambda: ternary_conv2d(np.zeros((5, 5, 4)), W3), TypeError, "must hold integers"),
        (lambda: ternary_conv2d(np.zeros((5, 5, 4), bool), W3), TypeError, "must hold integers"),
        (lambda: ternary_conv2d(np.zeros((5, 5, 4), int), W3 * 1.0), TypeError, "Weights must"),
        (lambda: ternary_conv2d(np.zeros((5, 5, 3), int), W3), ValueError, "3 channels but the "
         "weights expect 4"),
        (lambda: ternary_conv2d(np.zeros((5, 5), int), W3), ValueError, r"\(H, W, C\)"),
        (lambda: ternary_conv2d(np.zeros((5, 5, 4), int), np.zeros((2, 2, 2, 4), int)),
         ValueError, "Kernel size must be odd, between 1 and 7, not 2"),
        (lambda: ternary_conv2d(np.zeros((9, 9, 4), int), np.zeros((2, 9, 9, 4), int)),
         ValueError, "not 9"),
        (lambda: ternary_conv2d(np.zeros((5, 5, 4), int), np.zeros((2, 3, 1, 4), int)),
         ValueError, "square kernel"),
        (lambda: ternary_conv2d(np.zeros((5, 5, 4), int), np.zeros((3, 3, 4), int)),
         ValueError, r"\(C_out, K, K, C_in\)"),
        (lambda: ternary_conv2d(np.zeros((5, 5, 4), int), W3, stride=3), ValueError,
         "Stride must be an integer between 1 and 2, not 3"),
        (lambda: ternary_conv2d(np.zeros((5, 5, 4), int), W3, stride=True), TypeError,
         "Stride must be an integer"),
        (lambda: ternary_conv2d(np.zeros((5, 5, 4), int), W3, padding="full"), ValueError,
         "Padding must be 'same' or 'valid', not 'full'"),
        (lambda: ternary_conv2d(np.zeros((2, 5, 4), int), W3, padding="valid"), ValueError,
         "at least 3 wide, got 2"),
        (lambda: pool(np.zeros((4, 4, 1), int), "avg"), ValueError, "'max' or 'sum', not 'avg'"),
        (lambda: pool(np.zeros((1, 4, 1), int), "max"), ValueError, "at least 2x2, got 1x4"),
        (lambda: pool(np.zeros((4, 4, 1)), "max"), TypeError, "Sums must hold integers"),
        (lambda: threshold(np.zeros((3, 2), int), [0, 0, 0], 0), ValueError, r"\(2,\)"),
        (lambda: threshold(np.zeros((3, 2), int), 0.5, 0), TypeError, "Lo must hold integers"),
        (lambda: TernaryLayer(W3, [0, 0]), ValueError, "given together"),
        (lambda: TernaryLayer(W3, pooling="min"), ValueError, "None or 'max' or 'sum'"),
        (lambda: TernaryLayer(W3).output_shape(3, 3) and TernaryLayer(W3, padding="valid",
         pooling="max").output_shape(3, 3), ValueError, "at least 2x2, got 1x1"),
        (lambda: TernaryNetwork([]), ValueError, "at least one layer"),
        (lambda: TernaryNetwork(TernaryLayer(W3)), TypeError, "iterable of TernaryLayer"),
        (lambda: TernaryNetwork([TernaryLayer(W3, 0, 0), "x"]), TypeError, "Layer 1 must be"),
        (lambda: TernaryNetwork([TernaryLayer(W3, 0, 0), TernaryLayer(W3, 0, 0)]), ValueError,
         "Layer 1 expects 4 input channels but layer 0 produces 2"),
        (lambda: TernaryNetwork([TernaryLayer(W3), TernaryLayer(W3[:, :, :, :2], 0, 0)]),
         ValueError, "Only the last layer may return raw sums, but layer 0 does"),
    ],
)
def test_validation(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_layer_is_read_only_and_copies_its_inputs():
    w = np.ones((2, 1, 1, 3), dtype=np.int64)
    lo = np.array([-1, -2])
    hi = np.array([1, 2])
    layer = TernaryLayer(w, lo, hi, stride=2, padding="valid", pooling="max")
    w[0, 0, 0, 0] = -1
    lo[0] = 5
    assert layer.weights[0, 0, 0, 0] == 1 and layer.lo.tolist() == [-1, -2]
    assert layer.weights.dtype == np.int8 and layer.lo.dtype == np.int64
    for arr in (layer.weights, layer.lo, layer.hi):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0
    for name in ("weights", "lo", "hi", "stride", "padding", "pooling"):
        with pytest.raises(AttributeError):
            setattr(layer, name, None)
    assert (layer.kernel_size, layer.in_channels, layer.out_channels) == (1, 3, 2)
    assert (layer.stride, layer.padding, layer.pooling, layer.raw) == (2, "valid", "max", False)
    assert layer.sum_bound == 3
    assert layer == pickle.loads(pickle.dumps(layer))
    assert layer != TernaryLayer(w, lo, hi, stride=2, padding="valid", pooling="max")
    assert layer != TernaryLayer(layer.weights, stride=2, padding="valid", pooling="max")
    assert "3->2, K=1" in repr(layer)
    net = TernaryNetwork([layer])
    assert net == pickle.loads(pickle.dumps(net)) and len(net) == 1 and net[0] is layer
    assert not net.raw and list(net) == [layer]
