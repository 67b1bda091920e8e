"""Exact multiplier golden model (the reference every approximate model is measured against)."""

from __future__ import annotations

import numpy as np

from ._common import MultiplierModel, check_bool, check_int, signedness


class ExactModel(MultiplierModel):
    """Exact ``width x width`` multiplier.

    Parameters
    ----------
    width : int
        Operand width in bits, 2 to 64.
    signed : bool, optional
        Two's-complement operands if True, unsigned otherwise (default).

    Raises
    ------
    TypeError
        If ``width`` is not an int or ``signed`` not a bool.
    ValueError
        If ``width`` is out of range.

    Notes
    -----
    The product is ``a * b`` on ``2 * width`` bits; it never overflows.
    """

    __slots__ = ()

    def __init__(self, width: int, signed: bool = False) -> None:
        width = check_int("Width", width, 2, 64)
        signed = check_bool("Signed", signed)
        self._width = width
        self._signed = signed
        self._o_width = 2 * width

    @property
    def name(self) -> str:
        """str: Short human description, e.g. ``"Exact, 8-bit signed"``."""
        return f"Exact, {signedness(self._width, self._signed)}"

    def _params(self) -> dict[str, object]:
        return {"width": self._width, "signed": self._signed}

    def _prepare(self, x: np.ndarray) -> np.ndarray:
        return x

    def _combine(self, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
        return pa * pb
