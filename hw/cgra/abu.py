"""Address-branch unit (FU type ``abu``): program counter, branches, loop counter, run control."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib.wiring import In, Out

from .decoder import OPCODES, FunctionUnit, check_pc_bits, check_width

__all__ = ["ABU"]

_OP = OPCODES["abu"]


class ABU(FunctionUnit):
    """Address-branch function unit: owns the program counter and the run state.

    Pipeline. Every ID (:class:`~hw.cgra.decoder.InstructionDecoder`) has three stages driven
    by this unit: **fetch** (its memory is read at :attr:`pc`), **decode** (the row read is
    copied into the ID's instruction register when ``issue`` is high, otherwise a nop enters)
    and **execute** (the instruction register drives the FUs; the ABU's own instruction is
    ``instr``). The ABU tracks which stages hold a valid row and their addresses.

    Operations, in the execute stage at address ``q`` (docs/cgra.md): ``jump L``; ``call L``
    (link <- ``(q + 3) mod imem_depth``); ``ret`` (jump to link); ``bz L`` / ``bnz L`` (taken
    when ``a == 0`` / ``a != 0``); ``setl`` (counter <- ``a``); ``loop L`` (counter <- counter
    - 1, taken when the new counter is not 0); ``halt``. Opcodes 0 and 9 to 15 are nops. A
    taken transfer loads ``pc`` with the target at the edge ending its execute cycle; at that
    time the rows at ``q + 1`` (decode stage) and ``q + 2`` (fetch stage) are already in the
    pipeline and execute in the next two cycles: the **two delay slots**. ``halt`` clears the
    decode and fetch stages (its delay slots do not execute), ends the run and sets ``done``.

    ``out0`` is the loop counter (``W`` bits) and ``out1`` the link (a ``P``-bit address,
    zero-extended or truncated to ``W`` bits); both are written at the edge ending the
    ``setl`` / ``loop`` / ``call`` and are 0 after ``start``.

    Run control. ``start`` while idle (``busy`` low) is accepted at the next edge: ``pc`` <- 0,
    counter and link <- 0, ``busy`` <- 1, ``done`` <- 0 (the fabric clears every other FU's
    outputs at that edge through their ``clear`` inputs). ``start`` while busy is ignored.
    With the start edge numbered 0, row 0 is fetched in the cycle after edge 0, decoded after
    edge 1 and executed after edge 2; ``exec_valid`` is high after edge 3 (see below). While
    busy one row executes per cycle. A ``halt`` executed in the cycle ending at edge ``h``
    makes ``busy`` low and ``done`` high after edge ``h``.

    ``exec_valid`` / ``exec_pc`` are registered: high in the cycle after a row executed, with
    that row's address (the ``halt`` row included).

    Parameters
    ----------
    width : :class:`int`
        Data width ``W``: 8, 16 or 32.
    pc_bits : :class:`int`
        ``P = log2(imem_depth)``, 2 to 10.

    Members
    -------
    start : :py:`In(1)`
        Start a run (ignored while busy).
    busy, done : :py:`Out(1)`
        Running; a ``halt`` ended the last run.
    pc : :py:`Out(P)`
        Fetch address of the IDs.
    issue : :py:`Out(1)`
        The fetched row (decode stage) enters the IDs' instruction registers at the next edge.
    exec_valid, exec_pc : :py:`Out(1)`, :py:`Out(P)`
        A row executed in the previous cycle, and its address.

    The common FU ports ``instr``, ``in0``, ``in1``, ``out0``, ``out1`` are as in
    :class:`~hw.cgra.decoder.FunctionUnit`; ``in1`` and ``clear`` are not read (the ABU clears its
    outputs itself when it accepts ``start``).

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If a parameter is invalid.
    """

    fu_type = "abu"

    def __init__(self, width, pc_bits):
        check_width(width)
        check_pc_bits(pc_bits)
        super().__init__(width, pc_bits, extra={
            "start": In(1),
            "busy": Out(1),
            "done": Out(1),
            "pc": Out(pc_bits),
            "issue": Out(1),
            "exec_valid": Out(1),
            "exec_pc": Out(pc_bits),
        })

    def elaborate(self, platform):
        m = Module()
        pb = self._pc_bits
        i = self.instr
        a = self.in0
        counter, link = self.out0, Signal(pb)
        m.d.comb += self.out1.eq(link)

        busy, done, pc = Signal(), Signal(), Signal(pb)
        d_valid, d_pc, e_valid, e_pc = Signal(), Signal(pb), Signal(), Signal(pb)
        m.d.comb += [self.busy.eq(busy), self.done.eq(done), self.pc.eq(pc)]

        accept = Signal()
        m.d.comb += accept.eq(self.start & ~busy)

        decremented = Signal(self._width)
        m.d.comb += decremented.eq(counter - 1)
        # decoded with plain expressions (continuous assignments in Verilog, valid from time 0
        # in event-driven simulators even while the instruction never changes)
        op = i.op
        is_op = {name: Signal(name=f"is_{name}") for name in _OP if name != "nop"}
        m.d.comb += [sig.eq(op == _OP[name]) for name, sig in is_op.items()]
        taken, halt = Signal(), Signal()
        target = Signal(pb)
        m.d.comb += [
            halt.eq(is_op["halt"]),
            taken.eq(is_op["jump"] | is_op["call"] | is_op["ret"]
                     | (is_op["bz"] & (a == 0)) | (is_op["bnz"] & (a != 0))
                     | (is_op["loop"] & (decremented != 0))),
            target.eq(Mux(is_op["ret"], link, i.target)),
        ]
        with m.If(is_op["call"]):
            m.d.sync += link.eq(e_pc + 3)
        with m.If(is_op["setl"]):
            m.d.sync += counter.eq(a)
        with m.If(is_op["loop"]):
            m.d.sync += counter.eq(decremented)

        m.d.comb += self.issue.eq(busy & d_valid & ~halt)
        m.d.sync += [self.exec_valid.eq(busy & e_valid), self.exec_pc.eq(e_pc)]

        with m.If(accept):
            m.d.sync += [
                busy.eq(1), done.eq(0), pc.eq(0), d_valid.eq(0), e_valid.eq(0),
                counter.eq(0), link.eq(0),
            ]
        with m.Elif(busy):
            with m.If(halt):
                m.d.sync += [busy.eq(0), done.eq(1), d_valid.eq(0), e_valid.eq(0)]
            with m.Else():
                m.d.sync += [
                    pc.eq(pc + 1), d_valid.eq(1), d_pc.eq(pc),
                    e_valid.eq(d_valid), e_pc.eq(d_pc),
                ]
                with m.If(taken):
                    m.d.sync += pc.eq(target)
        return m
