"""Switching activity (toggle counts per net bit) from a VCD or FST waveform.

:func:`read_activity` reads a waveform, keeps only the variables inside one scope (and, by
default, below it) and returns an :class:`Activity`: for every bit of every such variable the
number of toggles inside a time window, the time the bit spent at 1 (for duty cycle / state
probability) and the window's duration. It is what an OpenSTA-like power estimator needs.

Toggle definition
-----------------
A toggle is a transition of one bit between the known values 0 and 1. X and Z are not values:
they neither count nor reset the last known value, so ``0 -> x -> 1`` counts one toggle and
``0 -> x -> 0`` counts none. (The std_logic letters U, W, L, H and ``-`` are treated like X.)
Every transition written in the file counts, including a zero-width glitch (two changes of the
same bit at the same timestamp). ``Activity.transitions`` counts them the way OpenSTA's
``read_vcd`` does instead: every change of the written value counts, a change between 0 and 1
as one transition and a change to or from X/Z as half of one (so ``0 -> x -> 0`` is one, and a
dump that starts at X adds half a transition per bit when the bit first gets a value; a change
between X and Z, which OpenSTA counts as half, is not seen here: both are "unknown").
Window ``[start, end]``: value changes at times ``<= start``
only set the baseline, changes in ``(start, end]`` count, later ones are ignored (and the VCD
reader stops reading at the first timestamp after ``end``). ``high`` integrates the time at 1
(not X, not Z) within ``[start, end]``; a bit whose value is unknown at ``start`` is not at 1
until its first change to 1. The window must lie within the dump, ``first timestamp <= start <
end <= last timestamp``; ``start``/``end`` in seconds are rounded to the nearest tick.

Keys
----
``Activity.bits`` and ``Activity.high`` are keyed by ``(subscope, name, index)``: ``subscope`` is
the scope path relative to the selected scope (``()`` for the scope itself), ``name`` the variable
name as declared without the VCD escape backslash, ``index`` the absolute Verilog bit index.
``x [7:0]`` gives the keys ``("x", 7) ... ("x", 0)``, ``x [0:7]`` the same indices (the leftmost
character of a value is bit 0 there), ``x [3]`` (a one-bit select) gives ``("x", 3)``, and a one-bit
variable without range gives index ``None``. Escaped identifiers are opaque: the gate-level name
``\\dpath.a_lt_b$in1[9]`` is the one-bit variable ``"dpath.a_lt_b$in1[9]"`` with index ``None``.
A multi-bit variable declared without a range is taken as ``[size-1:0]``. When two different id
codes declare the same key, the first declaration wins; several variables sharing one id code
(aliases, e.g. a port and the net it connects to) all get the same counts.

VCD
---
The header is parsed here (scopes, variables, timescale; unknown ``$`` sections such as
``$attrbegin`` are skipped) and the value-change body by a streaming scanner written for speed:
it reads the (optionally gzip-compressed; recognised by its magic bytes) file in 1 MiB chunks,
splits each chunk into whitespace-separated tokens with NumPy, maps identifier codes to bit
slots through a dense table (codes of up to three characters, i.e. files of up to 857,375
codes) or a 64-bit hash and binary search, expands vector values per bit (left-extended per
the VCD rules: 0, X and Z extend with themselves, 1 extends with 0; extra leading digits are
dropped) and accumulates toggles and time-at-1 per bit with sorted segment reductions. Memory is
bounded by the number of declared variables, the chunk size and a cap on the bit events handled
at once, not by the file length (about 110 MiB for a 20,000-net dump of any length; on glibc
the allocator is told to keep freed memory during the read, see :func:`_allocator_kept`). Real,
event and string variables are recognised and ignored. ``$comment`` sections inside the body
are skipped; ``$dumpvars``/``$dumpall``/``$dumpon``/``$dumpoff`` need no special handling (a
``$dumpoff`` writes X, which by the definition above neither toggles nor counts as high).
Malformed input (bad timescale, truncated header, unknown identifier code, bad value or
timestamp, time going backwards) raises :class:`ActivityError` with the line number.

Why not pywellen for VCD: pywellen 0.25.7 merges bit-blasted variables (``x[9]``, ``x[8]``, ...
declared as separate one-bit variables, as in every gate-level netlist dump) into vectors
without exposing their indices (upstream ekiwi/wellen issue #93), so the nets could not be matched
by name.

FST
---
Values come from pywellen (``pywellen.Waveform(path, stream_only=True).stream_changes``), which
calls back into Python once per value change; the changes are decoded to bits in NumPy batches.
FST is therefore read more slowly than VCD: about half a million value changes per second, of
which pywellen's own callback loop takes about half. pywellen applies the merging described
above to FST files too and does not expose declared ranges, so the names, declared ranges
(``[0:7]`` included) and aliases are read here from the FST hierarchy block (gzip, as Icarus
writes it, or LZ4 / LZ4-twice, as Verilator writes it; the small LZ4 block decoder is in this
module) and matched to pywellen's variables in declaration order: a variable whose signal is an
FST handle maps to that handle; a merged one (a derived signal) maps to the run of one-bit
declarations it was built from, its bit ``k`` (LSB first) being the declaration with the
``k``-th lowest index. Anything that does not match raises :class:`ActivityError` rather than
guessing, so an FST file gives the same keys and counts as the VCD of the same run. (pywellen
0.25.7 silently drops exceptions raised inside a ``stream_changes`` callback; the callback here
records them and they are re-raised.)
"""

from __future__ import annotations

import contextlib
import ctypes
import gzip
import math
import os
import re
import struct
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import IO, Any

import numpy as np

from . import files

#: Largest VCD/FST file :func:`read_activity` opens (it streams VCD at some 100 MB/s, so this is
#: a few minutes of reading). The limit is on the file as stored: a gzip-compressed VCD is
#: streamed too, so its expanded size costs time, not memory.
MAX_ACTIVITY_BYTES = 16 << 30

__all__ = ["Activity", "ActivityError", "Key", "read_activity"]

Key = tuple[tuple[str, ...], str, int | None]

#: Bytes of the (decompressed) body read per chunk.
_CHUNK = 1 << 20
#: Bit events handed to the tracker at once (bounds memory when wide vectors change).
_BATCH = 1 << 20
#: Keep freed memory in glibc's heap while reading (see :func:`_allocator_kept`).
_TUNE_MALLOC = True
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)

_TIME_UNITS = {"s": 0, "ms": -3, "us": -6, "ns": -9, "ps": -12, "fs": -15, "as": -18}
_TIMESCALE_RE = re.compile(r"^\s*(\d+)\s*([a-z]+)\s*$")
_TOKEN_RE = re.compile(rb"\S+")
# A trailing bit select or range, e.g. "[3]", "[7:0]", "[ 0 : 7 ]", "[-1:0]".
_INDEX_RE = re.compile(rb"^\[\s*(-?\d+)\s*(?::\s*(-?\d+)\s*)?\]$")
_TRAILING_INDEX_RE = re.compile(rb"^(.+?)(\[\s*-?\d+\s*(?::\s*-?\d+\s*)?\])$", re.DOTALL)
# VCD variable types whose values are not bit vectors.
_NON_BIT_TYPES = {b"real", b"realtime", b"shortreal", b"real_parameter", b"event", b"string"}

# Value characters: 0 -> 0, 1 -> 1, unknown (x, z, std_logic letters) -> 2, anything else -> 3.
_VALUE_CODE = np.full(256, 3, dtype=np.int8)
_VALUE_CODE[ord("0")] = 0
_VALUE_CODE[ord("1")] = 1
for _c in b"xXzZuUwWlLhH-":
    _VALUE_CODE[_c] = 2
