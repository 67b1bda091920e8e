"""Tests of the error metrics and the characterisation engine (sim_models.approx.metrics)."""

import json
import math
import os
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from sim_models.approx import (
    DrumModel,
    ErrorAccumulator,
    ErrorMetrics,
    ExactModel,
    RoupModel,
    characterise,
    error_metrics,
    lut_model,
)

SEED = 99

KEYS = [
    "ep_pct", "med", "nmed", "mred_pct", "mean_error", "mean_re_pct", "sd_re_pct", "min_re_pct",
    "max_re_pct", "wce", "wcre_pct", "mse", "mae_pct", "wce_pct", "mre_pct", "width", "signed",
    "sign_mode", "exhaustive", "samples", "seed",
]  # fmt: skip


def shared_reference_dir() -> Path:
    """``shared/reference`` beside the project, or under ``$EDGEFORGE_SHARED`` if set."""
    env = os.environ.get("EDGEFORGE_SHARED")
    if env:
        return Path(env) / "reference"
    return Path(__file__).resolve().parents[2].parent / "shared" / "reference"


def slow_selected(config) -> bool:
    return "slow" in (config.getoption("markexpr") or "") or os.environ.get("EDGEFORGE_SLOW") == "1"


def assert_metrics_close(got: dict, expected: dict, rel: float = 1e-12) -> None:
    for key in KEYS:
        if isinstance(expected[key], float):
            assert got[key] == pytest.approx(expected[key], rel=rel), key
        else:
            assert got[key] == expected[key], key


def brute_force_metrics(a_values, b_values, approx_grid, width) -> dict:
    """Pure-Python metrics of a full grid, written independently (two-pass variance)."""
    errors, rel = [], []
    for i, a in enumerate(a_values):
        row = approx_grid[i]
        for j, b in enumerate(b_values):
            exact = a * b
            e = row[j] - exact
            errors.append(e)
            if exact != 0:
                rel.append(e / exact)
    n = len(errors)
    mean_re = math.fsum(rel) / len(rel)
    abs_sum = sum(abs(e) for e in errors)
    return {
        "ep_pct": 100 * sum(1 for e in errors if e) / n,
        "med": abs_sum / n,
        "nmed": abs_sum / n / (2**width - 1) ** 2,
        "mred_pct": 100 * math.fsum(abs(r) for r in rel) / len(rel),
        "mean_error": sum(errors) / n,
        "mean_re_pct": 100 * mean_re,
        "sd_re_pct": 100 * math.sqrt(math.fsum((r - mean_re) ** 2 for r in rel) / len(rel)),
        "min_re_pct": 100 * min(rel),
        "max_re_pct": 100 * max(rel),
        "wce": max(abs(e) for e in errors),
        "wcre_pct": 100 * max(abs(r) for r in rel),
        "mse": sum(e * e for e in errors) / n,
        "mae_pct": 100 * abs_sum / n / 2 ** (2 * width),
        "wce_pct": 100 * max(abs(e) for e in errors) / 2 ** (2 * width),
        "mre_pct": 100 * math.fsum(abs(r) for r in rel) / len(rel),
    }


# ------------------------------------------------------------------------------------------
# Metric definitions on a hand-computed example


