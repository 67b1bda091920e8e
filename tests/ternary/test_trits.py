"""Tests of the trit codes and the 5-trits-per-byte packing (sim_models.ternary.trits)."""

import itertools

import numpy as np
import pytest

from sim_models.ternary import (
    ILLEGAL_CODE,
    TRIT_CODES,
    VALID_BYTES,
    decode_trits,
    decode_trits_masked,
    encode_trits,
    pack_trits,
    packed_length,
    unpack_trits,
    unpack_trits_masked,
)

SEED = 20240611

# ------------------------------------------------------------------------------------------
# Scalar references written from the specification text, in plain Python.


def code_ref(t: int) -> int:
    """2-bit two's complement of a trit, via the bit string of the value modulo 4."""
    return int(format(t % 4, "02b"), 2)


def decode_ref(code: int) -> int | None:
    """Trit of a 2-bit code (None for the illegal 0b10): sign-extend bit 1."""
    if code == 0b10:
        return None
    return code - 4 if code & 0b10 else code


def pack_group_ref(group: list[int]) -> int:
    """Byte of up to five trits (missing ones are 0), t_0 the least significant digit."""
    group = list(group) + [0] * (5 - len(group))
    value = 0
    for t in reversed(group):  # Horner from the most significant digit t_4
        value = value * 3 + (t + 1)
    return value


def unpack_byte_ref(byte: int) -> list[int] | None:
    """Five trits of a byte (None for 243..255), by repeated division."""
    if byte >= 243:
        return None
    out = []
    for _ in range(5):
        byte, digit = divmod(byte, 3)
        out.append(digit - 1)
    return out


def pack_ref(seq: list[int]) -> list[int]:
    return [pack_group_ref(seq[i : i + 5]) for i in range(0, len(seq), 5)]


ALL_GROUPS = [list(g) for g in itertools.product((-1, 0, 1), repeat=5)]


# ------------------------------------------------------------------------------------------
# 2-bit codes


def test_codes_hand_values():
    assert TRIT_CODES == {1: 0b01, 0: 0b00, -1: 0b11}
    assert ILLEGAL_CODE == 0b10
    assert encode_trits([1, 0, -1]).tolist() == [0b01, 0b00, 0b11]
    assert [code_ref(t) for t in (1, 0, -1)] == [0b01, 0b00, 0b11]
    assert decode_trits([0b01, 0b00, 0b11]).tolist() == [1, 0, -1]


def test_decode_all_codes_masked_and_raising():
    trits, illegal = decode_trits_masked(np.arange(4))
    assert trits.dtype == np.int8 and illegal.dtype == bool
    for code in range(4):
        ref = decode_ref(code)
        assert bool(illegal[code]) is (ref is None)
        assert trits[code] == (0 if ref is None else ref)
    with pytest.raises(ValueError, match="illegal trit code 0b10"):
        decode_trits([0, 1, 2, 3])


def test_encode_decode_roundtrip_random():
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED)
    trits = rng.integers(-1, 2, size=(7, 5, 3))
    codes = encode_trits(trits)
    assert codes.dtype == np.uint8 and codes.shape == trits.shape
    assert codes.ravel().tolist() == [code_ref(int(t)) for t in trits.ravel()]
    np.testing.assert_array_equal(decode_trits(codes), trits)
    # an illegal code in the middle of a 2-D array is located and masked
    codes = codes.reshape(35, 3).copy()
    codes[4, 2] = ILLEGAL_CODE
    with pytest.raises(ValueError, match=r"first at index \(4, 2\)"):
        decode_trits(codes)
    out, mask = decode_trits_masked(codes)
    assert mask.sum() == 1 and mask[4, 2] and out[4, 2] == 0


@pytest.mark.parametrize(
    ("func", "value", "exc", "match"),
    [
        (encode_trits, [0, 2], ValueError, "must hold trits"),
        (encode_trits, [1.0], TypeError, "must hold integers"),
        (encode_trits, [True], TypeError, "must hold integers"),
        (decode_trits, [4], ValueError, "between 0 and 3, got 4"),
        (decode_trits_masked, [-1], ValueError, "between 0 and 3, got -1"),
        (decode_trits, [0.0], TypeError, "must hold integers"),
    ],
)
def test_codes_validation(func, value, exc, match):
    with pytest.raises(exc, match=match):
        func(value)


# ------------------------------------------------------------------------------------------
# packing


