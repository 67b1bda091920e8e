# amaranth: UnusedElaboratable=no
"""Tests of hw.ternary.OCU (validation, Amaranth simulation against a plain-Python dot product,
handshakes, weight storage, Verilog conversion)."""

import random
import re
import runpy
import time
from pathlib import Path

import pytest
from amaranth.back import verilog
from amaranth.hdl import signed
from amaranth.sim import Simulator

from hw.ternary import OCU, TRIT

_hwsim = runpy.run_path(str(Path(__file__).with_name("hwsim.py")))
exactly = _hwsim["exactly"]
UnitRun = _hwsim["UnitRun"]

# --------------------------------------------------------------------------------------------
# plain-Python model, written from the shared specification


def flat(window):
    return [t for row in window for pixel in row for t in pixel]


def window_sum(window, words):
    weights = [t for word in words for t in word]
    total = 0
    for a, w in zip(flat(window), weights, strict=True):
        if a in (-1, 0, 1) and w in (-1, 0, 1):  # the illegal code -2 counts as 0
            total += a * w
    return total


def decide(value, lo, hi):
    if value > hi:
        return 1
    if value < lo:
        return -1
    return 0


def expected_results(windows, words, lo, hi, pooling):
    sums = [window_sum(w, words) for w in windows]
    bad_weights = any(t == -2 for word in words for t in word)
    bad = [bad_weights or any(t == -2 for t in flat(w)) for w in windows]
    if pooling is not None:
        groups = range(0, len(sums) - len(sums) % 4, 4)
        pool = max if pooling == "max" else sum
        sums = [pool(sums[g:g + 4]) for g in groups]
        bad = [any(bad[g:g + 4]) for g in groups]
    return [{"sum": s, "trit": decide(s, lo, hi), "illegal": int(b)}
            for s, b in zip(sums, bad, strict=True)]


# --------------------------------------------------------------------------------------------
# stimulus


def random_words(rng, n_i, k, density=2 / 3):
    return [[rng.choice((-1, 1)) if rng.random() < density else 0 for _ in range(n_i)]
            for _ in range(k * k)]


def random_window(rng, n_i, k, density=2 / 3):
    return [[[rng.choice((-1, 1)) if rng.random() < density else 0 for _ in range(n_i)]
             for _ in range(k)] for _ in range(k)]


def const_window(n_i, k, value):
    return [[[value] * n_i for _ in range(k)] for _ in range(k)]


def run(dut, words, thresholds, windows, **kwargs):
    return UnitRun(dut, words, thresholds, windows, **kwargs).run()


def check(dut, words, lo, hi, windows, **kwargs):
    got = run(dut, words, {"lo": lo, "hi": hi}, windows, **kwargs)
    assert got == expected_results(windows, words, lo, hi, dut.pooling)


# --------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize("n_i, exc", [
    (0, ValueError), (257, ValueError), (-3, ValueError),
    (True, TypeError), (4.0, TypeError), ("4", TypeError), (None, TypeError),
])
def test_n_i_invalid(n_i, exc):
    with pytest.raises(exc, match=exactly(
            f"N_I must be an integer between 1 and 256, not {n_i!r}")):
        OCU(n_i, 3)


@pytest.mark.parametrize("k, exc", [
    (0, ValueError), (2, ValueError), (4, ValueError), (8, ValueError), (9, ValueError),
    (-1, ValueError), (True, TypeError), (3.0, TypeError), ("3", TypeError),
])
def test_k_invalid(k, exc):
    with pytest.raises(exc, match=exactly(
            f"K must be an odd integer between 1 and 7, not {k!r}")):
        OCU(4, k)


def test_k_message_example():
    with pytest.raises(ValueError, match=exactly(
            "K must be an odd integer between 1 and 7, not 4")):
        OCU(96, 4)


@pytest.mark.parametrize("storage, exc", [("sram", ValueError), ("FF", ValueError),
                                          (None, TypeError), (1, TypeError)])
def test_weight_storage_invalid(storage, exc):
    with pytest.raises(exc, match=exactly(
            f"Weight storage must be 'ff' or 'latch', not {storage!r}")):
        OCU(4, 3, weight_storage=storage)


