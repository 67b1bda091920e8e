# amaranth: UnusedElaboratable=no
"""Tests of hw.ternary.BinaryOCU (XNOR-popcount baseline) against a plain-Python dot product."""

import random
import runpy
from pathlib import Path

import pytest
from amaranth.back import verilog
from amaranth.hdl import signed

from hw.ternary import BIT, BinaryOCU

_hwsim = runpy.run_path(str(Path(__file__).with_name("hwsim.py")))
exactly = _hwsim["exactly"]
UnitRun = _hwsim["UnitRun"]


def value(bit):
    """Bit 1 is +1, bit 0 is -1."""
    return 1 if bit else -1


def expected_results(windows, words, th, pooling):
    weights = [b for word in words for b in word]
    sums = [sum(value(a) * value(w) for a, w in zip(
        [b for row in window for pixel in row for b in pixel], weights, strict=True))
        for window in windows]
    if pooling is not None:
        pool = max if pooling == "max" else sum
        sums = [pool(sums[g:g + 4]) for g in range(0, len(sums) - len(sums) % 4, 4)]
    return [{"sum": s, "bit": int(s >= th)} for s in sums]


def random_words(rng, n_i, k):
    return [[rng.randrange(2) for _ in range(n_i)] for _ in range(k * k)]


def random_window(rng, n_i, k):
    return [[[rng.randrange(2) for _ in range(n_i)] for _ in range(k)] for _ in range(k)]


def check(dut, words, th, windows, **kwargs):
    got = UnitRun(dut, words, {"th": th}, windows, **kwargs).run()
    assert got == expected_results(windows, words, th, dut.pooling)
    return got


@pytest.mark.parametrize("storage", ["ff", "latch"])
@pytest.mark.parametrize("pipeline, pooling", [(0, None), (1, "max"), (2, "sum"), (2, None)])
def test_random_windows(pipeline, pooling, storage):
    rng = random.Random(f"{pipeline}{pooling}{storage}")
    n_i, k = 5, 3
    dut = BinaryOCU(n_i, k, weight_storage=storage, pipeline=pipeline, pooling=pooling)
    words = random_words(rng, n_i, k)
    windows = [random_window(rng, n_i, k) for _ in range(16)]
    check(dut, words, 1, windows, gaps=0.3, stall=0.3, seed=pipeline)


@pytest.mark.parametrize("pooling, scale", [(None, 1), ("sum", 4)])
def test_extreme_sums_and_parity(pooling, scale):
    """All products +1 gives +N, all -1 gives -N (times 4 with sum pooling); sums keep the
    parity of N."""
    rng = random.Random(2)
    n_i, k = 7, 3
    n = n_i * k * k
    dut = BinaryOCU(n_i, k, pooling=pooling)
    words = random_words(rng, n_i, k)
    equal = [[list(words[ky * k + kx]) for kx in range(k)] for ky in range(k)]
    inverse = [[[1 - b for b in pixel] for pixel in row] for row in equal]
    windows = [equal] * 4 + [inverse] * 4 + [random_window(rng, n_i, k) for _ in range(8)]
    got = check(dut, words, 0, windows)
    assert got[0]["sum"] == scale * n and got[4 // dut.windows_per_result]["sum"] == -scale * n
    assert all((r["sum"] - scale * n) % 2 == 0 for r in got)


def test_threshold_boundary():
    """bit = 1 exactly when sum >= th."""
    n_i, k = 4, 1
    dut = BinaryOCU(n_i, k, pipeline=1)
    words = [[1, 1, 1, 1]]
    windows = [[[[1, 1, 0, 0]]], [[[1, 1, 1, 0]]], [[[0, 0, 0, 0]]]]  # sums 0, 2, -4
    for th in (-5, -4, -3, 0, 1, 2, 3, 5):
        check(dut, words, th, windows)


def test_properties_and_signature():
    dut = BinaryOCU(96, 3, pooling="max", pipeline=1)
    assert (dut.n_products, dut.sum_width, dut.threshold_width, dut.count_width) == (
        864, 11, 12, 10)
    assert dut.module_name == "edgeforge_binary_ocu_96_3_ff_p1_max"
    assert dut.window_layout.elem_shape.elem_shape.elem_shape == BIT
    assert dut.result_layout["sum"].shape == signed(11)
    assert set(name for name, _ in dut.result_layout) == {"sum", "bit"}
    assert set(name for name, _ in dut.threshold_layout) == {"th"}
    with pytest.raises(AttributeError):
        dut.pooling = None


@pytest.mark.parametrize("args, kwargs, exc, message", [
    ((0, 3), {}, ValueError, "N_I must be an integer between 1 and 256, not 0"),
    ((4, 2), {}, ValueError, "K must be an odd integer between 1 and 7, not 2"),
    ((4, 3), {"weight_storage": "sram"}, ValueError,
     "Weight storage must be 'ff' or 'latch', not 'sram'"),
    ((4, 3), {"pipeline": 3}, ValueError, "Pipeline must be an integer between 0 and 2, not 3"),
    ((4, 3), {"pooling": 1}, TypeError,
     "Pooling must be None, 'max', 'sum' or 'select', not 1"),
])
def test_validation(args, kwargs, exc, message):
    with pytest.raises(exc, match=exactly(message)):
        BinaryOCU(*args, **kwargs)


def test_public_configuration_converts():
    text = verilog.convert(BinaryOCU(96, 3), name="bocu", emit_src=False)
    assert "input [863:0] i_stream__payload;" in text
    assert "output [11:0] o_stream__payload;" in text  # 11-bit sum and the bit
