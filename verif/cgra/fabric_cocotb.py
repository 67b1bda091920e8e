"""cocotb side of :mod:`verif.cgra.fabric`: driver and monitor of a CGRA fabric.

Runs inside the simulator and touches only the fabric's top-level ports (docs/cgra.md), so the
same bench drives the RTL and the synthesised netlist. The job comes from the JSON file named
by ``EF_JOB``: the configuration bits in scan order, the instruction words, the scratchpad
words to preload and how many words of each scratchpad to read back. What happened (every
executed row's address and FU outputs, the memories read back, the simulation times of the
start pulse and of the end of the run) goes to the JSON file named by ``EF_RESULT``;
:func:`verif.cgra.fabric.check` compares it with the golden model outside the simulator.
"""

from __future__ import annotations

import json
import os

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

from verif.stream import PERIOD_NS, reset, start_clock

__all__ = ["PERIOD_NS", "cgra_run"]


async def _scan(dut, bits: str) -> None:
    """Shift the configuration in, bit 0 first."""
    dut.cfg_shift.value = 1
    for b in bits:
        dut.cfg_in.value = int(b)
        await RisingEdge(dut.clk)
    dut.cfg_shift.value = 0
    dut.cfg_in.value = 0


async def _write_imem(dut, words: list) -> None:
    for ident, addr, word in words:
        dut.imem_we.value = 1
        dut.imem_id.value = ident
        dut.imem_addr.value = addr
        dut.imem_data.value = word
        await RisingEdge(dut.clk)
    dut.imem_we.value = 0


async def _write_mem(dut, words: list) -> None:
    for lsu, addr, word in words:
        dut.mem_we.value = 1
        dut.mem_lsu.value = lsu
        dut.mem_addr.value = addr
        dut.mem_wdata.value = word
        await RisingEdge(dut.clk)
    dut.mem_we.value = 0


async def _read_mem(dut, lsu: int, n: int) -> list[int]:
    out = []
    dut.mem_lsu.value = lsu
    for addr in range(n):
        dut.mem_addr.value = addr
        await RisingEdge(dut.clk)
        await ReadOnly()
        out.append(int(dut.mem_rdata.value))
        await RisingEdge(dut.clk)
    return out


@cocotb.test()
async def cgra_run(dut):
    """Configure the fabric, load the program and data, run it to ``halt``, read back."""
    with open(os.environ["EF_JOB"]) as f:
        job = json.load(f)
    start_clock(dut)
    for name in ("cfg_in", "cfg_shift", "imem_we", "imem_id", "imem_addr", "imem_data",
                 "mem_we", "mem_lsu", "mem_addr", "mem_wdata", "start"):
        getattr(dut, name).value = 0
    await reset(dut)
    await _scan(dut, job["cfg_bits"])
    await _write_imem(dut, job["imem"])
    await _write_mem(dut, job["mem"])
    await RisingEdge(dut.clk)

    dut.start.value = 1
    start_ns = get_sim_time(unit="ns")
    await RisingEdge(dut.clk)
    dut.start.value = 0
    rows, waited, done = [], 0, False
    while waited < job["max_cycles"]:
        await ReadOnly()
        if int(dut.exec_valid.value):
            rows.append([int(dut.exec_pc.value), str(dut.fu_out.value)])
        if int(dut.done.value):
            done = True
            break
        await RisingEdge(dut.clk)
        waited += 1
    end_ns = get_sim_time(unit="ns")
    busy_after = int(dut.busy.value)
    await RisingEdge(dut.clk)
    memories = {}
    for lsu, n in job["readback"]:
        memories[str(lsu)] = await _read_mem(dut, lsu, n)
    with open(os.environ["EF_RESULT"], "w") as f:
        json.dump({"rows": rows, "done": done, "busy_after_done": busy_after,
                   "waited": waited, "start_ns": start_ns, "end_ns": end_ns,
                   "memories": memories}, f)
