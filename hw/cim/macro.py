"""Bit-serial digital compute-in-memory macro (Fujiwara et al., ISSCC 2022; fibbinary option)."""

from amaranth.hdl import Cat, ClockDomain, ClockSignal, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..approx._common import check_bool, check_choice, check_int

__all__ = ["CIMMacro", "ENCODINGS", "BIT_ORDERS", "STORAGES", "slices"]

ENCODINGS = ("binary", "fibbinary")
BIT_ORDERS = ("lsb", "msb")
STORAGES = ("ff", "latch")
MAX_ROWS = 1024
MAX_COLS = 256


def slices(ib, signed_inputs, encoding, bit_order):
    """The input slices ``(pos, width, negate)`` in the order the macro applies them.

    One slice per compute cycle: single bits in ``"binary"`` encoding, pairs of bits from bit 0
    up in ``"fibbinary"`` encoding; with signed inputs the sign bit ``ib - 1`` is a slice of its
    own, negated. ``bit_order="msb"`` reverses the order.
    """
    step = 2 if encoding == "fibbinary" else 1
    plain = ib - 1 if signed_inputs else ib
    out = [(pos, min(step, plain - pos), False) for pos in range(0, plain, step)]
    if signed_inputs:
        out.append((ib - 1, 1, True))
    return tuple(out if bit_order == "lsb" else reversed(out))


def _bounds(bits, is_signed):
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if is_signed else (0, (1 << bits) - 1)


def _shape_for(lo, hi):
    """Smallest shape holding every integer in ``[lo, hi]``."""
    if lo >= 0:
        return unsigned(max(hi.bit_length(), 1))
    return signed(max(hi.bit_length(), (-lo - 1).bit_length()) + 1)


def _adder_tree(values):
    """Balanced binary tree of additions (logarithmic depth); Amaranth widens each level."""
    values = list(values)
    while len(values) > 1:
        values = [values[i] + values[i + 1] if i + 1 < len(values) else values[i]
                  for i in range(0, len(values), 2)]
    return values[0]


