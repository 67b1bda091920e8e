"""Instruction-level, cycle-accurate golden model of the CGRA (docs/cgra.md, "Machine model").

One cycle executes one program row: every ID issues its instruction at the current address to
the FUs it drives (the configuration's ``ctrl`` fields say which); every FU reads its inputs
from the FU outputs of the **previous** cycle through the slot its ``sel`` field picks (the
configuration traced by :func:`.config.sources`; an unconnected slot reads 0) and writes at
most one output, visible from the next cycle on (latency 1). Outputs not written keep their
value. The ABU decides the next address:

* ``jump L``, ``call L`` (link <- address + 3), ``ret`` (to the link), ``bz``/``bnz L``
  (taken when ``a == 0`` / ``a != 0``), ``loop L`` (counter <- counter - 1, taken when the new
  counter is not 0) transfer control with **2 delay slots**: the rows at ``p+1`` and ``p+2``
  run, then the target. Every transfer, taken or not, opens its two delay slots; a transfer
  executed in them raises ``ValueError``;
* ``setl`` sets the loop counter to ``a``; ``out0`` = counter, ``out1`` = link;
* ``halt`` ends the run after its own row.

Addresses wrap modulo ``imem_depth``. MUL tiles multiply the operands read as signed ``W``-bit
numbers with :mod:`sim_models.approx` (exact, DRUM two's-complement, ROUP signed) and keep the
low ``W`` bits. LSUs have byte-addressed, little-endian scratchpads: the address is taken
modulo the size and aligned down to the access size.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._checks import check_int
from . import config as cfg
from . import isa
from .fabric import Fabric

__all__ = ["CGRAModel", "Trace", "alu"]

_ALU = {v: k for k, v in isa.OPCODES["alu"].items()}
_LSU = {v: k for k, v in isa.OPCODES["lsu"].items()}
_ABU = {v: k for k, v in isa.OPCODES["abu"].items()}
_LOADS = {"ld8": (1, True), "ld16": (2, True), "ld32": (4, True), "ldu8": (1, False),
          "ldu16": (2, False)}
_STORES = {"st8": 1, "st16": 2, "st32": 4}


@dataclass
class Trace:
    """The record of one run.

    Attributes
    ----------
    cycles : int
        Rows executed, the halt row included.
    pc : numpy.ndarray
        ``(cycles,)`` int64: the address of each executed row.
    outputs : numpy.ndarray
        ``(cycles, nFU, 2)`` uint64: every FU's ``out0``/``out1`` (``W``-bit patterns) after
        each executed row.
    memories : dict of str to numpy.ndarray
        LSU name -> its scratchpad (uint8, ``mem_bytes``) after the run.
    registers : dict of str to numpy.ndarray
        RF name -> its 16 registers (uint64 ``W``-bit patterns) after the run.
    halted : bool
        True when the run ended with ``halt``.
    """

    cycles: int
    pc: np.ndarray
    outputs: np.ndarray
    memories: dict[str, np.ndarray] = field(default_factory=dict)
    registers: dict[str, np.ndarray] = field(default_factory=dict)
    halted: bool = True


def _mul_function(fabric: Fabric, params: dict):
    """Low ``W`` bits of the tile's product of two ``W``-bit patterns (read as signed)."""
    from ..approx import DrumModel, ExactModel, RoupModel

    w = fabric.width
    if params["kind"] == "drum":
        model = DrumModel(width=w, k=params["k"], signed=True, sign_mode="twos")
    elif params["kind"] == "roup":
        model = RoupModel(width=w, p=params["p"], r=params["r"], signed=True)
    else:
        model = ExactModel(width=w, signed=True)
    mask = (1 << w) - 1
    half = 1 << (w - 1)

    def mul(a: int, b: int) -> int:
        sa = a - (1 << w) if a & half else a
        sb = b - (1 << w) if b & half else b
        return int(model(sa, sb)) & mask

    return mul


