"""cocotb verification of the CGRA fabric (:mod:`hw.cgra`): driver, monitor, checker."""
