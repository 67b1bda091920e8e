"""Tests of the DRUM golden model (sim_models.approx.DrumModel, drum_operand)."""

import os
import re
from pathlib import Path

import numpy as np
import pytest

from sim_models.approx import DrumModel, drum_operand

SEED = 1337


def shared_reference_dir() -> Path:
    """``shared/reference`` beside the project, or under ``$EDGEFORGE_SHARED`` if set."""
    env = os.environ.get("EDGEFORGE_SHARED")
    if env:
        return Path(env) / "reference"
    return Path(__file__).resolve().parents[2].parent / "shared" / "reference"


def drum_vectors():
    path = shared_reference_dir() / "drum_reference_vectors.npz"
    if not path.is_file():
        pytest.skip(f"DRUM reference vectors not found at {path} (shared/ folder absent)")
    return np.load(path)


# ------------------------------------------------------------------------------------------
# Scalar reference, written from the definition with bit strings (a different style from the
# vectorised model, which uses frexp and shifts).


def drum_mag_ref(x: int, k: int) -> int:
    """DRUM_k approximation of one unsigned magnitude via its binary string."""
    bits = bin(x)[2:] if x else ""
    if len(bits) <= k:  # below 2**k (including 0): used exactly
        return x
    # The k bits from the leading one down, lowest forced to 1, then zeros.
    kept = bits[: k - 1] + "1"
    return int(kept + "0" * (len(bits) - k), 2)


def drum_ref(a: int, b: int, width: int, k: int, signed: bool, sign_mode: str) -> int:
    """Scalar DRUM product of operand values ``a`` and ``b``."""
    if not signed:
        return drum_mag_ref(a, k) * drum_mag_ref(b, k)
    full = 2**width - 1
    pat_a, pat_b = a & full, b & full
    sign_a = pat_a >> (width - 1)
    sign_b = pat_b >> (width - 1)
    if sign_mode == "twos":
        mag_a, mag_b = abs(a), abs(b)
    else:  # one's complement of the bit pattern for negative operands
        mag_a = pat_a ^ full if sign_a else pat_a
        mag_b = pat_b ^ full if sign_b else pat_b
    r = drum_mag_ref(mag_a, k) * drum_mag_ref(mag_b, k)
    if not sign_a ^ sign_b:
        return r
    if sign_mode == "twos":
        return -r
    out_full = 2 ** (2 * width) - 1
    pattern = r ^ out_full  # invert every bit of the 2n-bit result
    return pattern - 2 ** (2 * width)  # top bit is set: decode as negative


def all_values(width: int, signed: bool) -> list[int]:
    if signed:
        return list(range(-(2 ** (width - 1)), 2 ** (width - 1)))
    return list(range(2**width))


def to_signed(patterns: np.ndarray, width: int) -> np.ndarray:
    values = patterns.astype(object)
    return np.array([int(v) - 2**width if int(v) >> (width - 1) else int(v) for v in values])


# ------------------------------------------------------------------------------------------


def test_drum_mag_hand_examples():
    # 0b1011_0110_1101 = 2925, k = 6: leading one at bit 11, s = 6, kept 0b10110|1, so the
    # approximation is 0b101101 << 6 = 45 * 64 = 2880.
    assert drum_mag_ref(2925, 6) == 2880
    assert drum_operand(2925, 6).item() == 2880
    # below 2**k: exact; 2**k exactly: s = 1, m = 0b100000 | 1 -> 33 << 1 = 66.
    assert drum_operand([0, 1, 63, 64], 6).tolist() == [0, 1, 63, 66]
    assert drum_operand(np.array([2**70 + 12345], dtype=object), 3).tolist() == [5 * 2**68]


@pytest.mark.parametrize(
    ("k", "signed", "sign_mode"),
    [
        (3, False, "twos"),
        (4, False, "twos"),
        (6, False, "ones"),
        (3, True, "twos"),
        (5, True, "twos"),
        (3, True, "ones"),
        (5, True, "ones"),
    ],
)
def test_drum_all_8bit_pairs_match_scalar_reference(k, signed, sign_mode):
    values = all_values(8, signed)
    model = DrumModel(8, k, signed=signed, sign_mode=sign_mode)
    arr = np.array(values, dtype=np.int64)
    got = model(arr[:, None], arr[None, :])
    assert got.dtype == np.int64
    assert got.shape == (256, 256)
    expected = [[drum_ref(a, b, 8, k, signed, sign_mode) for b in values] for a in values]
    assert got.tolist() == expected


