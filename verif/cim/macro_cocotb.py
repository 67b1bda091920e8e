"""cocotb side of :mod:`verif.cim.macro`: driver and monitor of the CIM macro.

Runs inside the simulator. The job comes from the JSON file named by ``EF_JOB``: per vector set
the row payloads to write, the input vectors, an ``o_stream.ready`` pattern, input gaps and
writes to issue at given cycles of the streaming loop. What happened (rows read back, results,
the cycles at which vectors were accepted, results taken and writes transferred) goes to the
JSON file named by ``EF_RESULT``; :func:`verif.cim.macro.check_results` compares it with the
golden model outside the simulator.
"""

from __future__ import annotations

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

PERIOD_NS = 10


async def _write_rows(dut, rows: list[int]) -> None:
    for r, payload in enumerate(rows):
        dut.w_en.value = 1
        dut.w_addr.value = r
        dut.w_data.value = payload
        await RisingEdge(dut.clk)
    dut.w_en.value = 0


async def _read_rows(dut, n: int) -> list[int]:
    out = []
    for r in range(n):
        dut.r_en.value = 1
        dut.r_addr.value = r
        await RisingEdge(dut.clk)
        dut.r_en.value = 0
        await ReadOnly()
        out.append(int(dut.r_data.value))
        await RisingEdge(dut.clk)
    return out


async def _run_set(dut, vset: dict, max_cycles: int) -> dict:
    await _write_rows(dut, vset["rows"])
    readback = await _read_rows(dut, len(vset["rows"])) if vset["readback"] else []
    vectors, ready, gaps = vset["vectors"], vset["ready"] or [1], vset["gaps"] or [1]
    writes = {c: (row, payload) for c, row, payload in vset["writes"]}
    results, accepted, taken, written, violations = [], [], [], [], []
    sent = cycle = 0
    offering = False  # once valid is raised it stays until the transfer (stream rule)
    held = None  # (payload) offered on o_stream and not taken in the previous cycle
    start_ns = get_sim_time(unit="ns")
    while len(results) < len(vectors):
        if cycle > max_cycles:
            raise AssertionError(f"set {vset['name']}: timeout after {cycle} cycles, {sent} of "
                                 f"{len(vectors)} vectors accepted, {len(results)} results")
        offering = offering or (sent < len(vectors) and bool(gaps[cycle % len(gaps)]))
        offer = offering
        dut.i_stream__valid.value = int(offer)
        if sent < len(vectors):
            dut.i_stream__payload.value = vectors[sent]
        o_ready = ready[cycle % len(ready)]
        dut.o_stream__ready.value = o_ready
        wr = writes.get(cycle)
        dut.w_en.value = int(wr is not None)
        if wr is not None:
            dut.w_addr.value, dut.w_data.value = wr
        await ReadOnly()
        take_in = offer and int(dut.i_stream__ready.value)
        o_valid = int(dut.o_stream__valid.value)
        payload = int(dut.o_stream__payload.value) if o_valid else None
        if held is not None and payload != held:
            what = "changed its payload" if o_valid else "dropped valid"
            violations.append(f"cycle {cycle}: o_stream {what} before the result was taken")
        if o_ready and o_valid:
            results.append(payload)
            taken.append(cycle)
        held = payload if o_valid and not o_ready else None
        await RisingEdge(dut.clk)
        if take_in:
            accepted.append(cycle)
            sent += 1
            offering = False
        if wr is not None:
            written.append([cycle, *wr])
        cycle += 1
    dut.i_stream__valid.value = 0
    dut.o_stream__ready.value = 0
    dut.w_en.value = 0
    for _ in range(4):
        await ReadOnly()
        extra = int(dut.o_stream__valid.value)
        await RisingEdge(dut.clk)
        if extra:
            raise AssertionError(f"set {vset['name']}: o_stream offers a result beyond the "
                                 f"{len(vectors)} expected")
    return {"name": vset["name"], "readback": readback, "results": results,
            "accepted": accepted, "taken": taken, "written": written, "start_ns": start_ns,
            "violations": violations}


@cocotb.test()
async def cim_stream(dut):
    """Drive every vector set of the job through the macro and record what comes out."""
    with open(os.environ["EF_JOB"]) as f:
        job = json.load(f)
    cocotb.start_soon(Clock(dut.clk, PERIOD_NS, unit="ns").start())
    dut.i_stream__valid.value = 0
    dut.i_stream__payload.value = 0
    dut.o_stream__ready.value = 0
    dut.w_en.value = dut.r_en.value = 0
    dut.w_addr.value = dut.r_addr.value = 0
    dut.w_data.value = 0
    dut.rst.value = 1
    for _ in range(2):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    out = []
    for vset in job["sets"]:
        max_cycles = 20 * (len(vset["vectors"]) + 4) * job["cycles"]
        out.append(await _run_set(dut, vset, max_cycles))
    with open(os.environ["EF_RESULT"], "w") as f:
        json.dump({"sets": out}, f)
