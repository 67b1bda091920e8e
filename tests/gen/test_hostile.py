"""Hostile and careless input to every subcommand: one line, exit 2, nothing written.

Each case runs ``edgeforge`` in a fresh working directory (so ``build/`` and every ``-o``
directory are below it) and asserts: the exit code (2 unless stated), exactly one line on
standard error holding the pinned message fragment, no traceback, and no file or directory
created or changed in the working directory or the folder of hostile files. Every case is
rejected before any elaboration, synthesis or simulation, so the table runs in seconds.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gen.cli import EXIT_PIPE, main

ROOT = Path(__file__).resolve().parents[2]
GCD = ROOT.parent / "shared" / "reference" / "gcd"
NOT_REGULAR = "is not a regular file (a device, pipe or socket)"
HUGE = "9" * 5000

#: The kinds of broken file every file-taking option is tried with, and how the message ends.
FILES = (("missing", "does not exist"), ("adir", "is a directory, not a file"),
         ("zlink", NOT_REGULAR), ("fifo", NOT_REGULAR))
SUFFIXES = ("", ".npz", ".toml", ".pasm")
#: Content-level damage per file kind: (file name in the hostile folder, fragment).
LIBERTY_BAD = [
    ("empty.lib", "is empty"),
    ("random.lib", "binary data"),
    ("text.lib", "has no library group; is it a Liberty file?"),
    ("trunc.lib.gz", "truncated gzip data"),
    ("bomb.lib.gz", "expands to more than 256 MiB"),
    ("nounits.lib", "library has no leakage_power_unit: leakage would be unscaled"),
]
NPY_BAD = [
    ("empty.npy", "is not a .npy array file: it is empty"),
    ("random.npy", "is not a .npy array file: it holds binary data of another kind"),
    ("text.npy", "is not a .npy array file: it holds text"),
    ("truncated.npy", "it is truncated"),
    ("objects.npy", "it holds Python objects (a pickle), which are never loaded"),
    ("archive.npy", "is not a .npy array file: it is a zip archive (.npz)"),
    ("floats.npy", "LUT must have an integer dtype, not float64"),
    ("shape.npy", "LUT must have shape (256, 256) for width 8, not (256, 255)"),
    ("signed8.npy", "a signed (two's-complement) table? declare it signed (--signed)"),
]
NPZ_BAD = [
    ("empty.npz", "is not a .npz archive: it is empty"),
    ("random.npz", "is not a .npz archive: it holds binary data of another kind"),
    ("text.npz", "is not a .npz archive: it holds text"),
    ("truncated.npz", "a damaged zip archive"),
    ("array.npz", "is not a .npz archive: it is a .npy array file"),
    ("objects.npz", "it holds Python objects (a pickle), which are never loaded"),
    ("noa.npz", "lacks array 'a' (it holds x, b)"),
    ("floats.npz", "array a must hold integers, not float64"),
    ("range.npz", "array a must lie in [0, 255] for 8-bit unsigned operands"),
    ("short.npz", "holds 10 operand pairs; 4001 are needed"),
]
TOML_BAD = [
    ("empty.toml", "Fabric: missing key 'name'"),
    ("random.toml", "holds binary data (byte 0x"),
    ("text.toml", "invalid TOML"),
    ("huge.toml", "the limit is 1 MiB"),
    ("bigfabric.toml", "Fabric has 300 FUs; the limit is 64 (1..64)"),
]
SPEC_BAD = [
    ("empty.toml", "at least one [[points]] table is needed"),
    ("random.toml", "holds binary data (byte 0x"),
    ("text.toml", "not TOML"),
    ("huge.toml", "is 2 MiB; the limit is 1 MiB"),
    ("bigfabric.toml", "unknown key 'fu'; valid: points, sweep"),
]
PASM_BAD = [
    ("random.pasm", "holds binary data"),
    ("huge_imm.pasm", "huge_imm.pasm:"),
    ("empty.pasm", "the program has no rows"),
]
NETLIST_BAD = [  # each reaches Yosys (a second each), which rejects it
    ("empty.v", "Yosys: Module `t' not found"),
    ("random.v", "random.v:1: Yosys: syntax error"),
    ("text.v", "text.v:1: Yosys: syntax error"),
]
TINY_VCD = """$timescale 1ns $end
$scope module tb $end
$scope module dut $end
$var wire 1 ! a $end
$upscope $end
$upscope $end
$enddefinitions $end
#0
0!
#10
1!
#20
"""
VCD_BAD = [
    ("empty.vcd", "empty.vcd is not a VCD or FST file: it is empty"),
    ("random.vcd", "random.vcd is not a VCD or FST file: it holds binary data of another kind"),
    ("text.vcd", "text.vcd is not a VCD or FST file: it holds text"),
    ("trunc.vcd.gz", "trunc.vcd.gz:1: unexpected 'library' in the header"),
]


def _write_hostile(d: Path) -> None:
    """The folder of broken files the cases point at."""
    for suffix in SUFFIXES:
        (d / f"adir{suffix}").mkdir()
        os.symlink("/dev/zero", d / f"zlink{suffix}")  # reads forever
        os.mkfifo(d / f"fifo{suffix}")  # blocks a reader forever
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    for ext in ("lib", "npy", "npz", "toml", "pasm", "v", "vcd"):
        (d / f"empty.{ext}").write_bytes(b"")
        (d / f"random.{ext}").write_bytes(noise)
        (d / f"text.{ext}").write_text("hello world\nthis is not it\n")
    lib = gzip.compress(b"library (x) {\n" + b"  /* padding */\n" * 4000 + b"}\n")
    (d / "trunc.lib.gz").write_bytes(lib[: len(lib) // 2])
    (d / "trunc.vcd.gz").write_bytes(lib[: len(lib) // 2])
    with gzip.open(d / "bomb.lib.gz", "wb", compresslevel=1) as f:
        block = b" " * (1 << 20)
        for _ in range(260):
            f.write(block)
    (d / "nounits.lib").write_text("library (x) {\n  delay_model : table_lookup;\n}\n")
    np.save(d / "truncated.npy", np.zeros((256, 256), np.int64))
    data = (d / "truncated.npy").read_bytes()
    (d / "truncated.npy").write_bytes(data[: len(data) // 2])
    np.save(d / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.savez(d / "archive.npz", a=np.zeros(3, np.int64))
    os.rename(d / "archive.npz", d / "archive.npy")
    np.save(d / "floats.npy", np.zeros((256, 256)))
    np.save(d / "shape.npy", np.zeros((256, 255), np.int64))
    a = np.arange(-128, 128)
    np.save(d / "signed8.npy", np.outer(a, a).astype(np.int64))
    zip_bytes = _npz(d / "ok.npz", a=np.zeros(5000, np.int64), b=np.zeros(5000, np.int64))
    (d / "truncated.npz").write_bytes(zip_bytes[: len(zip_bytes) // 2])
    np.save(d / "array.npy", np.zeros(4, np.int64))
    os.rename(d / "array.npy", d / "array.npz")
    np.savez(d / "objects.npz", a=np.array([{"a": 1}], dtype=object), b=np.zeros(2, np.int64))
    np.savez(d / "noa.npz", x=np.zeros(2, np.int64), b=np.zeros(2, np.int64))
    np.savez(d / "floats.npz", a=np.zeros(5000), b=np.zeros(5000))
    np.savez(d / "range.npz", a=np.full(5000, 300), b=np.zeros(5000, np.int64))
    np.savez(d / "short.npz", a=np.zeros(10, np.int64), b=np.zeros(10, np.int64))
    (d / "huge.toml").write_text("# " + "x" * (2 << 20) + "\n")
    (d / "bigfabric.toml").write_text(_big_fabric(300))
    (d / "huge_imm.pasm").write_text(".columns alu0\n  add " + HUGE + "\n")
    (d / "afile").write_text("I am a file\n")
    (d / "ok.vcd").write_text(TINY_VCD)


def _npz(path: Path, **arrays) -> bytes:
    np.savez(path, **arrays)
    return path.read_bytes()


def _big_fabric(n: int) -> str:
    lines = ['name = "big"', "width = 32", "imem_depth = 16", "[network]", 'kind = "crossbar"']
    for i in range(n):
        lines += ["[[fu]]", f'name = "alu{i}"', 'type = "alu"', f'id = "id{i}"']
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    _write_hostile(d)
    return d


def _tree(path: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for p in sorted(path.rglob("*")):
        if p.is_symlink() or not (p.is_file() or p.is_dir()):
            out[str(p.relative_to(path))] = (0, 0)
            continue
        st = p.stat()
        out[str(p.relative_to(path))] = (st.st_size, st.st_mtime_ns) if p.is_file() else (0, 0)
    return out


def _file_cases(make, what, bad_content, suffix=""):
    """Every broken-file kind, plus the content-level damage of this file kind."""
    cases = []
    for kind, tail in FILES:
        path = f"@/{kind}{suffix}"
        cases.append((make(path), f"{what} {path} {tail}"))
    for name, fragment in bad_content:
        cases.append((make(f"@/{name}"), fragment))
    return cases


def _id(argv) -> str:
    return " ".join(a if len(a) < 30 else a[:12] + "..." for a in argv)


CASES: list[tuple[list[str], str]] = []
# -- every subcommand: unknown commands and options, missing arguments
CASES += [
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "the following arguments are required: COMMAND"),
    (["list", "--bogus"], "unrecognized arguments: --bogus"),
    (["verilog", "--bogus"], "unrecognized arguments: --bogus"),
    (["errors", "drum", "--bogus"], "unrecognized arguments: --bogus"),
    (["verify"], "the following arguments are required: design"),
    (["synth", "exact", "--bogus"], "unrecognized arguments: --bogus"),
    (["energy"], "the following arguments are required: design"),
    (["power", "--netlist", "x.v"], "the following arguments are required: --top, --vcd"),
    (["digits", "--bogus"], "unrecognized arguments: --bogus"),
    (["asm", "dot"], "the following arguments are required: --fabric"),
    (["report", "--bogus"], "unrecognized arguments: --bogus"),
]
# -- design names and parameters
CASES += [
    (["verilog", "nosuch"], "Unknown design 'nosuch'; valid: binary_ocu, cgra, cim_macro"),
    (["synth", "nosuch"], "Unknown design 'nosuch'"),
    (["energy", "nosuch"], "Unknown design 'nosuch'"),
    (["verify", "nosuch"], "Unknown design 'nosuch'"),
    (["errors", "nosuch"], "Unknown design 'nosuch'"),
    (["verilog", "drum", "-p", "width"], "Parameter 'width' must be NAME=VALUE"),
    (["verilog", "drum", "-p", "=3"], "Parameter '=3' must be NAME=VALUE"),
    (["verilog", "drum", "-p", "width=" + HUGE],
     "Parameter width must be an integer (4..64), not a 5000-character string"),
    (["verilog", "drum", "-p", "width=1e3"], "Parameter width must be an integer (4..64)"),
    (["verilog", "drum", "-p", "width=-4"], "Width must be an integer between 4 and 64, not -4"),
    (["verilog", "exact", "-p", "width=1"], "Width must be an integer between 2 and 64, not 1"),
    (["verilog", "drum", "-p", "k=2"], "K must be an integer between 3 and 15"),
    (["verilog", "drum", "-p", "signed=maybe"], "Parameter signed must be true or false"),
    (["verilog", "ternary_ocu", "-p", "pooling=avg"],
     "Parameter pooling must be one of 'none', 'max', 'sum', not 'avg'"),
    (["verilog", "ternary_ocu", "-p", "pooling=None"],
     "Parameter pooling must be one of 'none', 'max', 'sum', not 'None'"),
    (["verilog", "ternary_ocu", "-p", "weight_storage=sram"],
     "Parameter weight_storage must be one of 'ff', 'latch', not 'sram'"),
    (["verilog", "ternary_ocu", "-p", "k=4"], "K must be an odd integer between 1 and 7, not 4"),
    (["verilog", "ternary_ocu", "-p", "n_i=100000"],
     "N_I must be an integer between 1 and 256, not 100000"),
    (["verilog", "ternary_engine", "-p", "image_width=100000"],
     "Image width must be an integer between 3 and 1024, not 100000"),
    (["verilog", "ternary_engine", "-p", "weight_layers=65"],
     "Weight layers must be an integer between 1 and 64, not 65"),
    (["verilog", "cim_macro", "-p", "rows=5000"],
     "Rows must be an integer between 1 and 1024, not 5000"),
    (["verilog", "drum", "-p", "width=\u0668"], "Parameter width must be an integer (4..64)"),
    (["verilog", "drum", "-p", "width=8_0"], "Parameter width must be an integer (4..64)"),
    (["verilog", "cim_macro", "-p", "bit_order=middle"],
     "Parameter bit_order must be one of 'lsb', 'msb', not 'middle'"),
    (["verilog", "cim_macro", "-p", "storage=sram"],
     "Parameter storage must be one of 'ff', 'latch', not 'sram'"),
    (["verilog", "cgra", "-p", "mul=wallace"],
     "Parameter mul must be one of '', 'exact', 'drum', 'roup', not 'wallace'"),
    (["verilog", "cgra", "-p", "fabric=huge"],
     "Fabric must be one of default, small or a .toml file, not 'huge'"),
    (["verilog", "--all", "-p", "width=8"], "-p does not apply to --all"),
    (["verilog", "drum", "--all"], "give a design or --all, not both"),
    (["synth"], "give a design name or --all"),
]
# -- family mismatches
CASES += [
    (["verify", "cgra"], "check cgra with python -m verif.cgra.fabric"),
    (["verify", "cim_macro"], "check cim_macro with python -m verif.cim.macro"),
    (["verify", "ternary_engine"], "check ternary_engine with python -m verif.ternary.engine"),
    (["verify", "binary_ocu"],
     "check binary_ocu with python -m verif.ternary.ocu --design binary_ocu"),
    (["errors", "ternary_ocu"], "Design ternary_ocu is not a multiplier"),
    (["energy", "exact", "--density", "0.5"],
     "--density is for ternary_ocu and ternary_engine, not exact"),
    (["energy", "cim_macro", "--ops", "10"], "--ops is for exact, drum and roup, not cim_macro"),
    (["energy", "cgra", "--ops", "10"], "--ops is for exact, drum and roup, not cgra"),
    (["energy", "exact", "--kernel", "dot"], "--kernel is for cgra, not exact"),
    (["energy", "cgra", "--kernel", "fft"], "Kernel must be one of dot, fir, gemm, vadd"),
    (["energy", "ternary_ocu", "--workload", "gaussian"],
     "--workload is for exact, drum and roup, not ternary_ocu"),
    (["energy", "binary_ocu", "--frames", "2"], "--frames is for ternary_engine, not binary_ocu"),
    (["energy", "exact", "--windows", "20"],
     "--windows is for ternary_ocu and binary_ocu, not exact"),
    (["energy", "cgra", "--input-zero", "0.5"], "--input-zero is for cim_macro, not cgra"),
    (["energy", "exact", "--workload", "zipf"],
     "Workload must be 'uniform', 'gaussian' or a .npz file with arrays a and b"),
    (["errors", "drum", "--width", "8"], "--width and --signed go with --lut"),
    (["errors", "--lut", "x.npy"], "--lut needs --width N"),
    (["errors", "--lut", "x.npy", "--width", "8", "drum"], "--lut takes no design or -p"),
    (["digits", "--golden-only", "--images", "3"], "--images is for the RTL run"),
    (["asm"], "the following arguments are required: --fabric"),
    (["asm", "--fabric", "small"], "give a program (a .pasm file or a kernel name)"),
    (["asm", "fft", "--fabric", "small"], "program fft is neither a file nor a kernel"),
    (["asm", "--list-fields", "--fabric", "small", "-o", "x"], "--list-fields writes nothing"),
    (["asm", "dot", "--fabric", "medium"],
     "Fabric must be one of default, small or a .toml file, not 'medium'"),
    (["energy", "exact", "--sim", "modelsim"], "SIM must be 'icarus' or 'verilator'"),
    (["energy", "exact", "--slew", "1000.5"], "argument --slew: must be a finite number above"),
    (["power", "--netlist", "n.v", "--top", "gcd; echo on", "--vcd", "w.vcd", "--scope", "s"],
     "Top module must be a Verilog module name (letters, digits, _ and $, or an escaped name "
     "without spaces, ';' or '#'), not 'gcd; echo on'"),
    (["power", "--netlist", "n.v", "--top", "gcd\nstat", "--vcd", "w.vcd", "--scope", "s"],
     "Top module must be a Verilog module name"),
    (["power", "--netlist", "n.v", "--top", "t", "--vcd", "w.vcd", "--scope", ""],
     "--scope must name the netlist's instance in the dump (tb/dut), not ''"),
]
# -- counts and numbers: non-numbers, out of range, huge, non-finite, out of order
_INTS = [
    (["errors", "drum"], "--samples", 1, 1_000_000_000),
    (["errors", "drum"], "--seed", 0, (1 << 63) - 1),
    (["errors", "drum", "--exhaustive"], "--workers", 1, 64),
    (["verify", "drum"], "--samples", 1, 1_000_000),
    (["energy", "exact"], "--ops", 1, 65536),
    (["energy", "ternary_engine"], "--frames", 1, 256),
    (["energy", "ternary_ocu"], "--windows", 16, 8192),
    (["energy", "cim_macro"], "--vectors", 8, 4096),
    (["report"], "--ops", 1, 65536),
    (["report"], "--workers", 1, 64),
    (["sweep", "s.toml"], "--workers", 1, 64),
    (["digits"], "--images", 1, 539),
]
for _pre, _opt, _lo, _hi in _INTS:
    _want = f"argument {_opt}: must be an integer between {_lo} and {_hi}"
    CASES += [
        ([*_pre, _opt, str(_lo - 1)], f"{_want}, not {_lo - 1}"),
        ([*_pre, _opt, str(_hi + 1)], f"{_want}, not {_hi + 1}"),
        ([*_pre, _opt, "1e11"], f"{_want}, not '1e11'"),
        ([*_pre, _opt, HUGE], f"{_want}, not a 5000-character string"),
    ]
CASES += [
    (["errors", "--lut", "x.npy", "--width", "1"],
     "argument --width: must be an integer between 2 and 12, not 1"),
    (["errors", "--lut", "x.npy", "--width", "13"],
     "argument --width: must be an integer between 2 and 12, not 13"),
    (["verify", "drum", "--a", HUGE, "--b", "1"], "argument --a: must be an integer between"),
    (["verify", "drum", "-p", "width=8", "--a", "300", "--b", "1"],
     "Operand a must lie in [0, 255], not 300"),
    (["verify", "drum", "--a", "3"], "--a and --b go together"),
    (["verify", "exact", "--sim", "modelsim"], "SIM must be 'icarus' or 'verilator'"),
]
_FLOATS = [
    (["energy", "ternary_ocu"], "--density", "from 0 to 1", ("nan", "inf", "-0.1", "1.5")),
    (["energy", "cim_macro"], "--input-zero", "from 0 to 1", ("nan", "=-inf", "2")),
    (["energy", "exact"], "--slew", "above 0 ns and at most 1000 ns", ("nan", "inf", "0", "-1")),
    (["power", "--netlist", "n.v", "--top", "t", "--vcd", "w.vcd", "--scope", "s"], "--period",
     "above 0 ns", ("inf", "nan", "0", "-5", "five")),
    (["power", "--netlist", "n.v", "--top", "t", "--vcd", "w.vcd", "--scope", "s"], "--start",
     "from 0 ns", ("nan", "-1", "inf")),
    (["power", "--netlist", "n.v", "--top", "t", "--vcd", "w.vcd", "--scope", "s"], "--end",
     "above 0 ns", ("inf", "nan", "0")),
    (["power", "--netlist", "n.v", "--top", "t", "--vcd", "w.vcd", "--scope", "s"], "--slew",
     "above 0 ns", ("nan",)),
]
for _pre, _opt, _range, _values in _FLOATS:
    for _v in _values:
        _arg = [_opt + _v] if _v.startswith("=") else [_opt, _v]
        CASES.append(([*_pre, *_arg], f"argument {_opt}: must be a finite number {_range}"))
CASES.append((["power", "--netlist", "n.v", "--top", "t", "--vcd", "w.vcd", "--scope", "s",
               "--start", "10", "--end", "5"],
              "--end (5 ns) must be later than --start (10 ns)"))

# -- output directories (-o) and the cache directory
_OUT = [["verilog", "exact"], ["synth", "exact"], ["asm", "dot", "--fabric", "small"],
        ["report"]]
for _pre in _OUT:
    CASES += [
        ([*_pre, "-o", "@/afile"], "-o directory @/afile is an existing file, not a directory"),
        ([*_pre, "-o", "@/afile/sub"], "-o directory @/afile/sub lies below a file"),
        ([*_pre, "-o", "/proc/edgeforge-x"], "-o directory /proc/edgeforge-x cannot be created"),
        ([*_pre, "-o", "x" * 300], "the limit is 255"),
        ([*_pre, "-o", ""], "-o directory: the path is empty"),
        ([*_pre, "-o", "/proc"], "-o directory /proc is not writable"),
        ([*_pre, "-o", "a/../../../../../../../../proc/x"], "/proc/x cannot be created"),
        ([*_pre, "-o", "x\ny"], "-o directory 'x\\ny': the path holds a line break or NUL"),
    ]

# -- files: every file-taking option with every broken-file kind and damaged content
CASES += _file_cases(lambda f: ["synth", "exact", "--liberty", f], "liberty file", LIBERTY_BAD)
CASES += _file_cases(lambda f: ["energy", "exact", "--liberty", f], "liberty file",
                     LIBERTY_BAD[:2])
CASES += _file_cases(lambda f: ["report", "--liberty", f], "liberty file", LIBERTY_BAD[:1])
CASES += _file_cases(lambda f: ["report", "--compare-liberty", f], "--compare-liberty file",
                     LIBERTY_BAD[3:4])
CASES += _file_cases(lambda f: ["sweep", f], "sweep spec", SPEC_BAD, ".toml")
CASES += [
    (["sweep"], "the following arguments are required: SPEC.toml"),
    (["sweep", "@/text.toml", "--executor", "ray"], "invalid choice: 'ray'"),
    (["sweep", "@/text.toml", "--scheduler", "tcp://h:1"], "--scheduler needs --executor dask"),
    (["sweep", "@/text.toml", "--executor", "dask", "--scheduler", "h:1"],
     "Scheduler must be an address tcp://HOST:PORT (or tls://), not 'h:1'"),
    (["sweep", "@/afile", "-o", "@/afile"], "-o directory @/afile"),
]
CASES += _file_cases(lambda f: ["errors", "--lut", f, "--width", "8"], "--lut file", NPY_BAD)
CASES += _file_cases(lambda f: ["energy", "exact", "-p", "width=8", "--workload", f],
                     "workload file", NPZ_BAD, ".npz")
CASES += _file_cases(lambda f: ["asm", f, "--fabric", "small"], "program", PASM_BAD, ".pasm")
CASES += _file_cases(lambda f: ["asm", "dot", "--fabric", f], "fabric file", TOML_BAD, ".toml")
CASES += _file_cases(lambda f: ["verilog", "cgra", "-p", f"fabric={f}"], "fabric file",
                     TOML_BAD[2:3], ".toml")
CASES += _file_cases(lambda f: ["power", "--netlist", f, "--top", "t", "--vcd", "@/ok.vcd",
                                "--scope", "tb/dut"], "--netlist file", NETLIST_BAD)
CASES += _file_cases(lambda f: ["power", "--netlist", "@/text.v", "--top", "t", "--vcd", f,
                                "--scope", "s"], "--vcd file", VCD_BAD)
CASES += _file_cases(lambda f: ["power", "--netlist", "@/text.v", "--top", "t", "--vcd",
                                "@/text.vcd", "--scope", "s", "--liberty", f], "liberty file",
                     LIBERTY_BAD[4:5])


@pytest.mark.parametrize("argv,message", CASES, ids=[_id(a) for a, _ in CASES])
def test_hostile_input_is_one_line_exit_2_and_writes_nothing(capsys, tmp_path, monkeypatch,
                                                             hostile, argv, message):
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("@/", f"{hostile}/") for a in argv]
    message = message.replace("@/", f"{hostile}/")
    before = _tree(hostile)
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (code, err)
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert message in err, err
    assert list(tmp_path.iterdir()) == [], "a rejected command must write nothing"
    assert _tree(hostile) == before


def test_the_table_covers_every_subcommand_with_over_150_cases():
    from gen.cli import COMMANDS

    assert len(CASES) >= 150
    used = {argv[0] for argv, _ in CASES if argv}
    assert set(COMMANDS) <= used, set(COMMANDS) - used


@pytest.mark.skipif(not (GCD / "gcd_sky130hd.v").is_file(),
                    reason="../shared/reference/gcd is not beside the project")
def test_power_on_the_wrong_scope_is_an_error_unless_accepted(capsys, tmp_path, monkeypatch):
    """The testbench scope annotates a fraction of the nets: an error, or a stated coverage."""
    import json

    lib = ROOT.parent / "shared" / "pdk" / "sky130_fd_sc_hd" / "sky130hd_tt.lib.gz"
    monkeypatch.chdir(tmp_path)
    argv = ["power", "--netlist", str(GCD / "gcd_sky130hd.v"), "--top", "gcd",
            "--vcd", str(GCD / "gcd_sky130hd.vcd.gz"), "--scope", "gcd_tb", "--liberty",
            str(lib)]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "234 of 288 nets of gcd have no activity in scope gcd_tb" in err, err
    assert "gcd_tb/gcd1" in err and "--allow-partial" in err, err
    assert list(tmp_path.iterdir()) == [], "a refused estimate leaves no cache entry"
    code = main([*argv, "--allow-partial", "--json"])
    out, err = capsys.readouterr()
    d = json.loads(out)
    assert code == 0
    assert 0 < d["coverage"]["fraction"] < 0.5
    assert d["warnings"], "a partial run must carry its warning in the JSON"


def _cli(*argv: str, stdout) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gen.cli", *argv], cwd=ROOT, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=120)


def test_a_closed_pipe_ends_quietly_like_a_unix_tool():
    """Standard output is a pipe whose reader has gone (as after `| head -c 1`)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # no reader: the first write fails with EPIPE, whatever the size
    try:
        proc = _cli("list", "--json", stdout=write_end)
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == EXIT_PIPE


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_a_full_disk_on_standard_output_is_one_line():
    with open("/dev/full", "w") as full:
        proc = _cli("list", stdout=full)
    assert proc.returncode == 2
    assert proc.stderr == ("edgeforge: error: cannot write to standard output: No space left "
                           "on device\n")
