"""Temporary shim: the multiplier energy flow is :mod:`gen.approx.multiplier`, the gate-level
bench :mod:`gen.flow.bench`. Kept only while modules and tests not yet ported import from here;
removed when none does."""

from __future__ import annotations

import os
from pathlib import Path

from gen.approx.multiplier import WORKLOADS, EnergyError, energy, make_workload
from gen.eda.liberty import Library
from gen.flow.bench import Liberty, library_for

__all__ = ["EnergyError", "energy", "make_workload", "WORKLOADS", "library_for",
           "resolve_library"]


def resolve_library(liberty: str | os.PathLike | None, wire_load: str) -> tuple[Path, Library]:
    """The resolved liberty file and its library (:meth:`gen.flow.bench.BenchOptions.make`'s
    checks, without the simulator)."""
    if wire_load not in ("default", "none"):
        raise ValueError(f"Wire load must be 'default' or 'none', not {wire_load!r}")
    lib = Liberty.resolve(liberty)
    if wire_load == "default" and lib.library.wire_load() is None:
        raise ValueError(f"liberty file {lib.path} has no default_wire_load; use --wire-load "
                         "none")
    return lib.path, lib.library