class CGRAModel:
    """Cycle-accurate model of one fabric (module docstring).

    Parameters
    ----------
    fabric : Fabric
        The fabric.

    Raises
    ------
    TypeError
        If ``fabric`` is not a :class:`~sim_models.cgra.fabric.Fabric`.
    """

    def __init__(self, fabric: Fabric) -> None:
        if not isinstance(fabric, Fabric):
            raise TypeError(f"Fabric must be a sim_models.cgra.fabric.Fabric, not {fabric!r}")
        self.fabric = fabric
        self._mul = {fu.name: _mul_function(fabric, fu.params)
                     for fu in fabric.fus if fu.type == "mul"}

    # -- argument checks

    def _imems(self, imems: Mapping[str, Sequence[int]] | None) -> list[list[int]]:
        fab = self.fabric
        if imems is None:
            imems = {}
        if not isinstance(imems, Mapping):
            raise TypeError(f"imems must be a mapping of ID name to words, not "
                            f"{type(imems).__name__}")
        out = [[0] * fab.imem_depth for _ in fab.ids]
        names = {d.name: d.index for d in fab.ids}
        for name, words in imems.items():
            if name not in names:
                raise ValueError(f"imems: unknown ID {name!r} (IDs: {', '.join(names)})")
            words = list(words)
            if len(words) > fab.imem_depth:
                raise ValueError(f"imems[{name!r}]: {len(words)} words do not fit an instruction "
                                 f"memory of {fab.imem_depth} rows")
            for a, word in enumerate(words):
                if isinstance(word, (bool, np.bool_)) or not isinstance(word, numbers.Integral):
                    raise TypeError(f"imems[{name!r}][{a}] must be an integer, not {word!r}")
                out[names[name]][a] = int(word)
        return out

    def _memories(self, memories) -> dict[str, bytearray]:
        fab = self.fabric
        lsus = {fu.name: fu.params["mem_bytes"] for fu in fab.fus if fu.type == "lsu"}
        out = {name: bytearray(size) for name, size in lsus.items()}
        if memories is None:
            return out
        if not isinstance(memories, Mapping):
            raise TypeError(f"memories must be a mapping of LSU name to bytes, not "
                            f"{type(memories).__name__}")
        for name, data in memories.items():
            if name not in lsus:
                raise ValueError(f"memories: unknown LSU {name!r} (LSUs: "
                                 f"{', '.join(lsus) or 'none'})")
            if isinstance(data, (bytes, bytearray, memoryview)):
                arr = np.frombuffer(bytes(data), dtype=np.uint8)
            else:
                arr = np.asarray(data)
                if arr.dtype.kind not in "iu" or arr.ndim != 1:
                    raise TypeError(f"memories[{name!r}] must be bytes or a 1-D integer array, "
                                    f"not {arr.dtype} of shape {arr.shape}")
                if arr.size and (arr.min() < 0 or arr.max() > 255):
                    raise ValueError(f"memories[{name!r}] must hold bytes (0 to 255)")
            if arr.size > lsus[name]:
                raise ValueError(f"memories[{name!r}]: {arr.size} bytes do not fit a scratchpad "
                                 f"of {lsus[name]} bytes")
            out[name][:arr.size] = arr.astype(np.uint8).tobytes()
        return out

    def _registers(self, registers) -> dict[str, list[int]]:
        fab = self.fabric
        w = fab.width
        rfs = [fu.name for fu in fab.fus if fu.type == "rf"]
        out = {name: [0] * 16 for name in rfs}
        if registers is None:
            return out
        if not isinstance(registers, Mapping):
            raise TypeError(f"registers must be a mapping of RF name to values, not "
                            f"{type(registers).__name__}")
        for name, values in registers.items():
            if name not in out:
                raise ValueError(f"registers: unknown RF {name!r} (RFs: "
                                 f"{', '.join(rfs) or 'none'})")
            values = list(values)
            if len(values) > 16:
                raise ValueError(f"registers[{name!r}]: {len(values)} values for 16 registers")
            for r, v in enumerate(values):
                v = check_int(f"registers[{name!r}][{r}]", v, -(1 << (w - 1)), (1 << w) - 1)
                out[name][r] = v & ((1 << w) - 1)
        return out

    # -- the run

    def run(self, config: int | Mapping[str, int],
            imems: Mapping[str, Sequence[int]] | None = None,
            memories: Mapping[str, bytes | np.ndarray] | None = None,
            registers: Mapping[str, Sequence[int]] | None = None,
            max_cycles: int = 100_000) -> Trace:
        """Run a program from address 0 (all FU outputs, loop counter and link 0) to ``halt``.

        Parameters
        ----------
        config : int or Mapping of str to int
            The configuration bitstream (or its field values, missing ones 0).
        imems : Mapping of str to sequence of int, optional
            Instruction words by ID name; a missing ID issues ``nop``, a short image is padded
            with 0 (``nop``) up to ``imem_depth``.
        memories : Mapping of str to bytes or uint8 array, optional
            Initial scratchpad contents by LSU name (at most ``mem_bytes``, padded with 0).
        registers : Mapping of str to sequence of int, optional
            Initial registers by RF name (at most 16, padded with 0; ``W``-bit patterns or
            negative values).
        max_cycles : int, optional
            Largest number of rows to execute, 1 to 10**9.

        Returns
        -------
        Trace
            The executed addresses, the FU outputs after every row and the final memories and
            registers.

        Raises
        ------
        TypeError, ValueError
            For invalid arguments or configuration values; when an executed row holds an
            illegal instruction word, an access wider than ``W`` or a transfer in the delay
            slots of another transfer (the message names the cycle, the address and the unit).
        RuntimeError
            If ``max_cycles`` rows run without ``halt``.
        """
        fab = self.fabric
        w = fab.width
        mask = (1 << w) - 1
        half = 1 << (w - 1)
        depth = fab.imem_depth
        max_cycles = check_int("max_cycles", max_cycles, 1, 10**9)
        if isinstance(config, Mapping):
            values = cfg.check_values(fab, config)
        else:
            values = cfg.check_values(fab, cfg.decode(fab, config))
        srcs = cfg.sources(fab, values)
        index = {fu.name: fu.index for fu in fab.fus}
        words = self._imems(imems)
        mems = self._memories(memories)
        regs = self._registers(registers)

        # Per FU: (type, name, index, driving ID index, slots of in0, slots of in1), a slot
        # being the flat output index 2*f + p or -1 (reads 0).
        units = []
        for fu in fab.fus:
            id_index = fab.ids_of_type(fu.type)[values.get(f"ctrl.{fu.name}", 0)].index
            slots = []
            for i in (0, 1):
                row = []
                for k in range(cfg.SLOTS):
                    s = srcs.get((fu.name, i, k))
                    row.append(-1 if s is None else 2 * index[s[0]] + s[1])
                slots.append(row)
            units.append((fu.type, fu.name, fu.index, id_index, slots[0], slots[1]))
        id_types = [d.type for d in fab.ids]
        decoded: dict[tuple[int, int], dict] = {}

        out = [0] * (2 * len(fab.fus))
        # the ABU's link register holds a whole address; out1 shows its low W bits
        link = 0
        pcs: list[int] = []
        history: list[list[int]] = []
        pc = 0
        slots_left = 0  # delay-slot rows still to run after the last transfer
        target = None  # where to go after them (None: not taken)
        branch_at = (0, "")  # address and mnemonic of the last transfer, for messages
        halted = False
        for cycle in range(max_cycles):
            new = out[:]
            halt = False
            transfer = None
            target_now = None
            for ftype, name, f, d, in0, in1 in units:
                key = (d, pc)
                ins = decoded.get(key)
                if ins is None:
                    try:
                        ins = isa.decode(id_types[d], fab, words[d][pc])
                    except ValueError as exc:
                        raise ValueError(f"cycle {cycle}: address {pc} of ID "
                                         f"{fab.ids[d].name!r}: {exc}") from None
                    decoded[key] = ins
                if ftype == "iu":
                    if ins["op"]:
                        new[2 * f + ins["dst"]] = ins["imm"]
                    continue
                s0 = in0[ins["sel0"]]
                s1 = in1[ins["sel1"]]
                a = out[s0] if s0 >= 0 else 0
                b = out[s1] if s1 >= 0 else 0
                if ftype == "alu":
                    op = ins["op"]
                    if op:
                        new[2 * f + ins["dst"]] = _alu(_ALU[op], a, b, w, mask, half)
                elif ftype == "mul":
                    if ins["op"]:
                        new[2 * f + ins["dst"]] = self._mul[name](a, b)
                elif ftype == "lsu":
                    op = ins["op"]
                    if op:
                        r = _lsu(_LSU[op], a, b, w, mems[name])
                        if isinstance(r, str):
                            raise ValueError(f"cycle {cycle}: address {pc}, LSU {name!r}: {r}")
                        if r is not None:
                            new[2 * f + ins["dst"]] = r
                elif ftype == "rf":
                    regfile = regs[name]
                    if ins["rd"]:
                        new[2 * f + ins["dst"]] = regfile[ins["raddr"]]
                    if ins["wr"]:
                        regfile[ins["waddr"]] = a
                else:  # abu
                    op = _ABU[ins["op"]]
                    if op == "nop":
                        continue
                    if op == "halt":
                        halt = True
                        continue
                    if op == "setl":
                        new[2 * f] = a
                        continue
                    transfer = op
                    taken = True
                    dest = ins["target"]
                    if op == "call":
                        link = (pc + 3) % depth
                        new[2 * f + 1] = link & mask
                    elif op == "ret":
                        dest = link
                    elif op == "bz":
                        taken = a == 0
                    elif op == "bnz":
                        taken = a != 0
                    elif op == "loop":
                        count = (out[2 * f] - 1) & mask
                        new[2 * f] = count
                        taken = count != 0
                    target_now = dest if taken else None
            if transfer is not None and slots_left:
                raise ValueError(f"cycle {cycle}: {transfer} at address {pc} is in a delay slot "
                                 f"of the {branch_at[1]} at address {branch_at[0]} (a transfer "
                                 f"may not run in the 2 rows after another)")
            out = new
            pcs.append(pc)
            history.append(new)
            if halt:
                halted = True
                break
            if transfer is not None:
                slots_left, target, branch_at = 2, target_now, (pc, transfer)
                pc = (pc + 1) % depth
            elif slots_left:
                slots_left -= 1
                if slots_left == 0 and target is not None:
                    pc, target = target, None
                else:
                    pc = (pc + 1) % depth
            else:
                pc = (pc + 1) % depth
        if not halted:
            raise RuntimeError(f"No halt within max_cycles = {max_cycles} cycles (last address "
                               f"{pcs[-1]})")
        cycles = len(pcs)
        return Trace(
            cycles=cycles,
            pc=np.asarray(pcs, dtype=np.int64),
            outputs=np.asarray(history, dtype=np.uint64).reshape(cycles, len(fab.fus), 2),
            memories={k: np.frombuffer(bytes(v), dtype=np.uint8).copy()
                      for k, v in mems.items()},
            registers={k: np.asarray(v, dtype=np.uint64) for k, v in regs.items()},
            halted=halted,
        )


