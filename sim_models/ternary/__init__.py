"""Numpy golden models of the ternary convolution engine (REFERENCE.md 2, CUTIE-like).

- :mod:`.trits`: 2-bit trit codes and the 5-trits-per-byte packing;
- :mod:`.conv`: ternary convolution sums, pooling, thresholds, layers and networks;
- :mod:`.bn`: batch-norm folding into sign-corrected weights and integer thresholds;
- :mod:`.ocu`: the output-channel units (ternary and binary XNOR) of the engine.

Numpy only: nothing here imports the RTL generators or the simulators.
"""

from .bn import FoldedBatchNorm, fold_thresholds, ternarise
from .conv import (
    KERNEL_SIZES,
    PADDINGS,
    POOLINGS,
    STRIDES,
    TernaryLayer,
    TernaryNetwork,
    conv_output_size,
    pool,
    ternary_conv2d,
    threshold,
)
from .ocu import POOL_SIZE, BinaryOCUModel, OCUModel
from .trits import (
    ILLEGAL_CODE,
    TRIT_CODES,
    TRITS_PER_BYTE,
    VALID_BYTES,
    decode_trits,
    decode_trits_masked,
    encode_trits,
    pack_trits,
    packed_length,
    unpack_trits,
    unpack_trits_masked,
)

__all__ = [
    "ILLEGAL_CODE",
    "KERNEL_SIZES",
    "PADDINGS",
    "POOL_SIZE",
    "POOLINGS",
    "STRIDES",
    "TRITS_PER_BYTE",
    "TRIT_CODES",
    "VALID_BYTES",
    "BinaryOCUModel",
    "FoldedBatchNorm",
    "OCUModel",
    "TernaryLayer",
    "TernaryNetwork",
    "conv_output_size",
    "decode_trits",
    "decode_trits_masked",
    "encode_trits",
    "fold_thresholds",
    "pack_trits",
    "packed_length",
    "pool",
    "ternarise",
    "ternary_conv2d",
    "threshold",
    "unpack_trits",
    "unpack_trits_masked",
]
