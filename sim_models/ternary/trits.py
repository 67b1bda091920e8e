"""Trit encodings of the ternary engine (REFERENCE.md 2): 2-bit codes and 5 trits per byte.

2-bit code (two's complement): ``+1 = 0b01``, ``0 = 0b00``, ``-1 = 0b11``; ``0b10`` is illegal.

Packing: a group of five trits ``t_0 .. t_4`` (``t_0`` first: the lowest channel, or the
earliest in the stream) is stored as the byte ``sum((t_i + 1) * 3**i)``, a plain base-3 number
with digit ``i`` = ``t_i + 1``. Bytes 0..242 are valid; 243..255 are illegal and are reported by
the decoders. A sequence whose length is not a multiple of 5 is padded with 0 trits (digit 1),
so the all-zero group is the byte 121.

All functions are vectorised; packing works along the last axis of an array.
"""

from __future__ import annotations

import numpy as np

from ._common import as_int_array, as_trits, check_int

#: Trits per packed byte.
TRITS_PER_BYTE = 5
#: Number of valid packed bytes (``3**5``); bytes from this value to 255 are illegal.
VALID_BYTES = 3**TRITS_PER_BYTE
#: The illegal 2-bit code.
ILLEGAL_CODE = 0b10
#: Code of each trit value.
TRIT_CODES = {1: 0b01, 0: 0b00, -1: 0b11}

_WEIGHTS = 3 ** np.arange(TRITS_PER_BYTE, dtype=np.int64)
# Trit of each 2-bit code (the illegal code decodes to 0 and is flagged separately).
_CODE_TO_TRIT = np.array([0, 1, 0, -1], dtype=np.int8)
# Five trits of each byte value; illegal bytes decode to five 0 trits and are flagged.
_BYTE_TO_TRITS = np.zeros((256, TRITS_PER_BYTE), dtype=np.int8)
_BYTE_TO_TRITS[:VALID_BYTES] = (
    np.arange(VALID_BYTES)[:, None] // _WEIGHTS[None, :] % 3 - 1
).astype(np.int8)


def encode_trits(trits: object) -> np.ndarray:
    """Encode trits as 2-bit two's-complement codes.

    Parameters
    ----------
    trits : array_like
        Integer values in ``{-1, 0, 1}``, any shape.

    Returns
    -------
    numpy.ndarray
        ``uint8`` codes of the same shape: ``+1 -> 0b01``, ``0 -> 0b00``, ``-1 -> 0b11``.

    Raises
    ------
    TypeError
        If the values are not integers.
    ValueError
        If a value is not a trit.
    """
    return (as_trits("Trits", trits) & 0b11).astype(np.uint8)


def _as_codes(codes: object) -> np.ndarray:
    arr = as_int_array("Codes", codes)
    if arr.size and (arr.min() < 0 or arr.max() > 3):
        bad = int(arr.min()) if arr.min() < 0 else int(arr.max())
        raise ValueError(f"Codes must be 2-bit values between 0 and 3, got {bad}")
    return arr


def decode_trits_masked(codes: object) -> tuple[np.ndarray, np.ndarray]:
    """Decode 2-bit codes, reporting the illegal code ``0b10`` through a mask.

    Parameters
    ----------
    codes : array_like
        Integer codes between 0 and 3, any shape.

    Returns
    -------
    trits : numpy.ndarray
        ``int8`` trits of the same shape; an illegal code decodes to 0.
    illegal : numpy.ndarray
        ``bool`` array, True where the code was ``0b10``.

    Raises
    ------
    TypeError
        If the codes are not integers.
    ValueError
        If a code is not a 2-bit value (outside 0..3).
    """
    arr = _as_codes(codes)
    return _CODE_TO_TRIT[arr], arr == ILLEGAL_CODE


def decode_trits(codes: object) -> np.ndarray:
    """Decode 2-bit codes, raising on the illegal code ``0b10``.

    Parameters
    ----------
    codes : array_like
        Integer codes between 0 and 3, any shape.

    Returns
    -------
    numpy.ndarray
        ``int8`` trits of the same shape.

    Raises
    ------
    TypeError
        If the codes are not integers.
    ValueError
        If a code is not a 2-bit value, or is the illegal code ``0b10``.
    """
    trits, illegal = decode_trits_masked(codes)
    if illegal.any():
        index = tuple(int(i) for i in np.argwhere(illegal)[0])
        raise ValueError(
            f"Codes hold the illegal trit code 0b10 ({int(illegal.sum())} of {illegal.size}, "
            f"first at index {index})"
        )
    return trits


