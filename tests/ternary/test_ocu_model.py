"""Tests of the OCU golden models (sim_models.ternary.ocu) against a plain-loop reference
written from the algorithm (docs/ternary.md, REFERENCE.md 2): per window the sum of the
products of the ``k x k x n_i`` trits with the weights, pooled (max or sum) over 4 consecutive
windows, then the double threshold (``+1`` if ``sum > hi``, else ``-1`` if ``sum < lo``, else
0); the code ``0b10`` is illegal (counts as 0 and flags the result). The binary unit maps bit
1 to ``+1`` and 0 to ``-1`` and gives ``sum >= th``."""

import numpy as np
import pytest

from sim_models.ternary import BinaryOCUModel as ExportedBinary
from sim_models.ternary import OCUModel as ExportedModel
from sim_models.ternary.ocu import POOL_SIZE, BinaryOCUModel, OCUModel

# --------------------------------------------------------------------------------------------
# plain-loop reference

CODE_TO_TRIT = {0b00: 0, 0b01: 1, 0b11: -1, 0b10: 0}
TRIT_TO_CODE = {-1: 0b11, 0: 0b00, 1: 0b01}


def ref_window_sum(window, weights, k, n_i, value):
    total = 0
    for y in range(k):
        for x in range(k):
            for c in range(n_i):
                total += value(int(window[y][x][c])) * value(int(weights[y][x][c]))
    return total


def ref_pool(sums, pooling):
    if pooling in (None, "none"):
        return list(sums)
    out = []
    for i in range(0, len(sums), 4):
        group = sums[i:i + 4]
        out.append(max(group) if pooling == "max" else sum(group))
    return out


def ref_ternary(windows, weights, lo, hi, k, n_i, pooling):
    sums = [ref_window_sum(w, weights, k, n_i, CODE_TO_TRIT.__getitem__) for w in windows]
    bad_w = any(int(c) == 0b10 for c in np.asarray(weights).reshape(-1))
    bad = [any(int(c) == 0b10 for c in np.asarray(w).reshape(-1)) for w in windows]
    group = 1 if pooling in (None, "none") else 4
    bad = [bad_w or any(bad[i:i + group]) for i in range(0, len(bad), group)]
    sums = ref_pool(sums, pooling)
    trits = [1 if s > hi else (-1 if s < lo else 0) for s in sums]
    return sums, trits, [int(b) for b in bad]


def ref_binary(windows, weights, th, k, n_i, pooling):
    sums = [ref_window_sum(w, weights, k, n_i, lambda b: 2 * b - 1) for w in windows]
    sums = ref_pool(sums, pooling)
    return sums, [int(s >= th) for s in sums]


# --------------------------------------------------------------------------------------------
# cross-checks


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("n_i", [1, 4, 9])
@pytest.mark.parametrize("pooling", [None, "none", "max", "sum"])
def test_ternary_model_matches_plain_loops(k, n_i, pooling):
    rng = np.random.default_rng(k * 100 + n_i + len(str(pooling)))
    model = OCUModel(n_i, k, pooling)
    n = 8
    codes = np.array([0b00, 0b01, 0b11, 0b10])
    for illegal in (False, True):
        p = [0.3, 0.3, 0.3, 0.1] if illegal else [1 / 3, 1 / 3, 1 / 3, 0]
        windows = rng.choice(codes, size=(n, k, k, n_i), p=p)
        weights = rng.choice(codes, size=(k, k, n_i), p=p)
        for lo, hi in [(0, 0), (-2, 3), (3, -2), (-100, 100)]:
            got = model(windows, weights, lo, hi)
            sums, trits, bad = ref_ternary(windows, weights, lo, hi, k, n_i, pooling)
            assert got["sum"].tolist() == sums
            assert got["trit"].tolist() == trits
            assert got["illegal"].tolist() == bad


@pytest.mark.parametrize("k", [1, 3, 7])
@pytest.mark.parametrize("pooling", [None, "max", "sum"])
def test_binary_model_matches_plain_loops(k, pooling):
    rng = np.random.default_rng(k + len(str(pooling)))
    n_i = 5
    model = BinaryOCUModel(n_i, k, pooling)
    windows = rng.integers(0, 2, size=(8, k, k, n_i))
    weights = rng.integers(0, 2, size=(k, k, n_i))
    for th in (-3, 0, 1, 4):
        got = model(windows, weights, th)
        sums, bits = ref_binary(windows, weights, th, k, n_i, pooling)
        assert got["sum"].tolist() == sums
        assert got["bit"].tolist() == bits


def test_extremes_and_pool_size():
    k, n_i = 3, 4
    w = np.full((k, k, n_i), TRIT_TO_CODE[1])
    wins = np.stack([w, np.full_like(w, TRIT_TO_CODE[-1]), np.zeros_like(w), w])
    out = OCUModel(n_i, k)(wins, w, 0, 0)
    assert out["sum"].tolist() == [36, -36, 0, 36]
    assert out["trit"].tolist() == [1, -1, 0, 1]
    assert OCUModel(n_i, k, "sum")(wins, w, 0, 0)["sum"].tolist() == [36]
    assert OCUModel(n_i, k, "max").windows_per_result == POOL_SIZE == 4
    assert OCUModel(n_i, k, "none").windows_per_result == 1


@pytest.mark.parametrize("kw, message", [
    ({"n_i": 0, "k": 3}, "N_I must be an integer between 1 and 256, not 0"),
    ({"n_i": 4, "k": 4}, "K must be 1, 3, 5 or 7, not 4"),
    ({"n_i": 4, "k": 3, "pooling": "avg"}, "Pooling must be None, 'max' or 'sum', not 'avg'"),
])
def test_validation(kw, message):
    with pytest.raises(ValueError, match=message):
        OCUModel(**kw)


def test_exported_from_package():
    assert ExportedModel is OCUModel and ExportedBinary is BinaryOCUModel
    assert BinaryOCUModel.threshold_fields == ("th",)
    assert OCUModel.threshold_fields == ("lo", "hi")