# Token kinds by first character (for tokens that are not identifier codes).
_K_SCALAR, _K_TIME, _K_VECTOR, _K_REAL, _K_KEYWORD, _K_BAD = 0, 1, 2, 3, 4, 5
_KIND = np.full(256, _K_BAD, dtype=np.int8)
for _c in b"01xXzZuUwWlLhH-":
    _KIND[_c] = _K_SCALAR
_KIND[ord("#")] = _K_TIME
_KIND[ord("b")] = _KIND[ord("B")] = _K_VECTOR
for _c in b"rRsS":  # reals and strings: value, then identifier code; ignored
    _KIND[_c] = _K_REAL
_KIND[ord("$")] = _K_KEYWORD
_PAIRED = (_KIND == _K_VECTOR) | (_KIND == _K_REAL)
# Blanks every byte except newlines (to skip $comment sections but keep line numbers).
_BLANK = bytes(10 if b == 10 else 32 for b in range(256))
_COMMENT_RE = re.compile(rb"(?<![^\s])\$comment(?![^\s])")
_END_RE = re.compile(rb"(?<![^\s])\$end(?![^\s])")
_MASK64 = (1 << 64) - 1
# FST variable types without bit values: event, real, real parameter, realtime, string, shortreal
_FST_NON_BIT_TYPES = {0, 3, 4, 20, 21, 29}


class ActivityError(ValueError):
    """A waveform could not be read; the message names the file and the problem."""


@dataclass(frozen=True)
class Activity:
    """Switching activity of every bit of every variable inside one scope of a waveform.

    Attributes
    ----------
    path : str
        The waveform file as given to :func:`read_activity`.
    scope : tuple of str
        The selected scope, e.g. ``("gcd_tb", "gcd1")``.
    timescale : float
        Seconds per time tick of the file.
    start, end : int
        The window in ticks; the value at ``start`` is the baseline.
    bits : Mapping
        ``(subscope, name, index) -> toggles`` inside the window (see the module docstring).
    high : Mapping
        Same keys -> ticks the bit spent at 1 inside the window.
    transitions : Mapping
        Same keys -> transitions inside the window counted as OpenSTA's ``read_vcd`` counts
        them: every change of the written value after the bit's first value, a change between
        0 and 1 as 1, a change to or from X/Z as 1/2 (``0 -> x -> 1`` is 1, ``0 -> x -> 0``
        too); empty when not computed.
    """

    path: str
    scope: tuple[str, ...]
    timescale: float
    start: int
    end: int
    bits: Mapping[Key, int]
    high: Mapping[Key, int]
    transitions: Mapping[Key, float] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        """Window duration in seconds, ``(end - start) * timescale``."""
        return (self.end - self.start) * self.timescale

    def toggles(self, subscope: Iterable[str], name: str, index: int | None) -> int | None:
        """Toggle count of one bit.

        Parameters
        ----------
        subscope : iterable of str
            Scope path relative to :attr:`scope` (``()`` for the scope itself).
        name : str
            Variable name as declared, without escape backslash.
        index : int or None
            Absolute bit index, or None for a one-bit variable declared without range.

        Returns
        -------
        int or None
            Toggles inside the window, or None when the bit was not dumped.
        """
        return self.bits.get((tuple(subscope), name, index))

    def scopes(self) -> set[tuple[str, ...]]:
        """Sub-scopes (relative to :attr:`scope`) that hold at least one dumped bit.

        Returns
        -------
        set of tuple of str
            ``()`` stands for the selected scope itself.
        """
        return {key[0] for key in self.bits}


def read_activity(
    path: str | os.PathLike[str],
    scope: str,
    *,
    start: float | None = None,
    end: float | None = None,
    include_subscopes: bool = True,
) -> Activity:
    """Count toggles and time at 1 of every bit inside ``scope`` of a VCD or FST file.

    Parameters
    ----------
    path : str or path-like
        A ``.vcd``, gzip-compressed ``.vcd.gz`` or ``.fst`` file (recognised by content).
    scope : str
        Dot- or slash-separated scope path, e.g. ``"gcd_tb/gcd1"`` or ``"gcd_tb.gcd1"``. When
        the string contains a slash only slashes separate (so scope names with dots can be
        given); an empty string selects the whole file.
    start, end : float, optional
        Window in seconds (None: from the first / to the last timestamp of the file).
    include_subscopes : bool, default True
        Also track variables in scopes below ``scope``.

    Returns
    -------
    Activity
        Toggle counts and time at 1 per bit, with the window.

    Raises
    ------
    ActivityError
        The file is missing, unreadable, not a VCD/FST or malformed (with the line number for
        VCD); the scope is not in the file (the message lists scopes at the nearest level);
        the window is empty or not inside the dump.
    """
    shown = str(path)
    for what, value in (("start", start), ("end", end)):
        if value is not None and not (isinstance(value, (int, float))
                                      and not isinstance(value, bool) and math.isfinite(value)):
            raise ActivityError(f"window {what} must be a finite time in seconds, not {value!r}")
    parts = _split_scope(scope)
    if os.path.isdir(path):
        raise ActivityError(f"{shown} is a directory, not a VCD or FST file")
    try:
        files.input_file(path, "activity file", max_bytes=MAX_ACTIVITY_BYTES)
    except files.InputFileError as exc:
        raise ActivityError(str(exc)) from None
    try:
        with open(path, "rb") as raw:
            magic = raw.read(16)
    except OSError as exc:
        raise ActivityError(f"cannot read {shown}: {exc.strerror or exc}") from None
    with _allocator_kept():
        if magic[:2] == b"\x1f\x8b":
            return _VcdReader(shown, parts, start, end, include_subscopes, gzipped=True).run()
        if _looks_like_fst(magic):
            return _read_fst(shown, parts, start, end, include_subscopes)
        if magic.lstrip()[:1] == b"$":
            return _VcdReader(shown, parts, start, end, include_subscopes, gzipped=False).run()
    raise ActivityError(f"{shown} is not a VCD or FST file: {files.describe_head(magic)}")


@contextlib.contextmanager
def _allocator_kept() -> Iterator[None]:
    """On glibc, keep freed memory in the heap while reading; give it back afterwards.

    Every chunk allocates and frees some 40 MB of NumPy temporaries. With glibc's default
    thresholds that memory goes back to the kernel after each chunk and is faulted in (zeroed)
    again for the next one, which doubled the run time (half of it system time) in the benchmark.
    Raising ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD`` for the duration of a read avoids it;
    afterwards both are set back to glibc's documented defaults (128 KiB; this leaves glibc's
    dynamic adjustment of the mmap threshold off) and the heap is trimmed. Elsewhere: no-op.
    """
    libc = None
    if _TUNE_MALLOC and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None)
            libc.mallopt(_M_MMAP_THRESHOLD, 64 << 20)
            libc.mallopt(_M_TRIM_THRESHOLD, 256 << 20)
        except (OSError, AttributeError):
            libc = None
    try:
        yield
    finally:
        if libc is not None:
            libc.mallopt(_M_TRIM_THRESHOLD, 128 << 10)
            libc.mallopt(_M_MMAP_THRESHOLD, 128 << 10)
            if hasattr(libc, "malloc_trim"):
                libc.malloc_trim(0)


# ---------------------------------------------------------------------------------------------
# shared pieces


def _split_scope(scope: str) -> tuple[str, ...]:
    sep = "/" if "/" in scope else "."
    return tuple(part for part in scope.split(sep) if part)


