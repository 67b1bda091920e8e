"""A small ternary CNN on the scikit-learn digits, trained in numpy, for the ternary engine.

Data: :func:`gen.flow.datasets.load_data` (the 8x8 digits of scikit-learn, 1797 images of
intensities 0..16, 10 classes; bundled, nothing is downloaded). Fixed split, no shuffling: the
last ``round(0.3 * 1797) = 539`` images test, the first 1258 train.

Network (3x3 kernels, stride 1, 16 hidden channels, as the engine runs it):

1. conv 3x3 SAME 1 -> 16, batch norm, ternary activation             (8x8x16)
2. conv 3x3 SAME 16 -> 16, batch norm, 2x2 max pooling, ternary act.  (4x4x16)
3. conv 3x3 VALID 16 -> 10, 2x2 sum pooling: 10 class scores as raw integer sums (1x1x10)

Two trainings with the same seed, both plain numpy (im2col convolutions, hand-written
backward passes, Adam with a cosine decay, batches of 32 images each moved by a random
-1/0/+1 pixel in both directions):

- the float CNN: real-valued weights, inputs ``pixel / 8 - 1`` in [-1, 1], ``clip(y, -1, 1)``
  activations, the final scores scaled by a learnt positive factor;
- its ternary version, started from the float weights: ternary weights (per-layer threshold
  ``0.5 * mean|w|`` of the latent float weights, straight-through gradient), ternary
  activations (:func:`sim_models.ternary.ternarise` of the batch-norm output, gradient passed
  where ``|y| <= 1``) and ternary inputs (:func:`ternarise_pixels`).

The batch norm is placed before the max pooling, which makes the fold exact (see
:mod:`sim_models.ternary.bn`). After training the batch-norm statistics are recomputed over the
whole training set with the final weights and folded (:class:`~sim_models.ternary.bn.
FoldedBatchNorm`) into sign-corrected weights and integer thresholds; the ternary accuracy is
that of the resulting :class:`~sim_models.ternary.TernaryNetwork` (the golden model) on the
ternarised test images.

Results are cached in ``build/cache/digits/`` as ``.npz``, keyed by the seed and the code version
(a hash of this module and of the golden-model sources it relies on).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock, at worst trained twice
    fcntl = None

import sim_models.ternary as tern
from gen.eda import files
from gen.flow import datasets
from gen.flow.cache import cache_root
from gen.flow.datasets import load_data
from sim_models.ternary import FoldedBatchNorm, TernaryLayer, TernaryNetwork, ternarise

__all__ = ["CACHE", "DigitsResult", "cache_path", "code_version",
           "ternarise_pixels", "train"]

CACHE = cache_root() / "digits"
#: Bump when the training changes in a way the source hash would not show.
_CODE_VERSION = "1"
CHANNELS = 16
CLASSES = 10
#: Pixel intensities (0..16) at or below this become -1, at or above :data:`PIXEL_HIGH` +1.
PIXEL_LOW = 4
PIXEL_HIGH = 10
BN_EPS = 1e-5
# (stride, padding, pooling) of the three layers
LAYOUT = ((1, "same", None), (1, "same", "max"), (1, "valid", "sum"))

FLOAT_EPOCHS = 25
TERNARY_EPOCHS = 60
BATCH = 32
FLOAT_LR = 3e-3
TERNARY_LR = 2e-3
#: Ternary weights: +-1 beyond this times the layer's mean |latent weight|, else 0.
TWN_FACTOR = 0.5
#: Random 1-pixel shifts of the training images (both trainings).
SHIFT = True


# ------------------------------------------------------------------------------------------
# data


def ternarise_pixels(images: np.ndarray) -> np.ndarray:
    """Ternary input maps: -1 for dark pixels, 0 for mid-grey, +1 for ink.

    Parameters
    ----------
    images : numpy.ndarray
        Intensities 0..16, shape ``(N, 8, 8)``.

    Returns
    -------
    numpy.ndarray
        ``int8`` trits of shape ``(N, 8, 8, 1)``: -1 at or below :data:`PIXEL_LOW`, +1 at or
        above :data:`PIXEL_HIGH`, else 0.
    """
    x = np.asarray(images)
    out = np.where(x <= PIXEL_LOW, -1, np.where(x >= PIXEL_HIGH, 1, 0)).astype(np.int8)
    return out[..., None]


def _float_pixels(images: np.ndarray) -> np.ndarray:
    return (np.asarray(images, dtype=np.float64) / 8.0 - 1.0)[..., None]


# ------------------------------------------------------------------------------------------
# numpy layers (float64; weights (C_out, K, K, C_in) as the engine stores them)


def _im2col(x: np.ndarray, k: int, pad: int) -> np.ndarray:
    """Rows of ``K*K*C`` inputs, ordered ``[ky][kx][c]``, one per output pixel (stride 1)."""
    n, h, w, c = x.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))
    ho, wo = win.shape[1], win.shape[2]
    return win.transpose(0, 1, 2, 4, 5, 3).reshape(n * ho * wo, k * k * c), (n, ho, wo)


def _col2im(dcols: np.ndarray, shape: tuple, k: int, pad: int, out_hw: tuple) -> np.ndarray:
    n, h, w, c = shape
    ho, wo = out_hw
    d = dcols.reshape(n, ho, wo, k, k, c)
    dxp = np.zeros((n, h + 2 * pad, w + 2 * pad, c))
    for ky in range(k):
        for kx in range(k):
            dxp[:, ky : ky + ho, kx : kx + wo] += d[:, :, :, ky, kx]
    return dxp[:, pad : pad + h, pad : pad + w]


def _conv_forward(x: np.ndarray, w: np.ndarray, padding: str) -> tuple[np.ndarray, tuple]:
    c_out, k = w.shape[0], w.shape[1]
    pad = (k - 1) // 2 if padding == "same" else 0
    cols, (n, ho, wo) = _im2col(x, k, pad)
    out = (cols @ w.reshape(c_out, -1).T).reshape(n, ho, wo, c_out)
    return out, (cols, x.shape, k, pad, (ho, wo))


def _conv_backward(dout: np.ndarray, w: np.ndarray, cache: tuple, need_dx: bool):
    cols, xshape, k, pad, out_hw = cache
    c_out = w.shape[0]
    d2 = dout.reshape(-1, c_out)
    dw = (d2.T @ cols).reshape(w.shape)
    if not need_dx:
        return dw, None
    return dw, _col2im(d2 @ w.reshape(c_out, -1), xshape, k, pad, out_hw)


def _bn_forward(z, gamma, beta, mean=None, var=None):
    """Batch statistics when ``mean`` is None (training), else the given ones."""
    if mean is None:
        mean = z.mean(axis=(0, 1, 2))
        var = z.var(axis=(0, 1, 2))
    inv = 1.0 / np.sqrt(var + BN_EPS)
    xhat = (z - mean) * inv
    return gamma * xhat + beta, (xhat, inv), mean, var


def _bn_backward(dy, gamma, cache):
    xhat, inv = cache
    m = dy.shape[0] * dy.shape[1] * dy.shape[2]
    dgamma = (dy * xhat).sum(axis=(0, 1, 2))
    dbeta = dy.sum(axis=(0, 1, 2))
    dxhat = dy * gamma
    axes = (0, 1, 2)
    dz = inv / m * (m * dxhat - dxhat.sum(axis=axes) - xhat * (dxhat * xhat).sum(axis=axes))
    return dz, dgamma, dbeta


def _pool_forward(y: np.ndarray, mode: str):
    n, h, w, c = y.shape
    # windows[n, i, j, c, 2 * dy + dx] = y[n, 2i + dy, 2j + dx, c]
    win = y.reshape(n, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4).reshape(
        n, h // 2, w // 2, c, 4
    )
    if mode == "sum":
        return win.sum(axis=-1), None
    winner = win.argmax(axis=-1)  # the first maximum takes the gradient
    return np.take_along_axis(win, winner[..., None], axis=-1)[..., 0], winner


def _pool_backward(dout: np.ndarray, mode: str, shape: tuple, winner) -> np.ndarray:
    n, h, w, c = shape
    if mode == "sum":
        d = np.broadcast_to(dout[..., None], dout.shape + (4,))
    else:
        d = (np.arange(4) == winner[..., None]) * dout[..., None]
    return d.reshape(n, h // 2, w // 2, c, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(shape)


# ------------------------------------------------------------------------------------------
# the network


def _ternary_weights(w: np.ndarray) -> np.ndarray:
    """TWN-style ternarisation: +-1 beyond ``TWN_FACTOR * mean|w|`` of the layer, else 0."""
    delta = TWN_FACTOR * np.abs(w).mean()
    return np.where(w > delta, 1.0, np.where(w < -delta, -1.0, 0.0))


def _activation(y: np.ndarray, ternary: bool) -> tuple[np.ndarray, np.ndarray]:
    """Activation and the mask its (straight-through) gradient passes."""
    if ternary:
        return ternarise(y).astype(np.float64), np.abs(y) <= 1.0
    return np.clip(y, -1.0, 1.0), np.abs(y) < 1.0


def _init_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    def conv(c_out: int, c_in: int) -> np.ndarray:
        return rng.normal(0.0, np.sqrt(2.0 / (9 * c_in)), size=(c_out, 3, 3, c_in))

    return {
        "w1": conv(CHANNELS, 1),
        "g1": np.ones(CHANNELS),
        "b1": np.zeros(CHANNELS),
        "w2": conv(CHANNELS, CHANNELS),
        "g2": np.ones(CHANNELS),
        "b2": np.zeros(CHANNELS),
        "w3": conv(CLASSES, CHANNELS),
        "la": np.zeros(()),
    }


def _forward(params, x, ternary: bool, stats=None):
    """Logits, caches and the batch statistics (``stats``: fixed ``[(m1, v1), (m2, v2)]``)."""
    w = [params[k] for k in ("w1", "w2", "w3")]
    if ternary:
        w = [_ternary_weights(v) for v in w]
    st = stats or [(None, None), (None, None)]
    z1, c1 = _conv_forward(x, w[0], "same")
    y1, bn1, m1, v1 = _bn_forward(z1, params["g1"], params["b1"], *st[0])
    a1, mask1 = _activation(y1, ternary)
    z2, c2 = _conv_forward(a1, w[1], "same")
    y2, bn2, m2, v2 = _bn_forward(z2, params["g2"], params["b2"], *st[1])
    p2, pc2 = _pool_forward(y2, "max")
    a2, mask2 = _activation(p2, ternary)
    z3, c3 = _conv_forward(a2, w[2], "valid")
    s3, _ = _pool_forward(z3, "sum")
    logits = np.exp(params["la"]) * s3.reshape(len(x), CLASSES)
    cache = (w, c1, bn1, mask1, c2, bn2, y2.shape, pc2, mask2, c3, z3.shape)
    return logits, cache, [(m1, v1), (m2, v2)]


def _backward(params, logits, labels, cache):
    w, c1, bn1, mask1, c2, bn2, y2_shape, pc2, mask2, c3, z3_shape = cache
    n = len(labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # log-softmax
    loss = -log_p[np.arange(n), labels].mean()
    dlogits = np.exp(log_p)
    dlogits[np.arange(n), labels] -= 1.0
    dlogits /= n
    grads = {"la": np.asarray((dlogits * logits).sum())}
    ds3 = (dlogits * np.exp(params["la"])).reshape(n, 1, 1, CLASSES)
    dz3 = _pool_backward(ds3, "sum", z3_shape, None)
    grads["w3"], da2 = _conv_backward(dz3, w[2], c3, True)
    dy2 = _pool_backward(da2 * mask2, "max", y2_shape, pc2)
    dz2, grads["g2"], grads["b2"] = _bn_backward(dy2, params["g2"], bn2)
    grads["w2"], da1 = _conv_backward(dz2, w[1], c2, True)
    dz1, grads["g1"], grads["b1"] = _bn_backward(da1 * mask1, params["g1"], bn1)
    grads["w1"], _ = _conv_backward(dz1, w[0], c1, False)
    return loss, grads


def _population_stats(params, x, ternary: bool):
    """Batch-norm statistics over the whole of ``x`` (one batch: layer 2's statistics are those
    of the activations that layer 1 produces with its own whole-set statistics)."""
    return _forward(params, x, ternary)[2]


def _accuracy(params, x, labels, ternary: bool, stats) -> tuple[float, np.ndarray]:
    pred = _forward(params, x, ternary, stats)[0].argmax(axis=1)
    return float((pred == labels).mean()), pred


def _shift(x: np.ndarray, rng: np.random.Generator, fill: float) -> np.ndarray:
    """Each image moved by -1, 0 or +1 pixel in each direction, uncovered pixels ``fill``."""
    n, h, w, _ = x.shape
    big = np.full((n, h + 2, w + 2, x.shape[3]), fill)
    big[:, 1:-1, 1:-1] = x
    dy, dx = rng.integers(0, 3, size=(2, n))
    rows = dy[:, None] + np.arange(h)[None, :]
    cols = dx[:, None] + np.arange(w)[None, :]
    return big[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def _fit(params, x, labels, *, ternary: bool, epochs: int, lr: float, rng) -> list[float]:
    """Adam with a cosine learning-rate decay and random 1-pixel shifts of the images;
    returns the mean loss of each epoch."""
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(val) for k, val in params.items()}
    b1, b2, step = 0.9, 0.999, 0
    steps_per_epoch = -(-len(x) // BATCH)
    total = epochs * steps_per_epoch
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        losses = []
        for i in range(0, len(x), BATCH):
            idx = order[i : i + BATCH]
            batch = _shift(x[idx], rng, -1.0) if SHIFT else x[idx]
            logits, cache, _ = _forward(params, batch, ternary)
            loss, grads = _backward(params, logits, labels[idx], cache)
            losses.append(loss)
            step += 1
            rate = lr * 0.5 * (1.0 + np.cos(np.pi * (step - 1) / total))
            for k, g in grads.items():
                m[k] = b1 * m[k] + (1 - b1) * g
                v[k] = b2 * v[k] + (1 - b2) * g * g
                mhat = m[k] / (1 - b1**step)
                vhat = v[k] / (1 - b2**step)
                params[k] = params[k] - rate * mhat / (np.sqrt(vhat) + 1e-8)
        history.append(float(np.mean(losses)))
    return history


# ------------------------------------------------------------------------------------------
# the result and its cache


@dataclass(frozen=True)
class DigitsResult:
    """A trained digits network, folded for the engine, with its accuracies.

    Attributes
    ----------
    seed : int
        Seed of the initialisation and of the batch order and shifts.
    float_accuracy : float
        Test accuracy of the float CNN (real-valued pixels, weights and activations).
    ternary_accuracy : float
        Test accuracy of :attr:`network` (the golden model) on :attr:`test_images`.
    training_accuracy : float
        Accuracy of :attr:`network` on the (ternarised) training images.
    fake_quant_agreement : float
        Fraction of test images on which the training graph in evaluation mode (float64
        batch norm of the ternary sums, then :func:`ternarise`) predicts the same class as the
        golden model; 1.0 unless a batch-norm output lies within float rounding of +-0.5.
    layers : tuple of TernaryLayer
        The engine's layers: sign-corrected weights, thresholds, stride, padding, pooling; the
        last one returns the 10 class scores as raw sums.
    test_images : numpy.ndarray
        ``int8`` ternarised test images ``(539, 8, 8, 1)`` (:func:`ternarise_pixels`).
    test_labels : numpy.ndarray
        ``int64`` labels of the test images.
    test_predictions : numpy.ndarray
        ``int64`` classes the golden model predicts (argmax of the scores, ties to the lowest).
    n_train : int
        Number of training images.
    train_seconds : float
        Wall time of the training run that produced the result (not of loading it).
    code_version : str
        Cache key part: the version and source hash the result was produced with.
    cached : bool
        True if the result was loaded from the cache.
    """

    seed: int
    float_accuracy: float
    ternary_accuracy: float
    training_accuracy: float
    fake_quant_agreement: float
    layers: tuple
    test_images: np.ndarray
    test_labels: np.ndarray
    test_predictions: np.ndarray
    n_train: int
    train_seconds: float
    code_version: str
    cached: bool = False

    @property
    def network(self) -> TernaryNetwork:
        """TernaryNetwork: The layers as a network (the golden model)."""
        return TernaryNetwork(self.layers)

    @property
    def n_test(self) -> int:
        """int: Number of test images."""
        return len(self.test_labels)

    def describe(self) -> str:
        """str: One line with the accuracies and the training time."""
        return (
            f"digits seed={self.seed}: float {100 * self.float_accuracy:.2f} %, ternary (golden) "
            f"{100 * self.ternary_accuracy:.2f} % on {self.n_test} test images "
            f"({self.n_train} train, ternary train accuracy {100 * self.training_accuracy:.2f} %)"
            f", trained in {self.train_seconds:.1f} s{' (cached)' if self.cached else ''}"
        )


def code_version() -> str:
    """The cache key's code part: :data:`_CODE_VERSION` and a hash of the sources used."""
    h = hashlib.sha256(_CODE_VERSION.encode())
    sources = [Path(__file__), Path(datasets.__file__)]
    sources += sorted(Path(tern.__file__).parent.glob("*.py"))
    for path in sources:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"v{_CODE_VERSION}-{h.hexdigest()[:12]}"


