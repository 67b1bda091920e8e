"""Load-store unit (FU type ``lsu``) with its scratchpad and the host word port."""

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from ..approx._common import check_int
from .decoder import OPCODES, FunctionUnit, check_width

__all__ = ["LSU"]

_OP = OPCODES["lsu"]
# opcode -> (access bytes, signed load) for loads; (access bytes) for stores
_LOADS = {"ld8": (1, True), "ld16": (2, True), "ld32": (4, True), "ldu8": (1, False),
          "ldu16": (2, False)}
_STORES = {"st8": 1, "st16": 2, "st32": 4}


class LSU(FunctionUnit):
    """Load-store function unit with a private byte-addressed scratchpad.

    The scratchpad holds ``mem_bytes`` bytes as ``mem_bytes / (W / 8)`` words of ``W`` bits
    (``W / 8`` byte lanes, byte ``i`` of a word at byte address ``word * W / 8 + i``:
    little-endian), in an :class:`amaranth.lib.memory.Memory` with one synchronous read port and
    one write port of byte granularity. Contents start at 0 and are kept across ``start``.

    Operations (docs/cgra.md): ``ld8``, ``ld16``, ``ld32`` (sign-extending), ``ldu8``,
    ``ldu16`` (zero-extending): ``dst`` <- mem[a]; ``st8``, ``st16``, ``st32``: mem[a] <- the
    low bits of ``b``, no output written. ``a`` is taken modulo ``mem_bytes`` and aligned down
    to the access size. An access wider than ``W`` (``ld32``/``st32`` with ``W < 32``,
    ``ld16``/``ldu16``/``st16`` with ``W = 8``) and opcodes 0 and 9 to 15 are nops.

    Timing: a load in cycle ``c`` reads the memory at the edge ending ``c``; the loaded value
    (byte-lane selection and extension after the read port's data register) is on its output
    in cycle ``c + 1`` and kept afterwards (latency 1, like every FU). A store in cycle ``c``
    writes at the edge ending ``c``; a load of the same cycle returns the old data.

    Host port: while ``idle`` is high the read and write ports are the host's (``host_addr``,
    a word address taken modulo the number of words). ``host_rdata`` is the word at the
    ``host_addr`` of the previous cycle (one cycle after); ``host_we`` writes ``host_wdata``
    (all lanes) at the edge, and a read of the same word in that cycle returns the old word.
    ``host_we`` is ignored while ``idle`` is low.

    Parameters
    ----------
    width : :class:`int`
        Data width ``W``: 8, 16 or 32.
    mem_bytes : :class:`int`
        Scratchpad size in bytes: a power of two, 16 to 65536.

    Members
    -------
    idle : :py:`In(1)`
        The fabric is idle: the host owns the memory ports.
    host_we, host_addr, host_wdata : :py:`In(1)`, :py:`In(log2(words))`, :py:`In(W)`
        Host write / read address.
    host_rdata : :py:`Out(W)`
        Word read, one cycle after ``host_addr``.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If a parameter is invalid.
    """

    fu_type = "lsu"

    def __init__(self, width, mem_bytes):
        self.check_parameters(width, mem_bytes)
        self._mem_bytes = mem_bytes
        self._lanes = width // 8
        self._depth = mem_bytes // self._lanes
        self._addr_bits = exact_log2(self._depth)
        super().__init__(width, extra={
            "idle": In(1),
            "host_we": In(1),
            "host_addr": In(self._addr_bits),
            "host_wdata": In(width),
            "host_rdata": Out(width),
        })

    @staticmethod
    def check_parameters(width, mem_bytes):
        """The checks of the constructor, without building anything; returns the word-address
        width ``log2(mem_bytes / (W / 8))``."""
        check_width(width)
        check_int("Memory bytes", mem_bytes, 16, 65536)
        if mem_bytes & (mem_bytes - 1):
            raise ValueError(f"Memory bytes must be a power of two, not {mem_bytes}")
        return exact_log2(mem_bytes // (width // 8))

    mem_bytes = property(lambda self: self._mem_bytes, doc="Scratchpad size in bytes.")
    depth = property(lambda self: self._depth, doc="Scratchpad size in W-bit words.")
    addr_bits = property(lambda self: self._addr_bits, doc="Word-address width.")

    def elaborate(self, platform):
        m = Module()
        w, lanes = self._width, self._lanes
        lane_bits = exact_log2(lanes)
        m.submodules.mem = mem = memory.Memory(shape=w, depth=self._depth, init=[])
        rp = mem.read_port(transparent_for=())
        wp = mem.write_port(granularity=8)

        i = self.instr
        byte_addr = self.in0[:exact_log2(self._mem_bytes)]
        lane = byte_addr[:lane_bits] if lane_bits else Const(0, 1)
        word = byte_addr[lane_bits:]

        # decode: which legal load / store, and its size (plain expressions: continuous
        # assignments in Verilog, valid from time 0 even while the instruction never changes)
        is_load, load_signed, is_store = Signal(), Signal(), Signal()
        size = Signal(3)  # access bytes
        loads = [(_OP[name], nbytes, sign) for name, (nbytes, sign) in _LOADS.items()
                 if nbytes <= lanes]
        stores = [(_OP[name], nbytes) for name, nbytes in _STORES.items() if nbytes <= lanes]
        m.d.comb += [
            is_load.eq(Cat(*[i.op == code for code, _, _ in loads]).any()),
            load_signed.eq(Cat(*[i.op == code for code, _, sign in loads if sign]).any()),
            is_store.eq(Cat(*[i.op == code for code, _ in stores]).any()),
        ]
        size_value = 0
        for code, nbytes, *_ in loads + stores:
            size_value = Mux(i.op == code, nbytes, size_value)
        m.d.comb += size.eq(size_value)

        # store: the low `size` bytes of b replicated over the word; lanes enabled by size
        store_data = Signal(w)
        store_lanes = Signal(lanes)
        with m.Switch(size):
            for nbytes in (1, 2, 4):
                if nbytes > lanes:
                    continue
                with m.Case(nbytes):
                    m.d.comb += store_data.eq(Cat(*[self.in1[:8 * nbytes]] * (lanes // nbytes)))
                    first = (lane >> exact_log2(nbytes)) if nbytes > 1 else lane
                    mask = (1 << nbytes) - 1
                    m.d.comb += store_lanes.eq(Const(mask, lanes) << (first * nbytes)
                                               if lanes > 1 else mask)

        with m.If(self.idle):
            m.d.comb += [
                rp.addr.eq(self.host_addr), wp.addr.eq(self.host_addr),
                wp.data.eq(self.host_wdata), wp.en.eq(Mux(self.host_we, (1 << lanes) - 1, 0)),
            ]
        with m.Else():
            m.d.comb += [
                rp.addr.eq(word), wp.addr.eq(word), wp.data.eq(store_data),
                wp.en.eq(Mux(is_store, store_lanes, 0)),
            ]
        m.d.comb += self.host_rdata.eq(rp.data)

        # the load completes after the read port's register
        pend, pend_dst, pend_signed = Signal(), Signal(), Signal()
        pend_size, pend_lane = Signal(3), Signal(max(1, lane_bits))
        m.d.sync += [
            pend.eq(is_load & ~self.idle & ~self.clear), pend_dst.eq(i.dst),
            pend_signed.eq(load_signed), pend_size.eq(size), pend_lane.eq(lane),
        ]
        loaded = Signal(w)
        with m.Switch(pend_size):
            for nbytes in (1, 2, 4):
                if nbytes > lanes:
                    continue
                with m.Case(nbytes):
                    piece = rp.data.word_select(pend_lane >> exact_log2(nbytes), 8 * nbytes) \
                        if nbytes < lanes else rp.data
                    m.d.comb += loaded.eq(Mux(pend_signed, piece.as_signed(), piece))

        hold0, hold1 = Signal(w), Signal(w)
        m.d.comb += [
            self.out0.eq(Mux(pend & ~pend_dst, loaded, hold0)),
            self.out1.eq(Mux(pend & pend_dst, loaded, hold1)),
        ]
        with m.If(self.clear):
            m.d.sync += [hold0.eq(0), hold1.eq(0)]
        with m.Else():
            m.d.sync += [hold0.eq(self.out0), hold1.eq(self.out1)]
        return m
