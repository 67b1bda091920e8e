"""Verification of the ternary family: the output-channel unit testbench (:mod:`.ocu`)."""
