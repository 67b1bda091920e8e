"""Batch-norm folding into the per-channel thresholds of the ternary engine (REFERENCE.md 2).

A float layer computes, per output channel, the integer sum ``s`` of trit products, the batch
norm ``y = g' * s + b'`` with

    b' = ((bias - mu) / sqrt(var + eps)) * gamma + beta,      g' = gamma / sqrt(var + eps),

and the ternary activation :func:`ternarise` ``(y)``: round half up, clipped to one trit,

    +1 if y >= 0.5,   -1 if y < -0.5,   0 otherwise      (= clip(floor(y + 1/2), -1, 1)).

The hardware only has ``+1 if S > hi, else -1 if S < lo, else 0`` on the sum ``S`` it
computes. The fold makes the two agree *exactly* for every integer sum:

- channels with ``g' >= 0`` keep their weights (``S = s``); channels with ``g' < 0`` get
  negated weights, so the hardware sums ``S = -s``, and then ``y = |g'| * S + b'``;
- with ``G = |g'|``: ``hi = ceil((0.5 - b') / G) - 1`` and ``lo = ceil((-0.5 - b') / G)``.

So "negated thresholds" means: the thresholds of a negated channel are those of the same
formulas with ``|g'|`` in place of ``g'``, applied to the negated sum. Written with the signed
``g' < 0`` and ``a = (0.5 - b') / g'``, ``c = (-0.5 - b') / g'``, they are
``hi = -floor(a) - 1`` and ``lo = -floor(c)``.

Proof (integer ``S``, ``G > 0``): ``y >= 1/2  <=>  S >= (1/2 - b')/G  <=>  S >= ceil(A)
<=>  S > ceil(A) - 1``; ``y < -1/2  <=>  S < (-1/2 - b')/G = C  <=>  S < ceil(C)`` (if ``C`` is
an integer both sides are ``S < C``; otherwise ``S < C <=> S <= floor(C) <=> S < ceil(C)``).

**REFERENCE.md's formula is off by one for the strict compares.** Its
``hi = ceil((0.5 - b') / g')`` is what a *non-strict* ``S >= hi`` needs; with the shared
specification's strict ``S > hi`` every ``g' > 0`` channel would turn the sum ``S = ceil(A)``
(where ``y >= 0.5``) into 0 instead of +1, so this module uses ``hi = ceil(A) - 1``. Its ``lo``
is right for ``g' > 0``. For ``g' < 0``, negating its thresholds literally (``-ceil(a)``,
``-ceil(c)``) gives a ``lo`` one too small whenever ``c`` is not an integer, and an ``hi`` one
too large when ``a`` is an integer.

The thresholds are computed in exact rational arithmetic from the float64 values of ``g'`` and
``b'`` (:class:`fractions.Fraction`), so the equality holds for the real value of
``g' * s + b'``; a float64 evaluation of that expression can round across 0.5 when it lies
within an ulp of it.

Pooling: max pooling commutes with the fold when the float network applies the batch norm
*before* the max pooling: ``max(g' * s + b') = G * max(S) + b'`` over a window, with ``S`` the
sign-corrected sums, which is what the engine computes (pooling then thresholds). Batch norm
*after* max pooling is equivalent only for ``g' > 0`` (for ``g' < 0`` it takes the minimum).
With sum pooling, fold a batch norm that follows the pooling (the sum of four is ``s``).
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from ._common import as_trits, check_int
from .conv import TernaryLayer

_INT64_MAX = int(np.iinfo(np.int64).max)


def ternarise(y: object) -> np.ndarray:
    """The ternary activation of the folded layers: round half up, clipped to one trit.

    Parameters
    ----------
    y : array_like
        Real values (batch-norm outputs).

    Returns
    -------
    numpy.ndarray
        ``int8``: ``+1`` where ``y >= 0.5``, ``-1`` where ``y < -0.5``, else 0. NaN gives 0.

    Raises
    ------
    TypeError
        If ``y`` is not numeric.
    """
    arr = np.asarray(y)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"Values must be real numbers, not dtype {arr.dtype}")
    out = np.where(arr < -0.5, -1, 0)
    return np.where(arr >= 0.5, 1, out).astype(np.int8)


def _as_real(name: str, value: object) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, not dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or one value per channel, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def _channel_arrays(**arrays: np.ndarray) -> dict[str, np.ndarray]:
    sizes = {a.shape[0] for a in arrays.values() if a.ndim == 1}
    if len(sizes) > 1:
        listed = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
        raise ValueError(f"Per-channel arrays must have the same length, got {listed}")
    if not sizes:
        raise ValueError("At least one parameter must hold one value per channel")
    (channels,) = sizes
    if channels < 1:
        raise ValueError("At least one channel is needed")
    return {k: np.broadcast_to(v, (channels,)).astype(np.float64) for k, v in arrays.items()}


def _clip(value: int, bound: int | None, name: str, channel: int) -> int:
    if bound is not None:
        return min(max(value, -bound - 1), bound + 1)
    if abs(value) > _INT64_MAX:
        raise ValueError(
            f"The {name} threshold of channel {channel} does not fit 64 bits ({value}); "
            "give max_abs_sum to clip it"
        )
    return value


def fold_thresholds(
    scale: object, offset: object, *, max_abs_sum: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thresholds that reproduce ``ternarise(scale * s + offset)`` on integer sums.

    Parameters
    ----------
    scale : array_like
        ``g'`` per channel (finite).
    offset : array_like
        ``b'`` per channel (finite); scalars broadcast against ``scale``.
    max_abs_sum : int, optional
        Largest ``|s|`` the hardware can produce (e.g. :attr:`TernaryLayer.sum_bound`). The
        thresholds are clipped to ``[-max_abs_sum - 1, max_abs_sum + 1]``, which changes no
        output for sums in range, and a channel with ``g' = 0`` (a constant output) becomes
        possible. Without it, thresholds must fit ``int64`` and ``g' = 0`` is rejected.

    Returns
    -------
    lo, hi : numpy.ndarray
        ``int64`` thresholds per channel (see the module docstring).
    negate : numpy.ndarray
        ``bool`` per channel: True where ``g' < 0`` (the weights must be negated).

    Raises
    ------
    TypeError
        If an input is not numeric or ``max_abs_sum`` is not an integer.
    ValueError
        If an input is not finite, the shapes disagree, a threshold does not fit ``int64``, or
        ``g' = 0`` without ``max_abs_sum``.
    """
    if max_abs_sum is not None:
        max_abs_sum = check_int("Max abs sum", max_abs_sum, 0, _INT64_MAX - 1)
    arrays = _channel_arrays(
        scale=_as_real("Scale", scale), offset=_as_real("Offset", offset)
    )
    g, b = arrays["scale"], arrays["offset"]
    lo = np.empty(g.shape, dtype=np.int64)
    hi = np.empty(g.shape, dtype=np.int64)
    half = Fraction(1, 2)
    for ch, (gv, bv) in enumerate(zip(g.tolist(), b.tolist(), strict=True)):
        big = (max_abs_sum if max_abs_sum is not None else 0) + 1
        b_exact = Fraction(bv)
        if gv == 0:
            if max_abs_sum is None:
                raise ValueError(
                    f"Channel {ch} has scale 0 (a constant output); give max_abs_sum to fold it"
                )
            level = 1 if b_exact >= half else (-1 if b_exact < -half else 0)
            hi_v, lo_v = {1: (-big, -big), 0: (big, -big), -1: (big, big)}[level]
        else:
            g_abs = abs(Fraction(gv))
            hi_v = math.ceil((half - b_exact) / g_abs) - 1
            lo_v = math.ceil((-half - b_exact) / g_abs)
        hi[ch] = _clip(hi_v, max_abs_sum, "hi", ch)
        lo[ch] = _clip(lo_v, max_abs_sum, "lo", ch)
    return lo, hi, g < 0