def test_error_metrics_hand_example():
    # Four 4-bit unsigned pairs with chosen "approximate" products:
    #   (3, 5): exact 15, approx 16 -> e = +1, RE = +1/15
    #   (2, 0): exact  0, approx  0 -> e =  0, excluded from RE (exact == 0)
    #   (7, 7): exact 49, approx 42 -> e = -7, RE = -7/49 = -1/7
    #   (1, 4): exact  4, approx  4 -> e =  0, RE = 0
    a = np.array([3, 2, 7, 1])
    b = np.array([5, 0, 7, 4])
    approx = np.array([16, 0, 42, 4])
    m = error_metrics(a, b, approx, width=4, signed=False)
    re_values = [Fraction(1, 15), Fraction(-1, 7), Fraction(0)]
    # EP = 2 of 4 pairs wrong = 50 %; MED = (1 + 0 + 7 + 0) / 4 = 2; NMED = 2 / 15**2
    assert m.ep_pct == 50.0
    assert m.med == 2.0
    assert m.nmed == pytest.approx(2 / 225, rel=1e-15)
    # mean e = (1 - 7) / 4 = -1.5; MSE = (1 + 49) / 4 = 12.5; WCE = 7
    assert m.mean_error == -1.5
    assert m.mse == 12.5
    assert m.wce == 7
    # MRED = (1/15 + 1/7 + 0) / 3 = 22/315; mean RE = (1/15 - 1/7) / 3 = -8/315
    mred = sum(abs(r) for r in re_values) / 3
    mean_re = sum(re_values) / 3
    assert mred == Fraction(22, 315) and mean_re == Fraction(-8, 315)
    assert m.mred_pct == pytest.approx(100 * 22 / 315, rel=1e-14)
    assert m.mre_pct == m.mred_pct
    assert m.mean_re_pct == pytest.approx(-100 * 8 / 315, rel=1e-14)
    # var = mean(RE**2) - mean**2 = 274/33075 - 64/99225 = 758/99225 -> sd = sqrt(758) / 315
    variance = sum(r * r for r in re_values) / 3 - mean_re**2
    assert variance == Fraction(758, 99225)
    assert m.sd_re_pct == pytest.approx(100 * math.sqrt(758) / 315, rel=1e-12)
    # min RE = -1/7, max RE = +1/15, WCRE = 1/7
    assert m.min_re_pct == pytest.approx(-100 / 7, rel=1e-15)
    assert m.max_re_pct == pytest.approx(100 / 15, rel=1e-15)
    assert m.wcre_pct == pytest.approx(100 / 7, rel=1e-15)
    # EvoApproxLib: MAE% = 100 * 2 / 2**8 = 0.78125; WCE% = 100 * 7 / 256 = 2.734375
    assert m.mae_pct == 0.78125
    assert m.wce_pct == 2.734375
    assert (m.samples, m.exhaustive, m.seed, m.signed, m.sign_mode) == (4, False, None, False, None)


def test_error_metrics_exact_products_default_and_no_nonzero():
    m = error_metrics([0, 0, 3], [5, 0, 0], [1, 0, -2], width=4, signed=True)
    # every exact product is 0: the relative metrics are undefined
    assert m.mred_pct is None and m.sd_re_pct is None and m.wcre_pct is None
    assert m.wce == 2 and m.ep_pct == pytest.approx(200 / 3)
    assert json.loads(json.dumps(m.to_dict()))["mred_pct"] is None


def test_accumulator_merge_equals_single_pass():
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED)
    exact = rng.integers(-5000, 5000, size=10_000)
    approx = exact + rng.integers(-30, 31, size=10_000)
    whole = ErrorAccumulator(8)
    whole.add(approx, exact)
    parts = [ErrorAccumulator(8) for _ in range(3)]
    for i, acc in enumerate(parts):
        acc.add(approx[i::3], exact[i::3])
    merged = ErrorAccumulator(8)
    for acc in parts:
        merged.merge(acc)
    assert_metrics_close(merged.result(signed=True).to_dict(), whole.result(signed=True).to_dict())


# ------------------------------------------------------------------------------------------
# characterise against a brute-force scalar computation, 8-bit exhaustive


@pytest.mark.parametrize(
    "model",
    [
        DrumModel(8, 4),
        DrumModel(8, 3, signed=True, sign_mode="ones"),
        DrumModel(8, 5, signed=True, sign_mode="twos"),
        RoupModel(8, 2, 3, signed=True),
        RoupModel(8, 1, 2, signed=False),
    ],
    ids=lambda m: m.name,
)
def test_characterise_matches_brute_force_8bit(model):
    result = characterise(model)
    assert result.exhaustive and result.samples == 2**16 and result.seed is None
    values = list(range(-128, 128)) if model.signed else list(range(256))
    arr = np.array(values)
    grid = model(arr[:, None], arr[None, :]).tolist()
    expected = brute_force_metrics(values, values, grid, 8)
    got = result.to_dict()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
    assert got["sign_mode"] == (
        model.sign_mode if model.signed and hasattr(model, "sign_mode") else None
    )


def test_characterise_exact_model_has_zero_error():
    result = characterise(ExactModel(10, signed=True))
    assert result.ep_pct == 0 and result.wce == 0 and result.mse == 0
    assert result.mred_pct == 0 and result.min_re_pct == 0 and result.max_re_pct == 0
    assert result.samples == 2**20


