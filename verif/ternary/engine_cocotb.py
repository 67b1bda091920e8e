"""cocotb side of :mod:`verif.ternary.engine`: driver and monitor of the ternary engine.

Runs inside the simulator. The job (the steps of an :class:`~verif.ternary.engine.EnginePlan`
with every payload already packed into an integer, the layout of ``o_stream``'s payload, the
back-pressure and gap probabilities and their seed) comes from the JSON file named by
``EF_JOB``; what happened goes to the JSON file named by ``EF_RESULT``: per layer every
``o_stream`` transfer as ``{pixel, sums, illegal}`` and the simulation times of the layer's
stretch, the cycle count and any protocol violation. Comparison with the golden model is done
by :meth:`verif.ternary.engine.EnginePlan.check` outside the simulator.

One coroutine does everything, one iteration per clock (cheaper than a coroutine per stream), with
the stream parts of :mod:`verif.stream`: the *driver* is a plain generator executing the steps
in the order of ``tests/ternary/test_engine_hw.py``'s ``run_plan`` (all weight writes; per
layer: wait for all outputs of the layer before, set the descriptor, wait until ``busy`` is
low, write the thresholds, stream the frames, each pixel preceded by an idle cycle with
probability ``gaps``), queueing each word on a :class:`~verif.stream.StreamSource` and waiting
until it is taken; a :class:`~verif.stream.StreamSink` drops ``o_stream.ready`` with
probability ``stall``, records every transfer and checks that an offered output is held
unchanged until taken; the loop checks that ``th_stream`` is never ready while the engine is
busy or a pixel is offered.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.utils import get_sim_time

from verif.stream import PERIOD_NS, Cycles, StreamSink, StreamSource, reset, start_clock

__all__ = ["PERIOD_NS", "engine_plan"]

_STREAMS = ("i_stream", "w_stream", "th_stream")
#: What the driver yields while a queued word waits to be taken.
_WAIT = ("wait",)


def _driver(job: dict, sources: dict, outputs: list, timing: list, rng: random.Random, now):
    """The driver as a generator, advanced once per cycle just after the edge: yields ``None``
    or ``_WAIT`` to stay idle (``_WAIT`` while a word queued on one of ``sources`` is not taken
    yet), ``("layer", word)`` to set the descriptor, ``("idle",)`` to wait for ``busy`` low,
    and is sent the cycle's sample (``busy``, read for the last two only)."""
    layer = -1
    expected = job["expected"]
    gaps = job["gaps"]
    w_src, th_src, i_src = sources["w_stream"], sources["th_stream"], sources["i_stream"]
    for step in job["steps"]:
        op = step["op"]
        if op == "weights":
            w_src.extend(step["words"])
            while not w_src.idle:
                yield _WAIT
        elif op == "layer":
            layer += 1
            if layer:
                while len(outputs[layer - 1]) < expected[layer - 1]:
                    yield None
            sample = yield ("layer", step["word"])
            while sample["busy"]:
                sample = yield ("idle",)
        elif op == "thresholds":
            th_src.extend(step["words"])
            while not th_src.idle:
                yield _WAIT
        else:
            if step.get("chain"):
                pixels = [sum(b << (8 * i) for i, b in enumerate(p["pixel"]))
                          for p in outputs[layer - 1]]
            else:
                pixels = step["pixels"]
            if len(pixels) != step["inputs"]:
                raise AssertionError(f"layer {layer}: {len(pixels)} input pixels, expected "
                                     f"{step['inputs']}")
            for n, pixel in enumerate(pixels):
                while gaps and rng.random() < gaps:
                    yield None
                if n == 0:
                    timing[layer]["start_ns"], timing[layer]["start_cycle"] = now()
                i_src.put(pixel)
                while not i_src.idle:
                    yield _WAIT
                if n == 0:  # the edge that took the first pixel (after any weight fetch)
                    timing[layer]["stream_ns"], timing[layer]["stream_cycle"] = now()


def _signed(value: int, width: int) -> int:
    return value - (1 << width) if value >> (width - 1) & 1 else value


