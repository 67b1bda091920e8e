"""Tests of the digits ternary CNN (gen.ternary.digits): accuracy, and golden model versus an
independent integer re-evaluation of the same layers.

The first run trains (about 20-40 s on 2 cores) and caches the result in
build/cache/digits/; later runs load it.
"""

from pathlib import Path

import numpy as np
import pytest

from gen.ternary import digits
from sim_models.ternary import TernaryLayer

# one worker trains (or loads) the network for all tests here under `--dist loadgroup`
pytestmark = pytest.mark.xdist_group("digits")

SEED = 1
ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / "build" / "cache" / "digits"


@pytest.fixture(scope="module")
def result():
    print(f"seed={SEED}")
    res = digits.train(seed=SEED, cache_dir=CACHE_DIR)
    print(res.describe())
    return res


# ------------------------------------------------------------------------------------------
# Independent evaluation: integer arithmetic only, convolution by zero-padding and one shifted
# slice per kernel tap (not the model's sliding windows and float64 matrix product), pooling
# by strided slices, thresholds by np.select.


def conv_taps(x, w, stride, padding):
    k = w.shape[1]
    pad = (k - 1) // 2 if padding == "same" else 0
    n, h, wd, _ = x.shape
    ho = (h + stride - 1) // stride if padding == "same" else (h - k) // stride + 1
    wo = (wd + stride - 1) // stride if padding == "same" else (wd - k) // stride + 1
    xp = np.zeros((n, h + 2 * pad, wd + 2 * pad, x.shape[3]), dtype=np.int64)
    xp[:, pad : pad + h, pad : pad + wd] = x
    out = np.zeros((n, ho, wo, w.shape[0]), dtype=np.int64)
    for ky in range(k):
        for kx in range(k):
            tap = xp[:, ky : ky + stride * (ho - 1) + 1 : stride,
                     kx : kx + stride * (wo - 1) + 1 : stride]
            out += np.tensordot(tap, w[:, ky, kx, :].astype(np.int64).T, axes=1)
    return out