def test_to_dict_keys_and_json():
    result = characterise(DrumModel(8, 4, signed=True, sign_mode="ones"))
    assert isinstance(result, ErrorMetrics)
    data = result.to_dict()
    assert list(data) == KEYS
    assert json.loads(json.dumps(data)) == data
    assert data["sign_mode"] == "ones" and data["signed"] is True
    assert isinstance(data["wce"], int) and isinstance(data["samples"], int)
    assert all(type(data[k]) is float for k in ("ep_pct", "med", "nmed", "mse", "mred_pct"))
    assert characterise(DrumModel(8, 4, sign_mode="ones")).sign_mode is None  # unsigned
    text = result.describe()
    assert "8-bit signed operands in [-128, 127]" in text and "sign mode ones" in text
    assert "exhaustive (65536 pairs)" in text
    with pytest.raises(AttributeError):
        result.wce = 3


def test_parallel_and_chunking_do_not_change_results():
    model = DrumModel(10, 4, signed=True, sign_mode="twos")
    serial = characterise(model, chunk_pairs=3000, workers=1).to_dict()
    parallel = characterise(model, chunk_pairs=3000, workers=2).to_dict()
    assert serial == parallel  # same tiles -> bit-identical partial sums
    other = characterise(model, chunk_pairs=1 << 16, workers=1).to_dict()
    assert_metrics_close(other, serial)


def test_parallel_with_plain_callable():
    def truncating(a, b):
        return (a * b) >> 3 << 3

    result = characterise(truncating, width=12, signed=False, chunk_pairs=1 << 16, workers=2)
    assert result.exhaustive and result.samples == 2**24
    assert result.wce == 7


def test_sampling_is_reproducible_and_reported():
    model = DrumModel(16, 6)
    print(f"seed={SEED}")
    one = characterise(model, samples=50_000, seed=SEED)
    two = characterise(model, samples=50_000, seed=SEED, chunk_pairs=7_000)
    assert (one.exhaustive, one.samples, one.seed) == (False, 50_000, SEED)
    assert one.wce == two.wce and one.ep_pct == two.ep_pct and one.med == two.med
    assert one.mred_pct == pytest.approx(two.mred_pct, rel=1e-12)
    other = characterise(model, samples=50_000, seed=SEED + 1)
    assert other.med != one.med
    # 16-bit DRUM6 from REFERENCE 1.1: MRED 1.468 %; 50k samples land close to it
    assert one.mred_pct == pytest.approx(1.468, abs=0.03)


def test_default_mode_depends_on_width():
    assert characterise(DrumModel(8, 4)).exhaustive is True
    sampled = characterise(ExactModel(13))
    assert (sampled.exhaustive, sampled.samples, sampled.seed) == (False, 1_000_000, 0)


@pytest.mark.parametrize(
    ("model", "k"),
    [(DrumModel(40, 8, signed=True, sign_mode="ones"), 8), (DrumModel(64, 8), 8)],
    ids=["40-bit signed ones", "64-bit unsigned"],
)
def test_characterise_wide_models_sampled(model, k):
    result = characterise(model, samples=3_000, seed=SEED)
    assert result.samples == 3_000
    # DRUM_k's relative error is bounded by about 2**(1-k) per operand
    assert result.wcre_pct < 100 * 2.0 ** (2 - k)
    assert 0 < result.mred_pct < 1.0


def test_error_metrics_wide_matches_brute_force():
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED)
    width = 48
    a = [int(x) - 2**47 for x in rng.integers(0, 2**48, size=500, dtype=np.uint64)]
    b = [int(x) - 2**47 for x in rng.integers(0, 2**48, size=500, dtype=np.uint64)]
    model = DrumModel(width, 7, signed=True, sign_mode="twos")
    approx = model(np.array(a, dtype=object), np.array(b, dtype=object))
    got = error_metrics(np.array(a, dtype=object), np.array(b, dtype=object), approx, width=width)
    assert got.signed is True
    errors = [p - x * y for p, x, y in zip(approx.tolist(), a, b, strict=True)]
    assert got.wce == max(abs(e) for e in errors)
    assert got.med == pytest.approx(sum(abs(e) for e in errors) / 500, rel=1e-15)
    assert got.mse == pytest.approx(sum(e * e for e in errors) / 500, rel=1e-12)
    rel = [e / (x * y) for e, x, y in zip(errors, a, b, strict=True) if x * y]
    assert got.mred_pct == pytest.approx(100 * math.fsum(abs(r) for r in rel) / len(rel), rel=1e-12)


# ------------------------------------------------------------------------------------------
# Parameter validation


