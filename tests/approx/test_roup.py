"""Tests of the ROUP golden model (sim_models.approx.RoupModel)."""

import re

import numpy as np
import pytest

from sim_models.approx import RoupModel, booth_digits

SEED = 4242

# ------------------------------------------------------------------------------------------
# Scalar reference: literally enumerate the radix-4 Booth digits of B and sum the partial
# products y_j * round_R(A) * 4**j of the rows j >= P that the perforated multiplier keeps.
# It never uses the closed form B_P, so agreement also checks the B_P identity.


def booth_digits_ref(b: int, bits: int) -> list[int]:
    """Radix-4 Booth digits y_j = -2 b(2j+1) + b(2j) + b(2j-1) of a ``bits``-bit signed B."""
    ndigits = (bits + 1) // 2
    pattern = b & (2 ** (2 * ndigits) - 1)  # sign-extended to an even number of bits

    def bit(i: int) -> int:
        return 0 if i < 0 else (pattern >> i) & 1

    digits = [-2 * bit(2 * j + 1) + bit(2 * j) + bit(2 * j - 1) for j in range(ndigits)]
    assert sum(y * 4**j for j, y in enumerate(digits)) == b  # the recoding is exact
    assert all(-2 <= y <= 2 for y in digits)
    return digits


def round_ref(a: int, r: int) -> int:
    """A rounded half-up to a multiple of 2**r, via divmod."""
    if r == 0:
        return a
    quotient, remainder = divmod(a, 2**r)
    if 2 * remainder >= 2**r:
        quotient += 1
    return quotient * 2**r


def roup_ref(a: int, b: int, width: int, p: int, r: int, signed: bool, digits=None) -> int:
    """Scalar ROUP product: sum of the kept Booth rows of the rounded multiplicand."""
    bits = width if signed else width + 1  # unsigned operands are (width + 1)-bit signed
    if digits is None:
        digits = booth_digits_ref(b, bits)
    rounded_a = round_ref(a, r)
    return sum(y * rounded_a * 4**j for j, y in enumerate(digits) if j >= p)


def all_values(width: int, signed: bool) -> list[int]:
    if signed:
        return list(range(-(2 ** (width - 1)), 2 ** (width - 1)))
    return list(range(2**width))


# ------------------------------------------------------------------------------------------


def test_booth_digit_counts():
    assert booth_digits(8, True) == 4
    assert booth_digits(8, False) == 5  # 9-bit signed recoding
    assert booth_digits(7, True) == 4
    assert booth_digits(64, False) == 33
    assert RoupModel(16, 0, 0).booth_digits == 8


def test_roup_hand_examples():
    # A = 45, R = 2: 45 / 4 = 11.25 -> 11 * 4 = 44; B = 27, P = 1: (27 + 2) // 4 = 7 -> 28.
    assert RoupModel(8, 1, 2)(45, 27).item() == 44 * 28
    # Half-up ties: A = 6, R = 2 -> 8; A = -6 -> -4 (floor((-6 + 2) / 4) = -1).
    assert RoupModel(8, 0, 2)([6, -6], 1).tolist() == [8, -4]
    # B = -2, P = 1: floor((-2 + 2) / 4) = 0 -> the only row is dropped entirely.
    assert RoupModel(8, 1, 0)(100, -2).item() == 0


@pytest.mark.parametrize(("p", "r"), [(0, 0), (1, 0), (0, 2), (1, 2), (2, 3)])
@pytest.mark.parametrize("signed", [True, False])
def test_roup_all_8bit_pairs_match_booth_reference(p, r, signed):
    values = all_values(8, signed)
    bits = 8 if signed else 9
    digits = {b: booth_digits_ref(b, bits) for b in values}
    model = RoupModel(8, p, r, signed=signed)
    arr = np.array(values, dtype=np.int64)
    got = model(arr[:, None], arr[None, :])
    assert got.dtype == np.int64
    expected = [[roup_ref(a, b, 8, p, r, signed, digits[b]) for b in values] for a in values]
    assert got.tolist() == expected


@pytest.mark.parametrize("signed", [True, False])
def test_roup_p0_r0_is_exact(signed):
    values = np.array(all_values(8, signed))
    got = RoupModel(8, 0, 0, signed=signed)(values[:, None], values[None, :])
    np.testing.assert_array_equal(got, values[:, None] * values[None, :])


