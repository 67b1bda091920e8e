"""Fibbinary weight encoding (REFERENCE.md 3.2): patterns, codebooks and the quantiser.

A *fibbinary* bit pattern has no two adjacent 1 bits (OEIS A003714: 0, 1, 2, 4, 5, 8, 9, 10,
...). There are ``F(n + 2)`` such patterns of ``n`` bits (Fibonacci numbers, ``F(1) = F(2) =
1``): 8 of 4 bits, 55 of 8 bits. Because the set bits of a fibbinary weight are at least two
positions apart, the shifted copies ``a << i`` of a 1- or 2-bit activation slice ``a`` never
overlap, so ``a * w`` is the bitwise OR of those copies: no adder, no carry.

Codebook. The levels a ``wb``-bit fibbinary weight can take are the values of the ``F(wb + 2)``
patterns, read as unsigned numbers or, for signed weights, as ``wb``-bit two's-complement
numbers (the top bit weighs ``-2**(wb - 1)``). The signed codebook is asymmetric: for ``wb = 4``
it is ``{-8, -7, -6, 0, 1, 2, 4, 5}``.

Quantiser. :func:`quantise` maps each value to the nearest level. **Tie rule**: a value exactly
halfway between two levels goes to the level of smaller magnitude (towards zero), which never
inflates a weight; values beyond the codebook saturate to its end levels.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._checks import check_bool, check_int

__all__ = ["MAX_BITS", "fibonacci", "is_fibbinary", "fibbinary_patterns", "codebook",
           "pattern_of", "value_of", "quantise"]

#: Widest weight the helpers accept.
MAX_BITS = 16


def fibonacci(n: int) -> int:
    """The ``n``-th Fibonacci number, ``F(0) = 0``, ``F(1) = F(2) = 1``."""
    n = check_int("N", n, 0, 10_000)
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def is_fibbinary(patterns: object) -> np.ndarray | bool:
    """Whether each non-negative integer bit pattern has no two adjacent 1 bits.

    Raises
    ------
    TypeError
        If ``patterns`` are not integers.
    ValueError
        If a pattern is negative.
    """
    arr = np.asarray(patterns)
    if arr.dtype.kind not in "iu" and not (arr.dtype == object and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in arr.flat)):
        raise TypeError(f"Patterns must be integers, not {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.size and arr.min() < 0:
        raise ValueError(f"Patterns must be non-negative bit patterns, not {int(arr.min())}")
    out = (arr & (arr >> 1)) == 0
    return bool(out) if out.ndim == 0 else out


def fibbinary_patterns(wb: int) -> np.ndarray:
    """Every ``wb``-bit fibbinary pattern, ascending (``F(wb + 2)`` of them)."""
    wb = check_int("Weight bits", wb, 1, MAX_BITS)
    # built digit by digit: a pattern of n bits is one of n-1 bits with a 0 on top, or one of
    # n-2 bits with "10" on top
    shorter, current = [0], [0, 1]
    for n in range(2, wb + 1):
        shorter, current = current, current + [(1 << (n - 1)) | p for p in shorter]
    return np.array(sorted(current), dtype=np.int64)


def value_of(patterns: object, wb: int, signed: bool) -> np.ndarray:
    """Values of ``wb``-bit patterns: unsigned, or two's complement when ``signed``."""
    wb = check_int("Weight bits", wb, 1, MAX_BITS)
    signed = check_bool("Signed", signed)
    p = np.asarray(patterns, dtype=np.int64)
    if p.size and (p.min() < 0 or p.max() >= 1 << wb):
        raise ValueError(f"Patterns must be between 0 and {(1 << wb) - 1} ({wb} bits)")
    if signed:
        return np.where(p >> (wb - 1) & 1, p - (1 << wb), p)
    return p


def pattern_of(values: object, wb: int, signed: bool) -> np.ndarray:
    """The ``wb``-bit patterns of integer values (two's complement when ``signed``).

    Raises
    ------
    ValueError
        If a value does not fit ``wb`` bits of that signedness.
    """
    wb = check_int("Weight bits", wb, 1, MAX_BITS)
    signed = check_bool("Signed", signed)
    v = np.asarray(values, dtype=np.int64)
    lo, hi = (-(1 << (wb - 1)), (1 << (wb - 1)) - 1) if signed else (0, (1 << wb) - 1)
    if v.size and (v.min() < lo or v.max() > hi):
        bad = v[(v < lo) | (v > hi)].flat[0]
        raise ValueError(f"Weight values must be between {lo} and {hi} ({wb}-bit "
                         f"{'signed' if signed else 'unsigned'}), not {int(bad)}")
    return v & ((1 << wb) - 1)


def codebook(wb: int, signed: bool = False) -> np.ndarray:
    """The ascending levels of ``wb``-bit fibbinary weights (``F(wb + 2)`` values)."""
    return np.sort(value_of(fibbinary_patterns(wb), wb, signed))


def quantise(values: object, wb: int, signed: bool = False) -> np.ndarray:
    """Nearest fibbinary level of each value (ties towards the smaller magnitude).

    Parameters
    ----------
    values : array_like
        Real or integer values, in units of one weight LSB (scale them first).
    wb : int
        Weight bits, 1 to :data:`MAX_BITS`.
    signed : bool
        Signed (two's-complement) weights.

    Returns
    -------
    numpy.ndarray
        int64 levels of :func:`codebook`, shape of ``values``. Values outside the codebook
        saturate to its smallest or largest level.

    Raises
    ------
    ValueError
        If a value is NaN.
    """
    levels = codebook(wb, signed)
    v = np.asarray(values, dtype=np.float64)
    if np.isnan(v).any():
        raise ValueError("Values to quantise must not be NaN")
    hi_idx = np.clip(np.searchsorted(levels, v, side="left"), 1, len(levels) - 1) \
        if len(levels) > 1 else np.zeros(v.shape, dtype=np.int64)
    if len(levels) == 1:
        return np.full(v.shape, levels[0], dtype=np.int64)
    lo_lv, hi_lv = levels[hi_idx - 1], levels[hi_idx]
    d_lo, d_hi = np.abs(v - lo_lv), np.abs(hi_lv - v)
    pick_hi = (d_hi < d_lo) | ((d_hi == d_lo) & (np.abs(hi_lv) < np.abs(lo_lv)))
    out = np.where(pick_hi, hi_lv, lo_lv)
    return np.clip(out, levels[0], levels[-1]).astype(np.int64)