def test_characterise_validation():
    def plain(a, b):
        return a * b

    with pytest.raises(TypeError, match="^width must be given"):
        characterise(plain, signed=False)
    with pytest.raises(TypeError, match="^signed must be given"):
        characterise(plain, width=8)
    with pytest.raises(ValueError, match="disagrees with the model's width=8"):
        characterise(DrumModel(8, 4), width=9)
    with pytest.raises(ValueError, match="^Give either exhaustive=True or samples=N, not both$"):
        characterise(DrumModel(8, 4), exhaustive=True, samples=10)
    with pytest.raises(ValueError, match="limited to widths up to 20"):
        characterise(DrumModel(24, 4), exhaustive=True)
    with pytest.raises(ValueError, match=r"^Samples must be an integer between 1 and"):
        characterise(DrumModel(24, 4), samples=0)
    with pytest.raises(TypeError, match="^Seed must be an integer"):
        characterise(DrumModel(24, 4), samples=10, seed=1.5)
    with pytest.raises(TypeError, match="^Model must be callable"):
        characterise(42, width=8, signed=False)
    with pytest.raises(ValueError, match="^Model returned shape"):
        characterise(lambda a, b: np.zeros(3, dtype=np.int64), width=4, signed=False)
    with pytest.raises(TypeError, match="^Approximate products must be integers"):
        characterise(lambda a, b: a * b * 1.0, width=4, signed=False)


# ------------------------------------------------------------------------------------------
# lut_model


def test_lut_model_exact_table():
    values = np.arange(-8, 8)
    patterns = values & 0xF
    table = np.zeros((16, 16), dtype=np.int16)
    table[patterns[:, None], patterns[None, :]] = values[:, None] * values[None, :]
    model = lut_model(table, width=4, signed=True, name="exact 4-bit LUT")
    assert (model.width, model.signed, model.sign_mode, model.name) == (
        4, True, None, "exact 4-bit LUT",
    )  # fmt: skip
    assert model(-8, -8).item() == 64 and model(-3, 5).item() == -15
    result = characterise(model)
    assert result.wce == 0 and result.sign_mode is None
    assert lut_model(table, width=4, signed=True).name == "LUT, 4-bit signed"


@pytest.mark.parametrize(
    ("lut", "kwargs", "error", "message"),
    [
        (np.zeros((256, 255), dtype=np.int64), {}, ValueError,
         "LUT must have shape (256, 256) for width 8, not (256, 255)"),
        (np.zeros((16, 16), dtype=np.int64), {}, ValueError,
         "LUT must have shape (256, 256) for width 8, not (16, 16)"),
        (np.zeros((256, 256)), {}, TypeError, "LUT must have an integer dtype, not float64"),
        ([[0] * 256] * 256, {}, TypeError, "LUT must be a numpy array, not list"),
        (np.zeros((256, 256), dtype=np.int64), {"width": 13}, ValueError,
         "Width must be an integer between 2 and 12, not 13"),
        (np.zeros((256, 256), dtype=np.int64), {"signed": "no"}, TypeError,
         "Signed must be a bool, not 'no'"),
        (np.zeros((2, 2), dtype=np.int64), {"width": 1}, ValueError,
         "Width must be an integer between 2 and 12, not 1"),
        (np.full((256, 256), -1, dtype=np.int64), {}, ValueError,
         "LUT values must lie in [0, 65535], the range of a 16-bit unsigned product, but it "
         "holds -1: a signed (two's-complement) table? declare it signed (--signed)"),
        (np.full((256, 256), 40000, dtype=np.int64), {"signed": True}, ValueError,
         "LUT values must lie in [-32768, 32767], the range of a 16-bit signed product, but it "
         "holds 40000: an unsigned table? declare it unsigned (no --signed)"),
        (np.full((256, 256), 65536, dtype=np.int64), {}, ValueError,
         "LUT values must lie in [0, 65535], the range of a 16-bit unsigned product, but it "
         "holds 65536: a signed (two's-complement) table? declare it signed (--signed)"),
    ],
)  # fmt: skip
def test_lut_model_validation(lut, kwargs, error, message):
    args = {"width": 8, "signed": False, **kwargs}
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        lut_model(lut, **args)


