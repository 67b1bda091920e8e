"""Ternary-network datapath generators (CUTIE-style unrolled convolution; Amaranth 0.5).

* :data:`TRIT` and the layouts of pixels and windows, :class:`TernaryMultiply` and
  :class:`TernaryProducts` (products to ``+1``/``-1`` lines, with silencing of zero operands),
  :class:`TritCheck` (illegal-code detection) -- :mod:`hw.ternary.trit`;
* :class:`PopCount` -- a balanced adder tree over one-bit lines;
* :class:`OCU` -- one output channel's whole ``k`` x ``k`` x ``n_i`` dot product per cycle,
  with its weight buffer, thresholds, optional 2x2 pooling and 0 to 2 pipeline stages;
* :class:`BinaryOCU` -- the XNOR-popcount binary counterpart, the baseline for "better than
  binary";
* :class:`TritPacker`, :class:`TritUnpacker` -- 5 trits per byte;
* :class:`SharedModule` -- one module emitted once and instantiated many times.

Every block is a :class:`amaranth.lib.wiring.Component`, validates its parameters on
construction and documents its latency. The specification is section 2 of the project's
REFERENCE.md (CUTIE, Scherer et al., IEEE TCAD 2022); the numpy golden model lives in
``sim_models`` and is not imported here.

Emitting N_O identical OCUs (plan for the engine)
-------------------------------------------------
Amaranth elaborates each component object separately and emits each submodule as a Verilog
module of its own, so an engine holding 96 :class:`OCU` submodules would convert the OCU 96 times
(3 to 4 s each for ``OCU(96, 3)``) and write 96 identical bodies. The engine instead takes
a hierarchy choice, :class:`TernaryEngine`'s ``shared`` flag:

* ``shared=True`` (for Verilog, :meth:`TernaryEngine.to_verilog`):
  ``SharedModule(OCU(...), name)`` converts one OCU under a module name derived from its
  parameters (``edgeforge_ocu_<n_i>_<k>_<storage>_p<pipeline>_<pooling>``), and the engine adds
  ``N_O`` of its :meth:`SharedModule.instance` cells (Amaranth :class:`~amaranth.hdl.Instance`,
  ports named after the OCU's signature members, ``clk``/``rst`` from the engine's domain),
  connected as OCUs would be. The file is the OCU's Verilog followed by the engine's (one
  ``module`` per distinct OCU configuration);
* ``shared=False`` (for Amaranth simulation): ordinary OCU submodules, because the simulator
  silently leaves instance outputs at 0.

Both produce the same ports and behaviour (tested); the shared Verilog is what goes to
synthesis and cocotb.
"""

from ._unit import Pooling
from .binary_ocu import BIT, BinaryOCU
from .codec import GROUP, VALID_BYTES, TritPacker, TritUnpacker
from .engine import TernaryEngine
from .linebuffer import LineBuffer, Padding
from .ocu import OCU
from .popcount import PopCount
from .shared import SharedModule
from .trit import (
    ILLEGAL_CODE,
    TRIT,
    TernaryMultiply,
    TernaryProducts,
    TritCheck,
    pixel_layout,
    window_layout,
)

__all__ = [
    "TRIT",
    "ILLEGAL_CODE",
    "BIT",
    "GROUP",
    "VALID_BYTES",
    "pixel_layout",
    "window_layout",
    "TernaryMultiply",
    "TernaryProducts",
    "TritCheck",
    "PopCount",
    "OCU",
    "BinaryOCU",
    "TritPacker",
    "TritUnpacker",
    "SharedModule",
    "LineBuffer",
    "Padding",
    "Pooling",
    "TernaryEngine",
]
