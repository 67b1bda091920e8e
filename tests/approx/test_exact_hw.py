# amaranth: UnusedElaboratable=no
"""Tests of hw.approx.ExactMultiplier (validation, Amaranth simulation, Verilog conversion)."""


import pytest
from amaranth.back import verilog
from amaranth.hdl import signed, unsigned
from hwsim import all_pairs, check, exactly, operand_range, random_pairs

from hw.approx import ExactMultiplier
from hw.approx.booth import BoothMultiplier

# --------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize("width, exc", [
    (1, ValueError), (65, ValueError), (0, ValueError), (-3, ValueError),
    (True, TypeError), (8.0, TypeError), ("8", TypeError), (None, TypeError),
])
def test_width_invalid(width, exc):
    with pytest.raises(exc, match=exactly(
            f"Width must be an integer between 2 and 64, not {width!r}")):
        ExactMultiplier(width)


@pytest.mark.parametrize("value", [1, 0, None, "True"])
def test_signed_invalid(value):
    with pytest.raises(TypeError, match=exactly(f"Signed must be a bool, not {value!r}")):
        ExactMultiplier(8, signed=value)


@pytest.mark.parametrize("arch, exc", [("x", ValueError), ("Booth", ValueError),
                                       (1, TypeError), (None, TypeError)])
def test_arch_invalid(arch, exc):
    with pytest.raises(exc, match=exactly(f"Arch must be 'array' or 'booth', not {arch!r}")):
        ExactMultiplier(8, arch=arch)


@pytest.mark.parametrize("latency, exc", [(3, ValueError), (-1, ValueError),
                                          (True, TypeError), (1.0, TypeError)])
def test_latency_invalid(latency, exc):
    with pytest.raises(exc, match=exactly(
            f"Latency must be an integer between 0 and 2, not {latency!r}")):
        ExactMultiplier(8, latency=latency)


def test_validation_order():
    with pytest.raises(ValueError, match="^Width"):
        ExactMultiplier(1, signed=1, arch="x", latency=5)
    with pytest.raises(TypeError, match="^Signed"):
        ExactMultiplier(8, signed=1, arch="x", latency=5)
    with pytest.raises(ValueError, match="^Arch"):
        ExactMultiplier(8, arch="x", latency=5)


# --------------------------------------------------------------------------------------------
# contract


@pytest.mark.parametrize("is_signed", [False, True])
@pytest.mark.parametrize("arch", ["array", "booth"])
def test_properties_and_signature(is_signed, arch):
    dut = ExactMultiplier(12, signed=is_signed, arch=arch, latency=1)
    assert (dut.width, dut.signed, dut.arch, dut.latency, dut.o_width) == (
        12, is_signed, arch, 1, 24)
    shape = signed if is_signed else unsigned
    members = dut.signature.members
    assert members["a"].flow.name == "In" and members["a"].shape == shape(12)
    assert members["b"].flow.name == "In" and members["b"].shape == shape(12)
    assert members["p"].flow.name == "Out" and members["p"].shape == shape(24)
    for name in ("width", "signed", "arch", "latency", "o_width"):
        with pytest.raises(AttributeError):
            setattr(dut, name, 3)


# --------------------------------------------------------------------------------------------
# function


@pytest.mark.parametrize("is_signed", [False, True])
@pytest.mark.parametrize("arch", ["array", "booth"])
def test_exhaustive_width6(is_signed, arch):
    check(ExactMultiplier(6, signed=is_signed, arch=arch), all_pairs(6, is_signed),
          lambda a, b: a * b)


@pytest.mark.parametrize("width", [2, 3])
@pytest.mark.parametrize("is_signed", [False, True])
def test_exhaustive_booth_small(width, is_signed):
    check(ExactMultiplier(width, signed=is_signed, arch="booth"), all_pairs(width, is_signed),
          lambda a, b: a * b)


@pytest.mark.parametrize("is_signed", [False, True])
@pytest.mark.parametrize("arch", ["array", "booth"])
def test_random_width16(is_signed, arch):
    check(ExactMultiplier(16, signed=is_signed, arch=arch),
          random_pairs(16, is_signed, 300, seed=16), lambda a, b: a * b)


@pytest.mark.parametrize("latency", [1, 2])
@pytest.mark.parametrize("arch", ["array", "booth"])
def test_pipeline_back_to_back(latency, arch):
    check(ExactMultiplier(8, signed=True, arch=arch, latency=latency),
          random_pairs(8, True, 60, seed=latency), lambda a, b: a * b)


@pytest.mark.parametrize("first_digit, a_shift", [(0, 0), (1, 0), (0, 2), (2, 3)])
def test_booth_core_rounded_multiplier(first_digit, a_shift):
    """The shared Booth core: B rounded half-up to 4**first_digit, A weighted by 2**a_shift."""
    dut = BoothMultiplier(5, 6, 14, first_digit=first_digit, a_shift=a_shift)
    half = (1 << (2 * first_digit)) >> 1

    def model(a, b):
        b_rounded = ((b + half) >> (2 * first_digit)) << (2 * first_digit)
        return (a * b_rounded << a_shift) % (1 << 14)

    pairs = [(a, b) for a in operand_range(5, True) for b in operand_range(6, True)]
    check(dut, pairs, model)
    assert dut.rows == 3 - first_digit and dut.row_width == 6


# --------------------------------------------------------------------------------------------
# conversion


@pytest.mark.parametrize("is_signed, arch", [(False, "array"), (True, "array"), (True, "booth")])
def test_verilog_width64_latency2(is_signed, arch):
    text = verilog.convert(ExactMultiplier(64, signed=is_signed, arch=arch, latency=2),
                           name="x", emit_src=False)
    assert "module x(" in text and "clk" in text and "posedge" in text


def test_verilog_deterministic():
    def make():
        return ExactMultiplier(12, signed=False, arch="booth", latency=2)

    assert (verilog.convert(make(), name="x", emit_src=False) ==
            verilog.convert(make(), name="x", emit_src=False))


def test_latency0_uses_no_clock():
    text = verilog.convert(ExactMultiplier(8, arch="booth"), name="x", emit_src=False)
    assert "clk" not in text and "posedge" not in text
    for name in ("x.booth", "x.booth.enc", "x.booth.rows", "x.booth.tree"):
        assert f"module \\{name}" in text
