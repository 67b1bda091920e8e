"""A fifth family from outside the project: an adder, its model and a workload, in a few lines.

It is found through ``EDGEFORGE_FAMILIES=toy_family:FAMILY`` (this folder on ``PYTHONPATH``),
as a family in another pip package would be through its entry point, and touches no shared
module (docs/architecture.md walks through it). ``TOY_BROKEN=1`` gives it a wrong golden
model, which the gate-level check must catch; ``TOY_BROKEN_WIDTHS=7,8`` only for those widths.
"""

from __future__ import annotations

import os

import numpy as np
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from gen.flow.bench import measure, repro
from gen.flow.cli_support import integer
from gen.flow.design import Design, Param
from gen.flow.family import EnergyOption, Family
from gen.flow.vectors import PERIOD_NS, Port, VectorStimulus


class Adder(wiring.Component):
    """``s = a + b`` for unsigned ``width``-bit operands, combinational."""

    def __init__(self, width: int):
        if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= 32:
            raise ValueError(f"Width must be an integer between 1 and 32, not {width!r}")
        self._width = width
        super().__init__({"a": In(width), "b": In(width), "s": Out(width + 1)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.s.eq(self.a + self.b)
        return m


def adder_model(width: int):
    """The golden model: the sum (off by one with ``TOY_BROKEN=1``)."""
    wrong = int(os.environ.get("TOY_BROKEN", "0"))
    if str(width) in os.environ.get("TOY_BROKEN_WIDTHS", "").split(","):
        wrong = 1
    return lambda a, b: np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64) + wrong


class AdderRun(VectorStimulus):
    """Energy per addition: the family's record fields."""

    def record(self, m) -> dict:
        return {"seed": self.key[2], "period_ns": float(PERIOD_NS), "ops": self.ops,
                "energy_per_op_fj": m.split["total_fj"]}


class ToyFamily(Family):
    name = "toy"
    title = "a toy adder (tests/flow)"
    designs = (Design("toy_adder", "toy", "unsigned adder, combinational",
                      (Param("width", int, 8, "1..32", "operand width in bits"),),
                      Adder, adder_model, lambda p: f"toy_adder_w{p['width']}"),)

    operation = "one addition"

    def energy_options(self):
        return (EnergyOption("--adds", {"type": integer(1, 4096),
                                        "help": "additions measured (1..4096, default 64)"}),)

    def energy(self, point, args, options):
        n, w = 64 if args.adds is None else args.adds, point.params["width"]
        a, b = np.random.default_rng(args.seed).integers(0, 1 << w, size=(2, n + 1))
        run = AdderRun(inputs=[Port("a", w, False), Port("b", w, False)],
                       outputs=[Port("s", w + 1, False)], stimulus={"a": a, "b": b},
                       expected={"s": point.model(a, b)}, latency=0, tag=f"add-s{args.seed}",
                       key=("toy-1", n, args.seed), repro=repro(point, "--adds", str(n)))
        return measure(point, run, options)


FAMILY = ToyFamily()
