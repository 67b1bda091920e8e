# amaranth: UnusedElaboratable=no
"""Tests of hw.ternary.engine.TernaryEngine (validation, Amaranth simulation of whole layers
against the numpy golden model, layers in sequence, the shared-module Verilog)."""

import random
import re
import runpy
import subprocess
from pathlib import Path

import numpy as np
import pytest
from amaranth.sim import Simulator

from hw.ternary import Padding, TernaryEngine
from sim_models.ternary import ternary_conv2d, threshold

_hwsim = runpy.run_path(str(Path(__file__).with_name("hwsim.py")))
exactly = _hwsim["exactly"]
as_dict = _hwsim["as_dict"]
put = _hwsim["put"]

SEED = 20261124
ROOT = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------------------------
# golden model and random layers


def random_trits(rng, shape):
    return np.array(rng.choices((-1, 0, 1), k=int(np.prod(shape))), dtype=np.int64).reshape(shape)


def random_layer(rng, dut, *, ch_in, ch_out, padding, stride):
    """Weights ``(n_o, k, k, n_i)`` and thresholds for every OCU (also the unused channels, so
    that silencing is exercised) and the descriptor fields."""
    k = dut.k
    weights = random_trits(rng, (dut.n_o, k, k, dut.n_i))
    lo = np.array([rng.randint(-4, 1) for _ in range(dut.n_o)])
    hi = np.array([rng.randint(-1, 4) for _ in range(dut.n_o)])
    return {"weights": weights, "lo": lo, "hi": hi, "ch_in": ch_in, "ch_out": ch_out,
            "padding": padding, "stride": stride}


def golden(dut, layer, image):
    """Expected output pixels ``(h_out, w_out, n_o)``: the golden model on the active channels,
    0 trits above ``ch_out``."""
    ch_in, ch_out = layer["ch_in"], layer["ch_out"]
    sums = ternary_conv2d(image[:, :, :ch_in], layer["weights"][:ch_out, :, :, :ch_in],
                          stride=layer["stride"], padding=layer["padding"])
    trits = threshold(sums, layer["lo"][:ch_out], layer["hi"][:ch_out]).astype(np.int64)
    out = np.zeros((*trits.shape[:2], dut.n_o), dtype=np.int64)
    out[:, :, :ch_out] = trits
    return out


# --------------------------------------------------------------------------------------------
# simulation


