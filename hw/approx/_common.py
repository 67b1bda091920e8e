"""Shared helpers of the approximate-multiplier generators.

Parameter validation (uniform error messages, raised before anything is elaborated) and the
optional output pipeline used by every multiplier in :mod:`hw.approx`.
"""

from amaranth.hdl import Signal
from amaranth.hdl import signed as _signed_shape
from amaranth.hdl import unsigned as _unsigned_shape
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = [
    "MAX_LATENCY",
    "Multiplier",
    "add_output_pipeline",
    "check_bool",
    "check_choice",
    "check_int",
    "check_latency",
]


#: Largest supported number of output register stages.
MAX_LATENCY = 2


def check_int(name, value, lo, hi, hi_text=None):
    """Check that ``value`` is an integer in ``[lo, hi]``.

    Parameters
    ----------
    name : :class:`str`
        Name of the parameter as it appears in the message, capitalised (e.g. ``"Width"``).
    value : object
        Value to check. A :class:`bool` is rejected even though it is an :class:`int`.
    lo, hi : :class:`int`
        Inclusive bounds.
    hi_text : :class:`str` or :py:`None`
        How ``hi`` depends on other parameters (e.g. ``"width - 1"``); stated in brackets after
        the numeric bound.

    Returns
    -------
    :class:`int`
        ``value`` unchanged.

    Raises
    ------
    :exc:`TypeError`
        If ``value`` is not an :class:`int` or is a :class:`bool`.
    :exc:`ValueError`
        If ``value`` is outside ``[lo, hi]``.
    """
    bound = f"{hi} ({hi_text})" if hi_text is not None else f"{hi}"
    message = f"{name} must be an integer between {lo} and {bound}, not {value!r}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(message)
    if not lo <= value <= hi:
        raise ValueError(message)
    return value


def check_bool(name, value):
    """Check that ``value`` is a :class:`bool`.

    Parameters
    ----------
    name : :class:`str`
        Name of the parameter as it appears in the message, capitalised.
    value : object
        Value to check; integers such as ``0`` and ``1`` are rejected.

    Returns
    -------
    :class:`bool`
        ``value`` unchanged.

    Raises
    ------
    :exc:`TypeError`
        If ``value`` is not a :class:`bool`.
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {value!r}")
    return value


def check_choice(name, value, choices):
    """Check that ``value`` is one of the strings in ``choices``.

    Parameters
    ----------
    name : :class:`str`
        Name of the parameter as it appears in the message, capitalised.
    value : object
        Value to check.
    choices : sequence of :class:`str`
        Accepted values, in the order they are listed in the message.

    Returns
    -------
    :class:`str`
        ``value`` unchanged.

    Raises
    ------
    :exc:`TypeError`
        If ``value`` is not a :class:`str`.
    :exc:`ValueError`
        If ``value`` is a string not in ``choices``.
    """
    quoted = [repr(choice) for choice in choices]
    if len(quoted) == 1:
        listed = quoted[0]
    else:
        listed = ", ".join(quoted[:-1]) + " or " + quoted[-1]
    message = f"{name} must be {listed}, not {value!r}"
    if not isinstance(value, str):
        raise TypeError(message)
    if value not in choices:
        raise ValueError(message)
    return value


def check_latency(value):
    """Check the ``latency`` parameter (0 to :data:`MAX_LATENCY` output register stages).

    Raises
    ------
    :exc:`TypeError`
        If ``value`` is not an :class:`int` (or is a :class:`bool`).
    :exc:`ValueError`
        If ``value`` is out of range.
    """
    return check_int("Latency", value, 0, MAX_LATENCY)


def add_output_pipeline(m, value, output, latency, *, name="p"):
    """Drive ``output`` from ``value`` through ``latency`` register stages.

    With ``latency == 0`` the connection is combinational and no clock domain is used. Otherwise
    ``latency`` reset-less registers in the ``sync`` domain are chained between ``value`` and
    ``output``: a value present before active clock edge ``t`` is visible on ``output`` after
    edge ``t + latency - 1``. A new value may be presented every cycle.

    Parameters
    ----------
    m : :class:`~amaranth.hdl.Module`
        Module the registers and the final connection are added to.
    value : :class:`~amaranth.hdl.Value`
        Combinational result.
    output : :class:`~amaranth.hdl.Signal`
        Port to drive; ``value`` is converted to its shape.
    latency : :class:`int`
        Number of register stages, ``0`` to :data:`MAX_LATENCY`.
    name : :class:`str`
        Prefix of the register names (``{name}_reg0``, ``{name}_reg1``, ...).
    """
    check_latency(latency)
    stage = value
    for index in range(latency):
        register = Signal(output.shape(), name=f"{name}_reg{index}", reset_less=True)
        m.d.sync += register.eq(stage)
        stage = register
    m.d.comb += output.eq(stage)


class Multiplier(wiring.Component):
    """Base of every multiplier generator: the port contract and the shared read-only properties.

    Subclasses validate their own parameters first, then call ``super().__init__`` with the
    operand width, signedness, product width and latency, and drive ``p`` through
    :meth:`drive_product`.

    Members
    -------
    a, b : :py:`In(signed(width))` or :py:`In(unsigned(width))`
        Operands.
    p : :py:`Out(signed(o_width))` or :py:`Out(unsigned(o_width))`
        Product, ``latency`` clock cycles after its operands.
    """

    def __init__(self, *, width, signed, o_width, latency):
        self._width = width
        self._signed = signed
        self._o_width = o_width
        self._latency = latency
        operand = _signed_shape(width) if signed else _unsigned_shape(width)
        product = _signed_shape(o_width) if signed else _unsigned_shape(o_width)
        super().__init__({"a": In(operand), "b": In(operand), "p": Out(product)})

    @property
    def width(self):
        """Operand width in bits."""
        return self._width

    @property
    def signed(self):
        """Whether operands and product are two's complement."""
        return self._signed

    @property
    def o_width(self):
        """Product width in bits."""
        return self._o_width

    @property
    def latency(self):
        """Output register stages (0: combinational)."""
        return self._latency

    def drive_product(self, m, value):
        """Connect ``value`` to ``p`` through the :attr:`latency` output registers."""
        add_output_pipeline(m, value, self.p, self._latency)
