"""Verification of the CIM macro: vector sets, the cocotb run and the checker.

The testbench is split into the usual four parts:

* **driver** and **monitor** (:mod:`verif.cim.macro_cocotb`, inside the simulator): write every
  row through the write port, read every row back, then stream the input vectors (with gaps
  and ``o_stream`` back-pressure where a set asks for them, and row writes at chosen cycles
  while vectors are in flight) and record every result with the cycles at which vectors were
  accepted and writes transferred;
* **model** (:class:`sim_models.cim.CIMMacroModel`): the bit-serial MAC from its definition,
  given the weights in effect at every compute cycle;
* **checker** (:func:`check_results`): rows read back, every result, and one vector per
  ``cycles`` clocks on the sets without gaps or back-pressure; a mismatch names the set, the
  vector, expected and actual values and a one-line repro command.

Run one configuration from the shell with, e.g.::

    SIM=verilator python -m verif.cim.macro -p rows=16 -p encoding=fibbinary --seed 7
"""

from __future__ import annotations

import argparse
import itertools
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hw.cim import CIMMacro
from sim_models.cim import CIMMacroModel, codebook

from .. import sim as _sim
from ..point import Design, DesignPoint, parse_params

__all__ = ["VectorSet", "SET_NAMES", "vector_sets", "job", "check_results", "CIMTestError",
           "CIMReport", "run", "repro_command", "unpack", "design_point", "PARAMS",
           "BUILD_ROOT", "EXHAUSTIVE_MAX"]

BUILD_ROOT = Path("build") / "verif"
#: Vector sets of :func:`vector_sets`, in run order.
SET_NAMES = ("random", "extremes", "sparse", "zero", "exhaustive", "stall", "writes")
#: The ``exhaustive`` set enumerates every input vector when there are at most this many.
EXHAUSTIVE_MAX = 4096


@dataclass
class VectorSet:
    """Initial weights ``(rows, cols)``, input vectors ``(N, rows)`` (values), the
    ``o_stream.ready`` and input-offer patterns (empty: always 1) and row writes
    ``(cycle, row, values)`` issued at cycles of the streaming loop."""

    name: str
    weights: np.ndarray
    vectors: np.ndarray
    ready: list[int] = field(default_factory=list)
    gaps: list[int] = field(default_factory=list)
    writes: list[tuple[int, int, np.ndarray]] = field(default_factory=list)


def _levels(model) -> np.ndarray:
    if model.encoding == "fibbinary":
        return codebook(model.wb, model.signed_weights)
    lo, hi = model.weight_range()
    return np.arange(lo, hi + 1)