def _save(result: DigitsResult, path: Path) -> None:
    arrays = {
        "test_images": result.test_images,
        "test_labels": result.test_labels,
        "test_predictions": result.test_predictions,
    }
    meta = {
        k: getattr(result, k)
        for k in ("seed", "float_accuracy", "ternary_accuracy", "training_accuracy",
                  "fake_quant_agreement", "n_train", "train_seconds", "code_version")
    }
    meta["layers"] = []
    for i, layer in enumerate(result.layers):
        arrays[f"w{i}"] = layer.weights
        if not layer.raw:
            arrays[f"lo{i}"], arrays[f"hi{i}"] = layer.lo, layer.hi
        meta["layers"].append(
            {"stride": layer.stride, "padding": layer.padding, "pooling": layer.pooling}
        )
    arrays["meta"] = np.array(json.dumps(meta))
    path.parent.mkdir(parents=True, exist_ok=True)
    npz = io.BytesIO()
    np.savez(npz, **arrays)
    files.atomic_write(path, npz.getvalue())


def _load(path: Path) -> DigitsResult | None:
    """The cached result in ``path``, or None when there is none or it is damaged (truncated,
    garbled, of another format): the caller then trains again and replaces it."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            layers = []
            for i, spec in enumerate(meta.pop("layers")):
                lo = data[f"lo{i}"] if f"lo{i}" in data else None
                hi = data[f"hi{i}"] if f"hi{i}" in data else None
                layers.append(TernaryLayer(data[f"w{i}"], lo, hi, **spec))
            return DigitsResult(
                **meta,
                layers=tuple(layers),
                test_images=data["test_images"],
                test_labels=data["test_labels"],
                test_predictions=data["test_predictions"],
                cached=True,
            )
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError,
            zipfile.BadZipFile):
        return None


def cache_path(seed: int, cache_dir: str | os.PathLike = CACHE) -> Path:
    """Where :func:`train` caches the result of ``seed``."""
    return Path(cache_dir) / f"digits-seed{seed}-{code_version()}.npz"


def _fold(params, stats, maps_in: int) -> tuple[TernaryLayer, ...]:
    """The engine's layers from the trained ternary parameters and population statistics."""
    layers = []
    ins = (maps_in, CHANNELS)
    for i, (stride, padding, pooling) in enumerate(LAYOUT[:2]):
        mean, var = stats[i]
        fold = FoldedBatchNorm(
            params[f"g{i + 1}"], params[f"b{i + 1}"], mean, var, eps=BN_EPS,
            max_abs_sum=9 * ins[i],
        )
        w = _ternary_weights(params[f"w{i + 1}"]).astype(np.int8)
        layers.append(fold.layer(w, stride=stride, padding=padding, pooling=pooling))
    stride, padding, pooling = LAYOUT[2]
    w3 = _ternary_weights(params["w3"]).astype(np.int8)
    layers.append(TernaryLayer(w3, stride=stride, padding=padding, pooling=pooling))
    return tuple(layers)


