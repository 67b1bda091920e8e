# amaranth: UnusedElaboratable=no
"""Tests of hw.approx.ROUP (validation, Amaranth simulation, structure, Verilog conversion)."""

import re

import hwsim
import pytest
from amaranth.back import verilog
from amaranth.hdl import signed, unsigned
from hwsim import all_pairs, exactly, random_pairs

from hw.approx import ROUP

# --------------------------------------------------------------------------------------------
# scalar golden model, written from REFERENCE.md section 1.2


def round_half_up(x, bits):
    """x rounded half-up (towards +infinity on ties) to a multiple of 2**bits."""
    if bits == 0:
        return x
    return ((x + (1 << (bits - 1))) >> bits) << bits


def roup_model(a, b, p, r):
    return round_half_up(a, r) * round_half_up(b, 2 * p)


def booth_digits(b, width):
    """Radix-4 Booth digits y_j = -2 b(2j+1) + b(2j) + b(2j-1) of a width-bit signed b."""
    bit = [(b >> i) & 1 for i in range(2 * ((width + 1) // 2))]  # Python >> sign-extends
    return [-2 * bit[2 * j + 1] + bit[2 * j] + (bit[2 * j - 1] if j else 0)
            for j in range(len(bit) // 2)]


def test_model_perforation_identity():
    """Dropping the P lowest Booth rows is exactly B rounded half-up to 4**P (REFERENCE 1.2)."""
    for width in (5, 6, 7):
        for b in range(-(1 << (width - 1)), 1 << (width - 1)):
            digits = booth_digits(b, width)
            assert sum(y << (2 * j) for j, y in enumerate(digits)) == b
            for p in range(len(digits)):
                kept = sum(y << (2 * j) for j, y in enumerate(digits) if j >= p)
                assert kept == round_half_up(b, 2 * p)


# --------------------------------------------------------------------------------------------
# helpers


def check(dut, pairs):
    p, r = dut.perforation, dut.r
    hwsim.check(dut, pairs, lambda a, b: roup_model(a, b, p, r), label=f"p={p} r={r} ")


# --------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize("width, exc", [
    (3, ValueError), (65, ValueError), (-8, ValueError),
    (True, TypeError), (8.0, TypeError), ("8", TypeError),
])
def test_width_invalid(width, exc):
    with pytest.raises(exc, match=exactly(
            f"Width must be an integer between 4 and 64, not {width!r}")):
        ROUP(width, 0, 0)


@pytest.mark.parametrize("value", [1, 0, None, "True"])
def test_signed_invalid(value):
    with pytest.raises(TypeError, match=exactly(f"Signed must be a bool, not {value!r}")):
        ROUP(16, 1, 1, signed=value)


@pytest.mark.parametrize("width, p, exc", [
    (16, 8, ValueError), (16, -1, ValueError), (15, 8, ValueError), (4, 2, ValueError),
    (64, 32, ValueError), (16, True, TypeError), (16, 1.0, TypeError), (16, None, TypeError),
])
def test_p_invalid_signed(width, p, exc):
    hi = (width + 1) // 2 - 1
    with pytest.raises(exc, match=exactly(
            f"P must be an integer between 0 and {hi} (ceil(width / 2) - 1), not {p!r}")):
        ROUP(width, p, 0, signed=True)


@pytest.mark.parametrize("width, p, exc", [
    (16, 9, ValueError), (15, 8, ValueError), (4, 3, ValueError), (64, 33, ValueError),
    (16, False, TypeError), (16, "2", TypeError),
])
def test_p_invalid_unsigned(width, p, exc):
    hi = (width + 2) // 2 - 1
    with pytest.raises(exc, match=exactly(
            f"P must be an integer between 0 and {hi} (ceil((width + 1) / 2) - 1), not {p!r}")):
        ROUP(width, p, 0, signed=False)


def test_p_bound_depends_on_signedness():
    # 16 bits: 8 Booth digits signed, 9 unsigned (operands handled as 17-bit signed).
    assert ROUP(16, 8, 0, signed=False).rows == 1
    with pytest.raises(ValueError, match=exactly(
            "P must be an integer between 0 and 7 (ceil(width / 2) - 1), not 8")):
        ROUP(16, 8, 0, signed=True)


@pytest.mark.parametrize("width, r, exc", [
    (16, 15, ValueError), (16, -1, ValueError), (4, 3, ValueError), (64, 63, ValueError),
    (16, True, TypeError), (16, 2.0, TypeError), (16, None, TypeError),
])
def test_r_invalid(width, r, exc):
    with pytest.raises(exc, match=exactly(
            f"R must be an integer between 0 and {width - 2} (width - 2), not {r!r}")):
        ROUP(width, 0, r)


@pytest.mark.parametrize("latency, exc", [(3, ValueError), (-1, ValueError),
                                          (True, TypeError), (None, TypeError)])
def test_latency_invalid(latency, exc):
    with pytest.raises(exc, match=exactly(
            f"Latency must be an integer between 0 and 2, not {latency!r}")):
        ROUP(16, 1, 1, latency=latency)


def test_validation_order():
    with pytest.raises(ValueError, match="^Width"):
        ROUP(3, 99, 99, signed=1, latency=9)
    # the bound of p depends on the signedness, which is therefore checked before p
    with pytest.raises(TypeError, match="^Signed"):
        ROUP(16, 99, 99, signed=1, latency=9)
    with pytest.raises(ValueError, match="^P"):
        ROUP(16, 99, 99, latency=9)
    with pytest.raises(ValueError, match="^R"):
        ROUP(16, 1, 99, latency=9)


# --------------------------------------------------------------------------------------------
# contract


@pytest.mark.parametrize("is_signed", [False, True])
def test_properties_and_signature(is_signed):
    dut = ROUP(16, 2, 3, signed=is_signed, latency=1)
    o_width = 32 if is_signed else 33
    assert (dut.width, dut.perforation, dut.r, dut.rounding, dut.signed, dut.latency,
            dut.o_width) == (16, 2, 3, 3, is_signed, 1, o_width)
    shape = signed if is_signed else unsigned
    members = dut.signature.members
    assert members["a"].flow.name == "In" and members["a"].shape == shape(16)
    assert members["b"].flow.name == "In" and members["b"].shape == shape(16)
    assert members["p"].flow.name == "Out" and members["p"].shape == shape(o_width)
    for name in ("width", "perforation", "r", "rounding", "signed", "latency", "o_width"):
        with pytest.raises(AttributeError):
            setattr(dut, name, 3)


# --------------------------------------------------------------------------------------------
# function


@pytest.mark.parametrize("is_signed", [False, True])
def test_exhaustive_width5_all_points(is_signed):
    for p in range(3):  # D = 3 both for 5-bit signed and for 6-bit (unsigned 5-bit) operands
        for r in range(4):
            check(ROUP(5, p, r, signed=is_signed), all_pairs(5, is_signed))


@pytest.mark.parametrize("is_signed", [False, True])
@pytest.mark.parametrize("p, r", [(1, 2), (2, 4)])
def test_exhaustive_width6(p, r, is_signed):
    check(ROUP(6, p, r, signed=is_signed), all_pairs(6, is_signed))


@pytest.mark.parametrize("is_signed", [False, True])
@pytest.mark.parametrize("p, r", [(0, 0), (2, 3), (4, 8), (7, 14)])
def test_random_width16(p, r, is_signed):
    check(ROUP(16, p, r, signed=is_signed), random_pairs(16, is_signed, 150, seed=p * 16 + r))


def test_unsigned_reaches_two_to_the_2n():
    # both operands round up to 2**width: the product needs the extra output bit
    check(ROUP(8, 4, 6, signed=False), [(255, 255), (254, 192), (0, 255)])
    assert roup_model(255, 255, 4, 6) == 1 << 16


@pytest.mark.parametrize("latency", [1, 2])
@pytest.mark.parametrize("is_signed", [False, True])
def test_pipeline_back_to_back(latency, is_signed):
    check(ROUP(8, 1, 2, signed=is_signed, latency=latency),
          random_pairs(8, is_signed, 60, seed=latency))


# --------------------------------------------------------------------------------------------
# structure: the rows are really omitted and narrowed


def booth_netlist(dut):
    """Verilog of the design, split into the Booth core's modules."""
    text = verilog.convert(dut, name="x", emit_src=False)
    modules = {}
    for match in re.finditer(r"module \\?([\w.]+)\s*\((.*?)endmodule", text, re.S):
        modules[match.group(1)] = match.group(2)
    return modules


def row_ports(modules):
    """Widths of the row outputs of the partial-product generator."""
    rows = modules["x.booth.rows"]
    return [int(width) + 1 for width in re.findall(r"output \[(\d+):0\] row_\d+;", rows)]


def reduction_bits(modules):
    """Number of 3:2 and 2:2 counters of the carry-save tree, and the final adder's width."""
    tree = modules["x.booth.tree"]
    counters = sum(int(hi) + 1 for hi in re.findall(r"wire \[(\d+):0\] \w+_s\d+;", tree))
    counters += len(re.findall(r"wire \w+_s\d+;", tree))
    cpa = re.search(r"wire \[(\d+):0\] cpa;", tree)
    return counters, int(cpa.group(1)) + 1


@pytest.mark.parametrize("is_signed", [False, True])
def test_rows_omitted_and_narrowed(is_signed):
    width = 10
    w = width if is_signed else width + 1
    digits = (w + 1) // 2
    previous = None
    for p, r in [(0, 0), (0, 3), (2, 3), (4, 7)]:
        dut = ROUP(width, p, r, signed=is_signed)
        assert dut.rows == digits - p
        assert dut.row_width == (w + 1 if r == 0 else w - r + 2)
        modules = booth_netlist(dut)
        assert row_ports(modules) == [dut.row_width] * dut.rows
        counters, cpa = reduction_bits(modules)
        # the final adder never reaches the r + 2p constant-zero bits
        assert cpa <= dut.o_width - (r + 2 * p)
        if previous is not None:
            assert counters < previous[0] and cpa <= previous[1], (p, r)
        previous = counters, cpa


def test_low_product_bits_are_constant_zero():
    modules = booth_netlist(ROUP(16, 3, 5, signed=True))
    top = modules["x"]
    # the r + 2p = 11 low bits of p are a constant; the rest comes from a 21-bit slice
    assert re.search(r"assign p = \{ \S+ , 11'h000 \};", top), top


# --------------------------------------------------------------------------------------------
# conversion


@pytest.mark.parametrize("is_signed, p, r", [(True, 8, 10), (False, 32, 62)])
def test_verilog_width64_latency2(is_signed, p, r):
    text = verilog.convert(ROUP(64, p, r, signed=is_signed, latency=2), name="x", emit_src=False)
    assert "module x(" in text and "clk" in text and "posedge" in text


def test_verilog_deterministic():
    def make():
        return ROUP(12, 2, 3, signed=False, latency=2)

    assert (verilog.convert(make(), name="x", emit_src=False) ==
            verilog.convert(make(), name="x", emit_src=False))


def test_latency0_uses_no_clock():
    text = verilog.convert(ROUP(8, 1, 1), name="x", emit_src=False)
    assert "clk" not in text and "posedge" not in text
