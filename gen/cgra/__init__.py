"""Assembler side of the R-Blocks-style CGRA (docs/cgra.md).

* :mod:`gen.cgra.fabric` -- load a fabric description (built-in name or TOML file).
* :mod:`gen.cgra.asm` -- the PASM parser and assembler (``edgeforge asm``).
* :mod:`gen.cgra.route` -- the mesh router (switchbox and input-slot configuration).
* :mod:`gen.cgra.kernels` -- hand-scheduled kernels and their data layouts.
"""
