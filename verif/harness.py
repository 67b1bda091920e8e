"""Streaming vector harness: verify a DUT at one vector per clock, with no Python in the loop.

Python writes the stimulus and the expected results to hex files; a generated Verilog wrapper
loads them into memories (``$readmemh``, file names passed as plusargs), drives the DUT from HDL
at one vector per clock, compares every result with ``!==`` (so X and Z count as mismatches),
counts the mismatches and captures the first one. The cocotb test (:mod:`verif.harness_cocotb`)
only starts the clock, releases reset and waits for ``done``; Python reads the counters at the end.

The wrapper is compiled once per DUT and simulator (the build is cached by a hash of its sources
and options); new vector sets only change the plusargs, so they run without recompiling.

This module knows nothing of any block family: callers describe the DUT by its Verilog module name,
source files, ports and latency (see :mod:`verif.approx.multiplier` for the multiplier family).
"""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import sim as _sim
from .atomic import atomic_write
from .sim import VERILATOR_WAIVERS, vcd_runner

__all__ = ["Port", "HarnessResult", "VectorHarness", "dump_wrapper", "to_bit_patterns",
           "from_bit_patterns", "vector_time"]

TOP = "ef_harness"
PERIOD_NS = 10  # clock period of the wrapper (the time base of timeouts and waveforms)
def vector_time(row: int) -> float:
    """Time in ns at which input row ``row >= 1`` reaches the DUTs (row 0 is there from t = 0).

    Reset falls at ``2 * PERIOD_NS``; row ``i`` enters on the ``i``-th rising clock edge after
    that, at ``2.5 * PERIOD_NS + (i - 1) * PERIOD_NS``.
    """
    return 2.5 * PERIOD_NS + (row - 1) * PERIOD_NS


@dataclass(frozen=True)
class Port:
    """A DUT port as it appears in the Verilog: name, width in bits, signedness of its values."""

    name: str
    width: int
    signed: bool = False


@dataclass(frozen=True)
class HarnessResult:
    """What one harness run found.

    Members
    -------
    checked : int
        Vectors whose results were compared (equals the vector count on a complete run).
    mismatches : int
        Vectors whose results differed from the expected ones.
    first_index : int or None
        Index of the first mismatching vector.
    first_got : dict
        Output values (as signed/unsigned integers per port) of the first mismatch.
    seconds : float
        Wall time of the simulation, excluding the build.
    sim : str
        Simulator used.
    """

    checked: int
    mismatches: int
    first_index: int | None
    first_got: dict[str, int | str] = field(default_factory=dict)
    seconds: float = 0.0
    sim: str = ""


def to_bit_patterns(values, width: int) -> list[int]:
    """Two's-complement bit patterns (non-negative ints) of ``values`` in ``width`` bits."""
    mask = (1 << width) - 1
    return [int(v) & mask for v in np.asarray(values, dtype=object).ravel()]


def from_bit_patterns(pattern: int, width: int, signed: bool) -> int:
    """Inverse of :func:`to_bit_patterns` for one value."""
    if signed and pattern >> (width - 1) & 1:
        return pattern - (1 << width)
    return pattern


def dump_wrapper(ports: list[dict], top: str, name: str) -> str:
    """A module ``name`` with the ports of ``top`` (dicts ``name``, ``direction`` ``"in"`` or
    ``"out"``, ``width``, as :func:`gen.flow.ip.ports` gives them) around one instance ``dut``
    of it; with ``+dump=<file>`` it dumps every net of ``dut`` to a VCD file."""
    decl = []
    for p in ports:
        width = f"[{p['width'] - 1}:0] " if p["width"] > 1 else ""
        decl.append(f"    {'input' if p['direction'] == 'in' else 'output'} wire {width}"
                    f"{p['name']}")
    conns = ", ".join(f".{p['name']}({p['name']})" for p in ports)
    return "\n".join([
        f"// edgeforge: {top} with a value-change dump of its nets (generated; do not edit)",
        "`timescale 1ns/1ps",
        f"module {name} (",
        ",\n".join(decl),
        ");",
        f"    {top} dut ({conns});",
        "    reg [8*1024-1:0] dump_path;",
        '    initial if ($value$plusargs("dump=%s", dump_path)) begin',
        "        $dumpfile(dump_path);",
        "        $dumpvars(0, dut);",
        "    end",
        "endmodule",
        "",
    ])