def _printable(text: str | bytes, limit: int = 60) -> str:
    """``text`` for an error message: one line, control characters and bad bytes escaped."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    out = "".join(c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF
                  else c.encode("utf-8", "surrogateescape").decode("latin-1")
                  .encode("unicode_escape").decode("ascii") for c in text)
    return out if len(out) <= limit else out[:limit] + "..."


def _scope_error(path: str, parts: tuple[str, ...], scopes: set[tuple[str, ...]]) -> ActivityError:
    """The 'scope not found' error, listing up to 10 scopes at the deepest matching level."""
    level = ()
    for depth in range(len(parts) - 1, 0, -1):
        if parts[:depth] in scopes:
            level = parts[:depth]
            break
    children = sorted({s[len(level)] for s in scopes if len(s) > len(level) and s[: len(level)]
                       == level})
    listed = ", ".join(_printable(c) for c in children[:10]) or "(none)"
    if len(children) > 10:
        listed += f", ... ({len(children) - 10} more)"
    where = f"scopes under {'/'.join(level)}" if level else "top-level scopes"
    if level:
        where = f"scopes under {_printable('/'.join(level))}"
    return ActivityError(f"scope {_printable('/'.join(parts), 200)} is not in {path}; {where}: "
                         f"{listed}")


def _to_ticks(seconds: float, timescale: float) -> int:
    return int(round(seconds / timescale))


def _seconds(ticks: int, timescale: float) -> str:
    return f"{ticks * timescale:.6g} s"


def _bit_indices(msb: int | None, lsb: int | None, size: int) -> list[int | None]:
    """Indices of a variable's bits in value order (leftmost value character first)."""
    if msb is None or lsb is None:
        return [None] if size == 1 else list(range(size - 1, -1, -1))
    step = -1 if msb >= lsb else 1
    return list(range(msb, lsb + step, step))


def _parse_ref(tokens: list[bytes], size: int) -> tuple[str, list[int | None]] | None:
    """Split a variable reference into its name and the indices of its bits.

    Parameters
    ----------
    tokens : list of bytes
        The reference's whitespace-separated pieces, e.g. ``[b"x", b"[7:0]"]``.
    size : int
        Declared width.

    Returns
    -------
    tuple or None
        ``(name, indices)`` with indices in value order, or None if the range contradicts
        the size or the reference is malformed.
    """
    first = tokens[0]
    if len(tokens) == 1 and (first.startswith(b"\\") or not first.endswith(b"]")):
        name = first[1:] if first.startswith(b"\\") else first  # the common case: no range
        if not name:
            return None
        return name.decode("utf-8", "surrogateescape"), _bit_indices(None, None, size)
    if first.startswith(b"\\"):  # escaped identifier: opaque, only a separate range follows
        name, rest = first[1:], b"".join(tokens[1:])
    else:
        joined = b"".join(tokens)
        match = _TRAILING_INDEX_RE.match(joined)
        name, rest = (match.group(1), match.group(2)) if match else (joined, b"")
    if not name:
        return None
    text = name.decode("utf-8", "surrogateescape")
    if not rest:
        return text, _bit_indices(None, None, size)
    match = _INDEX_RE.match(rest)
    if match is None:
        return None
    msb = int(match.group(1))
    lsb = int(match.group(2)) if match.group(2) is not None else None
    if lsb is None:
        if size == 1:
            return text, [msb]
        # e.g. an array word "mem[3]" of 8 bits: the select belongs to the name
        return text + rest.decode("ascii"), _bit_indices(None, None, size)
    if abs(msb - lsb) + 1 != size:
        return None
    return text, _bit_indices(msb, lsb, size)


@dataclass
class _Decl:
    """One tracked variable: its relative scope, name, bit indices and signal."""

    rel: tuple[str, ...]
    name: str
    indices: list[int | None]
    signal: int  # index into the reader's signal table


class _Tracker:
    """Per-bit state and accumulators, fed with batches of bit events in file order."""

    def __init__(self, nslots: int) -> None:
        # current value 0/1/2 (unknown); -1 before the bit's first value
        self.cur = np.full(nslots, -1, dtype=np.int8)
        self.known = np.full(nslots, 2, dtype=np.int8)  # last known 0/1, 2 = none yet
        self.toggles = np.zeros(nslots, dtype=np.int64)
        # OpenSTA-style transitions in halves: 2 per 0<->1 change, 1 per change to/from X/Z
        self.halves = np.zeros(nslots, dtype=np.int64)
        self.acc = np.zeros(nslots, dtype=np.int64)  # sum of max(t, start) * d(is 1)

    def feed(self, slot: np.ndarray, t: np.ndarray, v: np.ndarray, start: int) -> None:
        """Apply bit events given in file order.

        Parameters
        ----------
        slot, t, v : numpy.ndarray
            Bit slot, time (ticks; -1 before the first timestamp) and value (0, 1, 2 = unknown)
            of each event.
        start : int
            Window start: only transitions after it count; time at 1 is counted from it.
        """
        if slot.size == 0:
            return
        order = _stable_order(slot, self.cur.size)
        s, t, v = slot[order], t[order], v[order]
        n = s.size
        first = np.empty(n, dtype=bool)
        first[0] = True
        np.not_equal(s[1:], s[:-1], out=first[1:])
        last = np.empty(n, dtype=bool)
        last[-1] = True
        last[:-1] = first[1:]
        heads = s[first]
        # time at 1: high = end * is1(end) - sum(max(t, start) * (is1 - was1))
        prev = np.empty(n, dtype=np.int8)
        prev[1:] = v[:-1]
        prev[first] = self.cur[heads]
        delta = (v == 1).view(np.int8) - (prev == 1).view(np.int8)
        nz = np.flatnonzero(delta)
        if nz.size:
            _add_sorted(self.acc, s[nz], np.maximum(t[nz], start) * delta[nz])
        self.cur[s[last]] = v[last]
        # toggles: transitions between successive known values, after start
        if v.max() < 2 and prev.max() < 2 and prev.min() >= 0:
            # every value and every previous value known: the previous value is the last known
            tog = np.flatnonzero((prev != v) & (t > start))
            if tog.size:
                _add_sorted(self.halves, s[tog], np.full(tog.size, 2, dtype=np.int64))
        else:
            # changes of the written value (X and Z alike) after the bit's first value
            ch = np.flatnonzero((prev != v) & (prev >= 0) & (t > start))
            if ch.size:
                both_known = (prev[ch] < 2) & (v[ch] < 2)
                _add_sorted(self.halves, s[ch], 1 + both_known.astype(np.int64))
            k = np.flatnonzero(v < 2)
            s, t, v = s[k], t[k], v[k]
            n = s.size
            if n == 0:
                return
            first = np.empty(n, dtype=bool)
            first[0] = True
            np.not_equal(s[1:], s[:-1], out=first[1:])
            last = np.empty(n, dtype=bool)
            last[-1] = True
            last[:-1] = first[1:]
            prev = np.empty(n, dtype=np.int8)
            prev[1:] = v[:-1]
            prev[first] = self.known[s[first]]
            tog = np.flatnonzero((prev != v) & (prev < 2) & (t > start))
        if tog.size:
            _add_sorted(self.toggles, s[tog], None)
        self.known[s[last]] = v[last]

    def result(self, decls: list[_Decl], base: np.ndarray, end: int
               ) -> tuple[dict[Key, int], dict[Key, int], dict[Key, float]]:
        """Toggles, time at 1 and OpenSTA-style transitions per key, window ending at ``end``."""
        high = end * (self.cur == 1).astype(np.int64) - self.acc
        toggles = self.toggles.tolist()
        high_list = high.tolist()
        trans = (self.halves / 2.0).tolist()
        bits: dict[Key, int] = {}
        highs: dict[Key, int] = {}
        transitions: dict[Key, float] = {}
        for decl in decls:
            slot0 = int(base[decl.signal])
            for offset, index in enumerate(decl.indices):
                key = (decl.rel, decl.name, index)
                if key not in bits:
                    bits[key] = toggles[slot0 + offset]
                    highs[key] = high_list[slot0 + offset]
                    transitions[key] = trans[slot0 + offset]
        return bits, highs, transitions


