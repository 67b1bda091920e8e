"""Digital compute-in-memory generators (bit-serial SRAM-style macro; Amaranth 0.5).

* :class:`CIMMacro` -- a ``rows`` x ``cols`` bit-cell array with a row write and read-back
  port, bit-serial inputs (1 or, with fibbinary weights, 2 bits per cycle), per-column adder
  trees (exact or truncated) and shift-accumulators, ``stream`` input and output.

The specification is section 3 of the project's REFERENCE.md (Fujiwara et al., ISSCC 2022;
the fibbinary encoding of the TU Eindhoven macro); the numpy golden model lives in
:mod:`sim_models.cim` and is not imported here.
"""

from .macro import BIT_ORDERS, ENCODINGS, STORAGES, CIMMacro, slices

__all__ = ["BIT_ORDERS", "ENCODINGS", "STORAGES", "CIMMacro", "slices"]
