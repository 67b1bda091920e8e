"""DRUM golden model (Hashemi, Bahar, Reda, ICCAD 2015; reference RTL in scale-lab/DRUM).

Bit-exact with the authors' unsigned ``DRUMk_n_u`` RTL and with their signed one's-complement
wrapper ``DRUMk_M_N_s``; see :class:`DrumModel` for the exact rules.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._common import (
    MultiplierModel,
    check_bool,
    check_choice,
    check_int,
    signedness,
    uses_object_dtype,
)

SIGN_MODES = ("ones", "twos")


def _drum_int(value: int, k: int) -> int:
    """Scalar DRUM operand approximation on a Python int (object-dtype path)."""
    if value < (1 << k):
        return value
    shift = value.bit_length() - k
    return ((value >> shift) | 1) << shift


def drum_operand(x: object, k: int) -> np.ndarray:
    """Approximate unsigned magnitudes the way DRUM_k does.

    For each magnitude ``x``: values below ``2**k`` (including 0) are kept exactly; otherwise,
    with ``t`` the index of the leading one and ``s = t - (k - 1)``, the result is
    ``((x >> s) | 1) << s``: the ``k`` bits from the leading one down, the lowest forced to 1.

    Parameters
    ----------
    x : array_like
        Non-negative integer magnitudes (an ``int64``/``uint64`` array, or Python ints of any
        size in an ``object`` array).
    k : int
        Number of kept bits, at least 1.

    Returns
    -------
    numpy.ndarray
        Approximate magnitudes, ``int64`` for an integer-dtype input below ``2**53``, else an
        ``object`` array of Python ints.

    Raises
    ------
    TypeError
        If ``k`` is not an int or ``x`` does not hold integers.
    ValueError
        If ``k < 1`` or a magnitude is negative.
    """
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
        raise TypeError(f"K must be a positive integer, not {k!r}")
    if k < 1:
        raise ValueError(f"K must be a positive integer, not {k!r}")
    k = int(k)
    arr = np.asarray(x)
    if arr.dtype.kind not in "iuO":
        raise TypeError(f"Magnitudes must be integers, not dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"Magnitudes must be non-negative, got {int(arr.min())}")
    if arr.dtype.kind in "iu" and (not arr.size or int(arr.max()) < (1 << 53)):
        return _drum_int64(arr.astype(np.int64), k)
    return np.asarray(np.frompyfunc(lambda v: _drum_int(int(v), k), 1, 1)(arr), dtype=object)


def _drum_int64(mag: np.ndarray, k: int) -> np.ndarray:
    """Vectorised DRUM operand approximation of ``int64`` magnitudes below ``2**53``."""
    # frexp is exact for integers below 2**53: mag = f * 2**exp with f in [0.5, 1), so the
    # leading one is at t = exp - 1 and the shift is s = t - (k - 1) = exp - k.
    _, exp = np.frexp(mag.astype(np.float64))
    shift = np.maximum(exp.astype(np.int64) - k, 0)
    approx = ((mag >> shift) | 1) << shift
    return np.where(mag < (1 << k), mag, approx)


class DrumModel(MultiplierModel):
    """DRUM_k approximate multiplier (Dynamic Range Unbiased Multiplier).

    Parameters
    ----------
    width : int
        Operand width ``n`` in bits, 4 to 64.
    k : int
        Bits kept per operand, 3 to ``width - 1``.
    signed : bool, optional
        Two's-complement operands if True, unsigned otherwise (default).
    sign_mode : {"twos", "ones"}, optional
        How a signed design forms magnitudes and negates the result (default ``"twos"``).
        Validated and stored for unsigned models too, where it has no effect.

    Raises
    ------
    TypeError
        If a parameter has the wrong type (``bool`` is not accepted for ``width``/``k``).
    ValueError
        If a parameter is out of range.

    Notes
    -----
    Unsigned (bit-exact with ``DRUM5_16_u``, ``DRUM6_16_u``, ``DRUM6_32_u``): each operand is
    replaced by :func:`drum_operand` of it and the two are multiplied; the product equals
    ``(m_a * m_b) << (s_a + s_b)`` and fits ``2 * width`` bits.

    Signed, ``sign_mode="twos"``: magnitude ``|x|`` (``-2**(n-1)`` has magnitude ``2**(n-1)``),
    unsigned DRUM of the magnitudes giving ``r``, sign = XOR of the operand signs, result
    ``-r`` when negative.

    Signed, ``sign_mode="ones"`` (the authors' parametric ``DRUMk_M_N_s`` wrapper, reproduced on
    all of their ``drum6_16_s_ones`` vectors): magnitude ``~x = -x - 1`` for negative ``x``
    (so ``-1`` has magnitude 0 and ``-2**(n-1)`` has ``2**(n-1) - 1``), unsigned DRUM of the
    magnitudes giving ``r``, sign = XOR of the operand sign bits, and when the sign is set the
    result is the one's complement ``~r = -r - 1`` on ``2 * width`` bits. The sign is applied
    even when ``r`` is 0, so a negative-sign pair whose magnitude product is 0 gives ``-1``
    (e.g. ``0 * -5 = -1``, ``7 * -1 = -1``), while ``-1 * -1 = 0``.
    """

    __slots__ = ("_k", "_sign_mode")

    def __init__(self, width: int, k: int, signed: bool = False, sign_mode: str = "twos") -> None:
        width = check_int("Width", width, 4, 64)
        k = check_int("K", k, 3, width - 1, "width - 1")
        signed = check_bool("Signed", signed)
        sign_mode = check_choice("Sign mode", sign_mode, SIGN_MODES)
        self._width = width
        self._k = k
        self._signed = signed
        self._sign_mode = sign_mode
        self._o_width = 2 * width

    @property
    def k(self) -> int:
        """int: Bits kept per operand."""
        return self._k

    @property
    def sign_mode(self) -> str:
        """str: ``"twos"`` or ``"ones"``; stored as given and ignored when unsigned."""
        return self._sign_mode

    @property
    def name(self) -> str:
        """str: Short human description, e.g. ``"DRUM k=6, 16-bit unsigned"``."""
        text = f"DRUM k={self._k}, {signedness(self._width, self._signed)}"
        if self._signed:
            text += f" (sign mode '{self._sign_mode}')"
        return text

    def _params(self) -> dict[str, object]:
        return {
            "width": self._width,
            "k": self._k,
            "signed": self._signed,
            "sign_mode": self._sign_mode,
        }

    def _approx(self, mag: np.ndarray) -> np.ndarray:
        if mag.dtype == object:
            k = self._k
            return np.asarray(np.frompyfunc(lambda v: _drum_int(v, k), 1, 1)(mag), dtype=object)
        return _drum_int64(mag, self._k)

    def _prepare(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        if not self._signed:
            return self._approx(x), None
        negative = x < 0
        if self._sign_mode == "twos":
            # Apply the operand's sign to its approximate magnitude: the product of the two
            # signed values then carries sign_a XOR sign_b and equals -r when negative.
            approx = self._approx(np.where(negative, -x, x))
            return np.where(negative, -approx, approx), None
        approx = self._approx(np.where(negative, -x - 1, x))
        return np.where(negative, -approx, approx), negative

    def _combine(self, pa: tuple, pb: tuple) -> np.ndarray:
        value_a, neg_a = pa
        value_b, neg_b = pb
        product = value_a * value_b
        if neg_a is not None:
            # One's complement of a negative result: -r - 1 = (signed product) - 1.
            flip = np.logical_xor(neg_a, neg_b).astype(np.int64)
            if uses_object_dtype(self._width):
                flip = flip.astype(object)
            product = product - flip
        return product
