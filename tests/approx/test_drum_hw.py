# amaranth: UnusedElaboratable=no
"""Tests of hw.approx.DRUM (validation, Amaranth simulation, structure, Verilog conversion)."""

from pathlib import Path

import hwsim
import pytest
from amaranth.back import verilog
from amaranth.hdl import signed, unsigned
from hwsim import all_pairs, exactly, random_pairs

from hw.approx import DRUM

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DRUM_VECTORS = SHARED / "reference" / "drum_reference_vectors.npz"

# --------------------------------------------------------------------------------------------
# scalar golden model, written from REFERENCE.md section 1.1


def drum_operand(x, k):
    """(m, s) of a non-negative operand: x used exactly below 2**k, else k bits and a 1."""
    if x < (1 << k):
        return x, 0
    s = x.bit_length() - k  # t - (k - 1), t = index of the leading one
    return (x >> s) | 1, s


def drum_unsigned(a, b, k):
    (ma, sa), (mb, sb) = drum_operand(a, k), drum_operand(b, k)
    return (ma * mb) << (sa + sb)


def drum_model(a, b, k, is_signed, sign_mode):
    if not is_signed:
        return drum_unsigned(a, b, k)
    negative = (a < 0) != (b < 0)
    if sign_mode == "twos":
        r = drum_unsigned(abs(a), abs(b), k)
        return -r if negative else r
    r = drum_unsigned(~a if a < 0 else a, ~b if b < 0 else b, k)
    return ~r if negative else r  # ~r == -r - 1: one's complement of the 2n-bit product


# --------------------------------------------------------------------------------------------
# helpers


def check(dut, pairs):
    hwsim.check(dut, pairs, lambda a, b: drum_model(a, b, dut.k, dut.signed, dut.sign_mode))


# --------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize("width, exc", [
    (3, ValueError), (65, ValueError), (0, ValueError),
    (True, TypeError), (16.0, TypeError), ("16", TypeError),
])
def test_width_invalid(width, exc):
    with pytest.raises(exc, match=exactly(
            f"Width must be an integer between 4 and 64, not {width!r}")):
        DRUM(width, 3)


@pytest.mark.parametrize("width, k, exc", [
    (16, 16, ValueError), (16, 2, ValueError), (16, -1, ValueError), (4, 4, ValueError),
    (64, 64, ValueError), (16, True, TypeError), (16, 6.0, TypeError), (16, None, TypeError),
])
def test_k_invalid(width, k, exc):
    with pytest.raises(exc, match=exactly(
            f"K must be an integer between 3 and {width - 1} (width - 1), not {k!r}")):
        DRUM(width, k)


def test_k_message_example():
    with pytest.raises(ValueError, match=exactly(
            "K must be an integer between 3 and 15 (width - 1), not 16")):
        DRUM(16, 16)


@pytest.mark.parametrize("value", [1, 0, None, "yes"])
def test_signed_invalid(value):
    with pytest.raises(TypeError, match=exactly(f"Signed must be a bool, not {value!r}")):
        DRUM(16, 6, signed=value)


@pytest.mark.parametrize("mode, exc", [("foo", ValueError), ("Twos", ValueError),
                                       (2, TypeError), (None, TypeError)])
def test_sign_mode_invalid(mode, exc):
    with pytest.raises(exc, match=exactly(f"Sign mode must be 'ones' or 'twos', not {mode!r}")):
        DRUM(16, 6, signed=True, sign_mode=mode)


@pytest.mark.parametrize("latency, exc", [(3, ValueError), (-1, ValueError),
                                          (False, TypeError), ("1", TypeError)])
def test_latency_invalid(latency, exc):
    with pytest.raises(exc, match=exactly(
            f"Latency must be an integer between 0 and 2, not {latency!r}")):
        DRUM(16, 6, latency=latency)


def test_validation_order():
    with pytest.raises(ValueError, match="^Width"):
        DRUM(3, 99, signed=1, sign_mode="x", latency=9)
    with pytest.raises(ValueError, match="^K"):
        DRUM(16, 99, signed=1, sign_mode="x", latency=9)
    with pytest.raises(TypeError, match="^Signed"):
        DRUM(16, 6, signed=1, sign_mode="x", latency=9)
    with pytest.raises(ValueError, match="^Sign mode"):
        DRUM(16, 6, signed=True, sign_mode="x", latency=9)


# --------------------------------------------------------------------------------------------
# contract


@pytest.mark.parametrize("is_signed", [False, True])
def test_properties_and_signature(is_signed):
    dut = DRUM(16, 6, signed=is_signed, sign_mode="ones", latency=2)
    assert (dut.width, dut.k, dut.signed, dut.sign_mode, dut.latency, dut.o_width) == (
        16, 6, is_signed, "ones", 2, 32)
    shape = signed if is_signed else unsigned
    members = dut.signature.members
    assert members["a"].flow.name == "In" and members["a"].shape == shape(16)
    assert members["b"].flow.name == "In" and members["b"].shape == shape(16)
    assert members["p"].flow.name == "Out" and members["p"].shape == shape(32)
    for name in ("width", "k", "signed", "sign_mode", "latency", "o_width"):
        with pytest.raises(AttributeError):
            setattr(dut, name, 3)


