"""Liberty (``.lib``) reader: a generic parser, a read-only data model and boolean functions.

The parser is written from the Liberty reference syntax, not taken from any other project. It has
two layers:

* :func:`parse` turns Liberty text into a generic tree of :class:`Group` and :class:`Attribute`
  nodes (groups ``name (args) { ... }``, simple attributes ``name : value ;``, complex attributes
  ``name (v1, v2, ...) ;``, ``define (...)``, comments ``/* */`` and ``//``, ``\\``-newline line
  continuations, quoted strings that contain commas, escaped quotes or line breaks). A ``skip``
  predicate drops whole groups while parsing, so a large library can be read in bounded memory.
* :func:`load` builds the data model (:class:`Library`, :class:`Cell`, :class:`Pin`,
  :class:`InternalPower`, :class:`Table`, :class:`WireLoad`) from a ``.lib`` or gzip-compressed
  ``.lib.gz`` file (gzip is recognised by its magic bytes, not by the file name). Delay and
  constraint tables (``timing`` groups), ``pg_pin`` and ``test_cell`` groups are not kept.

Units. Everything the model converts is in SI: areas stay in the library's area unit (um^2 by
convention; Liberty has no area unit attribute), capacitances are in F, leakage in W, the supply
voltage in V. Lookup tables keep their numbers in library units (:meth:`Table.lookup`);
:meth:`Table.at` takes SI inputs and returns SI values. Internal-power tables hold an *energy per
transition* in ``capacitive_load_unit * voltage_unit**2`` (1 pF * 1 V^2 = 1 pJ for sky130), which
:attr:`Library.energy_unit` gives in J.

Errors are :class:`LibertyError` (a ``ValueError``) whose message names the file, and for syntax
errors the line and column. Nothing that feeds an area or energy number is silently defaulted:
a missing capacitance or leakage-power unit, a library without ``nom_voltage`` or operating
conditions, a cell without area, an input pin without capacitance (and no
``default_input_pin_cap``) are errors.

Boolean functions (``function``, ``when``, ``next_state``...) are handled by
:func:`liberty_function_to_verilog`, :func:`evaluate_function` and :func:`function_variables`.
Precedence, from the Liberty reference: inversion (prefix ``!``, postfix ``'``) first, then XOR
``^``, then AND (``&``, ``*`` or juxtaposition), then OR (``|``, ``+``).
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import files

__all__ = [
    "Attribute",
    "Cell",
    "FlipFlop",
    "Group",
    "InternalPower",
    "Latch",
    "Library",
    "LibertyError",
    "MAX_LIBERTY_BYTES",
    "Pin",
    "QStr",
    "Table",
    "Template",
    "TimingArc",
    "Units",
    "WireLoad",
    "default_library_path",
    "evaluate_function",
    "evaluate_function_verilog",
    "function_variables",
    "liberty_function_to_verilog",
    "load",
    "load_string",
    "parse",
    "parse_file",
    "read_text",
]

COMPACT_LIBRARY = "sky130_fd_sc_hd_compact.lib"


class LibertyError(ValueError):
    """A Liberty file that cannot be read, parsed or turned into the data model."""


def default_library_path() -> Path:
    """Path of the compact sky130_fd_sc_hd library shipped with edgeforge.

    Returns
    -------
    Path
        ``gen/eda/data/sky130_fd_sc_hd_compact.lib`` inside the installed package (see its header
        comment for source, licence and simplifications).
    """
    return Path(__file__).resolve().with_name("data") / COMPACT_LIBRARY


# --------------------------------------------------------------------------------------------
# Generic syntax tree


class QStr(str):
    """A value that was a quoted string in the source (the quotes removed)."""

    __slots__ = ()


@dataclass(slots=True, eq=False)
class Attribute:
    """A simple (``name : value ;``) or complex (``name (v1, v2) ;``) attribute.

    Attributes
    ----------
    name : str
        Attribute name.
    value : str or list of str
        The value of a simple attribute (a :class:`QStr` when quoted; unquoted expressions
        spanning several words are joined by single spaces), or the list of values of a complex
        attribute.
    complex : bool
        True for the ``name (...)`` form.
    line : int
        1-based source line.
    """

    name: str
    value: Any
    complex: bool
    line: int


@dataclass(slots=True, eq=False)
class Group:
    """A group ``kind (args) { body }``.

    Attributes
    ----------
    kind : str
        Group type (``library``, ``cell``, ``pin``...).
    args : list of str
        Group names/arguments (``QStr`` when quoted).
    body : list of Attribute or Group
        Statements in source order.
    line : int
        1-based source line of the group keyword.
    """

    kind: str
    args: list
    body: list
    line: int

    @property
    def name(self) -> str | None:
        """The first argument, or None for an unnamed group."""
        return self.args[0] if self.args else None

    def attr(self, name: str, default: Any = None) -> Any:
        """Value of the last simple attribute ``name`` (``default`` when absent)."""
        for item in reversed(self.body):
            if type(item) is Attribute and item.name == name and not item.complex:
                return item.value
        return default

    def attr_item(self, name: str) -> Attribute | None:
        """The last simple attribute ``name`` (for its line), or None."""
        for item in reversed(self.body):
            if type(item) is Attribute and item.name == name and not item.complex:
                return item
        return None

    def complex_attrs(self, name: str) -> list[list[str]]:
        """Value lists of every complex attribute ``name``, in order."""
        return [
            item.value
            for item in self.body
            if type(item) is Attribute and item.complex and item.name == name
        ]

    def groups(self, kind: str | None = None) -> Iterator[Group]:
        """Sub-groups (of type ``kind`` if given), in order."""
        for item in self.body:
            if type(item) is Group and (kind is None or item.kind == kind):
                yield item


# --------------------------------------------------------------------------------------------
# Reading and tokenising

# whitespace, comments and backslash-newline continuations before a token, inside a look-ahead
# (atomic in Python's re) so that a failing token can never make the skip backtrack
_SKIP = r"(?=(?P<skip>(?:[ \t\r\n\f\v]+|\\[ \t]*\r?\n|/\*.*?\*/|//[^\n]*)*))(?P=skip)"
_TOKEN = re.compile(
    _SKIP
    + r"""(?:
        (?P<s>"(?:[^"\\]|\\.)*")
      | (?P<p>[{}();:,])
      | (?P<w>(?:[^\s{}();:,"\\/]|/(?![/*])|\\(?![ \t]*\r?\n))+)
      | (?P<bad>\S)
    )""",
    re.X | re.S,
)
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f]")
_STRING_CONT = re.compile(r"\\\r?\n")


#: Largest Liberty text accepted, after gzip decompression (and so also the largest file):
#: twenty times the full sky130_fd_sc_hd typical corner (12 MiB). Parsing takes about 0.3 s per
#: MiB and 5 bytes of memory per byte of text, so the limit keeps a read near 80 s and 1.5 GiB.
MAX_LIBERTY_BYTES = 256 << 20


def read_text(path: str | Path, *, max_bytes: int | None = None) -> str:
    """Text of a ``.lib`` or gzip-compressed Liberty file.

    Parameters
    ----------
    path : str or Path
        File to read; gzip compression is detected from the magic bytes.
    max_bytes : int, optional
        Largest size, of the file and of its decompressed text (default
        :data:`MAX_LIBERTY_BYTES`).

    Returns
    -------
    str
        The decoded text (UTF-8, falling back to Latin-1).

    Raises
    ------
    LibertyError
        Missing, unreadable, empty or non-regular file (a directory, device or pipe, also behind
        a link), a file or decompressed text over the limit, corrupt or truncated gzip data, or
        binary (non-text) content. The message is one line naming the file.
    """
    limit = MAX_LIBERTY_BYTES if max_bytes is None else max_bytes
    try:
        data = files.read_bytes(path, "liberty file", max_bytes=limit)
        if data[:2] == b"\x1f\x8b":
            data = files.gunzip(data, "liberty file", path, max_bytes=limit)
    except files.InputFileError as exc:
        raise LibertyError(str(exc)) from None
    if not data.strip():
        raise LibertyError(f"liberty file {path} is empty")
    bad = _CONTROL.search(data)
    if bad:
        raise LibertyError(
            f"{path}: binary data (byte 0x{data[bad.start()]:02x} at offset {bad.start()}),"
            " not a Liberty text file"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_CONTINUATION = re.compile(r"\\[ \t]*\r?\n")


def _ends_line(gap: str) -> bool:
    """The text between two tokens holds a newline that is not a ``\\`` continuation."""
    return "\n" in gap and "\n" in _CONTINUATION.sub("", gap)


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"{line}:{col}"


def _unquote(token: str) -> QStr:
    body = token[1:-1]
    if "\\" in body:
        body = _STRING_CONT.sub("", body).replace('\\"', '"')
    return QStr(body)


def parse(
    text: str,
    filename: str = "<string>",
    skip: Callable[[str, list], bool] | None = None,
) -> Group:
    """Parse Liberty text into a generic tree.

    Parameters
    ----------
    text : str
        Liberty source.
    filename : str
        Name used in error messages.
    skip : callable, optional
        ``skip(kind, args) -> bool``: groups for which it returns True are checked for balanced
        braces but not stored (use it to drop timing tables or unwanted cells).

    Returns
    -------
    Group
        The top-level ``library`` group.

    Raises
    ------
    LibertyError
        ``file:line:col:`` syntax errors (unexpected token or character, unterminated string
        or comment, unbalanced braces), or no ``library`` group.
    """
    scan = _TOKEN.scanner(text).match
    pending: list = []  # one token of look-ahead: (kind, text, start, end)
    line_no = 1
    line_pos = 0

    def lineof(pos: int) -> int:
        nonlocal line_no, line_pos
        if pos >= line_pos:
            line_no += text.count("\n", line_pos, pos)
        else:
            line_no -= text.count("\n", pos, line_pos)
        line_pos = pos
        return line_no

    def fail(pos: int, message: str) -> LibertyError:
        return LibertyError(f"{filename}:{_where(text, pos)}: {message}")

    def nxt() -> tuple[str, str, int, int] | None:
        if pending:
            return pending.pop()
        m = scan()
        if m is None:
            return None
        kind = m.lastgroup
        start = m.start(kind)
        if kind == "bad":
            ch = m.group(kind)
            if ch == '"':
                raise fail(start, "unterminated string")
            if text.startswith("/*", start):
                raise fail(start, "unterminated comment")
            raise fail(start, f"unexpected character {ch!r}")
        return kind, m.group(kind), start, m.end()

    def end_pos() -> int:
        return len(text)

    def describe(tok) -> str:
        if tok is None:
            return "end of file"
        return repr(tok[1]) if len(tok[1]) <= 40 else repr(tok[1][:40] + "...")

    def value_of(tok) -> str:
        return _unquote(tok[1]) if tok[0] == "s" else tok[1]

    def read_args() -> list:
        # the values after '(' up to and including ')': strings, or words joined by spaces
        args: list = []
        words: list = []
        while True:
            tok = nxt()
            if tok is None:
                raise fail(end_pos(), "unexpected end of file in argument list")
            kind, tx = tok[0], tok[1]
            if kind == "w":
                words.append(tx)
                continue
            if kind == "s":
                if words:
                    raise fail(tok[2], f"unexpected string after {' '.join(words)!r}")
                args.append(_unquote(tx))
                tok = nxt()
                if tok is None:
                    raise fail(end_pos(), "unexpected end of file in argument list")
                if tok[0] == "p" and tok[1] == ")":
                    return args
                if not (tok[0] == "p" and tok[1] == ","):
                    raise fail(tok[2], f"expected ',' or ')' after a string, got {describe(tok)}")
                continue
            if tx not in ",)":
                raise fail(tok[2], f"unexpected {tx!r} in argument list")
            if words:
                args.append(" ".join(words))
                words = []
            elif tx == "," or args:  # '(,' or ', ,' or ', )'; '()' is an empty list
                raise fail(tok[2], f"empty argument before {tx!r}")
            if tx == ")":
                return args

    def skip_group(open_tok) -> None:
        depth = 1
        while depth:
            tok = nxt()
            if tok is None:
                raise fail(end_pos(), f"unexpected end of file: '{{' at {_where(text, open_tok[2])}"
                           " is not closed")
            if tok[0] == "p":
                if tok[1] == "{":
                    depth += 1
                elif tok[1] == "}":
                    depth -= 1

    # stack of (group, opening '{' token)
    root: Group | None = None
    stack: list[tuple[Group, tuple]] = []
    while True:
        tok = nxt()
        if tok is None:
            if stack:
                group, open_tok = stack[-1]
                raise fail(end_pos(), f"unexpected end of file: group '{group.kind}' opened at "
                           f"{_where(text, open_tok[2])} is not closed")
            break
        kind, tx, start, end = tok
        if kind == "p" and tx == "}":
            if not stack:
                raise fail(start, "unexpected '}' (no group is open)")
            stack.pop()
            continue
        if kind != "w":
            raise fail(start, f"expected an attribute or group name, got {describe(tok)}")
        if not stack and root is not None:
            raise fail(start, f"unexpected {describe(tok)} after the library group")
        name = tx
        tok = nxt()
        if tok is None:
            raise fail(end_pos(), f"unexpected end of file after {name!r}")
        if tok[0] == "p" and tok[1] == ":":
            if not stack:
                raise fail(start, f"attribute {name!r} outside of any group")
            first = nxt()
            if first is None or first[0] == "p":
                raise fail(first[2] if first else end_pos(),
                           f"expected a value for {name!r}, got {describe(first)}")
            value = value_of(first)
            last_end = first[3]
            if first[0] == "w":
                words = [value]
                while True:
                    t2 = nxt()
                    if t2 is None:
                        break
                    if t2[0] == "w" and not _ends_line(text[last_end:t2[2]]):
                        words.append(t2[1])
                        last_end = t2[3]
                        continue
                    pending.append(t2)
                    break
                value = " ".join(words)
            t2 = nxt()
            if t2 is not None and not (t2[0] == "p" and t2[1] == ";"):
                if t2[0] == "p" and t2[1] != "}":
                    raise fail(t2[2], f"expected ';' after the value of {name!r}, "
                               f"got {describe(t2)}")
                if t2[0] == "s":
                    raise fail(t2[2], f"expected ';' after the value of {name!r}, "
                               f"got {describe(t2)}")
                pending.append(t2)
            stack[-1][0].body.append(Attribute(name, value, False, lineof(start)))
            continue
        if not (tok[0] == "p" and tok[1] == "("):
            raise fail(tok[2], f"expected ':' or '(' after {name!r}, got {describe(tok)}")
        args = read_args()
        t2 = nxt()
        if t2 is not None and t2[0] == "p" and t2[1] == "{":
            if not stack:
                if root is not None:
                    raise fail(start, "more than one top-level group")
                if name != "library":
                    raise fail(start, f"expected a 'library' group, got {name!r}")
                root = Group(name, args, [], lineof(start))
                stack.append((root, t2))
                continue
            if skip is not None and skip(name, args):
                skip_group(t2)
                continue
            group = Group(name, args, [], lineof(start))
            stack[-1][0].body.append(group)
            stack.append((group, t2))
            continue
        # complex attribute, ';' optional
        if t2 is not None and not (t2[0] == "p" and t2[1] == ";"):
            if t2[0] != "w" and not (t2[0] == "p" and t2[1] == "}"):
                raise fail(t2[2], f"expected ';' or '{{' after {name}(...), got {describe(t2)}")
            pending.append(t2)
        if not stack:
            raise fail(start, f"attribute {name!r} outside of any group")
        stack[-1][0].body.append(Attribute(name, args, True, lineof(start)))
    if root is None:
        raise LibertyError(f"{filename}: no library group")
    return root


def parse_file(path: str | Path, skip: Callable[[str, list], bool] | None = None) -> Group:
    """:func:`read_text` then :func:`parse` (error messages name ``path``)."""
    return parse(read_text(path), str(path), skip)


# --------------------------------------------------------------------------------------------
# Data model


@dataclass(frozen=True)
class Units:
    """SI value of one library unit of each quantity.

    Attributes
    ----------
    time : float
        Seconds per ``time_unit``.
    capacitance : float
        Farads per ``capacitive_load_unit``.
    voltage : float
        Volts per ``voltage_unit``.
    leakage_power : float
        Watts per ``leakage_power_unit``.
    current : float
        Amperes per ``current_unit``.
    resistance : float or None
        Ohms per ``pulling_resistance_unit`` (None when not stated).
    defaulted : tuple of str
        Unit attributes absent from the file, taken from the Liberty reference defaults
        (``time_unit`` 1ns, ``voltage_unit`` 1V, ``current_unit`` 1mA).
    """

    time: float
    capacitance: float
    voltage: float
    leakage_power: float
    current: float
    resistance: float | None = None
    defaulted: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Template:
    """A ``lu_table_template`` / ``power_lut_template``: variable names and default indices."""

    name: str
    kind: str
    variables: tuple[str, ...]
    indices: tuple[np.ndarray | None, ...]


_TIME_VARIABLES = frozenset({
    "input_transition_time", "input_net_transition", "related_pin_transition",
    "constrained_pin_transition", "related_out_pin_transition",
})
_CAP_VARIABLES = frozenset({
    "total_output_net_capacitance", "related_out_total_output_net_capacitance",
    "equal_or_opposite_output_net_capacitance",
})


@dataclass(frozen=True, eq=False)
class Table:
    """A lookup table in library units, with multilinear inter- and extrapolation.

    Attributes
    ----------
    variables : tuple of str
        Template variable names, e.g. ``("input_transition_time",
        "total_output_net_capacitance")``; empty for a scalar table.
    indices : tuple of numpy.ndarray
        Strictly increasing breakpoints, one array per variable (library units).
    values : numpy.ndarray
        Table values, ``values.ndim == len(variables)`` (library units).
    template : str
        Template name (``"scalar"`` for scalar tables).
    units : Units
        The library's units (to convert :meth:`at` inputs).
    value_unit : float
        SI value of one table unit (J for internal-power tables, s for delay tables).
    """

    variables: tuple[str, ...]
    indices: tuple[np.ndarray, ...]
    values: np.ndarray
    template: str
    units: Units
    value_unit: float
    _axes: tuple = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_axes", tuple(tuple(float(x) for x in i) for i in self.indices))

    def lookup(self, **point: float) -> float:
        """Value at ``point`` (keyword per variable name, library units), library units.

        Bilinear (multilinear) interpolation inside the table and linear extrapolation from the
        edge segment beyond it, as OpenSTA does; an axis with one breakpoint is constant.
        """
        if set(point) != set(self.variables):
            raise TypeError(
                f"table over {self.variables} looked up with {tuple(sorted(point))}"
            )
        return self._interp([float(point[v]) for v in self.variables])

    def at(self, slew: float, load: float | None = None) -> float:
        """Value at an input slew (s) and output load (F), in SI (J, s...).

        Parameters
        ----------
        slew : float
            Input transition time in seconds (used by transition variables).
        load : float, optional
            Output load capacitance in farads (required when the table has a capacitance
            variable).
        """
        coords = []
        for var in self.variables:
            if var in _TIME_VARIABLES:
                coords.append(slew / self.units.time)
            elif var in _CAP_VARIABLES:
                if load is None:
                    raise TypeError(f"table over {self.variables} needs a load")
                coords.append(load / self.units.capacitance)
            else:
                raise TypeError(f"at() does not know the variable {var!r}; use lookup()")
        return self._interp(coords) * self.value_unit

    def _interp(self, coords: list[float]) -> float:
        if not coords:
            return float(self.values.reshape(-1)[0])
        axes = []
        for idx, x in zip(self._axes, coords, strict=True):
            n = len(idx)
            if n == 1:
                axes.append(((0, 1.0),))
                continue
            i = bisect.bisect_right(idx, x) - 1
            i = min(max(i, 0), n - 2)
            lo, hi = idx[i], idx[i + 1]
            t = (x - lo) / (hi - lo)
            axes.append(((i, 1.0 - t), (i + 1, t)))
        total = 0.0
        values = self.values
        for corner in _product(axes):
            weight = 1.0
            pos = []
            for i, w in corner:
                weight *= w
                pos.append(i)
            if weight:
                total += weight * float(values[tuple(pos)])
        return total


def _product(axes: list) -> Iterator[tuple]:
    if not axes:
        yield ()
        return
    for head in axes[0]:
        for rest in _product(axes[1:]):
            yield (head, *rest)


@dataclass(frozen=True, eq=False)
class InternalPower:
    """One ``internal_power`` group (split per related pin).

    Attributes
    ----------
    related_pin : str or None
        Input pin whose transition the energy belongs to (None for an input pin's own internal
        power).
    when : str or None
        State condition (Liberty boolean expression) or None.
    rise, fall, power : Table or None
        ``rise_power`` / ``fall_power`` / ``power`` tables: energy per transition of the pin
        that owns the group (output rising/falling), in :attr:`Library.energy_unit`.
    """

    related_pin: str | None
    when: str | None
    rise: Table | None
    fall: Table | None
    power: Table | None = None


@dataclass(frozen=True, eq=False)
class TimingArc:
    """The output-transition part of one ``timing`` group of an output pin (split per related pin).

    Attributes
    ----------
    related_pin : str
        Input pin the arc starts from.
    sense : str
        ``timing_sense`` (``positive_unate``, ``negative_unate`` or ``non_unate``; the Liberty
        default ``non_unate`` when absent).
    kind : str
        ``timing_type`` (``combinational`` when absent, ``rising_edge``, ``clear``...).
    when : str or None
        State condition.
    rise, fall : Table or None
        ``rise_transition`` / ``fall_transition`` tables (output slew in s), None when absent.
    """

    related_pin: str
    sense: str
    kind: str
    when: str | None
    rise: Table | None
    fall: Table | None


@dataclass(frozen=True, eq=False)
class Pin:
    """A cell pin.

    Attributes
    ----------
    name : str
        Pin name.
    direction : str
        ``input``, ``output``, ``inout`` or ``internal``.
    capacitance : float
        Input capacitance in F (``capacitance``, else the mean of ``rise_capacitance`` and
        ``fall_capacitance``, else the library's ``default_*_pin_cap``; 0 for output pins
        without any of these).
    function : str or None
        Liberty boolean function of an output.
    clock : bool
        The pin is a clock pin (``clock : true``).
    internal_power : tuple of InternalPower
        Internal-power groups, one entry per related pin.
    attributes : dict
        Every simple attribute of the pin as written (strings).
    rise_capacitance, fall_capacitance : float
        Input capacitance in F seen by a rising / falling transition (``rise_capacitance`` /
        ``fall_capacitance`` where the library gives them, else :attr:`capacitance`).
    timing : tuple of TimingArc
        Output transition tables of the pin's ``timing`` groups (empty when the library has
        none, or for input pins).
    """

    name: str
    direction: str
    capacitance: float
    function: str | None
    clock: bool
    internal_power: tuple[InternalPower, ...] = field(repr=False)
    attributes: Mapping[str, str] = field(default_factory=dict, repr=False)
    rise_capacitance: float | None = None
    fall_capacitance: float | None = None
    timing: tuple[TimingArc, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        for name in ("rise_capacitance", "fall_capacitance"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, self.capacitance)

    def power_for(self, related_pin: str | None) -> list[InternalPower]:
        """Internal-power entries whose related pin is ``related_pin``."""
        return [p for p in self.internal_power if p.related_pin == related_pin]


@dataclass(frozen=True)
class FlipFlop:
    """An ``ff`` (or ``ff_bank``) group: state variable names and its functions."""

    names: tuple[str, ...]
    clocked_on: str | None
    next_state: str | None
    clear: str | None = None
    preset: str | None = None
    clear_preset_var1: str | None = None
    clear_preset_var2: str | None = None
    clocked_on_also: str | None = None
    bits: int | None = None


@dataclass(frozen=True)
class Latch:
    """A ``latch`` (or ``latch_bank``) group: state variable names and its functions."""

    names: tuple[str, ...]
    enable: str | None
    data_in: str | None
    clear: str | None = None
    preset: str | None = None
    clear_preset_var1: str | None = None
    clear_preset_var2: str | None = None
    bits: int | None = None


@dataclass(frozen=True, eq=False)
class Cell:
    """A library cell.

    Attributes
    ----------
    name : str
        Cell name.
    area : float
        Area in the library's area unit (um^2 by convention).
    leakage : float or None
        Leakage power in W: ``cell_leakage_power``; else the mean of the state-dependent
        ``leakage_power`` groups; else the library's ``default_cell_leakage_power``; else None.
    leakage_states : tuple of (str or None, float)
        ``(when, W)`` of each ``leakage_power`` group.
    pins : dict of str to Pin
        Pins by name (power/ground ``pg_pin`` groups are not included).
    ff, latch : FlipFlop or Latch or None
        The cell's storage element.
    sequential : bool
        The cell has an ``ff``, ``latch``, ``ff_bank``, ``latch_bank`` or ``statetable`` group.
    dont_use : bool
        ``dont_use : true``.
    attributes : dict
        Every simple attribute of the cell as written (strings).
    """

    name: str
    area: float
    leakage: float | None
    leakage_states: tuple[tuple[str | None, float], ...] = field(repr=False)
    pins: Mapping[str, Pin] = field(repr=False)
    ff: FlipFlop | None
    latch: Latch | None
    sequential: bool
    dont_use: bool
    attributes: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def is_dont_use(self) -> bool:
        """Alias of :attr:`dont_use`."""
        return self.dont_use

    @property
    def inputs(self) -> list[str]:
        """Names of the input pins, in file order."""
        return [p.name for p in self.pins.values() if p.direction == "input"]

    @property
    def outputs(self) -> list[str]:
        """Names of the output (and inout) pins, in file order."""
        return [p.name for p in self.pins.values() if p.direction in ("output", "inout")]

    def output_function(self, pin: str) -> str | None:
        """Boolean function of output ``pin`` (None when the library gives none).

        Raises
        ------
        KeyError
            No pin of that name.
        ValueError
            The pin is not an output.
        """
        p = self.pins[pin]
        if p.direction not in ("output", "inout"):
            raise ValueError(f"{self.name}.{pin} is an {p.direction} pin, not an output")
        return p.function


@dataclass(frozen=True)
class WireLoad:
    """A ``wire_load`` model.

    Attributes
    ----------
    name : str
        Model name.
    capacitance_per_length : float
        ``capacitance`` attribute: capacitance per unit length (library capacitance units).
    resistance_per_length : float
        ``resistance`` attribute: resistance per unit length (library resistance units).
    slope : float
        Length per fanout beyond the last ``fanout_length`` entry.
    fanout_length : tuple of (float, float)
        ``(fanout, length)`` pairs, sorted by fanout.
    cap_unit : float
        F per library capacitance unit.
    """

    name: str
    capacitance_per_length: float
    resistance_per_length: float
    slope: float
    fanout_length: tuple[tuple[float, float], ...]
    cap_unit: float

    def length(self, fanout: float) -> float:
        """Estimated net length for ``fanout`` sinks.

        Table points are used as given and linearly interpolated between; beyond the last point
        the length grows by ``slope`` per fanout from the last point; below the first point it
        is interpolated linearly from zero length at zero fanout; no fanout, no length.
        """
        if fanout <= 0:
            return 0.0
        pts = self.fanout_length
        if not pts:
            return fanout * self.slope
        fan = [f for f, _ in pts]
        if fanout >= fan[-1]:
            return pts[-1][1] + (fanout - fan[-1]) * self.slope
        i = bisect.bisect_right(fan, fanout)
        f0, l0 = (0.0, 0.0) if i == 0 else pts[i - 1]
        f1, l1 = pts[i]
        return l0 + (l1 - l0) * (fanout - f0) / (f1 - f0)

    def capacitance(self, fanout: float) -> float:
        """Wire capacitance in F for ``fanout`` sinks: ``length * capacitance * cap_unit``."""
        return self.length(fanout) * self.capacitance_per_length * self.cap_unit


@dataclass(frozen=True, eq=False)
class Library:
    """A Liberty library.

    Attributes
    ----------
    name : str
        Library name.
    path : str
        The path it was loaded from, as given.
    units : Units
        SI value of each library unit.
    voltage : float
        Supply voltage in V (``nom_voltage``, else the default operating conditions' voltage).
    temperature : float or None
        ``nom_temperature`` (else the default operating conditions'), deg C.
    energy_unit : float
        J per internal-power table unit: ``capacitive_load_unit * voltage_unit**2`` (1e-12 J,
        i.e. pJ, for sky130).
    cells : dict of str to Cell
        Cells by name.
    wire_loads : dict of str to WireLoad
        Wire-load models by name.
    default_wire_load : str or None
        ``default_wire_load``.
    default_wire_load_mode : str or None
        ``default_wire_load_mode``.
    default_input_transition : float or None
        Input slew in s to assume for primary inputs. Liberty has no standard attribute for it;
        a non-standard library-level ``default_input_transition`` (library time units) is used
        if present, else None (the caller chooses, e.g. from SDC ``set_input_transition``).
    templates : dict of str to Template
        ``lu_table_template`` and ``power_lut_template`` groups by name.
    operating_conditions : str or None
        Name of the operating conditions used for ``voltage`` when ``nom_voltage`` is absent
        (the ``default_operating_conditions`` or the only ``operating_conditions`` group).
    attributes : dict
        Every simple library-level attribute as written.
    """

    name: str
    path: str
    units: Units
    voltage: float
    temperature: float | None
    energy_unit: float
    cells: Mapping[str, Cell] = field(repr=False)
    wire_loads: Mapping[str, WireLoad] = field(repr=False)
    default_wire_load: str | None
    default_wire_load_mode: str | None
    default_input_transition: float | None
    templates: Mapping[str, Template] = field(repr=False)
    operating_conditions: str | None
    attributes: Mapping[str, str] = field(default_factory=dict, repr=False)

    def wire_load(self, name: str | None = None) -> WireLoad | None:
        """Wire-load model ``name`` (default: :attr:`default_wire_load`; None if there is none)."""
        name = name or self.default_wire_load
        if name is None:
            return None
        try:
            return self.wire_loads[name]
        except KeyError:
            raise LibertyError(f"{self.path}: no wire_load {name!r}") from None

    def nand2_area(self) -> float:
        """Area of the smallest 2-input NAND cell (the gate-equivalent unit, GE).

        Raises
        ------
        LibertyError
            The library has no cell whose only output is NAND of its two inputs.
        """
        best = None
        for cell in self.cells.values():
            if cell.sequential or len(cell.inputs) != 2 or len(cell.outputs) != 1:
                continue
            func = cell.pins[cell.outputs[0]].function
            if not func:
                continue
            a, b = cell.inputs
            try:
                table = [evaluate_function(func, {a: x, b: y}) for x in (0, 1) for y in (0, 1)]
            except (LibertyError, KeyError):
                continue
            if table == [1, 1, 1, 0] and (best is None or cell.area < best):
                best = cell.area
        if best is None:
            raise LibertyError(f"{self.path}: no 2-input NAND cell to define a gate equivalent")
        return best


# --------------------------------------------------------------------------------------------
# Building the model

_PREFIX = {"f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3,
           "M": 1e6}
_UNIT_RE = re.compile(r"\s*([0-9.]+(?:[eE][-+]?\d+)?)?\s*([fpnumkM]?)\s*([A-Za-z]+)\s*")
# groups dropped by load(): delay/constraint tables and other data the model does not keep
_MODEL_SKIP = frozenset({
    "timing", "pg_pin", "test_cell", "normalized_driver_waveform", "dc_current",
    "receiver_capacitance", "output_current_rise", "output_current_fall", "ccsn_first_stage",
    "ccsn_last_stage", "input_ccb", "output_ccb", "char_config", "noise_lut_template",
    "output_current_template", "pg_current_template", "em_lut_template",
})


class _Ctx:
    """Error context: file name."""

    def __init__(self, path: str):
        self.path = path

    def err(self, line: int | None, message: str) -> LibertyError:
        where = f":{line}" if line else ""
        return LibertyError(f"{self.path}{where}: {message}")

    def number(self, group: Group, name: str, required: bool = False,
               what: str = "") -> float | None:
        item = group.attr_item(name)
        if item is None:
            if required:
                raise self.err(group.line, f"{what or group.kind}: no {name} attribute")
            return None
        return self.to_float(item.value, item.line, name)

    def to_float(self, value: str, line: int, name: str) -> float:
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise self.err(line, f"{name}: {value!r} is not a number") from None
        if not math.isfinite(x):
            raise self.err(line, f"{name}: {value!r} is not finite")
        return x


def _unit_scale(ctx: _Ctx, item: Attribute, base: str) -> float:
    m = _UNIT_RE.fullmatch(str(item.value))
    if m is None or m.group(3).lower() != base.lower():
        raise ctx.err(item.line, f"{item.name}: cannot read {item.value!r} as a unit of {base}")
    mult = float(m.group(1)) if m.group(1) else 1.0
    return mult * _PREFIX[m.group(2)]


def _bool_attr(value: str | None) -> bool:
    return str(value).strip().lower() == "true" if value is not None else False


def _units(ctx: _Ctx, lib: Group) -> Units:
    defaulted = []
    scales = {}
    for attr, base, default in (
        ("time_unit", "s", 1e-9),
        ("voltage_unit", "V", 1.0),
        ("current_unit", "A", 1e-3),
        ("leakage_power_unit", "W", None),
        ("pulling_resistance_unit", "ohm", None),
    ):
        item = lib.attr_item(attr)
        if item is None:
            if attr == "leakage_power_unit":
                raise ctx.err(lib.line, "library has no leakage_power_unit: leakage would be "
                              "unscaled")
            scales[attr] = default
            if default is not None:
                defaulted.append(attr)
        else:
            scales[attr] = _unit_scale(ctx, item, base)
    caps = [a for a in lib.body if type(a) is Attribute and a.name == "capacitive_load_unit"]
    if not caps:
        raise ctx.err(lib.line, "library has no capacitive_load_unit: capacitances and "
                      "energies would be unscaled")
    cap = caps[-1]
    if not cap.complex or len(cap.value) != 2:
        raise ctx.err(cap.line, "capacitive_load_unit must be (value, ff|pf)")
    unit = str(cap.value[1]).strip().lower()
    per = {"ff": 1e-15, "pf": 1e-12}.get(unit)
    if per is None:
        raise ctx.err(cap.line, f"capacitive_load_unit: unknown unit {cap.value[1]!r}")
    cap_scale = ctx.to_float(cap.value[0], cap.line, "capacitive_load_unit") * per
    return Units(
        time=scales["time_unit"],
        capacitance=cap_scale,
        voltage=scales["voltage_unit"],
        leakage_power=scales["leakage_power_unit"],
        current=scales["current_unit"],
        resistance=scales["pulling_resistance_unit"],
        defaulted=tuple(defaulted),
    )


def _floats(ctx: _Ctx, parts: list, line: int, what: str) -> np.ndarray:
    text = ",".join(parts)
    try:
        arr = np.array([float(x) for x in text.split(",") if x.strip()], dtype=float)
    except ValueError:
        raise ctx.err(line, f"{what}: non-numeric entry in {text[:60]!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ctx.err(line, f"{what}: non-finite entry")
    return arr


def _index(ctx: _Ctx, group: Group, n: int, what: str) -> np.ndarray | None:
    items = [a for a in group.body if type(a) is Attribute and a.complex
             and a.name == f"index_{n}"]
    if not items:
        return None
    item = items[-1]
    arr = _floats(ctx, item.value, item.line, f"{what} index_{n}")
    if arr.size == 0:
        raise ctx.err(item.line, f"{what} index_{n}: empty")
    if arr.size > 1 and not np.all(np.diff(arr) > 0):
        raise ctx.err(item.line, f"{what} index_{n}: breakpoints are not strictly increasing")
    arr.flags.writeable = False
    return arr


def _template(ctx: _Ctx, group: Group) -> Template:
    name = group.name
    if name is None:
        raise ctx.err(group.line, f"{group.kind} without a name")
    variables = []
    indices = []
    for n in (1, 2, 3):
        var = group.attr(f"variable_{n}")
        if var is None:
            break
        variables.append(str(var))
        indices.append(_index(ctx, group, n, f"{group.kind} {name!r}"))
    return Template(str(name), group.kind, tuple(variables), tuple(indices))


def _table(ctx: _Ctx, group: Group, templates: Mapping[str, Template], units: Units,
           value_unit: float, what: str) -> Table:
    tname = str(group.name) if group.name is not None else "scalar"
    what = f"{what} {group.kind}"
    values_attr = [a for a in group.body if type(a) is Attribute and a.complex
                   and a.name == "values"]
    if not values_attr:
        raise ctx.err(group.line, f"{what}: no values")
    vitem = values_attr[-1]
    values = _floats(ctx, vitem.value, vitem.line, what)
    if tname == "scalar":
        if values.size != 1:
            raise ctx.err(vitem.line, f"{what}: scalar table with {values.size} values")
        values.flags.writeable = False
        return Table((), (), values.reshape(()), tname, units, value_unit)
    tpl = templates.get(tname)
    if tpl is None:
        raise ctx.err(group.line, f"{what}: unknown table template {tname!r}")
    indices = []
    for n, default in enumerate(tpl.indices, start=1):
        idx = _index(ctx, group, n, what)
        if idx is None:
            idx = default
        if idx is None:
            raise ctx.err(group.line, f"{what}: no index_{n} in the table or template {tname!r}")
        indices.append(idx)
    shape = tuple(len(i) for i in indices)
    if values.size != math.prod(shape):
        raise ctx.err(vitem.line, f"{what}: {values.size} values for a "
                      f"{'x'.join(map(str, shape)) or 'scalar'} table")
    values = values.reshape(shape)
    values.flags.writeable = False
    return Table(tpl.variables, tuple(indices), values, tname, units, value_unit)


def _simple_attrs(group: Group) -> dict[str, str]:
    return {a.name: a.value for a in group.body if type(a) is Attribute and not a.complex}


def _pin(ctx: _Ctx, cell: str, group: Group, name: str, lib_defaults: Mapping[str, float | None],
         templates: Mapping[str, Template], units: Units, energy: float) -> Pin:
    attrs = _simple_attrs(group)
    what = f"cell {cell!r} pin {name!r}"
    direction = attrs.get("direction")
    if direction is None:
        raise ctx.err(group.line, f"{what}: no direction")
    direction = str(direction).strip()
    if direction not in ("input", "output", "inout", "internal"):
        raise ctx.err(group.line, f"{what}: unknown direction {direction!r}")
    cap = ctx.number(group, "capacitance")
    rf = [ctx.number(group, k) for k in ("rise_capacitance", "fall_capacitance")]
    rise_cap, fall_cap = (None if x is None else x * units.capacitance for x in rf)
    if cap is None:
        rf = [x for x in rf if x is not None]
        if rf:
            cap = sum(rf) / len(rf)
        else:
            cap = lib_defaults.get(f"default_{direction}_pin_cap")
            if cap is None:
                if direction in ("input", "inout"):
                    raise ctx.err(group.line, f"{what}: no capacitance and no library "
                                  f"default_{direction}_pin_cap")
                cap = 0.0
    powers = []
    for ip in group.groups("internal_power"):
        rel = ip.attr("related_pin")
        when = ip.attr("when")
        tables = {}
        for kind in ("rise_power", "fall_power", "power"):
            subs = list(ip.groups(kind))
            tables[kind] = (_table(ctx, subs[-1], templates, units, energy, what)
                            if subs else None)
        rels = str(rel).split() if rel is not None else [None]
        for r in rels:
            powers.append(InternalPower(r, str(when) if when is not None else None,
                                        tables["rise_power"], tables["fall_power"],
                                        tables["power"]))
    arcs = []
    if direction in ("output", "inout"):
        for tg in group.groups("timing"):
            rel = tg.attr("related_pin")
            if rel is None:
                continue
            tabs = {}
            for kind in ("rise_transition", "fall_transition"):
                subs = list(tg.groups(kind))
                tabs[kind] = (_table(ctx, subs[-1], templates, units, units.time, what)
                              if subs else None)
            when = tg.attr("when")
            for r in str(rel).split():
                arcs.append(TimingArc(r, str(tg.attr("timing_sense", "non_unate")),
                                      str(tg.attr("timing_type", "combinational")),
                                      str(when) if when is not None else None,
                                      tabs["rise_transition"], tabs["fall_transition"]))
    func = attrs.get("function")
    return Pin(
        name=name,
        direction=direction,
        capacitance=cap * units.capacitance,
        function=str(func) if func is not None else None,
        clock=_bool_attr(attrs.get("clock")),
        internal_power=tuple(powers),
        attributes=attrs,
        rise_capacitance=rise_cap,
        fall_capacitance=fall_cap,
        timing=tuple(arcs),
    )


def _opt(group: Group, name: str) -> str | None:
    v = group.attr(name)
    return None if v is None else str(v)


def _bank_bits(ctx: _Ctx, group: Group) -> int | None:
    if not group.kind.endswith("_bank"):
        return None
    if len(group.args) < 3:
        raise ctx.err(group.line, f"{group.kind}: expected (state, state_n, bits)")
    try:
        return int(group.args[2])
    except ValueError:
        raise ctx.err(group.line, f"{group.kind}: bit width {group.args[2]!r} is not an "
                      "integer") from None


def _cell(ctx: _Ctx, group: Group, lib_defaults: Mapping[str, float | None],
          templates: Mapping[str, Template], units: Units, energy: float) -> Cell:
    name = group.name
    if name is None:
        raise ctx.err(group.line, "cell without a name")
    name = str(name)
    area = ctx.number(group, "area", required=True, what=f"cell {name!r}")
    states = []
    for lp in group.groups("leakage_power"):
        v = ctx.number(lp, "value", required=True, what=f"cell {name!r} leakage_power")
        states.append((_opt(lp, "when"), v * units.leakage_power))
    leak = ctx.number(group, "cell_leakage_power")
    if leak is not None:
        leakage = leak * units.leakage_power
    elif states:
        leakage = sum(v for _, v in states) / len(states)
    elif lib_defaults.get("default_cell_leakage_power") is not None:
        leakage = lib_defaults["default_cell_leakage_power"] * units.leakage_power
    else:
        leakage = None
    pins: dict[str, Pin] = {}

    def add_pins(container: Group) -> None:
        for sub in container.body:
            if type(sub) is not Group:
                continue
            if sub.kind == "pin":
                if not sub.args:
                    raise ctx.err(sub.line, f"cell {name!r}: pin without a name")
                for pname in sub.args:
                    pname = str(pname)
                    if pname in pins:
                        raise ctx.err(sub.line, f"cell {name!r}: pin {pname!r} defined twice")
                    pins[pname] = _pin(ctx, name, sub, pname, lib_defaults, templates, units,
                                       energy)
            elif sub.kind in ("bus", "bundle"):
                add_pins(sub)

    add_pins(group)
    ff = latch = None
    sequential = False
    for sub in group.groups():
        if sub.kind in ("ff", "ff_bank"):
            sequential = True
            if ff is None:
                bits = _bank_bits(ctx, sub)
                ff = FlipFlop(
                    names=tuple(str(a) for a in sub.args[:2]),
                    clocked_on=_opt(sub, "clocked_on"), next_state=_opt(sub, "next_state"),
                    clear=_opt(sub, "clear"), preset=_opt(sub, "preset"),
                    clear_preset_var1=_opt(sub, "clear_preset_var1"),
                    clear_preset_var2=_opt(sub, "clear_preset_var2"),
                    clocked_on_also=_opt(sub, "clocked_on_also"), bits=bits,
                )
        elif sub.kind in ("latch", "latch_bank"):
            sequential = True
            if latch is None:
                bits = _bank_bits(ctx, sub)
                latch = Latch(
                    names=tuple(str(a) for a in sub.args[:2]),
                    enable=_opt(sub, "enable"), data_in=_opt(sub, "data_in"),
                    clear=_opt(sub, "clear"), preset=_opt(sub, "preset"),
                    clear_preset_var1=_opt(sub, "clear_preset_var1"),
                    clear_preset_var2=_opt(sub, "clear_preset_var2"), bits=bits,
                )
        elif sub.kind == "statetable":
            sequential = True
    attrs = _simple_attrs(group)
    return Cell(
        name=name, area=area, leakage=leakage, leakage_states=tuple(states), pins=pins,
        ff=ff, latch=latch, sequential=sequential, dont_use=_bool_attr(attrs.get("dont_use")),
        attributes=attrs,
    )


def _wire_load(ctx: _Ctx, group: Group, units: Units) -> WireLoad:
    name = str(group.name)
    what = f"wire_load {name!r}"
    pts = []
    for vals in group.complex_attrs("fanout_length"):
        if len(vals) < 2:
            raise ctx.err(group.line, f"{what}: fanout_length needs (fanout, length)")
        pts.append((ctx.to_float(vals[0], group.line, "fanout_length"),
                    ctx.to_float(vals[1], group.line, "fanout_length")))
    pts.sort()
    return WireLoad(
        name=name,
        capacitance_per_length=ctx.number(group, "capacitance", required=True, what=what),
        resistance_per_length=ctx.number(group, "resistance") or 0.0,
        slope=ctx.number(group, "slope", required=True, what=what),
        fanout_length=tuple(pts),
        cap_unit=units.capacitance,
    )


def _build(root: Group, path: str) -> Library:
    ctx = _Ctx(path)
    if root.kind != "library":
        raise ctx.err(root.line, "no library group")
    units = _units(ctx, root)
    op_conds = {str(g.name): g for g in root.groups("operating_conditions")}
    default_oc = root.attr("default_operating_conditions")
    oc_name = None
    if default_oc is not None:
        if str(default_oc) not in op_conds:
            raise ctx.err(root.attr_item("default_operating_conditions").line,
                          f"default_operating_conditions {default_oc!r} is not defined")
        oc_name = str(default_oc)
    elif len(op_conds) == 1:
        oc_name = next(iter(op_conds))
    voltage = ctx.number(root, "nom_voltage")
    temperature = ctx.number(root, "nom_temperature")
    if oc_name is not None:
        if voltage is None:
            voltage = ctx.number(op_conds[oc_name], "voltage")
        if temperature is None:
            temperature = ctx.number(op_conds[oc_name], "temperature")
    if voltage is None:
        raise ctx.err(root.line, "library has neither nom_voltage nor a default "
                      "operating_conditions voltage: switching energy needs the supply voltage")
    templates: dict[str, Template] = {}
    for g in root.groups():
        if g.kind in ("lu_table_template", "power_lut_template"):
            tpl = _template(ctx, g)
            templates[tpl.name] = tpl
    lib_defaults = {
        k: ctx.number(root, k)
        for k in ("default_input_pin_cap", "default_output_pin_cap", "default_inout_pin_cap",
                  "default_cell_leakage_power")
    }
    lib_defaults["default_internal_pin_cap"] = 0.0
    energy = units.capacitance * units.voltage ** 2
    cells: dict[str, Cell] = {}
    wire_loads: dict[str, WireLoad] = {}
    for g in root.groups():
        if g.kind == "cell":
            cell = _cell(ctx, g, lib_defaults, templates, units, energy)
            if cell.name in cells:
                raise ctx.err(g.line, f"cell {cell.name!r} defined twice")
            cells[cell.name] = cell
        elif g.kind == "wire_load":
            wl = _wire_load(ctx, g, units)
            wire_loads[wl.name] = wl
    default_wl = root.attr("default_wire_load")
    if default_wl is not None and str(default_wl) not in wire_loads:
        raise ctx.err(root.attr_item("default_wire_load").line,
                      f"default_wire_load {default_wl!r} is not defined")
    dit = ctx.number(root, "default_input_transition")
    return Library(
        name=str(root.name) if root.name is not None else "",
        path=path,
        units=units,
        voltage=voltage * units.voltage,
        temperature=temperature,
        energy_unit=energy,
        cells=cells,
        wire_loads=wire_loads,
        default_wire_load=str(default_wl) if default_wl is not None else None,
        default_wire_load_mode=_opt(root, "default_wire_load_mode"),
        default_input_transition=dit * units.time if dit is not None else None,
        templates=templates,
        operating_conditions=oc_name,
        attributes=_simple_attrs(root),
    )


# load() keeps the timing groups for their output transition tables (propagated slews), but not
# their delay and constraint tables
_LOAD_SKIP = (_MODEL_SKIP - {"timing"}) | {
    "cell_rise", "cell_fall", "rise_constraint", "fall_constraint", "retaining_rise",
    "retaining_fall", "rise_propagation", "fall_propagation", "ocv_sigma_cell_rise",
    "ocv_sigma_cell_fall", "ocv_sigma_rise_transition", "ocv_sigma_fall_transition",
    "ocv_sigma_rise_constraint", "ocv_sigma_fall_constraint", "output_current_rise",
    "output_current_fall", "receiver_capacitance1_rise", "receiver_capacitance1_fall",
    "receiver_capacitance2_rise", "receiver_capacitance2_fall", "ccs_retain_rise",
    "ccs_retain_fall",
}


def _model_skip(kind: str, args: list) -> bool:
    return kind in _LOAD_SKIP


def load(path: str | Path) -> Library:
    """Read a Liberty library (``.lib`` or gzip-compressed) into the data model.

    Parameters
    ----------
    path : str or Path
        Library file.

    Returns
    -------
    Library

    Raises
    ------
    LibertyError
        Unreadable file, syntax error, or data the model cannot trust (see the module doc).
    """
    return _build(parse(read_text(path), str(path), _model_skip), str(path))


def parse_model(text: str, path: str = "<string>", *,
                keep: frozenset[str] | set[str] = frozenset()) -> tuple[Library, Group]:
    """The data model and the parse tree of Liberty ``text``, from one parse.

    ``keep`` names group kinds that :func:`load` drops but the caller needs from the tree (for
    example ``{"timing"}`` for delay arcs); the model is the same as :func:`load_string`'s.
    """
    root = parse(text, path, lambda kind, args: kind in _MODEL_SKIP and kind not in keep)
    return _build(root, path), root


def table(group: Group, library: Library, scale: float, where: str = "") -> Table:
    """A :class:`Table` from a table group (e.g. ``cell_rise``) of ``library``'s parse tree.

    Values are multiplied by ``scale`` (library unit of the quantity to SI); ``where`` names the
    table's place in error messages.
    """
    return _table(_Ctx(library.path), group, library.templates, library.units, scale, where)


def load_string(text: str, path: str = "<string>") -> Library:
    """:func:`load` from Liberty text (``path`` names it in messages and in the result)."""
    return _build(parse(text, path, _model_skip), path)


# --------------------------------------------------------------------------------------------
# Boolean functions

_FUNC_TOKEN = re.compile(r"\s*(?:(?P<id>[A-Za-z_][A-Za-z0-9_.\[\]$]*|\\\S+)|(?P<const>[01])"
                         r"(?![A-Za-z0-9_])|(?P<op>[!'&*|+^()])|(?P<bad>\S))")
_VERILOG_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(?:\[\d+\])?")


@functools.lru_cache(maxsize=4096)
def _parse_function(expr: str) -> tuple:
    tokens = []
    for m in _FUNC_TOKEN.finditer(expr):
        kind = m.lastgroup
        if kind == "bad":
            raise LibertyError(f"function {expr!r}: unexpected character {m.group(kind)!r} "
                               f"at column {m.start(kind) + 1}")
        tokens.append((kind, m.group(kind), m.start(kind)))
    if not tokens:
        raise LibertyError(f"function {expr!r}: empty expression")
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def fail(message: str):
        tok = peek()
        where = f"column {tok[2] + 1}" if tok else "end"
        return LibertyError(f"function {expr!r}: {message} at {where}")

    def starts_primary(tok) -> bool:
        return tok is not None and (tok[0] in ("id", "const") or tok[1] in ("(", "!"))

    def p_or():
        nonlocal pos
        node = p_and()
        while (tok := peek()) is not None and tok[1] in ("|", "+"):
            pos += 1
            node = ("or", node, p_and())
        return node

    def p_and():
        nonlocal pos
        node = p_xor()
        while True:
            tok = peek()
            if tok is not None and tok[1] in ("&", "*"):
                pos += 1
            elif not starts_primary(tok):
                return node
            node = ("and", node, p_xor())

    def p_xor():
        nonlocal pos
        node = p_unary()
        while (tok := peek()) is not None and tok[1] == "^":
            pos += 1
            node = ("xor", node, p_unary())
        return node

    def p_unary():
        nonlocal pos
        tok = peek()
        if tok is not None and tok[1] == "!":
            pos += 1
            return ("not", p_unary())
        node = p_primary()
        while (tok := peek()) is not None and tok[1] == "'":
            pos += 1
            node = ("not", node)
        return node

    def p_primary():
        nonlocal pos
        tok = peek()
        if tok is None:
            raise fail("expected an operand")
        if tok[0] == "id":
            pos += 1
            return ("var", tok[1])
        if tok[0] == "const":
            pos += 1
            return ("const", int(tok[1]))
        if tok[1] == "(":
            pos += 1
            node = p_or()
            if peek() is None or peek()[1] != ")":
                raise fail("expected ')'")
            pos += 1
            return node
        raise fail(f"unexpected {tok[1]!r}")

    tree = p_or()
    if pos != len(tokens):
        raise fail(f"unexpected {tokens[pos][1]!r}")
    return tree


def function_variables(expr: str) -> tuple[str, ...]:
    """Names used in a Liberty boolean expression, in order of first use."""
    seen: dict[str, None] = {}

    def walk(node):
        if node[0] == "var":
            seen.setdefault(node[1], None)
        elif node[0] != "const":
            for child in node[1:]:
                walk(child)

    walk(_parse_function(expr))
    return tuple(seen)


_V_NOT = {"0": "1", "1": "0"}


def evaluate_function_verilog(expr: str, values: Mapping[str, str]) -> str:
    """Value of a Liberty boolean expression under Verilog's 4-state operators.

    ``values`` maps each variable to ``"0"``, ``"1"`` or ``"x"`` (``"z"`` reads as ``"x"``, as
    in Verilog expressions); the result is what :func:`liberty_function_to_verilog`'s
    expression gives in a simulator: ``&`` is 0 with any 0 operand, ``|`` is 1 with any 1
    operand, ``^`` and ``~`` are x with an x operand.
    """

    def ev(node) -> str:
        op = node[0]
        if op == "var":
            v = values[node[1]]
            return v if v in ("0", "1") else "x"
        if op == "const":
            return str(node[1])
        if op == "not":
            return _V_NOT.get(ev(node[1]), "x")
        a, b = ev(node[1]), ev(node[2])
        if op == "and":
            return "0" if "0" in (a, b) else ("1" if a == b == "1" else "x")
        if op == "or":
            return "1" if "1" in (a, b) else ("0" if a == b == "0" else "x")
        return "x" if "x" in (a, b) else ("1" if a != b else "0")

    return ev(_parse_function(expr))


def evaluate_function(expr: str, values: Mapping[str, Any]) -> Any:
    """Evaluate a Liberty boolean expression.

    Parameters
    ----------
    expr : str
        Liberty expression, e.g. ``"(A&!B) | (!A&B)"`` or ``"A' B + C"``.
    values : mapping
        Value of each variable: 0/1 ints, or integer/bool numpy arrays (evaluated bitwise, so an
        array of states is evaluated at once).

    Returns
    -------
    int or numpy.ndarray
        0/1 (or an array of them).

    Raises
    ------
    LibertyError
        Syntax error in ``expr``.
    KeyError
        A variable missing from ``values``.
    """

    def ev(node):
        op = node[0]
        if op == "var":
            return values[node[1]]
        if op == "const":
            return node[1]
        if op == "not":
            return ev(node[1]) ^ 1
        a, b = ev(node[1]), ev(node[2])
        if op == "and":
            return a & b
        if op == "or":
            return a | b
        return a ^ b

    return ev(_parse_function(expr))


def _verilog_name(name: str) -> str:
    if name.startswith("\\"):
        return name + " "
    if _VERILOG_ID.fullmatch(name):
        return name
    return "\\" + name + " "


def liberty_function_to_verilog(expr: str) -> str:
    """Translate a Liberty boolean function into an equivalent Verilog expression.

    Parameters
    ----------
    expr : str
        Liberty expression: operands are pin names and the constants 0/1; operators ``!x`` and
        ``x'`` (NOT), ``^`` (XOR), ``&``, ``*`` or juxtaposition (AND), ``|`` or ``+`` (OR),
        parentheses.

    Returns
    -------
    str
        Verilog expression using ``~ & | ^``, constants ``1'b0``/``1'b1``, parenthesised so
        that Verilog's own precedence (``&`` above ``^`` above ``|``) cannot change the meaning.
        Names that are not plain Verilog identifiers are escaped (``\\name ``).

    Raises
    ------
    LibertyError
        Syntax error in ``expr``.
    """

    def emit(node, parent: str | None) -> str:
        op = node[0]
        if op == "var":
            return _verilog_name(node[1])
        if op == "const":
            return f"1'b{node[1]}"
        if op == "not":
            inner = emit(node[1], "not")
            return "~" + inner
        sym = {"and": "&", "or": "|", "xor": "^"}[op]
        text = f"{emit(node[1], op)} {sym} {emit(node[2], op)}"
        return text if parent is None or parent == op else f"({text})"

    return emit(_parse_function(expr), None)