def _write_hex(path: Path, values, width: int, lanes: int) -> None:
    """One line per row of ``lanes`` values, lane 0 in the least significant bits."""
    digits = max(1, (width * lanes + 3) // 4)
    patterns = to_bit_patterns(values, width)
    patterns += [0] * (-len(patterns) % lanes)
    with open(path, "w") as f:
        for r in range(0, len(patterns), lanes):
            word = 0
            for j, v in enumerate(patterns[r:r + lanes]):
                word |= v << (j * width)
            f.write(f"{word:0{digits}x}\n")


class VectorHarness:
    """A compiled vector checker around one fixed-latency DUT.

    Parameters
    ----------
    top : str
        Verilog module name of the DUT.
    sources : sequence of Path
        Verilog files that define the DUT.
    inputs, outputs : sequence of Port
        Data ports driven from the stimulus memories and compared with the expected memories.
    latency : int
        Clock cycles from an input vector to its result (0 for combinational DUTs).
    clocked : bool
        Whether the DUT has ``clk`` and ``rst`` ports.
    depth : int
        Capacity of the vector memories; runs may use any count up to it.
    build_dir : Path
        Directory for the wrapper, the simulator build and the vector files.
    sim : str, optional
        ``"icarus"`` or ``"verilator"``; default from ``$SIM`` (see :mod:`verif.sim`).
    waves : bool, optional
        Record an FST waveform (``WAVES=1`` in the environment also enables it).
    lanes : int, optional
        DUT instances side by side, each fed its own vector every clock (1 to 64). More lanes
        amortise the per-clock cost of the simulator over more vectors.
    activity : bool, optional
        Build with value-change dumping, so that :meth:`run` can record a VCD of the first DUT
        instance (``dut0``) for switching-activity analysis.

    Raises
    ------
    ValueError
        If ports, latency or depth are out of range.
    verif.sim.SimulatorError
        If the simulator is missing.
    """

    def __init__(self, *, top: str, sources: Sequence[Path], inputs: Sequence[Port],
                 outputs: Sequence[Port], latency: int, clocked: bool, depth: int,
                 build_dir: Path, sim: str | None = None, waves: bool = False,
                 lanes: int = 1, activity: bool = False):
        if not isinstance(latency, int) or not 0 <= latency <= 64:
            raise ValueError(f"Latency must be an integer between 0 and 64, not {latency!r}")
        if latency > 0 and not clocked:
            raise ValueError("A DUT with latency > 0 must be clocked")
        if not isinstance(depth, int) or not 1 <= depth <= 1 << 24:
            raise ValueError(f"Depth must be an integer between 1 and {1 << 24}, not {depth!r}")
        if not isinstance(lanes, int) or not 1 <= lanes <= 64:
            raise ValueError(f"Lanes must be an integer between 1 and 64, not {lanes!r}")
        if not inputs or not outputs:
            raise ValueError("The harness needs at least one input and one output port")
        self.top = top
        self.sources = [Path(s).resolve() for s in sources]
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self.latency = latency
        self.clocked = clocked
        self.depth = depth
        self.lanes = lanes
        self.sim = _sim.prepare(sim)
        self.waves = waves or os.environ.get("WAVES", "") not in ("", "0")
        self.activity = bool(activity)
        suffix = ("-waves" if self.waves else "") + ("-vcd" if self.activity else "")
        self.build_dir = Path(build_dir).resolve() / (self.sim + suffix)

    # -- wrapper -----------------------------------------------------------------------------

    def wrapper_verilog(self) -> str:
        """The Verilog text of the wrapper module ``ef_harness``.

        Row ``r`` of each memory holds vectors ``r * lanes .. r * lanes + lanes - 1``, lane ``j``
        in bits ``[j * width +: width]``; one row enters the ``lanes`` DUT instances per clock.
        """
        L, N = self.latency, self.lanes
        rows = -(-self.depth // N)
        lines = [
            f"// edgeforge streaming vector harness around {self.top} (generated; do not edit)",
            "`timescale 1ns/1ps",
            f"module {TOP} (",
            "    output reg  done,",
            "    output reg  [31:0] checked,",
            "    output reg  [31:0] mismatches,",
            "    output reg  [31:0] first_index,",
            *(f"    output reg  [{p.width - 1}:0] first_{p.name}," for p in self.outputs),
        ]
        lines[-1] = lines[-1].rstrip(",")
        lines += [
            ");",
            f"    localparam LANES = {N};",
            f"    localparam ROWS = {rows};",
            "    // clock and reset come from HDL: no simulator-to-Python call per cycle",
            "    reg clk = 1'b0;",
            "    reg rst = 1'b1;",
            f"    always #{PERIOD_NS // 2} clk = ~clk;",
            f"    initial #{2 * PERIOD_NS} rst = 1'b0;  // a falling edge, after two rising",
            "    reg [31:0] count;",
            "    reg [8*1024-1:0] path;",
        ]
        if self.activity:
            lines += [
                "    // switching activity of the first DUT instance, when +dump=<file> is given",
                "    reg [8*1024-1:0] dump_path;",
                '    initial if ($value$plusargs("dump=%s", dump_path)) begin',
                "        $dumpfile(dump_path);",
                "        $dumpvars(0, dut0);",
                "    end",
            ]
        for kind, group in (("in", self.inputs), ("exp", self.outputs)):
            lines += [f"    reg [{N * p.width - 1}:0] {kind}_{p.name} [0:ROWS-1];" for p in group]
        lines += ["    initial begin",
                  '        if (!$value$plusargs("count=%d", count)) count = 0;']
        for kind, group in (("in", self.inputs), ("exp", self.outputs)):
            for p in group:
                lines += [
                    f'        if (count > 0 && $value$plusargs("{kind}_{p.name}=%s", path))',
                    f"            $readmemh(path, {kind}_{p.name}, 0, (count - 1) / LANES);",
                ]
        lines += [
            "    end",
            "    reg [31:0] rd;  // row read this cycle",
            "    wire issue = !rst && (rd * LANES < count);",
            "    wire [31:0] rdi = issue ? rd : 32'd0;",
        ]
        if L == 0:
            lines += ["    wire chk = issue;", "    wire [31:0] chk_r = rdi;"]
        else:
            lines += [f"    reg [{L - 1}:0] vq;", f"    reg [31:0] iq [0:{L - 1}];",
                      f"    wire chk = vq[{L - 1}];", f"    wire [31:0] chk_r = iq[{L - 1}];"]
        for p in self.inputs:
            lines.append(f"    wire [{N * p.width - 1}:0] row_{p.name} = in_{p.name}[rdi];")
        for p in self.outputs:
            lines.append(f"    wire [{N * p.width - 1}:0] want_{p.name} = exp_{p.name}[chk_r];")
        lines.append("    wire [LANES-1:0] bad;")
        for j in range(N):
            # each lane has nets of its own, so one lane's change wakes only its own checker
            for p in self.outputs:
                lines.append(f"    wire [{p.width - 1}:0] {p.name}_{j};")
            conns = [f".{p.name}(row_{p.name}[{(j + 1) * p.width - 1}:{j * p.width}])"
                     for p in self.inputs] + [f".{p.name}({p.name}_{j})" for p in self.outputs]
            if self.clocked:
                conns = [".clk(clk)", ".rst(rst)", *conns]
            differs = " || ".join(
                f"({p.name}_{j} !== want_{p.name}[{(j + 1) * p.width - 1}:{j * p.width}])"
                for p in self.outputs)
            lines += [
                f"    {self.top} dut{j} ({', '.join(conns)});",
                f"    assign bad[{j}] = chk && (chk_r * LANES + {j} < count) && ({differs});",
            ]
        valid_sum = " + ".join(f"(chk_r * LANES + {j} < count)" for j in range(N))
        bad_sum = " + ".join(f"bad[{j}]" for j in range(N))
        lines += [
            f"    wire [31:0] n_valid = {valid_sum};",
            f"    wire [31:0] n_bad = {bad_sum};",
            "    reg [31:0] lane;  // lowest mismatching lane of this row",
            "    integer j;",
            "    always @* begin",
            "        lane = 0;",
            "        for (j = LANES - 1; j >= 0; j = j - 1) if (bad[j]) lane = j;",
            "    end",
            "    always @(posedge clk) begin",
            "        if (rst) begin",
            "            rd <= 0; checked <= 0; mismatches <= 0; done <= 0;",
            "            first_index <= 32'hffffffff;",
        ]
        if L:
            lines.append("            vq <= 0;")
        lines += ["        end else begin", "            if (issue) rd <= rd + 1;"]
        if L:
            lines.append("            vq <= {vq, issue};" if L > 1 else "            vq <= issue;")
            lines.append("            iq[0] <= rdi;")
            lines += [f"            iq[{k}] <= iq[{k - 1}];" for k in range(1, L)]
        lines += [
            "            if (chk) begin",
            "                checked <= checked + n_valid;",
            "                mismatches <= mismatches + n_bad;",
            "                if (mismatches == 0 && n_bad != 0) begin",
            "                    first_index <= chk_r * LANES + lane;",
        ]
        lines.append("                    case (lane)")
        for j in range(N):
            grabs = " ".join(f"first_{p.name} <= {p.name}_{j};" for p in self.outputs)
            lines.append(f"                        {j}: begin {grabs} end")
        lines.append("                    endcase")
        lines += [
            "                end",
            "            end",
            "            if (checked == count) done <= 1;",
            "        end",
            "    end",
            "endmodule",
            "",
        ]
        return "\n".join(lines)

    # -- build -------------------------------------------------------------------------------

    def _build_args(self) -> list[str]:
        if self.sim == "verilator":
            # --timing runs the wrapper's clock (see verilator_makeflags for the C++ flags)
            args = [*VERILATOR_WAIVERS, "--timing", "-O3", "--x-assign", "fast",
                    "--x-initial", "fast"]
            if self.waves:
                args += ["--trace-fst"]
            if self.activity:
                # gate-level netlists name most nets _NNN_, which Verilator leaves out of traces
                # unless told otherwise
                args += ["--trace-underscore"]
            return args
        return []

    def build(self) -> Path:
        """Write the wrapper and compile it (skipped when nothing changed); return the build dir."""
        from .sim import build_lock

        with build_lock(self.build_dir):
            return self._build()

    def _build(self) -> Path:
        self.build_dir.mkdir(parents=True, exist_ok=True)
        wrapper = self.build_dir / f"{TOP}.v"
        text = self.wrapper_verilog()
        if not wrapper.exists() or wrapper.read_text() != text:
            atomic_write(wrapper, text)
        # Verilator: a traced build (VM_TRACE) also makes cocotb's main() call traceEverOn(),
        # which the wrapper's $dumpvars needs; cocotb opens its own trace only when run with
        # waves
        # an activity run is short: a model compiled at -O0 (C++) is built in two thirds of
        # the time and runs its few thousand cycles in about a second
        _sim.build([*self.sources, wrapper], TOP, self.build_dir, self.sim,
                   args=self._build_args(),
                   waves=self.waves or (self.activity and self.sim == "verilator"),
                   cxx_opt="-O0" if self.activity else None)
        return self.build_dir

    # -- run ---------------------------------------------------------------------------------

    def run(self, stimulus: Mapping[str, object], expected: Mapping[str, object], *,
            tag: str = "vectors", dump: Path | None = None) -> HarnessResult:
        """Check ``expected`` outputs for ``stimulus`` inputs (arrays of values by port name).

        ``dump`` (only for a harness built with ``activity=True``) names a VCD file that
        receives every net of ``dut0``. Vector ``i`` (``i >= 1``) reaches the DUT inputs at
        :func:`vector_time` ``(i)``; vector 0 is applied from the start, through reset.

        Returns the counts; raises ``RuntimeError`` if the simulation did not complete.
        """
        if dump is not None and not self.activity:
            raise ValueError("dump needs a harness built with activity=True")

        names_in = {p.name for p in self.inputs}
        names_out = {p.name for p in self.outputs}
        if set(stimulus) != names_in:
            raise ValueError(f"Stimulus ports {sorted(stimulus)} differ from {sorted(names_in)}")
        if set(expected) != names_out:
            raise ValueError(f"Expected ports {sorted(expected)} differ from {sorted(names_out)}")
        counts = {len(np.asarray(v, dtype=object).ravel()) for v in
                  (*stimulus.values(), *expected.values())}
        if len(counts) != 1:
            raise ValueError(f"Stimulus and expected arrays differ in length: {sorted(counts)}")
        count = counts.pop()
        if count > self.depth:
            raise ValueError(f"{count} vectors exceed the harness depth {self.depth}")
        from .sim import build_lock

        with build_lock(self.build_dir):
            return self._run(stimulus, expected, count, tag, dump)

    def _run(self, stimulus, expected, count, tag, dump) -> HarnessResult:
        from cocotb_tools.runner import get_runner

        self.build()
        run_dir = self.build_dir / tag
        run_dir.mkdir(exist_ok=True)
        plusargs = [f"+count={count}"]
        if dump is not None:
            Path(dump).parent.mkdir(parents=True, exist_ok=True)
            plusargs.append(f"+dump={Path(dump).resolve()}")
        for kind, ports, data in (("in", self.inputs, stimulus), ("exp", self.outputs, expected)):
            for p in ports:
                f = run_dir / f"{kind}_{p.name}.hex"
                _write_hex(f, data[p.name], p.width, self.lanes)
                plusargs.append(f"+{kind}_{p.name}={f}")
        result_file = run_dir / "result.json"
        result_file.unlink(missing_ok=True)
        timeout_ns = PERIOD_NS * (-(-count // self.lanes) + self.latency + 64)
        env = {
            "EF_RESULT": str(result_file),
            "EF_TIMEOUT_NS": str(timeout_ns),
            "EF_OUTPUTS": json.dumps([[p.name, p.width, p.signed] for p in self.outputs]),
        }
        runner = vcd_runner(self.sim) if dump is not None else get_runner(self.sim)
        t0 = time.perf_counter()
        try:
            runner.test(
                test_module="verif.harness_cocotb",
                hdl_toplevel=TOP,
                hdl_toplevel_lang="verilog",
                build_dir=self.build_dir,
                test_dir=run_dir,
                plusargs=plusargs,
                extra_env=env,
                waves=self.waves,
                log_file=run_dir / "sim.log",
            )
        except SystemExit as e:  # cocotb's runner exits on simulator or test failure
            raise RuntimeError(
                f"Simulation of {self.top} under {self.sim} failed ({e}); see "
                f"{run_dir / 'sim.log'}"
            ) from None
        seconds = time.perf_counter() - t0
        if not result_file.exists():
            raise RuntimeError(
                f"Simulation of {self.top} under {self.sim} produced no result; see "
                f"{run_dir / 'sim.log'}"
            )
        r = json.loads(result_file.read_text())
        if not r["done"]:
            raise RuntimeError(
                f"Simulation of {self.top} under {self.sim} timed out after {r['checked']} of "
                f"{count} vectors; see {run_dir / 'sim.log'}"
            )
        return HarnessResult(
            checked=r["checked"],
            mismatches=r["mismatches"],
            first_index=r["first_index"] if r["mismatches"] else None,
            first_got=r["first_got"] if r["mismatches"] else {},
            seconds=seconds,
            sim=self.sim,
        )

    def repro_env(self) -> str:
        """Shell prefix that selects this harness's simulator, for repro commands."""
        return f"SIM={shlex.quote(self.sim)}"
