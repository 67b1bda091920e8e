"""The part shared by the ternary and the binary output-channel unit.

:class:`ChannelUnit` owns what does not depend on the number system: parameter validation, the
signature (window in, result out, weight and threshold write streams), the weight buffer in
flip-flops or clock-gated storage, the threshold register, the pipeline registers, the optional
2x2 pooling and the ready/valid bookkeeping. A subclass supplies the reduction of a window
against the weights (:meth:`ChannelUnit.reduce`), the sum formed from it
(:meth:`ChannelUnit.window_sum`) and the output decision (:meth:`ChannelUnit.decide`).
"""

from amaranth.hdl import (
    Cat,
    ClockDomain,
    ClockSignal,
    Const,
    Module,
    Mux,
    Signal,
    Value,
    signed,
    unsigned,
)
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from ._common import (
    check_choice,
    check_int,
    check_odd,
    check_optional_choice,
    register_stage,
    signed_width,
)

__all__ = ["ChannelUnit", "MAX_N_I", "MAX_K", "MAX_PIPELINE", "POOL_SIZE", "Pooling"]

#: Largest number of input channels.
MAX_N_I = 256
#: Largest (odd) kernel size.
MAX_K = 7
#: Largest number of pipeline register stages.
MAX_PIPELINE = 2
#: Consecutive sums combined by pooling (a 2x2 pooling window).
POOL_SIZE = 4


class Pooling(enum.Enum, shape=2):
    """Pooling chosen at run time (the ``pool`` input of a unit built with
    ``pooling="select"``, and the engine's layer descriptor): none, 2x2 maximum or 2x2 sum."""

    NONE = 0
    MAX = 1
    SUM = 2


