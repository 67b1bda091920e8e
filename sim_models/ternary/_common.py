"""Shared validation helpers of the ternary golden models (numpy only)."""

from __future__ import annotations

import numbers

import numpy as np

#: The three trit values.
TRIT_VALUES = (-1, 0, 1)


def check_int(name: str, value: object, low: int, high: int) -> int:
    """Validate an integer parameter and return it as a Python int.

    Parameters
    ----------
    name : str
        Parameter name as printed at the start of the message (e.g. ``"Stride"``).
    value : object
        The value to check. ``bool`` is rejected even though it is an ``int`` subclass.
    low, high : int
        Inclusive bounds.

    Returns
    -------
    int
        ``value`` as a Python int.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (or is a bool).
    ValueError
        If ``value`` lies outside ``[low, high]``.
    """
    message = f"{name} must be an integer between {low} and {high}, not {value!r}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(message)
    value = int(value)
    if not low <= value <= high:
        raise ValueError(message)
    return value


def check_choice(name: str, value: object, choices: tuple) -> object:
    """Validate a parameter against a fixed set of choices (strings, possibly ``None``).

    Parameters
    ----------
    name : str
        Parameter name as printed at the start of the message (e.g. ``"Padding"``).
    value : object
        The value to check.
    choices : tuple
        The accepted values: strings and optionally ``None``.

    Returns
    -------
    object
        ``value``.

    Raises
    ------
    TypeError
        If ``value`` is neither a string nor an accepted ``None``.
    ValueError
        If ``value`` is a string but not one of ``choices``.
    """
    listed = " or ".join(repr(c) for c in choices)
    message = f"{name} must be {listed}, not {value!r}"
    if value is None and None in choices:
        return None
    if not isinstance(value, str):
        raise TypeError(message)
    if value not in choices:
        raise ValueError(message)
    return value


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
