"""Golden model of the bit-serial digital compute-in-memory macro (REFERENCE.md 3).

Function. The macro stores ``rows x cols`` weights ``w[r][c]`` of ``wb`` bits and computes, for
an input vector ``x[r]`` of ``ib`` bits, one dot product per column,
``y[c] = sum_r x[r] * w[r][c]``, bit-serially:

* the input bits are split into **slices** (:meth:`CIMMacroModel.slices`), one per cycle:
  single bits in ``binary`` encoding; pairs of bits in ``fibbinary`` encoding. With signed
  inputs the sign bit ``ib - 1`` is always a slice of its own whose partial sum is negated
  (it weighs ``-2**(ib - 1)``); the remaining bits are paired from bit 0 up (the last slice is
  a single bit when their number is odd). Slices are applied in ascending bit position
  (``bit_order="lsb"``) or descending (``"msb"``);
* per slice ``s`` (the slice's bits as an unsigned number) and cell, the product: ``binary``:
  ``s * w`` (``s`` is one bit: an AND); ``fibbinary``: the bitwise OR of ``s << i`` over the set
  bits ``i`` of the weight's pattern (below the sign bit for signed weights), minus
  ``s << (wb - 1)`` when a signed weight's sign bit is set. For a fibbinary pattern the OR
  equals the product, so in both encodings the product is ``s * w``;
* approximate tree (``approx_bits = L > 0``): the ``L`` lowest bits of every product are
  dropped (two's-complement truncation: the product is floored to a multiple of ``2**L``);
* the adder tree sums the products of a column over the rows; the accumulator adds the sum,
  negated for the sign slice, at the slice's bit position: ``acc += term << pos``
  (``lsb``) or ``acc = (acc << width) + term`` (``msb``, Horner). ``y`` is the final ``acc``.

In exact mode ``y`` equals the integer dot product ``x @ w``; in fibbinary mode that holds for
weights on the fibbinary codebook (:mod:`.fibbinary`), which the model requires.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_bool, check_choice, check_int
from .fibbinary import is_fibbinary, pattern_of

__all__ = ["CIMMacroModel", "Slice", "slice_schedule", "ENCODINGS", "BIT_ORDERS"]

ENCODINGS = ("binary", "fibbinary")
BIT_ORDERS = ("lsb", "msb")


@dataclass(frozen=True)
class Slice:
    """One cycle's input bits: ``width`` bits from bit ``pos`` on; ``negate`` for the sign."""

    pos: int
    width: int
    negate: bool


def slice_schedule(ib: int, signed_inputs: bool, encoding: str, bit_order: str) -> tuple:
    """The slices of an ``ib``-bit input in the order they are applied (one per cycle)."""
    ib = check_int("Input bits", ib, 1, 8)
    signed_inputs = check_bool("Signed inputs", signed_inputs)
    encoding = check_choice("Encoding", encoding, ENCODINGS)
    bit_order = check_choice("Bit order", bit_order, BIT_ORDERS)
    step = 2 if encoding == "fibbinary" else 1
    plain = ib - 1 if signed_inputs else ib
    out = [Slice(pos, min(step, plain - pos), False) for pos in range(0, plain, step)]
    if signed_inputs:
        out.append(Slice(ib - 1, 1, True))
    return tuple(out if bit_order == "lsb" else reversed(out))


