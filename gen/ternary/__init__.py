"""The ternary family: output-channel units (ternary, binary) and the CUTIE-style engine.

Its plug-in to the flow: :data:`gen.ternary.family.FAMILY`.
"""
