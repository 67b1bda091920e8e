"""cocotb side of :mod:`verif.harness`: wait for ``done``, then write the counters.

The wrapper makes its own clock and reset, so no Python runs while the vectors stream through.

Runs inside the simulator. Parameters arrive through the environment (``EF_RESULT``,
``EF_TIMEOUT_NS``, ``EF_OUTPUTS``) because the wrapper has no Verilog parameters to carry them.
"""

from __future__ import annotations

import json
import os

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge, SimTimeoutError, with_timeout

PERIOD_NS = 10


def _signed(pattern: int, width: int) -> int:
    return pattern - (1 << width) if pattern >> (width - 1) & 1 else pattern


@cocotb.test()
async def run_vectors(dut):
    """Stream every vector through the DUT and record mismatch counters."""
    result_path = os.environ["EF_RESULT"]
    timeout_ns = int(os.environ["EF_TIMEOUT_NS"])
    outputs = json.loads(os.environ["EF_OUTPUTS"])
    done = True
    try:
        if not (dut.done.value.is_resolvable and int(dut.done.value)):
            await with_timeout(RisingEdge(dut.done), timeout_ns, "ns")
    except SimTimeoutError:
        done = False
    await ReadOnly()
    mismatches = int(dut.mismatches.value)
    first_got = {}
    if mismatches:
        for name, width, signed in outputs:
            value = getattr(dut, f"first_{name}").value
            if not value.is_resolvable:  # X or Z bits (4-state simulators): keep them visible
                first_got[name] = str(value)
                continue
            pattern = int(value)
            first_got[name] = _signed(pattern, width) if signed else pattern
    result = {
        "done": done,
        "checked": int(dut.checked.value),
        "mismatches": mismatches,
        "first_index": int(dut.first_index.value),
        "first_got": first_got,
    }
    with open(result_path, "w") as f:
        json.dump(result, f)
