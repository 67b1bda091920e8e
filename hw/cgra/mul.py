"""Multiplier tile (FU type ``mul``): exact, DRUM or ROUP."""

from amaranth.hdl import Module

from ..approx import DRUM, ROUP, ExactMultiplier
from ..approx._common import check_choice, check_int
from .decoder import OPCODES, FunctionUnit, check_width

__all__ = ["MUL", "MUL_KINDS"]

#: Multiplier kinds of a ``mul`` tile.
MUL_KINDS = ("exact", "drum", "roup")


class MUL(FunctionUnit):
    """Multiplier function unit.

    ``mul`` (opcode 1): ``dst`` <- the low ``W`` bits of the product of ``a`` and ``b`` read as
    signed ``W``-bit numbers, computed by a combinational multiplier of :mod:`hw.approx`:
    ``"exact"`` (:class:`~hw.approx.ExactMultiplier`, signed), ``"drum"``
    (:class:`~hw.approx.DRUM` with ``k``, signed, ``sign_mode="twos"``) or ``"roup"``
    (:class:`~hw.approx.ROUP` with ``p``, ``r``, signed). ``nop`` (opcode 0) writes nothing.

    Latency 1 (the product is registered in ``out0`` / ``out1``); see
    :class:`~hw.cgra.decoder.FunctionUnit` for the common ports.

    Parameters
    ----------
    width : :class:`int`
        Data width ``W``: 8, 16 or 32.
    kind : :class:`str`
        ``"exact"``, ``"drum"`` or ``"roup"``.
    k : :class:`int`
        DRUM's kept bits (``kind="drum"`` only), 3 to ``W - 1``.
    p, r : :class:`int`
        ROUP's perforated Booth rows and rounded bits (``kind="roup"`` only); ranges as
        :class:`~hw.approx.ROUP` with ``signed=True``.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If a parameter is invalid (the multiplier's own checks name ``K``, ``P``, ``R``).
    """

    fu_type = "mul"

    def __init__(self, width, kind="exact", *, k=6, p=1, r=2):
        self.check_parameters(width, kind, k=k, p=p, r=r)
        self._kind = kind
        self._params = {"exact": {}, "drum": {"k": k}, "roup": {"p": p, "r": r}}[kind]
        super().__init__(width)

    @staticmethod
    def check_parameters(width, kind="exact", *, k=6, p=1, r=2):
        """The checks of the constructor (the multipliers' own, same messages), without
        building anything."""
        check_width(width)
        check_choice("Multiplier kind", kind, MUL_KINDS)
        if kind == "drum":
            check_int("K", k, 3, width - 1, "width - 1")
        elif kind == "roup":
            check_int("P", p, 0, (width + 1) // 2 - 1, "ceil(width / 2) - 1")
            check_int("R", r, 0, width - 2, "width - 2")

    kind = property(lambda self: self._kind, doc='"exact", "drum" or "roup".')

    @property
    def params(self):
        """The multiplier's parameters: ``{}``, ``{"k": k}`` or ``{"p": p, "r": r}``."""
        return dict(self._params)

    @property
    def module_name(self):
        """Name of the multiplier submodule, derived from the parameters."""
        suffix = "".join(f"_{name}{value}" for name, value in self._params.items())
        return f"{self._kind}{suffix}"

    def elaborate(self, platform):
        m = Module()
        w = self._width
        if self._kind == "exact":
            mult = ExactMultiplier(w, signed=True)
        elif self._kind == "drum":
            mult = DRUM(w, self._params["k"], signed=True, sign_mode="twos")
        else:
            mult = ROUP(w, self._params["p"], self._params["r"], signed=True)
        m.submodules[self.module_name] = mult
        m.d.comb += [mult.a.eq(self.in0), mult.b.eq(self.in1)]
        op = self.instr.op
        self._write(m, op == OPCODES["mul"]["mul"], self.instr.dst, mult.p[:self._width])
        return m
