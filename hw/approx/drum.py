"""DRUM: Dynamic Range Unbiased Multiplier (Hashemi, Bahar and Reda, ICCAD 2015).

Each operand is reduced to its ``k`` most significant bits starting at its leading one, with the
lowest kept bit forced to 1 (the unbiasing bit); the two ``k``-bit values are multiplied exactly
and the product is shifted back into place. The hardware follows the paper's structure, one
submodule per block so that a synthesis flow keeping the hierarchy reports each block's area:
per operand a leading-one detector (``lod_a``, ``lod_b``), a priority encoder (``enc_a``,
``enc_b``) and a bit-selection multiplexer (``sel_a``, ``sel_b``); one ``k`` x ``k`` exact
multiplier (``mul``) and one barrel shifter (``shift``). Sign handling, for signed operands,
is in the top module.
"""

from amaranth.hdl import Cat, Const, Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for, ceil_log2

from ._common import Multiplier, check_bool, check_choice, check_int, check_latency
from .exact import ExactMultiplier

__all__ = ["DRUM", "LeadingOneDetector", "PriorityEncoder", "OperandSelector", "BarrelShifter"]


class LeadingOneDetector(wiring.Component):
    """Leading-one detector.

    ``onehot`` has exactly the most significant set bit of ``x`` set, or is 0 when ``x`` is 0.
    Purely combinational, logarithmic depth.

    Parameters
    ----------
    width : :class:`int`
        Width of ``x``, at least 1.

    Members
    -------
    x : :py:`In(width)`
        Operand.
    onehot : :py:`Out(width)`
        One-hot position of the leading one of ``x``.
    """

    def __init__(self, width):
        self._width = width
        super().__init__({"x": In(width), "onehot": Out(width)})

    @property
    def width(self):
        return self._width

    def elaborate(self, platform):
        m = Module()
        # above[i] = OR of x[i:], by a parallel-prefix OR from the most significant bit down.
        # Each stage is a Signal: reusing an expression would copy its whole tree into the
        # netlist (Yosys merges the copies, event-driven simulators evaluate every one).
        above = self.x
        span = 1
        while span < self._width:
            stage = Signal(self._width, name=f"above{span}")
            m.d.comb += stage.eq(above | (above >> span))
            above = stage
            span *= 2
        m.d.comb += self.onehot.eq(self.x & ~(above >> 1))
        return m


class PriorityEncoder(wiring.Component):
    """Encoder of a one-hot vector into the index of its set bit.

    ``index`` is ``i`` when only bit ``i`` of ``onehot`` is set, and 0 when no bit is set. The
    result for several set bits is unspecified. Purely combinational.

    Parameters
    ----------
    width : :class:`int`
        Width of ``onehot``, at least 1.

    Members
    -------
    onehot : :py:`In(width)`
        One-hot input.
    index : :py:`Out(max(1, ceil_log2(width)))`
        Index of the set bit.
    """

    def __init__(self, width):
        self._width = width
        self._index_width = max(1, ceil_log2(width))
        super().__init__({"onehot": In(width), "index": Out(self._index_width)})

    @property
    def width(self):
        return self._width

    @property
    def index_width(self):
        return self._index_width

    def elaborate(self, platform):
        m = Module()
        bits = []
        for bit in range(self._index_width):
            mask = sum(1 << i for i in range(self._width) if (i >> bit) & 1)
            bits.append((self.onehot & mask).any())
        m.d.comb += self.index.eq(Cat(*bits))
        return m


