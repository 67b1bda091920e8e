"""The one gate-level bench: energy of a design point on a workload, checked result by result.

For one design point, one library and one workload (a family's :class:`Stimulus`):

1. synthesise the point onto the library (:func:`gen.eda.synth.synthesize`), read its netlist
   back (:func:`gen.eda.netlist.load_netlist`) and write zero-delay models of its cells from
   the library's own functions (:mod:`gen.eda.cellsim`);
2. look the measurement up in the flow's cache (:mod:`gen.flow.cache`), keyed by the netlist,
   the cell models, the library's digest, the testbench, the tool versions and the stimulus'
   options;
3. build the netlist inside a thin wrapper that dumps its value changes (one stamped build,
   :func:`verif.sim.build`) and run the family's cocotb testbench on it with the stimulus' job;
   the stimulus checks every result against the golden model (any mismatch fails the run with a
   repro command) and names the stretch of the run in which the workload's units follow one
   another;
4. count the toggles of that stretch (:mod:`gen.eda.activity`) and turn them into energy
   (:mod:`gen.eda.power`, OpenSTA's method); the switching of the block's input nets is added.

The result is one :class:`gen.flow.record.EnergyRecord`. Every energy is measured (sky130 or
the given library, gate level, zero delay: glitches are not modelled).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import os
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gen.eda import activity as act
from gen.eda import cellsim, files, netlist, power, synth
from gen.eda.liberty import LibertyError, Library
from gen.eda.liberty import load as load_liberty
from verif import harness as vharness
from verif import sim as vsim

from .cache import Cache, cache_root, content_key, file_digest
from .design import Instance
from .ip import tool_versions
from .record import EnergyRecord, fj

__all__ = ["EnergyError", "Liberty", "BenchOptions", "GateLevel", "Stimulus", "Measurement",
           "prepare", "measure", "cached", "energy_split", "module_sources", "BUILD_ROOT", "CACHE",
           "WRAPPER", "repro"]

BUILD_ROOT = Path("build") / "energy"
CACHE = cache_root() / "energy"
WRAPPER = "ef_gate_dump"
FLOW_VERSION = "flow-1"


class EnergyError(RuntimeError):
    """A measurement failed: the netlist disagreed with the golden model, or a step broke."""


# -------------------------------------------------------------------------------------------
# the library, resolved once


@functools.lru_cache(maxsize=4)
def _library(path: str, mtime: int, size: int) -> Library:
    return load_liberty(path)


def library_for(path: str | os.PathLike) -> Library:
    """The parsed library at ``path``, cached per process (keyed by path, mtime and size)."""
    st = os.stat(path)
    try:
        return _library(str(path), st.st_mtime_ns, st.st_size)
    except LibertyError as e:
        raise ValueError(f"liberty file {path}: {e}") from None


@dataclass(frozen=True)
class Liberty:
    """A library as the user named it and as the flow resolved and read it.

    Members
    -------
    given
        The ``--liberty`` argument (None: the default choice of
        :func:`gen.eda.synth.resolve_liberty`); synthesis labels its results with it.
    path
        The resolved file.
    library
        Its parsed content.
    """

    given: str | None
    path: Path
    library: Library

    @classmethod
    def resolve(cls, given: str | os.PathLike | None) -> Liberty:
        """Check and read the library (the whole file, before anything is written).

        Raises
        ------
        ValueError
            The file is missing, unreadable, not liberty, or has no usable cells.
        """
        path = synth.check_liberty(given)
        return cls(None if given is None else str(given), Path(path), library_for(path))


@dataclass(frozen=True)
class BenchOptions:
    """The options every gate-level measurement shares (validated on construction).

    Members
    -------
    liberty
        The library (:class:`Liberty`).
    sim
        The simulator, checked to be usable (``icarus`` or ``verilator``).
    wire_load, slew
        As for :func:`gen.eda.power.analyse` (``"default"`` or ``"none"``; seconds or None for
        slews propagated as OpenSTA does).
    build_root
        Build files of a point go to ``build_root/<module>/lib-<library>/``.
    cache
        The result cache (:class:`gen.flow.cache.Cache`; its directory None: synthesise and
        measure again).
    progress
        Called with a short text before each step.
    """

    liberty: Liberty
    sim: str
    wire_load: str = "default"
    slew: float | None = None
    build_root: Path = BUILD_ROOT
    cache: Cache = Cache(CACHE)
    progress: Callable[[str], None] | None = None

    @classmethod
    def make(cls, *, liberty: str | os.PathLike | None = None, sim: str | None = None,
             wire_load: str = "default", slew: float | None = None,
             build_root: str | os.PathLike = BUILD_ROOT,
             cache_dir: str | os.PathLike | None = CACHE,
             progress: Callable[[str], None] | None = None) -> BenchOptions:
        """Validate and resolve the shared options, in the order users meet them.

        Raises
        ------
        ValueError
            A bad wire load, slew or library (a library without a default wire-load model
            with ``wire_load="default"``).
        SimulatorError
            The simulator is unknown or not usable.
        """
        if wire_load not in ("default", "none"):
            raise ValueError(f"Wire load must be 'default' or 'none', not {wire_load!r}")
        if slew is not None and (isinstance(slew, bool) or not isinstance(slew, (int, float))
                                 or not 0 < slew <= 1e-6):
            raise ValueError(f"Slew must be a number of seconds between 0 and 1e-6, not "
                             f"{slew!r}")
        lib = Liberty.resolve(liberty)
        if wire_load == "default" and lib.library.wire_load() is None:
            raise ValueError(f"liberty file {lib.path} has no default_wire_load; use --wire-load "
                             "none")
        return cls(lib, vsim.prepare(sim), wire_load, slew, Path(build_root), Cache(cache_dir),
                   progress)

    def note(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)


# -------------------------------------------------------------------------------------------
# step 1: the netlist of a point


@dataclass(frozen=True)
class GateLevel:
    """A synthesised design point ready for gate-level simulation.

    Members
    -------
    point
        The design point.
    synth
        Its :class:`gen.eda.synth.SynthResult` (area, cells, the netlist's path).
    netlist
        The netlist read back (:class:`gen.eda.netlist.Netlist`).
    models
        The Verilog models of its cells.
    wrapper
        The dump wrapper (module :data:`WRAPPER`, the point as instance ``dut``).
    root
        The point's build directory.
    """

    point: Instance
    synth: object
    netlist: object
    models: Path
    wrapper: Path
    root: Path

    @property
    def netlist_path(self) -> Path:
        return Path(self.synth.netlist)

    @property
    def sources(self) -> list[Path]:
        """Netlist, cell models and wrapper, absolute (what a simulator builds)."""
        return [self.netlist_path.resolve(), self.models.resolve(), self.wrapper.resolve()]

    def energy(self, vcd: Path, scope: str, start_ns: float, end_ns: float,
               options: BenchOptions):
        """:class:`gen.eda.power.PowerResult` of the value changes of ``scope`` in
        ``(start_ns, end_ns]`` of ``vcd``.

        Raises
        ------
        EnergyError
            An empty window, an unreadable dump, nets without activity, or no energy at all.
        """
        module = self.point.module
        if not end_ns > start_ns:
            raise EnergyError(f"{module}: empty energy window {start_ns}..{end_ns} ns")
        try:
            activity = act.read_activity(vcd, scope, start=start_ns * 1e-9, end=end_ns * 1e-9)
            res = power.analyse(self.netlist, options.liberty.library, activity,
                                wire_load=options.wire_load, slew=options.slew)
        except (act.ActivityError, power.PowerError) as e:
            raise EnergyError(f"energy of {module}: {e}") from None
        if not res.total.total + res.input_switching > 0:
            raise EnergyError(f"energy of {module} came out as zero: no toggles in {vcd} over "
                              f"{start_ns:g}..{end_ns:g} ns (the netlist did not switch?)")
        return res


_PORT = re.compile(r"^\s*(input|output)\s+(?:\[(\d+):(\d+)\]\s*)?([A-Za-z_][A-Za-z0-9_$]*)\s*;",
                   re.M)


def netlist_ports(netlist_text: str, top: str) -> list[dict]:
    """Ports of module ``top`` of a netlist (name, direction ``in``/``out``, width)."""
    m = re.search(rf"^module\s+{re.escape(top)}\s*\(.*?^endmodule", netlist_text, re.M | re.S)
    if m is None:
        raise EnergyError(f"module {top} not found in its netlist")
    ports = [{"name": name, "direction": "in" if d == "input" else "out",
              "width": abs(int(hi) - int(lo)) + 1 if hi else 1}
             for d, hi, lo, name in _PORT.findall(m.group(0))]
    if not ports:
        raise EnergyError(f"module {top} of the netlist declares no ports")
    return ports


def prepare(point: Instance, options: BenchOptions, *, merge: bool = False) -> GateLevel:
    """Step 1: synthesise ``point``, read its netlist back, write its cell models and wrapper.

    ``merge`` maps identical modules once (:func:`gen.eda.synth.synthesize`).

    Raises
    ------
    EnergyError
        The netlist cannot be read.
    SynthesisError
        Yosys failed.
    """
    lib = options.liberty
    cache_dir = options.cache.directory
    options.note(f"synthesising {point.module}")
    sres = synth.synthesize(point, liberty=lib.given, merge=merge,
                            **({} if cache_dir is not None else {"cache_dir": None}))
    root = options.build_root / point.module / f"lib-{lib.path.name.split('.')[0]}"
    root.mkdir(parents=True, exist_ok=True)
    options.note("reading the netlist")
    try:
        nl = netlist.load_netlist(sres.netlist, point.module, lib.library,
                                  **({} if cache_dir is not None
                                     else {"workdir": root / "netlist"}))
    except netlist.NetlistError as e:
        raise EnergyError(str(e)) from None
    # Icarus: combinational cells as 4-state primitive tables (the same values every time
    # step, about twice as fast); Verilator: plain assignments
    udp = options.sim == "icarus"
    models = cellsim.write_cell_models(lib.library, sorted(nl.cell_counts()),
                                       root / ("cells_udp.v" if udp else "cells.v"),
                                       primitives=udp)
    text = vharness.dump_wrapper(netlist_ports(Path(sres.netlist).read_text(), point.module),
                                 point.module, WRAPPER)
    wrapper = root / f"{WRAPPER}.v"
    if not wrapper.exists() or wrapper.read_text() != text:
        files.atomic_write(wrapper, text)
    return GateLevel(point, sres, nl, models, wrapper, root)


def energy_split(res, units: int) -> dict:
    """The common energy fields of a :class:`gen.eda.power.PowerResult` over ``units`` units.

    ``switching_fj`` includes the switching of the block's input nets (charged to the block,
    not to its drivers as OpenSTA's ``report_power`` does).
    """
    tot = res.total

    def row(bk) -> dict:
        return {"internal_fj": fj(bk.internal, units), "switching_fj": fj(bk.switching, units),
                "leakage_fj": fj(bk.leakage, units), "total_fj": fj(bk.total, units)}

    per_module = {(k or "(top)"): row(bk) for k, bk in res.per_module.items()}
    per_module["(input nets)"] = {"internal_fj": 0.0, "leakage_fj": 0.0,
                                  "switching_fj": fj(res.input_switching, units),
                                  "total_fj": fj(res.input_switching, units)}
    return {
        "total_fj": fj(tot.total + res.input_switching, units),
        "switching_fj": fj(tot.switching + res.input_switching, units),
        "internal_fj": fj(tot.internal, units), "leakage_fj": fj(tot.leakage, units),
        "input_switching_fj": fj(res.input_switching, units),
        "groups": {g: row(bk) for g, bk in res.groups.items()},
        "per_module": per_module,
    }


# -------------------------------------------------------------------------------------------
# steps 2-4: a family's stimulus on the netlist


class Stimulus:
    """One gate-level measurement as a family defines it: the job, the check, the window.

    Subclasses set the class attributes and implement :meth:`job`, :meth:`check`,
    :meth:`window` and :meth:`record`; a family whose testbench is not a job-driven cocotb
    module overrides :meth:`simulate`.

    Members
    -------
    test_module
        The cocotb test module (dotted name) that runs :meth:`job` on the wrapper and writes
        its observations (:func:`verif.sim.run_job`).
    tag
        Names the run's directory and dump (unique per option set of a point).
    key
        Every option the result depends on (a family version string first).
    repro
        A command that repeats the measurement (printed with any failure).
    merge_modules
        Synthesise with identical modules merged (a fabric of identical tiles; see
        :func:`gen.eda.synth.synthesize`).
    """

    test_module: str = ""
    merge_modules: bool = False
    tag: str = "run"
    key: tuple = ()
    repro: str = ""

    def job(self) -> dict:
        """The JSON job of :attr:`test_module`."""
        raise NotImplementedError

    def simulate(self, gl: GateLevel, options: BenchOptions, vcd: Path) -> tuple[dict, str]:
        """Run the job on the netlist with a dump to ``vcd``; ``(observations, scope)``."""
        build_dir = (gl.root / "gate" / options.sim).resolve()
        options.note(f"building the gate-level testbench ({options.sim})")
        try:
            vsim.build(gl.sources, WRAPPER, build_dir, options.sim,
                       args=[*vsim.VERILATOR_WAIVERS, "--trace-underscore"]
                       if options.sim == "verilator" else [],
                       waves=options.sim == "verilator", cxx_opt="-O0")
        except RuntimeError as e:
            raise EnergyError(f"building the gate-level testbench for {options.sim} failed: "
                              f"{e}") from None
        options.note(f"gate-level simulation ({options.sim}, {self.tag})")
        try:
            obs = vsim.run_job(options.sim, self.test_module, WRAPPER, build_dir,
                               build_dir / self.tag, self.job(), "gate-level simulation",
                               self.repro, plusargs=[f"+dump={vcd.resolve()}"],
                               runner=vsim.vcd_runner(options.sim))
        except RuntimeError as e:
            raise EnergyError(str(e)) from None
        return obs, f"{WRAPPER}.dut"

    def check(self, obs: dict) -> int:
        """Compare every observed result with the golden model; the number checked.

        Raises
        ------
        EnergyError
            A mismatch (with :attr:`repro`), or a protocol the window relies on was broken.
        """
        raise NotImplementedError

    def window(self, obs: dict) -> tuple[float, float, int]:
        """``(start_ns, end_ns, units)``: the measured stretch and the units in it."""
        raise NotImplementedError

    def record(self, m: Measurement) -> dict:
        """The family's own fields of the record (:attr:`EnergyRecord.extra`); they must
        include ``seed`` (of the workload) and ``period_ns`` (of the testbench clock), which
        the record keeps among its common fields."""
        raise NotImplementedError

    def key_parts(self) -> tuple:
        """What the cache key takes from the stimulus: :attr:`key` and the job itself."""
        return (*self.key, json.dumps(self.job(), sort_keys=True))

    def bench_source(self) -> bytes:
        """The testbench's source and that of the verif modules it imports (the shared stream
        classes, say), part of the cache key."""
        return b"".join(module_sources(self.test_module)) if self.test_module else b""


def _imported(name: str, is_pkg: bool, node: ast.AST) -> list[str]:
    """Modules (and ``package.name`` candidates) an import statement of ``name`` reads."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)] if node.level else []
    module = ".".join(base + ([node.module] if node.module else []))
    return [module] + [f"{module}.{a.name}" for a in node.names]


