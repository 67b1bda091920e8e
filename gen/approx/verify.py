"""RTL verification of a multiplier design point against its golden model (``edgeforge verify``).

Emits the design's Verilog into a build directory of its own (one per parameter set and
simulator), builds the streaming harness and checks the chosen vectors. A mismatch raises
:class:`VerificationError` whose message holds the vector, the expected and actual values and a
one-line command that reproduces it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gen.flow.design import Instance
from gen.flow.ip import emit
from verif import sim as sim_mod
from verif.approx import multiplier

__all__ = ["VerificationError", "Report", "verify", "repro_command", "BUILD_ROOT"]

BUILD_ROOT = Path("build") / "verif"


class VerificationError(AssertionError):
    """The RTL disagreed with the golden model (or did not check every vector)."""


@dataclass(frozen=True)
class Report:
    module: str
    sim: str
    checked: int
    seconds: float
    vectors: str


def repro_command(inst: Instance, sim: str, a: int, b: int) -> str:
    """One shell line that re-runs a single vector on the RTL."""
    args = ["edgeforge", "verify", inst.design.name, *inst.cli_params(), "--sim", sim,
            "--a", str(a), "--b", str(b)]
    return " ".join(shlex.quote(x) for x in args)


def verify(inst: Instance, *, vectors: str = "default", samples: int = 100_000, seed: int = 1,
           a: int | None = None, b: int | None = None, sim: str | None = None,
           waves: bool = False, build_root: Path = BUILD_ROOT) -> Report:
    """Verify the RTL of ``inst`` against its golden model.

    Parameters
    ----------
    vectors : str
        ``"default"`` (corners, then exhaustive up to 8 bits, else ``samples`` random pairs),
        ``"exhaustive"``, ``"random"`` (corners plus random pairs) or ``"corners"``.
    a, b : int, optional
        Check this single operand pair only (used by repro commands).

    Raises
    ------
    VerificationError
        On any mismatch, or if fewer vectors than requested were checked.
    """
    sim = sim_mod.prepare(sim)
    width, signed = inst.params["width"], inst.params["signed"]
    if a is not None or b is not None:
        if a is None or b is None:
            raise ValueError("--a and --b go together")
        lo = -(1 << (width - 1)) if signed else 0
        hi = lo + (1 << width) - 1
        for label, v in (("a", a), ("b", b)):
            if not lo <= v <= hi:
                raise ValueError(f"Operand {label} must lie in [{lo}, {hi}], not {v}")
        va, vb = np.array([a], dtype=object), np.array([b], dtype=object)
        what = f"1 vector (a={a}, b={b})"
    else:
        choices = {"default": None, "exhaustive": True, "random": False}
        if vectors == "corners":
            va, vb = multiplier.stimulus(width, signed, exhaustive=False, samples=0,
                                         k=inst.params.get("k"))
        elif vectors in choices:
            va, vb = multiplier.stimulus(width, signed, exhaustive=choices[vectors],
                                         samples=samples, seed=seed, k=inst.params.get("k"))
        else:
            raise ValueError(
                f"Vectors must be 'default', 'exhaustive', 'random' or 'corners', not {vectors!r}"
            )
        exhaustive = vectors == "exhaustive" or (vectors == "default" and width <= 8)
        if exhaustive:
            kind = "corners + exhaustive"
        elif vectors == "corners":
            kind = "corners"
        else:
            kind = f"corners + {samples} random, seed {seed}"
        what = f"{len(va)} vectors ({kind})"
    build_dir = Path(build_root) / inst.module
    emitted = emit(inst, build_dir / "rtl")
    result = multiplier.check(inst.component, inst.model, module=inst.module,
                              verilog=emitted.verilog, build_dir=build_dir, a=va, b=vb, sim=sim,
                              waves=waves)
    if result.mismatches:
        m = result.first
        raise VerificationError(
            f"{inst.module} ({sim}): {result.mismatches} of {result.checked} vectors differ; "
            f"first #{m.index}: a={m.a} b={m.b} expected p={m.expected} got p={m.got}; "
            f"reproduce: {repro_command(inst, sim, m.a, m.b)}"
        )
    if result.checked != len(va):
        raise VerificationError(
            f"{inst.module} ({sim}): only {result.checked} of {len(va)} vectors were checked"
        )
    return Report(inst.module, sim, result.checked, result.seconds, what)