@pytest.mark.parametrize("pipeline, exc", [(3, ValueError), (-1, ValueError),
                                           (False, TypeError), ("1", TypeError)])
def test_pipeline_invalid(pipeline, exc):
    with pytest.raises(exc, match=exactly(
            f"Pipeline must be an integer between 0 and 2, not {pipeline!r}")):
        OCU(4, 3, pipeline=pipeline)


@pytest.mark.parametrize("pooling, exc", [("avg", ValueError), ("Max", ValueError),
                                          ("", ValueError), (0, TypeError), (False, TypeError)])
def test_pooling_invalid(pooling, exc):
    with pytest.raises(exc, match=exactly(
            f"Pooling must be None, 'max', 'sum' or 'select', not {pooling!r}")):
        OCU(4, 3, pooling=pooling)


def test_validation_order():
    with pytest.raises(ValueError, match="^N_I"):
        OCU(0, 4, weight_storage="x", pipeline=9, pooling="x")
    with pytest.raises(ValueError, match="^K"):
        OCU(4, 4, weight_storage="x", pipeline=9, pooling="x")
    with pytest.raises(ValueError, match="^Weight storage"):
        OCU(4, 3, weight_storage="x", pipeline=9, pooling="x")
    with pytest.raises(ValueError, match="^Pipeline"):
        OCU(4, 3, pipeline=9, pooling="x")


# --------------------------------------------------------------------------------------------
# contract


@pytest.mark.parametrize("n_i, k, pooling, sum_width", [
    (96, 3, None, 11),    # +-864
    (96, 3, "max", 11),
    (96, 3, "sum", 13),   # +-3456
    (128, 3, None, 12),   # +-1152, the paper's overview figure
    (1, 1, None, 2),      # +-1
    (1, 1, "sum", 4),     # +-4
    (256, 7, "sum", 17),  # +-50176
])
def test_widths(n_i, k, pooling, sum_width):
    dut = OCU(n_i, k, pooling=pooling)
    assert dut.n_products == k * k * n_i
    assert dut.sum_width == sum_width
    assert dut.threshold_width == sum_width + 1
    # the full range fits, without wrap-around
    largest = (4 if pooling == "sum" else 1) * dut.n_products
    assert -(1 << (sum_width - 1)) <= -largest and largest <= (1 << (sum_width - 1)) - 1
    assert dut.count_width == dut.n_products.bit_length()


def test_properties_and_signature():
    dut = OCU(16, 3, weight_storage="latch", pipeline=2, pooling="sum")
    assert (dut.n_i, dut.k, dut.weight_storage, dut.pipeline, dut.pooling, dut.latency) == (
        16, 3, "latch", 2, "sum", 2)
    assert (dut.n_words, dut.windows_per_result) == (9, 4)
    assert dut.module_name == "edgeforge_ocu_16_3_latch_p2_sum"
    members = dut.signature.members
    for name, flow in [("i_stream", "In"), ("o_stream", "Out"), ("w_stream", "In"),
                       ("th_stream", "In"), ("busy", "Out")]:
        assert members[name].flow.name == flow, name
    window = dut.window_layout
    assert window.length == 3 and window.elem_shape.length == 3
    assert window.elem_shape.elem_shape.length == 16
    assert window.elem_shape.elem_shape.elem_shape == TRIT
    assert window.size == 2 * 9 * 16
    result = dut.result_layout
    assert result["sum"].shape == signed(dut.sum_width)
    assert result["trit"].shape == TRIT and result["illegal"].shape.width == 1
    assert dut.threshold_layout["lo"].shape == signed(dut.threshold_width)
    assert dut.weight_write_layout["addr"].shape.width == 4
    assert dut.weight_write_layout["word"].shape.length == 16
    for name in ("n_i", "k", "weight_storage", "pipeline", "pooling", "latency", "sum_width"):
        with pytest.raises(AttributeError):
            setattr(dut, name, 1)


# --------------------------------------------------------------------------------------------
# function


CONFIGS = [(pipeline, pooling) for pipeline in (0, 1, 2) for pooling in (None, "max", "sum")]


