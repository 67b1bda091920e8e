"""Shared validation helpers of the ternary golden models (numpy only)."""

from __future__ import annotations

import numbers

import numpy as np

from .._checks import check_choice, check_int  # noqa: F401  (re-exported: the models import them from here)

#: The three trit values.
TRIT_VALUES = (-1, 0, 1)


def as_int_array(name: str, value: object) -> np.ndarray:
    """Convert an integer array-like to ``int64``, rejecting bools, floats and objects.

    Parameters
    ----------
    name : str
        What the array is, for messages (e.g. ``"Sums"``).
    value : array_like
        Integer scalar or array.

    Returns
    -------
    numpy.ndarray
        ``int64`` array (a view when ``value`` already is one).

    Raises
    ------
    TypeError
        If the values are not integers.
    ValueError
        If an unsigned value does not fit ``int64``.
    """
    arr = np.asarray(value)
    if arr.dtype.kind == "O":
        for item in arr.flat:
            if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
                raise TypeError(
                    f"{name} must hold integers, got an element of type {type(item).__name__}"
                )
        try:
            return arr.astype(np.int64)
        except OverflowError:
            raise ValueError(f"{name} must fit in 64-bit signed integers") from None
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, not dtype {arr.dtype}")
    if arr.dtype == np.uint64 and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
        raise ValueError(f"{name} must fit in 64-bit signed integers, got {int(arr.max())}")
    return arr.astype(np.int64, copy=False)


def as_trits(name: str, value: object) -> np.ndarray:
    """Check that an array-like holds trit values only and return it as ``int8``.

    Parameters
    ----------
    name : str
        What the array is, for messages (e.g. ``"Activations"``).
    value : array_like
        Integer values in ``{-1, 0, 1}``.

    Returns
    -------
    numpy.ndarray
        ``int8`` array of the same shape (a new array).

    Raises
    ------
    TypeError
        If the values are not integers (bool and floating-point values are rejected).
    ValueError
        If a value is not -1, 0 or +1.
    """
    arr = as_int_array(name, value)
    if arr.size:
        bad = (arr < -1) | (arr > 1)
        if bad.any():
            first = int(arr[bad].flat[0])
            raise ValueError(
                f"{name} must hold trits (-1, 0 or +1), got {first} "
                f"({int(bad.sum())} of {arr.size} values)"
            )
    return arr.astype(np.int8)
