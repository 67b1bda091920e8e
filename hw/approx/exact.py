"""Exact multiplier: the reference point of the approximate-multiplier family."""

from amaranth.hdl import Module

from ._common import Multiplier, check_bool, check_choice, check_int, check_latency
from .booth import BoothMultiplier

__all__ = ["ExactMultiplier"]


class ExactMultiplier(Multiplier):
    """Exact ``width`` x ``width`` multiplier.

    ``p = a * b`` exactly, for all operand values.

    With ``arch="array"`` the product is written as the HDL ``*`` operator and left to the
    synthesis tool to map (Yosys builds its own multiplier). With ``arch="booth"`` it is built
    explicitly as a radix-4 Booth multiplier (:mod:`hw.approx.booth`: Booth encoder, partial-product
    rows, carry-save reduction tree and final adder), the same structure as :class:`ROUP` with no
    approximation. Unsigned operands are then zero-extended to ``width + 1``-bit signed values
    and the product is truncated to ``2 * width`` bits.

    Latency and throughput: with ``latency=0`` the multiplier is purely combinational and uses
    no clock domain. With ``latency`` of 1 or 2, ``p`` is registered that many times in the
    ``sync`` domain (reset-less registers): the product of the operands present at active clock
    edge ``t`` is visible on ``p`` after edge ``t + latency - 1``. New operands are accepted every
    cycle.

    Parameters
    ----------
    width : :class:`int`
        Width of each operand, 2 to 64.
    signed : :class:`bool`
        Two's-complement (:py:`True`) or unsigned (:py:`False`) operands and product.
    arch : :class:`str`
        ``"array"`` (HDL ``*``, mapped by synthesis) or ``"booth"`` (explicit radix-4 Booth).
    latency : :class:`int`
        Number of output register stages, 0 to 2.

    Members
    -------
    a : :py:`In(signed(width))` or :py:`In(unsigned(width))`
        Multiplicand.
    b : :py:`In(signed(width))` or :py:`In(unsigned(width))`
        Multiplier.
    p : :py:`Out(signed(2 * width))` or :py:`Out(unsigned(2 * width))`
        Product, ``o_width = 2 * width`` bits.

    Raises
    ------
    :exc:`TypeError`
        If a parameter has the wrong type (a :class:`bool` is not an integer, an integer is not
        a :class:`bool`).
    :exc:`ValueError`
        If a parameter is out of range or not one of the listed choices.
    """

    def __init__(self, width, *, signed=False, arch="array", latency=0):
        check_int("Width", width, 2, 64)
        check_bool("Signed", signed)
        check_choice("Arch", arch, ("array", "booth"))
        check_latency(latency)
        self._arch = arch
        super().__init__(width=width, signed=signed, o_width=2 * width, latency=latency)

    @property
    def arch(self):
        return self._arch

    def elaborate(self, platform):
        m = Module()
        if self._arch == "array":
            product = self.a * self.b
        else:
            operand_width = self._width if self._signed else self._width + 1
            m.submodules.booth = booth = BoothMultiplier(
                operand_width, operand_width, self._o_width)
            m.d.comb += [booth.a.eq(self.a), booth.b.eq(self.b)]
            product = booth.p
        self.drive_product(m, product)
        return m