def _stable_order(slot: np.ndarray, nslots: int) -> np.ndarray:
    """Stable argsort of slot numbers (radix sort on 16-bit digits)."""
    if nslots <= 1 << 16:
        return np.argsort(slot.astype(np.uint16), kind="stable")
    low = np.argsort((slot & 0xFFFF).astype(np.uint16), kind="stable")
    if nslots > 1 << 32:  # pragma: no cover - four billion bits
        return np.argsort(slot, kind="stable")
    high = np.argsort((slot[low] >> 16).astype(np.uint16), kind="stable")
    return low[high]


def _add_sorted(acc: np.ndarray, idx: np.ndarray, weights: np.ndarray | None) -> None:
    """``acc[idx] += weights`` (or ``+= 1``) for an index array sorted ascending."""
    n = idx.size
    bounds = np.flatnonzero(idx[1:] != idx[:-1]) + 1
    starts = np.concatenate(([0], bounds))
    if weights is None:
        acc[idx[starts]] += np.diff(np.concatenate((starts, [n])))
    else:
        acc[idx[starts]] += np.add.reduceat(weights, starts)


def _window(path: str, timescale: float, first: int | None, last: int | None,
            start: int | None, end: int | None) -> tuple[int, int]:
    """Resolve and check the window against the dump's time range."""
    if first is None or last is None:
        raise ActivityError(f"{path} has no timestamps in its value changes")
    start_t = first if start is None else start
    end_t = last if end is None else end
    if start_t >= end_t:
        raise ActivityError(
            f"empty window for {path}: start {_seconds(start_t, timescale)} >= end "
            f"{_seconds(end_t, timescale)} (ticks {start_t} >= {end_t})")
    if start_t < first or end_t > last:
        raise ActivityError(
            f"window [{_seconds(start_t, timescale)}, {_seconds(end_t, timescale)}] is outside "
            f"the dump of {path}, which covers [{_seconds(first, timescale)}, "
            f"{_seconds(last, timescale)}] (ticks {first}..{last}, window {start_t}..{end_t})")
    return start_t, end_t


# ---------------------------------------------------------------------------------------------
# VCD


