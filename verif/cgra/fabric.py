"""Verification of a CGRA fabric: job, cocotb run and cycle-by-cycle checker.

The testbench is split into the usual four parts:

* **driver** and **monitor** (:mod:`verif.cgra.fabric_cocotb`, inside the simulator): shift the
  configuration in through the scan chain, write the instruction memories and preload the
  scratchpads through the host ports, pulse ``start``, record the address and every FU output
  of each executed row until ``done``, then read the scratchpads back;
* **model** (:class:`sim_models.cgra.CGRAModel`): the instruction-level, cycle-accurate
  simulator of the same fabric, configuration and program;
* **checker** (:func:`check`): the number of executed rows, then row by row the address and
  all FU outputs, then the scratchpads; the first difference names the cycle, the unit, the
  port, both values and a one-line repro command.

Kernels (:mod:`sim_models.cgra.programs`) run from the shell with, e.g.::

    SIM=verilator python -m verif.cgra.fabric --kernel fir --fabric small --mul drum --seed 3
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hw.cgra import CGRA
from sim_models.approx import DrumModel, ExactModel, RoupModel
from sim_models.cgra import CGRAModel
from sim_models.cgra import config as cfg
from sim_models.cgra.asm import assemble
from sim_models.cgra.fabric_file import load
from sim_models.cgra.programs import kernel as get_kernel

from .. import sim as _sim
from ..point import Design, DesignPoint

__all__ = ["CGRATestError", "CGRAReport", "job", "check", "run", "run_kernel",
           "memory_words", "words_to_bytes", "repro_command", "multiplier_function",
           "design_point", "PARAMS", "BUILD_ROOT"]

BUILD_ROOT = Path("build") / "verif"


class CGRATestError(AssertionError):
    """The fabric's RTL (or netlist) disagrees with the golden model."""


@dataclass
class CGRAReport:
    """One checked run: cycles executed and compared, build and simulation seconds."""

    module: str
    sim: str
    cycles: int
    build_seconds: float
    sim_seconds: float
    observed: dict


def memory_words(data: bytes | np.ndarray, width: int) -> list[int]:
    """Little-endian ``width``-bit words of a byte image (its length a multiple of the word)."""
    raw = np.asarray(bytearray(data) if isinstance(data, (bytes, bytearray)) else data,
                     dtype=np.uint8)
    step = width // 8
    if len(raw) % step:
        raise ValueError(f"A scratchpad image of {len(raw)} bytes is not a whole number of "
                         f"{width}-bit words")
    return [int.from_bytes(raw[i:i + step].tobytes(), "little") for i in range(0, len(raw), step)]


def words_to_bytes(words: list[int], width: int) -> np.ndarray:
    """Inverse of :func:`memory_words`."""
    step = width // 8
    return np.frombuffer(b"".join(int(w).to_bytes(step, "little") for w in words),
                         dtype=np.uint8).copy()