@pytest.mark.parametrize("storage", ["ff", "latch"])
@pytest.mark.parametrize("pipeline, pooling", CONFIGS)
def test_random_windows(pipeline, pooling, storage):
    rng = random.Random(f"{pipeline}{pooling}{storage}")
    n_i, k = 4, 3
    dut = OCU(n_i, k, weight_storage=storage, pipeline=pipeline, pooling=pooling)
    words = random_words(rng, n_i, k)
    windows = [random_window(rng, n_i, k, rng.choice((0.1, 0.5, 0.9))) for _ in range(24)]
    check(dut, words, -3, 2, windows, gaps=0.3, stall=0.3, seed=pipeline)


@pytest.mark.parametrize("mode", ["NONE", "MAX", "SUM"])
@pytest.mark.parametrize("pipeline", [0, 1, 2])
def test_pooling_selected_at_run_time(pipeline, mode):
    """``pooling="select"``: the ``pool`` input gives each mode's results, with the width of
    sum pooling."""
    from hw.ternary import Pooling

    rng = random.Random(f"select{pipeline}{mode}")
    n_i, k = 4, 3
    dut = OCU(n_i, k, pipeline=pipeline, pooling="select")
    assert dut.sum_width == OCU(n_i, k, pooling="sum").sum_width
    words = random_words(rng, n_i, k)
    windows = [random_window(rng, n_i, k, rng.choice((0.1, 0.5, 0.9))) for _ in range(24)]
    got = run(dut, words, {"lo": -3, "hi": 2}, windows, gaps=0.3, stall=0.3, seed=pipeline,
              pool=Pooling[mode])
    pooling = None if mode == "NONE" else mode.lower()
    assert got == expected_results(windows, words, -3, 2, pooling)


@pytest.mark.parametrize("pipeline, pooling", [(0, None), (1, "max"), (2, "sum")])
def test_kernel_1(pipeline, pooling):
    rng = random.Random(pipeline)
    dut = OCU(8, 1, pipeline=pipeline, pooling=pooling)
    words = random_words(rng, 8, 1)
    windows = [random_window(rng, 8, 1) for _ in range(16)]
    check(dut, words, -1, 1, windows, gaps=0.2, stall=0.2)


@pytest.mark.parametrize("pooling", [None, "max", "sum"])
@pytest.mark.parametrize("pipeline", [0, 2])
def test_extreme_windows(pipeline, pooling):
    """All-zero, very sparse, all-(+1)-products (largest sum) and all-(-1)-products (smallest
    sum) windows at n_i = 16, k = 3, with weights of both signs."""
    rng = random.Random(7)
    n_i, k = 16, 3
    dut = OCU(n_i, k, pipeline=pipeline, pooling=pooling)
    words = [[rng.choice((-1, 1)) for _ in range(n_i)] for _ in range(k * k)]
    aligned = [[list(words[ky * k + kx]) for kx in range(k)] for ky in range(k)]
    opposed = [[[-t for t in pixel] for pixel in row] for row in aligned]
    sparse = const_window(n_i, k, 0)
    sparse[1][2][5] = 1
    sparse[0][0][0] = -1
    windows = [aligned, aligned, aligned, aligned,
               opposed, opposed, opposed, opposed,
               const_window(n_i, k, 0), sparse, aligned, opposed]
    scale = 4 if pooling == "sum" else 1
    got = run(dut, words, {"lo": -10, "hi": 10}, windows)
    assert got == expected_results(windows, words, -10, 10, pooling)
    opposed_index = 4 // dut.windows_per_result
    assert got[0]["sum"] == scale * 144 and got[opposed_index]["sum"] == -scale * 144


def test_extreme_sums_reach_the_range_ends():
    """+-n_products without pooling and +-4 * n_products with sum pooling, at n_i = 16."""
    n_i, k = 16, 1
    words = [[1] * n_i]
    for pooling, scale in [(None, 1), ("sum", 4)]:
        dut = OCU(n_i, k, pooling=pooling)
        windows = [const_window(n_i, k, 1)] * 4 + [const_window(n_i, k, -1)] * 4
        got = run(dut, words, {"lo": 0, "hi": 0}, windows)
        assert got[0]["sum"] == scale * n_i and got[-1]["sum"] == -scale * n_i
        assert got[0]["trit"] == 1 and got[-1]["trit"] == -1