class _VcdReader:
    """One pass over a VCD file: header, then the value-change body in chunks."""

    def __init__(self, path: str, parts: tuple[str, ...], start: float | None,
                 end: float | None, include_subscopes: bool, *, gzipped: bool) -> None:
        self.path = path
        self.parts = parts
        self.start_s = start
        self.end_s = end
        self.include_subscopes = include_subscopes
        self.gzipped = gzipped

    # -- driver --------------------------------------------------------------------------------

    def run(self) -> Activity:
        try:
            stream: IO[bytes] = (gzip.open(self.path, "rb") if self.gzipped
                                 else open(self.path, "rb"))
        except OSError as exc:
            raise ActivityError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        try:
            with stream:
                rest, line = self._header(stream)
                self._setup()
                self._body(stream, rest, line)
        except (OSError, EOFError, zlib.error) as exc:
            raise ActivityError(f"cannot read {self.path}: {exc}") from None
        start, end = _window(self.path, self.timescale, self.first_time, self.last_time,
                             self.start, self.end)
        bits, high, trans = self.tracker.result(self.decls, self.base, end)
        return Activity(self.path, self.parts, self.timescale, start, end,
                        MappingProxyType(bits), MappingProxyType(high), MappingProxyType(trans))

    def _error(self, line: int, message: str) -> ActivityError:
        return ActivityError(f"{self.path}:{line}: {message}")

    # -- header --------------------------------------------------------------------------------

    def _header(self, stream: IO[bytes]) -> tuple[bytes, int]:
        """Parse up to ``$enddefinitions $end``; return the rest of that line and its number."""
        self.timescale: float | None = None
        self.scopes: set[tuple[str, ...]] = set()
        # id code -> (size, first line); tracked: list of (scope, ref tokens, size, id, line)
        self.ids: dict[bytes, tuple[int, int]] = {}
        self.vars: list[tuple[tuple[str, ...], list[bytes], int, bytes, int]] = []
        stack: list[str] = []
        command: bytes | None = None
        args: list[bytes] = []
        command_line = 0
        line_no = 0
        for line in iter(stream.readline, b""):
            line_no += 1
            if b"\0" in line:
                raise self._error(line_no, "binary data (NUL bytes) in the header: not a VCD "
                                           "file, or a corrupt one")
            if command is None and b"$enddefinitions" not in line:
                tokens = line.split()
                # fast path: a line that holds exactly one whole command, e.g. a $var
                if (tokens and tokens[-1] == b"$end" and tokens[0][:1] == b"$"
                        and tokens[0] != b"$end" and b"$end" not in tokens[1:-1]):
                    self._command(tokens[0], tokens[1:-1], line_no, stack)
                    continue
            for match in _TOKEN_RE.finditer(line):
                token = match.group()
                if command is None:
                    if not token.startswith(b"$") or token == b"$end":
                        shown_token = token[:40].decode("utf-8", "replace")
                        raise self._error(line_no, f"unexpected {shown_token!r} in the header")
                    command, args, command_line = token, [], line_no
                    continue
                if token != b"$end":
                    args.append(token)
                    continue
                if command == b"$enddefinitions":
                    if self.timescale is None:
                        raise self._error(command_line, "no $timescale before $enddefinitions")
                    return line[match.end():], line_no
                self._command(command, args, command_line, stack)
                command = None
        where = f"inside {_printable(command, 40)}" if command else "in the header"
        raise self._error(line_no, f"truncated header: end of file {where} before "
                                   "$enddefinitions")

    def _command(self, command: bytes, args: list[bytes], line: int, stack: list[str]) -> None:
        if command == b"$scope":
            if not args:
                raise self._error(line, "$scope without a name")
            name = b" ".join(args[1:] if len(args) > 1 else args)
            if name.startswith(b"\\"):
                name = name[1:]
            stack.append(name.decode("utf-8", "surrogateescape"))
            self.scopes.add(tuple(stack))
        elif command == b"$upscope":
            if not stack:
                raise self._error(line, "$upscope without an open $scope")
            stack.pop()
        elif command == b"$var":
            if len(args) < 4:
                raise self._error(line, f"malformed $var: {b' '.join(args)[:80]!r}")
            try:
                size = int(args[1])
            except ValueError:
                raise self._error(line, f"bad $var size {args[1][:20]!r}") from None
            if size < 1:
                raise self._error(line, f"bad $var size {size}")
            code = args[2]
            if args[0].lower() in _NON_BIT_TYPES:
                size = 0  # known identifier code, but its values are ignored
            seen = self.ids.get(code)
            if seen is None:
                self.ids[code] = (size, line)
            elif seen[0] != size and size and seen[0]:
                raise self._error(line, f"identifier code {code.decode(errors='replace')!r} "
                                        f"declared with {size} bits, and {seen[0]} at line "
                                        f"{seen[1]}")
            if size:
                self.vars.append((tuple(stack), args[3:], size, code, line))
        elif command == b"$timescale":
            text = b" ".join(args).decode("ascii", "replace")
            match = _TIMESCALE_RE.match(text)
            if (match is None or match.group(2) not in _TIME_UNITS
                    or int(match.group(1)) == 0):
                raise self._error(line, f"bad timescale {text!r}")
            self.timescale = float(f"{int(match.group(1))}e{_TIME_UNITS[match.group(2)]}")
        # $date, $version, $comment, $attrbegin and other sections carry nothing needed here

    def _setup(self) -> None:
        """Select the tracked variables, allocate bit slots and the id-code lookup."""
        parts = self.parts
        if parts and parts not in self.scopes:
            raise _scope_error(self.path, parts, self.scopes)
        depth = len(parts)
        signal_of: dict[bytes, int] = {}
        widths: list[int] = []
        self.decls: list[_Decl] = []
        for scope, ref, size, code, line in self.vars:
            if scope[:depth] != parts or (not self.include_subscopes and len(scope) != depth):
                continue
            parsed = _parse_ref(ref, size)
            if parsed is None:
                raise self._error(line, f"malformed $var reference {b' '.join(ref)[:80]!r} "
                                        f"for {size} bits")
            signal = signal_of.get(code)
            if signal is None:
                signal = signal_of[code] = len(widths)
                widths.append(size)
            self.decls.append(_Decl(scope[depth:], parsed[0], parsed[1], signal))
        self.width = np.array(widths, dtype=np.int64)
        self.base = np.concatenate(([0], np.cumsum(self.width)[:-1])).astype(np.int64)
        self.tracker = _Tracker(int(self.width.sum()))
        # identifier code -> signal (or -1) by a 64-bit polynomial hash; exact below 10 chars
        codes = list(self.ids)
        hashes = np.array([_hash_code(c) for c in codes], dtype=np.uint64)
        order = np.argsort(hashes)
        self.code_hash = hashes[order]
        if np.any(self.code_hash[1:] == self.code_hash[:-1]):  # pragma: no cover - 2**-64
            raise ActivityError(f"{self.path}: identifier codes collide in the hash")
        sig = np.array([signal_of.get(c, -1) for c in codes], dtype=np.int64)
        self.code_signal = sig[order]
        self.max_code_len = max((len(c) for c in codes), default=1)
        self.code_table: np.ndarray | None = None
        if self.max_code_len <= 3:  # at most 95**3 entries: index by the code's value
            self.code_table = np.full(95 ** self.max_code_len, -2, dtype=np.int32)
            self.code_table[hashes.astype(np.int64)] = sig
        self.start = None if self.start_s is None else _to_ticks(self.start_s, self.timescale)
        self.end = None if self.end_s is None else _to_ticks(self.end_s, self.timescale)
        self.first_time: int | None = None
        self.last_time: int | None = None
        self.time = -1  # time of events before the first timestamp
        self.pre_events = False  # events seen before the start was known

    # -- body ----------------------------------------------------------------------------------

    def _body(self, stream: IO[bytes], pending: bytes, line: int) -> None:
        """Stream the value changes; ``line`` is the line number where ``pending`` starts."""
        self.line0 = line - 1  # newlines before the current buffer
        eof = False
        while True:
            if eof:
                buf = pending
            else:
                data = stream.read(_CHUNK)
                eof = not data
                buf = pending + data if pending else data
            if eof:
                cut = len(buf)
            else:
                cut = buf.rfind(b"\n") + 1
                if cut == 0:
                    cut = max(buf.rfind(b" "), buf.rfind(b"\t"), buf.rfind(b"\r")) + 1
                if cut == 0:
                    pending = buf
                    continue
            used, stop = self._chunk(buf, cut, eof)
            self.line0 += buf.count(b"\n", 0, used)
            pending = buf[used:]
            if stop:
                return
            if eof:
                if pending.strip():
                    raise self._error(self.line0 + 1,
                                      f"unexpected end of file after {pending.strip()[:40]!r}")
                return

    def _line_of(self, buf: bytes, pos: int) -> int:
        return self.line0 + buf.count(b"\n", 0, pos) + 1

    def _chunk(self, buf: bytes, cut: int, eof: bool) -> tuple[int, bool]:
        """Process ``buf[:cut]``; return the bytes consumed and whether to stop reading."""
        if b"$comment" in buf[:cut]:
            buf, cut = self._blank_comments(buf, cut, eof)
        arr = np.frombuffer(buf, dtype=np.uint8, count=cut)
        # token boundaries: where "printable" starts and stops
        solid = np.empty(cut + 2, dtype=bool)
        solid[0] = solid[-1] = False
        np.greater(arr, 32, out=solid[1:-1])
        edges = np.flatnonzero(solid[1:] != solid[:-1])
        starts, ends = edges[0::2], edges[1::2]
        ntok = starts.size
        if ntok == 0:
            return cut, False
        lead = arr[starts]
        kind = _KIND[lead]
        # Vector, real and string values are followed by their identifier code. In a run of
        # consecutive tokens starting with b/r/s the even ones are values, the odd ones codes.
        paired = np.flatnonzero(_PAIRED[lead])
        if paired.size:
            run_start = np.ones(paired.size, dtype=bool)
            run_start[1:] = paired[1:] != paired[:-1] + 1
            first = np.maximum.accumulate(np.where(run_start, paired, 0))
            values = paired[(paired - first) % 2 == 0]
            if values[-1] == ntok - 1:  # its identifier code is not in this chunk yet
                if eof:
                    raise self._error(self._line_of(buf, int(starts[-1])),
                                      "value change without identifier code at end of file")
                cut = int(starts[-1])
                ntok -= 1
                values = values[:-1]
                starts, ends, kind = starts[:ntok], ends[:ntok], kind[:ntok]
                if ntok == 0:
                    return cut, False
            kind[values + 1] = -1  # identifier codes
        else:
            values = paired
        if (kind == _K_BAD).any():
            at = int(starts[np.flatnonzero(kind == _K_BAD)[0]])
            raise self._error(self._line_of(buf, at),
                              f"unexpected token {buf[at:at + 40].split()[0]!r}")
        # timestamps
        is_time = kind == _K_TIME
        time_tok = np.flatnonzero(is_time)
        stop = False
        limit = ntok
        if time_tok.size:
            times = self._parse_times(arr, buf, starts[time_tok], ends[time_tok])
            if self.time >= 0 and times[0] < self.time:
                raise self._error(self._line_of(buf, int(starts[time_tok[0]])),
                                  f"time goes backwards to #{int(times[0])}")
            back = np.flatnonzero(times[1:] < times[:-1])
            if back.size:
                raise self._error(self._line_of(buf, int(starts[time_tok[back[0] + 1]])),
                                  f"time goes backwards to #{int(times[back[0] + 1])}")
            if self.first_time is None:
                self.first_time = int(times[0])
                if self.start is None:
                    self.start = self.first_time
                if self.pre_events:  # events before the first timestamp are at the start
                    self.tracker.acc += self.start * (self.tracker.cur == 1)
            if self.end is not None and times[-1] > self.end:
                over = int(np.argmax(times > self.end))
                self.last_time = int(times[over])
                limit = int(time_tok[over])  # tokens from here on are after the window
                stop = True
            else:
                self.last_time = int(times[-1])
            # time of every token: the last timestamp at or before it (index 0: carried)
            stamp = np.empty(times.size + 1, dtype=np.int64)
            stamp[0] = self.time
            stamp[1:] = times
            token_time = stamp[np.cumsum(is_time[:limit])]
            self.time = int(times[-1])
        else:
            token_time = None
        # value changes on bit variables: scalar "1!" and vector "b1010 !"
        scalar = np.flatnonzero(kind[:limit] == _K_SCALAR)
        vector = values[values < limit]
        vector_kind = kind[vector]
        real = vector[vector_kind == _K_REAL]
        if real.size:  # only check that their identifier codes are declared
            self._lookup(arr, buf, starts[real + 1], ends[real + 1])
        vector = vector[vector_kind == _K_VECTOR]
        if vector.size:  # both kinds in file order
            tok = np.concatenate((scalar, vector))
            order = np.argsort(tok, kind="stable")
            tok = tok[order]
            is_vec = np.zeros(tok.size, dtype=bool)
            is_vec[scalar.size:] = True
            is_vec = is_vec[order]
            cstart = np.where(is_vec, starts[np.minimum(tok + 1, ntok - 1)], starts[tok] + 1)
            cend = np.where(is_vec, ends[np.minimum(tok + 1, ntok - 1)], ends[tok])
            dstart = np.where(is_vec, starts[tok] + 1, starts[tok])
            ndig = np.where(is_vec, ends[tok] - starts[tok] - 1, 1)
        else:
            tok = scalar
            cstart = starts[tok] + 1
            cend = ends[tok]
            dstart = starts[tok]
            ndig = None
        signal = self._lookup(arr, buf, cstart, cend)
        keep = signal >= 0
        if not keep.all():
            tok, signal, dstart = tok[keep], signal[keep], dstart[keep]
            if ndig is not None:
                ndig = ndig[keep]
        if tok.size:
            if token_time is None:
                ev_time = np.full(tok.size, self.time, dtype=np.int64)
            else:
                ev_time = token_time[tok]
            self._events(arr, buf, signal, ev_time, dstart, ndig)
        return cut, stop

    def _blank_comments(self, buf: bytes, cut: int, eof: bool) -> tuple[bytes, int]:
        """Replace ``$comment ... $end`` sections before ``cut`` by blanks (newlines kept)."""
        out = bytearray(buf)
        pos = 0
        while True:
            match = _COMMENT_RE.search(out, pos, cut)
            if match is None:
                return bytes(out), cut
            end = _END_RE.search(out, match.end(), cut)
            if end is None:
                if eof:
                    raise self._error(self._line_of(buf, match.start()),
                                      "unterminated $comment")
                return bytes(out), match.start()  # finish it with the next chunk
            out[match.start():end.end()] = out[match.start():end.end()].translate(_BLANK)
            pos = end.end()

    def _parse_times(self, arr: np.ndarray, buf: bytes, s: np.ndarray, e: np.ndarray
                     ) -> np.ndarray:
        digits = e - s - 1
        width = int(digits.max())
        if digits.min() < 1 or width > 18:
            bad = int(np.flatnonzero((digits < 1) | (digits > 18))[0])
            raise self._error(self._line_of(buf, int(s[bad])),
                              f"bad timestamp {buf[int(s[bad]):int(e[bad])][:40]!r}")
        value = np.zeros(s.size, dtype=np.int64)
        for k in range(width):
            ok = digits > k
            d = arr[np.minimum(s + 1 + k, arr.size - 1)].astype(np.int64) - 48
            wrong = ok & ((d < 0) | (d > 9))
            if wrong.any():
                bad = int(np.flatnonzero(wrong)[0])
                raise self._error(self._line_of(buf, int(s[bad])),
                                  f"bad timestamp {buf[int(s[bad]):int(e[bad])][:40]!r}")
            value = np.where(ok, value * 10 + d, value)
        return value

    def _lookup(self, arr: np.ndarray, buf: bytes, s: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Signal index (or -1 when untracked) of each identifier code ``buf[s:e]``."""
        if s.size == 0:
            return np.zeros(0, dtype=np.int64)
        length = e - s
        longest = int(length.max())
        if self.code_table is not None and longest <= self.max_code_len:
            # dense table indexed by the code's value in bijective base 95
            h = arr[s].astype(np.int32) - 32
            for k in range(1, longest):
                ok = length > k
                c = arr[np.minimum(s + k, arr.size - 1)].astype(np.int32) - 32
                h = np.where(ok, h * 95 + c, h)
            signal = self.code_table[h]
            found = signal != -2
        else:
            h = np.zeros(s.size, dtype=np.uint64)
            for k in range(min(longest, self.max_code_len)):
                ok = length > k
                c = arr[np.minimum(s + k, arr.size - 1)].astype(np.uint64) - np.uint64(32)
                h = np.where(ok, h * np.uint64(95) + c, h)
            where = np.minimum(np.searchsorted(self.code_hash, h), self.code_hash.size - 1)
            found = (self.code_hash[where] == h) & (length <= self.max_code_len)
            signal = self.code_signal[where]
        if not found.all():
            bad = int(np.flatnonzero(~found)[0])
            code = buf[int(s[bad]):int(e[bad])]
            raise self._error(self._line_of(buf, int(s[bad])),
                              f"unknown identifier code {code[:40].decode(errors='replace')!r}")
        return signal

    def _events(self, arr: np.ndarray, buf: bytes, signal: np.ndarray, ev_time: np.ndarray,
                dstart: np.ndarray, ndig: np.ndarray | None) -> None:
        """Expand value changes (in file order) to bit events and feed them to the tracker."""
        width = self.width[signal]
        if ndig is None and int(width.max()) == 1:  # one-bit scalar changes only
            slot = self.base[signal]
            pos = dstart
            t = ev_time
        else:
            if ndig is None:
                ndig = np.ones(signal.size, dtype=np.int64)
            if ndig.min() < 1:
                bad = int(np.flatnonzero(ndig < 1)[0])
                raise self._error(self._line_of(buf, int(dstart[bad]) - 1),
                                  "vector value without digits")
            total = int(width.sum())
            if total > _BATCH and signal.size > 1:  # feed in parts to bound memory
                cum = np.cumsum(width)
                lo = 0
                while lo < signal.size:
                    hi = max(lo + 1, int(np.searchsorted(cum, cum[lo] - width[lo] + _BATCH,
                                                         side="right")))
                    self._events(arr, buf, signal[lo:hi], ev_time[lo:hi], dstart[lo:hi],
                                 ndig[lo:hi])
                    lo = hi
                return
            ev = np.repeat(np.arange(signal.size), width)
            offset = np.arange(total) - np.repeat(np.cumsum(width) - width, width)
            digit = offset - (width - ndig)[ev]  # < 0: left extension by the first digit
            pos = dstart[ev] + np.maximum(digit, 0)
            slot = self.base[signal][ev] + offset
            t = ev_time[ev]
        ch = arr[pos]
        v = _VALUE_CODE[ch]
        if ndig is not None:
            v[(digit < 0) & (v == 1)] = 0  # a leading 1 extends with 0
        if v.max() == 3:
            bad = int(np.flatnonzero(v == 3)[0])
            raise self._error(self._line_of(buf, int(pos[bad])),
                              f"bad value character {chr(int(ch[bad]))!r}")
        if self.start is None:  # no timestamp seen yet: all of these are baseline events
            self.pre_events = True
            self.tracker.feed(slot, t, v, 0)  # t = -1: adds nothing to acc
        else:
            self.tracker.feed(slot, t, v, self.start)


def _hash_code(code: bytes) -> int:
    h = 0
    for c in code:
        h = (h * 95 + c - 32) & _MASK64
    return h


# ---------------------------------------------------------------------------------------------
# FST


def _looks_like_fst(magic: bytes) -> bool:
    # an FST file starts with its header block: type 0 and a section length of 329
    return len(magic) >= 9 and magic[0] == 0 and struct.unpack(">Q", magic[1:9])[0] == 329


@dataclass
class _FstVar:
    scope: tuple[str, ...]
    raw: bytes  # declared name, e.g. b"q [0:3]" or b"\\a.b[1]"
    length: int
    handle: int  # 1-based FST handle
    vartype: int


def _fst_blocks(path: str) -> tuple[dict[str, int], list[_FstVar]]:
    """Header fields and declarations of an FST file."""
    try:
        with open(path, "rb") as f:
            head = f.read(330)
            if len(head) < 330:
                raise ActivityError(f"{path}: truncated FST header")
            info = {
                "start": struct.unpack(">Q", head[9:17])[0],
                "end": struct.unpack(">Q", head[17:25])[0],
                "handles": struct.unpack(">Q", head[57:65])[0],
            }
            pos = 330
            hier: tuple[int, int, bytes] | None = None
            while True:
                f.seek(pos)
                block = f.read(17)
                if len(block) < 9:
                    break
                kind = block[0]
                length = struct.unpack(">Q", block[1:9])[0]
                if length < 8:
                    raise ActivityError(f"{path}: corrupt FST block at byte {pos}")
                # hierarchy: 4 gzip, 6 LZ4, 7 LZ4 twice; after the uncompressed length
                if kind in (4, 6, 7) and len(block) == 17:
                    hier = (kind, struct.unpack(">Q", block[9:17])[0], f.read(length - 16))
                pos += 1 + length
    except OSError as exc:
        raise ActivityError(f"cannot read {path}: {exc.strerror or exc}") from None
    if hier is None:
        raise ActivityError(f"{path}: FST file without hierarchy block (an unfinished dump?)")
    kind, size, payload = hier
    try:
        if kind == 4:
            data = gzip.decompress(payload)
        elif kind == 6:
            data = _lz4_decompress(payload, size)
        else:  # varint: length after the first pass, then LZ4 of LZ4
            once, used = _varint(payload, 0)
            data = _lz4_decompress(_lz4_decompress(payload[used:], once), size)
    except (OSError, EOFError, zlib.error, ValueError, IndexError) as exc:
        raise ActivityError(f"{path}: corrupt FST hierarchy block ({exc})") from None
    return info, _parse_fst_hierarchy(path, data)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned LEB128 number at ``data[pos:]`` and the position after it."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _lz4_decompress(src: bytes, size: int) -> bytes:
    """Decode one LZ4 block (block format, no frame) of ``size`` bytes with the lz4 package."""
    import lz4.block

    try:
        return lz4.block.decompress(src, uncompressed_size=size)
    except lz4.block.LZ4BlockError as exc:
        raise ValueError(f"LZ4: {exc}") from None

def _parse_fst_hierarchy(path: str, data: bytes) -> list[_FstVar]:
    """Declarations of a decompressed FST hierarchy block, in order."""
    out: list[_FstVar] = []
    stack: list[str] = []
    pos = 0
    handles = 0

    def cstr() -> bytes:
        nonlocal pos
        end = data.index(b"\0", pos)
        text, pos = data[pos:end], end + 1
        return text

    def varint() -> int:
        nonlocal pos
        value, pos = _varint(data, pos)
        return value

    try:
        while pos < len(data):
            tag = data[pos]
            pos += 1
            if tag == 254:  # scope: type, name, component
                pos += 1
                name = cstr()
                cstr()
                if name.startswith(b"\\"):
                    name = name[1:]
                stack.append(name.decode("utf-8", "surrogateescape"))
            elif tag == 255:  # upscope
                if stack:
                    stack.pop()
            elif tag == 252:  # attribute begin: type, subtype, name, argument
                pos += 2
                cstr()
                varint()
            elif tag == 253:  # attribute end
                pass
            elif tag <= 29:  # variable: type, direction, name, length, alias
                pos += 1
                name = cstr()
                length = varint()
                alias = varint()
                if alias == 0:
                    handles += 1
                    alias = handles
                out.append(_FstVar(tuple(stack), name, length, alias, tag))
            else:
                raise ValueError(f"unknown record {tag}")
    except (ValueError, IndexError) as exc:
        raise ActivityError(f"{path}: corrupt FST hierarchy block ({exc})") from None
    return out


def _wellen_index(raw: bytes) -> tuple[bytes, int] | None:
    """Base name and bit index as pywellen sees a one-bit name: ``\\a[3]`` is bit 3 of ``\\a``."""
    match = _TRAILING_INDEX_RE.match(raw.replace(b" ", b""))
    if match is None:
        return None
    index = _INDEX_RE.match(match.group(2))
    if index is None or index.group(2) is not None:
        return None
    return match.group(1), int(index.group(1))


class _FstMap:
    """Bit slots of the tracked FST variables and, per pywellen signal, where its bits go."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.decls: list[_Decl] = []
        self.base: list[int] = []  # first slot of each output signal
        self.nslots = 0
        self.handle_signal: dict[int, int] = {}
        # pywellen signal (str of its SignalId) -> ([(slot, bit position LSB = 0)], width)
        self.targets: dict[str, tuple[list[tuple[int, int]], int]] = {}
        self.include: list[Any] = []

    def signal(self, handle: int, width: int) -> tuple[int, bool]:
        """Output signal of an FST handle (aliases share one); True when newly made."""
        signal = self.handle_signal.get(handle)
        if signal is not None:
            return signal, False
        signal = self.handle_signal[handle] = len(self.base)
        self.base.append(self.nslots)
        self.nslots += width
        return signal, True

    def target(self, wv: Any, sid: str, bits: list[tuple[int, int]], width: int) -> None:
        if not bits:
            return
        if sid in self.targets:
            self.targets[sid][0].extend(bits)
        else:
            self.targets[sid] = (bits, width)
            self.include.append(wv)

    def mismatch(self, scope: tuple[str, ...], name: str) -> ActivityError:
        return ActivityError(
            f"{self.path}: cannot match pywellen's variable {name!r} in scope "
            f"{'/'.join(scope)} to the FST hierarchy")

    def add_scope(self, scope: tuple[str, ...], rel: tuple[str, ...], wvars: list[Any],
                  declared: list[_FstVar], nhandles: int) -> None:
        """Match pywellen's variables of one scope to the declarations, in order."""
        di = 0
        for wv in wvars:
            sid = str(wv.signal_ref)
            number = int(sid[sid.index("(") + 1:sid.index(")")])
            width = wv.bitwidth or 0
            if number < nhandles:  # the signal is an FST handle: the next declaration
                if di >= len(declared) or declared[di].handle != number + 1:
                    raise self.mismatch(scope, wv.name)
                d = declared[di]
                di += 1
                if d.vartype in _FST_NON_BIT_TYPES:
                    continue
                signal, new = self._declare(scope, rel, d)
                if new:
                    self.target(wv, sid, [(self.base[signal] + i, d.length - 1 - i)
                                          for i in range(d.length)], d.length)
                continue
            # merged by pywellen from a run of one-bit declarations; bit k (LSB first) is
            # the declaration with the k-th lowest index
            group = declared[di:di + width]
            di += width
            pieces = [_wellen_index(d.raw) for d in group]
            indices = [p[1] for p in pieces if p is not None]
            lowest = min(indices, default=0)
            if (not width or len(group) != width or len(indices) != width
                    or sorted(indices) != list(range(lowest, lowest + width))
                    or any(d.length != 1 or d.vartype in _FST_NON_BIT_TYPES for d in group)):
                raise self.mismatch(scope, wv.name)
            bits = []
            for d, index in zip(group, indices, strict=True):
                signal, new = self._declare(scope, rel, d)
                if new:
                    bits.append((self.base[signal], index - lowest))
            self.target(wv, sid, bits, width)
        if di != len(declared):
            raise self.mismatch(scope, declared[di].raw.decode("utf-8", "replace"))

    def _declare(self, scope: tuple[str, ...], rel: tuple[str, ...], d: _FstVar
                 ) -> tuple[int, bool]:
        parsed = _parse_ref(d.raw.split(), d.length)
        if parsed is None:
            raise ActivityError(f"{self.path}: malformed FST variable name {d.raw[:80]!r} "
                                f"for {d.length} bits in scope {'/'.join(scope)}")
        signal, new = self.signal(d.handle, d.length)
        self.decls.append(_Decl(rel, parsed[0], parsed[1], signal))
        return signal, new


def _fst_bits(values: list[Any], pos: np.ndarray, width: int) -> np.ndarray:
    """Value codes (0, 1, 2 = unknown) of the bits at ``pos`` (LSB = 0) of pywellen values.

    pywellen gives an int, or a string of ``width`` characters when a bit is X or Z.
    """
    if width < 63:
        try:
            ints = np.array(values, dtype=np.int64)
        except (TypeError, ValueError, OverflowError):
            pass
        else:
            return ((ints[:, None] >> pos[None, :]) & 1).astype(np.int8)
    elif all(type(v) is int for v in values):  # wide: big-endian bytes, unpacked
        size = (width + 7) // 8
        raw = b"".join(v.to_bytes(size, "big") for v in values)
        bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8)).reshape(len(values), size * 8)
        return bits[:, size * 8 - 1 - pos].astype(np.int8)
    texts = []
    for value in values:
        if isinstance(value, int):
            texts.append(format(value, f"0{width}b")[-width:])
        else:
            text = value.lower()
            if len(text) < width:  # left-extend like VCD
                text = text.rjust(width, "0" if text[:1] == "1" else text[:1])
            texts.append(text[-width:])
    chars = np.frombuffer("".join(texts).encode("ascii", "replace"), dtype=np.uint8)
    codes = _VALUE_CODE[chars.reshape(len(values), width)]
    codes[codes == 3] = 2  # other characters: unknown
    return codes[:, width - 1 - pos]


