"""R-Blocks-style CGRA generator (Amaranth 0.5; docs/cgra.md is the contract).

* :class:`CGRA` -- the whole fabric from a normalised fabric description
  (``sim_models.cgra.fabric.Fabric.to_dict()``): FUs, instruction decoders, control network,
  data network (crossbar or mesh with switchboxes) and the configuration scan chain;
* function units :class:`ALU`, :class:`MUL` (exact / DRUM / ROUP from :mod:`hw.approx`),
  :class:`LSU` (scratchpad and host port), :class:`RF`, :class:`IU`, :class:`ABU` (program
  counter, branches with two delay slots, loop counter, run control), all on the port contract
  of :class:`FunctionUnit`;
* :class:`InstructionDecoder` -- one ID: instruction memory and fetch/decode registers;
* :class:`SlotMux`, :class:`Switchbox`, :class:`ControlMux` -- the networks.

Every block is a :class:`amaranth.lib.wiring.Component` and validates its parameters on
construction. The golden model is ``sim_models.cgra`` (not imported here).
"""

from .abu import ABU
from .alu import ALU
from .decoder import OPCODES, FunctionUnit, InstructionDecoder, instruction_layout
from .fabric import CGRA
from .iu import IU
from .lsu import LSU
from .mul import MUL
from .network import ControlMux, SlotMux, Switchbox, tin
from .rf import RF

__all__ = [
    "ABU", "ALU", "CGRA", "IU", "LSU", "MUL", "OPCODES", "RF", "ControlMux", "FunctionUnit",
    "InstructionDecoder", "SlotMux", "Switchbox", "instruction_layout", "tin",
]
