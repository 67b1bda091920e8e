"""cocotb side of :mod:`verif.ternary.ocu`: driver and monitor of the output-channel unit.

Runs inside the simulator. The job (packed payloads per vector set, ``o_stream.ready`` pattern)
comes from the JSON file named by ``EF_JOB``; every result taken from ``o_stream`` and the clock
edges at which windows were accepted (cycles counted from ``start_ns``, the simulation time at
which the set's streaming began) go to the JSON file named by ``EF_RESULT``. Comparison with
the golden model is done by :func:`verif.ternary.ocu.check_results` outside the simulator.
"""

from __future__ import annotations

import json
import os

import cocotb

from verif.stream import PERIOD_NS, Cycles, StreamSink, StreamSource, reset, start_clock

__all__ = ["PERIOD_NS", "ocu_stream"]


async def _run_set(dut, vset: dict, max_cycles: int) -> dict:
    """Load weights and thresholds, stream the windows back to back, collect every result."""
    w, th = StreamSource(dut, "w_stream"), StreamSource(dut, "th_stream")
    i = StreamSource(dut, "i_stream")
    o = StreamSink(dut, "o_stream", ready=vset["ready"])
    cycles = Cycles(dut.clk, [w, th, i, o])
    # one word in flight at a time: the weights, then the thresholds
    w.extend(vset["weights"])
    while not w.idle:
        await cycles.step()
    th.put(vset["thresholds"])
    while not th.idle:
        await cycles.step()
    windows = vset["windows"]
    n_results = vset["results"]
    # the streaming loop starts on a rising edge: cycle c ends at start_ns + (c + 1) * PERIOD_NS
    cycles.restart()
    i.extend(windows)
    o.start()
    while o.count < n_results:
        if cycles.cycle > max_cycles:
            raise AssertionError(
                f"set {vset['name']}: timeout after {cycles.cycle} cycles, {i.sent} of "
                f"{len(windows)} windows accepted, {o.count} of {n_results} results")
        await cycles.step()
    i.clear()
    o.stop()
    # nothing more may come out
    if await o.monitor.offers(dut.clk, 4):
        raise AssertionError(f"set {vset['name']}: o_stream offers a result beyond the "
                             f"{n_results} expected")
    return {"name": vset["name"], "results": o.payloads, "accepted": i.accepted,
            "start_ns": cycles.start_ns}


@cocotb.test()
async def ocu_stream(dut):
    """Drive every vector set of the job through the unit and record what comes out."""
    with open(os.environ["EF_JOB"]) as f:
        job = json.load(f)
    start_clock(dut)
    for name in ("i_stream", "w_stream", "th_stream"):
        StreamSource(dut, name).init()
    StreamSink(dut, "o_stream").init()
    await reset(dut)
    out = []
    for vset in job["sets"]:
        max_cycles = 16 * (len(vset["windows"]) + 16)
        out.append(await _run_set(dut, vset, max_cycles))
    with open(os.environ["EF_RESULT"], "w") as f:
        json.dump({"sets": out}, f)
