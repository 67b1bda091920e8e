"""Instruction formats, the function-unit port contract and the instruction decoder (ID).

The hardware side of ``sim_models.cgra.isa`` (docs/cgra.md, "Instruction encoding"):
:func:`instruction_layout` gives each FU type's instruction word as an Amaranth
:class:`~amaranth.lib.data.StructLayout` (fields LSB first), :data:`OPCODES` the opcode numbers.
:class:`FunctionUnit` is the base of every FU generator (the ports every FU shares) and
:class:`InstructionDecoder` is one ID: its instruction memory and the fetch/decode pipeline
registers.
"""

from amaranth.hdl import Module, Mux
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from ..approx._common import check_choice, check_int

__all__ = [
    "FU_TYPES",
    "OPCODES",
    "WIDTHS",
    "FunctionUnit",
    "InstructionDecoder",
    "check_pc_bits",
    "check_width",
    "instruction_layout",
    "instruction_width",
]

#: The FU types, in the order of docs/cgra.md.
FU_TYPES = ("alu", "mul", "lsu", "rf", "iu", "abu")

#: Supported data widths ``W``.
WIDTHS = (8, 16, 32)

#: Opcode numbers per FU type (docs/cgra.md); every other value of the ``op`` field is a nop.
OPCODES = {
    "alu": {
        "nop": 0, "add": 1, "sub": 2, "and": 3, "ior": 4, "xor": 5, "not": 6, "eq": 7, "ne": 8,
        "lt": 9, "ltu": 10, "gt": 11, "gtu": 12, "ge": 13, "geu": 14, "shl1": 15, "shl4": 16,
        "shr1": 17, "shr4": 18, "shru1": 19, "shru4": 20, "pass": 21,
    },
    "mul": {"nop": 0, "mul": 1},
    "lsu": {
        "nop": 0, "ld8": 1, "ld16": 2, "ld32": 3, "ldu8": 4, "ldu16": 5, "st8": 6, "st16": 7,
        "st32": 8,
    },
    "iu": {"nop": 0, "imm": 1},
    "abu": {
        "nop": 0, "jump": 1, "call": 2, "ret": 3, "bz": 4, "bnz": 5, "setl": 6, "loop": 7,
        "halt": 8,
    },
}


def check_width(width):
    """Check the data width ``W`` (8, 16 or 32); returns it."""
    message = f"Data width must be 8, 16 or 32, not {width!r}"
    if isinstance(width, bool) or not isinstance(width, int):
        raise TypeError(message)
    if width not in WIDTHS:
        raise ValueError(message)
    return width


def check_pc_bits(pc_bits):
    """Check the program-counter width ``P = log2(imem_depth)`` (2 to 10); returns it."""
    return check_int("PC bits", pc_bits, 2, 10)


def instruction_layout(fu_type, width, pc_bits):
    """The instruction word of FU type ``fu_type`` as a struct layout (fields LSB first).

    Parameters
    ----------
    fu_type : :class:`str`
        One of :data:`FU_TYPES`.
    width : :class:`int`
        Data width ``W`` (8, 16 or 32); sets the ``imm`` field of ``iu``.
    pc_bits : :class:`int`
        ``P = log2(imem_depth)``, 2 to 10; sets the ``target`` field of ``abu``.

    Returns
    -------
    :class:`amaranth.lib.data.StructLayout`
        ``alu``: sel0:2, sel1:2, dst:1, op:5; ``mul``: sel0:2, sel1:2, dst:1, op:1; ``lsu``:
        sel0:2, sel1:2, dst:1, op:4; ``rf``: sel0:2, sel1:2, dst:1, rd:1, wr:1, raddr:4,
        waddr:4; ``iu``: op:1, dst:1, imm:W; ``abu``: sel0:2, sel1:2, op:4, target:P.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If a parameter is invalid.
    """
    check_choice("FU type", fu_type, FU_TYPES)
    check_width(width)
    check_pc_bits(pc_bits)
    operands = {"sel0": 2, "sel1": 2}
    fields = {
        "alu": {**operands, "dst": 1, "op": 5},
        "mul": {**operands, "dst": 1, "op": 1},
        "lsu": {**operands, "dst": 1, "op": 4},
        "rf": {**operands, "dst": 1, "rd": 1, "wr": 1, "raddr": 4, "waddr": 4},
        "iu": {"op": 1, "dst": 1, "imm": width},
        "abu": {**operands, "op": 4, "target": pc_bits},
    }[fu_type]
    return data.StructLayout(fields)


def instruction_width(fu_type, width, pc_bits):
    """Width in bits of the instruction word of ``fu_type`` (see :func:`instruction_layout`)."""
    return instruction_layout(fu_type, width, pc_bits).size


