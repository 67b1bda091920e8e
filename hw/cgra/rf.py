"""Register file (FU type ``rf``): 16 x ``W`` registers, one read and one write per cycle."""

from amaranth.hdl import Module
from amaranth.lib import memory

from .decoder import FunctionUnit, check_width

__all__ = ["RF", "RF_DEPTH"]

#: Number of registers.
RF_DEPTH = 16


class RF(FunctionUnit):
    """Register-file function unit.

    Instruction bits ``rd`` and ``wr`` (docs/cgra.md): ``rd`` reads ``R[raddr]`` into ``dst``
    (``out0`` or ``out1``); ``wr`` writes ``a`` (``in0``) into ``R[waddr]``; both together is
    ``rw``. A read and a write in the same cycle (also of the same register) read the old
    value: the register array has an asynchronous read port whose value is registered into the
    output at the same edge that performs the write.

    Latency 1 for both: a read in cycle ``c`` is on its output after the edge ending ``c``; a
    write in cycle ``c`` is seen by reads from cycle ``c + 1`` on. The registers are not reset
    (they start at 0 and keep their contents across ``start``; ``clear`` only clears the
    outputs). See :class:`~hw.cgra.decoder.FunctionUnit` for the common ports.

    Parameters
    ----------
    width : :class:`int`
        Data width ``W``: 8, 16 or 32.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If ``width`` is invalid.
    """

    fu_type = "rf"

    def __init__(self, width):
        check_width(width)
        super().__init__(width)

    def elaborate(self, platform):
        m = Module()
        m.submodules.regs = regs = memory.Memory(shape=self._width, depth=RF_DEPTH, init=[])
        wp = regs.write_port()
        rp = regs.read_port(domain="comb")
        i = self.instr
        m.d.comb += [
            rp.addr.eq(i.raddr),
            wp.addr.eq(i.waddr), wp.data.eq(self.in0), wp.en.eq(i.wr),
        ]
        self._write(m, i.rd, i.dst, rp.data)
        return m
