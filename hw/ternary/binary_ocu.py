"""The binary (XNOR-popcount) output-channel unit: the baseline of CUTIE's "better than binary".
"""

from amaranth.hdl import Cat, Value, unsigned

from ._unit import ChannelUnit
from .popcount import PopCount

__all__ = ["BIT", "BinaryOCU"]

#: Shape of one binary activation or weight: bit 1 is ``+1``, bit 0 is ``-1``.
BIT = unsigned(1)


class BinaryOCU(ChannelUnit):
    """One output channel's complete ``k`` x ``k`` x ``n_i`` binary dot product per cycle.

    Activations and weights are in ``{-1, +1}``, one bit each (1 is ``+1``, 0 is ``-1``). A
    product is ``+1`` exactly when the two bits are equal, so with ``N = n_products``::

        s = sum(a * w) = pop(xnor) - (N - pop(xnor)) = 2 * pop(xnor) - N

    one XNOR per product and one :class:`~hw.ternary.PopCount` tree; ``s`` has the parity of
    ``N``. With ``pooling``, 4 consecutive window sums are combined (maximum or sum) as in
    :class:`~hw.ternary.OCU`. The output bit, with the single stored threshold ``th``, is 1
    (``+1``) if ``value >= th``, else 0 (``-1``): ``sign(value - th)`` with ``sign(0) = +1``.
    Every code is legal, so the result has no ``illegal`` flag, and no product is ever
    silenced: every XNOR and the whole tree may toggle with every window, which is what the
    ternary unit's zero operands avoid.

    Everything else -- the weight buffer (``weight_storage``), the write streams and their
    idle-only readiness, pooling, ``pipeline`` stages, latency and throughput, ``busy`` -- is
    as documented by :class:`~hw.ternary.OCU`, with one bit per element instead of a trit code,
    one popcount instead of two in the ``mid`` stage, and ``th`` instead of ``lo``/``hi``.

    Parameters
    ----------
    n_i : :class:`int`
        Input channels, 1 to 256.
    k : :class:`int`
        Kernel size, odd, 1 to 7.
    weight_storage : :class:`str`
        ``"ff"`` or ``"latch"``.
    pipeline : :class:`int`
        Pipeline register stages, 0 to 2.
    pooling : :py:`None` or :class:`str`
        :py:`None`, ``"max"`` or ``"sum"`` over 4 consecutive window sums, or ``"select"`` to
        choose among them at run time with the ``pool`` input (as :class:`~hw.ternary.OCU`).

    Members
    -------
    i_stream : :py:`In(stream.Signature(window_layout))`
        Windows: ``k`` x ``k`` x ``n_i`` bits, indexed ``[ky][kx][ci]``.
    o_stream : :py:`Out(stream.Signature(result_layout))`
        Results: ``sum`` (signed, :attr:`sum_width` bits) and ``bit``.
    w_stream : :py:`In(stream.Signature(weight_write_layout))`
        Weight writes: ``addr`` (word ``ky * k + kx``) and ``word`` (``n_i`` bits).
    th_stream : :py:`In(stream.Signature(threshold_layout))`
        Threshold write: ``th``, signed :attr:`threshold_width` bits.
    busy : :py:`Out(1)`
        A window is in flight.

    Submodules: ``pop`` (:class:`~hw.ternary.PopCount`).

    Raises
    ------
    :exc:`TypeError`
        If a parameter has the wrong type.
    :exc:`ValueError`
        If a parameter is out of range or not one of the listed choices.
    """

    NAME = "binary_ocu"

    def __init__(self, n_i, k, *, weight_storage="ff", pipeline=0, pooling=None):
        super().__init__(n_i, k, weight_storage=weight_storage, pipeline=pipeline,
                         pooling=pooling, element=BIT, threshold_fields=("th",),
                         decision_fields={"bit": BIT}, has_illegal=False)

    @property
    def count_width(self):
        """Width of the popcount, ``bits_for(n_products)``."""
        return self._n_products.bit_length()

    def reduce(self, m, window, words):
        m.submodules.pop = pop = PopCount(self._n_products)
        weights = Cat(*(word["word"] for word in words))
        m.d.comb += pop.bits.eq(~(Value.cast(window) ^ weights))
        return [("pop", pop.count, self.count_width)]

    def window_sum(self, m, fields):
        return (fields["pop"] << 1) - self._n_products

    def decide(self, m, value, thresholds):
        return {"bit": value >= thresholds.th}
