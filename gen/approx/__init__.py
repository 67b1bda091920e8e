"""The approximate-multiplier family: exact, DRUM and ROUP multipliers.

Its plug-in to the flow: :data:`gen.approx.family.FAMILY`.
"""
