"""The ternary output-channel unit (OCU) of a CUTIE-style unrolled convolution engine."""

from amaranth.hdl import Cat, Mux
from amaranth.utils import bits_for

from ._unit import ChannelUnit
from .popcount import PopCount
from .trit import TRIT, TernaryProducts, TritCheck, illegal_bits

__all__ = ["OCU"]


class OCU(ChannelUnit):
    """One output channel's complete ``k`` x ``k`` x ``n_i`` ternary dot product per cycle.

    Function. For a window ``a[ky][kx][ci]`` and the stored weights ``w[ky][kx][ci]`` (trits)::

        s = sum(a * w) = pop(+1 products) - pop(-1 products)

    Each product goes to a ``+1`` and a ``-1`` line (:class:`~hw.ternary.TernaryProducts`: a
    zero activation or weight keeps both lines low, "silencing"), each set of ``n_products``
    lines is counted by a :class:`~hw.ternary.PopCount` tree, and the difference is formed at
    :attr:`sum_width` bits, enough for ``+-n_products`` (``+-4 * n_products`` with sum
    pooling): the sum never wraps. With ``pooling``, 4 consecutive window sums (the 2x2 pool
    group, presented one after the other by the engine) are combined, by maximum or by sum,
    into one value; otherwise the value is the window sum. The output trit is, with the stored
    thresholds ``(lo, hi)``: ``+1`` if ``value > hi``; else ``-1`` if ``value < lo``; else 0
    (strict compares, ``+1`` tested first, so ``lo > hi`` is allowed).

    Illegal codes (``0b10``). A window code is flagged on arrival (:class:`TritCheck`); a weight
    word is checked when written and its flag stored beside it. Illegal codes count as 0 in the
    sum. The result's ``illegal`` is set when the window (any of the 4 windows with pooling)
    or any stored weight word holds an illegal code.

    Weights and thresholds. The weight buffer holds ``n_words = k * k`` words of ``n_i`` trits;
    word ``ky * k + kx`` holds ``w[ky][kx][0..n_i-1]`` and is written by one ``w_stream``
    transfer (``addr``, ``word``); addresses ``k * k`` and up are accepted and ignored. The
    thresholds are written by one ``th_stream`` transfer (``lo``, ``hi``, signed
    :attr:`threshold_width` bits, one more than :attr:`sum_width`, so a loader can clamp folded
    thresholds to ``[-m - 1, m + 1]``, ``m`` the largest ``|value|``, without changing any
    decision). Both write streams are ready only while the unit is idle (``busy`` low and no
    window offered on ``i_stream``), so every result is computed with the weights and thresholds
    written before its first window was accepted; a write takes effect from the next cycle. A
    write offered in the middle of a pool group waits for the rest of the group: a producer
    must not hold the group's windows back behind it. Storage is reset-less: load before use.

    ``weight_storage="ff"``: flip-flops in ``sync`` with a load enable (a hold multiplexer per
    bit); every storage bit is clocked every cycle.

    ``weight_storage="latch"``: the write structure of a latch-based memory. A write is
    registered at its transfer edge ``t`` (one shared data register ``w_data`` and a one-hot word
    select ``w_select``); word ``i``'s storage is clocked by its own gated clock
    ``w_gclk<i> = ~clk & w_select[i]``, a pulse in the low phase of the cycle after ``t``
    (glitch-free: the select changes only at rising edges, while ``~clk`` is low), during which
    ``w_data`` is stable. Storage is clocked only when written; reading costs no clock
    activity. The word is stored at the falling edge after ``t``, and ``i_stream`` takes no
    window in the cycle after a write (``i_stream.ready`` low), so a window never meets a word
    that changes under it; writes may still follow back to back. Amaranth has no
    level-sensitive storage primitive (a ``comb`` assignment under ``If`` without ``Else`` takes
    the signal's initial value instead of holding; a combinational self-loop is rejected with
    ``CombinationalCycle``; an :class:`~amaranth.hdl.Instance` of a latch cell is not
    simulated), so the storage cells are edge-triggered registers on the gated clocks: in the
    Verilog, ``always @(posedge w_gclk<i>_clk)`` with ``assign w_gclk<i>_clk = ~clk &
    w_select[i]``. Synthesis (Yosys) therefore sees, per word, an inverter and an AND2 on a
    clock path and ``2 * n_i + 1`` rising-edge flip-flops (the word and its illegal flag) in
    their own clock domain, plus the shared write register; no latches. Replacing the storage
    flip-flops by latches transparent while ``w_gclk<i>`` is high (e.g.
    ``sky130_fd_sc_hd__dlxtp``) gives the latch memory with the same timing; a flow that does
    not handle gated clocks should use ``"ff"``.

    Latency and throughput. A new window is accepted every cycle while ``o_stream`` is ready
    (with pooling, 4 windows per result); ``i_stream.ready`` follows ``o_stream.ready``
    combinationally through the empty pipeline stages. With ``pipeline=0`` the result is
    combinational: it is on ``o_stream`` in the cycle its (last) window is on ``i_stream``.
    With ``pipeline`` of 1 the result is registered at the output; with 2 also the two
    popcounts (``mid`` stage: products and popcount trees in the first cycle, subtraction,
    pooling and thresholds in the second). The result of a window transferred at clock edge
    ``t`` is offered on ``o_stream`` from edge ``t + pipeline - 1`` on (``latency`` = ``pipeline``
    cycles). Stages obey the :mod:`amaranth.lib.stream` rules: an offered result is held until
    taken, and ``o_stream.valid`` never depends on ``o_stream.ready``.

    Parameters
    ----------
    n_i : :class:`int`
        Input channels, 1 to 256.
    k : :class:`int`
        Kernel size, odd, 1 to 7.
    weight_storage : :class:`str`
        ``"ff"`` or ``"latch"``, see above.
    pipeline : :class:`int`
        Pipeline register stages, 0 to 2.
    pooling : :py:`None` or :class:`str`
        :py:`None`, ``"max"`` or ``"sum"`` over 4 consecutive window sums, or ``"select"``:
        chosen at run time by the ``pool`` input (:class:`~hw.ternary.Pooling`, to be held
        stable while ``busy``; :attr:`~hw.ternary.Pooling.NONE` passes every window sum on);
        :attr:`sum_width` is then that of sum pooling.

    Members
    -------
    i_stream : :py:`In(stream.Signature(window_layout))`
        Windows: ``k`` x ``k`` x ``n_i`` trit codes, indexed ``[ky][kx][ci]``.
    o_stream : :py:`Out(stream.Signature(result_layout))`
        Results: ``sum`` (signed, :attr:`sum_width` bits; the pooled value with pooling),
        ``trit`` (:data:`~hw.ternary.TRIT`) and ``illegal``.
    w_stream : :py:`In(stream.Signature(weight_write_layout))`
        Weight writes: ``addr`` (word ``ky * k + kx``) and ``word`` (``n_i`` trit codes).
    th_stream : :py:`In(stream.Signature(threshold_layout))`
        Threshold writes: ``lo`` and ``hi``, signed :attr:`threshold_width` bits.
    busy : :py:`Out(1)`
        A window is in flight (pipeline stages or a partly accumulated pool group).
    pool : :py:`In(Pooling)`
        Only with ``pooling="select"``: the pooling of the next results.

    Submodules: ``products`` (:class:`~hw.ternary.TernaryProducts`), ``pop_pos``, ``pop_neg``
    (:class:`~hw.ternary.PopCount`) and ``check`` (:class:`~hw.ternary.TritCheck`).

    Raises
    ------
    :exc:`TypeError`
        If a parameter has the wrong type.
    :exc:`ValueError`
        If a parameter is out of range or not one of the listed choices.
    """

    NAME = "ocu"

    def __init__(self, n_i, k, *, weight_storage="ff", pipeline=0, pooling=None):
        super().__init__(n_i, k, weight_storage=weight_storage, pipeline=pipeline,
                         pooling=pooling, element=TRIT, threshold_fields=("lo", "hi"),
                         decision_fields={"trit": TRIT}, has_illegal=True)

    @property
    def count_width(self):
        """Width of each popcount, ``bits_for(n_products)``."""
        return bits_for(self._n_products)

    def word_fields(self, word):
        return [("illegal", 1, illegal_bits(word).any())]

    def reduce(self, m, window, words):
        n = self._n_products
        m.submodules.products = products = TernaryProducts(n)
        m.submodules.pop_pos = pop_pos = PopCount(n)
        m.submodules.pop_neg = pop_neg = PopCount(n)
        m.submodules.check = check = TritCheck(n)
        weights = Cat(*(word["word"] for word in words))
        m.d.comb += [
            products.a.eq(window),
            products.w.eq(weights),
            pop_pos.bits.eq(products.pos),
            pop_neg.bits.eq(products.neg),
            check.trits.eq(window),
        ]
        weights_illegal = Cat(*(word["illegal"] for word in words)).any()
        count = self.count_width
        return [
            ("pos", pop_pos.count, count),
            ("neg", pop_neg.count, count),
            ("illegal", check.illegal | weights_illegal, 1),
        ]

    def window_sum(self, m, fields):
        return fields["pos"] - fields["neg"]

    def decide(self, m, value, thresholds):
        return {"trit": Mux(value > thresholds.hi, 1, Mux(value < thresholds.lo, -1, 0))}

