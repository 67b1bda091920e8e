"""Numpy golden models of the bit-serial digital compute-in-memory macro (REFERENCE.md 3).

- :mod:`.fibbinary`: fibbinary patterns, codebooks and the nearest-level quantiser;
- :mod:`.macro`: the bit-serial MAC (slices, products, approximate tree, accumulator);
- :mod:`.errors`: error metrics of the approximate adder tree.

Numpy only: nothing here imports the RTL generators or the simulators.
"""

from .errors import tree_errors
from .fibbinary import (
    codebook,
    fibbinary_patterns,
    fibonacci,
    is_fibbinary,
    pattern_of,
    quantise,
    value_of,
)
from .macro import BIT_ORDERS, ENCODINGS, CIMMacroModel, Slice, slice_schedule

__all__ = [
    "BIT_ORDERS",
    "ENCODINGS",
    "CIMMacroModel",
    "Slice",
    "codebook",
    "fibbinary_patterns",
    "fibonacci",
    "is_fibbinary",
    "pattern_of",
    "quantise",
    "slice_schedule",
    "tree_errors",
    "value_of",
]
