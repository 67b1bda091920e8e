"""RTL verification of the trit codec (:mod:`hw.ternary.codec`) on Icarus Verilog or Verilator.

Both blocks are combinational and small enough to check exhaustively: the packer on all
``4**5 = 1024`` combinations of five 2-bit codes (the illegal code ``0b10`` included), the
unpacker on all 256 bytes (243 to 255 illegal). Expected values come from the numpy golden model
(:mod:`sim_models.ternary.trits`), never from the RTL; the streaming vector harness
(:mod:`verif.harness`) drives the Verilog and compares every result in HDL.

The Verilog of each block is emitted with a fixed module name (``edgeforge_trit_packer``,
``edgeforge_trit_unpacker``) into ``build/verif/<module>/rtl/``, together with a thin adapter
module ``<module>_ports`` that renames the port ``byte`` (a SystemVerilog keyword, which the
harness wrapper cannot connect by name) to ``packed_byte``; the harness builds into
``build/verif/<module>/<sim>/``. A mismatch raises :class:`CodecMismatch` naming the vector, the
expected and the actual values and a one-line repro command. From the shell::

    SIM=verilator python -m verif.ternary.codec                    # both blocks, exhaustive
    SIM=icarus python -m verif.ternary.codec unpacker --value 243  # one vector
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hw.ternary import TritPacker, TritUnpacker
from sim_models.ternary import (
    TRITS_PER_BYTE,
    decode_trits_masked,
    encode_trits,
    pack_trits,
    unpack_trits_masked,
)

from ..harness import Port, VectorHarness

__all__ = ["BLOCKS", "MODULES", "BUILD_ROOT", "LANES", "CodecMismatch", "CodecReport",
           "all_inputs", "golden", "emit", "describe", "repro_command", "check", "main"]

#: The two blocks, in run order.
BLOCKS = ("packer", "unpacker")
#: Verilog module name of each block.
MODULES = {"packer": "edgeforge_trit_packer", "unpacker": "edgeforge_trit_unpacker"}
BUILD_ROOT = Path("build") / "verif"
#: Codec instances checked side by side per clock.
LANES = 8

_CODE_BITS = 2
_GROUP_BITS = _CODE_BITS * TRITS_PER_BYTE  # the 10-bit ``trits`` port
_INPUT_RANGE = {"packer": 1 << _GROUP_BITS, "unpacker": 256}
# ports of the adapter module, as the harness sees them
_INPUTS = {"packer": [Port("trits", _GROUP_BITS)], "unpacker": [Port("packed_byte", 8)]}
_OUTPUTS = {"packer": [Port("packed_byte", 8), Port("illegal", 1)],
            "unpacker": [Port("trits", _GROUP_BITS), Port("illegal", 1)]}


class CodecMismatch(AssertionError):
    """The RTL of a codec block disagreed with the golden model (or skipped vectors)."""


@dataclass(frozen=True)
class CodecReport:
    """Outcome of :func:`check`.

    Members
    -------
    block : str
        ``"packer"`` or ``"unpacker"``.
    module : str
        Verilog module name.
    sim : str
        Simulator used.
    checked : int
        Vectors compared.
    seconds : float
        Wall time of the simulation, excluding the build.
    """

    block: str
    module: str
    sim: str
    checked: int
    seconds: float


def _check_block(block: str) -> str:
    if block not in BLOCKS:
        raise ValueError(f"Block must be one of {', '.join(BLOCKS)}, not {block!r}")
    return block


def all_inputs(block: str) -> np.ndarray:
    """Every input value of ``block``: 10-bit code words (packer) or bytes (unpacker).

    Parameters
    ----------
    block : {"packer", "unpacker"}
        The codec block.

    Returns
    -------
    numpy.ndarray
        ``int64`` values ``0 .. 1023`` or ``0 .. 255``, in order.
    """
    return np.arange(_INPUT_RANGE[_check_block(block)], dtype=np.int64)


def _split_codes(words: np.ndarray) -> np.ndarray:
    """2-bit codes ``(N, 5)`` of 10-bit words, ``t_0`` in the lowest bits."""
    shifts = _CODE_BITS * np.arange(TRITS_PER_BYTE, dtype=np.int64)
    return (np.asarray(words, dtype=np.int64)[:, None] >> shifts) & 0b11


def _join_codes(codes: np.ndarray) -> np.ndarray:
    """10-bit words of 2-bit codes ``(N, 5)``, ``t_0`` in the lowest bits."""
    shifts = _CODE_BITS * np.arange(TRITS_PER_BYTE, dtype=np.int64)
    return (np.asarray(codes, dtype=np.int64) << shifts).sum(axis=1)


def golden(block: str, inputs: object) -> dict[str, np.ndarray]:
    """Expected outputs of ``block`` for ``inputs``, from :mod:`sim_models.ternary.trits`.

    Packer: the codes are decoded with :func:`~sim_models.ternary.decode_trits_masked` (an
    illegal code becomes a 0 trit and raises the flag) and packed with
    :func:`~sim_models.ternary.pack_trits`. Unpacker: the byte is unpacked with
    :func:`~sim_models.ternary.unpack_trits_masked` and the trits encoded with
    :func:`~sim_models.ternary.encode_trits`.

    Parameters
    ----------
    block : {"packer", "unpacker"}
        The codec block.
    inputs : array_like
        Input values: 10-bit code words (``t_0`` in bits 1:0) or bytes.

    Returns
    -------
    dict of numpy.ndarray
        ``int64`` arrays by adapter port: ``packed_byte`` and ``illegal`` (packer), ``trits`` (a
        10-bit code word) and ``illegal`` (unpacker).

    Raises
    ------
    ValueError
        If the block is unknown or an input is out of range.
    """
    values = np.asarray(inputs, dtype=np.int64).reshape(-1)
    top = _INPUT_RANGE[_check_block(block)]
    if values.size and (values.min() < 0 or values.max() >= top):
        raise ValueError(f"Inputs of the {block} must lie in 0..{top - 1}")
    if block == "packer":
        trits, bad = decode_trits_masked(_split_codes(values))
        return {"packed_byte": pack_trits(trits)[:, 0].astype(np.int64),
                "illegal": bad.any(axis=1).astype(np.int64)}
    trits, bad = unpack_trits_masked(values[:, None])
    return {"trits": _join_codes(encode_trits(trits)), "illegal": bad[:, 0].astype(np.int64)}


def _adapter(block: str) -> str:
    module = MODULES[block]
    if block == "packer":
        ports = "input [9:0] trits, output [7:0] packed_byte, output illegal"
        conns = ".trits(trits), .\\byte (packed_byte), .illegal(illegal)"
    else:
        ports = "input [7:0] packed_byte, output [9:0] trits, output illegal"
        conns = ".\\byte (packed_byte), .trits(trits), .illegal(illegal)"
    return (f"// port adapter of {module} for the vector harness (generated; do not edit)\n"
            f"module {module}_ports ({ports});\n"
            f"  {module} dut ({conns});\n"
            "endmodule\n")


def emit(block: str, build_root: Path = BUILD_ROOT) -> Path:
    """Write the Verilog of ``block`` and its port adapter; return the file's path.

    The file, ``<build_root>/<module>/rtl/<module>.v``, is byte-identical across runs
    (``emit_src=False``, fixed module names) and rewritten only when its text changes.

    Parameters
    ----------
    block : {"packer", "unpacker"}
        The codec block.
    build_root : Path, optional
        Root of the verification builds.

    Returns
    -------
    Path
        The Verilog file, defining ``<module>`` and ``<module>_ports``.
    """
    from amaranth.back import verilog

    component = TritPacker() if _check_block(block) == "packer" else TritUnpacker()
    module = MODULES[block]
    text = verilog.convert(component, name=module, emit_src=False) + "\n" + _adapter(block)
    path = Path(build_root) / module / "rtl" / f"{module}.v"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def _codes_text(word: int) -> str:
    codes = [(int(word) >> (_CODE_BITS * i)) & 0b11 for i in range(TRITS_PER_BYTE)]
    return f"0x{int(word):03x} (codes t_0..t_4: {' '.join(f'{c:02b}' for c in codes)})"


def describe(block: str, values: dict[str, object]) -> str:
    """One-line text of a port-value dict of ``block`` (code words spelled out per trit).

    Parameters
    ----------
    block : {"packer", "unpacker"}
        The codec block.
    values : dict
        Values by adapter port name (inputs or outputs); strings (X/Z patterns from a 4-state
        simulator) are shown as they are.

    Returns
    -------
    str
        E.g. ``"trits=0x0f5 (codes t_0..t_4: 01 01 11 11 00) illegal=0"``.
    """
    _check_block(block)
    parts = []
    for name, value in values.items():
        if name == "trits" and not isinstance(value, str):
            parts.append(f"trits={_codes_text(value)}")
        else:
            parts.append(f"{name}={value}")
    return " ".join(parts)


def repro_command(block: str, sim: str, value: int) -> str:
    """One shell line that re-runs the single input ``value`` of ``block`` on the RTL."""
    args = [sys.executable, "-m", "verif.ternary.codec", block, "--value", str(int(value))]
    return f"SIM={shlex.quote(sim)} " + " ".join(shlex.quote(a) for a in args)


def check(block: str, inputs: object | None = None, expected: dict | None = None, *,
          sim: str | None = None, build_root: Path = BUILD_ROOT, tag: str | None = None,
          lanes: int = LANES) -> CodecReport:
    """Run the RTL of ``block`` on ``inputs`` and compare with ``expected``.

    Parameters
    ----------
    block : {"packer", "unpacker"}
        The codec block.
    inputs : array_like, optional
        Input values (see :func:`golden`); default every value (:func:`all_inputs`).
    expected : dict of array_like, optional
        Expected outputs by adapter port; default :func:`golden` ``(block, inputs)``. Tests pass
        a corrupted copy to show that the checker fails.
    sim : str, optional
        ``"icarus"`` or ``"verilator"``; default from ``$SIM``.
    build_root : Path, optional
        Root of the verification builds.
    tag : str, optional
        Name of the run directory under the build; default ``"exhaustive"`` for all inputs,
        else ``"vectors"``.
    lanes : int, optional
        Codec instances side by side in the harness.

    Returns
    -------
    CodecReport
        Vectors checked and the simulation time.

    Raises
    ------
    CodecMismatch
        On any mismatch (first vector, expected and actual values, repro command), or if fewer
        vectors than given were checked.
    RuntimeError
        If the build or the simulation fails.
    """
    _check_block(block)
    full = inputs is None
    values = all_inputs(block) if full else np.asarray(inputs, dtype=np.int64).reshape(-1)
    if expected is None:
        expected = golden(block, values)
    expected = {name: np.asarray(v, dtype=np.int64).reshape(-1) for name, v in expected.items()}
    module = MODULES[block]
    verilog = emit(block, build_root)
    harness = VectorHarness(
        top=f"{module}_ports", sources=[verilog], inputs=_INPUTS[block],
        outputs=_OUTPUTS[block], latency=0, clocked=False, depth=max(1, len(values)),
        build_dir=Path(build_root) / module, sim=sim, lanes=lanes,
    )
    in_name = _INPUTS[block][0].name
    r = harness.run({in_name: values}, expected,
                    tag=tag or ("exhaustive" if full else "vectors"))
    if r.mismatches:
        i = r.first_index
        want = {name: int(v[i]) for name, v in expected.items()}
        raise CodecMismatch(
            f"{module} ({r.sim}): {r.mismatches} of {r.checked} vectors differ; first "
            f"#{i}: {describe(block, {in_name: int(values[i])})}: expected "
            f"{describe(block, want)}, got {describe(block, r.first_got)}; "
            f"reproduce: {repro_command(block, r.sim, int(values[i]))}"
        )
    if r.checked != len(values):
        raise CodecMismatch(
            f"{module} ({r.sim}): only {r.checked} of {len(values)} vectors were checked")
    return CodecReport(block, module, r.sim, r.checked, r.seconds)


def main(argv: list[str] | None = None) -> int:
    """``python -m verif.ternary.codec [packer|unpacker ...] [--value N] [--sim SIM]``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 when every block matches the golden model, 1 on a mismatch.
    """
    ap = argparse.ArgumentParser(prog="python -m verif.ternary.codec", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("blocks", nargs="*", metavar="BLOCK",
                    help="packer and/or unpacker (default both)")
    ap.add_argument("--value", type=int,
                    help="check this one input only (a 10-bit code word or a byte)")
    ap.add_argument("--sim", help="icarus or verilator (default $SIM)")
    args = ap.parse_args(argv)
    blocks = args.blocks or list(BLOCKS)
    unknown = sorted(set(blocks) - set(BLOCKS))
    if unknown:
        ap.error(f"unknown blocks {unknown}; valid: {', '.join(BLOCKS)}")
    if args.value is not None and len(blocks) != 1:
        ap.error("--value needs exactly one block")
    status = 0
    for block in blocks:
        if args.value is not None and not 0 <= args.value < _INPUT_RANGE[block]:
            ap.error(f"--value of the {block} must lie in 0..{_INPUT_RANGE[block] - 1}")
        inputs = None if args.value is None else [args.value]
        tag = None if args.value is None else f"value{args.value}"
        try:
            r = check(block, inputs, sim=args.sim, tag=tag)
        except CodecMismatch as e:
            print(f"FAIL: {e}", file=sys.stderr)
            status = 1
            continue
        what = "exhaustive" if args.value is None else f"input {args.value}"
        print(f"{r.module} ({r.sim}): {r.checked} vectors ({what}) match the golden model, "
              f"{r.seconds:.2f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