def train(
    seed: int = 1,
    *,
    cache_dir: str | os.PathLike | None = CACHE,
    progress=None,
) -> DigitsResult:
    """Train the float CNN and its ternary version on the digits, fold it for the engine.

    Parameters
    ----------
    seed : int, optional
        Seed of the initialisation, batch order and shifts (default 1), non-negative.
    cache_dir : path or None, optional
        Results are cached here as ``digits-seed<seed>-<code version>.npz``; None: always
        train, write nothing.
    progress : callable, optional
        Called with a short text before each phase.

    Returns
    -------
    DigitsResult
        Accuracies, the engine's layers and the ternarised test images.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"Seed must be a non-negative integer, not {seed!r}")
    seed = int(seed)
    if cache_dir is None:
        return _train(seed, None, progress)
    path = cache_path(seed, cache_dir)
    if (cached := _load(path)) is not None:
        return cached
    path.parent.mkdir(parents=True, exist_ok=True)
    # one process trains, concurrent ones (e.g. pytest workers) wait and then load its result
    with open(path.with_suffix(".lock"), "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        if (cached := _load(path)) is not None:
            return cached
        return _train(seed, path, progress)


def _train(seed: int, path: Path | None, progress) -> DigitsResult:
    note = progress or (lambda text: None)
    # threadpoolctl comes with scikit-learn; one BLAS thread: the matrices are small, and
    # threads only slow them down (and made runs slower still on a loaded machine)
    from threadpoolctl import threadpool_limits

    t0 = time.perf_counter()
    x_train, y_train, x_test, y_test = load_data()
    rng = np.random.default_rng(seed)
    params = _init_params(rng)
    with threadpool_limits(limits=1, user_api="blas"):
        note(f"float CNN, {FLOAT_EPOCHS} epochs")
        f_train, f_test = _float_pixels(x_train), _float_pixels(x_test)
        _fit(params, f_train, y_train, ternary=False, epochs=FLOAT_EPOCHS, lr=FLOAT_LR, rng=rng)
        float_acc, _ = _accuracy(params, f_test, y_test, False,
                                 _population_stats(params, f_train, False))

        note(f"ternary CNN, {TERNARY_EPOCHS} epochs")
        t_train, t_test = ternarise_pixels(x_train), ternarise_pixels(x_test)
        tf_train, tf_test = t_train.astype(np.float64), t_test.astype(np.float64)
        # start the ternary scores at the scale of the float ones
        sample = slice(0, 256)
        ratio = (_forward(params, f_train[sample], False)[0].std()
                 / _forward(params, tf_train[sample], True)[0].std())
        params["la"] = params["la"] + np.log(ratio)
        _fit(params, tf_train, y_train, ternary=True, epochs=TERNARY_EPOCHS, lr=TERNARY_LR,
             rng=rng)
        stats = _population_stats(params, tf_train, True)
        _, fake_pred = _accuracy(params, tf_test, y_test, True, stats)

    note("folding and evaluating the golden model")
    layers = _fold(params, stats, 1)
    network = TernaryNetwork(layers)
    pred = network.classify(t_test)
    train_pred = network.classify(t_train)
    result = DigitsResult(
        seed=seed,
        float_accuracy=float(float_acc),
        ternary_accuracy=float((pred == y_test).mean()),
        training_accuracy=float((train_pred == y_train).mean()),
        fake_quant_agreement=float((fake_pred == pred).mean()),
        layers=layers,
        test_images=t_test,
        test_labels=y_test,
        test_predictions=pred,
        n_train=len(y_train),
        train_seconds=round(time.perf_counter() - t0, 3),
        code_version=code_version(),
    )
    if path is not None:
        _save(result, path)
        for stale in path.parent.glob(f"digits-seed{seed}-*"):
            if stale.stem != path.stem and ".tmp" not in stale.name:
                stale.unlink(missing_ok=True)  # results (and locks) of older code versions
    return result


if __name__ == "__main__":  # pragma: no cover - manual run
    import sys

    res = train(int(sys.argv[1]) if len(sys.argv) > 1 else 1, progress=print)
    print(res.describe())
    print(f"fake-quant agreement {res.fake_quant_agreement:.4f}")