def evaluate_independently(layers, images):
    x = images.astype(np.int64)
    for layer in layers:
        s = conv_taps(x, layer.weights, layer.stride, layer.padding)
        if layer.pooling is not None:
            q = [s[:, dy::2, dx::2][:, : s.shape[1] // 2, : s.shape[2] // 2]
                 for dy in (0, 1) for dx in (0, 1)]
            s = np.maximum.reduce(q) if layer.pooling == "max" else q[0] + q[1] + q[2] + q[3]
        if layer.raw:
            x = s
        else:
            x = np.select([s > layer.hi, s < layer.lo], [1, -1], 0)
    return x


def scalar_scores(layers, image):
    """Pure-Python loops for one image (slow: used on a few images only)."""
    x = image.tolist()
    for layer in layers:
        w = layer.weights.tolist()
        k, c_out = layer.kernel_size, layer.out_channels
        pad = (k - 1) // 2 if layer.padding == "same" else 0
        h, wd = len(x), len(x[0])
        ho = h if layer.padding == "same" else h - k + 1
        wo = wd if layer.padding == "same" else wd - k + 1
        s = [[[sum(x[y + ky - pad][xx + kx - pad][c] * w[o][ky][kx][c]
                   for ky in range(k) for kx in range(k) for c in range(len(x[0][0]))
                   if 0 <= y + ky - pad < h and 0 <= xx + kx - pad < wd)
               for o in range(c_out)] for xx in range(wo)] for y in range(ho)]
        if layer.pooling is not None:
            red = max if layer.pooling == "max" else sum
            s = [[[red(s[2 * y + a][2 * xx + b][o] for a in (0, 1) for b in (0, 1))
                   for o in range(c_out)] for xx in range(wo // 2)] for y in range(ho // 2)]
        if layer.raw:
            return [v for row in s for px in row for v in px]
        lo, hi = layer.lo.tolist(), layer.hi.tolist()
        x = [[[1 if v > hi[o] else (-1 if v < lo[o] else 0) for o, v in enumerate(px)]
              for px in row] for row in s]
    raise AssertionError("the last layer must be raw")


# ------------------------------------------------------------------------------------------


def test_accuracies(result):
    print(f"float accuracy {100 * result.float_accuracy:.2f} %, ternary (golden model) "
          f"{100 * result.ternary_accuracy:.2f} %, ternary on the training set "
          f"{100 * result.training_accuracy:.2f} %, trained in {result.train_seconds:.1f} s")
    assert result.ternary_accuracy > 0.80  # chance is 10 %
    assert result.float_accuracy > 0.80
    assert result.ternary_accuracy == np.mean(result.test_predictions == result.test_labels)
    # the training graph (float batch norm, then ternarise) agrees with the folded golden model
    assert result.fake_quant_agreement >= 0.99


def test_golden_model_equals_independent_integer_evaluation(result):
    scores = evaluate_independently(result.layers, result.test_images)
    assert scores.shape == (result.n_test, 1, 1, 10)
    np.testing.assert_array_equal(result.network(result.test_images), scores)
    flat = scores.reshape(result.n_test, 10)
    # argmax with ties to the lowest class, written out
    pred = np.array([min(np.flatnonzero(r == r.max())) for r in flat])
    np.testing.assert_array_equal(result.test_predictions, pred)
    assert np.mean(pred == result.test_labels) == result.ternary_accuracy
    for i in range(3):
        assert scalar_scores(result.layers, result.test_images[i]) == flat[i].tolist()


def test_layers_are_ready_for_hardware(result):
    layers = result.layers
    assert [type(layer) for layer in layers] == [TernaryLayer] * 3
    assert [layer.weights.shape for layer in layers] == [(16, 3, 3, 1), (16, 3, 3, 16),
                                                         (10, 3, 3, 16)]
    assert [(la.stride, la.padding, la.pooling, la.raw) for la in layers] == [
        (1, "same", None, False), (1, "same", "max", False), (1, "valid", "sum", True)]
    for layer in layers:
        assert set(np.unique(layer.weights)) <= {-1, 0, 1}
        assert np.count_nonzero(layer.weights) > 0
        if not layer.raw:
            bound = layer.sum_bound
            for t in (layer.lo, layer.hi):
                assert t.min() >= -bound - 1 and t.max() <= bound + 1
    # every channel of the hidden layers actually produces more than one value
    outs = result.network.trace(result.test_images)
    for out in outs[:2]:
        per_channel = [len(np.unique(out[..., c])) for c in range(out.shape[-1])]
        assert min(per_channel) >= 2


def test_split_and_input_ternarisation(result):
    from sklearn.datasets import load_digits

    data = load_digits()
    n = len(data.target)
    assert result.n_train + result.n_test == n == 1797
    assert result.n_test == round(0.3 * n)
    np.testing.assert_array_equal(result.test_labels, data.target[result.n_train :])
    images = data.images[result.n_train :]
    expected = np.zeros(images.shape, dtype=int)
    expected[images <= digits.PIXEL_LOW] = -1
    expected[images >= digits.PIXEL_HIGH] = 1
    assert result.test_images.shape == (result.n_test, 8, 8, 1)
    assert result.test_images.dtype == np.int8
    np.testing.assert_array_equal(result.test_images[..., 0], expected)
    # all three trit values occur in the inputs
    assert set(np.unique(result.test_images)) == {-1, 0, 1}


def test_cache_roundtrip(result, tmp_path):
    path = digits.cache_path(SEED, tmp_path)
    digits._save(result, path)
    loaded = digits.train(seed=SEED, cache_dir=tmp_path)
    assert loaded.cached
    for field in ("seed", "float_accuracy", "ternary_accuracy", "training_accuracy",
                  "fake_quant_agreement", "n_train", "train_seconds", "code_version"):
        assert getattr(loaded, field) == getattr(result, field), field
    assert loaded.layers == result.layers
    for field in ("test_images", "test_labels", "test_predictions"):
        np.testing.assert_array_equal(getattr(loaded, field), getattr(result, field))
    assert path.name == f"digits-seed{SEED}-{digits.code_version()}.npz"


def test_seed_validation():
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="Seed must be a non-negative integer"):
            digits.train(seed=bad, cache_dir=None)


def test_backward_pass_matches_finite_differences():
    # the hand-written float backward pass (conv, batch norm, max/sum pooling, clip, softmax)
    seed = SEED + 4
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    params = digits._init_params(rng)
    params["g1"] = rng.normal(1, 0.3, 16)
    params["b2"] = rng.normal(0, 0.3, 16)
    params["la"] = np.asarray(0.3)
    x = rng.normal(0, 1, (6, 8, 8, 1))
    y = rng.integers(0, 10, 6)

    def loss(p):
        logits, cache, _ = digits._forward(p, x, False)
        return digits._backward(p, logits, y, cache)[0]

    logits, cache, _ = digits._forward(params, x, False)
    _, grads = digits._backward(params, logits, y, cache)
    for key, value in params.items():
        for _ in range(3):
            idx = tuple(int(rng.integers(0, s)) for s in value.shape)
            plus = {k: np.array(v, dtype=float) for k, v in params.items()}
            minus = {k: np.array(v, dtype=float) for k, v in params.items()}
            plus[key][idx] += 1e-6
            minus[key][idx] -= 1e-6
            numeric = (loss(plus) - loss(minus)) / 2e-6
            assert np.asarray(grads[key])[idx] == pytest.approx(numeric, rel=1e-3, abs=1e-6), key


# ------------------------------------------------------------------------------------------
# the `edgeforge digits` command (the RTL run itself is in test_engine_rtl.py)


def test_cli_golden_only(result, capsys):
    from gen.cli import main

    assert main(["digits", "--golden-only", "--json"]) == 0
    out = __import__("json").loads(capsys.readouterr().out)
    assert out == {"seed": SEED, "float_accuracy": result.float_accuracy,
                   "ternary_accuracy": result.ternary_accuracy, "test_images": 539}


@pytest.mark.parametrize("argv, message", [
    (["--images", "0"], "argument --images: must be an integer between 1 and 539, not 0"),
    (["--images", "540"], "argument --images: must be an integer between 1 and 539, not 540"),
    (["--seed", "-1"],
     "argument --seed: must be an integer between 0 and 9223372036854775807, not -1"),
    (["--golden-only", "--images", "3"], "--images is for the RTL run, not with --golden-only"),
    (["--sim", "xsim"], "xsim"),
])
def test_cli_errors(argv, message, capsys):
    from gen.cli import main

    assert main(["digits", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("edgeforge: error: ") and message in err
    assert "Traceback" not in err
