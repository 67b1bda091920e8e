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
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

PERIOD_NS = 10


async def _write(dut, stream: str, payload: int) -> None:
    """Offer one transfer on ``stream`` and hold it until it is taken (valid/ready)."""
    getattr(dut, f"{stream}__payload").value = payload
    getattr(dut, f"{stream}__valid").value = 1
    while True:
        await ReadOnly()
        taken = int(getattr(dut, f"{stream}__ready").value)
        await RisingEdge(dut.clk)
        if taken:
            break
    getattr(dut, f"{stream}__valid").value = 0


async def _run_set(dut, vset: dict, max_cycles: int) -> dict:
    """Load weights and thresholds, stream the windows back to back, collect every result."""
    for payload in vset["weights"]:
        await _write(dut, "w_stream", payload)
    await _write(dut, "th_stream", vset["thresholds"])
    windows = vset["windows"]
    ready = vset["ready"] or [1]
    n_results = vset["results"]
    results: list[int] = []
    accepted: list[int] = []
    sent = cycle = 0
    # the streaming loop starts on a rising edge: cycle c ends at start_ns + (c + 1) * PERIOD_NS
    start_ns = get_sim_time(unit="ns")
    while len(results) < n_results:
        if cycle > max_cycles:
            raise AssertionError(
                f"set {vset['name']}: timeout after {cycle} cycles, {sent} of {len(windows)} "
                f"windows accepted, {len(results)} of {n_results} results")
        # drive (writable phase, just after an edge)
        if sent < len(windows):
            dut.i_stream__payload.value = windows[sent]
            dut.i_stream__valid.value = 1
        else:
            dut.i_stream__valid.value = 0
        o_ready = ready[cycle % len(ready)]
        dut.o_stream__ready.value = o_ready
        # monitor (settled values before the edge decide the transfers)
        await ReadOnly()
        take_in = sent < len(windows) and int(dut.i_stream__ready.value)
        take_out = o_ready and int(dut.o_stream__valid.value)
        if take_out:
            results.append(int(dut.o_stream__payload.value))
        await RisingEdge(dut.clk)
        if take_in:
            accepted.append(cycle)
            sent += 1
        cycle += 1
    dut.i_stream__valid.value = 0
    dut.o_stream__ready.value = 0
    # nothing more may come out
    for _ in range(4):
        await ReadOnly()
        extra = int(dut.o_stream__valid.value)
        await RisingEdge(dut.clk)
        if extra:
            raise AssertionError(f"set {vset['name']}: o_stream offers a result beyond the "
                                 f"{n_results} expected")
    return {"name": vset["name"], "results": results, "accepted": accepted,
            "start_ns": start_ns}


@cocotb.test()
async def ocu_stream(dut):
    """Drive every vector set of the job through the unit and record what comes out."""
    with open(os.environ["EF_JOB"]) as f:
        job = json.load(f)
    cocotb.start_soon(Clock(dut.clk, PERIOD_NS, unit="ns").start())
    for name in ("i_stream", "w_stream", "th_stream"):
        getattr(dut, f"{name}__valid").value = 0
        getattr(dut, f"{name}__payload").value = 0
    dut.o_stream__ready.value = 0
    dut.rst.value = 1
    for _ in range(2):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    out = []
    for vset in job["sets"]:
        max_cycles = 16 * (len(vset["windows"]) + 16)
        out.append(await _run_set(dut, vset, max_cycles))
    with open(os.environ["EF_RESULT"], "w") as f:
        json.dump({"sets": out}, f)
