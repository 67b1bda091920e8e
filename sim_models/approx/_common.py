"""Shared validation and dtype helpers for the approximate-multiplier golden models.

Every model in this package works on operand *values*: two's-complement values in
``[-2**(w-1), 2**(w-1))`` for signed designs and ``[0, 2**w)`` for unsigned ones. Results are
``int64`` arrays while the product range fits (operand width <= 31) and ``object`` arrays of
Python ints above that, so widths up to 64 stay bit-exact.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._checks import check_bool, check_choice, check_int  # noqa: F401  (re-exported: the models import them from here)

#: Largest operand width whose products are returned as ``int64`` (the ROUP unsigned product
#: needs ``2 * width + 1`` bits, which is 63 at width 31).
MAX_INT64_WIDTH = 31


def operand_range(width: int, signed: bool) -> tuple[int, int]:
    """Inclusive value range of a ``width``-bit operand.

    Parameters
    ----------
    width : int
        Operand width in bits.
    signed : bool
        Two's complement if True, unsigned otherwise.

    Returns
    -------
    tuple of int
        ``(lowest, highest)``.
    """
    if signed:
        return -(1 << (width - 1)), (1 << (width - 1)) - 1
    return 0, (1 << width) - 1


def signedness(width: int, signed: bool) -> str:
    """Human description such as ``"16-bit unsigned"``.

    Parameters
    ----------
    width : int
        Operand width in bits.
    signed : bool
        Signedness.

    Returns
    -------
    str
        The description.
    """
    return f"{width}-bit {'signed' if signed else 'unsigned'}"


def uses_object_dtype(width: int) -> bool:
    """Whether products of ``width``-bit operands are returned as Python ints.

    Parameters
    ----------
    width : int
        Operand width in bits.

    Returns
    -------
    bool
        True above :data:`MAX_INT64_WIDTH`.
    """
    return width > MAX_INT64_WIDTH


def as_operand(name: str, value: object, width: int, signed: bool) -> np.ndarray:
    """Check an operand array-like and convert it to the model's working dtype.

    Parameters
    ----------
    name : str
        Operand name for messages (``"a"`` or ``"b"``).
    value : array_like
        Integer scalar or array of operand values (not bit patterns).
    width : int
        Operand width in bits.
    signed : bool
        Signedness of the operand.

    Returns
    -------
    numpy.ndarray
        ``int64`` array for widths up to 31, otherwise an ``object`` array of Python ints.

    Raises
    ------
    TypeError
        If the values are not integers (bool and floating-point values are rejected).
    ValueError
        If a value lies outside the operand range.
    """
    arr = np.asarray(value)
    kind = arr.dtype.kind
    if kind == "O":
        for item in arr.flat:
            if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
                raise TypeError(
                    f"Operand {name} must hold integers, got an element of type "
                    f"{type(item).__name__}"
                )
    elif kind not in "iu":
        raise TypeError(f"Operand {name} must hold integers, not dtype {arr.dtype}")
    low, high = operand_range(width, signed)
    if arr.size:
        amin, amax = int(arr.min()), int(arr.max())
        if amin < low or amax > high:
            bad = amin if amin < low else amax
            raise ValueError(
                f"Operand {name} must lie in [{low}, {high}] for a "
                f"{signedness(width, signed)} model, got {bad}"
            )
    if uses_object_dtype(width):
        if kind == "O":
            return np.vectorize(int, otypes=[object])(arr) if arr.size else arr
        return arr.astype(object)
    return arr.astype(np.int64, copy=False)


def check_broadcast(a: np.ndarray, b: np.ndarray) -> tuple[int, ...]:
    """Check that two operand arrays broadcast together.

    Parameters
    ----------
    a, b : numpy.ndarray
        The operands.

    Returns
    -------
    tuple of int
        The broadcast shape.

    Raises
    ------
    ValueError
        If the shapes are incompatible.
    """
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"Operands a and b must broadcast together, got shapes {a.shape} and {b.shape}"
        ) from None


class MultiplierModel:
    """Base class of the golden models: validation of operands and the common properties.

    Subclasses set ``_width``, ``_signed`` and ``_o_width`` in their constructor and implement
    :meth:`_prepare` (per-operand work on the un-broadcast operand) and :meth:`_combine` (the
    broadcast part, usually one multiply).
    """

    __slots__ = ("_width", "_signed", "_o_width")

    @property
    def width(self) -> int:
        """int: Operand width in bits."""
        return self._width

    @property
    def signed(self) -> bool:
        """bool: True for two's-complement operands."""
        return self._signed

    @property
    def o_width(self) -> int:
        """int: Product width in bits."""
        return self._o_width

    @property
    def name(self) -> str:  # pragma: no cover - overridden
        """str: Short human description."""
        raise NotImplementedError

    @property
    def operand_range(self) -> tuple[int, int]:
        """tuple of int: Inclusive range of the operand values."""
        return operand_range(self._width, self._signed)

    def __call__(self, a: object, b: object) -> np.ndarray:
        """Compute the products of broadcast operand arrays.

        Parameters
        ----------
        a, b : array_like
            Integer operand values; they must broadcast against each other. Per-operand work is
            done on the un-broadcast arrays, so ``a[:, None]`` with ``b[None, :]`` is cheap.

        Returns
        -------
        numpy.ndarray
            Products, ``int64`` for widths up to 31, ``object`` (Python ints) above.

        Raises
        ------
        TypeError
            If an operand does not hold integers.
        ValueError
            If an operand is out of range or the shapes do not broadcast.
        """
        a_arr = as_operand("a", a, self._width, self._signed)
        b_arr = as_operand("b", b, self._width, self._signed)
        check_broadcast(a_arr, b_arr)
        result = self._combine(self._prepare(a_arr), self._prepare(b_arr))
        return np.asarray(result, dtype=object if uses_object_dtype(self._width) else np.int64)

    def _prepare(self, x: np.ndarray) -> object:  # pragma: no cover - overridden
        raise NotImplementedError

    def _combine(self, pa: object, pb: object) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self) -> dict[str, object]:  # pragma: no cover - overridden
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._params() == other._params()

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(self._params().items())))

    def __getstate__(self) -> dict[str, object]:
        return self._params()

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(**state)
