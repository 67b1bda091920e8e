"""Energy per operation of a design point from gate-level simulation (``edgeforge energy``).

The flow, for one design point and one liberty file:

1. synthesise (:func:`gen.eda.synth.synthesize`) onto the library;
2. read the mapped netlist back (:func:`gen.eda.netlist.load_netlist`) and write zero-delay Verilog
   models of its cells from the library's own functions (:mod:`gen.eda.cellsim`);
3. simulate the netlist in the streaming vector harness (:mod:`verif.harness`, one instance,
   one operation per clock) on the workload's operands, comparing every result with the golden
   model: this is gate-level verification, and any mismatch fails the run;
4. dump the value changes of the netlist instance, count toggles (:mod:`gen.eda.activity`) over the
   window in which the workload's operations follow one another, and turn them into energy
   (:mod:`gen.eda.power`).

Energy per operation is the energy of that window divided by the number of operations in it.
It includes the switching energy of the block's input nets (charging its own input pins, which
OpenSTA's ``report_power`` leaves to the driving instance outside the block), and, for pipelined
points, the clock pins and flip-flops. Leakage is counted at the harness clock
(:data:`verif.harness.PERIOD_NS` ns per operation).

Workloads: ``uniform`` (operands uniform over their range), ``gaussian`` (signed: normal around
0 with sigma a quarter of the range; unsigned: the magnitude of such a normal, like activations
after a ReLU), or the path of a ``.npz`` file with integer arrays ``a`` and ``b`` (a recorded
operand set, used in order). Random workloads use a fixed, reported seed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gen.eda import files
from gen.eda.liberty import LibertyError, Library
from gen.eda.liberty import load as load_liberty
from gen.flow.design import Instance

__all__ = ["EnergyError", "EnergyResult", "WORKLOADS", "energy", "make_workload",
           "library_for", "prepare_gate_level", "energy_breakdown", "BUILD_ROOT"]

BUILD_ROOT = Path("build") / "energy"
CACHE = Path("build") / "cache" / "energy"
_FLOW_VERSION = "2"  # 2: OpenSTA's transitions, caps, arc weights, slews
WORKLOADS = ("uniform", "gaussian")
DEFAULT_OPS = 4000
MAX_OPS = 1 << 16
_DEPTH = MAX_OPS + 1


class EnergyError(RuntimeError):
    """The energy flow failed: the netlist disagreed with the golden model, or a step broke."""


@functools.lru_cache(maxsize=4)
def _library(path: str, mtime: int, size: int) -> Library:
    return load_liberty(path)


def library_for(path: str | os.PathLike) -> Library:
    """Load a liberty file once per process (keyed by path, size and modification time)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as e:
        raise LibertyError(f"cannot read liberty file {p}: {e.strerror or e}") from None
    return _library(str(p), st.st_mtime_ns, st.st_size)


def resolve_library(liberty: str | os.PathLike | None, wire_load: str) -> tuple[Path, Library]:
    """The liberty file to use (:func:`gen.eda.synth.resolve_liberty`) and the loaded library.

    Raises
    ------
    ValueError
        If ``wire_load`` is not ``"default"`` or ``"none"``, or is ``"default"`` and the
        library has no default wire-load model.
    """
    from gen.eda import synth

    if wire_load not in ("default", "none"):
        raise ValueError(f"Wire load must be 'default' or 'none', not {wire_load!r}")
    lib_path = synth.check_liberty(liberty)  # the whole library, before anything is written
    library = library_for(lib_path)
    if wire_load == "default" and library.wire_load() is None:
        raise ValueError(f"liberty file {lib_path} has no default_wire_load; use --wire-load "
                         "none")
    return Path(lib_path), library


def _operand_range(width: int, signed: bool) -> tuple[int, int]:
    lo = -(1 << (width - 1)) if signed else 0
    return lo, lo + (1 << width) - 1