class CIMMacroModel:
    """Bit-serial MAC of the CIM macro, bit-exact to its definition (module docstring).

    Parameters
    ----------
    rows : int
        Rows (inputs per dot product), 1 to 1024.
    cols : int
        Columns (dot products), 1 to 256.
    wb : int
        Weight bits, 1 to 8.
    ib : int
        Input bits, 1 to 8.
    signed_inputs, signed_weights : bool
        Two's-complement inputs / weights.
    bit_order : {"lsb", "msb"}
        Order in which the input slices are applied.
    encoding : {"binary", "fibbinary"}
        Weight encoding (fibbinary: weights on the fibbinary codebook, 2 input bits a cycle).
    approx_bits : int
        Product bits dropped before the adder tree, 0 (exact) to ``wb - 1``.

    Raises
    ------
    TypeError, ValueError
        For a parameter of the wrong type or out of range.
    """

    def __init__(self, rows, cols, wb, ib, *, signed_inputs=False, signed_weights=False,
                 bit_order="lsb", encoding="binary", approx_bits=0):
        self.rows = check_int("Rows", rows, 1, 1024)
        self.cols = check_int("Cols", cols, 1, 256)
        self.wb = check_int("Weight bits", wb, 1, 8)
        self.ib = check_int("Input bits", ib, 1, 8)
        self.signed_inputs = check_bool("Signed inputs", signed_inputs)
        self.signed_weights = check_bool("Signed weights", signed_weights)
        self.bit_order = check_choice("Bit order", bit_order, BIT_ORDERS)
        self.encoding = check_choice("Encoding", encoding, ENCODINGS)
        self.approx_bits = check_int("Approx bits", approx_bits, 0, self.wb - 1, "wb - 1")
        self.slices = slice_schedule(self.ib, self.signed_inputs, self.encoding,
                                     self.bit_order)

    @property
    def cycles(self) -> int:
        """Compute cycles per input vector (one per slice)."""
        return len(self.slices)

    def input_range(self) -> tuple[int, int]:
        """Smallest and largest input value."""
        return _range(self.ib, self.signed_inputs)

    def weight_range(self) -> tuple[int, int]:
        """Smallest and largest weight value of the encoding's bit width."""
        return _range(self.wb, self.signed_weights)

    def output_range(self) -> tuple[int, int]:
        """Smallest and largest possible result (full range of ``rows`` products)."""
        (xl, xh), (wl, wh) = self.input_range(), self.weight_range()
        corners = [xl * wl, xl * wh, xh * wl, xh * wh]
        return self.rows * min(corners), self.rows * max(corners)

    # -- checks

    def check_inputs(self, x) -> np.ndarray:
        """``x`` as an int64 array of shape ``(N, rows)`` (a 1-D vector becomes ``N = 1``)."""
        arr = np.asarray(x)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"Inputs must be integers, not {arr.dtype}")
        arr = arr.astype(np.int64)
        if arr.ndim == 1:
            arr = arr[None]
        if arr.ndim != 2 or arr.shape[1] != self.rows:
            raise ValueError(f"Inputs must have shape (N, {self.rows}), not {np.shape(x)}")
        lo, hi = self.input_range()
        if arr.size and (arr.min() < lo or arr.max() > hi):
            raise ValueError(f"Inputs must be between {lo} and {hi} ({self.ib}-bit "
                             f"{'signed' if self.signed_inputs else 'unsigned'})")
        return arr

    def check_weights(self, w) -> np.ndarray:
        """``w`` as an int64 array of shape ``(..., rows, cols)``, on the codebook."""
        arr = np.asarray(w)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"Weights must be integers, not {arr.dtype}")
        arr = arr.astype(np.int64)
        if arr.shape[-2:] != (self.rows, self.cols):
            raise ValueError(f"Weights must have shape (..., {self.rows}, {self.cols}), not "
                             f"{arr.shape}")
        patterns = pattern_of(arr, self.wb, self.signed_weights)
        if self.encoding == "fibbinary":
            bad = ~np.asarray(is_fibbinary(patterns))
            if bad.any():
                idx = tuple(int(i) for i in np.argwhere(bad)[0])
                raise ValueError(
                    f"Weight {int(arr[idx])} at row {idx[-2]}, column {idx[-1]} is not on the "
                    f"{self.wb}-bit fibbinary codebook (pattern {int(patterns[idx]):0{self.wb}b}"
                    f" has adjacent ones); quantise with sim_models.cim.fibbinary.quantise")
        return arr

    # -- the bit-serial computation

    def products(self, s: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Cell products of slice values ``s`` (``(N, rows)``) with weights ``(rows, cols)``
        or ``(N, rows, cols)``; approximate truncation applied."""
        s = s[:, :, None]
        if self.encoding == "binary":
            p = s * w
        else:
            patt = pattern_of(w, self.wb, self.signed_weights)
            top = self.wb - 1 if self.signed_weights else self.wb
            p = np.zeros(np.broadcast_shapes(s.shape, patt.shape), dtype=np.int64)
            for i in range(top):
                p |= np.where(patt >> i & 1, s << i, 0)
            if self.signed_weights:
                p = p - np.where(patt >> (self.wb - 1) & 1, s << (self.wb - 1), 0)
        if self.approx_bits:
            p = p & ~((1 << self.approx_bits) - 1)
        return p

    def partial_sums(self, x, w) -> np.ndarray:
        """Adder-tree outputs per slice, ``(N, cycles, cols)``, in slice order.

        ``w`` is ``(rows, cols)``, or ``(N, cycles, rows, cols)`` for the weights in effect at
        each cycle of each vector (writes during compute)."""
        x = self.check_inputs(x)
        w = self.check_weights(w)
        if w.ndim == 2:
            w = np.broadcast_to(w, (x.shape[0], self.cycles, self.rows, self.cols))
        elif w.shape[:2] != (x.shape[0], self.cycles):
            raise ValueError(f"Per-cycle weights must have shape ({x.shape[0]}, {self.cycles}, "
                             f"{self.rows}, {self.cols}), not {w.shape}")
        bits = x & ((1 << self.ib) - 1)
        out = np.empty((x.shape[0], self.cycles, self.cols), dtype=np.int64)
        for j, sl in enumerate(self.slices):
            s = bits >> sl.pos & ((1 << sl.width) - 1)
            out[:, j] = self.products(s, w[:, j]).sum(axis=1)
        return out

    def __call__(self, x, w) -> np.ndarray:
        """Results ``(N, cols)`` for inputs ``(N, rows)`` and weights (see
        :meth:`partial_sums`)."""
        sums = self.partial_sums(x, w)
        acc = np.zeros((sums.shape[0], self.cols), dtype=np.int64)
        for j, sl in enumerate(self.slices):
            term = -sums[:, j] if sl.negate else sums[:, j]
            if self.bit_order == "lsb":
                acc = acc + (term << sl.pos)
            else:
                acc = (acc << sl.width) + term
        return acc


def _range(bits: int, signed: bool) -> tuple[int, int]:
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
