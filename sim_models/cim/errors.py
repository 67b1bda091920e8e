"""Error metrics of the approximate (truncated) adder tree, as in REFERENCE.md 1.3.

The error of one result is ``e = approx - exact`` with ``exact`` the integer dot product of
the same input vector and weights; the metrics are taken over every column of every sampled
vector: EP = P(e != 0), MED = mean |e|, MSE = mean e**2, mean error (bias), WCE = max |e|,
MRED = mean |e| / |exact| over exact != 0, and NMED = MED / max(|lo|, |hi|) with ``[lo, hi]``
the exact output range of the macro (the normalisation stated here because REFERENCE's
``(2**n - 1)**2`` is that of a single multiplier).
"""

from __future__ import annotations

import numpy as np

from .._checks import check_int
from .fibbinary import codebook
from .macro import CIMMacroModel

__all__ = ["tree_errors"]


def tree_errors(model: CIMMacroModel, samples: int = 4096, seed: int = 1,
                input_zero: float = 0.0) -> dict:
    """Sample random inputs and weights and measure the approximate tree's error.

    Parameters
    ----------
    model : CIMMacroModel
        The approximate configuration (``approx_bits`` > 0; 0 gives zero error).
    samples : int
        Input vectors (1 to 1,000,000), drawn uniformly; the weights are drawn once per call,
        uniformly over the encoding's levels.
    seed : int
        Seed of the draws.
    input_zero : float
        Probability that an input is 0 (sparse inputs), 0 to 1.

    Returns
    -------
    dict
        ``ep, med, mse, mean_error, wce, mred, nmed`` and the sampling facts
        (``samples``, ``results``, ``seed``, ``input_zero``).
    """
    samples = check_int("Samples", samples, 1, 1_000_000)
    if not 0.0 <= float(input_zero) <= 1.0:
        raise ValueError(f"Input zero probability must be between 0 and 1, not {input_zero!r}")
    exact_model = CIMMacroModel(model.rows, model.cols, model.wb, model.ib,
                                signed_inputs=model.signed_inputs,
                                signed_weights=model.signed_weights, bit_order=model.bit_order,
                                encoding=model.encoding)
    rng = np.random.default_rng(seed)
    if model.encoding == "fibbinary":
        w = rng.choice(codebook(model.wb, model.signed_weights), size=(model.rows, model.cols))
    else:
        lo, hi = model.weight_range()
        w = rng.integers(lo, hi, size=(model.rows, model.cols), endpoint=True)
    lo, hi = model.input_range()
    x = rng.integers(lo, hi, size=(samples, model.rows), endpoint=True)
    x = np.where(rng.random(x.shape) < input_zero, 0, x)
    approx, exact = model(x, w), exact_model(x, w)
    if not (exact == x @ w).all():  # the exact model is the dot product
        raise AssertionError("exact CIM model differs from the dot product")
    e = (approx - exact).astype(np.float64)
    nz = exact != 0
    o_lo, o_hi = exact_model.output_range()
    med = float(np.abs(e).mean())
    return {
        "ep": float((e != 0).mean()), "med": med, "mse": float((e ** 2).mean()),
        "mean_error": float(e.mean()), "wce": float(np.abs(e).max()),
        "mred": float((np.abs(e[nz]) / np.abs(exact[nz])).mean()) if nz.any() else 0.0,
        "nmed": med / max(abs(o_lo), abs(o_hi)),
        "samples": samples, "results": int(e.size), "seed": seed,
        "input_zero": float(input_zero),
    }
