"""What the ``edgeforge`` command line and the families' subcommands share.

Parser types that range-check their values (one line naming the option and its range),
progress display on standard error, output-directory checks that run before any work, and the
library check. Families use these in :meth:`gen.flow.family.Family.add_commands`.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from gen.eda import files, synth

from .cache import cache_root
from .design import parse_int

__all__ = ["UsageError", "integer", "real", "SEED", "WORKERS", "PROBABILITY", "MAX_SEED",
           "MAX_WORKERS", "CACHE_DIR", "add_design", "note", "progress", "slews", "slew",
           "check_dirs", "make_dirs", "check_liberty"]

MAX_SEED = (1 << 63) - 1
MAX_WORKERS = 64
#: Where commands cache results (synthesis, netlists, energy).
CACHE_DIR = str(cache_root())


class UsageError(Exception):
    """Bad input detected by the command line itself (exit code 2, one line)."""


def integer(lo: int, hi: int):
    """argparse type: an integer in ``[lo, hi]`` (decimal, or 0x/0o/0b prefixed)."""

    def parse(text: str) -> int:
        want = f"must be an integer between {lo} and {hi}"
        stripped = text.strip()
        if len(stripped) > 40:
            raise argparse.ArgumentTypeError(f"{want}, not a {len(stripped)}-character string")
        try:
            value = parse_int(stripped)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{want}, not {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{want}, not {value}")
        return value

    return parse


def real(lo: float, hi: float, *, above: bool = False, unit: str = ""):
    """argparse type: a finite number in ``[lo, hi]`` (``(lo, hi]`` with ``above``)."""

    def parse(text: str) -> float:
        want = (f"must be a finite number {'above' if above else 'from'} {lo:g}{unit} "
                f"{'and at most' if above else 'to'} {hi:g}{unit}")
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{want}, not {text[:40]!r}") from None
        if not math.isfinite(value) or not (lo < value if above else lo <= value) \
                or value > hi:
            raise argparse.ArgumentTypeError(f"{want}, not {text[:40]}")
        return value

    return parse


SEED = integer(0, MAX_SEED)
WORKERS = integer(1, MAX_WORKERS)
PROBABILITY = real(0.0, 1.0)


def add_design(p: argparse.ArgumentParser) -> None:
    """The ``DESIGN`` argument and ``-p NAME=VALUE`` options of a command on one design."""
    p.add_argument("design", help="design name (see `edgeforge list`)")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                   help="generator parameter (repeatable)")


def note(text: str) -> None:
    """A progress line on standard error (long steps say what they are doing)."""
    print(f"  .. {text}", file=sys.stderr, flush=True)


def slews(slew_ns: float | None) -> str:
    """How the slews of a result were chosen, for the text outputs."""
    return "propagated slews" if slew_ns is None else f"fixed slew {slew_ns:g} ns"


def slew(value: float | None) -> float | None:
    """``--slew NS`` in seconds (range-checked by the parser)."""
    return None if value is None else value / 1e9


def progress(label: str, unit: str):
    """A ``progress(done, total)`` callback: a bar on a terminal, else a line per 10 %.

    Shown on standard error only for runs that take long enough to need it (over 2**24
    items); never on standard output.
    """
    state = {"bar": None, "shown": -1}

    def update(done: int, total: int) -> None:
        if total <= 1 << 24:
            return
        if sys.stderr.isatty():
            _bar(state, label, unit, done, total)
            return
        tenth = 10 * done // total
        if tenth > state["shown"]:
            state["shown"] = tenth
            print(f"  .. {label}: {10 * tenth} % ({done:,} of {total:,} {unit})",
                  file=sys.stderr, flush=True)

    return update


def _bar(state: dict, label: str, unit: str, done: int, total: int) -> None:
    from tqdm import tqdm  # only on a terminal: the import costs 0.1 s

    if state["bar"] is None:
        state["bar"] = tqdm(total=total, desc=label, unit=f" {unit}", unit_scale=True,
                            leave=False, file=sys.stderr)
    bar = state["bar"]
    bar.update(done - bar.n)
    if done >= total:
        bar.close()


def check_dirs(*dirs: tuple[str, str]) -> None:
    """Check ``(path, what)`` output directories before any work (nothing is created)."""
    for path, what in dirs:
        files.check_output_dir(path, what)


def make_dirs(*dirs: tuple[str, str]) -> None:
    """Create the output directories, once every input has been validated."""
    for path, what in dirs:
        files.make_output_dir(path, what)


def check_liberty(explicit: str | None, what: str = "--liberty") -> Path:
    """Resolve and fully read the liberty file before any output (a bad one fails here)."""
    path = synth.resolve_liberty(explicit)
    if path.is_file() and path.stat().st_size > 32 << 20:  # about 10 s a 32 MiB
        note(f"reading liberty file {path} ({path.stat().st_size >> 20} MiB)")
    try:
        return synth.check_liberty(explicit)
    except synth.SynthesisError as e:  # no cells, no NAND2: the library is unusable input
        raise UsageError(f"{what}: {e}") from None