@pytest.mark.parametrize(("width", "k"), [(32, 6), (32, 16), (48, 9), (63, 20), (64, 3), (64, 63)])
@pytest.mark.parametrize(("signed", "sign_mode"), [(False, "twos"), (True, "twos"), (True, "ones")])
def test_drum_wide_random_pairs(width, k, signed, sign_mode):
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED)
    patterns = rng.integers(0, 2**width, size=(2, 300), dtype=np.uint64, endpoint=False)
    # Mix in the corners as well.
    corners = [0, 1, 2**width - 1, 2 ** (width - 1), 2 ** (width - 1) - 1]
    pats = [int(p) for p in patterns.ravel()] + corners + corners[::-1]
    if signed:
        vals = [p - 2**width if p >> (width - 1) else p for p in pats]
    else:
        vals = pats
    half = len(vals) // 2
    a = np.array(vals[:half], dtype=object)
    b = np.array(vals[half:], dtype=object)
    got = DrumModel(width, k, signed=signed, sign_mode=sign_mode)(a, b)
    assert got.dtype == object
    expected = [drum_ref(x, y, width, k, signed, sign_mode) for x, y in zip(a, b, strict=True)]
    assert got.tolist() == expected


@pytest.mark.parametrize(("name", "width", "k"), [("drum6_16_u", 16, 6), ("drum5_16_u", 16, 5)])
def test_drum_unsigned_reproduces_author_vectors_16bit(name, width, k):
    data = drum_vectors()
    a, b, p = (data[f"{name}_{s}"] for s in "abp")
    got = DrumModel(width, k)(a, b)
    assert got.dtype == np.int64
    assert len(a) > 20000
    np.testing.assert_array_equal(got, p.astype(np.int64))


def test_drum_unsigned_reproduces_author_vectors_32bit():
    data = drum_vectors()
    a, b, p = (data[f"drum6_32_u_{s}"] for s in "abp")
    got = DrumModel(32, 6)(a, b)
    assert got.dtype == object
    assert got.tolist() == [int(v) for v in p]


def test_drum_ones_reproduces_author_vectors():
    data = drum_vectors()
    a = to_signed(data["drum6_16_s_ones_a"], 16)
    b = to_signed(data["drum6_16_s_ones_b"], 16)
    p = to_signed(data["drum6_16_s_ones_p"], 32)
    got = DrumModel(16, 6, signed=True, sign_mode="ones")(a, b)
    np.testing.assert_array_equal(got, p.astype(np.int64))
    # The vectors pin the rule for a set sign bit with a zero magnitude product (an operand 0
    # or -1, whose one's-complement magnitude is 0): the result is ~0 = -1, not 0.
    mag_a = np.where(a < 0, -a - 1, a)
    mag_b = np.where(b < 0, -b - 1, b)
    zero_negative = ((a < 0) ^ (b < 0)) & ((mag_a == 0) | (mag_b == 0))
    assert np.count_nonzero(zero_negative) > 20
    assert np.all(p[zero_negative] == -1)


def test_drum_ones_rules():
    model = DrumModel(8, 4, signed=True, sign_mode="ones")
    # sign = XOR of the sign bits, applied even when the magnitude product is 0
    assert model(0, -5).item() == -1
    assert model(7, -1).item() == -1
    assert model(-1, -1).item() == 0
    # -3 -> magnitude ~(-3) = 2; 2 * 5 = 10, one's complement -> -11
    assert model(-3, 5).item() == -11
    # -128 -> magnitude 127 -> DRUM4: 0b1111111 -> 0b1111 << 3 = 120; 120 * 1 = 120 -> -121
    assert model(-128, 1).item() == -121
    twos = DrumModel(8, 4, signed=True, sign_mode="twos")
    assert twos(0, -5).item() == 0
    assert twos(-3, 5).item() == -15
    # |-128| = 128 -> 0b1000_0000 -> 0b1001 << 4 = 144
    assert twos(-128, -128).item() == 144 * 144


def test_drum_grid_equals_elementwise():
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED)
    model = DrumModel(16, 5, signed=True, sign_mode="ones")
    a = rng.integers(-(2**15), 2**15, size=40)
    b = rng.integers(-(2**15), 2**15, size=50)
    grid = model(a[:, None], b[None, :])
    flat = model(np.repeat(a, 50), np.tile(b, 40)).reshape(40, 50)
    np.testing.assert_array_equal(grid, flat)


