"""Trits: the 2-bit code, packed layouts, the ternary multiplier and illegal-code detection.

A trit ``t`` in ``{-1, 0, +1}`` is carried as its 2-bit two's-complement code, the shape
:data:`TRIT` = :py:`signed(2)`: ``+1 = 0b01``, ``0 = 0b00``, ``-1 = 0b11``. Read as a signed
value the code *is* the trit, so a testbench sets a trit port to ``-1``, ``0`` or ``1``. The
fourth code, ``0b10`` (the signed value ``-2``, :data:`ILLEGAL_CODE`), is illegal: every block
where trits enter flags it, and arithmetic treats it as 0.

Bit 0 of a code is the *nonzero* bit, bit 1 the *sign* bit (set for ``-1`` and for the illegal
code). The ternary product ``a * w`` is formed from these bits alone:

* ``pos = nz(a) & nz(w) & ~(sign(a) ^ sign(w))`` -- the product is ``+1``;
* ``neg = nz(a) & nz(w) &  (sign(a) ^ sign(w))`` -- the product is ``-1``.

The two nonzero bits gate both lines in the first gate level ("silencing"): while either
operand is 0 the lines stay at 0 whatever the other operand does, so a zero activation or a
zero weight stops the switching of everything downstream (the popcount trees). An illegal code
has its nonzero bit clear and is silenced the same way.

Windows and weight words are nested :class:`~amaranth.lib.data.ArrayLayout` of :data:`TRIT`:
:func:`pixel_layout` (``n_i`` input channels), :func:`window_layout` (``[ky][kx][ci]``), packed
with ``[0][0][0]`` in the lowest bits; flat index ``(ky * k + kx) * n_i + ci`` is trit ``i`` of
the packed vector.
"""

from amaranth.hdl import Module, Value, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ._common import MAX_N, check_int

__all__ = [
    "TRIT",
    "ILLEGAL_CODE",
    "TRIT_CODES",
    "trit_code",
    "code_value",
    "pixel_layout",
    "window_layout",
    "nonzero_bits",
    "sign_bits",
    "illegal_bits",
    "TernaryMultiply",
    "TernaryProducts",
    "TritCheck",
]

#: Shape of one trit code: two's complement, ``+1 = 0b01``, ``0 = 0b00``, ``-1 = 0b11``.
TRIT = signed(2)

#: The illegal code ``0b10`` as a value of :data:`TRIT` (``-2``).
ILLEGAL_CODE = -2

#: Unsigned 2-bit code of each trit value.
TRIT_CODES = {-1: 0b11, 0: 0b00, 1: 0b01}


def trit_code(value):
    """Unsigned 2-bit code of the trit ``value`` (``-1``, ``0`` or ``1``)."""
    return TRIT_CODES[value]


def code_value(code):
    """Trit value of an unsigned 2-bit ``code``; :py:`None` for the illegal code ``0b10``."""
    return {0b00: 0, 0b01: 1, 0b11: -1}.get(code)


def pixel_layout(n_i):
    """Layout of one pixel (or one weight word): ``n_i`` trits, channel 0 in the lowest bits."""
    return data.ArrayLayout(TRIT, n_i)


def window_layout(n_i, k):
    """Layout of a ``k`` x ``k`` window of ``n_i``-channel pixels, indexed ``[ky][kx][ci]``."""
    return data.ArrayLayout(data.ArrayLayout(pixel_layout(n_i), k), k)


def nonzero_bits(codes):
    """Nonzero bit of every code of the packed trit vector ``codes`` (bit ``i``: trit ``i``)."""
    return Value.cast(codes)[0::2]


def sign_bits(codes):
    """Sign bit of every code of the packed trit vector ``codes``."""
    return Value.cast(codes)[1::2]


def illegal_bits(codes):
    """Illegal flag of every code of the packed trit vector ``codes`` (code ``0b10``)."""
    return sign_bits(codes) & ~nonzero_bits(codes)


