"""Instruction encoding of the CGRA (docs/cgra.md, "Instruction encoding").

Every FU type has its own instruction word, fields packed from bit 0 upwards
(``P = log2(imem_depth)``, ``W`` the data width):

======  ================================================================  =======
type    fields (LSB first)                                                width
======  ================================================================  =======
alu     sel0:2, sel1:2, dst:1, op:5                                       10
mul     sel0:2, sel1:2, dst:1, op:1                                       6
lsu     sel0:2, sel1:2, dst:1, op:4                                       9
rf      sel0:2, sel1:2, dst:1, rd:1, wr:1, raddr:4, waddr:4               15
iu      op:1, dst:1, imm:W                                                W+2
abu     sel0:2, sel1:2, op:4, target:P                                    8+P
======  ================================================================  =======

The RF has no opcode: ``rd`` and ``wr`` enable its read and its write (``OPCODES["rf"]`` is
empty). The all-zero word is ``nop`` for every type; an opcode missing from :data:`OPCODES` is
illegal (:func:`decode` raises ``ValueError``; the hardware treats it as ``nop``).
"""

from __future__ import annotations

import numbers

import numpy as np

from .fabric import FU_TYPES, Fabric

__all__ = [
    "OPCODES", "TRANSFERS", "decode", "encode", "fields", "max_width", "mnemonic", "width",
]

OPCODES: dict[str, dict[str, int]] = {
    "alu": {
        "nop": 0, "add": 1, "sub": 2, "and": 3, "ior": 4, "xor": 5, "not": 6, "eq": 7, "ne": 8,
        "lt": 9, "ltu": 10, "gt": 11, "gtu": 12, "ge": 13, "geu": 14, "shl1": 15, "shl4": 16,
        "shr1": 17, "shr4": 18, "shru1": 19, "shru4": 20, "pass": 21,
    },
    "mul": {"nop": 0, "mul": 1},
    "lsu": {
        "nop": 0, "ld8": 1, "ld16": 2, "ld32": 3, "ldu8": 4, "ldu16": 5, "st8": 6, "st16": 7,
        "st32": 8,
    },
    "rf": {},
    "iu": {"nop": 0, "imm": 1},
    "abu": {
        "nop": 0, "jump": 1, "call": 2, "ret": 3, "bz": 4, "bnz": 5, "setl": 6, "loop": 7,
        "halt": 8,
    },
}

#: ABU operations that transfer control (illegal in the delay slots of another transfer).
TRANSFERS = ("jump", "call", "ret", "bz", "bnz", "loop")

_SEL = [("sel0", 2), ("sel1", 2)]
_FIXED = {
    "alu": [*_SEL, ("dst", 1), ("op", 5)],
    "mul": [*_SEL, ("dst", 1), ("op", 1)],
    "lsu": [*_SEL, ("dst", 1), ("op", 4)],
    "rf": [*_SEL, ("dst", 1), ("rd", 1), ("wr", 1), ("raddr", 4), ("waddr", 4)],
}
_MNEMONIC = {t: {v: k for k, v in ops.items()} for t, ops in OPCODES.items()}


def _check_type(fu_type: object) -> str:
    if fu_type not in FU_TYPES:
        raise ValueError(f"FU type must be one of {', '.join(FU_TYPES)}, not {fu_type!r}")
    return fu_type


def _check_fabric(fabric: object) -> Fabric:
    if not isinstance(fabric, Fabric):
        raise TypeError(f"Fabric must be a sim_models.cgra.fabric.Fabric, not {fabric!r}")
    return fabric


def fields(fu_type: str, fabric: Fabric) -> list[tuple[str, int]]:
    """The instruction fields of an FU type, LSB first.

    Parameters
    ----------
    fu_type : str
        One of ``alu, mul, lsu, rf, iu, abu``.
    fabric : Fabric
        Gives ``W`` (``iu``) and ``P`` (``abu``).

    Returns
    -------
    list of (str, int)
        ``(name, width)`` pairs from bit 0 upwards.

    Raises
    ------
    TypeError, ValueError
        For an invalid fabric or FU type.
    """
    _check_type(fu_type)
    _check_fabric(fabric)
    if fu_type == "iu":
        return [("op", 1), ("dst", 1), ("imm", fabric.width)]
    if fu_type == "abu":
        return [*_SEL, ("op", 4), ("target", fabric.pc_bits)]
    return list(_FIXED[fu_type])


