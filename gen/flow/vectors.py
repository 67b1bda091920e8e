"""A stimulus for any fixed-latency block with data ports: one vector per clock, every result
checked in HDL (:class:`verif.harness.VectorHarness`).

A family whose block takes operands on input ports and returns results a fixed number of
cycles later (a multiplier, an adder, a MAC) measures energy per operation with
:class:`VectorStimulus` and a few lines: the ports, the operand arrays, the golden model's
expected results and its own record fields. ``ops + 1`` vectors are simulated; the window
covers the ``ops`` clock periods from the second vector on, so that every measured operation
switches from the previous one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from verif.harness import PERIOD_NS, Port, VectorHarness, vector_time

from .bench import BenchOptions, EnergyError, GateLevel, Stimulus, module_sources
from .cache import content_key

__all__ = ["VectorStimulus", "Port", "PERIOD_NS", "MAX_OPS"]

MAX_OPS = 1 << 16


class VectorStimulus(Stimulus):
    """``ops + 1`` vectors through the gate-level netlist, one per clock.

    Parameters
    ----------
    inputs, outputs
        The block's data ports (:class:`verif.harness.Port`: name, width, signedness).
    stimulus, expected
        Arrays of ``ops + 1`` values per input port and per output port (the golden model's).
    latency
        Cycles from operands to result (0: combinational, no clock).
    tag, key, repro
        As for :class:`gen.flow.bench.Stimulus`.

    Raises
    ------
    ValueError
        Arrays of different lengths, or fewer than 2 or more than ``MAX_OPS + 1`` vectors.
    """

    def __init__(self, *, inputs: Sequence[Port], outputs: Sequence[Port],
                 stimulus: Mapping[str, object], expected: Mapping[str, object], latency: int,
                 tag: str, key: tuple, repro: str):
        lengths = {len(np.asarray(v).ravel()) for v in (*stimulus.values(), *expected.values())}
        if len(lengths) != 1 or not 2 <= min(lengths) <= MAX_OPS + 1:
            raise ValueError(f"vectors must be arrays of one length between 2 and "
                             f"{MAX_OPS + 1}, not of lengths {sorted(lengths)}")
        self.inputs, self.outputs, self.latency = tuple(inputs), tuple(outputs), latency
        self.stimulus = {k: np.asarray(v, dtype=object) for k, v in stimulus.items()}
        self.expected = {k: np.asarray(v, dtype=object) for k, v in expected.items()}
        self.count = lengths.pop()
        # the workload and the golden model's results are part of the cache key
        digest = content_key(repr(a.tolist()) for a in (*self.stimulus.values(),
                                                        *self.expected.values()))
        self.tag, self.key, self.repro = tag, (*key, digest), repro
        self.test_module = "verif.harness_cocotb"

    def key_parts(self) -> tuple:
        """The key and the digest of the vectors (there is no JSON job)."""
        return self.key

    def bench_source(self) -> bytes:
        """The harness' cocotb test and the module that writes its Verilog wrapper."""
        return super().bench_source() + b"".join(module_sources("verif.harness"))

    @property
    def ops(self) -> int:
        """Operations in the window: every vector after the first."""
        return self.count - 1

    def simulate(self, gl: GateLevel, options: BenchOptions, vcd: Path) -> tuple[dict, str]:
        harness = VectorHarness(
            top=gl.point.module, sources=[gl.netlist_path, gl.models], inputs=self.inputs,
            outputs=self.outputs, latency=self.latency, clocked=self.latency > 0,
            depth=MAX_OPS + 1, build_dir=gl.root / "gate", sim=options.sim, lanes=1,
            activity=True)
        options.note(f"gate-level simulation ({options.sim}, {self.count} vectors)")
        try:
            r = harness.run(self.stimulus, self.expected, tag=self.tag, dump=vcd)
        except RuntimeError as e:
            raise EnergyError(f"gate-level simulation of {gl.point.module} failed: {e}") \
                from None
        return {"result": r, "module": gl.point.module, "netlist": str(gl.netlist_path)}, \
            "ef_harness.dut0"

    def check(self, obs: dict) -> int:
        r = obs["result"]
        if r.mismatches:
            i = r.first_index
            operands = " ".join(f"{p.name}={self.stimulus[p.name][i]}" for p in self.inputs)
            want = " ".join(f"{p.name}={self.expected[p.name][i]}" for p in self.outputs)
            got = " ".join(f"{p.name}={r.first_got.get(p.name)}" for p in self.outputs)
            raise EnergyError(
                f"the gate-level netlist of {obs['module']} ({obs['netlist']}) disagrees with the "
                f"golden model on "
                f"{r.mismatches} of {r.checked} vectors; first #{i}: {operands} expected "
                f"{want} got {got}; reproduce: {self.repro}")
        if r.checked != self.count:
            raise EnergyError(f"gate-level simulation of {obs['module']} checked {r.checked} of "
                              f"{self.count} vectors")
        return r.checked

    def window(self, obs: dict) -> tuple[float, float, int]:
        start = vector_time(1) - PERIOD_NS / 2
        return start, start + self.ops * PERIOD_NS, self.ops