@pytest.mark.parametrize("pipeline", [0, 1])
def test_threshold_boundaries(pipeline):
    """sum == hi gives 0 (strict), sum == hi + 1 gives +1, sum == lo gives 0, sum == lo - 1
    gives -1, and +1 wins when both compares hold (lo > hi)."""
    n_i, k = 8, 1
    words = [[1] * n_i]

    def window_with_sum(s):
        return [[[1] * s + [-1] * (-s) + [0] * (n_i - abs(s))]]

    cases = []  # (sum, lo, hi, trit)
    for s in (-8, -3, 0, 5, 8):
        cases += [(s, s - 5, s, 0), (s, s - 5, s - 1, 1), (s, s, s + 5, 0),
                  (s, s + 1, s + 5, -1), (s, s + 1, s - 1, 1), (s, s, s, 0)]
    # thresholds beyond the sum range (the threshold width is one bit wider than the sum)
    cases += [(8, -20, 15, 0), (-8, -15, 20, 0), (8, -31, 9, 0), (-8, -9, 30, 0)]
    dut = OCU(n_i, k, pipeline=pipeline)
    writes = [(index, "th_stream", {"lo": lo, "hi": hi})
              for index, (_, lo, hi, _) in enumerate(cases)]
    windows = [window_with_sum(s) for s, _, _, _ in cases]
    got = UnitRun(dut, words, {"lo": 0, "hi": 0}, windows, writes=writes).run()
    for (s, lo, hi, trit), result in zip(cases, got, strict=True):
        assert result == {"sum": s, "trit": trit, "illegal": 0}, (s, lo, hi)


@pytest.mark.parametrize("pooling", [None, "max"])
def test_illegal_codes(pooling):
    """An illegal window code counts as 0 and flags its result (its pool group); an illegal
    weight code flags every result until the word is rewritten."""
    rng = random.Random(3)
    n_i, k = 4, 3
    dut = OCU(n_i, k, pipeline=1, pooling=pooling)
    words = random_words(rng, n_i, k)
    windows = [random_window(rng, n_i, k) for _ in range(8)]
    windows[1][2][1][3] = -2
    windows[6][0][0][0] = -2
    check(dut, words, 0, 0, windows, gaps=0.2, stall=0.2)
    bad_words = [list(word) for word in words]
    bad_words[4][2] = -2
    check(dut, bad_words, 0, 0, windows[:4])
    # rewriting the word clears the flag; the windows after the write use the new word
    fixed = random_words(rng, n_i, 1)[0]
    got = UnitRun(dut, bad_words, {"lo": 0, "hi": 0}, windows[:8],
                  writes=[(4, "w_stream", {"addr": 4, "word": fixed})]).run()
    new_words = [*bad_words[:4], fixed, *bad_words[5:]]
    per_result = dut.windows_per_result
    split = 4 // per_result
    assert got[:split] == expected_results(windows[:4], bad_words, 0, 0, pooling)
    assert got[split:] == expected_results(windows[4:8], new_words, 0, 0, pooling)


@pytest.mark.parametrize("storage", ["ff", "latch"])
def test_weight_reload_between_windows(storage):
    rng = random.Random(11)
    n_i, k = 4, 3
    dut = OCU(n_i, k, weight_storage=storage, pipeline=2, pooling="sum")
    words = random_words(rng, n_i, k)
    windows = [random_window(rng, n_i, k) for _ in range(12)]
    new = random_words(rng, n_i, k)
    # writes between pool groups; each waits until the previous group has left the pipeline
    writes = [(before, "w_stream", {"addr": addr, "word": new[addr]})
              for before, addr in [(4, 0), (4, 8), (8, 3)]]
    run_ = UnitRun(dut, words, {"lo": -2, "hi": 2}, windows, writes=writes, gaps=0.2,
                   stall=0.2)
    got = run_.run()
    after = [list(word) for word in words]
    after[0], after[8] = new[0], new[8]
    later = [list(word) for word in after]
    later[3] = new[3]
    assert got[0] == expected_results(windows[:4], words, -2, 2, "sum")[0]
    assert got[1] == expected_results(windows[4:8], after, -2, 2, "sum")[0]
    assert got[2] == expected_results(windows[8:12], later, -2, 2, "sum")[0]