def make_workload(workload: str, width: int, signed: bool, n: int,
                  seed: int = 1) -> tuple[np.ndarray, np.ndarray, str]:
    """Operand arrays ``a``, ``b`` (``n`` each) and a one-line description.

    Raises
    ------
    ValueError
        Unknown workload, a recorded file that is missing, malformed, too short or out of the
        operand range.
    """
    lo, hi = _operand_range(width, signed)
    if workload == "uniform":
        rng = np.random.default_rng(seed)
        a = rng.integers(lo, hi, n, endpoint=True, dtype=np.int64)
        b = rng.integers(lo, hi, n, endpoint=True, dtype=np.int64)
        return a, b, f"uniform random operands, seed {seed}"
    if workload == "gaussian":
        rng = np.random.default_rng(seed)
        sigma = (1 << width) / 8 if signed else (1 << width) / 4
        ab = rng.normal(0.0, sigma, (2, n))
        if not signed:
            ab = np.abs(ab)
        ab = np.clip(np.rint(ab), lo, hi).astype(np.int64)
        shape = "normal" if signed else "half-normal"
        return ab[0], ab[1], f"{shape} operands (sigma {sigma:g}), seed {seed}"
    path = Path(workload)
    if path.suffix != ".npz":
        raise ValueError(f"Workload must be 'uniform', 'gaussian' or a .npz file with arrays a "
                         f"and b, not {workload!r}")
    from gen.eda.arrays import load_npz

    data = load_npz(path, "workload file", ("a", "b"))
    a, b = data["a"], data["b"]
    for name, arr in (("a", a), ("b", b)):
        if arr.ndim != 1:
            raise ValueError(f"workload file {path}: array {name} must be one-dimensional, not "
                             f"of shape {arr.shape}")
    if len(a) != len(b):
        raise ValueError(f"workload file {path}: arrays a and b must be of equal length, not "
                         f"{len(a)} and {len(b)}")
    for name, arr in (("a", a), ("b", b)):
        if not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"workload file {path}: array {name} must hold integers, "
                             f"not {arr.dtype}")
        if len(arr) and (arr.min() < lo or arr.max() > hi):
            raise ValueError(f"workload file {path}: array {name} must lie in [{lo}, {hi}] "
                             f"for {width}-bit {'signed' if signed else 'unsigned'} operands")
    m = min(len(a), len(b))
    if m < n:
        raise ValueError(f"workload file {path} holds {m} operand pairs; {n} are needed")
    return a[:n].astype(np.int64), b[:n].astype(np.int64), f"recorded operands from {path}"


@dataclass
class EnergyResult:
    """Energy per operation of one design point (every energy in fJ per operation)."""

    module: str
    design: str
    params: dict
    energy_per_op_fj: float
    switching_fj: float
    internal_fj: float
    leakage_fj: float
    input_switching_fj: float
    groups: dict
    per_module: dict
    ops: int
    workload: str
    workload_text: str
    seed: int
    liberty: str
    liberty_path: str
    voltage_v: float
    period_ns: float
    slew_ns: float | None  # None: slews propagated (OpenSTA's way)
    wire_load: str
    sim: str
    area_um2: float
    area_ge: float
    cells: int
    toggles_per_op: float
    unannotated_nets: int
    seconds: float
    limits: list
    cached: bool = False

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fj(joules: float, ops: int) -> float:
    return round(joules / ops * 1e15, 6)


def prepare_gate_level(inst: Instance, liberty: str | os.PathLike | None, library: Library,
                       lib_path: Path, build_root: str | os.PathLike,
                       cache_dir: str | os.PathLike | None,
                       note: Callable[[str], None]) -> tuple:
    """Synthesise ``inst``, read its netlist back and write the models of its cells.

    Steps 1 and 2 of the flow (module docstring), shared by :func:`energy` and
    :func:`gen.ocu_energy.ocu_energy`.

    Parameters
    ----------
    inst
        The design point.
    liberty
        As given by the caller (None: :func:`gen.eda.synth.resolve_liberty`).
    library, lib_path
        The loaded library (:func:`library_for`) and its resolved path.
    build_root
        The cell models go to ``build_root/<module>/lib-<library>/cells.v``.
    cache_dir
        None: synthesise again and read the netlist in a work directory of the build.
    note
        Progress callback.

    Returns
    -------
    tuple
        ``(SynthResult, Netlist, cell-model path, build directory of this point)``.

    Raises
    ------
    EnergyError
        The netlist cannot be read.
    """
    from gen.eda import cellsim, netlist, synth

    note(f"synthesising {inst.module}")
    sres = synth.synthesize(inst, liberty=liberty,
                            **({} if cache_dir is not None else {"cache_dir": None}))
    root = Path(build_root) / inst.module / f"lib-{Path(lib_path).name.split('.')[0]}"
    root.mkdir(parents=True, exist_ok=True)
    note("reading the netlist")
    try:
        nl = netlist.load_netlist(sres.netlist, inst.module, library,
                                  **({} if cache_dir is not None
                                     else {"workdir": root / "netlist"}))
    except netlist.NetlistError as e:
        raise EnergyError(str(e)) from None
    models = cellsim.write_cell_models(library, sorted(nl.cell_counts()), root / "cells.v")
    return sres, nl, models, root


