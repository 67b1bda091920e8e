"""A plain per-vector cocotb loop, the baseline the streaming harness is measured against.

For each vector Python sets the inputs, waits for the combinational DUT to settle, reads the
output and compares it with the expected value: the way most cocotb testbenches are written.
Vectors come from an ``.npz`` file named by ``EF_VECTORS`` (arrays ``a``, ``b``, ``p`` of bit
patterns as Python ints); the count of checked vectors and mismatches goes to ``EF_RESULT``.
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np
from cocotb.triggers import Timer


@cocotb.test()
async def per_vector(dut):
    """Drive, settle, read and compare one vector at a time."""
    data = np.load(os.environ["EF_VECTORS"], allow_pickle=True)
    a, b, p = data["a"], data["b"], data["p"]
    mismatches = 0
    for x, y, expected in zip(a, b, p, strict=True):
        dut.a.value = int(x)
        dut.b.value = int(y)
        await Timer(1, unit="ns")
        if int(dut.p.value) != int(expected):
            mismatches += 1
    with open(os.environ["EF_RESULT"], "w") as f:
        json.dump({"checked": len(a), "mismatches": mismatches}, f)
