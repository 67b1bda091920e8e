"""Population count: a balanced adder tree over one-bit lines."""

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for, ceil_log2

from ._common import MAX_N, check_int

__all__ = ["PopCount"]


class PopCount(wiring.Component):
    """Number of set bits of an ``n``-bit vector, by a balanced tree of adders.

    The lines are split in two halves (the first one taking the extra line when ``n`` is odd),
    each half is counted by the same construction and the two counts are added. Every node is
    exactly as wide as its largest count, ``bits_for(lines under it)``: 2 bits above two lines,
    3 bits above four, ..., ``count_width = bits_for(n)`` at the root, so the adders grow by one
    bit per level. Each node is a named signal (``pop_<first>_<last>``, the range of lines it
    counts), which keeps the netlist linear in ``n`` and lets synthesis reports find the levels.

    Depth: ``depth = ceil(log2(n))`` adder levels (0 for ``n == 1``, where ``count`` is the line
    itself); ``n - 1`` adders in total. The adder at level ``l`` (leaves are level 0) has
    ``l``-bit operands at most. Purely combinational, no clock.

    Parameters
    ----------
    n : :class:`int`
        Number of lines, 1 to 65536.

    Members
    -------
    bits : :py:`In(n)`
        Lines to count.
    count : :py:`Out(bits_for(n))`
        Number of set lines, unsigned.

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
        self._count_width = bits_for(n)
        super().__init__({"bits": In(n), "count": Out(self._count_width)})

    @property
    def n(self):
        """Number of lines."""
        return self._n

    @property
    def count_width(self):
        """Width of ``count``, ``bits_for(n)``."""
        return self._count_width

    @property
    def depth(self):
        """Adder levels between ``bits`` and ``count``, ``ceil(log2(n))``."""
        return ceil_log2(self._n)

    def elaborate(self, platform):
        m = Module()

        def node(first, last):
            # count of lines first..last (inclusive)
            if first == last:
                return self.bits[first]
            size = last - first + 1
            middle = first + (size + 1) // 2
            left = node(first, middle - 1)
            right = node(middle, last)
            total = Signal(bits_for(size), name=f"pop_{first}_{last}")
            m.d.comb += total.eq(left + right)
            return total

        m.d.comb += self.count.eq(node(0, self._n - 1))
        return m