def module_sources(name: str, seen: set | None = None) -> list[bytes]:
    """Source of module ``name`` and, recursively, of the ``verif`` modules it imports
    (absolute, relative and ``from verif import x`` imports alike)."""
    seen = set() if seen is None else seen
    if name in seen:
        return []
    seen.add(name)
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return []
    text = Path(spec.origin).read_bytes()
    out = [text]
    is_pkg = spec.submodule_search_locations is not None
    for node in ast.walk(ast.parse(text)):
        for dep in _imported(name, is_pkg, node):
            if dep.split(".")[0] == "verif":
                out += module_sources(dep, seen)
    return out


@dataclass(frozen=True)
class Measurement:
    """What the bench measured, for :meth:`Stimulus.record`.

    Members
    -------
    gl
        The prepared point.
    power
        The :class:`gen.eda.power.PowerResult` of the window.
    units
        Units in the window.
    split
        :func:`energy_split` of ``power`` over ``units``.
    observations
        What the testbench returned.
    checked
        Results compared with the golden model.
    options
        The bench options.
    """

    gl: GateLevel
    power: object
    units: int
    split: dict
    observations: dict
    checked: int
    options: BenchOptions


def repro(point: Instance, *args: str) -> str:
    """``edgeforge energy DESIGN -p ... ARGS``, shell-quoted."""
    return " ".join(shlex.quote(x) for x in ["edgeforge", "energy", point.design.name,
                                             *point.cli_params(), *args])


