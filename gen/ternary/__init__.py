"""The ternary family: output-channel units (ternary, binary) and the CUTIE-style engine.

Its plug-in to the flow: :data:`gen.ternary.family.FAMILY` (designs and hooks), with the OCU
energy flow (:mod:`gen.ternary.ocu`), the engine's (:mod:`gen.ternary.engine`), the digits
network (:mod:`gen.ternary.digits`, :mod:`gen.ternary.digits_rtl`), the command line
(:mod:`gen.ternary.cli`) and the report sections (:mod:`gen.ternary.report`).
"""