def test_drum_properties():
    model = DrumModel(16, 6)
    assert (model.width, model.k, model.signed, model.sign_mode, model.o_width) == (
        16,
        6,
        False,
        "twos",
        32,
    )
    assert model.name == "DRUM k=6, 16-bit unsigned"
    signed = DrumModel(16, 6, signed=True, sign_mode="ones")
    assert signed.name == "DRUM k=6, 16-bit signed (sign mode 'ones')"
    assert DrumModel(8, 3, sign_mode="ones").sign_mode == "ones"  # stored, ignored
    assert DrumModel(8, 3, sign_mode="ones")(200, 100).item() == DrumModel(8, 3)(200, 100).item()
    for attr in ("width", "k", "signed", "sign_mode", "o_width", "name"):
        with pytest.raises(AttributeError):
            setattr(model, attr, 1)
    assert repr(signed) == "DrumModel(width=16, k=6, signed=True, sign_mode='ones')"


def test_drum_dtypes():
    assert DrumModel(31, 6)(2**31 - 1, 2**31 - 1).dtype == np.int64
    assert DrumModel(32, 6)(1, 1).dtype == object
    # 2n-bit products never overflow: the largest 64-bit operand keeps 63 bits, the lowest
    # kept one forced to 1: 2**64 - 1 -> ((x >> 1) | 1) << 1 = 2**64 - 2.
    top = DrumModel(64, 63)(2**64 - 1, 2**64 - 1).item()
    assert top == (2**64 - 2) ** 2
    assert top < 2**128


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((3, 3), {}, ValueError, "Width must be an integer between 4 and 64, not 3"),
        ((65, 6), {}, ValueError, "Width must be an integer between 4 and 64, not 65"),
        ((16.0, 6), {}, TypeError, "Width must be an integer between 4 and 64, not 16.0"),
        ((True, 6), {}, TypeError, "Width must be an integer between 4 and 64, not True"),
        ((16, 16), {}, ValueError, "K must be an integer between 3 and 15 (width - 1), not 16"),
        ((16, 2), {}, ValueError, "K must be an integer between 3 and 15 (width - 1), not 2"),
        ((4, 4), {}, ValueError, "K must be an integer between 3 and 3 (width - 1), not 4"),
        ((16, 6.5), {}, TypeError, "K must be an integer between 3 and 15 (width - 1), not 6.5"),
        (
            (16, False),
            {},
            TypeError,
            "K must be an integer between 3 and 15 (width - 1), not False",
        ),
        ((16, 6), {"signed": 1}, TypeError, "Signed must be a bool, not 1"),
        ((16, 6), {"signed": "yes"}, TypeError, "Signed must be a bool, not 'yes'"),
        (
            (16, 6),
            {"sign_mode": "foo"},
            ValueError,
            "Sign mode must be 'ones' or 'twos', not 'foo'",
        ),
        ((16, 6), {"sign_mode": None}, TypeError, "Sign mode must be 'ones' or 'twos', not None"),
        (
            (16, 6),
            {"signed": True, "sign_mode": "Twos"},
            ValueError,
            "Sign mode must be 'ones' or 'twos', not 'Twos'",
        ),
    ],
)
def test_drum_parameter_validation(args, kwargs, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        DrumModel(*args, **kwargs)


def test_drum_operand_validation():
    with pytest.raises(
        ValueError,
        match=r"^Operand a must lie in \[0, 65535\] for a 16-bit unsigned model, got 70000$",
    ):
        DrumModel(16, 6)(70000, 3)
    with pytest.raises(
        ValueError,
        match=r"^Operand b must lie in \[-32768, 32767\] for a 16-bit signed model, got 32768$",
    ):
        DrumModel(16, 6, signed=True)(1, [0, 32768])
    with pytest.raises(ValueError, match=r"got -1$"):
        DrumModel(16, 6)(-1, 3)
    with pytest.raises(TypeError, match="^Operand a must hold integers"):
        DrumModel(16, 6)(np.array([1.5]), 3)
    with pytest.raises(ValueError, match="^K must be a positive integer, not 0$"):
        drum_operand(5, 0)
    with pytest.raises(ValueError, match="^Magnitudes must be non-negative, got -3$"):
        drum_operand([-3, 4], 3)