def width(fu_type: str, fabric: Fabric) -> int:
    """Instruction width in bits of an FU type on ``fabric``."""
    return sum(w for _, w in fields(fu_type, fabric))


def max_width(fabric: Fabric) -> int:
    """Width of the widest instruction among the FU types present in ``fabric``."""
    _check_fabric(fabric)
    return max(width(t, fabric) for t in {f.type for f in fabric.fus})


def _check_op(fu_type: str, op: int) -> None:
    if fu_type != "rf" and op not in _MNEMONIC[fu_type]:
        valid = ", ".join(f"{k} {v}" for k, v in OPCODES[fu_type].items())
        raise ValueError(f"Illegal {fu_type} opcode {op} (valid: {valid})")


def encode(fu_type: str, fabric: Fabric, **values) -> int:
    """Pack an instruction word.

    Parameters
    ----------
    fu_type : str
        The FU type.
    fabric : Fabric
        The fabric (gives ``W`` and ``P``).
    **values : int
        Field values by name (:func:`fields`); missing fields are 0. ``op`` may also be given
        as a mnemonic (``op="add"``); ``imm`` may be negative, down to ``-2**(W-1)`` (stored as
        its ``W``-bit pattern).

    Returns
    -------
    int
        The instruction word.

    Raises
    ------
    TypeError
        If a value is not an integer (or mnemonic).
    ValueError
        For an unknown field, a value outside ``0 .. 2**width - 1`` or an illegal opcode.
    """
    layout = fields(fu_type, fabric)
    names = [n for n, _ in layout]
    for key in values:
        if key not in names:
            raise ValueError(f"Unknown {fu_type} instruction field {key!r} (fields: "
                             f"{', '.join(names)})")
    word = 0
    offset = 0
    for name, w in layout:
        value = values.get(name, 0)
        if name == "op" and isinstance(value, str):
            if value not in OPCODES[fu_type]:
                raise ValueError(f"Unknown {fu_type} operation {value!r} (valid: "
                                 f"{', '.join(OPCODES[fu_type])})")
            value = OPCODES[fu_type][value]
        low = -(1 << (w - 1)) if name == "imm" else 0
        message = (f"Field {name!r} of an instruction of type {fu_type} must be an integer "
                   f"between {low} and {(1 << w) - 1}, not {value!r}")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise TypeError(message)
        value = int(value)
        if not low <= value < (1 << w):
            raise ValueError(message)
        if name == "op":
            _check_op(fu_type, value)
        word |= (value & ((1 << w) - 1)) << offset
        offset += w
    return word


def decode(fu_type: str, fabric: Fabric, word: int) -> dict[str, int]:
    """Unpack an instruction word.

    Parameters
    ----------
    fu_type : str
        The FU type.
    fabric : Fabric
        The fabric (gives ``W`` and ``P``).
    word : int
        The word, ``0 .. 2**width(fu_type, fabric) - 1``.

    Returns
    -------
    dict of str to int
        Every field by name (``imm`` as its unsigned ``W``-bit pattern).

    Raises
    ------
    TypeError
        If ``word`` is not an integer.
    ValueError
        If ``word`` is out of range or holds an illegal opcode.
    """
    layout = fields(fu_type, fabric)
    total = sum(w for _, w in layout)
    message = (f"A {fu_type} instruction word must be an integer between 0 and "
               f"{(1 << total) - 1}, not {word!r}")
    if isinstance(word, (bool, np.bool_)) or not isinstance(word, numbers.Integral):
        raise TypeError(message)
    word = int(word)
    if not 0 <= word < (1 << total):
        raise ValueError(message)
    out = {}
    for name, w in layout:
        out[name] = word & ((1 << w) - 1)
        word >>= w
    if "op" in out:
        _check_op(fu_type, out["op"])
    return out


def mnemonic(fu_type: str, op: int) -> str:
    """The mnemonic of opcode ``op`` of ``fu_type`` (ValueError for an illegal one)."""
    _check_type(fu_type)
    _check_op(fu_type, op)
    return _MNEMONIC[fu_type][op]
