# amaranth: UnusedElaboratable=no
"""Tests of hw.ternary.linebuffer.LineBuffer (validation, Amaranth simulation of whole frames
against windows cut from a padded image with numpy, handshakes, throughput, Verilog)."""

import random
import runpy
from pathlib import Path

import numpy as np
import pytest
from amaranth.back import verilog
from amaranth.sim import Simulator

from hw.ternary.linebuffer import LineBuffer, Padding
from sim_models.ternary import pack_trits

_hwsim = runpy.run_path(str(Path(__file__).with_name("hwsim.py")))
exactly = _hwsim["exactly"]

SEED = 20261124

# --------------------------------------------------------------------------------------------
# plain-Python model: np.pad and slicing


def expected_windows(image, k, padding, stride, pool=False):
    """Windows ``[ky][kx][ci]`` (nested lists) of the convolution, in output raster order; with
    ``pool`` grouped by 2x2 pool group (groups in raster order, each top-left, top-right,
    bottom-left, bottom-right; an odd last row or column dropped)."""
    h, w, _ = image.shape
    pad = (k - 1) // 2 if padding == "same" else 0
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)))
    if padding == "same":
        h_out, w_out = -(-h // stride), -(-w // stride)
    else:
        h_out, w_out = (h - k) // stride + 1, (w - k) // stride + 1
    def window(oy, ox):
        return padded[oy * stride:oy * stride + k, ox * stride:ox * stride + k].tolist()

    if pool:
        return [window(2 * gy + dy, 2 * gx + dx) for gy in range(h_out // 2)
                for gx in range(w_out // 2) for dy in (0, 1) for dx in (0, 1)]
    return [window(oy, ox) for oy in range(h_out) for ox in range(w_out)]


def random_image(rng, h, w, n_i):
    return np.array([[[rng.choice((-1, 0, 1)) for _ in range(n_i)] for _ in range(w)]
                     for _ in range(h)], dtype=np.int64)


# --------------------------------------------------------------------------------------------
# simulation


def simulate(dut, frames, *, gaps=0.0, stall=0.0, seed=0, max_cycles=20000):
    """Stream ``frames`` back to back; collect the windows.

    ``frames`` is a list of ``(image, padding, stride)`` or ``(image, padding, stride, pool)``,
    ``image`` an array ``(height, width, n_i)``; with a packed DUT the pixels are sent packed
    (:func:`sim_models.ternary.pack_trits`). The configuration of a frame is set when
    ``busy`` is low before its first pixel (at once when it does not change). Checks the
    stream rules on ``o_stream`` (an offered window is held unchanged until taken). Returns the
    windows (nested lists) and the cycle count until the last window is taken.
    """
    rng = random.Random(seed)
    frames = [(*f, False) if len(f) == 3 else f for f in frames]
    expected = sum(len(expected_windows(f, dut.k, p, s, q)) for f, p, s, q in frames)
    got = []
    cycles = [0]

    async def producer(ctx):
        current = None
        for frame, padding, stride, pool in frames:
            config = (frame.shape[0], frame.shape[1], padding, stride, pool)
            if config != current:
                if current is not None:
                    await ctx.tick().until(~dut.busy)
                ctx.set(dut.height, config[0])
                ctx.set(dut.width, config[1])
                ctx.set(dut.padding, Padding.SAME if padding == "same" else Padding.VALID)
                ctx.set(dut.stride, stride)
                if dut.pooling:
                    ctx.set(dut.pool, pool)
                current = config
            for row in frame.tolist():
                for pixel in row:
                    while rng.random() < gaps:
                        await ctx.tick()
                    ctx.set(dut.i_stream.payload,
                            pack_trits(pixel).tolist() if dut.packed else pixel)
                    ctx.set(dut.i_stream.valid, 1)
                    await ctx.tick().until(dut.i_stream.ready)
                    ctx.set(dut.i_stream.valid, 0)

    async def consumer(ctx):
        held = None
        while len(got) < expected:
            ready = rng.random() >= stall
            ctx.set(dut.o_stream.ready, ready)
            valid, payload = (await ctx.tick().sample(dut.o_stream.valid,
                                                       dut.o_stream.payload))[-2:]
            cycles[0] += 1
            assert cycles[0] < max_cycles, "simulation does not finish"
            window = [[list(pixel) for pixel in row] for row in payload]
            if held is not None:
                assert valid, f"cycle {cycles[0]}: offered window withdrawn"
                assert window == held, f"cycle {cycles[0]}: offered window changed"
            if valid and ready:
                got.append(window)
                held = None
            else:
                held = window if valid else None
        ctx.set(dut.o_stream.ready, 0)
        # nothing more is offered after the last window, and the frame ends
        for _ in range(50):
            valid, busy = (await ctx.tick().sample(dut.o_stream.valid, dut.busy))[-2:]
            assert not valid, "extra window offered"
            if not busy:
                break
        assert not busy, "frame not ended"

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(producer)
    sim.add_testbench(consumer)
    sim.run()
    return got, cycles[0]


def check(k, padding, stride, h, w, *, image_width, n_i=2, frames=2, gaps=0.3, stall=0.3,
          seed=SEED):
    print(f"seed {seed}")
    rng = random.Random(seed)
    images = [random_image(rng, h, w, n_i) for _ in range(frames)]
    dut = LineBuffer(n_i, k, image_width, max_height=8)
    got, _ = simulate(dut, [(image, padding, stride) for image in images],
                      gaps=gaps, stall=stall, seed=seed + 1)
    want = [win for image in images for win in expected_windows(image, k, padding, stride)]
    assert len(got) == len(want)
    for index, (g, e) in enumerate(zip(got, want, strict=True)):
        assert g == e, f"window {index}: got {g}, expected {e}"


# --------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize("n_i, exc", [(0, ValueError), (257, ValueError), (True, TypeError),
                                      (2.0, TypeError)])
def test_n_i_invalid(n_i, exc):
    with pytest.raises(exc, match=exactly(
            f"N_I must be an integer between 1 and 256, not {n_i!r}")):
        LineBuffer(n_i, 3, 8)


@pytest.mark.parametrize("k, exc", [(0, ValueError), (2, ValueError), (9, ValueError),
                                    ("3", TypeError)])
def test_k_invalid(k, exc):
    with pytest.raises(exc, match=exactly(
            f"K must be an odd integer between 1 and 7, not {k!r}")):
        LineBuffer(2, k, 8)


@pytest.mark.parametrize("width, exc", [(2, ValueError), (1025, ValueError), (8.0, TypeError)])
def test_image_width_invalid(width, exc):
    with pytest.raises(exc, match=exactly(
            f"Image width must be an integer between 3 and 1024, not {width!r}")):
        LineBuffer(2, 3, width)


@pytest.mark.parametrize("height, exc", [(0, ValueError), (65537, ValueError), (True, TypeError)])
def test_max_height_invalid(height, exc):
    with pytest.raises(exc, match=exactly(
            f"Max height must be an integer between 1 and 65536, not {height!r}")):
        LineBuffer(2, 3, 8, max_height=height)


@pytest.mark.parametrize("name", ["packed", "pooling"])
@pytest.mark.parametrize("value", [1, "yes", None])
def test_flags_invalid(name, value):
    with pytest.raises(TypeError, match=exactly(
            f"{name.capitalize()} must be a bool, not {value!r}")):
        LineBuffer(2, 3, 8, **{name: value})


def test_properties():
    dut = LineBuffer(3, 5, 16)
    assert (dut.n_i, dut.k, dut.image_width, dut.max_height) == (3, 5, 16, 1024)
    assert (dut.packed, dut.pooling, dut.lines) == (False, False, 4)
    dut = LineBuffer(7, 3, 16, packed=True, pooling=True)
    assert (dut.packed, dut.pooling, dut.lines) == (True, True, 3)
    assert len(dut.i_stream.payload.as_value()) == 16  # 7 trits in 2 bytes


# --------------------------------------------------------------------------------------------
# windows against numpy


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("k", [1, 3])
def test_windows(k, padding, stride):
    # non-square 5x6 image, width < image_width, random gaps and back-pressure, two frames
    check(k, padding, stride, 5, 6, image_width=8)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("h, w", [(6, 5), (3, 3), (3, 4)])
def test_windows_full_width(padding, stride, h, w):
    # width == image_width (odd, and a power of 2: no spare addresses), n_i = 3
    check(3, padding, stride, h, w, image_width=w, n_i=3, seed=SEED + h)


def test_windows_k5_same():
    # two frames: rows above the second image are stale image rows in the store (masked)
    check(5, "same", 1, 4, 5, image_width=6)


def test_narrow_same():
    # SAME with a frame narrower than the kernel
    check(3, "same", 1, 2, 1, image_width=3, frames=1)


def test_configuration_changes():
    # frames of different sizes, paddings and strides back to back (stale store rows masked)
    seed = SEED + 7
    print(f"seed {seed}")
    rng = random.Random(seed)
    configs = [(5, 6, "valid", 1), (4, 7, "same", 2), (6, 5, "valid", 2), (3, 4, "same", 1),
               (5, 5, "same", 2)]
    frames = [(random_image(rng, h, w, 2), p, s) for h, w, p, s in configs]
    dut = LineBuffer(2, 3, 8, max_height=8)
    got, _ = simulate(dut, frames, gaps=0.2, stall=0.2, seed=seed)
    want = [win for image, p, s in frames for win in expected_windows(image, 3, p, s)]
    assert got == want


POOL_CASES = [(k, padding, h, w) for k in (1, 3, 5) for padding in ("same", "valid")
              for h, w in ((6, 6), (7, 5), (5, 8))
              if padding == "same" or (h > k and w > k)]  # VALID: at least one pool group


@pytest.mark.parametrize("k, padding, h, w", POOL_CASES)
def test_pool_group_order(k, padding, h, w):
    """``pool`` high: the 4 windows of each 2x2 pool group one after the other (odd last row
    and column dropped); ``pool`` low on the same DUT: raster order; frames alternate."""
    seed = SEED + 31 * h + w + k
    print(f"seed {seed}")
    rng = random.Random(seed)
    frames = [(random_image(rng, h, w, 2), padding, 1, pool) for pool in (True, False, True)]
    dut = LineBuffer(2, k, 8, max_height=8, pooling=True)
    got, _ = simulate(dut, frames, gaps=0.2, stall=0.3, seed=seed)
    want = [win for image, p, s, q in frames for win in expected_windows(image, k, p, s, q)]
    assert got == want


@pytest.mark.parametrize("n_i", [1, 5, 7])
@pytest.mark.parametrize("pooling", [False, True])
def test_packed_pixels(n_i, pooling):
    """Pixels sent and stored 5 trits per byte give the same windows, both orders."""
    seed = SEED + n_i
    print(f"seed {seed}")
    rng = random.Random(seed)
    frames = [(random_image(rng, 6, 5, n_i), p, s, q) for p, s, q in
              [("same", 1, pooling), ("valid", 1, False), ("same", 2, False)]]
    dut = LineBuffer(n_i, 3, 8, max_height=8, packed=True, pooling=pooling)
    got, _ = simulate(dut, frames, gaps=0.2, stall=0.2, seed=seed)
    want = [win for image, p, s, q in frames for win in expected_windows(image, 3, p, s, q)]
    assert got == want


def test_packed_illegal_byte_gives_illegal_codes():
    """A byte of 243 or more reaches the window as the illegal code in each of its trits."""
    dut = LineBuffer(7, 1, 4, max_height=4, packed=True)
    image = np.zeros((1, 1, 7), dtype=np.int64)
    got = []

    async def bench(ctx):
        ctx.set(dut.width, 1)
        ctx.set(dut.height, 1)
        ctx.set(dut.stride, 1)
        ctx.set(dut.o_stream.ready, 1)
        ctx.set(dut.i_stream.payload, [250, int(pack_trits(image[0, 0, 5:])[0])])
        ctx.set(dut.i_stream.valid, 1)
        await ctx.tick().until(dut.i_stream.ready)
        ctx.set(dut.i_stream.valid, 0)
        payload = (await ctx.tick().sample(dut.o_stream.payload))[-1]
        got.append([list(pixel) for pixel in payload[0]][0])

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert got == [[-2] * 5 + [0, 0]]


def scan(size, k, padding, stride):
    """Scan steps along one axis (every input plus the extension the last window needs) and
    the index of the step completing the last window."""
    pad = (k - 1) // 2 if padding == "same" else 0
    out = -(-size // stride) if padding == "same" else (size - k) // stride + 1
    last = (out - 1) * stride + k - 1 - pad
    return max(size, last + 1), last


@pytest.mark.parametrize("padding, stride, h, w", [
    ("valid", 1, 5, 6), ("same", 1, 5, 6), ("same", 2, 5, 6), ("same", 2, 6, 5),
    ("valid", 2, 6, 5),
])
def test_back_to_back_throughput(padding, stride, h, w):
    # no gaps, consumer always ready: one step per cycle, one input pixel per image step
    rng = random.Random(SEED)
    images = [random_image(rng, h, w, 2) for _ in range(2)]
    dut = LineBuffer(2, 3, 8, max_height=8)
    got, cycles = simulate(dut, [(image, padding, stride) for image in images])
    want = [win for image in images for win in expected_windows(image, 3, padding, stride)]
    assert got == want
    rows, last_y = scan(h, 3, padding, stride)
    cols, last_x = scan(w, 3, padding, stride)
    # the first frame's steps, the second's up to its last window, one cycle of latency
    assert cycles == rows * cols + last_y * cols + last_x + 1 + 1


def test_verilog():
    text = verilog.convert(LineBuffer(2, 3, 8, max_height=8), name="linebuffer")
    assert "module linebuffer" in text