def job(fabric, config: int, imems: Mapping[str, list[int]],
        memories: Mapping[str, bytes | np.ndarray] | None = None, *, max_cycles: int = 10_000,
        readback: bool = True, full: bool = False) -> dict:
    """The JSON job of :mod:`verif.cgra.fabric_cocotb` for one run.

    ``imems`` is keyed by ID name, ``memories`` by LSU name (byte images, at most the
    scratchpad's size); every scratchpad is read back whole when ``readback`` is set. The RTL
    starts with zeroed memories, so only non-zero words are written; ``full`` writes every
    word of every scratchpad and every instruction word the run can fetch, zeros included (a
    synthesised netlist's memories start unknown). The RF has no host port: programs must
    write a register before reading it on a netlist.
    """
    ids = {spec.name: spec.index for spec in fabric.ids}
    lsus = [fu for fu in fabric.fus if fu.type == "lsu"]
    lsu_index = {fu.name: i for i, fu in enumerate(lsus)}
    imem = []
    for name, words in imems.items():
        if name not in ids:
            raise ValueError(f"Unknown ID {name!r}; valid: {', '.join(ids)}")
        imem += [[ids[name], a, int(w)] for a, w in enumerate(words) if w or full]
    if full:  # every row the fabric can fetch: the program and the 2 rows fetched past it
        have = {(i, a) for i, a, _ in imem}
        rows = min(fabric.imem_depth, max((len(w) for w in imems.values()), default=0) + 3)
        imem += [[spec.index, a, 0] for spec in fabric.ids for a in range(rows)
                 if (spec.index, a) not in have]
    mem = []
    for name, data in (memories or {}).items():
        if name not in lsu_index:
            raise ValueError(f"Unknown LSU {name!r}; valid: {', '.join(lsu_index)}")
        size = fabric.fu(name).params["mem_bytes"]
        if len(data) > size:
            raise ValueError(f"Image of {len(data)} bytes does not fit {name} ({size} bytes)")
        mem += [[lsu_index[name], a, w] for a, w in enumerate(memory_words(data, fabric.width))
                if w or full]
    if full:
        have = {(i, a) for i, a, _ in mem}
        mem += [[lsu_index[fu.name], a, 0] for fu in lsus
                for a in range(fu.params["mem_bytes"] * 8 // fabric.width)
                if (lsu_index[fu.name], a) not in have]
    back = [[lsu_index[fu.name], fu.params["mem_bytes"] * 8 // fabric.width] for fu in lsus] \
        if readback else []
    bits = "".join(str(b) for b in cfg.scan_bits(fabric, config))
    return {"cfg_bits": bits, "imem": imem, "mem": mem, "readback": back,
            "max_cycles": int(max_cycles)}


def check(fabric, trace, observed: dict, repro: str) -> int:
    """Compare a recorded run with the golden model's :class:`~sim_models.cgra.model.Trace`.

    Returns the number of rows compared.

    Raises
    ------
    CGRATestError
        On the first difference, naming cycle, unit, port, values and ``repro``.
    """
    w = fabric.width
    names = [fu.name for fu in fabric.fus]
    rows = observed["rows"]
    if not observed["done"]:
        raise CGRATestError(f"the fabric did not reach halt within the cycle limit "
                            f"({len(rows)} rows executed, the model runs {trace.cycles}); "
                            f"repro: {repro}")
    if observed.get("busy_after_done"):
        raise CGRATestError(f"busy is still set after done; repro: {repro}")
    for k in range(min(len(rows), trace.cycles)):
        pc, text = rows[k]
        if pc != int(trace.pc[k]):
            raise CGRATestError(f"cycle {k}: executed address {pc}, expected {int(trace.pc[k])}"
                                f"; repro: {repro}")
        if len(text) != 2 * len(names) * w:
            raise CGRATestError(f"cycle {k}: fu_out has {len(text)} bits, expected "
                                f"{2 * len(names) * w}; repro: {repro}")
        for f, name in enumerate(names):
            for p in (0, 1):
                want = int(trace.outputs[k, f, p])
                lo = (2 * f + p) * w  # bit offset of this output in fu_out (MSB-first text)
                field = text[len(text) - lo - w:len(text) - lo]
                if any(c not in "01" for c in field):
                    raise CGRATestError(f"cycle {k} (address {pc}): {name}.out{p} = {field} "
                                        f"(unknown bits), expected {want:#x}; repro: {repro}")
                if int(field, 2) != want:
                    raise CGRATestError(f"cycle {k} (address {pc}): {name}.out{p} = "
                                        f"{int(field, 2):#x}, expected {want:#x}; repro: {repro}")
    if len(rows) != trace.cycles:
        raise CGRATestError(f"{len(rows)} rows executed, the model executes {trace.cycles}; "
                            f"repro: {repro}")
    lsus = [fu for fu in fabric.fus if fu.type == "lsu"]
    for i, fu in enumerate(lsus):
        if str(i) not in observed["memories"]:
            continue
        got = words_to_bytes(observed["memories"][str(i)], w)
        want = np.asarray(trace.memories[fu.name], dtype=np.uint8)
        if got.shape != want.shape or not (got == want).all():
            diff = np.flatnonzero(got != want) if got.shape == want.shape else [-1]
            a = int(diff[0])
            raise CGRATestError(f"scratchpad {fu.name} after the run: byte {a} = "
                                f"{int(got[a]) if a >= 0 else '?'}, expected "
                                f"{int(want[a]) if a >= 0 else '?'} ({len(diff)} bytes differ); "
                                f"repro: {repro}")
    return len(rows)


def repro_command(fabric_spec: str, mul: str, kernel: str, sim: str, seed: int) -> str:
    """The shell command that reruns one kernel on one fabric."""
    return " ".join(shlex.quote(x) for x in [
        f"SIM={sim}", "python", "-m", "verif.cgra.fabric", "--kernel", kernel,
        "--fabric", fabric_spec, *(["--mul", mul] if mul else []), "--seed", str(seed)])


def run(inst, config: int, imems: Mapping[str, list[int]],
        memories: Mapping[str, bytes | np.ndarray] | None, *, repro: str, tag: str = "run",
        sim: str | None = None, build_root: Path = BUILD_ROOT, max_cycles: int = 10_000,
        runner=None, plusargs: list[str] | None = None) -> CGRAReport:
    """Build the RTL of a ``cgra`` instance, run one program and check it cycle by cycle.

    Raises
    ------
    CGRATestError
        On any difference from the golden model.
    RuntimeError
        If the build or the simulation fails.
    """
    if inst.design.name != "cgra":
        raise ValueError(f"Design {inst.design.name} has no cocotb CGRA testbench")
    fabric = inst.model.fabric
    trace = inst.model.run(config, imems, memories, max_cycles=max_cycles)
    sim = _sim.prepare(sim)
    build_dir = (Path(build_root) / inst.module / sim).resolve()
    with _sim.build_lock(build_dir):
        _, build_seconds = _sim.build_design(inst.component, inst.module, sim, build_dir)
        t0 = time.perf_counter()
        observed = _sim.run_job(
            sim, "verif.cgra.fabric_cocotb", inst.module, build_dir, build_dir / tag,
            job(fabric, config, imems, memories, max_cycles=trace.cycles + 64),
            f"Run of {inst.module} ({tag})", repro, runner=runner, plusargs=plusargs)
        seconds = time.perf_counter() - t0
    cycles = check(fabric, trace, observed, repro)
    return CGRAReport(inst.module, sim, cycles, build_seconds, seconds, observed)


#: Parameters of the ``cgra`` design (the flow registry's) and their defaults.
PARAMS = {"fabric": "small", "mul": ""}


def design_point(fabric: str = "small", mul: str = "") -> DesignPoint:
    """The ``cgra`` design point of fabric ``fabric`` (a built-in name or a ``.toml`` file,
    :func:`sim_models.cgra.fabric_file.load`) with every MUL tile replaced by ``mul`` (``""``:
    as described): :class:`hw.cgra.CGRA` and :class:`sim_models.cgra.CGRAModel`, named
    ``cgra_<fabric name>`` as the flow names it.

    Raises
    ------
    TypeError, ValueError
        For a fabric that cannot be loaded or a MUL kind the fabric refuses.
    """
    fab = load(fabric)
    if mul:
        fab = fab.with_mul(mul)
    return DesignPoint(Design("cgra"), f"cgra_{fab.name}", {"fabric": fabric, "mul": mul},
                       CGRA(fab.to_dict()), CGRAModel(fab), PARAMS)


def run_kernel(kernel: str, *, fabric: str = "small", mul: str = "", seed: int = 1,
               sim: str | None = None, build_root: Path = BUILD_ROOT) -> tuple[CGRAReport, dict]:
    """Assemble one kernel of :mod:`sim_models.cgra.programs`, run it on the RTL and check it
    against the golden model (cycle by cycle) and the kernel's numpy reference (at the end).

    Returns the report and ``{"result", "reference", "cycles"}``.
    """
    inst = design_point(fabric, mul)
    fab = inst.model.fabric
    k = get_kernel(kernel)
    prog = assemble(k.program_text, fab, filename=f"{kernel}.pasm")
    inputs = k.inputs(seed)
    memories = k.memories(inputs)
    sim = _sim.prepare(sim)
    repro = repro_command(fabric, mul, kernel, sim, seed)
    rep = run(inst, prog.config, prog.imems, memories, repro=repro, tag=f"{kernel}-s{seed}",
              sim=sim, build_root=build_root)
    got = k.result({fu.name: words_to_bytes(rep.observed["memories"][str(i)], fab.width)
                    for i, fu in enumerate(x for x in fab.fus if x.type == "lsu")})
    mul_fn = multiplier_function(fab, "mul0")
    want = k.reference(inputs, fab.width, mul=mul_fn)
    if np.shape(got) != np.shape(want) or not np.array_equal(got, want):
        raise CGRATestError(f"kernel {kernel}: result {np.asarray(got).tolist()} differs from "
                            f"the numpy reference {np.asarray(want).tolist()}; repro: {repro}")
    return rep, {"result": got, "reference": want, "cycles": rep.cycles}


def multiplier_function(fabric, tile: str):
    """The product function of MUL tile ``tile`` (exact, DRUM or ROUP, signed ``width``-bit
    operands) as the kernels' numpy references take it, from :mod:`sim_models.approx`."""
    params = fabric.fu(tile).params
    w = fabric.width
    if params["kind"] == "drum":
        model = DrumModel(w, params["k"], signed=True, sign_mode="twos")
    elif params["kind"] == "roup":
        model = RoupModel(w, params["p"], params["r"], signed=True)
    else:
        model = ExactModel(w, signed=True)

    def mul(a, b):
        half = 1 << (w - 1)
        a = ((np.asarray(a, dtype=np.int64) + half) % (1 << w)) - half
        b = ((np.asarray(b, dtype=np.int64) + half) % (1 << w)) - half
        # the low bits are all a W-bit datapath keeps (and all the references use)
        return (np.asarray(model(a, b), dtype=object) % (1 << w)).astype(np.int64)

    return mul


def main(argv=None) -> int:
    """``python -m verif.cgra.fabric --kernel NAME [--fabric F] [--mul KIND] [--seed N]``."""
    ap = argparse.ArgumentParser(prog="python -m verif.cgra.fabric", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--fabric", default="small")
    ap.add_argument("--mul", default="", help="replace every MUL tile: exact|drum|roup")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sim")
    args = ap.parse_args(argv)
    print(f"kernel {args.kernel} on {args.fabric}{' ' + args.mul if args.mul else ''}: "
          f"seed {args.seed}")
    try:
        rep, res = run_kernel(args.kernel, fabric=args.fabric, mul=args.mul, seed=args.seed,
                              sim=args.sim)
    except (TypeError, ValueError) as e:
        ap.error(str(e))
    except CGRATestError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print(f"{rep.module} ({rep.sim}): {rep.cycles} cycles equal to the golden model, result "
          f"equal to numpy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
