"""Golden model of the R-Blocks-style CGRA (docs/cgra.md is the contract).

- :mod:`.fabric`: fabric description (FUs, IDs, network), validation, built-in fabrics;
- :mod:`.isa`: instruction fields, opcodes, encoder and decoder;
- :mod:`.config`: configuration bitstream layout, encoder, decoder and slot tracing;
- :mod:`.model`: the instruction-level, cycle-accurate :class:`CGRAModel`;
- :mod:`.kernels`: numpy references of the benchmark kernels;
- :mod:`.fabric_file`: load a fabric description (built-in name or TOML file);
- :mod:`.asm`: the PASM parser and assembler (``edgeforge asm``);
- :mod:`.route`: the mesh router (switchbox and input-slot configuration);
- :mod:`.programs`: the hand-scheduled kernels (``kernels/*.pasm``) and their data layouts.

Numpy and the standard library only: nothing here imports the RTL generators or the
simulators.
"""

from . import config, isa, kernels
from .fabric import BUILTINS, FU_TYPES, MUL_KINDS, Fabric, FUSpec, IDSpec
from .model import CGRAModel, Trace

__all__ = [
    "BUILTINS",
    "CGRAModel",
    "FU_TYPES",
    "MUL_KINDS",
    "FUSpec",
    "Fabric",
    "IDSpec",
    "Trace",
    "config",
    "isa",
    "kernels",
]