def test_pack_hand_examples():
    # digits t+1 = 2,0,1,2,2 -> 2 + 0*3 + 1*9 + 2*27 + 2*81 = 227
    assert pack_trits([1, -1, 0, 1, 1]).tolist() == [227]
    assert pack_trits([0] * 5).tolist() == [121]  # the zero padding group
    assert pack_trits([-1] * 5).tolist() == [0]
    assert pack_trits([1] * 5).tolist() == [242]
    # six trits -> the second byte holds t_5 = -1 and four padding zeros: 0 + 3 + 9 + 27 + 81
    assert pack_trits([1, -1, 0, 1, 1, -1]).tolist() == [227, 120]
    assert pack_trits(np.zeros(0, dtype=int)).tolist() == []


def test_pack_exhaustive_all_243_groups():
    groups = np.array(ALL_GROUPS)
    packed = pack_trits(groups)
    assert packed.dtype == np.uint8 and packed.shape == (243, 1)
    expected = [pack_group_ref(g) for g in ALL_GROUPS]
    assert packed[:, 0].tolist() == expected
    # a bijection onto 0..242
    assert sorted(expected) == list(range(VALID_BYTES))
    # and back
    np.testing.assert_array_equal(unpack_trits(packed), groups)


def test_unpack_exhaustive_all_256_bytes():
    trits, illegal = unpack_trits_masked(np.arange(256).reshape(256, 1))
    assert trits.shape == (256, 5) and illegal.shape == (256, 1)
    for byte in range(256):
        ref = unpack_byte_ref(byte)
        assert bool(illegal[byte, 0]) is (ref is None), byte
        assert trits[byte].tolist() == (ref if ref is not None else [0] * 5), byte
    assert int(illegal.sum()) == 13
    for byte in (243, 250, 255):
        with pytest.raises(ValueError, match=f"illegal packed value {byte}"):
            unpack_trits([121, byte])


@pytest.mark.parametrize("length", range(0, 13))
def test_pack_padding_and_roundtrip(length):
    print(f"seed={SEED + length}")
    rng = np.random.default_rng(SEED + length)
    seq = rng.integers(-1, 2, size=length)
    packed = pack_trits(seq)
    assert len(packed) == -(-length // 5) == packed_length(length)
    assert packed.tolist() == pack_ref([int(t) for t in seq])
    np.testing.assert_array_equal(unpack_trits(packed, length), seq)
    full = unpack_trits(packed)
    assert len(full) == 5 * len(packed)
    assert np.all(full[length:] == 0)  # the padding trits


def test_pack_along_last_axis_equals_rows():
    print(f"seed={SEED}")
    rng = np.random.default_rng(SEED)
    maps = rng.integers(-1, 2, size=(3, 4, 17))  # e.g. H x W x C, packed per pixel
    packed = pack_trits(maps)
    assert packed.shape == (3, 4, 4)
    for y in range(3):
        for x in range(4):
            assert packed[y, x].tolist() == pack_ref(maps[y, x].tolist())
    np.testing.assert_array_equal(unpack_trits(packed, 17), maps)
    # an illegal byte somewhere in a 3-D array: masked per byte, its five trits zeroed
    bad = packed.copy()
    bad[1, 2, 3] = 250
    trits, illegal = unpack_trits_masked(bad, 17)
    assert illegal.shape == (3, 4, 4) and np.argwhere(illegal).tolist() == [[1, 2, 3]]
    assert np.all(trits[1, 2, 15:] == 0)
    np.testing.assert_array_equal(trits[1, 2, :15], maps[1, 2, :15])
    with pytest.raises(ValueError, match=r"first at index \(1, 2, 3\)"):
        unpack_trits(bad)


@pytest.mark.parametrize(
    ("func", "args", "exc", "match"),
    [
        (pack_trits, (1,), ValueError, "at least one dimension"),
        (pack_trits, ([0, -2],), ValueError, "must hold trits"),
        (pack_trits, ([0.5],), TypeError, "must hold integers"),
        (unpack_trits, ([256],), ValueError, "between 0 and 255, got 256"),
        (unpack_trits, ([-1],), ValueError, "between 0 and 255, got -1"),
        (unpack_trits, ([1.0],), TypeError, "must hold integers"),
        (unpack_trits, (7,), ValueError, "at least one dimension"),
        (unpack_trits, ([0, 0], 5), ValueError, r"Count \(for 2 bytes\) must be an integer "
         r"between 6 and 10, not 5"),
        (unpack_trits, ([0, 0], 11), ValueError, "between 6 and 10, not 11"),
        (unpack_trits, ([0], 2.0), TypeError, "must be an integer"),
        (packed_length, (-1,), ValueError, "Count must be an integer"),
    ],
)
def test_packing_validation(func, args, exc, match):
    with pytest.raises(exc, match=match):
        func(*args)