@pytest.mark.parametrize(("width", "p", "r"), [(32, 3, 5), (33, 16, 31), (48, 7, 0), (64, 5, 9)])
@pytest.mark.parametrize("signed", [True, False])
def test_roup_wide_random_pairs(width, p, r, signed):
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED)
    patterns = [int(x) for x in rng.integers(0, 2**width, size=600, dtype=np.uint64)]
    corners = [0, 1, 2**width - 1, 2 ** (width - 1), 2 ** (width - 1) - 1]
    pats = patterns + corners + corners[::-1]
    vals = [x - 2**width if signed and x >> (width - 1) else x for x in pats]
    half = len(vals) // 2
    a = np.array(vals[:half], dtype=object)
    b = np.array(vals[half:], dtype=object)
    got = RoupModel(width, p, r, signed=signed)(a, b)
    assert got.dtype == object
    expected = [roup_ref(x, y, width, p, r, signed) for x, y in zip(a, b, strict=True)]
    assert got.tolist() == expected


def test_roup_product_widths():
    # Unsigned: both rounded operands can reach 2**width, so the product needs 2n + 1 bits.
    unsigned = RoupModel(8, 1, 1, signed=False)
    assert unsigned.o_width == 17
    assert unsigned(255, 255).item() == 2**16
    signed = RoupModel(8, 3, 6, signed=True)
    assert signed.o_width == 16
    values = np.arange(-128, 128)
    grid = signed(values[:, None], values[None, :])
    assert grid.max() <= 2**15 - 1 and grid.min() >= -(2**15)
    assert RoupModel(31, 1, 1, signed=False)(2**31 - 1, 2**31 - 1).item() == 2**62
    assert RoupModel(31, 1, 1, signed=False)(1, 1).dtype == np.int64
    assert RoupModel(32, 1, 1)(1, 1).dtype == object


def test_roup_properties():
    model = RoupModel(16, 2, 3)
    assert (model.width, model.p, model.r, model.signed, model.o_width) == (16, 2, 3, True, 32)
    assert model.name == "ROUP P=2 R=3, 16-bit signed"
    assert RoupModel(8, 4, 0, signed=False).name == "ROUP P=4 R=0, 8-bit unsigned"
    for attr in ("width", "p", "r", "signed", "o_width", "name"):
        with pytest.raises(AttributeError):
            setattr(model, attr, 1)
    assert repr(model) == "RoupModel(width=16, p=2, r=3, signed=True)"


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((3, 0, 0), {}, ValueError, "Width must be an integer between 4 and 64, not 3"),
        ((65, 0, 0), {}, ValueError, "Width must be an integer between 4 and 64, not 65"),
        ((8.0, 0, 0), {}, TypeError, "Width must be an integer between 4 and 64, not 8.0"),
        ((8, 0, 0), {"signed": 0}, TypeError, "Signed must be a bool, not 0"),
        (
            (8, 4, 0),
            {},
            ValueError,
            "P must be an integer between 0 and 3 (Booth digits - 1), not 4",
        ),
        (
            (8, 5, 0),
            {"signed": False},
            ValueError,
            "P must be an integer between 0 and 4 (Booth digits - 1), not 5",
        ),
        (
            (8, -1, 0),
            {},
            ValueError,
            "P must be an integer between 0 and 3 (Booth digits - 1), not -1",
        ),
        (
            (8, True, 0),
            {},
            TypeError,
            "P must be an integer between 0 and 3 (Booth digits - 1), not True",
        ),
        (
            (8, 1.0, 0),
            {},
            TypeError,
            "P must be an integer between 0 and 3 (Booth digits - 1), not 1.0",
        ),
        ((8, 0, 7), {}, ValueError, "R must be an integer between 0 and 6 (width - 2), not 7"),
        ((8, 0, -1), {}, ValueError, "R must be an integer between 0 and 6 (width - 2), not -1"),
        ((8, 0, "2"), {}, TypeError, "R must be an integer between 0 and 6 (width - 2), not '2'"),
        (
            (8, 0, False),
            {},
            TypeError,
            "R must be an integer between 0 and 6 (width - 2), not False",
        ),
    ],
)
def test_roup_parameter_validation(args, kwargs, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        RoupModel(*args, **kwargs)


def test_roup_parameter_bounds_accepted():
    assert RoupModel(8, 3, 6).p == 3
    assert RoupModel(8, 4, 6, signed=False).p == 4
    assert RoupModel(64, 32, 62, signed=False).p == 32


def test_roup_operand_validation():
    with pytest.raises(
        ValueError, match=r"^Operand a must lie in \[-128, 127\] for a 8-bit signed model, got 128$"
    ):
        RoupModel(8, 1, 1)(128, 0)
    with pytest.raises(
        ValueError, match=r"^Operand b must lie in \[0, 255\] for a 8-bit unsigned model, got -1$"
    ):
        RoupModel(8, 1, 1, signed=False)(0, -1)