class OperandSelector(wiring.Component):
    """DRUM operand reduction: selects ``k`` bits from the leading one down.

    With ``t`` the index of the leading one of ``x``: when ``t < k`` (including ``x == 0``),
    ``m = x`` and ``s = 0``; otherwise ``s = t - (k - 1)`` and ``m = (x >> s) | 1``, the ``k``
    bits from the leading one down with the lowest bit forced to 1. A multiplexer over the
    possible windows, controlled by ``t``. Purely combinational.

    Parameters
    ----------
    width : :class:`int`
        Width of ``x``, at least 1.
    k : :class:`int`
        Number of kept bits, at least 1.

    Members
    -------
    x : :py:`In(width)`
        Operand (non-negative).
    t : :py:`In(max(1, ceil_log2(width)))`
        Index of the leading one of ``x``, 0 when ``x`` is 0.
    m : :py:`Out(k)`
        Kept bits.
    s : :py:`Out(bits_for(max(0, width - k)))`
        Weight exponent of ``m``.
    """

    def __init__(self, width, k):
        self._width = width
        self._k = k
        self._max_shift = max(0, width - k)
        super().__init__({
            "x": In(width),
            "t": In(max(1, ceil_log2(width))),
            "m": Out(k),
            "s": Out(bits_for(self._max_shift)),
        })

    @property
    def width(self):
        return self._width

    @property
    def k(self):
        return self._k

    @property
    def max_shift(self):
        """Largest value of ``s``, ``max(0, width - k)``."""
        return self._max_shift

    def elaborate(self, platform):
        m = Module()
        k = self._k
        with m.Switch(self.t):
            for t in range(k, self._width):
                shift = t - (k - 1)
                with m.Case(t):
                    m.d.comb += [
                        self.m.eq(Cat(Const(1, 1), self.x[shift + 1:t + 1])),
                        self.s.eq(shift),
                    ]
            with m.Default():
                m.d.comb += [self.m.eq(self.x), self.s.eq(0)]
        return m


class BarrelShifter(wiring.Component):
    """Left shift by the sum of two amounts.

    ``o = (x << (sa + sb)) mod 2**o_width``: the shift-amount adder followed by a logarithmic
    barrel shifter. Purely combinational.

    Parameters
    ----------
    width : :class:`int`
        Width of ``x``.
    amount_width : :class:`int`
        Width of ``sa`` and ``sb``.
    o_width : :class:`int`
        Width of ``o``.

    Members
    -------
    x : :py:`In(width)`
        Value to shift.
    sa, sb : :py:`In(amount_width)`
        Shift amounts.
    o : :py:`Out(o_width)`
        Shifted value.
    """

    def __init__(self, width, amount_width, o_width):
        self._width = width
        self._amount_width = amount_width
        self._o_width = o_width
        super().__init__({
            "x": In(width),
            "sa": In(amount_width),
            "sb": In(amount_width),
            "o": Out(o_width),
        })

    @property
    def o_width(self):
        return self._o_width

    def elaborate(self, platform):
        m = Module()
        amount = Signal(self._amount_width + 1, name="amount")
        m.d.comb += [
            amount.eq(self.sa + self.sb),
            self.o.eq(self.x << amount),
        ]
        return m


