"""Verification of the output-channel units: vector sets, the checker, the cocotb run.

The testbench is split into the usual four parts:

* **driver** and **monitor** (:mod:`verif.ternary.ocu_cocotb`, inside the simulator): load the
  ``k * k`` weight words and the thresholds through ``w_stream`` and ``th_stream`` (obeying
  valid/ready), stream the windows back to back on ``i_stream`` (one per clock while the unit
  is ready) and record every result taken from ``o_stream``;
* **model** (:class:`~sim_models.ternary.ocu.OCUModel`,
  :class:`~sim_models.ternary.ocu.BinaryOCUModel`): the sum
  is the dot product of the window with the weights (pooled over 4 windows with pooling); for
  the ternary unit the trit is :func:`sim_models.ternary.threshold` of it and ``illegal`` is set
  when a window of the result or a weight holds the code ``0b10``; for the binary (XNOR) unit
  the bit is ``sum >= th``;
* **checker** (:func:`check_results`): every result against the model, plus one window per clock
  on the sets without back-pressure; a mismatch names the set, the window index, the expected
  and actual values and a one-line repro command.

The Verilog is converted and built by :func:`verif.sim.build_design` into
``build/verif/<module>/<sim>/``; the job reaches the simulator as a JSON file (``EF_JOB``).
Both registry designs ``ternary_ocu`` and ``binary_ocu`` are supported; each has its own vector
sets (:data:`SET_NAMES`, :data:`BINARY_SET_NAMES`). Run one configuration from the shell with,
e.g.::

    SIM=verilator python -m verif.ternary.ocu -p n_i=8 -p k=3 -p latency=1 --seed 7
    SIM=icarus python -m verif.ternary.ocu --design binary_ocu -p n_i=16 -p pooling=max
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from amaranth.hdl import Shape

from hw.ternary import OCU, BinaryOCU
from sim_models.ternary.ocu import BinaryOCUModel, OCUModel

from .. import sim as _sim
from ..point import Design, DesignPoint, parse_params

__all__ = ["VectorSet", "SET_NAMES", "BINARY_SET_NAMES",
           "DESIGNS", "default_sets", "vector_sets", "thresholds", "expected", "OCUMismatch",
           "OCUReport", "check_results", "run", "repro_command", "design_point", "BUILD_ROOT",
           "PARAMS"]

BUILD_ROOT = Path("build") / "verif"
#: Names of the vector sets of :func:`vector_sets`, in run order.
SET_NAMES = ("random", "zero", "sparse", "max", "min", "boundary", "inverted", "illegal",
             "illegal_weight", "stall")
#: Names of the vector sets of the binary unit, in run order (it has no zero and no illegal
#: values, and a single threshold).
BINARY_SET_NAMES = ("random", "max", "min", "boundary", "stall")
#: Registry designs this testbench runs.
DESIGNS = ("ternary_ocu", "binary_ocu")
#: Parameters of both designs (the flow registry's) and their defaults.
PARAMS = {"n_i": 96, "k": 3, "latency": 1, "weight_storage": "ff", "pooling": "none"}


def design_point(design: str = "ternary_ocu", params=()) -> DesignPoint:
    """The unit ``design`` (:data:`DESIGNS`) with ``params`` (a mapping, or ``NAME=VALUE``
    strings, see :data:`PARAMS`): :class:`hw.ternary.OCU` or :class:`hw.ternary.BinaryOCU` and
    its golden model, named as the flow names it.

    Raises
    ------
    TypeError, ValueError
        For an unknown design or parameter, or a value the component or model refuses.
    """
    if design not in DESIGNS:
        raise ValueError(f"Design {design!r} has no cocotb OCU testbench; valid: "
                         f"{', '.join(DESIGNS)}")
    p = parse_params(design, PARAMS, params)
    pooling = None if p["pooling"] == "none" else p["pooling"]
    unit, model = (OCU, OCUModel) if design == "ternary_ocu" else (BinaryOCU, BinaryOCUModel)
    component = unit(n_i=p["n_i"], k=p["k"], weight_storage=p["weight_storage"],
                     pipeline=p["latency"], pooling=pooling)
    storage = "_latch" if p["weight_storage"] == "latch" else ""
    pool = f"_{p['pooling']}pool" if p["pooling"] != "none" else ""
    module = f"{design}_i{p['n_i']}_k{p['k']}_p{p['latency']}{storage}{pool}"
    return DesignPoint(Design(design), module, p, component,
                       model(n_i=p["n_i"], k=p["k"], pooling=pooling), PARAMS)


# -------------------------------------------------------------------------------------------
# vector sets

_CODE = np.array([0b11, 0b00, 0b01])  # trit + 1 -> code


@dataclass
class VectorSet:
    """One load of weights and thresholds followed by a burst of windows.

    Elements are 2-bit trit codes for the ternary unit, bits (1 is ``+1``) for the binary one;
    the ternary unit uses ``lo`` and ``hi``, the binary one ``th``.
    """

    name: str
    weights: np.ndarray  # (k, k, n_i) codes or bits
    windows: np.ndarray  # (N, k, k, n_i) codes or bits
    lo: int
    hi: int
    ready: list[int] = field(default_factory=list)  # o_stream.ready pattern; empty: always 1
    th: int = 0


def _is_binary(model) -> bool:
    # by the thresholds, not isinstance: any model with the binary unit's threshold register
    return tuple(model.threshold_fields) == BinaryOCUModel.threshold_fields


def default_sets(model) -> tuple[str, ...]:
    """The vector set names run by default for ``model``: :data:`SET_NAMES` or
    :data:`BINARY_SET_NAMES`."""
    return BINARY_SET_NAMES if _is_binary(model) else SET_NAMES


def thresholds(model, vset: VectorSet) -> dict[str, int]:
    """The threshold register fields of ``vset`` for ``model``: ``th``, or ``lo`` and ``hi``."""
    return {name: getattr(vset, name) for name in model.threshold_fields}


def expected(model, vset: VectorSet) -> dict:
    """The golden model's results for ``vset`` (see :class:`OCUModel`)."""
    return model(vset.windows, vset.weights, **thresholds(model, vset))


