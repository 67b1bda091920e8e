"""Shared helpers of the ternary generators: parameter checks, widths and pipeline stages.

The integer, boolean and choice checks are those of :mod:`hw.approx._common`, so that every
generator of the project words its errors the same way; this module adds the checks the ternary
blocks need on top (odd kernel sizes, an optional choice) and the ready/valid register stage
shared by :class:`~hw.ternary.OCU` and :class:`~hw.ternary.BinaryOCU`.
"""

from amaranth.hdl import Signal

from ..approx._common import check_bool, check_choice, check_int

__all__ = [
    "MAX_N",
    "check_bool",
    "check_choice",
    "check_int",
    "check_odd",
    "check_optional_choice",
    "register_stage",
    "signed_width",
]

#: Largest vector length accepted by the generic blocks (popcount, product arrays, checks).
MAX_N = 65536


def check_odd(name, value, lo, hi):
    """Check that ``value`` is an odd integer in ``[lo, hi]``.

    One message for every failure, e.g. ``"K must be an odd integer between 1 and 7, not 4"``.

    Raises
    ------
    :exc:`TypeError`
        If ``value`` is not an :class:`int` or is a :class:`bool`.
    :exc:`ValueError`
        If ``value`` is even or outside ``[lo, hi]``.
    """
    message = f"{name} must be an odd integer between {lo} and {hi}, not {value!r}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(message)
    if not lo <= value <= hi or value % 2 == 0:
        raise ValueError(message)
    return value


def check_optional_choice(name, value, choices):
    """Check that ``value`` is :py:`None` or one of the strings in ``choices``.

    The message lists :py:`None` first, e.g. ``"Pooling must be None, 'max' or 'sum', not 'avg'"``.

    Raises
    ------
    :exc:`TypeError`
        If ``value`` is neither :py:`None` nor a :class:`str`.
    :exc:`ValueError`
        If ``value`` is a string not in ``choices``.
    """
    listed = ", ".join(["None", *(repr(choice) for choice in choices[:-1])])
    message = f"{name} must be {listed} or {choices[-1]!r}, not {value!r}"
    if value is None:
        return value
    if not isinstance(value, str):
        raise TypeError(message)
    if value not in choices:
        raise ValueError(message)
    return value


def signed_width(magnitude):
    """Width of the smallest two's-complement shape holding every integer in ``[-m, m]``."""
    return magnitude.bit_length() + 1


def register_stage(m, name, valid_in, fields, ready_out):
    """A ready/valid pipeline register (one stage, full throughput).

    The stage accepts a new item whenever it is empty or its content leaves in the same cycle
    (``ready_in = ~valid | ready_out``), so a pipeline of such stages moves one item per cycle
    while the consumer is ready. Once ``valid`` is asserted the registered payload does not
    change until the consumer takes it (rule 2 of :mod:`amaranth.lib.stream`), and ``valid``
    never depends combinationally on ``ready_out`` (rule 3). Payload registers are reset-less and
    load only when an item enters, so they do not toggle on idle cycles.

    Parameters
    ----------
    m : :class:`~amaranth.hdl.Module`
        Module the stage is added to (``sync`` domain).
    name : :class:`str`
        Prefix of the register names.
    valid_in : :class:`~amaranth.hdl.Value`
        Whether an item is offered to the stage.
    fields : sequence of (:class:`str`, :class:`~amaranth.hdl.Value`, shape)
        Name, combinational value and shape of each payload field.
    ready_out : :class:`~amaranth.hdl.Value`
        Whether the consumer takes the stage's item in this cycle.

    Returns
    -------
    ready_in : :class:`~amaranth.hdl.Signal`
        Whether the stage accepts the offered item in this cycle.
    valid : :class:`~amaranth.hdl.Signal`
        Whether the stage holds an item.
    regs : :class:`dict` of :class:`str` to :class:`~amaranth.hdl.Signal`
        The payload registers by field name.
    """
    valid = Signal(name=f"{name}_valid")
    ready_in = Signal(name=f"{name}_ready")
    m.d.comb += ready_in.eq(~valid | ready_out)
    regs = {}
    for field, _, shape in fields:
        regs[field] = Signal(shape, name=f"{name}_{field}", reset_less=True)
    with m.If(ready_in):
        m.d.sync += valid.eq(valid_in)
        with m.If(valid_in):
            m.d.sync += [regs[field].eq(value) for field, value, _ in fields]
    return ready_in, valid, regs