# ------------------------------------------------------------------------------------------
# EvoApproxLib: the published metrics of four 8-bit multipliers, reproduced from their LUTs.
# Published numbers: header comments of the C models in the ehw-fit/evoapproxlib repository
# (commit 2f674a5d4ade07cfd34579c6d6e4bae46a737c08; the Verilog files carry the same header):
#   multiplers/8x8_unsigned/pareto_pwr_mae/mul8u_FTA.c
#   multiplers/8x8_unsigned/pareto_pwr_mae/mul8u_13QR.c
#   multiplers/8x8_signed/pareto_pwr_mae/mul8s_1KR3.c
#   multiplers/8x8_signed/pareto_pwr_mae/mul8s_1L2D.c
# Each value is kept as the published text and compared at the published precision.

EVOAPPROX_PUBLISHED = {
    # ehw-fit/evoapproxlib multiplers/8x8_unsigned/pareto_pwr_mae/mul8u_FTA.c
    "mul8u_FTA": {
        "mae_pct": "0.89", "med": "581", "wce_pct": "4.29", "wce": "2809",
        "wcre_pct": "125.00", "ep_pct": "98.74", "mre_pct": "13.96", "mse": "543210",
    },
    # ehw-fit/evoapproxlib multiplers/8x8_unsigned/pareto_pwr_mae/mul8u_13QR.c
    "mul8u_13QR": {
        "mae_pct": "4.83", "med": "3168", "wce_pct": "19.46", "wce": "12754",
        "wcre_pct": "100.00", "ep_pct": "99.20", "mre_pct": "44.00", "mse": "15608.397e3",
    },
    # ehw-fit/evoapproxlib multiplers/8x8_signed/pareto_pwr_mae/mul8s_1KR3.c
    "mul8s_1KR3": {
        "mae_pct": "3.08", "med": "2016", "wce_pct": "12.30", "wce": "8064",
        "wcre_pct": "6300.00", "ep_pct": "98.05", "mre_pct": "135.77", "mse": "72829.102e2",
    },
    # ehw-fit/evoapproxlib multiplers/8x8_signed/pareto_pwr_mae/mul8s_1L2D.c
    "mul8s_1L2D": {
        "mae_pct": "0.23", "med": "150", "wce_pct": "1.16", "wce": "759",
        "wcre_pct": "1500.00", "ep_pct": "93.16", "mre_pct": "12.26", "mse": "38236",
    },
}  # fmt: skip


def format_like(value: float, published: str) -> str:
    """Format ``value`` the way the published text is written (same decimals and exponent)."""
    mantissa, _, exponent = published.partition("e")
    decimals = len(mantissa.partition(".")[2])
    scaled = value / 10 ** int(exponent) if exponent else value
    text = f"{scaled:.{decimals}f}"
    return f"{text}e{exponent}" if exponent else text


@pytest.mark.parametrize("name", sorted(EVOAPPROX_PUBLISHED))
def test_evoapprox_published_metrics(name):
    path = shared_reference_dir() / "evoapprox" / f"{name}.npy"
    if not path.is_file():
        pytest.skip(f"EvoApproxLib LUT not found at {path} (shared/ folder absent)")
    signed = name.startswith("mul8s")
    result = characterise(lut_model(np.load(path), width=8, signed=signed, name=name))
    assert result.exhaustive and result.samples == 65536
    got = result.to_dict()
    for key, published in EVOAPPROX_PUBLISHED[name].items():
        assert format_like(got[key], published) == published, (key, got[key], published)


# ------------------------------------------------------------------------------------------
# REFERENCE.md 1.1: DRUM_k on all 2**32 pairs of 16-bit unsigned operands

DRUM_TABLE = {
    # k: MRED %, mean RE %, sd(RE) %, RE min %, RE max %, NMED, WCE
    4: ("5.891", "+0.532", "7.258", "-19.00", "+26.56", "1.410e-2", "5.200e8"),
    5: ("2.938", "+0.142", "3.614", "-10.80", "+12.89", "7.052e-3", "2.641e8"),
    6: ("1.468", "+0.043", "1.805", "-5.79", "+6.35", "3.526e-3", "1.330e8"),
    7: ("0.733", "+0.018", "0.902", "-3.00", "+3.15", "1.763e-3", "6.672e7"),
    8: ("0.366", "+0.011", "0.450", "-1.53", "+1.57", "8.816e-4", "3.336e7"),
}