@cocotb.test()
async def engine_plan(dut):
    """Execute the job's steps on the engine and record every output pixel per layer."""
    with open(os.environ["EF_JOB"]) as f:
        job = json.load(f)
    out = job["out"]
    p_off, p_bytes = out["pixel"]
    s_off, s_width, s_count = out["sums"]
    i_off = out["illegal"]
    s_mask = (1 << s_width) - 1
    expected = job["expected"]
    stall = job["stall"]
    max_cycles = job["max_cycles"]
    rng = random.Random(job["seed"])
    outputs: list[list[dict]] = [[] for _ in expected]
    timing = [{} for _ in expected]
    errors: list[str] = []

    start_clock(dut)
    sources = {name: StreamSource(dut, name) for name in _STREAMS}
    for source in sources.values():
        source.init()
    dut.layer.value = 0
    # o_stream.ready: one draw per cycle when stalls are asked for
    sink = StreamSink(dut, "o_stream",
                      ready=(lambda _cycle: rng.random() >= stall) if stall else None)
    sink.init()
    await reset(dut)

    monitor = sink.monitor
    busy, th_ready = dut.busy, dut.th_stream__ready
    i_src = sources["i_stream"]
    # the driver runs just after each edge, before the parts drive the next cycle
    cycles = Cycles(dut.clk, [*sources.values(), sink])
    driver = _driver(job, sources, outputs, timing, rng, cycles.now)
    request = next(driver)
    layer = 0  # the layer the driver works on (its descriptor set last)
    start_ns = cycles.start_ns
    descriptors = 0
    done = False
    sink.start()
    while not done:
        cycle = cycles.cycle
        if cycle > max_cycles:
            errors.append(f"timeout after {cycle} cycles; outputs per layer "
                          f"{[len(o) for o in outputs]} of {expected}")
            break
        # drive (writable phase, just after an edge)
        if request is not None and request[0] == "layer":
            dut.layer.value = request[1]
            layer = min(descriptors, len(outputs) - 1)
            descriptors += 1
            timing[layer]["desc_ns"], timing[layer]["desc_cycle"] = cycles.now()
        # the sources and the sink drive, the settled values decide the transfers
        await cycles.settle()
        is_busy = 0
        if int(th_ready.value):  # never while busy or while a pixel is offered
            is_busy = int(busy.value)
            if is_busy or i_src.offering:
                errors.append(f"cycle {cycle}: th_stream ready while the engine is busy")
        elif request is not None and request[0] in ("layer", "idle"):
            is_busy = int(busy.value)
        if monitor.violations:
            errors.extend(monitor.violations)
            monitor.violations.clear()
        if monitor.unknown:
            break
        last = False
        if monitor.fired:
            raw = monitor.transfers[-1][1]
            pixel = raw >> p_off
            sums = raw >> s_off
            outputs[layer].append({
                "pixel": [pixel >> (8 * i) & 0xFF for i in range(p_bytes)],
                "sums": [_signed(sums >> (s_width * i) & s_mask, s_width)
                         for i in range(s_count)],
                "illegal": raw >> i_off & 1,
            })
            last = len(outputs[layer]) == expected[layer]
        await cycles.tick()
        if last:  # the edge that took the layer's last output (ending cycle ``cycle``)
            timing[layer]["end_ns"], timing[layer]["end_cycle"] = get_sim_time(unit="ns"), cycle
        if errors:
            break
        try:
            request = driver.send({"busy": is_busy})
        except StopIteration:
            request = None
        done = len(outputs[-1]) >= expected[-1] and request is None
    for source in sources.values():
        source.clear()
    sink.stop()
    # nothing more may come out
    if await monitor.offers(dut.clk, 4) and not errors:
        errors.append(f"o_stream offers an output beyond the {expected[-1]} expected of "
                      "the last layer")
    with open(os.environ["EF_RESULT"], "w") as f:
        json.dump({"layers": outputs, "timing": timing, "cycles": cycles.cycle,
                   "start_ns": start_ns, "end_ns": get_sim_time(unit="ns"), "errors": errors},
                  f)
