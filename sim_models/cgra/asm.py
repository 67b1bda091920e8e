"""PASM assembler of the R-Blocks-style CGRA (docs/cgra.md, section "Assembly").

A program is a table: one row per cycle, one cell per column, each column an instruction
decoder (ID) named by ``.columns``. The assembler checks every cell against the fabric, gives
each FU input its source slots (in order of first use, at most 4 distinct sources), connects
them (crossbar: directly; mesh: :func:`sim_models.cgra.route.route`) and encodes the
instructions with :func:`sim_models.cgra.isa.encode` and the configuration with
:func:`sim_models.cgra.config.encode`, the single sources of truth of both formats.

Syntax summary (beyond docs/cgra.md): ``.columns`` may appear again to change the columns of
the following rows; a line holding only ``label:`` names the address of the next row; a
branch target is a label or an address; every error is an :class:`AsmError` whose text is
``file:line:col: message`` (1-based line and column).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import _files as files
from . import config as cfg
from . import isa
from .fabric import Fabric

__all__ = ["AsmError", "Program", "assemble", "assemble_file", "SLOTS", "MAX_PROGRAM_BYTES"]

#: Source slots per FU input (docs/cgra.md, "Machine model").
SLOTS = 4

#: Largest program file :func:`assemble_file` reads (1024 rows of a wide fabric fit many times).
MAX_PROGRAM_BYTES = 4 << 20

#: Significant digits beyond which a number literal is not converted: no immediate, register or
#: branch target needs more (a 32-bit value has at most 32 binary digits).
_MAX_DIGITS = 64

_ALU_UNARY = frozenset({"not", "shl1", "shl4", "shr1", "shr4", "shru1", "shru4", "pass"})
_PORTS = {"out0": 0, "out1": 1}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LABEL = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*:")
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<arrow>->)
  | (?P<num>-?(?:0[xX][0-9A-Fa-f]+|0[bB][01]+|[0-9]+))(?![A-Za-z0-9_])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]*)?)
  | (?P<punct>[,\[\]])
""", re.VERBOSE)


class AsmError(ValueError):
    """An error in a PASM program, located at ``file:line:col``.

    Parameters
    ----------
    message : str
        What is wrong.
    file : str
        Name of the program file (``"<string>"`` for text).
    line, col : int
        1-based position of the offending text.
    """

    def __init__(self, message: str, file: str, line: int, col: int) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        super().__init__(f"{file}:{line}:{col}: {message}")