def _read_fst(path: str, parts: tuple[str, ...], start_s: float | None, end_s: float | None,
              include_subscopes: bool) -> Activity:
    try:
        import pywellen
    except ImportError:  # pragma: no cover - pywellen is a dependency
        raise ActivityError(f"{path}: reading FST needs the pywellen package") from None
    info, declared = _fst_blocks(path)
    try:
        wave = pywellen.Waveform(path, stream_only=True)
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise ActivityError(f"{path}: pywellen cannot read it ({exc})") from None
    ts = wave.timescale
    timescale = float(f"{int(ts.factor)}e{int(ts.unit.to_exponent())}")

    tree: dict[tuple[str, ...], Any] = {}  # scope path -> pywellen scope, exact name tuples

    def walk(scope: Any, prefix: tuple[str, ...]) -> None:
        name = scope.name
        here = prefix + (name[1:] if name.startswith("\\") else name,)
        tree[here] = scope
        for sub in scope.scopes():
            walk(sub, here)

    for top in wave.scopes():
        walk(top, ())
    if parts and parts not in tree:
        raise _scope_error(path, parts, set(tree))
    depth = len(parts)
    by_scope: dict[tuple[str, ...], list[_FstVar]] = {}
    for d in declared:
        by_scope.setdefault(d.scope, []).append(d)
    fmap = _FstMap(path)
    if not parts:  # the whole file: variables outside any scope too
        fmap.add_scope((), (), list(wave.vars()), by_scope.get((), []), int(info["handles"]))
    for scope in tree:
        if scope[:depth] == parts and (include_subscopes or len(scope) == depth):
            fmap.add_scope(scope, scope[depth:], list(tree[scope].vars()),
                           by_scope.get(scope, []), int(info["handles"]))

    start_t = None if start_s is None else _to_ticks(start_s, timescale)
    end_t = None if end_s is None else _to_ticks(end_s, timescale)
    first, last = int(info["start"]), int(info["end"])
    start_eff = first if start_t is None else start_t
    limit = last if end_t is None else end_t
    tracker = _Tracker(fmap.nslots)
    # per target (pywellen signal): its slots, their bit positions (LSB = 0) in the value, width
    table = [(np.array([slot for slot, _ in bits], dtype=np.int64),
              np.array([pos for _, pos in bits], dtype=np.int64), width)
             for bits, width in fmap.targets.values()]
    target_of = {sid: k for k, sid in enumerate(fmap.targets)}
    t_count = np.array([slot.size for slot, _, _ in table], dtype=np.int64)
    t_first = np.concatenate(([0], np.cumsum(t_count)[:-1])).astype(np.int64)
    t_slot = np.concatenate([slot for slot, _, _ in table] or [np.zeros(0, np.int64)])
    t_pos = np.concatenate([pos for _, pos, _ in table] or [np.zeros(0, np.int64)])
    t_narrow = np.array([width < 63 for _, _, width in table], dtype=bool)
    nbits = t_count.tolist()
    pending = [0]  # bit events collected
    ev_target: list[int] = []
    ev_time: list[int] = []
    ev_value: list[Any] = []
    failures: list[BaseException] = []

    def flush() -> None:
        if not ev_target:
            return
        n = len(ev_target)
        target = np.array(ev_target, dtype=np.int64)
        times = np.array(ev_time, dtype=np.int64)
        values = np.array(ev_value, dtype=object)
        is_int = np.fromiter((type(v) is int for v in ev_value), dtype=bool, count=n)
        fast = np.flatnonzero(is_int & t_narrow[target])
        # narrow integer values, all targets at once
        count = t_count[target[fast]]
        event = np.repeat(fast, count)
        within = np.arange(event.size) - np.repeat(np.cumsum(count) - count, count)
        flat = np.repeat(t_first[target[fast]], count) + within
        slot = t_slot[flat]
        code = ((values[event].astype(np.int64) >> t_pos[flat]) & 1).astype(np.int8)
        if fast.size < n:  # strings (X/Z) and wide values, per target
            events, slots, codes = [event], [slot], [code]
            rest = np.flatnonzero(~np.isin(np.arange(n), fast))
            order = rest[np.argsort(target[rest], kind="stable")]
            bounds = np.flatnonzero(np.diff(target[order])) + 1
            for group in np.split(order, bounds):
                g_slot, g_pos, width = table[int(target[group[0]])]
                g_code = _fst_bits(values[group].tolist(), g_pos, width)
                events.append(np.repeat(group, g_slot.size))
                slots.append(np.tile(g_slot, group.size))
                codes.append(g_code.ravel())
            event = np.concatenate(events)
            keep = np.argsort(event, kind="stable")  # back to stream order
            event = event[keep]
            slot = np.concatenate(slots)[keep]
            code = np.concatenate(codes)[keep]
        tracker.feed(slot, times[event], code, start_eff)
        ev_target.clear()
        ev_time.clear()
        ev_value.clear()

    def callback(time: int, sid: Any, value: Any) -> None:
        k = target_of.get(str(sid))
        if k is None or time > limit or type(value) is float:
            return
        ev_target.append(k)
        ev_time.append(time)
        ev_value.append(value)
        pending[0] += nbits[k]
        if pending[0] >= _BATCH or len(ev_target) >= _BATCH >> 2:
            pending[0] = 0
            try:
                flush()
            except Exception as exc:  # pywellen 0.25.7 drops exceptions raised in callbacks
                failures.append(exc)
                ev_target.clear()
                ev_time.clear()
                ev_value.clear()

    if fmap.include:
        try:
            wave.stream_changes(callback, fmap.include)
        except BaseException as exc:
            if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
                raise
            raise ActivityError(f"{path}: pywellen failed while streaming ({exc})") from None
    if failures:
        raise failures[0]
    flush()
    start, end = _window(path, timescale, first, last, start_t, end_t)
    bits_out, high, trans = tracker.result(fmap.decls, np.array(fmap.base, dtype=np.int64),
                                           end)
    return Activity(path, parts, timescale, start, end, MappingProxyType(bits_out),
                    MappingProxyType(high), MappingProxyType(trans))