def cache_key(gl: GateLevel, stimulus: Stimulus, options: BenchOptions) -> str:
    """Content key of a measurement (module docstring, step 2)."""
    return content_key([
        FLOW_VERSION, gl.netlist_path.read_bytes(), gl.models.read_bytes(),
        file_digest(options.liberty.path), gl.wrapper.read_bytes(), stimulus.bench_source(),
        repr(sorted(tool_versions().items())),
        repr((*stimulus.key_parts(), options.sim, options.wire_load, options.slew,
              gl.point.module))])


def cached(gl: GateLevel, key: str, options: BenchOptions, make: Callable[[dict], object]):
    """``make(entry)`` of the cached result of ``key``, marked cached and labelled with this
    run's library; None when there is none, or it is of another format (then dropped, to be
    recomputed: ``make`` raised TypeError)."""
    data = options.cache.load(key)
    if data is None:
        return None
    data.update(cached=True, liberty=gl.synth.liberty, liberty_path=str(options.liberty.path))
    try:
        return make(data)
    except TypeError:
        options.cache.drop(key)
        return None


def measure(point: Instance, stimulus: Stimulus, options: BenchOptions) -> EnergyRecord:
    """Steps 1 to 4 (module docstring) for ``point`` and ``stimulus``.

    Raises
    ------
    EnergyError
        The netlist disagreed with the golden model, the workload did not stream as the window
        assumes, the energy came out as zero, or a step failed.
    SynthesisError
        Yosys failed.
    """
    t0 = time.perf_counter()
    gl = prepare(point, options, merge=stimulus.merge_modules)
    key = cache_key(gl, stimulus, options)
    hit = cached(gl, key, options, EnergyRecord.from_dict)
    if hit is not None:
        return hit
    vcd = gl.root / "activity" / f"{stimulus.tag}.vcd"
    vcd.parent.mkdir(parents=True, exist_ok=True)
    obs, scope = stimulus.simulate(gl, options, vcd)
    checked = stimulus.check(obs)
    options.note("counting toggles")
    start_ns, end_ns, units = stimulus.window(obs)
    res = gl.energy(vcd, scope, start_ns, end_ns, options)
    split = energy_split(res, units)
    extra = stimulus.record(Measurement(gl, res, units, split, obs, checked, options))
    missing = [k for k in ("seed", "period_ns") if k not in extra]
    if missing:
        raise TypeError(f"{type(stimulus).__name__}.record() must return {' and '.join(missing)}")
    lib = options.liberty
    record = EnergyRecord(
        module=point.module, params=dict(point.params), seed=extra.pop("seed"),
        switching_fj=split["switching_fj"], internal_fj=split["internal_fj"],
        leakage_fj=split["leakage_fj"], input_switching_fj=split["input_switching_fj"],
        groups=split["groups"], liberty=gl.synth.liberty, liberty_path=str(lib.path),
        voltage_v=lib.library.voltage, period_ns=float(extra.pop("period_ns")),
        wire_load=res.wire_load, sim=options.sim, cells=res.cells,
        unannotated_nets=res.nets - res.annotated, seconds=0.0, limits=list(res.limits),
        extra=extra)
    record.seconds = round(time.perf_counter() - t0, 3)
    options.cache.store(key, record.to_dict())
    return record


def check_count(name: str, value: object, lo: int, hi: int) -> int:
    """``value`` as an integer in ``lo..hi``; else ValueError in the flow's message style."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer between {lo} and {hi}, not {value!r}")
    return value


def check_seed(seed: object) -> int:
    """A workload seed: a non-negative integer."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"Seed must be a non-negative integer, not {seed!r}")
    return seed


def check_probability(name: str, value: object) -> float:
    """A probability 0..1 as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a number between 0 and 1, not {value!r}")
    return float(value)
