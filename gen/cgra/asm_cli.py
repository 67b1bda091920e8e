"""``edgeforge asm``: the command line of the PASM assembler (:mod:`sim_models.cgra.asm`).

Assembles a ``.pasm`` file or a built-in kernel for a fabric into a configuration bitstream
and instruction images, or lists the fabric's configuration layout and instruction fields
(docs/cgra.md, "Assembly").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gen.eda.files import read_text
from gen.flow.cli_support import UsageError, check_dirs, make_dirs
from sim_models.cgra import config as cgra_config
from sim_models.cgra import isa as cgra_isa
from sim_models.cgra.asm import MAX_PROGRAM_BYTES, AsmError, assemble
from sim_models.cgra.fabric_file import load
from sim_models.cgra.programs import KERNELS, kernel

__all__ = ["add_parser", "cmd_asm"]


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``asm`` to the subcommands ``sub`` (argparse subparsers)."""
    p = sub.add_parser("asm", help="assemble a CGRA program (PASM) into a configuration "
                       "bitstream and instruction images (docs/cgra.md)")
    p.add_argument("program", nargs="?",
                   help="a .pasm file or a built-in kernel (dot, fir, gemm, vadd, conv3x3)")
    p.add_argument("--fabric", required=True, metavar="NAME|FILE.toml",
                   help="built-in fabric (default, small) or a fabric description in TOML")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="output directory (default build/cgra/<program>)")
    p.add_argument("--list-fields", action="store_true",
                   help="print the configuration layout (name offset width, and the value "
                        "when a program is given) and the instruction fields; write nothing")
    return p


def _program(args) -> tuple[str | None, str | None]:
    """``(text, name)`` of the program argument (both None: none given)."""
    if args.program is not None:
        if args.program in KERNELS and not Path(args.program).exists():
            k = kernel(args.program)
            return k.program_text, str(k.path)
        if Path(args.program).exists() or args.program.endswith(".pasm"):
            text = read_text(args.program, "program", max_bytes=MAX_PROGRAM_BYTES)
            return text, args.program
        raise UsageError(f"program {args.program} is neither a file nor a kernel "
                         f"({', '.join(KERNELS)})")
    if not args.list_fields:
        raise UsageError("give a program (a .pasm file or a kernel name) or --list-fields")
    return None, None


def _list_fields(fabric, prog) -> None:
    layout = cgra_config.layout(fabric)
    print(f"# configuration of fabric {fabric.name}: {cgra_config.length(fabric)} bits, "
          f"{len(layout)} fields (name offset width" + (" value)" if prog else ")"))
    for f in layout:
        value = f" {prog.config_values[f.name]}" if prog else ""
        print(f"{f.name} {f.offset} {f.width}{value}")
    print("# instruction fields per FU type, LSB first (name:width)")
    for fu_type in sorted({fu.type for fu in fabric.fus}):
        fields = cgra_isa.fields(fu_type, fabric)
        print(f"{fu_type} {cgra_isa.width(fu_type, fabric)}: "
              + ", ".join(f"{n}:{w}" for n, w in fields))


def cmd_asm(args) -> int:
    """Run ``edgeforge asm``; the exit status (2: the program does not assemble)."""
    if args.output is not None:
        check_dirs((args.output, "-o directory"))
    fabric = load(args.fabric)
    text, name = _program(args)
    if args.list_fields and args.output:
        raise UsageError("--list-fields writes nothing; drop -o")
    prog = None
    if text is not None:
        try:
            prog = assemble(text, fabric, name)
        except AsmError as e:
            print(e, file=sys.stderr)
            return 2
    if args.list_fields:
        _list_fields(fabric, prog)
        return 0
    out = Path(args.output) if args.output else Path("build/cgra") / Path(name).stem
    make_dirs((str(out), "-o directory"))
    files = prog.write(out)
    print(f"{name} for fabric {fabric.name}: {prog.rows} rows, configuration "
          f"{cgra_config.length(fabric)} bits")
    for f in files:
        print(f)
    return 0
