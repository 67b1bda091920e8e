"""Arithmetic-logic unit (FU type ``alu``)."""

from amaranth.hdl import Module, Signal

from .decoder import OPCODES, FunctionUnit, check_width

__all__ = ["ALU"]


class ALU(FunctionUnit):
    """ALU function unit.

    Operations (``op`` field, docs/cgra.md): ``nop`` 0; ``add`` a+b; ``sub`` a-b; ``and``,
    ``ior``, ``xor``; ``not`` ~a; ``eq``, ``ne``, ``lt``, ``ltu``, ``gt``, ``gtu``, ``ge``,
    ``geu`` (1 or 0; ``u`` = unsigned, else signed comparison of a with b); ``shl1``, ``shl4``;
    ``shr1``, ``shr4`` (arithmetic); ``shru1``, ``shru4`` (logical); ``pass`` (a). Results wrap
    to ``W`` bits and go to ``out0`` or ``out1`` (``dst``). Opcodes 22 to 31 are nops.

    Latency 1: the result of the instruction on ``instr`` in cycle ``c`` (with the operands of
    that cycle) is on its output after the edge ending cycle ``c``; see
    :class:`~hw.cgra.decoder.FunctionUnit` for the common ports.

    Parameters
    ----------
    width : :class:`int`
        Data width ``W``: 8, 16 or 32.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If ``width`` is invalid.
    """

    fu_type = "alu"

    def __init__(self, width):
        check_width(width)
        super().__init__(width)

    def elaborate(self, platform):
        m = Module()
        a, b = self.in0, self.in1
        sa, sb = a.as_signed(), b.as_signed()
        w = self._width
        results = {
            "add": a + b, "sub": a - b, "and": a & b, "ior": a | b, "xor": a ^ b, "not": ~a,
            "eq": a == b, "ne": a != b, "lt": sa < sb, "ltu": a < b, "gt": sa > sb,
            "gtu": a > b, "ge": sa >= sb, "geu": a >= b, "shl1": a << 1, "shl4": a << 4,
            "shr1": sa >> 1, "shr4": sa >> 4, "shru1": a >> 1, "shru4": a >> 4, "pass": a,
        }
        result = Signal(w)
        valid = Signal()
        with m.Switch(self.instr.op):
            for name, value in results.items():
                with m.Case(OPCODES["alu"][name]):
                    m.d.comb += [result.eq(value[:w]), valid.eq(1)]
        self._write(m, valid, self.instr.dst, result)
        return m