class ChannelUnit(wiring.Component):
    """Base of :class:`~hw.ternary.OCU` and :class:`~hw.ternary.BinaryOCU` (see those).

    Parameters
    ----------
    n_i, k, weight_storage, pipeline, pooling
        As documented by the subclasses; validated here, in this order.
    element : shape
        Shape of one activation or weight.
    threshold_fields : :class:`dict` of :class:`str` to :class:`bool`
        Threshold register fields (all signed, :attr:`threshold_width` bits).
    decision_fields : :class:`dict` of :class:`str` to shape
        Result fields produced by :meth:`decide`, after ``sum``.
    has_illegal : :class:`bool`
        Whether the result carries an ``illegal`` flag (from :meth:`reduce`).
    """

    #: Short name of the unit in :attr:`module_name` (set by subclasses).
    NAME = "unit"

    def __init__(self, n_i, k, *, weight_storage, pipeline, pooling, element,
                 threshold_fields, decision_fields, has_illegal):
        check_int("N_I", n_i, 1, MAX_N_I)
        check_odd("K", k, 1, MAX_K)
        check_choice("Weight storage", weight_storage, ("ff", "latch"))
        check_int("Pipeline", pipeline, 0, MAX_PIPELINE)
        check_optional_choice("Pooling", pooling, ("max", "sum", "select"))
        self._n_i = n_i
        self._k = k
        self._weight_storage = weight_storage
        self._pipeline = pipeline
        self._pooling = pooling
        self._element = element
        self._has_illegal = has_illegal

        self._n_products = k * k * n_i
        self._n_words = k * k
        self._window_sum_width = signed_width(self._n_products)
        scale = POOL_SIZE if pooling in ("sum", "select") else 1
        self._sum_width = signed_width(scale * self._n_products)
        self._threshold_width = self._sum_width + 1

        word = data.ArrayLayout(element, n_i)
        self._word_layout = word
        self._window_layout = data.ArrayLayout(data.ArrayLayout(word, k), k)
        self._weight_write_layout = data.StructLayout({
            "addr": unsigned(bits_for(self._n_words - 1)),
            "word": word,
        })
        self._threshold_layout = data.StructLayout(
            {name: signed(self._threshold_width) for name in threshold_fields})
        result = {"sum": signed(self._sum_width), **decision_fields}
        if has_illegal:
            result["illegal"] = unsigned(1)
        self._result_layout = data.StructLayout(result)
        members = {
            "i_stream": In(stream.Signature(self._window_layout)),
            "o_stream": Out(stream.Signature(self._result_layout)),
            "w_stream": In(stream.Signature(self._weight_write_layout)),
            "th_stream": In(stream.Signature(self._threshold_layout)),
            "busy": Out(1),
        }
        if pooling == "select":
            members["pool"] = In(Pooling)
        super().__init__(members)

    # ---------------------------------------------------------------------------------------
    # read-only parameters and derived facts

    @property
    def n_i(self):
        """Input channels."""
        return self._n_i

    @property
    def k(self):
        """Kernel size (odd)."""
        return self._k

    @property
    def weight_storage(self):
        """``"ff"`` or ``"latch"``."""
        return self._weight_storage

    @property
    def pipeline(self):
        """Pipeline register stages, 0 to 2."""
        return self._pipeline

    @property
    def pooling(self):
        """:py:`None`, ``"max"``, ``"sum"`` or ``"select"`` (chosen by the ``pool`` input)."""
        return self._pooling

    @property
    def module_name(self):
        """Verilog module name derived from the parameters, for one shared module per
        configuration (see :class:`~hw.ternary.SharedModule`), e.g.
        ``edgeforge_ocu_96_3_ff_p0_none``."""
        return (f"edgeforge_{self.NAME}_{self._n_i}_{self._k}_{self._weight_storage}"
                f"_p{self._pipeline}_{self._pooling or 'none'}")

    @property
    def latency(self):
        """Cycles from a window's (last) transfer to its result on ``o_stream``; equals
        :attr:`pipeline`."""
        return self._pipeline

    @property
    def windows_per_result(self):
        """Windows consumed per result: 4 with ``"max"`` or ``"sum"`` pooling, else 1 (with
        ``"select"``: 4 unless ``pool`` is :attr:`Pooling.NONE`)."""
        return POOL_SIZE if self._pooling in ("max", "sum") else 1

    @property
    def n_products(self):
        """Products per window, ``k * k * n_i``."""
        return self._n_products

    @property
    def n_words(self):
        """Weight words, ``k * k`` (one per kernel position, ``n_i`` weights each)."""
        return self._n_words

    @property
    def sum_width(self):
        """Width of the signed result ``sum``: the full range ``+-n_products`` (times 4 with
        sum pooling), never wrapping."""
        return self._sum_width

    @property
    def threshold_width(self):
        """Width of the signed thresholds, :attr:`sum_width` + 1."""
        return self._threshold_width

    @property
    def word_layout(self):
        """Layout of one weight word (``n_i`` elements)."""
        return self._word_layout

    @property
    def window_layout(self):
        """Layout of the ``i_stream`` payload, indexed ``[ky][kx][ci]``."""
        return self._window_layout

    @property
    def weight_write_layout(self):
        """Layout of the ``w_stream`` payload: ``addr`` and ``word``."""
        return self._weight_write_layout

    @property
    def threshold_layout(self):
        """Layout of the ``th_stream`` payload."""
        return self._threshold_layout

    @property
    def result_layout(self):
        """Layout of the ``o_stream`` payload."""
        return self._result_layout

    # ---------------------------------------------------------------------------------------
    # subclass hooks

    def word_fields(self, word):
        """Extra per-word storage: list of (name, shape, value computed from ``word``)."""
        return []

    def reduce(self, m, window, words):
        """Stage-A fields ``[(name, value, shape), ...]`` of ``window`` against the stored
        ``words`` (a list of dicts of the word's storage, ``"word"`` included); must contain
        ``"illegal"`` when the unit has an illegal flag."""
        raise NotImplementedError  # pragma: no cover

    def window_sum(self, m, fields):
        """The signed sum of one window from the stage-A ``fields`` (register or value)."""
        raise NotImplementedError  # pragma: no cover

    def decide(self, m, value, thresholds):
        """Decision fields ``{name: value}`` of the (pooled) ``value`` against the threshold
        register ``thresholds`` (a view of :attr:`threshold_layout`)."""
        raise NotImplementedError  # pragma: no cover

    # ---------------------------------------------------------------------------------------

    def _weight_store(self, m, write):
        """The weight buffer.

        Returns one dict of storage signals per word, and the signal that is high while a
        latch-mode write is landing (windows wait), or :py:`None`.
        """
        payload = self.w_stream.payload
        word_shape = Value.cast(payload.word).shape()  # a plain vector: a view-typed register
        # would add a debug wire per element to the netlist
        if self._weight_storage == "ff":
            source = payload.word
            select = Signal(self._n_words, name="w_select")
            m.d.comb += select.eq(
                Cat(write & (payload.addr == i) for i in range(self._n_words)))
            pending = None
        else:
            # Latch-style write: the write is registered (one shared data register and a
            # registered one-hot word select), then each word's storage is clocked by its gated
            # clock ~clk & select[i], a pulse in the low phase of the cycle after the transfer,
            # glitch-free because the select changes only at rising edges. The data register is
            # stable during that phase, as a latch transparent for it needs.
            source = Signal(word_shape, name="w_data", reset_less=True)
            select = Signal(self._n_words, name="w_select")
            pending = Signal(name="w_pending")
            with m.If(write):
                m.d.sync += source.eq(payload.word)
            m.d.sync += [
                select.eq(Cat(write & (payload.addr == i) for i in range(self._n_words))),
                pending.eq(write),
            ]
        fields = [("word", word_shape, source), *self.word_fields(source)]
        words = []
        for index in range(self._n_words):
            regs = {name: Signal(shape, name=f"w{index}_{name}", reset_less=True)
                    for name, shape, _ in fields}
            updates = [regs[name].eq(value) for name, _, value in fields]
            if self._weight_storage == "ff":
                with m.If(select[index]):
                    m.d.sync += updates
            else:
                domain = f"w_gclk{index}"
                m.domains += ClockDomain(domain, reset_less=True, local=True)
                m.d.comb += ClockSignal(domain).eq(~ClockSignal("sync") & select[index])
                m.d[domain] += updates
            words.append(regs)
        return words, pending

    def _pool(self, m, valid_in, value, illegal, ready_out):
        """Pooling over :data:`POOL_SIZE` consecutive sums; returns (ready_in, valid, value,
        illegal, count)."""
        count = Signal(range(POOL_SIZE), name="pool_count")
        acc = Signal(signed(self._sum_width), name="pool_acc", reset_less=True)
        pooled = Signal(signed(self._sum_width), name="pool_value")
        first = count == 0
        last = count == POOL_SIZE - 1
        if self._pooling == "select":
            mode = self.pool
            bypass = mode == Pooling.NONE
            first = first | bypass
            last = last | bypass
            is_sum = mode == Pooling.SUM
        else:
            is_sum = Const(self._pooling == "sum")
        with m.If(first):
            m.d.comb += pooled.eq(value)
        with m.Elif(is_sum):
            m.d.comb += pooled.eq(acc + value)
        with m.Elif(value > acc):
            m.d.comb += pooled.eq(value)
        with m.Else():
            m.d.comb += pooled.eq(acc)
        ready_in = Signal(name="pool_ready")
        valid = Signal(name="pool_valid")
        m.d.comb += [
            ready_in.eq(~last | ready_out),
            valid.eq(valid_in & last),
        ]
        updates = [count.eq(Mux(last, 0, count + 1)), acc.eq(pooled)]
        pooled_illegal = None
        if illegal is not None:
            acc_illegal = Signal(name="pool_acc_illegal", reset_less=True)
            pooled_illegal = Signal(name="pool_illegal")
            m.d.comb += pooled_illegal.eq(illegal | (acc_illegal & ~first))
            updates.append(acc_illegal.eq(pooled_illegal))
        with m.If(valid_in & ready_in):
            m.d.sync += updates
        return ready_in, valid, pooled, pooled_illegal, count

    def elaborate(self, platform):
        m = Module()
        busy_terms = []

        # Configuration: weight and threshold writes only while no window is offered or in
        # flight, so every result uses one consistent set of weights and thresholds.
        config_ready = Signal(name="config_ready")
        m.d.comb += [
            config_ready.eq(~self.busy & ~self.i_stream.valid),
            self.w_stream.ready.eq(config_ready),
            self.th_stream.ready.eq(config_ready),
        ]
        words, pending = self._weight_store(m, self.w_stream.valid & config_ready)
        thresholds = Signal(self._threshold_layout, name="thresholds", reset_less=True)
        with m.If(self.th_stream.valid & config_ready):
            m.d.sync += thresholds.eq(self.th_stream.payload)

        # Stage A: the whole K x K x N_I reduction of the window against the weights.
        fields = self.reduce(m, self.i_stream.payload, words)
        if pending is None:
            valid = self.i_stream.valid
            upstream_ready = self.i_stream.ready
        else:
            # no window while a latch-mode write lands (the cycle after the transfer)
            valid = Signal(name="i_valid")
            upstream_ready = Signal(name="i_ready")
            m.d.comb += [
                valid.eq(self.i_stream.valid & ~pending),
                self.i_stream.ready.eq(upstream_ready & ~pending),
            ]
        values = {name: value for name, value, _ in fields}
        if self._pipeline == 2:
            ready_next = Signal(name="mid_ready_out")
            ready_in, valid, values = register_stage(m, "mid", valid, fields, ready_next)
            m.d.comb += upstream_ready.eq(ready_in)
            upstream_ready = ready_next
            busy_terms.append(valid)

        # Stage B: sum, pooling, thresholds.
        value = Signal(signed(self._window_sum_width), name="window_sum")
        m.d.comb += value.eq(self.window_sum(m, values))
        illegal = values.get("illegal") if self._has_illegal else None
        if self._pooling is not None:
            ready_next = Signal(name="pool_ready_out")
            ready_in, valid, value, illegal, count = self._pool(
                m, valid, value, illegal, ready_next)
            m.d.comb += upstream_ready.eq(ready_in)
            upstream_ready = ready_next
            busy_terms.append(count != 0)
        result = {"sum": value, **self.decide(m, value, thresholds)}
        if self._has_illegal:
            result["illegal"] = illegal

        if self._pipeline >= 1:
            out_fields = [(name, result[name], self._result_layout[name].shape)
                          for name in result]
            ready_in, valid, result = register_stage(
                m, "out", valid, out_fields, self.o_stream.ready)
            m.d.comb += upstream_ready.eq(ready_in)
            busy_terms.append(valid)
        else:
            m.d.comb += upstream_ready.eq(self.o_stream.ready)
        m.d.comb += self.o_stream.valid.eq(valid)
        m.d.comb += [getattr(self.o_stream.payload, name).eq(result[name]) for name in result]
        m.d.comb += self.busy.eq(Cat(*busy_terms).any() if busy_terms else 0)
        return m
