"""Immediate unit (FU type ``iu``)."""

from amaranth.hdl import Module

from .decoder import OPCODES, FunctionUnit, check_width

__all__ = ["IU"]


class IU(FunctionUnit):
    """Immediate function unit.

    ``imm v`` (opcode 1): ``dst`` <- ``v`` (the ``W``-bit ``imm`` field). ``nop`` (opcode 0)
    writes nothing. No inputs: ``in0`` / ``in1`` exist for the common port contract but are
    not read (the fabric ties them to 0; an ``iu`` has no input slots).

    Latency 1; see :class:`~hw.cgra.decoder.FunctionUnit` for the common ports.

    Parameters
    ----------
    width : :class:`int`
        Data width ``W``: 8, 16 or 32.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If ``width`` is invalid.
    """

    fu_type = "iu"

    def __init__(self, width):
        check_width(width)
        super().__init__(width)

    def elaborate(self, platform):
        m = Module()
        self._write(m, self.instr.op == OPCODES["iu"]["imm"], self.instr.dst, self.instr.imm)
        return m