# Two table entries are their value rounded twice (to 4 decimals, then to 3), which differs
# from rounding once: the k = 6 sd(RE) is 1.804498 % (-> 1.8045 -> "1.805", once: 1.804) and
# the k = 8 mean RE is +0.010490 % (-> +0.0105 -> "+0.011", once: +0.010). The exhaustive run
# and the separable identity below agree on both to 6 digits, so these two entries are
# checked at 4 decimals; every other entry matches the table as printed.
DOUBLE_ROUNDED = {(6, "sd_re"): "1.8045", (8, "mean_re"): "+0.0105"}


def check_re_columns(k, mred, mean_re, sd_re, re_min, re_max) -> None:
    t_mred, t_mean, t_sd, t_min, t_max = DRUM_TABLE[k][:5]
    assert f"{mred:.3f}" == t_mred
    if (k, "mean_re") in DOUBLE_ROUNDED:
        assert f"{mean_re:+.4f}" == DOUBLE_ROUNDED[k, "mean_re"]
    else:
        assert f"{mean_re:+.3f}" == t_mean
    if (k, "sd_re") in DOUBLE_ROUNDED:
        assert f"{sd_re:.4f}" == DOUBLE_ROUNDED[k, "sd_re"]
    else:
        assert f"{sd_re:.3f}" == t_sd
    assert f"{re_min:.2f}" == t_min
    assert f"{re_max:+.2f}" == t_max


def separable_re_stats(ratios: np.ndarray) -> tuple[float, ...]:
    """RE statistics over all pairs when approx/exact factorises as u_a * u_b.

    For unsigned DRUM the approximate product is ã * b̃, so RE = u_a u_b - 1 with the
    per-operand ratio u = x̃ / x (x != 0). Then mean RE = E[u]**2 - 1,
    var RE = E[u**2]**2 - E[u]**4, min/max RE = min(u)**2 - 1 / max(u)**2 - 1, and
    sum |u_i u_j - 1| is summed row by row with prefix sums over the sorted ratios.
    Returns (MRED %, mean RE %, sd(RE) %, min RE %, max RE %).
    """
    u = np.sort(ratios)
    n = u.size
    prefix = np.concatenate(([0.0], np.cumsum(u)))
    total = prefix[-1]
    # for row u_i: the j with u_j < 1 / u_i contribute 1 - u_i u_j, the others u_i u_j - 1
    split = np.searchsorted(u, 1.0 / u, side="left")
    below = split - u * prefix[split]
    above = u * (total - prefix[split]) - (n - split)
    mred = math.fsum(below + above) / n**2
    mean_u = math.fsum(u) / n
    mean_u2 = math.fsum(u * u) / n
    mean_re = mean_u**2 - 1
    var_re = mean_u2**2 - mean_u**4
    return (
        100 * mred,
        100 * mean_re,
        100 * math.sqrt(var_re),
        100 * (u[0] ** 2 - 1),
        100 * (u[-1] ** 2 - 1),
    )


def test_separable_re_stats_match_characterise():
    model = DrumModel(10, 4)
    operands = np.arange(1, 2**10)
    stats = separable_re_stats(model(operands, 1) / operands)
    result = characterise(model)
    got = (result.mred_pct, result.mean_re_pct, result.sd_re_pct)
    got += (result.min_re_pct, result.max_re_pct)
    assert got == pytest.approx(stats, rel=1e-9)


@pytest.mark.parametrize("k", sorted(DRUM_TABLE))
def test_drum16_reference_table_re_columns_via_separable_identity(k):
    # Fast, independent check of the table's relative-error columns over all 2**32 pairs.
    operands = np.arange(1, 2**16)
    ratios = DrumModel(16, k)(operands, 1) / operands
    check_re_columns(k, *separable_re_stats(ratios))


@pytest.mark.slow
@pytest.mark.parametrize("k", sorted(DRUM_TABLE))
def test_drum16_reference_table_exhaustive(k, request):
    if not slow_selected(request.config):
        pytest.skip("slow (20-60 s per k): run with -m slow or EDGEFORGE_SLOW=1")
    result = characterise(DrumModel(16, k), exhaustive=True)
    print(result.describe())
    assert result.samples == 2**32 and result.exhaustive
    check_re_columns(
        k,
        result.mred_pct,
        result.mean_re_pct,
        result.sd_re_pct,
        result.min_re_pct,
        result.max_re_pct,
    )
    nmed, wce = DRUM_TABLE[k][5:]
    assert f"{result.nmed:.3e}" == f"{float(nmed):.3e}"
    assert f"{result.wce:.3e}" == f"{float(wce):.3e}"
