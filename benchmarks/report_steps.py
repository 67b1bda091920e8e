"""Per-phase timings of `make report`'s energy measurements: one representative point per family.

Each run is ``edgeforge energy DESIGN ... --json`` in a fresh scratch project directory (no
synthesis, netlist, build or energy cache), in a child process of its own; inside it the flow's
steps are timed by wrapping the functions that do them:

* ``synth``     Yosys synthesis (:func:`gen.eda.synth.synthesize`);
* ``netlist``   reading the netlist back (:func:`gen.eda.netlist.load_netlist`, a Yosys run);
* ``models``    writing the cell models (:func:`gen.eda.cellsim.write_cell_models`);
* ``build``     the simulator build (:func:`verif.sim.build`: iverilog, or Verilator + C++);
* ``sim``       the simulation (cocotb runner's ``test``: vvp or the Verilator model);
* ``activity``  toggle counting from the dump (:func:`gen.eda.activity.read_activity`);
* ``power``     the energy from the toggles (:func:`gen.eda.power.analyse`);
* ``other``     the rest (the golden model, the workload, Python start-up of the flow).

Each phase is wall time and CPU time (this process plus its finished children: Yosys, iverilog,
vvp with its embedded Python, the C++ compiler). Prints a table of medians over the runs, and
the energy figure of each run (it must not change between runs or simulators).

    python benchmarks/report_steps.py [--runs 3] [--sims icarus] [--points drum16 booth16 ...]
    python benchmarks/report_steps.py --list
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Representative points of the report (gen/flow/data/report.toml): `edgeforge energy` arguments.
POINTS = {
    "drum16": ["drum", "-p", "width=16", "-p", "k=6", "--ops", "4000"],
    "booth16": ["exact", "-p", "width=16", "-p", "arch=booth", "--ops", "4000"],
    "drum8": ["drum", "-p", "width=8", "-p", "k=6", "--ops", "4000"],
    "ocu": ["ternary_ocu", "-p", "n_i=32", "-p", "k=3", "-p", "latency=1", "-p",
            "weight_storage=ff", "--density", "0.5", "--windows", "200"],
    "engine": ["ternary_engine", "-p", "n_i=8", "-p", "n_o=8", "-p", "k=3", "-p",
               "image_width=8", "-p", "latency=1", "--density", "0.5", "--frames", "2"],
    "cim8": ["cim_macro", "-p", "rows=64", "-p", "cols=4", "-p", "signed_weights=true", "-p",
             "storage=latch", "-p", "wb=8", "-p", "ib=8", "-p", "encoding=binary",
             "--input-zero", "0.0"],
    "cim4": ["cim_macro", "-p", "rows=64", "-p", "cols=4", "-p", "signed_weights=true", "-p",
             "storage=latch", "-p", "wb=4", "-p", "ib=4", "-p", "encoding=binary",
             "--input-zero", "0.0"],
    "cgra": ["cgra", "-p", "fabric=small", "-p", "mul=", "--kernel", "gemm"],
}
PHASES = ("synth", "netlist", "models", "build", "sim", "activity", "power", "other")
#: The energy figure each family's record names (the first one present is printed).
FIGURES = ("energy_per_op_fj", "energy_per_run_fj", "energy_per_mac_fj", "total_fj")


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def _timed(owner, attr: str, phase: str, acc: dict) -> None:
    """Wrap ``owner.attr`` so that its wall and CPU time add to ``acc[phase]``."""
    fn = getattr(owner, attr)

    def wrapper(*args, **kwargs):
        t0, c0 = time.perf_counter(), _cpu()
        try:
            return fn(*args, **kwargs)
        finally:
            row = acc.setdefault(phase, [0.0, 0.0])
            row[0] += time.perf_counter() - t0
            row[1] += _cpu() - c0

    setattr(owner, attr, wrapper)


def _inner(point: str, sim: str, workdir: Path) -> dict:
    """One measurement in this process (cwd ``workdir``); the phases and the record."""
    from cocotb_tools import runner

    from gen import cli
    from gen.eda import activity, cellsim, netlist, power, synth
    from verif import sim as vsim

    acc: dict = {}
    for owner, attr, phase in ((synth, "synthesize", "synth"),
                               (netlist, "load_netlist", "netlist"),
                               (cellsim, "write_cell_models", "models"),
                               (vsim, "build", "build"), (runner.Runner, "test", "sim"),
                               (activity, "read_activity", "activity"),
                               (power, "analyse", "power")):
        _timed(owner, attr, phase, acc)
    os.chdir(workdir)
    out = io.StringIO()
    t0, c0 = time.perf_counter(), _cpu()
    with contextlib.redirect_stdout(out):
        rc = cli.main(["energy", *POINTS[point], "--sim", sim, "--json"])
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    if rc:
        raise SystemExit(f"edgeforge energy {point} failed ({rc})")
    record = json.loads(out.getvalue())
    phases = dict(acc)
    phases["other"] = [wall - sum(v[0] for v in phases.values()),
                       cpu - sum(v[1] for v in phases.values())]
    dumps = sum(p.stat().st_size for p in Path(workdir).rglob("*.vcd"))
    return {"phases": phases, "wall": wall, "cpu": cpu, "dump_bytes": dumps, "record": record,
            "figure": next((record.get(k) or record.get("extra", {}).get(k)
                            for k in FIGURES
                            if record.get(k) or record.get("extra", {}).get(k)), None)}


def _run(point: str, sim: str, run: int, keep: bool, save: Path | None) -> dict:
    workdir = ROOT / "build" / "bench" / "report_steps" / f"{point}-{sim}-{run}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    proc = subprocess.run([sys.executable, __file__, "--inner", point, "--sims", sim,
                           "--workdir", str(workdir)], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f"{point} ({sim}) failed:\n{proc.stderr[-3000:]}")
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        (save / f"{point}-{sim}.json").write_text(json.dumps(out["record"], indent=1) + "\n")
    return out


def _table(point: str, sim: str, runs: list[dict]) -> None:
    def med(f) -> float:
        return statistics.median(f(r) for r in runs)

    cells = []
    for ph in PHASES:
        w = med(lambda r, ph=ph: r["phases"].get(ph, [0.0, 0.0])[0])
        c = med(lambda r, ph=ph: r["phases"].get(ph, [0.0, 0.0])[1])
        cells.append(f"{ph} {w:.1f}/{c:.1f}")
    figures = sorted({r["figure"] for r in runs}, key=str)
    print(f"{point:<8} {sim:<9} total {med(lambda r: r['wall']):6.1f} s wall "
          f"{med(lambda r: r['cpu']):6.1f} s CPU | " + ", ".join(cells)
          + f" | dump {med(lambda r: r['dump_bytes']) / 1e6:.1f} MB | figure "
          + ", ".join(str(f) for f in figures), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sims", nargs="+", default=["icarus"])
    ap.add_argument("--points", nargs="+", default=["drum16", "booth16", "ocu", "cim4"])
    ap.add_argument("--keep", action="store_true", help="keep the scratch directories")
    ap.add_argument("--save", type=Path, help="write each point's energy record to this directory")
    ap.add_argument("--list", action="store_true", help="list the points and exit")
    ap.add_argument("--inner", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.list:
        for name, argv in POINTS.items():
            print(f"{name:<8} edgeforge energy {' '.join(argv)}")
        return
    if args.inner:
        print(json.dumps(_inner(args.inner, args.sims[0], Path(args.workdir))))
        return
    unknown = [p for p in args.points if p not in POINTS]
    if unknown:
        raise SystemExit(f"Points must be among {', '.join(POINTS)}, not {', '.join(unknown)}")
    print(f"median of {args.runs} runs; each phase wall/CPU s; nothing cached")
    for point in args.points:
        for sim in args.sims:
            _table(point, sim, [_run(point, sim, i, args.keep, args.save)
                                     for i in range(args.runs)])


if __name__ == "__main__":
    main()