@dataclass
class Program:
    """An assembled program.

    Attributes
    ----------
    fabric : Fabric
        The fabric it was assembled for.
    config : int
        The configuration bitstream (:func:`sim_models.cgra.config.encode`).
    config_values : dict of str to int
        Every configuration field of :func:`sim_models.cgra.config.layout` and its value.
    imems : dict of str to list of int
        Instruction words per ID name, ``rows`` words each (IDs outside every ``.columns``
        issue ``nop`` = 0).
    labels : dict of str to int
        Label addresses.
    rows : int
        Number of rows (instructions per ID).
    slots : dict
        ``(fu, input)`` -> list of ``(source fu, port)`` in slot order, for every FU input with
        a source.
    filename : str
        Name used in messages.
    """

    fabric: Fabric
    config: int
    config_values: dict[str, int]
    imems: dict[str, list[int]]
    labels: dict[str, int]
    rows: int
    slots: dict[tuple[str, int], list[tuple[str, int]]]
    filename: str = "<string>"

    def write(self, directory: str | Path) -> list[Path]:
        """Write the program's images into ``directory`` (created if missing).

        Files: ``config.hex`` (the bitstream as one hexadecimal number, most significant digit
        first, ``ceil(length / 4)`` digits), ``config.txt`` (one field per line: name, offset,
        width, value), ``imem_<id>.hex`` (one instruction word per line, ``rows`` lines,
        ``ceil(width / 4)`` hex digits, for ``$readmemh``) and ``program.json`` (fabric,
        configuration, labels, slots and instruction words).

        Parameters
        ----------
        directory : str or Path
            Output directory.

        Returns
        -------
        list of Path
            The files written.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        fab = self.fabric
        length = cfg.length(fab)
        written = []
        p = out / "config.hex"
        files.atomic_write(p, f"{self.config:0{max(1, -(-length // 4))}x}\n")
        written.append(p)
        p = out / "config.txt"
        files.atomic_write(p, "".join(f"{f.name} {f.offset} {f.width} "
                                      f"{self.config_values[f.name]}\n"
                                      for f in cfg.layout(fab)))
        written.append(p)
        for ident in fab.ids:
            digits = max(1, -(-isa.width(ident.type, fab) // 4))
            p = out / f"imem_{ident.name}.hex"
            files.atomic_write(p, "".join(f"{w:0{digits}x}\n" for w in self.imems[ident.name]))
            written.append(p)
        p = out / "program.json"
        files.atomic_write(p, json.dumps({
            "source": self.filename,
            "fabric": fab.to_dict(),
            "rows": self.rows,
            "labels": self.labels,
            "config_length": length,
            "config": f"{self.config:x}",
            "config_values": self.config_values,
            "slots": {f"{fu}.in{i}": [f"{s}.out{q}" for s, q in srcs]
                      for (fu, i), srcs in self.slots.items()},
            "imems": self.imems,
        }, indent=1) + "\n")
        written.append(p)
        return written


# --------------------------------------------------------------------------------------------
# Parsing


@dataclass
class _Atom:
    kind: str  # "num" | "name" | "src"
    col: int
    text: str
    value: int = 0
    unit: str = ""
    port: int = 0


@dataclass
class _Operand:
    col: int
    atoms: list[_Atom]
    is_list: bool = False


@dataclass
class _Cell:
    ident: str  # ID name
    mnemonic: str
    col: int
    operands: list[_Operand] = field(default_factory=list)
    dst: int | None = None
    dst_col: int = 0


@dataclass
class _Row:
    line: int
    col: int
    cells: list[_Cell]


class _Parser:
    def __init__(self, text: str, fabric: Fabric, filename: str) -> None:
        self.text = text
        self.fab = fabric
        self.file = filename
        self.line = 0
        self.rows: list[_Row] = []
        self.labels: dict[str, tuple[int, int, int]] = {}  # name -> (addr, line, col)
        self.columns: list[str] | None = None

    def err(self, message: str, col: int, line: int | None = None) -> AsmError:
        return AsmError(message, self.file, self.line if line is None else line, col)

    # -- lines -------------------------------------------------------------------------------

    def parse(self) -> None:
        for number, raw in enumerate(self.text.splitlines(), 1):
            self.line = number
            code = _strip_comment(raw)
            if not code.strip():
                continue
            stripped = code.lstrip()
            col = len(code) - len(stripped) + 1
            if stripped.startswith("."):
                self.directive(stripped.rstrip(), col)
                continue
            pos = 0
            m = _LABEL.match(code)
            while m:  # `a: b: row` gives one row two names
                name = m.group(1)
                lcol = m.start(1) + 1
                if name in self.labels:
                    first = self.labels[name][1]
                    raise self.err(f"duplicate label '{_shown(name)}' (first defined on line "
                                   f"{first})", lcol)
                self.labels[name] = (len(self.rows), number, lcol)
                pos = m.end()
                m = _LABEL.match(code, pos)
            rest = code[pos:]
            if not rest.strip():
                continue  # a label alone names the next row
            self.row(code, pos)

    def directive(self, text: str, col: int) -> None:
        words = [(m.group(0), col + m.start()) for m in re.finditer(r"\S+", text)]
        name, args = words[0][0], words[1:]
        if name == ".fabric":
            if len(args) != 1:
                raise self.err(".fabric takes one fabric name", col)
            given, acol = args[0]
            if given != self.fab.name:
                raise self.err(f"program is for fabric '{_shown(given)}', not "
                               f"'{self.fab.name}'", acol)
        elif name == ".columns":
            if not args:
                raise self.err(".columns needs at least one ID", col)
            ids = {i.name for i in self.fab.ids}
            seen: list[str] = []
            for ident, acol in args:
                if ident not in ids:
                    raise self.err(f"unknown ID '{_shown(ident)}' in .columns (fabric "
                                   f"{self.fab.name} has "
                                   f"{', '.join(i.name for i in self.fab.ids)})", acol)
                if ident in seen:
                    raise self.err(f"ID '{ident}' is listed twice in .columns", acol)
                seen.append(ident)
            self.columns = seen
        else:
            raise self.err(f"unknown directive '{_shown(name)}' (valid: .fabric, .columns)", col)

    def row(self, code: str, pos: int) -> None:
        start = pos + len(code[pos:]) - len(code[pos:].lstrip()) + 1
        if self.columns is None:
            raise self.err("a row before .columns (name the columns' IDs first)", start)
        if len(self.rows) >= self.fab.imem_depth:
            raise self.err(f"program longer than imem_depth: row {len(self.rows) + 1} does not "
                           f"fit the {self.fab.imem_depth} instructions of fabric "
                           f"{self.fab.name}", start)
        pieces = []
        begin = pos
        for i in range(pos, len(code) + 1):
            if i == len(code) or code[i] == "|":
                pieces.append((code[begin:i], begin))
                begin = i + 1
        if len(pieces) != len(self.columns):
            bad = (pieces[len(self.columns)][1] + 1 if len(pieces) > len(self.columns)
                   else start)
            raise self.err(f"row has {len(pieces)} cells, .columns names {len(self.columns)}",
                           bad)
        cells = [self.cell(ident, text, off)
                 for ident, (text, off) in zip(self.columns, pieces, strict=True)]
        self.rows.append(_Row(self.line, start, cells))

    # -- cells -------------------------------------------------------------------------------

    def tokens(self, text: str, off: int) -> list[tuple[str, str, int]]:
        out = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:
                raise self.err(f"unexpected character '{text[pos]}'", off + pos + 1)
            kind = m.lastgroup
            if kind != "ws":
                out.append((kind, m.group(0), off + pos + 1))
            pos = m.end()
        return out

    def cell(self, ident: str, text: str, off: int) -> _Cell:
        toks = self.tokens(text, off)
        if not toks:
            return _Cell(ident, "nop", off + 1)
        kind, mnem, mcol = toks[0]
        if kind != "name" or "." in mnem:
            raise self.err(f"expected a mnemonic, found '{_shown(mnem)}'", mcol)
        c = _Cell(ident, mnem, mcol)
        i = 1
        end = len(toks)
        for j, (k, _, _) in enumerate(toks):
            if k == "arrow":
                end = j
                rest = toks[j + 1:]
                if len(rest) != 1 or rest[0][1] not in _PORTS:
                    col = rest[0][2] if rest else toks[j][2]
                    raise self.err("destination must be '-> out0' or '-> out1'", col)
                c.dst, c.dst_col = _PORTS[rest[0][1]], rest[0][2]
                break
        ops = toks[i:end]
        k = 0
        while k < len(ops):
            operand, k = self.operand(ops, k)
            c.operands.append(operand)
            if k < len(ops):
                if ops[k][1] != ",":
                    raise self.err(f"expected ',' between operands, found '{ops[k][1]}'",
                                   ops[k][2])
                k += 1
                if k == len(ops):
                    raise self.err("missing operand after ','", ops[k - 1][2])
        return c

    def operand(self, ops, k) -> tuple[_Operand, int]:
        kind, text, col = ops[k]
        if text == "[":
            atoms = []
            k += 1
            while True:
                if k >= len(ops):
                    raise self.err("unclosed '['", col)
                if ops[k][1] == "]" and not atoms:
                    raise self.err("empty operand list", ops[k][2])
                atoms.append(self.atom(ops[k]))
                k += 1
                if k < len(ops) and ops[k][1] == ",":
                    k += 1
                    continue
                if k < len(ops) and ops[k][1] == "]":
                    return _Operand(col, atoms, True), k + 1
                raise self.err("expected ',' or ']' in operand list",
                               ops[k][2] if k < len(ops) else col)
        return _Operand(col, [self.atom(ops[k])]), k + 1

    def atom(self, tok) -> _Atom:
        kind, text, col = tok
        if kind == "num":
            try:
                return _Atom("num", col, text, value=_number(text))
            except ValueError as e:
                raise self.err(str(e), col) from None
        if kind == "name":
            if "." not in text:
                return _Atom("name", col, text)
            unit, port = text.split(".", 1)
            try:
                self.fab.fu(unit)
            except (KeyError, ValueError):
                raise self.err(f"unknown unit '{_shown(unit)}'", col) from None
            if port not in _PORTS:
                raise self.err(f"unknown port '{port}' of {unit} (valid: out0, out1)",
                               col + len(unit) + 1)
            return _Atom("src", col, text, unit=unit, port=_PORTS[port])
        raise self.err(f"unexpected '{_shown(text)}'", col)


def _number(text: str) -> int:
    """Value of a number token; one too long for any field is a huge stand-in of its sign (an
    out-of-range error follows), never Python's int-digits error. ValueError for a decimal
    number with a leading zero (ambiguous: C reads it as octal)."""
    neg = text.startswith("-")
    body = text[1:] if neg else text
    base = {"0x": 16, "0b": 2}.get(body[:2].lower(), 10)
    if base == 10 and len(body) > 1 and body[0] == "0":
        raise ValueError(f"number '{_shown(text)}' has a leading zero (decimal numbers have "
                         "none; 0x and 0b prefix hexadecimal and binary)")
    digits = (body[2:] if base != 10 else body).lstrip("0") or "0"
    value = 1 << 256 if len(digits) > _MAX_DIGITS else int(digits, base)
    return -value if neg else value


def _shown(text: str) -> str:
    """A token as messages quote it: long ones shortened, with their length."""
    return text if len(text) <= 24 else f"{text[:12]}...{text[-4:]} ({len(text)} characters)"


def _strip_comment(line: str) -> str:
    cut = len(line)
    for mark in ("#", "//"):
        i = line.find(mark)
        if i >= 0:
            cut = min(cut, i)
    return line[:cut]


# --------------------------------------------------------------------------------------------
# Semantics and encoding


def _arity(fu_type: str, mnem: str) -> tuple[str, ...]:
    """Operand kinds of one mnemonic: "src", "imm", "label", "reg"."""
    if mnem == "nop":
        return ()
    if fu_type == "alu":
        return ("src",) if mnem in _ALU_UNARY else ("src", "src")
    if fu_type == "mul":
        return ("src", "src")
    if fu_type == "lsu":
        return ("src", "src") if mnem.startswith("st") else ("src",)
    if fu_type == "iu":
        return ("imm",)
    if fu_type == "rf":
        return {"rd": ("reg",), "wr": ("reg", "src"), "rw": ("reg", "reg", "src")}[mnem]
    return {"jump": ("label",), "call": ("label",), "ret": (), "bz": ("src", "label"),
            "bnz": ("src", "label"), "setl": ("src",), "loop": ("label",),
            "halt": ()}[mnem]


def _writes_output(fu_type: str, mnem: str) -> bool:
    if mnem == "nop" or fu_type == "abu":
        return False
    if fu_type == "lsu":
        return not mnem.startswith("st")
    if fu_type == "rf":
        return mnem != "wr"
    return True


def _mnemonics(fu_type: str) -> list[str]:
    if fu_type == "rf":  # no opcode: rd and wr enable the read and the write
        return ["nop", "rd", "wr", "rw"]
    return list(isa.OPCODES[fu_type])


class _Assembler:
    def __init__(self, parser: _Parser) -> None:
        self.p = parser
        self.fab = parser.fab
        # (ID, input) -> distinct source tuples (one (unit, port) per lane), in order of use
        self.slot_tuples: dict[tuple[str, int], list[tuple[tuple[str, int], ...]]] = {}
        self.first_use: dict[tuple[str, int], tuple[int, int]] = {}  # source -> (line, col)

    def err(self, message: str, line: int, col: int) -> AsmError:
        return AsmError(message, self.p.file, line, col)

    def run(self) -> dict[str, list[int]]:
        fab = self.fab
        imems = {i.name: [0] * len(self.p.rows) for i in fab.ids}
        transfers: list[str | None] = []
        for r, row in enumerate(self.p.rows):
            transfer = None
            for cell in row.cells:
                ident = fab.id(cell.ident)
                fields = self.cell_fields(ident, cell, row.line)
                try:
                    imems[ident.name][r] = isa.encode(ident.type, fab, **fields)
                except ValueError as e:
                    raise self.err(str(e), row.line, cell.col) from None
                if ident.type == "abu" and cell.mnemonic in isa.TRANSFERS:
                    transfer = cell.mnemonic
                    for back in (1, 2):
                        prev = r - back
                        if prev >= 0 and transfers[prev] is not None:
                            raise self.err(
                                f"'{cell.mnemonic}' in a branch delay slot of the "
                                f"'{transfers[prev]}' on line {self.p.rows[prev].line}",
                                row.line, cell.col)
            transfers.append(transfer)
        return imems

    def cell_fields(self, ident, cell: _Cell, line: int) -> dict[str, int]:
        fab = self.fab
        t = ident.type
        mnem = cell.mnemonic
        valid = _mnemonics(t)
        if mnem not in valid:
            raise self.err(f"unknown mnemonic '{_shown(mnem)}' for {t} ID {ident.name} "
                           f"(valid: {', '.join(valid)})", line, cell.col)
        kinds = _arity(t, mnem)
        if len(cell.operands) != len(kinds):
            col = cell.operands[len(kinds)].col if len(cell.operands) > len(kinds) else cell.col
            raise self.err(f"'{mnem}' takes {len(kinds)} operand{'s' * (len(kinds) != 1)}, "
                           f"not {len(cell.operands)}", line, col)
        if cell.dst is not None and not _writes_output(t, mnem):
            raise self.err(f"'{mnem}' writes no output; remove '->'", line, cell.dst_col)
        if t == "lsu" and mnem != "nop":
            bits = int(re.sub(r"\D", "", mnem))
            if bits > fab.width:
                raise self.err(f"'{mnem}' needs a data width of at least {bits} bits; fabric "
                               f"{fab.name} has {fab.width}", line, cell.col)
        f: dict[str, int] = {}
        if t == "rf":
            f.update(rd=int(mnem in ("rd", "rw")), wr=int(mnem in ("wr", "rw")))
        else:
            f["op"] = isa.OPCODES[t][mnem]
        if cell.dst is not None:
            f["dst"] = cell.dst
        sel = 0
        regs = []
        for operand, kind in zip(cell.operands, kinds, strict=True):
            if kind == "src":
                f[f"sel{sel}"] = self.source(ident, sel, operand, line)
                sel += 1
                continue
            atom = self.scalar(operand, line)
            if kind == "reg":
                if atom.kind != "name" or not re.fullmatch(r"r([0-9]|1[0-5])", atom.text):
                    raise self.err(f"expected a register r0..r15, found '{_shown(atom.text)}'",
                                   line, atom.col)
                regs.append(int(atom.text[1:]))
            elif kind == "imm":
                value = self.value(atom, line)
                lo, hi = -(1 << (fab.width - 1)), (1 << fab.width) - 1
                if not lo <= value <= hi:
                    raise self.err(f"immediate {_shown(atom.text)} out of range for W = "
                                   f"{fab.width} ({lo}..{hi})", line, atom.col)
                f["imm"] = value & ((1 << fab.width) - 1)
            else:  # label
                value = self.value(atom, line)
                if not 0 <= value < fab.imem_depth:
                    raise self.err(f"branch target {_shown(atom.text)} outside "
                                   f"0..{fab.imem_depth - 1}", line, atom.col)
                f["target"] = value
        if t == "rf":
            if mnem == "rd":
                f["raddr"] = regs[0]
            elif mnem == "wr":
                f["waddr"] = regs[0]
            elif mnem == "rw":
                f["raddr"], f["waddr"] = regs
        return f

    def scalar(self, operand: _Operand, line: int) -> _Atom:
        if operand.is_list:
            raise self.err("an operand list is only for FU sources", line, operand.col)
        atom = operand.atoms[0]
        if atom.kind == "src":
            raise self.err(f"expected a value, found the source '{_shown(atom.text)}'", line,
                           atom.col)
        return atom

    def value(self, atom: _Atom, line: int) -> int:
        if atom.kind == "num":
            return atom.value
        if atom.text not in self.p.labels:
            raise self.err(f"undefined label '{_shown(atom.text)}'", line, atom.col)
        return self.p.labels[atom.text][0]

    def source(self, ident, i: int, operand: _Operand, line: int) -> int:
        lanes = len(ident.fus)
        for atom in operand.atoms:
            if atom.kind != "src":
                raise self.err(f"expected a source unit.port (out0 or out1), found "
                               f"'{_shown(atom.text)}'", line, atom.col)
        if operand.is_list and len(operand.atoms) != lanes:
            raise self.err(f"operand list has {len(operand.atoms)} entries; ID {ident.name} has "
                           f"{lanes} lane{'s' * (lanes != 1)}", line, operand.col)
        atoms = operand.atoms if operand.is_list else operand.atoms * lanes
        key = tuple((a.unit, a.port) for a in atoms)
        for a in atoms:
            self.first_use.setdefault((a.unit, a.port), (line, a.col))
        used = self.slot_tuples.setdefault((ident.name, i), [])
        if key not in used:
            if len(used) == SLOTS:
                names = ", ".join(f"{fu}.in{i}" for fu in ident.fus)
                shown = "; ".join(" ".join(f"{u}.out{q}" for u, q in k) for k in used + [key])
                raise self.err(f"more than {SLOTS} distinct sources on input {names} "
                               f"({shown})", line, operand.col)
            used.append(key)
        return used.index(key)


def assemble(text: str, fabric: Fabric, filename: str = "<string>") -> Program:
    """Assemble a PASM program for a fabric.

    Parameters
    ----------
    text : str
        The program (docs/cgra.md, section "Assembly").
    fabric : Fabric
        The target fabric.
    filename : str, optional
        Name used in error messages and recorded in the program.

    Returns
    -------
    Program
        Configuration and instruction images.

    Raises
    ------
    TypeError
        If ``text`` is not a string or ``fabric`` not a :class:`Fabric`.
    AsmError
        For any error in the program, located at ``file:line:col``.
    """
    if not isinstance(text, str):
        raise TypeError(f"Program text must be a str, not {type(text).__name__}")
    if not isinstance(fabric, Fabric):
        raise TypeError(f"Fabric must be a sim_models.cgra.fabric.Fabric, not "
                        f"{type(fabric).__name__}")
    parser = _Parser(text, fabric, filename)
    parser.parse()
    if not parser.rows:
        raise AsmError("the program has no rows", filename, max(1, parser.line), 1)
    asm = _Assembler(parser)
    imems = asm.run()
    slots: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for (ident, i), tuples in asm.slot_tuples.items():
        for lane, fu in enumerate(fabric.id(ident).fus):
            slots[(fu, i)] = [t[lane] for t in tuples]
    values = {f.name: 0 for f in cfg.layout(fabric)}
    for fu in fabric.fus:
        name = f"ctrl.{fu.name}"
        if name in values:
            ident = fabric.id_of(fu.name)
            values[name] = [i.name for i in fabric.ids_of_type(fu.type)].index(ident.name)
    if fabric.network["kind"] == "crossbar":
        for (fu, i), srcs in slots.items():
            for k, (src, port) in enumerate(srcs):
                values[f"in.{fu}.{i}.{k}"] = 1 + 2 * fabric.fu_index(src) + port
    else:
        from .route import RouteError, route

        nets: dict[tuple[str, int], list[tuple[str, int, int]]] = {}
        for (fu, i), srcs in slots.items():
            for k, src in enumerate(srcs):
                nets.setdefault(src, []).append((fu, i, k))
        try:
            routed = route(fabric, nets)
        except RouteError as e:
            line, col = asm.first_use[e.net]
            raise AsmError(str(e), filename, line, col) from None
        for name, value in routed.items():
            if name not in values:
                raise KeyError(f"router produced unknown configuration field {name!r}")
            values[name] = value
    bits = cfg.encode(fabric, values)
    labels = {name: addr for name, (addr, _, _) in parser.labels.items()}
    return Program(fabric, bits, values, imems, labels, len(parser.rows), slots, filename)


def assemble_file(path: str | Path, fabric: Fabric) -> Program:
    """Assemble the PASM file at ``path`` (see :func:`assemble`).

    Raises
    ------
    ValueError
        If the file is missing, not a regular file, larger than :data:`MAX_PROGRAM_BYTES` or
        not UTF-8 text (:class:`sim_models._files.InputFileError`, one line naming the file).
    AsmError
        For any error in the program.
    """
    p = Path(path)
    text = files.read_text(p, "program", max_bytes=MAX_PROGRAM_BYTES)
    return assemble(text, fabric, str(p))