def vector_sets(model, seed: int, vectors: int = 32, names=SET_NAMES) -> list[VectorSet]:
    """The directed and random vector sets of one configuration, drawn from ``seed``.

    ``random``: uniform inputs and weights (weights uniform over the encoding's levels);
    ``extremes``: inputs all at their smallest or largest value against weight columns at
    the extreme levels (the largest and smallest results when ``cols`` > 1); ``sparse``: 90 %
    zero inputs; ``zero``: all-zero inputs; ``exhaustive``: every input vector (when there
    are at most :data:`EXHAUSTIVE_MAX`, else as many random ones) against weights cycling
    through the levels (``w[r][c]`` is level ``(c + r) mod n``: every level in every row when
    ``cols`` is at least the number of levels); ``stall``: random vectors offered after
    random gaps (an offered vector is held until taken), with ``o_stream`` back-pressure;
    ``writes``: random vectors while rows are rewritten at random cycles (no gaps, no
    back-pressure).
    """
    unknown = set(names) - set(SET_NAMES)
    if unknown:
        raise ValueError(f"Unknown vector sets {sorted(unknown)}; valid: {', '.join(SET_NAMES)}")
    rng = np.random.default_rng(seed)
    rows, cols = model.rows, model.cols
    x_lo, x_hi = model.input_range()
    levels = _levels(model)

    def rand_x(n):
        return rng.integers(x_lo, x_hi, size=(n, rows), endpoint=True)

    def rand_w(shape=(rows, cols)):
        return rng.choice(levels, size=shape)

    out = []
    for name in names:
        w, x, ready, gaps, writes = rand_w(), rand_x(vectors), [], [], []
        if name == "extremes":
            ext = [levels[0], levels[-1]]
            w = np.array([[ext[(c + (r % 2) * (c // 2)) % 2] for c in range(cols)]
                          for r in range(rows)])
            x = np.array([[x_lo] * rows, [x_hi] * rows,
                          [x_lo if r % 2 else x_hi for r in range(rows)]] * 2)
        elif name == "sparse":
            x = x * (rng.random(x.shape) < 0.1)
        elif name == "zero":
            x = np.zeros_like(x)
        elif name == "exhaustive":
            n_vec = (x_hi - x_lo + 1) ** rows
            if n_vec <= EXHAUSTIVE_MAX:
                x = np.array(list(itertools.product(range(x_lo, x_hi + 1), repeat=rows)))
            w = np.array([[levels[(c + r) % len(levels)] for c in range(cols)]
                          for r in range(rows)])
        elif name == "stall":
            ready = [int(v) for v in rng.integers(0, 2, size=37)]
            gaps = [int(v) for v in rng.random(29) < 0.7]
        elif name == "writes":
            span = (vectors + 2) * model.cycles
            for c in sorted(rng.choice(span, size=min(span, vectors), replace=False)):
                writes.append((int(c), int(rng.integers(rows)), rand_w((cols,))))
        out.append(VectorSet(name, w, x, ready, gaps, writes))
    return out


# -------------------------------------------------------------------------------------------
# packing


def _pack(values, bits: int) -> int:
    word = 0
    for i, v in enumerate(np.asarray(values).reshape(-1)):
        word |= (int(v) & ((1 << bits) - 1)) << (bits * i)
    return word


def unpack(word: int, bits: int, n: int, is_signed: bool) -> list[int]:
    """The ``n`` fields of ``bits`` bits packed in ``word`` (field 0 in the low bits), as
    two's-complement values when ``is_signed``."""
    out = []
    for i in range(n):
        v = word >> (bits * i) & ((1 << bits) - 1)
        if is_signed and v >> (bits - 1) & 1:
            v -= 1 << bits
        out.append(v)
    return out


def job(component, sets: list[VectorSet], readback: bool = True) -> dict:
    """The job file of :mod:`verif.cim.macro_cocotb` for ``sets``."""
    wb, ib = component.wb, component.ib
    return {"cycles": component.cycles, "sets": [{
        "name": s.name,
        "rows": [_pack(row, wb) for row in s.weights],
        "readback": readback,
        "vectors": [_pack(x, ib) for x in s.vectors],
        "ready": s.ready, "gaps": s.gaps,
        "writes": [[c, r, _pack(v, wb)] for c, r, v in s.writes],
    } for s in sets]}


# -------------------------------------------------------------------------------------------
# checking


class CIMTestError(AssertionError):
    """The RTL disagreed with the golden model or did not stream as documented."""


@dataclass(frozen=True)
class CIMReport:
    """Outcome of :func:`run`."""

    module: str
    sim: str
    seed: int
    checked: int
    sets: dict
    build_seconds: float
    seconds: float


def per_cycle_weights(model, vset: VectorSet, accepted: list[int],
                      written: list[list[int]], wb_signed_unpack) -> np.ndarray:
    """The weights in effect at every compute cycle of every vector, ``(N, cycles, rows,
    cols)``: vector ``v`` accepted in loop cycle ``a`` computes slice ``j`` in cycle
    ``a + 1 + j`` (no back-pressure), and a write transferred in cycle ``c`` is seen from
    cycle ``c + 1`` on."""
    if vset.ready or vset.gaps:
        raise ValueError(f"set {vset.name}: writes during compute can only be checked without "
                         "gaps and back-pressure (the slice cycles are inferred from the "
                         "acceptance cycles)")
    n = len(accepted)
    out = np.empty((n, model.cycles, model.rows, model.cols), dtype=np.int64)
    events = sorted((c, r, wb_signed_unpack(p)) for c, r, p in written)
    for v, a in enumerate(accepted):
        for j in range(model.cycles):
            cyc = a + 1 + j
            w = vset.weights.copy()
            for c, r, vals in events:
                if c < cyc:
                    w[r] = vals
            out[v, j] = w
    return out


def check_results(component, model, sets: list[VectorSet], observed: dict,
                  repro: str = "", readback: bool = True) -> int:
    """Compare read-back rows and every result with the model; return the results checked.

    Raises
    ------
    CIMTestError
        Naming the first mismatch and ``repro``, with the count of mismatches; or if rows read
        back differ from those written, or a set without gaps and back-pressure did not take
        one vector per :attr:`~hw.cim.CIMMacro.cycles` clocks, or a result was not offered
        ``cycles`` edges after its vector's acceptance (exactly, without back-pressure), or
        ``o_stream`` dropped or changed a result before it was taken.
    """
    wb, cols = component.wb, component.cols
    o_shape = component.output_shape

    def unpack_row(p):
        return unpack(p, wb, cols, component.signed_weights)

    checked = bad = 0
    first = None
    problems = []
    for vset, obs in zip(sets, observed["sets"], strict=True):
        if readback and len(obs["readback"]) != len(vset.weights):
            problems.append(f"set {vset.name}: {len(obs['readback'])} rows read back, "
                            f"written {len(vset.weights)}")
        for v in obs.get("violations", [])[:1]:
            problems.append(f"set {vset.name}: stream rule broken at {v}")
        acc, tak = obs["accepted"], obs.get("taken", [])
        if tak:
            lat = [t - a for a, t in zip(acc, tak, strict=False)]
            least = component.cycles + 1  # offered `cycles` edges after the accepting edge
            if min(lat) < least or (not vset.ready and set(lat) != {least}):
                problems.append(f"set {vset.name}: results taken {sorted(set(lat))} cycles "
                                f"after their vectors, expected {least}"
                                + ("" if vset.ready else " exactly (no back-pressure)"))
        for r, p in enumerate(obs["readback"]):
            if unpack_row(p) != [int(v) for v in vset.weights[r]]:
                problems.append(f"set {vset.name}: row {r} read back as {unpack_row(p)}, "
                                f"written {vset.weights[r].tolist()}")
                break
        if vset.writes:
            w = per_cycle_weights(model, vset, obs["accepted"], obs["written"], unpack_row)
        else:
            w = vset.weights
        exp = model(vset.vectors, w)
        got = [unpack(p, o_shape.width, cols, o_shape.signed) for p in obs["results"]]
        if len(got) != len(exp):
            problems.append(f"set {vset.name}: {len(got)} results, expected {len(exp)}")
        for i, g in enumerate(got[:len(exp)]):
            checked += 1
            if g != exp[i].tolist():
                bad += 1
                if first is None:
                    first = (vset.name, i, vset.vectors[i].tolist(), exp[i].tolist(), g)
        acc = obs["accepted"]
        if not vset.ready and not vset.gaps and len(acc) > 1:
            steps = set(np.diff(acc).tolist())
            if steps != {component.cycles}:
                problems.append(f"set {vset.name}: vectors accepted {sorted(steps)} cycles "
                                f"apart, not every {component.cycles}")
    if first is not None:
        name, i, x, want, g = first
        problems.insert(0, f"{bad} of {checked} results differ; first in set {name!r} at "
                           f"vector {i} (x = {x}): expected {want}, got {g}")
    if problems:
        raise CIMTestError("; ".join(problems) + (f"; repro: {repro}" if repro else ""))
    return checked


# -------------------------------------------------------------------------------------------
# build and run


#: Parameters of the ``cim_macro`` design (the flow registry's) and their defaults.
PARAMS = {"rows": 64, "cols": 4, "wb": 4, "ib": 4, "signed_inputs": False,
          "signed_weights": False, "bit_order": "lsb", "encoding": "binary", "approx_bits": 0,
          "storage": "ff"}


def design_point(params=()) -> DesignPoint:
    """The ``cim_macro`` design point of ``params`` (a mapping, or ``NAME=VALUE`` strings, see
    :data:`PARAMS`): :class:`hw.cim.CIMMacro` and :class:`sim_models.cim.CIMMacroModel`, named
    as the flow names it.

    Raises
    ------
    TypeError, ValueError
        For an unknown parameter or a value the macro or its model refuses.
    """
    p = parse_params("cim_macro", PARAMS, params)
    rest = {k: v for k, v in p.items() if k not in ("rows", "cols", "wb", "ib")}
    component = CIMMacro(p["rows"], p["cols"], p["wb"], p["ib"], **rest)
    model = CIMMacroModel(p["rows"], p["cols"], p["wb"], p["ib"],
                          **{k: v for k, v in rest.items() if k != "storage"})
    s = ("s" if p["signed_inputs"] else "u") + ("s" if p["signed_weights"] else "u")
    enc = "fib" if p["encoding"] == "fibbinary" else "bin"
    approx = f"_a{p['approx_bits']}" if p["approx_bits"] else ""
    latch = "_latch" if p["storage"] == "latch" else ""
    module = (f"cim_r{p['rows']}_c{p['cols']}_w{p['wb']}_i{p['ib']}_{s}_{enc}_{p['bit_order']}"
              f"{approx}{latch}")
    return DesignPoint(Design("cim_macro"), module, p, component, model, PARAMS)


def repro_command(inst, sim: str, seed: int, names=None) -> str:
    """One shell line that re-runs this configuration, seed and sets."""
    args = [sys.executable, "-m", "verif.cim.macro", *inst.cli_params(), "--seed", str(seed)]
    if names is not None and tuple(names) != SET_NAMES:
        args += ["--sets", ",".join(names)]
    return f"SIM={sim} " + " ".join(shlex.quote(a) for a in args)


def run(inst, *, seed: int = 1, vectors: int = 32, names=SET_NAMES, sim: str | None = None,
        build_root: Path = BUILD_ROOT, sets: list[VectorSet] | None = None) -> CIMReport:
    """Build the RTL of a ``cim_macro`` instance and check it on the vector sets.

    ``sets`` replaces the generated sets (e.g. a real layer's weights and inputs).

    Raises
    ------
    CIMTestError
        On any mismatch.
    RuntimeError
        If the build or the simulation fails.
    """
    if inst.design.name != "cim_macro":
        raise ValueError(f"Design {inst.design.name} has no cocotb CIM testbench")
    sim = _sim.prepare(sim)
    build_dir = (Path(build_root) / inst.module / sim).resolve()
    with _sim.build_lock(build_dir):  # one run per build directory at a time
        _, build_seconds = _sim.build_design(inst.component, inst.module, sim, build_dir)
        if sets is None:
            sets = vector_sets(inst.model, seed, vectors, names)
        else:
            names = tuple(x.name for x in sets)
        repro = repro_command(inst, sim, seed, names)
        t0 = time.perf_counter()
        observed = _sim.run_job(sim, "verif.cim.macro_cocotb", inst.module, build_dir,
                                build_dir / f"seed{seed}", job(inst.component, sets),
                                f"Simulation of {inst.module}", repro)
        seconds = time.perf_counter() - t0
    checked = check_results(inst.component, inst.model, sets, observed, repro)
    counts = {s.name: len(s.vectors) for s in sets}
    return CIMReport(inst.module, sim, seed, checked, counts, build_seconds, seconds)


def main(argv=None) -> int:
    """``python -m verif.cim.macro -p NAME=VALUE ... [--seed N] [--sets a,b]``."""
    ap = argparse.ArgumentParser(prog="python -m verif.cim.macro", description=__doc__)
    ap.add_argument("-p", dest="param", action="append", default=[], metavar="NAME=VALUE",
                    help=f"parameter (repeatable): {', '.join(PARAMS)}")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--vectors", type=int, default=32)
    ap.add_argument("--sets", help="comma-separated vector sets (default: all)")
    ap.add_argument("--sim")
    args = ap.parse_args(argv)
    try:
        inst = design_point(args.param)
    except (TypeError, ValueError) as e:
        ap.error(str(e))
    names = tuple(args.sets.split(",")) if args.sets else SET_NAMES
    unknown = set(names) - set(SET_NAMES)
    if unknown:
        ap.error(f"unknown sets {sorted(unknown)}; valid: {', '.join(SET_NAMES)}")
    print(f"{inst.module}: seed {args.seed}")
    try:
        r = run(inst, seed=args.seed, vectors=args.vectors, names=names, sim=args.sim)
    except CIMTestError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print(f"{r.module} ({r.sim}): {r.checked} results match the golden model "
          f"({sum(r.sets.values())} vectors in sets {', '.join(r.sets)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