class CIMMacro(wiring.Component):
    """A ``rows`` x ``cols`` digital CIM macro: one bit-serial dot product per column.

    Function. The bit-cell array stores ``w[r][c]`` (``wb`` bits; two's complement when
    ``signed_weights``). For an input vector ``x[0..rows-1]`` (``ib`` bits; two's complement
    when ``signed_inputs``) the macro returns ``y[c] = sum_r x[r] * w[r][c]`` for every column,
    computed as in REFERENCE.md 3 and :mod:`sim_models.cim.macro`:

    * the input bits are applied in **slices**, one per cycle (:func:`slices`): single bits
      (``encoding="binary"``) or bit pairs (``"fibbinary"``), least or most significant first
      (``bit_order``); with signed inputs the sign bit is a slice of its own whose partial sum
      is negated;
    * each cell forms the product of its row's slice with its weight: an AND per weight bit
      (a NOR of the inverted operands in a 12T cell) in binary mode; in fibbinary mode, for a
      2-bit slice ``s`` and a weight pattern with no two adjacent ones, the OR of the copies
      ``s << i`` over the set bits ``i`` (no adder); a signed weight's sign bit contributes
      ``-(s << (wb - 1))``, formed on the top 3 product bits without a carry chain;
    * ``approx_bits = L > 0``: the ``L`` lowest bits of every product are not summed (the adder
      tree is ``L`` bits narrower; products are floored to multiples of ``2**L``);
    * a balanced adder tree per column sums the products over the rows; the accumulator adds
      the tree's sum (negated for the sign slice) shifted to the slice's bit position
      (LSB-first: a shifter ``term << pos``; MSB-first: ``acc << width`` then add).

    In exact mode the result is the integer dot product. In fibbinary mode it is the dot
    product only for weights on the fibbinary codebook (write them through
    :func:`sim_models.cim.fibbinary.quantise`); for other patterns the result is not the product
    and is not specified (unsigned: the OR of the copies; signed: also without the carry into
    the sign bits).

    Cycles and throughput. :attr:`cycles` = number of slices: ``ib`` in binary mode;
    ``ceil(ib / 2)`` in fibbinary mode with unsigned inputs, ``1 + ceil((ib - 1) / 2)`` with
    signed ones. An input vector transferred on ``i_stream`` at clock edge ``t`` has its result
    offered on ``o_stream`` from edge ``t + cycles`` on (latency ``cycles``); the next vector
    is accepted at the edge that completes the current one, so vectors stream back to back at
    one per :attr:`cycles` cycles while ``o_stream`` is ready. A result not taken holds the
    macro after its last slice (``i_stream.ready`` low). Stream rules of
    :mod:`amaranth.lib.stream` hold: ``o_stream.valid`` does not depend on ``o_stream.ready``;
    ``i_stream.ready`` may (it is high when idle, or in the last cycle if the result can leave).

    Weights load like SRAM: a write (``w_en``, ``w_addr``, ``w_data``: one row, every column)
    is allowed in any cycle, also while the macro computes; a write at edge ``t`` is seen by
    compute cycles ending at edge ``t + 1`` and later. Writing a row while a vector is in
    flight changes that row's weight for the remaining slices (the result then mixes old and
    new weights exactly as :meth:`sim_models.cim.CIMMacroModel.partial_sums` with per-cycle
    weights describes); rows not written are unaffected, so one row can be loaded while the
    array computes with the others. The read-back port returns row ``r_addr`` on ``r_data``
    one cycle after ``r_en`` (held otherwise). Storage is reset-less: write before use.

    ``storage="ff"``: flip-flops with a load enable per row (every bit clocked every cycle).
    ``storage="latch"``: a write is registered (data and a one-hot row select) and the row's
    storage is clocked by its gated clock ``~clk & select[r]`` in the low phase of the next
    cycle, so storage is clocked only when written (as in :class:`hw.ternary.OCU`; the Verilog
    has rising-edge registers on the gated clocks standing for latches, see there). The row
    changes at the falling edge in the cycle after the write: the same cycle-level behaviour as
    ``"ff"``, with half a cycle left for the tree in that one cycle.

    Parameters
    ----------
    rows : :class:`int`
        Rows (inputs per dot product), 1 to 1024.
    cols : :class:`int`
        Columns (dot products), 1 to 256.
    wb : :class:`int`
        Weight bits, 1 to 8.
    ib : :class:`int`
        Input bits, 1 to 8.
    signed_inputs, signed_weights : :class:`bool`
        Two's-complement inputs / weights.
    bit_order : :class:`str`
        ``"lsb"`` (least significant slice first) or ``"msb"``.
    encoding : :class:`str`
        ``"binary"`` or ``"fibbinary"``.
    approx_bits : :class:`int`
        Product bits dropped before the adder tree, 0 (exact) to ``wb - 1``.
    storage : :class:`str`
        ``"ff"`` or ``"latch"``.

    Members
    -------
    i_stream : :py:`In(stream.Signature(data.ArrayLayout(input_shape, rows)))`
        Input vectors.
    o_stream : :py:`Out(stream.Signature(data.ArrayLayout(output_shape, cols)))`
        Results, one per column.
    w_en, w_addr, w_data : :py:`In(1)`, :py:`In(range(rows))`, :py:`In(ArrayLayout)`
        Row write port (``w_data``: ``data.ArrayLayout(weight_shape, cols)``).
    r_en, r_addr : :py:`In(1)`, :py:`In(range(rows))`
        Read-back request.
    r_data : :py:`Out(data.ArrayLayout(weight_shape, cols))`
        Row read back, one cycle after ``r_en``.
    busy : :py:`Out(1)`
        A vector is being computed.

    Raises
    ------
    :exc:`TypeError`
        If a parameter has the wrong type.
    :exc:`ValueError`
        If a parameter is out of range or not one of the listed choices.
    """

    def __init__(self, rows, cols, wb, ib, *, signed_inputs=False, signed_weights=False,
                 bit_order="lsb", encoding="binary", approx_bits=0, storage="ff"):
        check_int("Rows", rows, 1, MAX_ROWS)
        check_int("Cols", cols, 1, MAX_COLS)
        check_int("Weight bits", wb, 1, 8)
        check_int("Input bits", ib, 1, 8)
        check_bool("Signed inputs", signed_inputs)
        check_bool("Signed weights", signed_weights)
        check_choice("Bit order", bit_order, BIT_ORDERS)
        check_choice("Encoding", encoding, ENCODINGS)
        check_int("Approx bits", approx_bits, 0, wb - 1, "wb - 1")
        check_choice("Storage", storage, STORAGES)
        self._rows, self._cols, self._wb, self._ib = rows, cols, wb, ib
        self._signed_inputs, self._signed_weights = signed_inputs, signed_weights
        self._bit_order, self._encoding = bit_order, encoding
        self._approx_bits, self._storage = approx_bits, storage
        self._slices = slices(ib, signed_inputs, encoding, bit_order)
        self._output_shape = _shape_for(*self._result_bounds())
        super().__init__({
            "i_stream": In(stream.Signature(data.ArrayLayout(self.input_shape, rows))),
            "o_stream": Out(stream.Signature(data.ArrayLayout(self._output_shape, cols))),
            "w_en": In(1),
            "w_addr": In(range(rows)),
            "w_data": In(data.ArrayLayout(self.weight_shape, cols)),
            "r_en": In(1),
            "r_addr": In(range(rows)),
            "r_data": Out(data.ArrayLayout(self.weight_shape, cols)),
            "busy": Out(1),
        })

    # -- parameters (read-only)

    rows = property(lambda self: self._rows, doc="Rows (inputs per dot product).")
    cols = property(lambda self: self._cols, doc="Columns (dot products).")
    wb = property(lambda self: self._wb, doc="Weight bits.")
    ib = property(lambda self: self._ib, doc="Input bits.")
    signed_inputs = property(lambda self: self._signed_inputs, doc="Two's-complement inputs.")
    signed_weights = property(lambda self: self._signed_weights,
                              doc="Two's-complement weights.")
    bit_order = property(lambda self: self._bit_order, doc='"lsb" or "msb".')
    encoding = property(lambda self: self._encoding, doc='"binary" or "fibbinary".')
    approx_bits = property(lambda self: self._approx_bits, doc="Product bits dropped.")
    storage = property(lambda self: self._storage, doc='"ff" or "latch".')

    @property
    def cycles(self):
        """Compute cycles per input vector (one per slice); also the latency."""
        return len(self._slices)

    @property
    def input_shape(self):
        """Shape of one input."""
        return signed(self._ib) if self._signed_inputs else unsigned(self._ib)

    @property
    def weight_shape(self):
        """Shape of one weight."""
        return signed(self._wb) if self._signed_weights else unsigned(self._wb)

    @property
    def output_shape(self):
        """Shape of one result: wide enough for every partial and final accumulation."""
        return self._output_shape

    @property
    def module_name(self):
        """A Verilog module name derived from the parameters."""
        s = ("s" if self._signed_inputs else "u") + ("s" if self._signed_weights else "u")
        enc = "fib" if self._encoding == "fibbinary" else "bin"
        approx = f"_a{self._approx_bits}" if self._approx_bits else ""
        latch = "_latch" if self._storage == "latch" else ""
        return (f"cim_r{self._rows}_c{self._cols}_w{self._wb}_i{self._ib}_{s}_{enc}_"
                f"{self._bit_order}{approx}{latch}")

    # -- sizing

    def _product_bounds(self, width):
        """Bounds of one cell product for a ``width``-bit slice, after truncation."""
        w_lo, w_hi = _bounds(self._wb, self._signed_weights)
        s_max = (1 << width) - 1
        lo, hi = min(0, s_max * w_lo), max(0, s_max * w_hi)
        step = 1 << self._approx_bits
        return (lo // step) * step, (hi // step) * step

    def _result_bounds(self):
        """Bounds of every partial and final accumulator value (either bit order).

        Exact mode: the range of the dot product, which also bounds every partial value (a
        partial is the dot product of the inputs' low bits, LSB-first, or of the inputs shifted
        right, MSB-first). Approximate mode: the sum of the slices' bounds."""
        if not self._approx_bits:
            x_lo, x_hi = _bounds(self._ib, self._signed_inputs)
            w_lo, w_hi = _bounds(self._wb, self._signed_weights)
            corners = (x_lo * w_lo, x_lo * w_hi, x_hi * w_lo, x_hi * w_hi)
            return self._rows * min(corners), self._rows * max(corners)
        lo = hi = 0
        for pos, width, negate in self._slices:
            p_lo, p_hi = self._product_bounds(width)
            t_lo, t_hi = self._rows * p_lo, self._rows * p_hi
            if negate:
                t_lo, t_hi = -t_hi, -t_lo
            lo += min(0, t_lo << pos)
            hi += max(0, t_hi << pos)
        return lo, hi

    # -- elaboration

    def _product(self, b0, b1, word):
        """One cell: the slice ``(b1, b0)`` (``b1`` 0 for 1-bit slices) times ``word``."""
        wb = self._wb
        if self._encoding == "binary":
            masked = word & b0.replicate(wb)
            return masked.as_signed() if self._signed_weights else masked
        if not self._signed_weights:
            return Cat(*((b0 & word[j] if j < wb else 0) | (b1 & word[j - 1] if j else 0)
                         for j in range(wb + 1)))
        low = [(b0 & word[j]) | (b1 & word[j - 1] if j else 0) for j in range(wb - 1)]
        carry = b1 & word[wb - 2] if wb >= 2 else Const(0, 1)
        neg = (-Cat(b0, b1))[:3]  # -s in 3-bit two's complement: no carry into lower bits
        top = Mux(word[wb - 1], neg, Cat(carry, Const(0, 2)))
        return Cat(*low, top).as_signed()

    def elaborate(self, platform):
        m = Module()
        rows, cols = self._rows, self._cols
        n = self.cycles
        cell_bits = self.weight_shape.width

        # -- storage and the write port
        store = [Signal(cols * cell_bits, name=f"row{r}", reset_less=True) for r in range(rows)]
        if self._storage == "ff":
            for r in range(rows):
                with m.If(self.w_en & (self.w_addr == r)):
                    m.d.sync += store[r].eq(self.w_data.as_value())
        else:
            w_hold = Signal(cols * cell_bits, name="w_hold", reset_less=True)
            w_select = Signal(rows, name="w_select")
            with m.If(self.w_en):
                m.d.sync += w_hold.eq(self.w_data.as_value())
            m.d.sync += w_select.eq(Cat(self.w_en & (self.w_addr == r) for r in range(rows)))
            for r in range(rows):
                domain = f"w_gclk{r}"
                m.domains += ClockDomain(domain, reset_less=True, local=True)
                m.d.comb += ClockSignal(domain).eq(~ClockSignal("sync") & w_select[r])
                m.d[domain] += store[r].eq(w_hold)

        # -- read-back port (registered, like an SRAM read)
        r_data = Signal(cols * cell_bits, name="r_word", reset_less=True)
        with m.If(self.r_en):
            with m.Switch(self.r_addr):
                for r in range(rows):
                    with m.Case(r):
                        m.d.sync += r_data.eq(store[r])
        m.d.comb += self.r_data.eq(r_data)

        # -- control
        x_reg = Signal(rows * self._ib, name="x_reg", reset_less=True)
        busy = Signal(name="busy_q")
        count = Signal(range(max(n, 2)), name="slice")
        o_valid = Signal(name="o_valid")
        o_data = Signal(self._output_shape.width * cols, name="o_data", reset_less=True)
        last = Signal(name="last")
        out_free = Signal(name="out_free")
        advance = Signal(name="advance")
        take = Signal(name="take")
        m.d.comb += [
            last.eq(busy & (count == n - 1)),
            out_free.eq(~o_valid | self.o_stream.ready),
            advance.eq(busy & (~last | out_free)),
            self.i_stream.ready.eq(~busy | (last & out_free)),
            take.eq(self.i_stream.valid & self.i_stream.ready),
            self.busy.eq(busy),
            self.o_stream.valid.eq(o_valid),
            self.o_stream.payload.eq(o_data),
        ]
        with m.If(take):
            m.d.sync += x_reg.eq(self.i_stream.payload.as_value())

        # -- slice selection: the bits of the current slice of every row
        ib = self._ib
        b0 = Signal(rows, name="slice_b0")
        b1 = Signal(rows, name="slice_b1")
        with m.Switch(count):
            for j, (pos, width, _) in enumerate(self._slices):
                with m.Case(j):
                    m.d.comb += b0.eq(Cat(x_reg[r * ib + pos] for r in range(rows)))
                    if width == 2:
                        m.d.comb += b1.eq(Cat(x_reg[r * ib + pos + 1] for r in range(rows)))
        # gate with busy so the array is silent while idle
        b0g = Signal(rows, name="b0_gated")
        b1g = Signal(rows, name="b1_gated")
        m.d.comb += [b0g.eq(b0 & busy.replicate(rows)), b1g.eq(b1 & busy.replicate(rows))]

        # -- products, adder trees, accumulators
        L = self._approx_bits
        o_parts = []
        for c in range(cols):
            products = []
            for r in range(rows):
                word = store[r][c * cell_bits:(c + 1) * cell_bits]
                p = self._product(b0g[r], b1g[r], word)
                products.append(p >> L if L else p)
            total_value = _adder_tree(products)
            total = Signal.like(total_value, name=f"tree{c}")
            m.d.comb += total.eq(total_value)
            acc = Signal(self._output_shape, name=f"acc{c}", reset_less=True)
            term = Signal(self._output_shape, name=f"term{c}")
            nxt = Signal(self._output_shape, name=f"acc_next{c}")
            base = Mux(count == 0, 0, acc)
            with m.Switch(count):
                for j, (pos, width, negate) in enumerate(self._slices):
                    with m.Case(j):
                        t = -total if negate else total
                        if self._bit_order == "lsb":
                            m.d.comb += [term.eq(t << (pos + L)), nxt.eq(base + term)]
                        else:
                            m.d.comb += [term.eq(t << L), nxt.eq((base << width) + term)]
            with m.If(advance):
                m.d.sync += acc.eq(nxt)
            o_parts.append(nxt)

        with m.If(self.o_stream.ready):
            m.d.sync += o_valid.eq(0)
        with m.If(advance & last):
            m.d.sync += [count.eq(0), o_valid.eq(1), busy.eq(take), o_data.eq(Cat(*o_parts))]
        with m.Elif(advance):
            m.d.sync += count.eq(count + 1)
        with m.Elif(take):
            m.d.sync += [busy.eq(1), count.eq(0)]
        return m
