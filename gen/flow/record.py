"""The one energy record of the flow: what every gate-level measurement reports.

Every family's measurement carries the same common fields (the energy split, the library and
the conditions it was measured under, the simulator, the netlist's coverage) and adds its own
named quantities in :attr:`EnergyRecord.extra` (``energy_per_op_fj``, ``energy_per_mac_fj``,
``tops_per_w``, ``kernel``, ...). ``record.energy_per_mac_fj`` reads an extra field as an
attribute; :meth:`EnergyRecord.to_dict` flattens both into one JSON object.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

__all__ = ["EnergyRecord", "COMMON_FIELDS", "fj"]


def fj(joules: float, units: int) -> float:
    """``joules`` per unit in femtojoules, rounded to 6 decimals (the flow's precision)."""
    return round(joules / units * 1e15, 6)


@dataclass
class EnergyRecord:
    """Energy of one design point on one workload, measured at gate level.

    Members
    -------
    module, params
        The design point (Verilog module name, parameters).
    seed
        Seed of the workload.
    switching_fj, internal_fj, leakage_fj, input_switching_fj
        Energy per unit of the family, fJ; switching includes the input nets' switching. The
        unit is the family's and its record names it (``energy_per_op_fj`` of a multiplier:
        per operation; ``energy_per_window_fj`` of an OCU, ``energy_per_vector_fj`` of the
        CIM macro, ``energy_per_run_fj`` of a CGRA kernel); the ternary engine's sweep gives
        the split of its whole measured stretch (``energy_fj``). Compare these fields across
        families only through the named per-unit figures.
    groups
        Per cell group (combinational, sequential, clock): the split of each group over the
        same unit (the engine's sweep: the total of each group per MAC).
    liberty, liberty_path, voltage_v
        The library as given (a label) and as resolved, its nominal voltage.
    period_ns, wire_load
        The testbench clock (leakage is counted over it) and the net capacitance model.
    sim, cells, unannotated_nets
        The simulator, the netlist's cells and its nets the dump left without activity (0:
        every net annotated).
    seconds, limits
        Run time of the measurement; what the method does not model.
    extra
        The family's own quantities (names end in their unit).
    cached
        The record came from the cache.
    """

    module: str
    params: dict
    seed: int
    switching_fj: float
    internal_fj: float
    leakage_fj: float
    input_switching_fj: float
    groups: dict
    liberty: str
    liberty_path: str
    voltage_v: float
    period_ns: float
    wire_load: str
    sim: str
    cells: int
    unannotated_nets: int
    seconds: float
    limits: list
    extra: dict = field(default_factory=dict)
    cached: bool = False

    def __getattr__(self, name: str):
        # only called for names that are not fields: the family's quantities
        extra = self.__dict__.get("extra")
        if extra is not None and name in extra:
            return extra[name]
        raise AttributeError(f"{type(self).__name__} of {self.__dict__.get('module')!r} has "
                             f"no field {name!r}")

    def to_dict(self) -> dict:
        """One flat JSON object: the common fields, then the family's."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> EnergyRecord:
        """Inverse of :meth:`to_dict`.

        Raises
        ------
        TypeError
            A common field is missing (an entry of another format).
        """
        common = {f.name for f in fields(cls)} - {"extra"}
        missing = sorted(common - {"cached"} - set(data))
        if missing:
            raise TypeError(f"not an energy record: {', '.join(missing)} missing")
        return cls(**{k: v for k, v in data.items() if k in common},
                   extra={k: v for k, v in data.items() if k not in common})


#: Names of the fields every record has.
COMMON_FIELDS = tuple(f.name for f in fields(EnergyRecord) if f.name != "extra")
