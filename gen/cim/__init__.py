"""The compute-in-memory family: the bit-serial digital CIM macro.

Its plug-in to the flow: :data:`gen.cim.family.FAMILY`.
"""