@pytest.mark.parametrize("storage, blocked", [("ff", 0), ("latch", 1)])
def test_window_waits_for_latch_write(storage, blocked):
    """A latch-mode write lands in the low phase of the cycle after its transfer, and no window
    is taken in that cycle; flip-flop writes land at the transfer edge."""
    dut = OCU(2, 1, weight_storage=storage)
    seen = []

    async def bench(ctx):
        ctx.set(dut.o_stream.ready, 1)
        ctx.set(dut.i_stream.payload, [[[1, 1]]])
        ctx.set(dut.w_stream.payload, {"addr": 0, "word": [1, 1]})
        ctx.set(dut.w_stream.valid, 1)
        assert ctx.get(dut.w_stream.ready)
        await ctx.tick()
        ctx.set(dut.w_stream.valid, 0)
        ctx.set(dut.i_stream.valid, 1)
        for _ in range(3):
            seen.append((ctx.get(dut.i_stream.ready), ctx.get(dut.o_stream.valid),
                         ctx.get(dut.o_stream.payload.sum)))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    # (in the blocked cycle the weights land at the falling edge, after this sample)
    assert seen == [(0, 0, 0)] * blocked + [(1, 1, 2)] * (3 - blocked)


@pytest.mark.parametrize("pipeline", [0, 1, 2])
@pytest.mark.parametrize("pooling", [None, "max"])
def test_latency_and_throughput(pipeline, pooling):
    """Back to back with o_stream always ready: one window per cycle, each result `pipeline`
    cycles after its (last) window."""
    rng = random.Random(5)
    n_i, k = 4, 1
    dut = OCU(n_i, k, pipeline=pipeline, pooling=pooling)
    words = random_words(rng, n_i, k)
    windows = [random_window(rng, n_i, k) for _ in range(16)]
    run_ = UnitRun(dut, words, {"lo": 0, "hi": 0}, windows)
    got = run_.run()
    assert got == expected_results(windows, words, 0, 0, pooling)
    first = run_.in_cycles[0]
    assert run_.in_cycles == list(range(first, first + len(windows)))
    last_windows = run_.in_cycles[dut.windows_per_result - 1::dut.windows_per_result]
    assert [out - last for out, last in zip(run_.out_cycles, last_windows, strict=True)] == [
        pipeline] * len(got)


# --------------------------------------------------------------------------------------------
# structure and conversion


def test_latch_storage_structure():
    text = verilog.convert(OCU(2, 3, weight_storage="latch"), name="x", emit_src=False)
    for index in range(9):  # one gated clock per word, ~clk & registered select
        assert f"always @(posedge w_gclk{index}_clk)" in text
        assert re.search(rf"assign w_gclk{index}_clk = \S+ +& w_select\[{index}\];", text)
    assert "negedge" not in text
    ff = verilog.convert(OCU(2, 3), name="x", emit_src=False)
    assert "negedge" not in ff and "w_gclk" not in ff


def test_hierarchy():
    text = verilog.convert(OCU(4, 3, pipeline=2), name="x", emit_src=False)
    for name in ("products", "pop_pos", "pop_neg", "check"):
        assert f"module \\x.{name}" in text, name
    assert "module x(" in text


def test_verilog_deterministic():
    def make():
        return OCU(4, 3, weight_storage="latch", pipeline=2, pooling="sum")

    assert (verilog.convert(make(), name="x", emit_src=False) ==
            verilog.convert(make(), name="x", emit_src=False))


def test_public_configuration_converts():
    """OCU(96, 3), the public CUTIE configuration, converts to Verilog in reasonable time."""
    start = time.perf_counter()
    text = verilog.convert(OCU(96, 3), name="ocu", emit_src=False)
    elapsed = time.perf_counter() - start
    assert "input [1727:0] i_stream__payload;" in text
    assert "output [13:0] o_stream__payload;" in text  # 11-bit sum, 2-bit trit, illegal
    assert elapsed < 60, elapsed
