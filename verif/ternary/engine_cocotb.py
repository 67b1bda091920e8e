"""cocotb side of :mod:`verif.ternary.engine`: driver and monitor of the ternary engine.

Runs inside the simulator. The job (the steps of an :class:`~verif.ternary.engine.EnginePlan`
with every payload already packed into an integer, the layout of ``o_stream``'s payload, the
back-pressure and gap probabilities and their seed) comes from the JSON file named by
``EF_JOB``; what happened goes to the JSON file named by ``EF_RESULT``: per layer every
``o_stream`` transfer as ``{pixel, sums, illegal}`` and the simulation times of the layer's
stretch, the cycle count and any protocol violation. Comparison with the golden model is done
by :meth:`verif.ternary.engine.EnginePlan.check` outside the simulator.

One coroutine does everything, one iteration per clock (cheaper than a coroutine per stream):
the *driver* is a plain generator executing the steps in the order of
``tests/ternary/test_engine_hw.py``'s ``run_plan`` (all weight writes; per layer: wait for all
outputs of the layer before, set the descriptor, wait until ``busy`` is low, write the
thresholds, stream the frames, each pixel preceded by an idle cycle with probability ``gaps``),
each transfer offered until taken; the *monitor* drops ``o_stream.ready`` with probability
``stall``, records every transfer and checks that an offered output is held unchanged until
taken and that ``th_stream`` is never ready while the engine is busy or a pixel is offered.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

PERIOD_NS = 10
_STREAMS = ("i_stream", "w_stream", "th_stream")


def _driver(job: dict, outputs: list, timing: list, rng: random.Random, now):
    """The driver as a generator: yields ``(stream, payload)`` to offer a transfer this cycle
    (``None`` to stay idle, ``("layer", word)`` to set the descriptor, ``("idle",)`` to wait
    for ``busy`` low) and is sent the cycle's sample (``taken``; ``busy``, read for the last
    two only)."""
    layer = -1
    expected = job["expected"]
    gaps = job["gaps"]
    for step in job["steps"]:
        op = step["op"]
        if op == "weights":
            for word in step["words"]:
                while not (yield ("w_stream", word))["taken"]:
                    pass
        elif op == "layer":
            layer += 1
            if layer:
                while len(outputs[layer - 1]) < expected[layer - 1]:
                    yield None
            sample = yield ("layer", step["word"])
            while sample["busy"]:
                sample = yield ("idle",)
        elif op == "thresholds":
            for word in step["words"]:
                while not (yield ("th_stream", word))["taken"]:
                    pass
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
                while not (yield ("i_stream", pixel))["taken"]:
                    pass
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

    cocotb.start_soon(Clock(dut.clk, PERIOD_NS, unit="ns").start())
    for name in _STREAMS:
        getattr(dut, f"{name}__valid").value = 0
        getattr(dut, f"{name}__payload").value = 0
    dut.layer.value = 0
    dut.o_stream__ready.value = 0
    dut.rst.value = 1
    for _ in range(2):
        await RisingEdge(dut.clk)
    dut.rst.value = 0

    def now() -> tuple[float, int]:
        return get_sim_time(unit="ns"), cycle

    signals = {name: (getattr(dut, f"{name}__valid"), getattr(dut, f"{name}__ready"),
                      getattr(dut, f"{name}__payload")) for name in _STREAMS}
    o_valid, o_ready, o_payload = dut.o_stream__valid, dut.o_stream__ready, dut.o_stream__payload
    busy, th_ready = dut.busy, dut.th_stream__ready
    driver = _driver(job, outputs, timing, rng, now)
    request = next(driver)
    driving = None  # the stream whose valid is high
    held = None  # an output offered and not taken (must stay unchanged)
    layer = 0  # the layer the driver works on (its descriptor set last)
    cycle = 0
    start_ns = get_sim_time(unit="ns")
    descriptors = 0
    done = False
    ready_set = None  # the o_stream.ready driven last
    while not done:
        if cycle > max_cycles:
            errors.append(f"timeout after {cycle} cycles; outputs per layer "
                          f"{[len(o) for o in outputs]} of {expected}")
            break
        # drive (writable phase, just after an edge)
        stream = None
        if request is not None:
            if request[0] == "idle":
                pass
            elif request[0] == "layer":
                dut.layer.value = request[1]
                layer = min(descriptors, len(outputs) - 1)
                descriptors += 1
                timing[layer]["desc_ns"], timing[layer]["desc_cycle"] = now()
            else:
                stream = request[0]
                signals[stream][2].value = request[1]
        if stream != driving:
            if driving is not None:
                signals[driving][0].value = 0
            if stream is not None:
                signals[stream][0].value = 1
            driving = stream
        ready = 1 if not stall else int(rng.random() >= stall)
        if ready != ready_set:
            o_ready.value = ready_set = ready
        # monitor (settled values before the edge decide the transfers)
        await ReadOnly()
        taken = stream is not None and bool(int(signals[stream][1].value))
        is_busy = 0
        if int(th_ready.value):  # never while busy or while a pixel is offered
            is_busy = int(busy.value)
            if is_busy or stream == "i_stream":
                errors.append(f"cycle {cycle}: th_stream ready while the engine is busy")
        elif request is not None and request[0] in ("layer", "idle"):
            is_busy = int(busy.value)
        valid = int(o_valid.value)
        raw = None
        if valid or held is not None:
            try:
                raw = int(o_payload.value)
            except ValueError:
                errors.append(f"cycle {cycle}: o_stream payload holds X/Z: {o_payload.value}")
                break
        if held is not None and (not valid or raw != held):
            errors.append(f"cycle {cycle}: an offered output changed before it was taken")
        last = False
        if valid and ready:
            pixel = raw >> p_off
            sums = raw >> s_off
            outputs[layer].append({
                "pixel": [pixel >> (8 * i) & 0xFF for i in range(p_bytes)],
                "sums": [_signed(sums >> (s_width * i) & s_mask, s_width)
                         for i in range(s_count)],
                "illegal": raw >> i_off & 1,
            })
            last = len(outputs[layer]) == expected[layer]
            held = None
        else:
            held = raw if valid else None
        await RisingEdge(dut.clk)
        if last:  # the edge that took the layer's last output
            timing[layer]["end_ns"], timing[layer]["end_cycle"] = now()
        cycle += 1
        if errors:
            break
        try:
            request = driver.send({"taken": taken, "busy": is_busy})
        except StopIteration:
            request = None
        done = len(outputs[-1]) >= expected[-1] and request is None
    for name in _STREAMS:
        signals[name][0].value = 0
    o_ready.value = 0
    # nothing more may come out
    for _ in range(4):
        await ReadOnly()
        extra = int(o_valid.value)
        await RisingEdge(dut.clk)
        if extra and not errors:
            errors.append(f"o_stream offers an output beyond the {expected[-1]} expected of "
                          "the last layer")
    with open(os.environ["EF_RESULT"], "w") as f:
        json.dump({"layers": outputs, "timing": timing, "cycles": cycle, "start_ns": start_ns,
                   "end_ns": get_sim_time(unit="ns"), "errors": errors}, f)