class DRUM(Multiplier):
    """DRUM_k approximate multiplier (Hashemi, Bahar and Reda, ICCAD 2015).

    Unsigned operation, per operand ``x``: if ``x < 2**k`` (including 0) it is used exactly;
    otherwise, with ``t`` the index of its leading one and ``s = t - (k - 1)``, it is replaced
    by ``m << s`` with ``m = (x >> s) | 1``. The product is ``(m_a * m_b) << (s_a + s_b)``,
    computed by one ``k`` x ``k`` exact multiplier and one barrel shifter; it never overflows
    ``2 * width`` bits. Bit-exact with the reference RTL of scale-lab/DRUM (unsigned, and signed
    with ``sign_mode="ones"``).

    Signed operation, selected by ``sign_mode``:

    * ``"twos"``: the unsigned DRUM is applied to the two's-complement magnitudes ``|a|`` and
      ``|b|``; the result is negated (two's complement) when exactly one operand is negative.
    * ``"ones"`` (as the parametric upstream ``DRUMk_M_N_s.v``): a negative operand's magnitude
      is its bitwise complement ``~x = -x - 1``; when exactly one operand is negative the result
      is the bitwise complement of the unsigned ``2 * width``-bit product ``r``, i.e.
      ``-r - 1``.

    ``sign_mode`` is validated and reported for unsigned multipliers too, where it has no
    effect.

    Submodules: ``lod_a``/``lod_b`` (:class:`LeadingOneDetector`), ``enc_a``/``enc_b``
    (:class:`PriorityEncoder`), ``sel_a``/``sel_b`` (:class:`OperandSelector`), ``mul``
    (:class:`~hw.approx.ExactMultiplier`, ``k`` bits, ``arch="array"``) and ``shift``
    (:class:`BarrelShifter`); magnitude and sign logic sits in the top module. With
    ``sign_mode="ones"`` the magnitudes are ``width - 1`` bits wide and so is the per-operand
    logic.

    Latency and throughput: with ``latency=0`` the multiplier is purely combinational and uses
    no clock domain. With ``latency`` of 1 or 2, ``p`` is registered that many times in the
    ``sync`` domain (reset-less registers): the product of the operands present at active clock
    edge ``t`` is visible on ``p`` after edge ``t + latency - 1``. New operands are accepted every
    cycle.

    Parameters
    ----------
    width : :class:`int`
        Width of each operand, 4 to 64.
    k : :class:`int`
        Number of bits kept per operand, 3 to ``width - 1``.
    signed : :class:`bool`
        Two's-complement (:py:`True`) or unsigned (:py:`False`) operands and product.
    sign_mode : :class:`str`
        ``"twos"`` or ``"ones"``, see above.
    latency : :class:`int`
        Number of output register stages, 0 to 2.

    Members
    -------
    a : :py:`In(signed(width))` or :py:`In(unsigned(width))`
        Multiplicand.
    b : :py:`In(signed(width))` or :py:`In(unsigned(width))`
        Multiplier.
    p : :py:`Out(signed(2 * width))` or :py:`Out(unsigned(2 * width))`
        Approximate product, ``o_width = 2 * width`` bits.

    Raises
    ------
    :exc:`TypeError`
        If a parameter has the wrong type (a :class:`bool` is not an integer, an integer is not
        a :class:`bool`).
    :exc:`ValueError`
        If a parameter is out of range or not one of the listed choices.
    """

    def __init__(self, width, k, *, signed=False, sign_mode="twos", latency=0):
        check_int("Width", width, 4, 64)
        check_int("K", k, 3, width - 1, "width - 1")
        check_bool("Signed", signed)
        check_choice("Sign mode", sign_mode, ("ones", "twos"))
        check_latency(latency)
        self._k = k
        self._sign_mode = sign_mode
        super().__init__(width=width, signed=signed, o_width=2 * width, latency=latency)

    @property
    def k(self):
        return self._k

    @property
    def sign_mode(self):
        return self._sign_mode

    @property
    def magnitude_width(self):
        """Width of the unsigned magnitudes fed to the leading-one detectors."""
        if self._signed and self._sign_mode == "ones":
            return self._width - 1
        return self._width

    def elaborate(self, platform):
        m = Module()
        mag_width = self.magnitude_width
        k = self._k

        # Magnitudes (and the product's sign) in the top module.
        mag_a = Signal(mag_width, name="mag_a")
        mag_b = Signal(mag_width, name="mag_b")
        if not self._signed:
            m.d.comb += [mag_a.eq(self.a), mag_b.eq(self.b)]
        elif self._sign_mode == "twos":
            m.d.comb += [
                mag_a.eq(abs(self.a)),
                mag_b.eq(abs(self.b)),
            ]
        else:
            m.d.comb += [
                mag_a.eq(self.a ^ self.a[-1].replicate(self._width)),
                mag_b.eq(self.b ^ self.b[-1].replicate(self._width)),
            ]

        selected = {}
        for name, mag in (("a", mag_a), ("b", mag_b)):
            lod = LeadingOneDetector(mag_width)
            enc = PriorityEncoder(mag_width)
            sel = OperandSelector(mag_width, k)
            m.submodules[f"lod_{name}"] = lod
            m.submodules[f"enc_{name}"] = enc
            m.submodules[f"sel_{name}"] = sel
            m.d.comb += [
                lod.x.eq(mag),
                enc.onehot.eq(lod.onehot),
                sel.x.eq(mag),
                sel.t.eq(enc.index),
            ]
            selected[name] = sel

        m.submodules.mul = mul = ExactMultiplier(k)
        shift_width = selected["a"].s.shape().width
        m.submodules.shift = shift = BarrelShifter(2 * k, shift_width, 2 * mag_width)
        m.d.comb += [
            mul.a.eq(selected["a"].m),
            mul.b.eq(selected["b"].m),
            shift.x.eq(mul.p),
            shift.sa.eq(selected["a"].s),
            shift.sb.eq(selected["b"].s),
        ]

        if not self._signed:
            result = shift.o
        else:
            negative = Signal(name="negative")
            m.d.comb += negative.eq(self.a[-1] ^ self.b[-1])
            magnitude = Signal(self._o_width, name="magnitude")
            m.d.comb += magnitude.eq(shift.o)
            if self._sign_mode == "twos":
                result = Signal(signed(self._o_width), name="result")
                with m.If(negative):
                    m.d.comb += result.eq(-magnitude)
                with m.Else():
                    m.d.comb += result.eq(magnitude)
            else:
                result = magnitude ^ negative.replicate(self._o_width)
        self.drive_product(m, result)
        return m