def _alu(op: str, a: int, b: int, w: int, mask: int, half: int) -> int:
    """One ALU operation on ``W``-bit patterns; the result as a ``W``-bit pattern."""
    sa = a - (1 << w) if a & half else a
    sb = b - (1 << w) if b & half else b
    if op == "add":
        return (a + b) & mask
    if op == "sub":
        return (a - b) & mask
    if op == "and":
        return a & b
    if op == "ior":
        return a | b
    if op == "xor":
        return a ^ b
    if op == "not":
        return ~a & mask
    if op == "eq":
        return int(a == b)
    if op == "ne":
        return int(a != b)
    if op == "lt":
        return int(sa < sb)
    if op == "ltu":
        return int(a < b)
    if op == "gt":
        return int(sa > sb)
    if op == "gtu":
        return int(a > b)
    if op == "ge":
        return int(sa >= sb)
    if op == "geu":
        return int(a >= b)
    if op == "shl1":
        return (a << 1) & mask
    if op == "shl4":
        return (a << 4) & mask
    if op == "shr1":
        return (sa >> 1) & mask
    if op == "shr4":
        return (sa >> 4) & mask
    if op == "shru1":
        return a >> 1
    if op == "shru4":
        return a >> 4
    return a  # pass


def alu(op: str, a: int, b: int, width: int) -> int:
    """One ALU operation (by mnemonic) on ``width``-bit patterns ``a`` and ``b``.

    Parameters
    ----------
    op : str
        An ALU mnemonic other than ``nop``.
    a, b : int
        Operands, ``0 .. 2**width - 1``.
    width : int
        Data width, 8, 16 or 32.

    Returns
    -------
    int
        The result as a ``width``-bit pattern.

    Raises
    ------
    TypeError, ValueError
        For an unknown operation, a bad width or an operand out of range.
    """
    if width not in (8, 16, 32):
        raise ValueError(f"Data width must be 8, 16 or 32, not {width!r}")
    if op not in isa.OPCODES["alu"] or op == "nop":
        raise ValueError(f"ALU operation must be one of {', '.join(list(isa.OPCODES['alu'])[1:])}"
                         f", not {op!r}")
    a = check_int("Operand a", a, 0, (1 << width) - 1)
    b = check_int("Operand b", b, 0, (1 << width) - 1)
    return _alu(op, a, b, width, (1 << width) - 1, 1 << (width - 1))


def _lsu(op: str, a: int, b: int, w: int, mem: bytearray) -> int | str | None:
    """One LSU access; the loaded value, None for a store, or an error message."""
    if op in _LOADS:
        size, signed = _LOADS[op]
    else:
        size, signed = _STORES[op], False
    if 8 * size > w:
        return f"{op} is wider than the data width {w}"
    addr = (a % len(mem)) & ~(size - 1)
    if op in _STORES:
        mem[addr:addr + size] = (b & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        return None
    value = int.from_bytes(mem[addr:addr + size], "little")
    if signed and value >> (8 * size - 1):
        value -= 1 << (8 * size)
    return value & ((1 << w) - 1)