class TernaryProducts(wiring.Component):
    """``n`` ternary products, each to a ``+1`` line and a ``-1`` line (element-wise).

    ``pos[i]`` is set when ``a[i] * w[i] == +1`` and ``neg[i]`` when it is ``-1``; both are 0
    when either operand is 0 or illegal (see the module documentation for the gate structure
    and silencing). Illegal codes are not flagged here; :class:`TritCheck` does that where trits
    enter. Purely combinational, three gate levels (XOR, AND, AND).

    The operands are packed code vectors, trit ``i`` in bits ``2 * i + 1 : 2 * i`` -- the
    packing of :py:`ArrayLayout(TRIT, n)`, so a view of that layout connects through
    :py:`Value.cast`. Plain vectors rather than views keep thousands of per-element debug
    wires out of the netlist.

    Parameters
    ----------
    n : :class:`int`
        Number of products, 1 to 65536.

    Members
    -------
    a : :py:`In(2 * n)`
        Activation codes.
    w : :py:`In(2 * n)`
        Weight codes.
    pos : :py:`Out(n)`
        ``+1`` lines.
    neg : :py:`Out(n)`
        ``-1`` lines.

    Raises
    ------
    :exc:`TypeError`
        If ``n`` is not an integer.
    :exc:`ValueError`
        If ``n`` is out of range.
    """

    def __init__(self, n):
        check_int("N", n, 1, MAX_N)
        self._n = n
        super().__init__({"a": In(2 * n), "w": In(2 * n), "pos": Out(n), "neg": Out(n)})

    @property
    def n(self):
        """Number of products."""
        return self._n

    def elaborate(self, platform):
        m = Module()
        both = nonzero_bits(self.a) & nonzero_bits(self.w)
        differ = sign_bits(self.a) ^ sign_bits(self.w)
        m.d.comb += [
            self.pos.eq(both & ~differ),
            self.neg.eq(both & differ),
        ]
        return m


class TernaryMultiply(wiring.Component):
    """One ternary product to its two one-hot lines, with illegal-code detection.

    ``pos`` is set when ``a * w == +1``, ``neg`` when ``a * w == -1``; both are 0 when the
    product is 0. A zero (or illegal) operand keeps both lines at 0 whatever the other operand
    is (silencing). ``illegal`` is set when either operand is the illegal code ``0b10``.
    Purely combinational.

    Members
    -------
    a : :py:`In(TRIT)`
        Activation.
    w : :py:`In(TRIT)`
        Weight.
    pos : :py:`Out(1)`
        The product is ``+1``.
    neg : :py:`Out(1)`
        The product is ``-1``.
    illegal : :py:`Out(1)`
        ``a`` or ``w`` is the illegal code.
    """

    def __init__(self):
        super().__init__({
            "a": In(TRIT),
            "w": In(TRIT),
            "pos": Out(1),
            "neg": Out(1),
            "illegal": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.products = products = TernaryProducts(1)
        m.d.comb += [
            products.a.eq(self.a),
            products.w.eq(self.w),
            self.pos.eq(products.pos),
            self.neg.eq(products.neg),
            self.illegal.eq(illegal_bits(self.a) | illegal_bits(self.w)),
        ]
        return m


class TritCheck(wiring.Component):
    """Illegal-code detector over ``n`` trit codes.

    ``mask[i]`` is set when trit ``i`` is the illegal code ``0b10``; ``illegal`` is the OR of
    ``mask``. Purely combinational: one gate per trit and an OR tree of depth
    ``ceil(log2(n))``. ``trits`` is a packed code vector as for :class:`TernaryProducts`.

    Parameters
    ----------
    n : :class:`int`
        Number of trits, 1 to 65536.

    Members
    -------
    trits : :py:`In(2 * n)`
        Codes to check, trit ``i`` in bits ``2 * i + 1 : 2 * i``.
    mask : :py:`Out(n)`
        Per-trit illegal flags.
    illegal : :py:`Out(1)`
        At least one code is illegal.

    Raises
    ------
    :exc:`TypeError`
        If ``n`` is not an integer.
    :exc:`ValueError`
        If ``n`` is out of range.
    """

    def __init__(self, n):
        check_int("N", n, 1, MAX_N)
        self._n = n
        super().__init__({"trits": In(2 * n), "mask": Out(n), "illegal": Out(1)})

    @property
    def n(self):
        """Number of trits checked."""
        return self._n

    def elaborate(self, platform):
        m = Module()
        m.d.comb += [
            self.mask.eq(illegal_bits(self.trits)),
            self.illegal.eq(self.mask.any()),
        ]
        return m