def energy_breakdown(res, n: int) -> tuple[dict, dict]:
    """Energy of a :class:`gen.eda.power.PowerResult` per group and per module, in fJ per unit.

    ``n`` is the number of units (operations, windows) in the activity window. The per-module
    table gets an ``(input nets)`` row with the switching energy of the block's input nets.
    """
    def row(bk) -> dict:
        return {"internal_fj": _fj(bk.internal, n), "switching_fj": _fj(bk.switching, n),
                "leakage_fj": _fj(bk.leakage, n), "total_fj": _fj(bk.total, n)}

    groups = {g: row(bk) for g, bk in res.groups.items()}
    per_module = {(k or "(top)"): row(bk) for k, bk in res.per_module.items()}
    per_module["(input nets)"] = {"internal_fj": 0.0, "leakage_fj": 0.0,
                                  "switching_fj": _fj(res.input_switching, n),
                                  "total_fj": _fj(res.input_switching, n)}
    return groups, per_module


def energy(inst: Instance, *, liberty: str | os.PathLike | None = None,
           workload: str = "uniform", ops: int = DEFAULT_OPS, seed: int = 1,
           sim: str | None = None, wire_load: str = "default", slew: float | None = None,
           build_root: str | os.PathLike = BUILD_ROOT,
           cache_dir: str | os.PathLike | None = CACHE,
           progress: Callable[[str], None] | None = None) -> EnergyResult:
    """Synthesise, simulate at gate level and estimate the energy per operation of ``inst``.

    Parameters
    ----------
    inst
        A multiplier design point (:func:`gen.flow.design.instantiate`).
    liberty
        Liberty file; None chooses as :func:`gen.eda.synth.resolve_liberty` does.
    workload
        ``"uniform"``, ``"gaussian"`` or a ``.npz`` path (see the module docstring).
    ops
        Operations to measure (1 to 65536); ``ops + 1`` vectors are simulated.
    seed
        Seed of random workloads.
    sim
        ``"icarus"`` or ``"verilator"`` (default ``$SIM``, else Icarus when installed).
    wire_load, slew
        See :func:`gen.eda.power.analyse`.
    build_root
        Results under ``build_root/<module>/``.
    cache_dir
        Results are cached here by the content of everything they depend on (netlist, cell
        models, liberty file, workload, options, simulator); None: recompute everything,
        synthesis included.
    progress
        Called with a short text before each step.

    Raises
    ------
    ValueError
        Bad parameters, workload or liberty file (before anything is written).
    EnergyError
        The gate-level netlist disagrees with the golden model, or a step fails.
    """
    from gen.eda import synth
    from verif import sim as sim_mod
    from verif.approx.multiplier import _as_model_input
    from verif.harness import PERIOD_NS, Port, VectorHarness, vector_time

    if isinstance(ops, bool) or not isinstance(ops, int) or not 1 <= ops <= MAX_OPS:
        raise ValueError(f"Ops must be an integer between 1 and {MAX_OPS}, not {ops!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"Seed must be a non-negative integer, not {seed!r}")
    if wire_load not in ("default", "none"):
        raise ValueError(f"Wire load must be 'default' or 'none', not {wire_load!r}")
    comp = inst.component
    width, signed = comp.width, comp.signed
    a, b, wtext = make_workload(workload, width, signed, ops + 1, seed)
    lib_path = synth.check_liberty(liberty)  # the whole library, before anything is written
    library = library_for(lib_path)
    if wire_load == "default" and library.wire_load() is None:
        raise ValueError(f"liberty file {lib_path} has no default_wire_load; use --wire-load "
                         "none")
    simulator = sim_mod.prepare(sim)
    note = progress or (lambda text: None)
    t0 = time.perf_counter()

    sres, nl, models, root = prepare_gate_level(inst, liberty, library, lib_path, build_root,
                                                cache_dir, note)
    key = hashlib.sha256()
    for part in (_FLOW_VERSION, Path(sres.netlist).read_bytes(), models.read_bytes(),
                 _digest(Path(lib_path)), workload,
                 _digest(Path(workload)) if workload not in WORKLOADS else "",
                 repr((ops, seed, simulator, wire_load, slew, inst.module))):
        key.update(part if isinstance(part, bytes) else str(part).encode())
        key.update(b"\0")
    cached = Path(cache_dir) / f"{key.hexdigest()[:24]}.json" if cache_dir is not None else None
    data = files.read_cache_json(cached)  # None: absent, or damaged and removed
    if data is not None:
        # the same library content may be named differently this time
        data.update(cached=True, liberty=sres.liberty, liberty_path=str(lib_path))
        try:
            return EnergyResult(**data)
        except TypeError:  # an entry of another format: recompute
            cached.unlink(missing_ok=True)

    note(f"gate-level simulation ({simulator}, {ops + 1} vectors)")
    expected = np.asarray(inst.model(_as_model_input(a, width, signed),
                                     _as_model_input(b, width, signed)), dtype=object)
    harness = VectorHarness(
        top=inst.module, sources=[Path(sres.netlist), models],
        inputs=[Port("a", width, signed), Port("b", width, signed)],
        outputs=[Port("p", comp.o_width, signed)], latency=comp.latency,
        clocked=comp.latency > 0, depth=_DEPTH, build_dir=root / "gate", sim=simulator,
        lanes=1, activity=True)
    tag = f"{Path(workload).stem if workload not in WORKLOADS else workload}-s{seed}-n{ops}"
    vcd = root / "activity" / f"{tag}.vcd"
    try:
        r = harness.run({"a": a.astype(object), "b": b.astype(object)}, {"p": expected},
                        tag=tag, dump=vcd)
    except RuntimeError as e:
        raise EnergyError(f"gate-level simulation of {inst.module} failed: {e}") from None
    if r.mismatches:
        i = r.first_index
        repro = " ".join(shlex.quote(x) for x in [
            "edgeforge", "energy", inst.design.name, *inst.cli_params(),
            *(["--liberty", str(liberty)] if liberty else []), "--workload", workload,
            "--ops", str(ops), "--seed", str(seed), "--sim", simulator])
        raise EnergyError(
            f"the gate-level netlist of {inst.module} ({sres.netlist}) disagrees with the "
            f"golden model on {r.mismatches} of {r.checked} vectors; first #{i}: a={a[i]} "
            f"b={b[i]} expected p={expected[i]} got p={r.first_got.get('p')}; reproduce: "
            f"{repro}")
    if r.checked != ops + 1:
        raise EnergyError(f"gate-level simulation of {inst.module} checked {r.checked} of "
                          f"{ops + 1} vectors")

    note("counting toggles")
    from gen.eda import activity as act
    from gen.eda import power

    start = (vector_time(1) - PERIOD_NS / 2) * 1e-9
    end = start + ops * PERIOD_NS * 1e-9
    try:
        activity = act.read_activity(vcd, "ef_harness.dut0", start=start, end=end)
        res = power.analyse(nl, library, activity, wire_load=wire_load, slew=slew)
    except (act.ActivityError, power.PowerError) as e:
        raise EnergyError(f"energy of {inst.module}: {e}") from None
    tot = res.total
    if not tot.total + res.input_switching > 0:
        raise EnergyError(f"energy of {inst.module} came out as zero: no toggles in "
                          f"{vcd} (the netlist did not switch?)")
    groups, per_module = energy_breakdown(res, ops)
    switching = tot.switching + res.input_switching
    total = tot.total + res.input_switching
    result = EnergyResult(
        module=inst.module, design=inst.design.name,
        params={k: v for k, v in inst.params.items()},
        energy_per_op_fj=_fj(total, ops), switching_fj=_fj(switching, ops),
        internal_fj=_fj(tot.internal, ops), leakage_fj=_fj(tot.leakage, ops),
        input_switching_fj=_fj(res.input_switching, ops), groups=groups,
        per_module=per_module, ops=ops, workload=workload, workload_text=wtext, seed=seed,
        liberty=sres.liberty, liberty_path=str(lib_path), voltage_v=library.voltage,
        period_ns=float(PERIOD_NS),
        slew_ns=None if res.slew is None else round(res.slew / 1e-9, 6),
        wire_load=res.wire_load, sim=simulator, area_um2=sres.area_um2,
        area_ge=sres.area_ge, cells=res.cells, toggles_per_op=round(res.toggles / ops, 3),
        unannotated_nets=res.nets - res.annotated,
        seconds=round(time.perf_counter() - t0, 3), limits=list(res.limits))
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        files.atomic_write(cached, json.dumps(result.to_dict(), indent=1) + "\n")
    return result
