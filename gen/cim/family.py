# amaranth: UnusedElaboratable=no
# (the registry builds generators to validate parameters; commands such as `errors` never
# elaborate them, which is intended)
"""The compute-in-memory family: the bit-serial digital CIM macro."""

from __future__ import annotations

from collections.abc import Mapping

from gen.flow.design import Design, Param
from gen.flow.family import Family
from hw.cim import CIMMacro
from sim_models.cim import CIMMacroModel


def _cim_name(p: Mapping[str, object]) -> str:
    s = ("s" if p["signed_inputs"] else "u") + ("s" if p["signed_weights"] else "u")
    enc = "fib" if p["encoding"] == "fibbinary" else "bin"
    approx = f"_a{p['approx_bits']}" if p["approx_bits"] else ""
    latch = "_latch" if p["storage"] == "latch" else ""
    return (f"cim_r{p['rows']}_c{p['cols']}_w{p['wb']}_i{p['ib']}_{s}_{enc}_{p['bit_order']}"
            f"{approx}{latch}")


def _cim_component(**kw):
    return CIMMacro(kw["rows"], kw["cols"], kw["wb"], kw["ib"],
                    **{k: v for k, v in kw.items() if k not in ("rows", "cols", "wb", "ib")})


def _cim_model(**kw):
    return CIMMacroModel(kw["rows"], kw["cols"], kw["wb"], kw["ib"],
                         **{k: v for k, v in kw.items() if k not in ("rows", "cols", "wb", "ib")})


DESIGNS: tuple[Design, ...] = (
    Design(
        "cim_macro", "cim",
        "bit-serial digital CIM macro (ISSCC'22-style), binary or fibbinary weights "
        "(2 input bits per cycle), exact or truncated adder tree",
        (
            Param("rows", int, 64, "1..1024", "rows: inputs per dot product"),
            Param("cols", int, 4, "1..256", "columns: dot products (weights per row)"),
            Param("wb", int, 4, "1..8", "weight bits"),
            Param("ib", int, 4, "1..8", "input bits (applied 1 or 2 per cycle)"),
            Param("signed_inputs", bool, False, "true|false", "two's-complement inputs"),
            Param("signed_weights", bool, False, "true|false", "two's-complement weights"),
            Param("bit_order", str, "lsb", "'lsb'|'msb'", "input slice order"),
            Param("encoding", str, "binary", "'binary'|'fibbinary'", "weight encoding"),
            Param("approx_bits", int, 0, "0..wb-1",
                  "product bits dropped before the adder tree (0: exact)"),
            Param("storage", str, "ff", "'ff'|'latch'", "bit-cell storage", model=False),
        ),
        _cim_component, _cim_model, _cim_name,
    ),
)


class CimFamily(Family):
    """The cim family's plug-in (:class:`gen.flow.family.Family`)."""

    name = "cim"
    title = "bit-serial digital compute-in-memory macro (binary or fibbinary weights)"
    order = 30
    designs = DESIGNS


FAMILY = CimFamily()
