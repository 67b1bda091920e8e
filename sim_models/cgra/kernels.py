"""Numpy references of the CGRA benchmark kernels (the results a program must leave).

Every kernel works on ``width``-bit data: inputs are integers in ``[-2**(W-1), 2**W)`` read as
``W``-bit patterns (so ``2**W - 1`` is -1); every product and sum wraps to ``W`` bits as on the
fabric, and the results are signed ``W``-bit values (``int64``).

The products go through ``mul(x, y)``: a callable multiplying two ``int64`` arrays of signed
``W``-bit values elementwise (default: exact). Any integer result is accepted (an ``object``
array too); only its low ``W`` bits are used, as a MUL tile keeps them. The first argument is
the operand on the MUL's ``in0`` (``a``: the multiplicand ROUP rounds), the second the one on
``in1``; the order per kernel is stated in its docstring.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np

__all__ = ["conv3x3", "dot", "fir", "gemm", "vadd", "wrap"]


def _check_width(width: object) -> int:
    if isinstance(width, (bool, np.bool_)) or not isinstance(width, numbers.Integral):
        raise TypeError(f"Data width must be 8, 16 or 32, not {width!r}")
    if int(width) not in (8, 16, 32):
        raise ValueError(f"Data width must be 8, 16 or 32, not {width!r}")
    return int(width)


def wrap(x: object, width: int) -> np.ndarray:
    """Integers (any size, ``object`` arrays too) reduced to signed ``width``-bit values.

    Parameters
    ----------
    x : array_like
        Integers.
    width : int
        Data width, 8, 16 or 32.

    Returns
    -------
    numpy.ndarray
        ``int64`` values in ``[-2**(width-1), 2**(width-1))`` congruent to ``x`` modulo
        ``2**width``.
    """
    width = _check_width(width)
    arr = np.asarray(x)
    if arr.dtype == object:
        arr = np.vectorize(lambda v: int(v) % (1 << width), otypes=[np.int64])(arr) \
            if arr.size else arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"Values must be integers, not {arr.dtype}")
    # int64 arithmetic wraps modulo 2**64, a multiple of 2**width: the low bits are exact.
    arr = arr.astype(np.int64) & ((1 << width) - 1)
    return np.where(arr >= (1 << (width - 1)), arr - (1 << width), arr)


def _operand(name: str, x: object, width: int, ndim: int) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, not {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, not of shape {arr.shape}")
    lo, hi = -(1 << (width - 1)), (1 << width) - 1
    if arr.size and (int(arr.min()) < lo or int(arr.max()) > hi):
        raise ValueError(f"{name} must lie in [{lo}, {hi}] ({width}-bit patterns or signed "
                         f"values)")
    return wrap(arr.astype(np.int64), width)


def _products(x: np.ndarray, y: np.ndarray, width: int, mul: Callable | None) -> np.ndarray:
    x, y = np.broadcast_arrays(x, y)
    if mul is None:
        p = x * y
    else:
        p = np.asarray(mul(np.ascontiguousarray(x), np.ascontiguousarray(y)))
        if p.shape != x.shape:
            raise ValueError(f"mul returned shape {p.shape} for operands of shape {x.shape}")
    return wrap(p, width)


def _sum(p: np.ndarray, axis, width: int) -> np.ndarray:
    return wrap(p.sum(axis=axis, dtype=np.int64), width)


def dot(a, b, width: int, mul: Callable | None = None) -> np.int64:
    """Dot product ``sum_i mul(a[i], b[i])`` of two 1-D vectors of equal length.

    Returns
    -------
    numpy.int64
        The signed ``W``-bit result.
    """
    width = _check_width(width)
    a = _operand("a", a, width, 1)
    b = _operand("b", b, width, 1)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same length, not {a.size} and {b.size}")
    return _sum(_products(a, b, width, mul), None, width)[()]


def fir(x, h, width: int, mul: Callable | None = None) -> np.ndarray:
    """FIR filter, valid part: ``y[n] = sum_k mul(h[k], x[n+k])`` for
    ``n = 0 .. len(x) - len(h)``.

    Returns
    -------
    numpy.ndarray
        ``len(x) - len(h) + 1`` signed ``W``-bit values.
    """
    width = _check_width(width)
    x = _operand("x", x, width, 1)
    h = _operand("h", h, width, 1)
    if not 1 <= h.size <= x.size:
        raise ValueError(f"h must have 1 to len(x) = {x.size} taps, not {h.size}")
    n = x.size - h.size + 1
    windows = x[np.arange(n)[:, None] + np.arange(h.size)[None, :]]
    return _sum(_products(h[None, :], windows, width, mul), 1, width)


def gemm(A, B, width: int, mul: Callable | None = None) -> np.ndarray:
    """Matrix product ``C[i, j] = sum_k mul(A[i, k], B[k, j])`` of ``(n, k)`` and ``(k, m)``.

    Returns
    -------
    numpy.ndarray
        ``(n, m)`` signed ``W``-bit values.
    """
    width = _check_width(width)
    A = _operand("A", A, width, 2)
    B = _operand("B", B, width, 2)
    if A.shape[1] != B.shape[0]:
        raise ValueError(f"A and B do not chain: shapes {A.shape} and {B.shape}")
    return _sum(_products(A[:, :, None], B[None, :, :], width, mul), 1, width)


def vadd(a, b, width: int, mul: Callable | None = None) -> np.ndarray:
    """Elementwise sum ``a + b`` of two 1-D vectors (``mul`` is accepted and unused).

    Returns
    -------
    numpy.ndarray
        Signed ``W``-bit values.
    """
    width = _check_width(width)
    a = _operand("a", a, width, 1)
    b = _operand("b", b, width, 1)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same length, not {a.size} and {b.size}")
    return wrap(a + b, width)


def conv3x3(img, k, width: int, mul: Callable | None = None) -> np.ndarray:
    """3x3 cross-correlation, valid part (no padding, no kernel flip):
    ``y[i, j] = sum_{u, v} mul(k[u, v], img[i+u, j+v])``.

    Returns
    -------
    numpy.ndarray
        ``(H - 2, W - 2)`` signed ``W``-bit values.
    """
    width = _check_width(width)
    img = _operand("img", img, width, 2)
    k = _operand("k", k, width, 2)
    if k.shape != (3, 3):
        raise ValueError(f"k must have shape (3, 3), not {k.shape}")
    if img.shape[0] < 3 or img.shape[1] < 3:
        raise ValueError(f"img must be at least 3x3, not {img.shape}")
    h, w = img.shape[0] - 2, img.shape[1] - 2
    rows = np.arange(h)[:, None, None, None] + np.arange(3)[None, None, :, None]
    cols = np.arange(w)[None, :, None, None] + np.arange(3)[None, None, None, :]
    patches = img[rows, cols]  # (h, w, 3, 3)
    return _sum(_products(k[None, None], patches, width, mul), (2, 3), width)