class FoldedBatchNorm:
    """Batch norm folded into sign-corrected weights and integer thresholds.

    Parameters
    ----------
    gamma, beta, mean, var : array_like
        Batch-norm parameters and statistics per output channel (``var >= 0``); scalars
        broadcast.
    bias : array_like, optional
        Convolution bias per channel (default 0).
    eps : float, optional
        Batch-norm epsilon (default ``1e-5``), positive.
    max_abs_sum : int, optional
        Clip the thresholds to the sum range (see :func:`fold_thresholds`).

    Raises
    ------
    TypeError
        If a parameter is not numeric.
    ValueError
        If a parameter is not finite, ``var + eps <= 0``, or the shapes disagree.

    Notes
    -----
    ``scale = gamma / sqrt(var + eps)``, ``offset = ((bias - mean) / sqrt(var + eps)) * gamma +
    beta`` in float64 (REFERENCE.md 2); thresholds and the meaning of :attr:`negate` are in
    the module docstring.
    """

    __slots__ = ("_scale", "_offset", "_lo", "_hi", "_negate", "_max_abs_sum")

    def __init__(
        self,
        gamma: object,
        beta: object,
        mean: object,
        var: object,
        *,
        bias: object = 0.0,
        eps: float = 1e-5,
        max_abs_sum: int | None = None,
    ) -> None:
        if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, numbers.Real):
            raise TypeError(f"Eps must be a positive real number, not {eps!r}")
        if not (math.isfinite(eps) and eps > 0):
            raise ValueError(f"Eps must be a positive real number, not {eps!r}")
        p = _channel_arrays(
            gamma=_as_real("Gamma", gamma),
            beta=_as_real("Beta", beta),
            mean=_as_real("Mean", mean),
            var=_as_real("Var", var),
            bias=_as_real("Bias", bias),
        )
        if np.any(p["var"] < 0):
            raise ValueError(f"Var must be non-negative, got {float(p['var'].min())}")
        std = np.sqrt(p["var"] + float(eps))
        scale = p["gamma"] / std
        offset = ((p["bias"] - p["mean"]) / std) * p["gamma"] + p["beta"]
        lo, hi, negate = fold_thresholds(scale, offset, max_abs_sum=max_abs_sum)
        for arr in (scale, offset, lo, hi, negate):
            arr.flags.writeable = False
        self._scale, self._offset = scale, offset
        self._lo, self._hi, self._negate = lo, hi, negate
        self._max_abs_sum = max_abs_sum

    @property
    def scale(self) -> np.ndarray:
        """numpy.ndarray: ``g'`` per channel (read-only float64)."""
        return self._scale

    @property
    def offset(self) -> np.ndarray:
        """numpy.ndarray: ``b'`` per channel (read-only float64)."""
        return self._offset

    @property
    def lo(self) -> np.ndarray:
        """numpy.ndarray: Lower thresholds (read-only int64)."""
        return self._lo

    @property
    def hi(self) -> np.ndarray:
        """numpy.ndarray: Upper thresholds (read-only int64)."""
        return self._hi

    @property
    def negate(self) -> np.ndarray:
        """numpy.ndarray: True for the channels whose weights are negated (``g' < 0``)."""
        return self._negate

    @property
    def max_abs_sum(self) -> int | None:
        """int or None: The clipping bound of the thresholds."""
        return self._max_abs_sum

    @property
    def channels(self) -> int:
        """int: Number of channels."""
        return self._scale.shape[0]

    def apply(self, weights: object) -> np.ndarray:
        """Sign-correct weight trits: negate the output channels with ``g' < 0``.

        Parameters
        ----------
        weights : array_like
            Trits ``(C_out, K, K, C_in)`` with ``C_out`` = :attr:`channels`.

        Returns
        -------
        numpy.ndarray
            ``int8`` weights for the hardware.

        Raises
        ------
        TypeError
            If the weights are not integers.
        ValueError
            If a value is not a trit or the shape does not match.
        """
        w = as_trits("Weights", weights)
        if w.ndim != 4 or w.shape[0] != self.channels:
            raise ValueError(
                f"Weights must have shape ({self.channels}, K, K, C_in), got shape {w.shape}"
            )
        signs = np.where(self._negate, -1, 1).astype(np.int8)
        return w * signs[:, None, None, None]

    def layer(
        self,
        weights: object,
        *,
        stride: int = 1,
        padding: str = "same",
        pooling: str | None = None,
    ) -> TernaryLayer:
        """The hardware layer: sign-corrected weights with the folded thresholds.

        Parameters
        ----------
        weights : array_like
            The float network's ternary weights ``(C_out, K, K, C_in)`` (before correction).
        stride, padding, pooling
            See :class:`TernaryLayer`. With ``"max"`` pooling the float network must apply the
            batch norm before the pooling (module docstring).

        Returns
        -------
        TernaryLayer
            The folded layer.
        """
        return TernaryLayer(
            self.apply(weights), self._lo, self._hi, stride=stride, padding=padding,
            pooling=pooling,
        )

    def __repr__(self) -> str:
        return (
            f"FoldedBatchNorm(channels={self.channels}, negated={int(self._negate.sum())}, "
            f"max_abs_sum={self._max_abs_sum!r})"
        )
