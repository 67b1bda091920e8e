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
from cocotb.triggers import ReadOnly, RisingEdge

from verif.stream import PERIOD_NS, Cycles, StreamSink, StreamSource, reset, start_clock

__all__ = ["PERIOD_NS", "cim_stream"]


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
    vectors = vset["vectors"]
    # a vector waiting in a gap is already on the payload (valid low)
    i = StreamSource(dut, "i_stream", valid=vset["gaps"], early_payload=True)
    o = StreamSink(dut, "o_stream", ready=vset["ready"])
    writes = {c: (row, payload) for c, row, payload in vset["writes"]}
    written = []
    cycles = Cycles(dut.clk, [i, o])
    i.extend(vectors)
    o.start()
    while o.count < len(vectors):
        cycle = cycles.cycle
        if cycle > max_cycles:
            raise AssertionError(f"set {vset['name']}: timeout after {cycle} cycles, {i.sent} "
                                 f"of {len(vectors)} vectors accepted, {o.count} results")
        wr = writes.get(cycle)
        dut.w_en.value = int(wr is not None)
        if wr is not None:
            dut.w_addr.value, dut.w_data.value = wr
        await cycles.step()
        if wr is not None:
            written.append([cycle, *wr])
    i.clear()
    o.stop()
    dut.w_en.value = 0
    if await o.monitor.offers(dut.clk, 4):
        raise AssertionError(f"set {vset['name']}: o_stream offers a result beyond the "
                             f"{len(vectors)} expected")
    return {"name": vset["name"], "readback": readback, "results": o.payloads,
            "accepted": i.accepted, "taken": o.cycles, "written": written,
            "start_ns": cycles.start_ns, "violations": o.monitor.violations}


@cocotb.test()
async def cim_stream(dut):
    """Drive every vector set of the job through the macro and record what comes out."""
    with open(os.environ["EF_JOB"]) as f:
        job = json.load(f)
    start_clock(dut)
    StreamSource(dut, "i_stream").init()
    StreamSink(dut, "o_stream").init()
    dut.w_en.value = dut.r_en.value = 0
    dut.w_addr.value = dut.r_addr.value = 0
    dut.w_data.value = 0
    await reset(dut)
    out = []
    for vset in job["sets"]:
        max_cycles = 20 * (len(vset["vectors"]) + 4) * job["cycles"]
        out.append(await _run_set(dut, vset, max_cycles))
    with open(os.environ["EF_RESULT"], "w") as f:
        json.dump({"sets": out}, f)
