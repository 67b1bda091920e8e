"""ROUP golden model: rounding of the multiplicand plus radix-4 partial-product perforation.

Leon, Asimakopoulos, Xydis, Soudris, Pekmestzi, "Cooperative Arithmetic-Aware Approximation
Techniques for Energy-Efficient Multipliers", DAC 2019 (construction as stated in
``REFERENCE.md`` section 1.2).
"""

from __future__ import annotations

import numpy as np

from ._common import MultiplierModel, check_bool, check_int, signedness


def booth_digits(width: int, signed: bool) -> int:
    """Number of radix-4 (modified Booth) digits of a ROUP multiplier operand.

    Parameters
    ----------
    width : int
        Operand width in bits.
    signed : bool
        Unsigned operands are recoded as ``(width + 1)``-bit signed values.

    Returns
    -------
    int
        ``ceil(w / 2)`` with ``w = width`` if signed else ``width + 1``.
    """
    w = width if signed else width + 1
    return (w + 1) // 2


def round_half_up(x: np.ndarray, bits: int) -> np.ndarray:
    """Round integers half-up to a multiple of ``2**bits``.

    Parameters
    ----------
    x : numpy.ndarray
        ``int64`` or ``object`` (Python int) array.
    bits : int
        Number of low bits cleared; 0 returns ``x`` unchanged.

    Returns
    -------
    numpy.ndarray
        ``floor((x + 2**(bits-1)) / 2**bits) * 2**bits``.
    """
    if bits == 0:
        return x
    # >> is an arithmetic (floor) shift for int64 and for Python ints alike.
    return ((x + (1 << (bits - 1))) >> bits) << bits


class RoupModel(MultiplierModel):
    """ROUP approximate multiplier: rounded multiplicand, perforated radix-4 Booth rows.

    Parameters
    ----------
    width : int
        Operand width in bits, 4 to 64.
    p : int
        Perforation: number of least-significant radix-4 partial-product rows not generated,
        0 to (number of Booth digits - 1), see :func:`booth_digits`.
    r : int
        Rounding: the multiplicand A is rounded half-up to a multiple of ``2**r``,
        0 to ``width - 2``.
    signed : bool, optional
        Two's-complement operands if True (default). Unsigned operands are treated as
        ``(width + 1)``-bit signed values (their values are unchanged).

    Raises
    ------
    TypeError
        If a parameter has the wrong type (``bool`` is not accepted for ``width``/``p``/``r``).
    ValueError
        If a parameter is out of range.

    Notes
    -----
    Product = ``round_R(A) * B_P`` with ``round_R(A) = floor((A + 2**(R-1)) / 2**R) * 2**R``
    and ``B_P = floor((B + 2**(2P-1)) / 4**P) * 4**P`` (``A`` and ``B`` unchanged for
    ``R = 0``/``P = 0``). Dropping the ``P`` lowest Booth rows ``y_j * A * 4**j`` is exactly
    multiplying by ``B_P``. Signed products fit ``2 * width`` bits; unsigned ones need
    ``2 * width + 1`` bits, because both rounded operands can reach ``2**width``.
    """

    __slots__ = ("_p", "_r")

    def __init__(self, width: int, p: int, r: int, signed: bool = True) -> None:
        width = check_int("Width", width, 4, 64)
        signed = check_bool("Signed", signed)
        p = check_int("P", p, 0, booth_digits(width, signed) - 1, "Booth digits - 1")
        r = check_int("R", r, 0, width - 2, "width - 2")
        self._width = width
        self._p = p
        self._r = r
        self._signed = signed
        self._o_width = 2 * width if signed else 2 * width + 1

    @property
    def p(self) -> int:
        """int: Number of perforated (omitted) radix-4 partial-product rows."""
        return self._p

    @property
    def r(self) -> int:
        """int: Number of low multiplicand bits removed by rounding."""
        return self._r

    @property
    def booth_digits(self) -> int:
        """int: Number of radix-4 digits (partial-product rows) of the exact design."""
        return booth_digits(self._width, self._signed)

    @property
    def name(self) -> str:
        """str: Short human description, e.g. ``"ROUP P=1 R=2, 8-bit signed"``."""
        return f"ROUP P={self._p} R={self._r}, {signedness(self._width, self._signed)}"

    def _params(self) -> dict[str, object]:
        return {"width": self._width, "p": self._p, "r": self._r, "signed": self._signed}

    def _prepare(self, x: np.ndarray) -> np.ndarray:
        return x

    def _combine(self, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
        # Operand a is the multiplicand (rounded), operand b the Booth-recoded multiplier.
        return round_half_up(pa, self._r) * round_half_up(pb, 2 * self._p)
