"""Tests of the exact multiplier golden model (sim_models.approx.ExactModel)."""

import re

import numpy as np
import pytest

from sim_models.approx import ExactModel

SEED = 20240601


def decode(pattern: int, width: int, signed: bool) -> int:
    """Value of a ``width``-bit pattern, decoded bit by bit (reference style, no shifts)."""
    bits = format(pattern, f"0{width}b")
    value = int(bits, 2)
    if signed and bits[0] == "1":
        value -= 2**width
    return value


def exact_ref(a: int, b: int) -> int:
    """Scalar reference: Python's arbitrary-precision product."""
    return a * b


def operand_values(width: int, signed: bool) -> np.ndarray:
    return np.array([decode(p, width, signed) for p in range(2**width)], dtype=np.int64)


@pytest.mark.parametrize("signed", [False, True])
def test_exact_all_8bit_pairs(signed):
    values = operand_values(8, signed)
    got = ExactModel(8, signed=signed)(values[:, None], values[None, :])
    assert got.dtype == np.int64
    assert got.shape == (256, 256)
    expected = [[exact_ref(a, b) for b in values.tolist()] for a in values.tolist()]
    assert got.tolist() == expected


@pytest.mark.parametrize("width", [32, 63, 64])
@pytest.mark.parametrize("signed", [False, True])
def test_exact_wide_random_pairs(width, signed):
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED)
    patterns = [int(x) for x in rng.integers(0, 2**width, size=(2, 300), dtype=np.uint64).ravel()]
    values = [decode(p, width, signed) for p in patterns]
    a = np.array(values[:300], dtype=object)
    b = np.array(values[300:], dtype=object)
    got = ExactModel(width, signed=signed)(a, b)
    assert got.dtype == object
    assert got.tolist() == [exact_ref(x, y) for x, y in zip(a.tolist(), b.tolist(), strict=True)]
    assert all(type(v) is int for v in got.tolist())


def test_exact_extremes_64bit():
    lo, hi = -(2**63), 2**63 - 1
    model = ExactModel(64, signed=True)
    assert model(lo, lo).item() == 2**126
    assert model(lo, hi).item() == -(2**126) + 2**63
    assert ExactModel(64)(2**64 - 1, 2**64 - 1).item() == (2**64 - 1) ** 2


def test_exact_dtype_switch_at_32_bits():
    assert ExactModel(31)(2**31 - 1, 2**31 - 1).dtype == np.int64
    assert ExactModel(31, signed=True)(-(2**30), -(2**30)).item() == 2**60
    assert ExactModel(32)(5, 7).dtype == object


def test_exact_properties():
    model = ExactModel(12, signed=True)
    assert (model.width, model.signed, model.o_width) == (12, True, 24)
    assert model.name == "Exact, 12-bit signed"
    assert ExactModel(8).name == "Exact, 8-bit unsigned"
    assert ExactModel(8).signed is False
    with pytest.raises(AttributeError):
        model.width = 9
    assert model == ExactModel(12, True)
    assert repr(model) == "ExactModel(width=12, signed=True)"


def test_exact_scalar_and_broadcast():
    model = ExactModel(8)
    assert model(3, 5).shape == ()
    assert model(3, 5).item() == 15
    assert model([1, 2, 3], 4).tolist() == [4, 8, 12]
    assert model(np.uint8(255), np.uint16(255)).item() == 65025


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"width": 1}, ValueError, "Width must be an integer between 2 and 64, not 1"),
        ({"width": 65}, ValueError, "Width must be an integer between 2 and 64, not 65"),
        ({"width": 8.0}, TypeError, "Width must be an integer between 2 and 64, not 8.0"),
        ({"width": True}, TypeError, "Width must be an integer between 2 and 64, not True"),
        ({"width": "8"}, TypeError, "Width must be an integer between 2 and 64, not '8'"),
        ({"width": 8, "signed": 1}, TypeError, "Signed must be a bool, not 1"),
        ({"width": 8, "signed": None}, TypeError, "Signed must be a bool, not None"),
    ],
)
def test_exact_parameter_validation(kwargs, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        ExactModel(**kwargs)


def test_exact_operand_validation():
    model = ExactModel(16)
    with pytest.raises(
        ValueError,
        match=r"^Operand a must lie in \[0, 65535\] for a 16-bit unsigned model, got 70000$",
    ):
        model(70000, 1)
    with pytest.raises(
        ValueError,
        match=r"^Operand b must lie in \[-128, 127\] for a 8-bit signed model, got -129$",
    ):
        ExactModel(8, signed=True)([0, 1], [5, -129])
    with pytest.raises(TypeError, match="^Operand a must hold integers, not dtype float64$"):
        model(1.0, 2)
    with pytest.raises(TypeError, match="^Operand b must hold integers, not dtype bool$"):
        model(1, True)
    with pytest.raises(ValueError, match="must broadcast together"):
        model([1, 2, 3], [1, 2])
