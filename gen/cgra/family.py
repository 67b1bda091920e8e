# amaranth: UnusedElaboratable=no
# (the registry builds generators to validate parameters; commands such as `errors` never
# elaborate them, which is intended)
"""The CGRA family: R-Blocks-style fabrics of tiles."""

from __future__ import annotations

from collections.abc import Mapping

from gen.flow.design import Design, Param
from gen.flow.family import Family
from hw.cgra import CGRA
from sim_models.cgra import CGRAModel
from sim_models.cgra.fabric_file import load


def _cgra_fabric(fabric: str, mul: str):
    fab = load(fabric)
    if mul:
        if mul not in ("exact", "drum", "roup"):
            raise ValueError(f"Mul must be '', 'exact', 'drum' or 'roup', not {mul!r}")
        fab = fab.with_mul(mul)
    return fab


def _cgra_name(p: Mapping[str, object]) -> str:
    return f"cgra_{_cgra_fabric(p['fabric'], p['mul']).name}"


def _cgra_component(**kw):
    return CGRA(_cgra_fabric(kw["fabric"], kw["mul"]).to_dict())


def _cgra_model(**kw):
    return CGRAModel(_cgra_fabric(kw["fabric"], kw["mul"]))


DESIGNS: tuple[Design, ...] = (
    Design(
        "cgra", "cgra",
        "R-Blocks-style CGRA fabric: FUs, crossbar or mesh data network, IDs with "
        "instruction memories, scan-chain configuration (docs/cgra.md)",
        (
            Param("fabric", str, "small", "'small'|'default'|PATH.toml",
                  "fabric description: a built-in or a TOML file"),
            Param("mul", str, "", "''|'exact'|'drum'|'roup'",
                  "replace every MUL tile by this multiplier ('': as described)"),
        ),
        _cgra_component, _cgra_model, _cgra_name,
    ),
)


class CgraFamily(Family):
    """The cgra family's plug-in (:class:`gen.flow.family.Family`)."""

    name = "cgra"
    title = "R-Blocks-style CGRA fabrics (tiles, networks, assembler)"
    order = 40
    designs = DESIGNS


FAMILY = CgraFamily()