def _codes(trits):
    return _CODE[np.asarray(trits) + 1]


def vector_sets(model: OCUModel, seed: int, windows: int = 48,
                names=None) -> list[VectorSet]:
    """The directed and random vector sets for one configuration, drawn from ``seed``.

    ``names`` defaults to :func:`default_sets` of ``model``; a :class:`BinaryOCUModel` gets the
    sets of :func:`binary_vector_sets`. For the ternary unit:

    ``random``: uniform trits, random thresholds; ``zero``: all-zero windows; ``sparse``: 5 %
    nonzero; ``max``/``min``: every product ``+1``/``-1`` (largest/smallest sum) mixed with
    windows one product short, thresholds at the shorter sum so ``sum == hi``/``sum == lo`` is
    hit; ``boundary``/``inverted``: thresholds taken from the sums themselves (``lo < hi`` and
    ``lo > hi``); ``illegal``: an illegal code in every third window; ``illegal_weight``: one
    illegal weight code; ``stall``: random windows with ``o_stream`` back-pressure.
    """
    if names is None:
        names = default_sets(model)
    if _is_binary(model):
        return binary_vector_sets(model, seed, windows, names)
    unknown = set(names) - set(SET_NAMES)
    if unknown:
        raise ValueError(f"Unknown vector sets {sorted(unknown)}; valid: {', '.join(SET_NAMES)}")
    rng = np.random.default_rng(seed)
    k, n_i, wpr = model.k, model.n_i, model.windows_per_result
    n = -(-windows // wpr) * wpr
    shape = (n, k, k, n_i)
    out = []

    def values(vset):
        return model(vset.windows, vset.weights, 0, 0)["sum"]

    for name in names:
        weights = _codes(rng.integers(-1, 2, size=(k, k, n_i)))
        trits = rng.integers(-1, 2, size=shape)
        lo, hi, ready = 0, 0, []
        if name == "zero":
            trits = np.zeros(shape, dtype=np.int64)
        elif name == "sparse":
            trits = trits * (rng.random(shape) < 0.05)
        elif name in ("max", "min"):
            w = rng.choice([-1, 1], size=(k, k, n_i))
            weights = _codes(w)
            trits = np.broadcast_to(w if name == "max" else -w, shape).copy()
            short = (np.arange(n) // wpr) % 2 == 1  # every other result one product short
            trits[short, 0, 0, 0] = 0
        elif name == "illegal":
            trits = _codes(trits)
            for i in range(0, n, 3):
                trits.reshape(n, -1)[i, rng.integers(k * k * n_i)] = 0b10
        elif name == "illegal_weight":
            weights.reshape(-1)[rng.integers(k * k * n_i)] = 0b10
        elif name == "stall":
            ready = [int(x) for x in rng.integers(0, 2, size=97)]
        wins = trits if name == "illegal" else _codes(trits)
        vset = VectorSet(name, weights, wins, 0, 0, ready)
        sums = values(vset)
        if name == "max":
            lo = hi = int(sums.min())
        elif name == "min":
            lo = hi = int(sums.max())
        elif name in ("boundary", "inverted"):
            lo, hi = (int(v) for v in np.percentile(sums, [25, 75], method="nearest"))
            if name == "inverted":
                lo, hi = hi, lo
        elif name != "zero":
            bound = model.windows_per_result * k * k * n_i if model.pooling == "sum" \
                else k * k * n_i
            lo, hi = sorted(int(v) for v in rng.integers(-bound // 4, bound // 4 + 1, size=2))
        vset.lo, vset.hi = lo, hi
        out.append(vset)
    return out


def binary_vector_sets(model: BinaryOCUModel, seed: int, windows: int = 48,
                       names=BINARY_SET_NAMES) -> list[VectorSet]:
    """The vector sets of the binary unit (elements are bits, 1 is ``+1``), drawn from ``seed``.

    ``random``: uniform bits, a random threshold; ``max``/``min``: every product ``+1``/``-1``
    (windows equal to the weights or to their complement: the largest/smallest sum) mixed with
    results whose windows are one product short (one bit flipped, the sum 2 closer to 0), the
    threshold at the larger sum of the set so that ``sum == th`` (bit 1) and ``sum == th - 2``
    (bit 0) both occur; ``boundary``: random windows, the threshold taken from the sums
    themselves; ``stall``: random windows with ``o_stream`` back-pressure.
    """
    unknown = set(names) - set(BINARY_SET_NAMES)
    if unknown:
        raise ValueError(f"Unknown vector sets {sorted(unknown)} for the binary unit; valid: "
                         f"{', '.join(BINARY_SET_NAMES)}")
    rng = np.random.default_rng(seed)
    k, n_i, wpr = model.k, model.n_i, model.windows_per_result
    n = -(-windows // wpr) * wpr
    shape = (n, k, k, n_i)
    out = []
    for name in names:
        weights = rng.integers(0, 2, size=(k, k, n_i))
        bits = rng.integers(0, 2, size=shape)
        ready = []
        if name in ("max", "min"):
            bits = np.broadcast_to(weights if name == "max" else 1 - weights, shape).copy()
            short = (np.arange(n) // wpr) % 2 == 1  # every other result one product short
            bits[short, 0, 0, 0] ^= 1
        elif name == "stall":
            ready = [int(x) for x in rng.integers(0, 2, size=97)]
        vset = VectorSet(name, weights, bits, 0, 0, ready)
        sums = model(bits, weights, 0)["sum"]
        if name in ("max", "min"):
            vset.th = int(sums.max())
        elif name == "boundary":
            vset.th = int(np.percentile(sums, 50, method="nearest"))
        else:
            bound = wpr * k * k * n_i if model.pooling == "sum" else k * k * n_i
            vset.th = int(rng.integers(-bound // 4, bound // 4 + 1))
        out.append(vset)
    return out


# -------------------------------------------------------------------------------------------
# packing and checking


def _pack(codes, bits: int) -> int:
    word = 0
    for i, c in enumerate(np.asarray(codes).reshape(-1)):
        word |= int(c) << (bits * i)
    return word


def _field(layout, name):
    f = layout[name]
    return f.offset, f.width


def _signed(value: int, width: int) -> int:
    return value - (1 << width) if value >> (width - 1) & 1 else value


def _element_bits(component) -> int:
    return Shape.cast(component.word_layout.elem_shape).width


def _threshold_word(component, vset: VectorSet) -> int:
    """The ``th_stream`` payload: every field of the unit's threshold layout, from ``vset``."""
    word = 0
    for name, f in component.threshold_layout:
        word |= (getattr(vset, name) & ((1 << f.width) - 1)) << f.offset
    return word


def _job(component, sets: list[VectorSet]) -> dict:
    a_off, a_w = _field(component.weight_write_layout, "addr")
    w_off, _ = _field(component.weight_write_layout, "word")
    bits = _element_bits(component)
    wpr = component.windows_per_result
    out = []
    for s in sets:
        words = s.weights.reshape(component.n_words, -1)
        out.append({
            "name": s.name,
            "weights": [(_pack(word, bits) << w_off) | (addr << a_off)
                        for addr, word in enumerate(words)],
            "thresholds": _threshold_word(component, s),
            "windows": [_pack(w, bits) for w in s.windows],
            "ready": s.ready,
            "results": len(s.windows) // wpr,
        })
    assert a_w >= 1
    return {"sets": out}


@dataclass(frozen=True)
class OCUMismatch:
    """A result on which the RTL and the golden model disagree."""

    set: str
    window: int  # index (within the set) of the result's (last) window
    expected: dict
    got: dict


class OCUTestError(AssertionError):
    """The RTL disagreed with the golden model, or did not stream at one window per clock."""


@dataclass(frozen=True)
class OCUReport:
    """Outcome of :func:`run`."""

    module: str
    sim: str
    seed: int
    checked: int
    sets: dict
    build_seconds: float
    seconds: float


def check_results(component, model, sets: list[VectorSet], observed: dict,
                  repro: str = "") -> int:
    """Compare every observed result with the model; return the number of results checked.

    Raises
    ------
    OCUTestError
        Naming the first mismatch (set, window index, expected and actual values) and ``repro``,
        with the count of mismatches; or if a set without back-pressure did not take one window
        per clock.
    """
    layout = component.result_layout
    fields = {name: (*_field(layout, name), Shape.cast(f.shape).signed) for name, f in layout}
    wpr = component.windows_per_result
    checked = bad = 0
    first = None
    problems = []
    for vset, obs in zip(sets, observed["sets"], strict=True):
        exp = expected(model, vset)
        got_raw = obs["results"]
        if len(got_raw) != len(exp["sum"]):
            problems.append(f"set {vset.name}: {len(got_raw)} results, expected "
                            f"{len(exp['sum'])}")
        for i, raw in enumerate(got_raw[:len(exp["sum"])]):
            got = {}
            for name, (off, width, is_signed) in fields.items():
                v = raw >> off & ((1 << width) - 1)
                got[name] = _signed(v, width) if is_signed else v
            want = {name: int(exp[name][i]) for name in fields}
            checked += 1
            if got != want:
                bad += 1
                if first is None:
                    first = OCUMismatch(vset.name, (i + 1) * wpr - 1, want, got)
        acc = obs["accepted"]
        if not vset.ready and acc and acc[-1] - acc[0] != len(acc) - 1:
            problems.append(f"set {vset.name}: {len(acc)} windows took "
                            f"{acc[-1] - acc[0] + 1} cycles, not one per clock")
    if first is not None:
        problems.insert(0, (
            f"{bad} of {checked} results differ; first in set {first.set!r} at window "
            f"{first.window} ({_thresholds_text(model, sets, first.set)}): expected "
            f"{first.expected}, got {first.got}"))
    if problems:
        raise OCUTestError("; ".join(problems) + (f"; repro: {repro}" if repro else ""))
    return checked


def _thresholds_text(model, sets, name):
    s = next(v for v in sets if v.name == name)
    return ", ".join(f"{k}={v}" for k, v in thresholds(model, s).items())


# -------------------------------------------------------------------------------------------
# build and run


def repro_command(inst, sim: str, seed: int, names=None) -> str:
    """One shell line that re-runs this configuration, seed and sets (default: all of the
    design's sets)."""
    args = [sys.executable, "-m", "verif.ternary.ocu", "--design", inst.design.name,
            *inst.cli_params(), "--seed", str(seed)]
    if names is not None and tuple(names) != default_sets(inst.model):
        args += ["--sets", ",".join(names)]
    return f"SIM={sim} " + " ".join(shlex.quote(a) for a in args)


def run(inst, *, seed: int = 1, windows: int = 48, names=None, sim: str | None = None,
        build_root: Path = BUILD_ROOT) -> OCUReport:
    """Build the RTL of a ``ternary_ocu`` or ``binary_ocu`` instance and check it on the
    vector sets.

    Parameters
    ----------
    inst : verif.point.DesignPoint or a flow design instance
        A ``ternary_ocu`` or ``binary_ocu`` design point (:func:`design_point`).
    seed : int
        Seed of every random draw.
    windows : int
        Windows per set (rounded up to whole pool groups).
    names : sequence of str, optional
        Vector sets to run; default all of the design's (:data:`SET_NAMES` or
        :data:`BINARY_SET_NAMES`).
    sim : str, optional
        ``"icarus"`` or ``"verilator"``; default from ``$SIM``.

    Raises
    ------
    OCUTestError
        On any mismatch.
    RuntimeError
        If the build or the simulation fails.
    """

    if inst.design.name not in DESIGNS:
        raise ValueError(f"Design {inst.design.name} has no cocotb OCU testbench")
    sim = _sim.prepare(sim)
    build_dir = (Path(build_root) / inst.module / sim).resolve()
    with _sim.build_lock(build_dir):  # one run per build directory at a time
        _, build_seconds = _sim.build_design(inst.component, inst.module, sim, build_dir)
        if names is None:
            names = default_sets(inst.model)
        sets = vector_sets(inst.model, seed, windows, names)
        repro = repro_command(inst, sim, seed, names)
        t0 = time.perf_counter()
        observed = _sim.run_job(sim, "verif.ternary.ocu_cocotb", inst.module, build_dir,
                                build_dir / f"seed{seed}", _job(inst.component, sets),
                                f"Simulation of {inst.module}", repro)
        seconds = time.perf_counter() - t0
    checked = check_results(inst.component, inst.model, sets, observed, repro)
    counts = {s.name: len(s.windows) for s in sets}
    return OCUReport(inst.module, sim, seed, checked, counts, build_seconds, seconds)


def main(argv=None) -> int:
    """``python -m verif.ternary.ocu [--design D] -p NAME=VALUE ... [--seed N] [--sets a,b]``."""
    ap = argparse.ArgumentParser(prog="python -m verif.ternary.ocu", description=__doc__)
    ap.add_argument("--design", choices=DESIGNS, default="ternary_ocu")
    ap.add_argument("-p", dest="param", action="append", default=[], metavar="NAME=VALUE",
                    help=f"parameter (repeatable): {', '.join(PARAMS)}")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--windows", type=int, default=48)
    ap.add_argument("--sets", help="comma-separated vector sets (default: all of the design's)")
    ap.add_argument("--sim")
    args = ap.parse_args(argv)
    try:
        inst = design_point(args.design, args.param)
    except (TypeError, ValueError) as e:
        ap.error(str(e))
    valid = default_sets(inst.model)
    names = tuple(args.sets.split(",")) if args.sets else valid
    unknown = set(names) - set(valid)
    if unknown:
        ap.error(f"unknown sets {sorted(unknown)}; valid: {', '.join(valid)}")
    print(f"{inst.module}: seed {args.seed}")
    try:
        r = run(inst, seed=args.seed, windows=args.windows, names=names, sim=args.sim)
    except OCUTestError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print(f"{r.module} ({r.sim}): {r.checked} results match the golden model "
          f"({sum(r.sets.values())} windows in sets {', '.join(r.sets)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
