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

from hw.ternary import TernaryEngine
from sim_models.ternary import TernaryLayer
from verif.ternary.engine import EngineConfig, EnginePlan

_hwsim = runpy.run_path(str(Path(__file__).with_name("hwsim.py")))
exactly = _hwsim["exactly"]
put = _hwsim["put"]

SEED = 20261124
ROOT = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------------------------
# random layers and the plan runner


def random_trits(rng, shape, density=2 / 3):
    """Trits, each nonzero with probability ``density``."""
    n = int(np.prod(shape))
    values = [rng.choice((-1, 1)) if rng.random() < density else 0 for _ in range(n)]
    return np.array(values, dtype=np.int64).reshape(shape)


def random_layer(rng, k, c_in, c_out, *, padding="same", stride=1, pooling=None, raw=False):
    weights = random_trits(rng, (c_out, k, k, c_in))
    if raw:
        return TernaryLayer(weights, stride=stride, padding=padding, pooling=pooling)
    scale = 4 if pooling == "sum" else 1
    lo = np.array([rng.randint(-4 * scale, scale) for _ in range(c_out)])
    hi = np.array([rng.randint(-scale, 4 * scale) for _ in range(c_out)])
    return TernaryLayer(weights, lo, hi, stride=stride, padding=padding, pooling=pooling)


def run_plan(dut, plan, *, gaps=0.0, stall=0.0, seed=0, max_cycles=20000, hold=()):
    """Execute ``plan.steps()`` on ``dut`` in the Amaranth simulator; return the outputs per
    layer (dicts ``pixel``, ``sums``, ``illegal``) and the cycle count.

    The driver writes the weight memory, then per layer waits for ``busy`` low, writes the
    thresholds, sets the descriptor and streams the frames (a chained layer the pixels
    recorded for the layer before), with an idle cycle before a pixel with probability
    ``gaps``; the consumer drops ``o_stream.ready`` with probability ``stall``. Checked on
    the way: an offered output is held unchanged until taken, threshold writes are never
    ready while busy. The descriptor of a layer is set once all outputs of the layer before
    have been taken. ``hold`` lists layer indices before which a further weight write (of
    the layer's own first word, unchanged) is made while the engine is idle, forcing a
    refetch.
    """
    rng = random.Random(seed)
    steps = plan.steps()
    expected = plan.outputs_per_layer
    outputs = [[] for _ in expected]
    state = {"cycle": 0, "layer": 0}

    async def producer(ctx):
        layer = -1
        weights = []
        for step in steps:
            if step["op"] == "weights":
                weights = step["writes"]
                for addr, data in weights:
                    await put(ctx, dut.w_stream, {"addr": addr, "data": data})
            elif step["op"] == "layer":
                layer += 1
                if layer:
                    while len(outputs[layer - 1]) < expected[layer - 1]:
                        await ctx.tick()
                ctx.set(dut.layer, step["desc"])
                await ctx.tick().until(~dut.busy)
                if layer in hold:
                    base = plan.layers[layer].base
                    await put(ctx, dut.w_stream, {"addr": base, "data": weights[base][1]})
                state["layer"] = layer
            elif step["op"] == "thresholds":
                for ocu, lo, hi in step["writes"]:
                    await put(ctx, dut.th_stream, {"ocu": ocu, "lo": lo, "hi": hi})
            else:
                pixels = ([p["pixel"] for p in outputs[layer - 1]] if step.get("chain")
                          else step["pixels"])
                assert len(pixels) == step["inputs"]
                for pixel in pixels:
                    while rng.random() < gaps:
                        await ctx.tick()
                    await put(ctx, dut.i_stream, pixel)

    async def consumer(ctx):
        held = None
        while len(outputs[-1]) < expected[-1]:
            ready = rng.random() >= stall
            ctx.set(dut.o_stream.ready, ready)
            sampled = await ctx.tick().sample(
                dut.o_stream.valid, dut.o_stream.payload, dut.busy, dut.i_stream.valid,
                dut.th_stream.ready)
            valid, payload, busy, i_valid, th_ready = sampled[-5:]
            state["cycle"] += 1
            assert state["cycle"] < max_cycles, "simulation does not finish"
            fields = {"pixel": [int(b) for b in payload.pixel],
                      "sums": [int(v) for v in payload.sums], "illegal": int(payload.illegal)}
            if held is not None:
                assert valid and fields == held, f"cycle {state['cycle']}: result changed"
            if busy or i_valid:
                assert not th_ready, f"cycle {state['cycle']}: threshold write while busy"
            if valid and ready:
                outputs[state["layer"]].append(fields)
                held = None
            else:
                held = fields if valid else None

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(producer)
    sim.add_testbench(consumer)
    sim.run()
    return outputs, state["cycle"]


def check_plan(dut, layers, images, *, chain=True, **kwargs):
    plan = EnginePlan(EngineConfig.of(dut), layers, images, chain=chain)
    outputs, cycles = run_plan(dut, plan, **kwargs)
    assert plan.check(outputs) == sum(plan.outputs_per_layer)
    return plan, outputs, cycles