# --------------------------------------------------------------------------------------------
# function


@pytest.mark.parametrize("k", [3, 4, 5])
def test_exhaustive_width6_unsigned(k):
    check(DRUM(6, k), all_pairs(6, False))


@pytest.mark.parametrize("sign_mode", ["twos", "ones"])
@pytest.mark.parametrize("k", [3, 5])
def test_exhaustive_width6_signed(k, sign_mode):
    check(DRUM(6, k, signed=True, sign_mode=sign_mode), all_pairs(6, True))


@pytest.mark.parametrize("is_signed, sign_mode", [(False, "ones"), (True, "twos"),
                                                  (True, "ones")])
def test_exhaustive_width4(is_signed, sign_mode):
    check(DRUM(4, 3, signed=is_signed, sign_mode=sign_mode), all_pairs(4, is_signed))


@pytest.mark.parametrize("is_signed, sign_mode", [(False, "twos"), (True, "twos"),
                                                  (True, "ones")])
@pytest.mark.parametrize("k", [4, 8, 15])
def test_random_width16(k, is_signed, sign_mode):
    check(DRUM(16, k, signed=is_signed, sign_mode=sign_mode),
          random_pairs(16, is_signed, 200, seed=k))


@pytest.mark.parametrize("latency", [1, 2])
@pytest.mark.parametrize("is_signed", [False, True])
def test_pipeline_back_to_back(latency, is_signed):
    check(DRUM(8, 4, signed=is_signed, latency=latency),
          random_pairs(8, is_signed, 60, seed=latency))


def test_model_against_authors_vectors():
    """The scalar model above reproduces the DRUM authors' reference RTL on all their vectors,
    and the generated hardware on a slice of them."""
    np = pytest.importorskip("numpy")
    if not DRUM_VECTORS.exists():
        pytest.skip(f"{DRUM_VECTORS} not available (only on machines with ../shared)")
    data = np.load(DRUM_VECTORS)
    for prefix, width, k, is_signed in [("drum6_16_u", 16, 6, False),
                                        ("drum5_16_u", 16, 5, False),
                                        ("drum6_32_u", 32, 6, False),
                                        ("drum6_16_s_ones", 16, 6, True)]:
        a_bits, b_bits, p_bits = (data[f"{prefix}_{x}"].tolist() for x in "abp")

        def to_signed(x, bits, is_signed=is_signed):
            return x - (1 << bits) if is_signed and x >> (bits - 1) else x

        pairs = [(to_signed(a, width), to_signed(b, width))
                 for a, b in zip(a_bits, b_bits, strict=True)]
        mask = (1 << (2 * width)) - 1
        for (a, b), p in zip(pairs, p_bits, strict=True):
            assert drum_model(a, b, k, is_signed, "ones") & mask == p, (prefix, a, b)
        dut = DRUM(width, k, signed=is_signed, sign_mode="ones")
        subset = pairs[:150] + pairs[-150:]
        got = hwsim.simulate(dut, subset)
        expected = [p_bits[i] for i in [*range(150), *range(len(pairs) - 150, len(pairs))]]
        assert [value & mask for value in got] == expected, prefix


# --------------------------------------------------------------------------------------------
# structure and conversion


def test_hierarchy():
    text = verilog.convert(DRUM(16, 6, signed=True), name="x", emit_src=False)
    for name in ("lod_a", "enc_a", "sel_a", "lod_b", "enc_b", "sel_b", "mul", "shift"):
        assert f"module \\x.{name}(" in text or f"module \\x.{name} (" in text, name
    # the only multiplier is the k x k one
    mul = text.split("module \\x.mul")[1].split("endmodule")[0]
    assert "input [5:0] a;" in mul and " * " in mul
    assert text.count(" * ") == 1


def test_ones_mode_narrows_magnitudes():
    assert DRUM(16, 6, signed=True, sign_mode="ones").magnitude_width == 15
    assert DRUM(16, 6, signed=True, sign_mode="twos").magnitude_width == 16
    assert DRUM(16, 6, signed=False, sign_mode="ones").magnitude_width == 16


@pytest.mark.parametrize("is_signed, sign_mode, k", [
    (False, "twos", 8), (True, "twos", 3), (True, "ones", 63),
])
def test_verilog_width64_latency2(is_signed, sign_mode, k):
    text = verilog.convert(DRUM(64, k, signed=is_signed, sign_mode=sign_mode, latency=2),
                           name="x", emit_src=False)
    assert "module x(" in text and "clk" in text and "posedge" in text


def test_verilog_deterministic():
    def make():
        return DRUM(12, 5, signed=True, sign_mode="twos", latency=2)

    assert (verilog.convert(make(), name="x", emit_src=False) ==
            verilog.convert(make(), name="x", emit_src=False))


def test_latency0_uses_no_clock():
    text = verilog.convert(DRUM(8, 4, signed=True), name="x", emit_src=False)
    assert "clk" not in text and "posedge" not in text
