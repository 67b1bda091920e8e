"""cocotb verification of the digital compute-in-memory macro (:mod:`hw.cim`)."""