# --------------------------------------------------------------------------------------------
# behaviour


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("stride", [1, 2])
def test_layer_matches_golden(padding, stride):
    seed = SEED + stride + (padding == "same")
    print(f"seed {seed}")
    rng = random.Random(seed)
    dut = TernaryEngine(4, 4, 3, 8)
    layer = random_layer(rng, 3, 3, 3, padding=padding, stride=stride)
    images = random_trits(rng, (2, 5, 6, 3))
    check_plan(dut, [layer], images, gaps=0.2, stall=0.3, seed=seed)


@pytest.mark.parametrize("pooling", ["max", "sum"])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_pooled_layer_matches_golden(pooling, padding):
    seed = SEED + 11 + (pooling == "max") + 2 * (padding == "same")
    print(f"seed {seed}")
    rng = random.Random(seed)
    dut = TernaryEngine(5, 3, 3, 8, pipeline=2)
    layer = random_layer(rng, 3, 5, 3, padding=padding, pooling=pooling)
    images = random_trits(rng, (2, 7, 6, 5))
    check_plan(dut, [layer], images, gaps=0.2, stall=0.3, seed=seed)


def test_network_chained_through_the_engine():
    """Three layers as the digits network has them (SAME; SAME + max pooling; VALID + sum
    pooling with raw sums), each layer on all images, fed the engine's own output of the layer
    before; the weights of all layers written once, fetched per layer."""
    print(f"seed {SEED}")
    rng = random.Random(SEED)
    dut = TernaryEngine(6, 6, 3, 8, weight_depth=3 * 6 * 9, pipeline=1)
    layers = [
        random_layer(rng, 3, 1, 6),
        random_layer(rng, 3, 6, 6, pooling="max"),
        random_layer(rng, 3, 6, 4, padding="valid", pooling="sum", raw=True),
    ]
    images = random_trits(rng, (3, 8, 8, 1))
    check_plan(dut, layers, images, gaps=0.1, stall=0.2, seed=SEED, hold=(1,))


def test_back_to_back_pipeline0():
    """No gaps, no stalls, combinational OCUs: one window per cycle once the weights are in."""
    rng = random.Random(SEED + 7)
    dut = TernaryEngine(3, 3, 3, 8, pipeline=0)
    layer = random_layer(rng, 3, 3, 3)
    images = random_trits(rng, (2, 5, 6, 3))
    _, _, cycles = check_plan(dut, [layer], images)
    # weight writes (27) and threshold writes (3) each one cycle, the fetch 27 + 1, then 60
    # pixels at one per cycle plus the SAME extension steps (bottom row, right column)
    steps = 2 * 6 * 7
    assert cycles <= 27 + 3 + 28 + steps + 8


def test_illegal_codes_are_flagged():
    """An illegal input byte, or an illegal weight byte of an active channel, sets
    ``illegal``; illegal codes count as 0 in the sums."""
    dut = TernaryEngine(5, 2, 1, 4)
    cfg = EngineConfig.of(dut)
    weights = np.ones((2, 1, 1, 5), dtype=np.int64)
    layer = TernaryLayer(weights, [-9, -9], [9, 9])
    plan = EnginePlan(cfg, [layer], np.ones((1, 1, 2, 5), dtype=np.int64))
    steps = plan.steps()
    steps[-1]["pixels"][1] = [250]  # the second pixel: an illegal byte
    plan.steps = lambda: steps
    outputs, _ = run_plan(dut, plan)
    got = outputs[0]
    assert [p["illegal"] for p in got] == [0, 1]
    assert [p["sums"] for p in got] == [[5, 5], [0, 0]]
    # an illegal weight word of output channel 1
    steps = EnginePlan(cfg, [layer], np.ones((1, 1, 2, 5), dtype=np.int64)).steps()
    steps[0]["writes"][1][1] = [255]
    plan.steps = lambda: steps
    outputs, _ = run_plan(dut, plan)
    assert [p["illegal"] for p in outputs[0]] == [1, 1]
    assert [p["sums"] for p in outputs[0]] == [[5, 0], [5, 0]]


def test_plan_rejects_layers_that_do_not_fit():
    dut = TernaryEngine(4, 4, 3, 8)
    cfg = EngineConfig.of(dut)
    rng = random.Random(1)
    images = random_trits(rng, (1, 4, 4, 4))
    with pytest.raises(ValueError, match="Layer input channels must be between 1 and N_I = 4"):
        EnginePlan(cfg, [random_layer(rng, 3, 5, 2)], random_trits(rng, (1, 4, 4, 5)))
    with pytest.raises(ValueError, match="do not fit the weight memory of 36 words"):
        EnginePlan(cfg, [random_layer(rng, 3, 4, 4), random_layer(rng, 3, 4, 4)], images)
    with pytest.raises(ValueError, match="The engine pools with stride 1 only"):
        EnginePlan(cfg, [random_layer(rng, 3, 4, 4, stride=2, pooling="max")],
                   random_trits(rng, (1, 8, 8, 4)))


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
    # instance ports are plain signals: no debug wire per window element and instance
    assert r"\ocu0__i_stream__payload[" not in text
    assert "ocu0__i_stream__payload" in text
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
    from gen.eda.synth import yosys_command

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
    ((1, 1, 3, 8), {"weight_depth": 65537}, ValueError,
     "Weight depth must be an integer between 1 and 65536, not 65537"),
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
