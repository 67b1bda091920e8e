"""The CIM macro's real layer: an integer MLP on the scikit-learn digits, fibbinary vs binary.

Data: :func:`gen.flow.datasets.load_data` (the bundled 8x8 digits, fixed split: 1258 training
and 539 test images). Pixels (0..16) become 4-bit unsigned inputs ``min(pixel, 15)``, the input
format of the macro.

Network: ``64 -> 32 (ReLU) -> 10``, trained in float (numpy, Adam, softmax cross-entropy,
fixed seed) on ``x / 15``. The **first layer is the CIM layer**: 64 inputs = the macro's 64
rows, 32 hidden units = columns. Its weights are quantised after training (post-training,
no retraining) to ``wb``-bit integers ``q`` with one scale per column,
``w[:, c] ~ scale[c] * q[:, c]``; the layer computes ``x4 @ q`` on the macro (exactly, by the
golden model :class:`sim_models.cim.CIMMacroModel`) and the float remainder
(``* scale / 15 + bias``, ReLU, the second layer) stays in float. Two codebooks with the same
scale search:

* ``binary``: the uniform ``wb``-bit two's-complement levels ``-2**(wb-1) .. 2**(wb-1) - 1``;
* ``fibbinary``: the ``F(wb + 2)`` signed fibbinary levels (:func:`sim_models.cim.codebook`,
  e.g. ``{-8, -7, -6, 0, 1, 2, 4, 5}`` for 4 bits), nearest level with ties towards the
  smaller magnitude (:func:`sim_models.cim.quantise`). Two's complement leaves a hole on one
  side (``-5 .. -1`` here; ``-85 .. -1`` for 8 bits);
* ``fibbinary_zp``: unsigned fibbinary patterns ``p`` with a per-column zero point ``z``,
  ``q = p - z`` (the asymmetric quantisation of integer inference runtimes): for 4 bits and
  ``z = 5`` the levels are ``{-5, -4, -3, -1, 0, 3, 4, 5}``. The macro stores ``p`` (unsigned
  weights) plus one extra column of ones, which yields ``sum(x)`` for free (1 is fibbinary);
  the layer is ``x @ p - z * sum(x)``, the subtraction in the digital post-processing.

Scale search: for every column, the scale (a negative scale flips the column onto the
codebook's other side, which matters for the asymmetric fibbinary codebook) minimising the
squared weight error, over 400 candidates spanning ``max|w| / max|level|`` by factors 1/4 to 2
with both signs. The accuracy cost is the drop of test accuracy from the float network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gen.flow.datasets import load_data
from sim_models.cim import CIMMacroModel, codebook, quantise

__all__ = ["HIDDEN", "CIMDigits", "train_mlp", "quantise_columns", "evaluate", "cim_digits",
           "input_codes"]

HIDDEN = 32
INPUT_BITS = 4
EPOCHS = 80


def input_codes(images: np.ndarray) -> np.ndarray:
    """4-bit unsigned inputs ``min(pixel, 15)``, shape ``(N, 64)``."""
    return np.minimum(np.asarray(images, dtype=np.int64).reshape(len(images), -1), 15)


def train_mlp(x: np.ndarray, y: np.ndarray, seed: int) -> dict:
    """Float MLP ``64 -> HIDDEN -> 10`` on inputs ``x`` (``(N, 64)`` in [0, 1])."""
    rng = np.random.default_rng(seed)
    params = {"w1": rng.normal(0, np.sqrt(2 / 64), (64, HIDDEN)), "b1": np.zeros(HIDDEN),
              "w2": rng.normal(0, np.sqrt(2 / HIDDEN), (HIDDEN, 10)), "b2": np.zeros(10)}
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(val) for k, val in params.items()}
    step, lr, batch = 0, 3e-3, 32
    for epoch in range(EPOCHS):
        order = rng.permutation(len(x))
        rate = lr * 0.5 * (1 + np.cos(np.pi * epoch / EPOCHS))
        for i in range(0, len(x), batch):
            idx = order[i:i + batch]
            xb, yb = x[idx], y[idx]
            h_pre = xb @ params["w1"] + params["b1"]
            h = np.maximum(h_pre, 0)
            logits = h @ params["w2"] + params["b2"]
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(yb)), yb] -= 1
            d_logits = p / len(yb)
            grads = {"w2": h.T @ d_logits, "b2": d_logits.sum(0)}
            d_h = (d_logits @ params["w2"].T) * (h_pre > 0)
            grads["w1"] = xb.T @ d_h + 1e-4 * params["w1"]
            grads["b1"] = d_h.sum(0)
            step += 1
            for k, g in grads.items():
                m[k] = 0.9 * m[k] + 0.1 * g
                v[k] = 0.999 * v[k] + 0.001 * g * g
                mh, vh = m[k] / (1 - 0.9 ** step), v[k] / (1 - 0.999 ** step)
                params[k] -= rate * mh / (np.sqrt(vh) + 1e-8)
    return params


ENCODINGS = ("binary", "fibbinary", "fibbinary_zp")


def _zero_point_columns(w: np.ndarray, wb: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unsigned fibbinary patterns ``p``, zero points ``z`` and scales: ``w ~ s * (p - z)``."""
    levels = codebook(wb, signed=False)
    top = int(levels[-1])
    zs = np.unique(np.linspace(0, top, min(top + 1, 18)).round().astype(np.int64))
    p = np.zeros(w.shape, dtype=np.int64)
    z_out = np.zeros(w.shape[1], dtype=np.int64)
    scales = np.zeros(w.shape[1])
    for c in range(w.shape[1]):
        col = w[:, c]
        best = None
        for z in zs:
            span = max(top - z, z, 1)
            base = np.abs(col).max() / span
            for s in np.concatenate([base * np.geomspace(0.25, 2, 40),
                                     -base * np.geomspace(0.25, 2, 40)]):
                pc = quantise(col / s + z, wb, signed=False)
                err = float((((pc - z) * s - col) ** 2).sum())
                if best is None or err < best[0]:
                    best = (err, pc, z, s)
        p[:, c], z_out[c], scales[c] = best[1], best[2], best[3]
    return p, z_out, scales


