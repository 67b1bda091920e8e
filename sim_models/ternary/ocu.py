"""Golden models of the output-channel units (OCUs) of the ternary engine (REFERENCE.md 2).

One OCU computes, per ``k x k x n_i`` window, the dot product of the window with its
stationary weights (docs/ternary.md): the sum of the ternary products, optionally pooled over
4 consecutive windows (the 2x2 pool group, maximum or sum), then the double threshold
(:func:`~sim_models.ternary.threshold`: ``+1`` above ``hi``, ``-1`` below ``lo``, else 0).
A result is ``illegal`` when a window of it or a weight holds the code ``0b10``. The binary
(XNOR-popcount) baseline takes bits (1 is ``+1``, 0 is ``-1``) and gives the bit
``sum >= th``.

Numpy only: nothing here imports the RTL generators or the simulators.
"""

from __future__ import annotations

import numpy as np

from .conv import pool, ternary_conv2d, threshold
from .trits import decode_trits_masked

__all__ = ["OCUModel", "BinaryOCUModel", "POOL_SIZE"]

#: Windows pooled into one result (the 2x2 pool group).
POOL_SIZE = 4


def _pooling(pooling):
    return None if pooling in (None, "none") else pooling


class OCUModel:
    """Golden model of :class:`hw.ternary.OCU`.

    Parameters
    ----------
    n_i : int
        Input channels.
    k : int
        Kernel size (odd).
    pooling : {None, "none", "max", "sum"}, optional
        Pooling over 4 consecutive window sums.
    """

    #: Threshold register fields, the keyword arguments of a call after the weights.
    threshold_fields = ("lo", "hi")

    def __init__(self, n_i, k, pooling=None):
        if not isinstance(n_i, int) or not 1 <= n_i <= 256:
            raise ValueError(f"N_I must be an integer between 1 and 256, not {n_i!r}")
        if not isinstance(k, int) or k not in (1, 3, 5, 7):
            raise ValueError(f"K must be 1, 3, 5 or 7, not {k!r}")
        self.n_i, self.k, self.pooling = n_i, k, _pooling(pooling)
        if self.pooling not in (None, "max", "sum"):
            raise ValueError(f"Pooling must be None, 'max' or 'sum', not {pooling!r}")

    @property
    def windows_per_result(self):
        """Windows per result: 4 with pooling, else 1."""
        return POOL_SIZE if self.pooling else 1

    def _sums(self, windows, weights):
        """Window sums of value arrays ``(N, k, k, n_i)`` against ``(k, k, n_i)``."""
        w = np.asarray(weights).reshape(1, self.k, self.k, self.n_i)
        return ternary_conv2d(windows, w, padding="valid").reshape(-1)

    def _pool(self, sums):
        if not self.pooling:
            return sums
        groups = sums.reshape(-1, 2, 2, 1)
        return pool(groups, self.pooling).reshape(-1)

    def __call__(self, windows, weights, lo, hi):
        """Results for a batch of windows.

        Parameters
        ----------
        windows : array_like
            2-bit trit codes, shape ``(N, k, k, n_i)`` (``N`` a multiple of 4 with pooling).
        weights : array_like
            2-bit trit codes of the weights, shape ``(k, k, n_i)``.
        lo, hi : int
            Thresholds.

        Returns
        -------
        dict of numpy.ndarray
            ``sum``, ``trit`` and ``illegal``, one element per result.
        """
        win, win_bad = decode_trits_masked(np.asarray(windows).reshape(-1, self.k, self.k,
                                                                       self.n_i))
        wts, wts_bad = decode_trits_masked(weights)
        sums = self._pool(self._sums(win, wts))
        bad = win_bad.reshape(-1, self.windows_per_result, win_bad[0].size).any(axis=(1, 2))
        bad = bad | bool(wts_bad.any())
        return {"sum": sums, "trit": threshold(sums[:, None], lo, hi)[:, 0].astype(np.int64),
                "illegal": bad.astype(np.int64)}


class BinaryOCUModel(OCUModel):
    """Golden model of :class:`hw.ternary.BinaryOCU` (bits: 1 is ``+1``, 0 is ``-1``).

    Called as ``model(windows, weights, th)`` with bit arrays; returns ``sum`` and ``bit``
    (1 where the value is at least ``th``).
    """

    threshold_fields = ("th",)

    def __call__(self, windows, weights, th):
        win = 2 * np.asarray(windows).reshape(-1, self.k, self.k, self.n_i) - 1
        wts = 2 * np.asarray(weights) - 1
        sums = self._pool(self._sums(win, wts))
        return {"sum": sums, "bit": (sums >= th).astype(np.int64)}