def simulate(dut, layers, first_image, *, gaps=0.0, stall=0.0, seed=0, max_cycles=20000):
    """Run ``layers`` in sequence: for each, load every OCU's weights and thresholds while the
    engine is idle, set the descriptor, stream the image and collect the output pixels. The
    first layer's input is ``first_image``; each further layer's input is the previous layer's
    hardware output. Checks the stream rules on ``o_stream`` and that the write streams are
    never ready while busy. Returns the images fed and the outputs, one per layer."""
    rng = random.Random(seed)
    images = [first_image]
    outputs = [[] for _ in layers]
    sizes = []
    state = {"cycle": 0, "layer": 0, "done": False}

    def out_size(layer, image):
        k, s = dut.k, layer["stride"]
        h, w = image.shape[:2]
        if layer["padding"] == "same":
            return -(-h // s), -(-w // s)
        return (h - k) // s + 1, (w - k) // s + 1

    async def producer(ctx):
        for index, layer in enumerate(layers):
            if index:
                await ctx.tick().until(~dut.busy)
                while len(outputs[index - 1]) < sizes[index - 1][0] * sizes[index - 1][1]:
                    await ctx.tick()
                h, w = sizes[index - 1]
                images.append(np.array(outputs[index - 1], dtype=np.int64).reshape(h, w, -1))
            image = images[index]
            sizes.append(out_size(layer, image))
            state["layer"] = index
            # the descriptor first: an unsupported one (e.g. the all-zero one after reset)
            # keeps the line buffer scanning and the engine busy
            ctx.set(dut.layer, {
                "width": image.shape[1], "height": image.shape[0],
                "ch_in": layer["ch_in"], "ch_out": layer["ch_out"],
                "padding": Padding.SAME if layer["padding"] == "same" else Padding.VALID,
                "stride": layer["stride"]})
            await ctx.tick().until(~dut.busy)
            weights = layer["weights"]
            for co in range(dut.n_o):
                for addr in range(dut.k * dut.k):
                    word = weights[co, addr // dut.k, addr % dut.k].tolist()
                    await put(ctx, dut.w_stream, {"ocu": co, "addr": addr, "word": word})
                await put(ctx, dut.th_stream,
                          {"ocu": co, "lo": int(layer["lo"][co]), "hi": int(layer["hi"][co])})
            for row in image.tolist():
                for pixel in row:
                    while rng.random() < gaps:
                        await ctx.tick()
                    await put(ctx, dut.i_stream, pixel)
        state["done"] = True

    async def consumer(ctx):
        held = None
        while True:
            index = state["layer"]
            if state["done"] and len(outputs[-1]) == sizes[-1][0] * sizes[-1][1]:
                break
            ready = rng.random() >= stall
            ctx.set(dut.o_stream.ready, ready)
            sampled = await ctx.tick().sample(
                dut.o_stream.valid, dut.o_stream.payload, dut.busy, dut.i_stream.valid,
                dut.w_stream.ready, dut.th_stream.ready)
            valid, payload, busy, i_valid, w_ready, th_ready = sampled[-6:]
            state["cycle"] += 1
            assert state["cycle"] < max_cycles, "simulation does not finish"
            fields = as_dict(payload, dut.output_layout)
            fields["pixel"] = [int(t) for t in fields["pixel"]]
            if held is not None:
                assert valid and fields == held, f"cycle {state['cycle']}: result changed"
            if busy or i_valid:
                assert not w_ready and not th_ready, f"cycle {state['cycle']}: write while busy"
            if valid and ready:
                assert not fields["illegal"]
                outputs[index].append(fields["pixel"])
                held = None
            else:
                held = fields if valid else None

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(producer)
    sim.add_testbench(consumer)
    sim.run()
    return images, outputs


def check_run(dut, layers, image, **kwargs):
    images, outputs = simulate(dut, layers, image, **kwargs)
    assert len(images) == len(layers)
    for layer, fed, got in zip(layers, images, outputs, strict=True):
        expected = golden(dut, layer, fed)
        got = np.array(got, dtype=np.int64).reshape(expected.shape)
        np.testing.assert_array_equal(got, expected)


# --------------------------------------------------------------------------------------------
# behaviour


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("stride", [1, 2])
def test_layer_matches_golden(padding, stride):
    seed = SEED + stride + (padding == "same")
    print(f"seed {seed}")
    rng = random.Random(seed)
    dut = TernaryEngine(4, 4, 3, 8)
    layer = random_layer(rng, dut, ch_in=3, ch_out=3, padding=padding, stride=stride)
    image = random_trits(rng, (5, 6, 4))
    check_run(dut, [layer], image, gaps=0.2, stall=0.3, seed=seed)


def test_two_layers_in_sequence():
    """Layer 1 (3 -> 4 channels, SAME, stride 1) then, after reloading, layer 2 (4 -> 2
    channels, VALID, stride 2) on layer 1's output."""
    print(f"seed {SEED}")
    rng = random.Random(SEED)
    dut = TernaryEngine(4, 4, 3, 8, pipeline=2)
    layers = [
        random_layer(rng, dut, ch_in=3, ch_out=4, padding="same", stride=1),
        random_layer(rng, dut, ch_in=4, ch_out=2, padding="valid", stride=2),
    ]
    image = random_trits(rng, (6, 7, 4))
    check_run(dut, layers, image, gaps=0.1, stall=0.3, seed=SEED)


def test_back_to_back_pipeline0():
    """No gaps, no stalls, combinational OCUs; 3 channels of 3."""
    rng = random.Random(SEED + 7)
    dut = TernaryEngine(3, 3, 3, 8, pipeline=0)
    layer = random_layer(rng, dut, ch_in=3, ch_out=3, padding="same", stride=1)
    check_run(dut, [layer], random_trits(rng, (5, 6, 3)))


# --------------------------------------------------------------------------------------------
# shared module


def module_names(text):
    return re.findall(r"^module \\?([^\s(]+)", text, re.MULTILINE)


def test_shared_verilog_one_module():
    n_o = 3
    dut = TernaryEngine(3, n_o, 3, 8, shared=True)
    flat = TernaryEngine(3, n_o, 3, 8)
    assert dut.signature == flat.signature
    flat_text = flat.to_verilog("engine_top")
    text = dut.to_verilog("engine_top")
    name = dut.ocu_module_name
    assert module_names(text).count(name) == 1
    assert sorted(re.findall(rf"^\s*{name} (ocu\d+) ", text, re.MULTILINE)) == [
        f"ocu{i}" for i in range(n_o)]
    # the module count does not grow with n_o; the flat engine has n_o OCU modules
    one = TernaryEngine(3, 1, 3, 8, shared=True).to_verilog("engine_top")
    assert len(module_names(text)) == len(module_names(one))
    flat_ocus = [m for m in module_names(flat_text) if re.fullmatch(r"engine_top\.ocu\d+", m)]
    assert len(flat_ocus) == n_o
    # same top-level ports
    top_ports = re.compile(r"^module engine_top\(([^)]*)\);", re.MULTILINE)
    assert top_ports.search(text).group(1) == top_ports.search(flat_text).group(1)
    build = ROOT / "build" / "test_engine_hw"
    build.mkdir(parents=True, exist_ok=True)
    (build / "engine.v").write_text(text)
    from gen.synth import yosys_command

    result = subprocess.run(
        [*yosys_command(), "-q", "-p",
         "read_verilog build/test_engine_hw/engine.v; hierarchy -check -top engine_top"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


# --------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize(("args", "kwargs", "error", "message"), [
    ((0, 1, 3, 8), {}, ValueError, "N_I must be an integer between 1 and 256, not 0"),
    ((1, 257, 3, 8), {}, ValueError, "N_O must be an integer between 1 and 256, not 257"),
    ((1, 1, 4, 8), {}, ValueError, "K must be an odd integer between 1 and 7, not 4"),
    ((1, 1, 3, 2), {}, ValueError, "Image width must be an integer between 3 and 1024, not 2"),
    ((1, 1, 3, 8), {"pipeline": 3}, ValueError,
     "Pipeline must be an integer between 0 and 2, not 3"),
    ((1, 1, 3, 8), {"max_height": 0}, ValueError,
     "Max height must be an integer between 1 and 65536, not 0"),
    ((1.0, 1, 3, 8), {}, TypeError, "N_I must be an integer between 1 and 256, not 1.0"),
])
def test_invalid(args, kwargs, error, message):
    with pytest.raises(error, match=exactly(message)):
        TernaryEngine(*args, **kwargs)


def test_shared_not_bool():
    with pytest.raises(TypeError):
        TernaryEngine(1, 1, 1, 8, shared=1)


def test_cli_emits_the_engine_with_one_ocu_module(tmp_path, monkeypatch):
    """`edgeforge verilog ternary_engine` writes one OCU module instantiated n_o times,
    byte-identical across runs."""
    import re

    from gen.cli import main

    monkeypatch.chdir(tmp_path)
    argv = ["verilog", "ternary_engine", "-p", "n_i=4", "-p", "n_o=3", "-p", "k=3", "-p",
            "image_width=8"]
    assert main([*argv, "-o", "a"]) == 0
    assert main([*argv, "-o", "b"]) == 0
    name = "ternary_engine_i4_o3_k3_w8_p1"
    text = (tmp_path / "a" / f"{name}.v").read_text()
    assert text == (tmp_path / "b" / f"{name}.v").read_text()
    ocu_modules = re.findall(r"^module (edgeforge_ocu\w*)", text, re.MULTILINE)
    assert len(ocu_modules) == 1
    assert len(re.findall(rf"^\s*{ocu_modules[0]}\s+\S+\s*\(", text, re.MULTILINE)) == 3
    assert re.search(rf"^module {name}\(", text, re.MULTILINE)