def packed_length(count: int) -> int:
    """Number of bytes that hold ``count`` trits (``ceil(count / 5)``).

    Parameters
    ----------
    count : int
        Number of trits, non-negative.

    Returns
    -------
    int
        The byte count.

    Raises
    ------
    TypeError
        If ``count`` is not an integer.
    ValueError
        If ``count`` is negative.
    """
    count = check_int("Count", count, 0, np.iinfo(np.int64).max)
    return -(-count // TRITS_PER_BYTE)


def pack_trits(trits: object) -> np.ndarray:
    """Pack trits five to a byte along the last axis.

    Parameters
    ----------
    trits : array_like
        Integer values in ``{-1, 0, 1}`` with at least one dimension; the last axis (length
        ``n``) is packed, ``t_0`` = element 0 of each group of five.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape ``(..., ceil(n / 5))``; byte ``sum((t_i + 1) * 3**i)``, the
        last group padded with 0 trits.

    Raises
    ------
    TypeError
        If the values are not integers.
    ValueError
        If a value is not a trit, or the input is a scalar.
    """
    arr = as_trits("Trits", trits)
    if arr.ndim == 0:
        raise ValueError("Trits must have at least one dimension (the packed axis), got a scalar")
    n = arr.shape[-1]
    groups = packed_length(n)
    padded = np.zeros(arr.shape[:-1] + (groups * TRITS_PER_BYTE,), dtype=np.int64)
    padded[..., :n] = arr
    digits = padded.reshape(arr.shape[:-1] + (groups, TRITS_PER_BYTE)) + 1
    return (digits @ _WEIGHTS).astype(np.uint8)


def _as_bytes(data: object, count: int | None) -> tuple[np.ndarray, int]:
    arr = as_int_array("Bytes", data)
    if arr.ndim == 0:
        raise ValueError("Bytes must have at least one dimension (the packed axis), got a scalar")
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        bad = int(arr.min()) if arr.min() < 0 else int(arr.max())
        raise ValueError(f"Bytes must be 8-bit values between 0 and 255, got {bad}")
    groups = arr.shape[-1]
    full = groups * TRITS_PER_BYTE
    if count is None:
        count = full
    else:
        low = max(full - TRITS_PER_BYTE + 1, 0)
        count = check_int(f"Count (for {groups} bytes)", count, low, full)
    return arr, count


def unpack_trits_masked(data: object, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Unpack bytes of five trits along the last axis, reporting illegal bytes via a mask.

    Parameters
    ----------
    data : array_like
        Integer byte values 0..255 with at least one dimension; the last axis (``m`` bytes) is
        unpacked.
    count : int, optional
        Trits to return per row, so that the padding of the last group is dropped; between
        ``5 * m - 4`` and ``5 * m`` (``0`` when ``m == 0``). Default ``5 * m``. The dropped
        padding trits are not checked.

    Returns
    -------
    trits : numpy.ndarray
        ``int8`` array of shape ``(..., count)``; the five trits of an illegal byte are 0.
    illegal : numpy.ndarray
        ``bool`` array of shape ``(..., m)``, True where a byte was 243..255.

    Raises
    ------
    TypeError
        If the bytes or ``count`` are not integers.
    ValueError
        If a byte lies outside 0..255, the input is a scalar, or ``count`` is out of range.
    """
    arr, count = _as_bytes(data, count)
    trits = _BYTE_TO_TRITS[arr].reshape(arr.shape[:-1] + (arr.shape[-1] * TRITS_PER_BYTE,))
    return trits[..., :count], arr >= VALID_BYTES


def unpack_trits(data: object, count: int | None = None) -> np.ndarray:
    """Unpack bytes of five trits along the last axis, raising on an illegal byte.

    Parameters
    ----------
    data : array_like
        Integer byte values 0..242 with at least one dimension; the last axis is unpacked.
    count : int, optional
        Trits to return per row; see :func:`unpack_trits_masked`.

    Returns
    -------
    numpy.ndarray
        ``int8`` array of shape ``(..., count)``.

    Raises
    ------
    TypeError
        If the bytes or ``count`` are not integers.
    ValueError
        If a byte is illegal (243..255) or outside 0..255, the input is a scalar, or ``count``
        is out of range.
    """
    trits, illegal = unpack_trits_masked(data, count)
    if illegal.any():
        index = tuple(int(i) for i in np.argwhere(illegal)[0])
        value = int(np.asarray(data)[index])
        raise ValueError(
            f"Bytes hold an illegal packed value {value} (valid: 0..{VALID_BYTES - 1}; "
            f"{int(illegal.sum())} of {illegal.size} bytes, first at index {index})"
        )
    return trits