def quantise_columns(w: np.ndarray, wb: int, encoding: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer weights ``q`` (``(rows, cols)``, on the codebook) and per-column scales
    (``binary`` and ``fibbinary``; see :func:`_zero_point_columns` for ``fibbinary_zp``)."""
    if encoding == "fibbinary":
        levels = codebook(wb, signed=True)

        def snap(v):
            return quantise(v, wb, signed=True)
    else:
        lo, hi = -(1 << (wb - 1)), (1 << (wb - 1)) - 1
        levels = np.arange(lo, hi + 1)

        def snap(v):
            # nearest integer, ties towards zero (the fibbinary rule), clipped
            r = np.where(np.abs(v - np.trunc(v)) == 0.5, np.trunc(v), np.round(v))
            return np.clip(r, lo, hi).astype(np.int64)
    top = float(np.abs(levels).max())
    q = np.zeros(w.shape, dtype=np.int64)
    scales = np.zeros(w.shape[1])
    for c in range(w.shape[1]):
        col = w[:, c]
        base = np.abs(col).max() / top
        best = None
        for s in np.concatenate([base * np.geomspace(0.25, 2, 200),
                                 -base * np.geomspace(0.25, 2, 200)]):
            qc = snap(col / s)
            err = float(((qc * s - col) ** 2).sum())
            if best is None or err < best[0]:
                best = (err, qc, s)
        q[:, c], scales[c] = best[1], best[2]
    return q, scales


def evaluate(params: dict, x4: np.ndarray, y: np.ndarray, q=None, scales=None,
             macro: CIMMacroModel | None = None) -> float:
    """Test accuracy; with ``q``/``scales`` the first layer runs on integers (by ``macro``,
    the golden model of the CIM macro, when given, else ``x4 @ q``)."""
    if q is None:
        h = x4 / 15.0 @ params["w1"] + params["b1"]
    else:
        acc = macro(x4, q) if macro is not None else x4 @ q
        h = acc * scales / 15.0 + params["b1"]
    logits = np.maximum(h, 0) @ params["w2"] + params["b2"]
    return float((logits.argmax(1) == y).mean())


@dataclass
class CIMDigits:
    """Accuracies (test split) of the float MLP and of its CIM layer per codebook."""

    seed: int
    train_images: int
    test_images: int
    float_accuracy: float
    accuracy: dict  # {encoding: {wb: acc}} for ENCODINGS
    weight_rmse: dict  # same keys: RMS weight error relative to the RMS weight
    params: dict
    quantised: dict  # (encoding, wb) -> (q, scales)


def cim_digits(seed: int = 1, widths=(4, 8)) -> CIMDigits:
    """Train, quantise the first layer to each codebook and width, and measure accuracy.

    The integer layer runs through :class:`sim_models.cim.CIMMacroModel` (64 rows, 4-bit
    unsigned inputs; 32 columns of signed weights, or for ``fibbinary_zp`` 33 columns of
    unsigned weights, the last all ones) and is checked against the integer product.
    """
    x_tr, y_tr, x_te, y_te = load_data()
    x4_tr, x4_te = input_codes(x_tr), input_codes(x_te)
    params = train_mlp(x4_tr / 15.0, y_tr, seed)
    acc = {enc: {} for enc in ENCODINGS}
    rmse = {enc: {} for enc in ENCODINGS}
    quantised = {}
    w1 = params["w1"]
    for enc in ENCODINGS:
        for wb in widths:
            if enc == "fibbinary_zp":
                p, z, scales = _zero_point_columns(w1, wb)
                macro = CIMMacroModel(64, HIDDEN + 1, wb, INPUT_BITS, encoding="fibbinary")
                stored = np.concatenate([p, np.ones((64, 1), dtype=np.int64)], axis=1)
                got = macro(x4_te, stored)
                if not (got == x4_te @ stored).all():
                    raise AssertionError(f"CIM model disagrees with x @ p ({wb} bits)")
                layer = got[:, :HIDDEN] - z * got[:, HIDDEN:]
                h = layer * scales / 15.0 + params["b1"]
                logits = np.maximum(h, 0) @ params["w2"] + params["b2"]
                acc[enc][wb] = float((logits.argmax(1) == y_te).mean())
                rmse[enc][wb] = float(np.sqrt((((p - z) * scales - w1) ** 2).mean())
                                      / np.sqrt((w1 ** 2).mean()))
                quantised[(enc, wb)] = (stored, scales, z)
                continue
            q, scales = quantise_columns(w1, wb, enc)
            macro = CIMMacroModel(64, HIDDEN, wb, INPUT_BITS, signed_weights=True,
                                  encoding=enc)
            got = macro(x4_te, q)
            if not (got == x4_te @ q).all():
                raise AssertionError(f"CIM model disagrees with x @ q ({enc}, {wb} bits)")
            acc[enc][wb] = evaluate(params, x4_te, y_te, q, scales, macro)
            rmse[enc][wb] = float(np.sqrt(((q * scales - w1) ** 2).mean())
                                  / np.sqrt((w1 ** 2).mean()))
            quantised[(enc, wb)] = (q, scales)
    return CIMDigits(seed, len(x_tr), len(x_te), evaluate(params, x4_te, y_te), acc, rmse,
                     params, quantised)
