"""ROUP: rounding of the multiplicand plus partial-product perforation on a radix-4 Booth core.

After Leon, Asimakopoulos, Xydis, Soudris and Pekmestzi, "Cooperative Arithmetic-Aware
Approximation Techniques for Energy-Efficient Multipliers", DAC 2019.
"""

from amaranth.hdl import Module, Signal, signed

from ._common import Multiplier, check_bool, check_int, check_latency
from .booth import BoothMultiplier, booth_digit_count

__all__ = ["ROUP"]


class ROUP(Multiplier):
    """Radix-4 Booth multiplier with multiplicand rounding (R) and row perforation (P).

    With ``w`` the internal operand width (``w = width`` for signed operands; ``w = width + 1``
    for unsigned ones, which are zero-extended and handled as ``w``-bit two's-complement values)
    and ``D = ceil(w / 2)`` radix-4 Booth digits of ``b``:

    * Rounding ``r``: ``a`` is rounded half-up to a multiple of ``2**r`` *before* the partial
      products are formed, ``A_r = floor((A + 2**(r - 1)) / 2**r)`` (``A_r = A`` for ``r = 0``),
      a ``(w - r + 1)``-bit signed value (it can reach ``+2**(w - 1 - r)``). Every partial-product
      row is therefore ``r`` bits narrower and weighted by ``2**r``.
    * Perforation ``p``: the ``p`` least-significant Booth rows are not generated at all; only
      digits ``j >= p`` are encoded. Digit ``p`` still reads bit ``2p - 1`` of ``b``, so the
      built rows sum to ``A_r * 2**r * B_p`` with ``B_p = floor((B + 2**(2p - 1)) / 4**p) *
      4**p``, ``b`` rounded half-up to a multiple of ``4**p``.

    ``p = A_r * 2**r * B_p`` exactly. The ``r + 2p`` least significant bits of ``p`` are constant 0
    and are not computed by any adder. ``p = r = 0`` gives an exact Booth multiplier.

    The Booth core is the submodule ``booth`` (:class:`~hw.approx.booth.BoothMultiplier`, with
    its own submodules ``enc``, ``rows`` and ``tree``); the rounding incrementer is in the top
    module. The introspection properties :attr:`rows` and :attr:`row_width` give the size of the
    partial-product array actually built.

    The ``p`` parameter is exposed as :attr:`perforation` (and ``r`` as :attr:`r` and
    :attr:`rounding`): the attribute ``p`` is the product port, as in every multiplier here.

    Latency and throughput: with ``latency=0`` the multiplier is purely combinational and uses
    no clock domain. With ``latency`` of 1 or 2, ``p`` is registered that many times in the
    ``sync`` domain (reset-less registers): the product of the operands present at active clock
    edge ``t`` is visible on ``p`` after edge ``t + latency - 1``. New operands are accepted every
    cycle.

    Parameters
    ----------
    width : :class:`int`
        Width of each operand, 4 to 64.
    p : :class:`int`
        Number of perforated (omitted) Booth rows, 0 to ``D - 1``.
    r : :class:`int`
        Number of rounded-off multiplicand bits, 0 to ``width - 2``.
    signed : :class:`bool`
        Two's-complement (:py:`True`) or unsigned (:py:`False`) operands and product.
    latency : :class:`int`
        Number of output register stages, 0 to 2.

    Members
    -------
    a : :py:`In(signed(width))` or :py:`In(unsigned(width))`
        Multiplicand (rounded).
    b : :py:`In(signed(width))` or :py:`In(unsigned(width))`
        Multiplier (Booth-recoded, perforated).
    p : :py:`Out(signed(2 * width))` or :py:`Out(unsigned(2 * width + 1))`
        Approximate product, ``o_width`` bits. Unsigned products can reach ``2**(2 * width)``
        (both operands rounded up), hence the extra bit.

    Raises
    ------
    :exc:`TypeError`
        If a parameter has the wrong type (a :class:`bool` is not an integer, an integer is not
        a :class:`bool`).
    :exc:`ValueError`
        If a parameter is out of range.
    """

    def __init__(self, width, p, r, *, signed=True, latency=0):
        check_int("Width", width, 4, 64)
        # The range of ``p`` depends on the signedness, which is therefore checked first.
        check_bool("Signed", signed)
        internal = width if signed else width + 1
        digits = booth_digit_count(internal)
        hi_text = "ceil(width / 2) - 1" if signed else "ceil((width + 1) / 2) - 1"
        check_int("P", p, 0, digits - 1, hi_text)
        check_int("R", r, 0, width - 2, "width - 2")
        check_latency(latency)
        self._p = p
        self._r = r
        self._internal_width = internal
        self._digits = digits
        o_width = 2 * width if signed else 2 * width + 1
        super().__init__(width=width, signed=signed, o_width=o_width, latency=latency)

    @property
    def perforation(self):
        """The ``p`` parameter: number of omitted Booth rows.

        (It cannot be exposed as ``p``, which is the product port.)
        """
        return self._p

    @property
    def r(self):
        """The ``r`` parameter: number of rounded-off multiplicand bits."""
        return self._r

    @property
    def rounding(self):
        """Alias of :attr:`r`, named symmetrically with :attr:`perforation`."""
        return self._r

    @property
    def internal_width(self):
        """Two's-complement operand width ``w`` seen by the Booth core."""
        return self._internal_width

    @property
    def digits(self):
        """Number of Booth digits of the multiplier, ``D = ceil(w / 2)``."""
        return self._digits

    @property
    def multiplicand_width(self):
        """Width of the rounded multiplicand ``A_r``: ``w`` if ``r == 0``, else ``w - r + 1``."""
        return self._internal_width if self._r == 0 else self._internal_width - self._r + 1

    @property
    def rows(self):
        """Number of partial-product rows built, ``D - p``."""
        return self._digits - self._p

    @property
    def row_width(self):
        """Width of each partial-product row, ``multiplicand_width + 1``."""
        return self.multiplicand_width + 1

    @property
    def zero_lsbs(self):
        """Number of least significant product bits that are constant 0, ``r + 2p``."""
        return min(self._r + 2 * self._p, self._o_width)

    def elaborate(self, platform):
        m = Module()
        w = self._internal_width
        r = self._r
        a_int = Signal(signed(w), name="a_int")
        m.d.comb += a_int.eq(self.a)
        if r == 0:
            a_round = a_int
        else:
            # Round half-up before the rows are formed: drop r bits, add back the first dropped.
            a_round = Signal(signed(self.multiplicand_width), name="a_round")
            m.d.comb += a_round.eq((a_int >> r) + a_int[r - 1])
        m.submodules.booth = booth = BoothMultiplier(
            self.multiplicand_width, w, self._o_width, first_digit=self._p, a_shift=r)
        m.d.comb += [
            booth.a.eq(a_round),
            booth.b.eq(self.b),
        ]
        self.drive_product(m, booth.p)
        return m
