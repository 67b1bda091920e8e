"""Parameter checks shared by every golden model (uniform messages, raised before any work)."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_bool", "check_choice", "check_int"]


def check_int(name: str, value: object, low: int, high: int, high_note: str | None = None) -> int:
    """Validate an integer parameter and return it as a Python int.

    Parameters
    ----------
    name : str
        Parameter name as printed at the start of the message (e.g. ``"Width"``).
    value : object
        The value to check. ``bool`` is rejected even though it is an ``int`` subclass.
    low, high : int
        Inclusive bounds.
    high_note : str, optional
        How the upper bound was derived (e.g. ``"width - 1"``); printed in brackets after it.

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
    bound = f"{high} ({high_note})" if high_note else f"{high}"
    message = f"{name} must be an integer between {low} and {bound}, not {value!r}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(message)
    value = int(value)
    if not low <= value <= high:
        raise ValueError(message)
    return value


def check_bool(name: str, value: object) -> bool:
    """Validate a boolean parameter.

    Parameters
    ----------
    name : str
        Parameter name as printed at the start of the message (e.g. ``"Signed"``).
    value : object
        The value to check; only ``True``/``False`` (or ``numpy.bool_``) are accepted.

    Returns
    -------
    bool
        ``value`` as a Python bool.

    Raises
    ------
    TypeError
        If ``value`` is not a bool.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, not {value!r}")
    return bool(value)


def check_choice(name: str, value: object, choices: tuple) -> object:
    """Validate a string parameter against a fixed set of choices (strings, possibly ``None``).

    Parameters
    ----------
    name : str
        Parameter name as printed at the start of the message (e.g. ``"Sign mode"``).
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