class FunctionUnit(wiring.Component):
    """Base of every FU generator: the ports all FUs share.

    Every FU has two data inputs (the values chosen by its input slot multiplexers,
    :class:`hw.cgra.network.SlotMux`, from its instruction's ``sel0`` / ``sel1``), one
    instruction word and two registered outputs. An instruction present during a clock cycle
    reads ``in0`` / ``in1`` in that cycle and its result is on ``out0`` or ``out1`` after the
    next active edge (latency 1); an output not written keeps its value. ``clear`` sets both
    outputs to 0 at the next edge (the fabric's ``start``).

    Subclasses validate their parameters, then call ``super().__init__`` with the FU type, the
    width, ``pc_bits`` and their extra ports.

    Members
    -------
    instr : :py:`In(instruction_layout(fu_type, width, pc_bits))`
        Instruction executed in this cycle (all zero: nop).
    in0, in1 : :py:`In(width)`
        Operands ``a`` and ``b``.
    clear : :py:`In(1)`
        Synchronous clear of ``out0`` and ``out1``.
    out0, out1 : :py:`Out(width)`
        Outputs.
    """

    fu_type = None

    def __init__(self, width, pc_bits=2, extra=None):
        self._width = width
        self._pc_bits = pc_bits
        self._layout = instruction_layout(self.fu_type, width, pc_bits)
        super().__init__({
            "instr": In(self._layout),
            "in0": In(width),
            "in1": In(width),
            "clear": In(1),
            "out0": Out(width),
            "out1": Out(width),
            **(extra or {}),
        })

    width = property(lambda self: self._width, doc="Data width ``W``.")
    pc_bits = property(lambda self: self._pc_bits, doc="Program-counter width ``P``.")

    @property
    def instruction_layout(self):
        """Layout of :attr:`instr`."""
        return self._layout

    @property
    def instruction_width(self):
        """Width in bits of :attr:`instr`."""
        return self._layout.size

    def _write(self, m, enable, dst, value):
        """Registered outputs: ``out<dst> <- value`` when ``enable``; ``clear`` wins."""
        with m.If(self.clear):
            m.d.sync += [self.out0.eq(0), self.out1.eq(0)]
        with m.Elif(enable):
            with m.If(dst):
                m.d.sync += self.out1.eq(value)
            with m.Else():
                m.d.sync += self.out0.eq(value)


class InstructionDecoder(wiring.Component):
    """One instruction decoder (ID): instruction memory and fetch/decode pipeline registers.

    Pipeline (shared by every ID; the ABU drives the control inputs): in the **fetch** cycle
    the memory is read at ``pc`` (a synchronous read port; the row is in its data register
    after the edge); in the **decode** cycle that row is copied into the instruction register
    ``instr`` when ``issue`` is high, else ``instr`` is loaded with 0 (nop); in the
    **execute** cycle ``instr`` drives the FUs of the ID. So a row fetched in cycle ``c``
    executes in cycle ``c + 2``, which gives the two branch delay slots of docs/cgra.md.

    The write port (``we``, ``waddr``, ``wdata``) writes one word at the edge; a row read in
    the same cycle returns the old word. Memory contents start at 0 (nop).

    Parameters
    ----------
    width : :class:`int`
        Instruction width in bits, 1 to 64.
    depth : :class:`int`
        Instruction-memory depth (``imem_depth``): a power of two, 4 to 1024.

    Members
    -------
    we, waddr, wdata : :py:`In(1)`, :py:`In(log2(depth))`, :py:`In(width)`
        Instruction-memory write port.
    pc : :py:`In(log2(depth))`
        Fetch address.
    issue : :py:`In(1)`
        Move the fetched row into the instruction register (else a nop enters it).
    instr : :py:`Out(width)`
        Instruction register (the execute stage).

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If a parameter is invalid.
    """

    def __init__(self, width, depth):
        check_int("Instruction width", width, 1, 64)
        check_int("Imem depth", depth, 4, 1024)
        if depth & (depth - 1):
            raise ValueError(f"Imem depth must be a power of two, not {depth}")
        self._iwidth = width
        self._depth = depth
        abits = ceil_log2(depth)
        super().__init__({
            "we": In(1),
            "waddr": In(abits),
            "wdata": In(width),
            "pc": In(abits),
            "issue": In(1),
            "instr": Out(width),
        })

    width = property(lambda self: self._iwidth, doc="Instruction width in bits.")
    depth = property(lambda self: self._depth, doc="Instruction-memory depth.")

    def elaborate(self, platform):
        m = Module()
        m.submodules.imem = imem = memory.Memory(shape=self._iwidth, depth=self._depth, init=[])
        wp = imem.write_port()
        rp = imem.read_port(transparent_for=())
        m.d.comb += [
            wp.en.eq(self.we), wp.addr.eq(self.waddr), wp.data.eq(self.wdata),
            rp.addr.eq(self.pc),
        ]
        m.d.sync += self.instr.eq(Mux(self.issue, rp.data, 0))
        return m
