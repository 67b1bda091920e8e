"""Fabric description of the R-Blocks-style CGRA (docs/cgra.md, "Fabric description").

A fabric lists function units (FUs), the instruction decoders (IDs) that drive them and the
data network that connects them. :meth:`Fabric.from_dict` validates a plain dict (the parsed
TOML file) and normalises it: every default is filled in and, for a mesh, every FU gets a cell.
:meth:`Fabric.to_dict` gives the normalised plain dict back (JSON-serialisable; it is what
``hw.cgra.CGRA`` takes, so the generator never imports this package).

Defaults filled in by normalisation: ``width`` 32, ``imem_depth`` 64, ``network.kind``
``"crossbar"``; for a mesh ``tracks`` 2, ``switchbox`` ``"wilton"``, ``cols`` the smallest
``c`` with ``c * c >= nFU`` and ``rows`` the smallest ``r`` with ``c * r >= nFU``; MUL
``kind`` ``"exact"`` (DRUM ``k`` 6, ROUP ``p`` 1, ``r`` 2); LSU ``mem_bytes`` 4096. FUs without
``at`` on a mesh take the free cells in row-major order (``y`` outer), in listing order.

Built-in fabrics (:meth:`Fabric.builtin`):

* ``"small"``: crossbar, width 32, 64 rows. FUs ``abu0, iu0, iu1, lsu0, lsu1`` (256 B each),
  ``rf0, mul0, mul1`` (exact), ``alu0..alu3``; IDs ``c_abu, c_iu0, c_iu1, c_lsu0, c_lsu1,
  c_rf, c_mul01[mul0, mul1], c_alu0, c_alu1, c_alu23[alu2, alu3]``.
* ``"default"`` (the approximate R-Blocks study): a 5 x 5 mesh, 4 tracks, Wilton switchboxes,
  width 32, 64 rows; the FUs and IDs of ``"small"`` (LSUs of 4 KiB) followed by ``lsu2``,
  ``mul2..mul7``, ``alu4..alu7`` (``mul0..mul3`` exact, ``mul4``/``mul5`` DRUM k=6,
  ``mul6``/``mul7`` ROUP p=1 r=2) and the IDs ``c_lsu2, c_mul23, c_mul45, c_mul67, c_alu45,
  c_alu67``. Placement (``x`` to the east, ``y`` to the south; each ``mulN`` is a neighbour
  of ``aluN`` on the outer ring, the IUs, LSUs and the RF fill the centre)::

         x=0   x=1   x=2   x=3   x=4
    y=0  mul0  alu0  mul1  alu1  mul2
    y=1  alu7  iu0   lsu0  iu1   alu2
    y=2  mul7  lsu2  rf0   lsu1  mul3
    y=3  alu6  -     abu0  -     alu3
    y=4  mul6  alu5  mul5  alu4  mul4
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .._checks import check_choice, check_int

__all__ = [
    "BUILTINS",
    "FU_TYPES",
    "MUL_KINDS",
    "NETWORK_KINDS",
    "SWITCHBOXES",
    "FUSpec",
    "Fabric",
    "IDSpec",
    "MAX_CROSSBAR_FUS",
    "MAX_FUS",
    "MAX_MESH_CELLS",
]

FU_TYPES = ("alu", "mul", "lsu", "rf", "iu", "abu")
MUL_KINDS = ("exact", "drum", "roup")
NETWORK_KINDS = ("crossbar", "mesh")
SWITCHBOXES = ("disjoint", "wilton")
WIDTHS = (8, 16, 32)
BUILTINS = ("default", "small")

#: Largest mesh side (cells per row or column).
MAX_MESH_SIDE = 16
#: Tracks per direction and side of a mesh.
MAX_TRACKS = 8
#: Most FUs in a fabric (and so IDs: every ID drives at least one FU). The default fabric has
#: 23; elaboration and synthesis time grow with the FU count (Yosys takes about 15 minutes on
#: the default fabric).
MAX_FUS = 64
#: Most FUs on a crossbar, whose size grows with the square of the FU count: a 48-FU crossbar
#: takes 22 s to elaborate, a 96-FU one 8 minutes, before Yosys starts.
MAX_CROSSBAR_FUS = 32
#: Most cells of a mesh (``cols * rows``; every cell holds a switchbox, with or without FU).
MAX_MESH_CELLS = 64

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_FABRIC_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
_TOP_KEYS = ("name", "width", "imem_depth", "network", "fu", "id")
_FU_KEYS = {
    "alu": (),
    "mul": ("kind", "k", "p", "r"),
    "lsu": ("mem_bytes",),
    "rf": (),
    "iu": (),
    "abu": (),
}
_MUL_PARAMS = {"exact": (), "drum": ("k",), "roup": ("p", "r")}
_MUL_DEFAULTS = {"k": 6, "p": 1, "r": 2}


@dataclass(frozen=True)
class FUSpec:
    """One function unit.

    Attributes
    ----------
    name : str
        Identifier, unique across FUs and IDs.
    type : str
        One of :data:`FU_TYPES`.
    index : int
        Position in the fabric's FU list (the FU index of the configuration and of ``fu_out``).
    params : dict
        ``mul``: ``{"kind"}`` plus ``"k"`` (drum) or ``"p", "r"`` (roup); ``lsu``:
        ``{"mem_bytes"}``; other types: ``{}``.
    at : tuple of int or None
        Mesh cell ``(x, y)``; None on a crossbar.
    """

    name: str
    type: str
    index: int
    params: dict
    at: tuple[int, int] | None


@dataclass(frozen=True)
class IDSpec:
    """One instruction decoder.

    Attributes
    ----------
    name : str
        Identifier, unique across FUs and IDs.
    index : int
        Position in the fabric's ID list.
    type : str
        The type of its FUs.
    fus : tuple of str
        The FUs it drives; several are SIMD lanes, in this order.
    """

    name: str
    index: int
    type: str
    fus: tuple[str, ...]


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_keys(where: str, d: Mapping, allowed) -> None:
    for key in d:
        if key not in allowed:
            valid = ", ".join(allowed) if allowed else "none"
            raise ValueError(f"{where}: unknown key {key!r} (valid keys: {valid})")


def _check_name(what: str, name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"{what} name must be a string, not {name!r}")
    if not _NAME_RE.match(name):
        raise ValueError(f"{what} name must be an identifier ([A-Za-z_][A-Za-z0-9_]*), "
                         f"not {name!r}")
    return name


def _check_pow2(what: str, value: object, low: int, high: int) -> int:
    message = f"{what} must be a power of two between {low} and {high}, not {value!r}"
    if not _is_int(value):
        raise TypeError(message)
    value = int(value)
    if not (low <= value <= high and value & (value - 1) == 0):
        raise ValueError(message)
    return value


def _check_mapping(what: str, value: object) -> Mapping:
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a table (dict), not {value!r}")
    return value


def _check_list(what: str, value: object) -> list:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{what} must be a list, not {value!r}")
    return list(value)


def _mul_params(where: str, d: Mapping, width: int) -> dict:
    kind = check_choice(f"{where}: MUL kind", d.get("kind", "exact"), MUL_KINDS)
    for key in ("k", "p", "r"):
        if key in d and key not in _MUL_PARAMS[kind]:
            raise ValueError(f"{where}: parameter {key!r} does not apply to a MUL of kind "
                             f"{kind!r} (valid: {', '.join(_MUL_PARAMS[kind]) or 'none'})")
    params: dict = {"kind": kind}
    if kind == "drum":
        params["k"] = check_int(f"{where}: DRUM k", d.get("k", 6), 3, width - 1, "width - 1")
    elif kind == "roup":
        # The ranges of sim_models.approx.RoupModel for signed operands.
        digits = (width + 1) // 2
        params["p"] = check_int(f"{where}: ROUP p", d.get("p", 1), 0, digits - 1,
                                "Booth digits - 1")
        params["r"] = check_int(f"{where}: ROUP r", d.get("r", 2), 0, width - 2, "width - 2")
    return params


class Fabric:
    """A validated, normalised CGRA fabric (build it with :meth:`from_dict` or
    :meth:`builtin`).

    Attributes
    ----------
    name : str
        Fabric name.
    width : int
        Data width ``W``: 8, 16 or 32.
    imem_depth : int
        Rows of every instruction memory, a power of two from 4 to 1024.
    pc_bits : int
        ``log2(imem_depth)``.
    network : dict
        ``{"kind": "crossbar"}`` or ``{"kind": "mesh", "cols", "rows", "tracks",
        "switchbox"}``.
    fus : tuple of FUSpec
        FUs in listing order.
    ids : tuple of IDSpec
        IDs in listing order.
    """

    def __init__(self, normalised: dict) -> None:
        # Private: use from_dict / builtin, which validate.
        self._dict = normalised
        self.name = normalised["name"]
        self.width = normalised["width"]
        self.imem_depth = normalised["imem_depth"]
        self.pc_bits = self.imem_depth.bit_length() - 1
        self.network = dict(normalised["network"])
        fus = []
        for i, f in enumerate(normalised["fu"]):
            params = {k: v for k, v in f.items() if k not in ("name", "type", "at")}
            at = tuple(f["at"]) if "at" in f else None
            fus.append(FUSpec(f["name"], f["type"], i, params, at))
        self.fus = tuple(fus)
        self._fu_by_name = {f.name: f for f in self.fus}
        types = {f.name: f.type for f in self.fus}
        self.ids = tuple(IDSpec(d["name"], i, types[d["fus"][0]], tuple(d["fus"]))
                         for i, d in enumerate(normalised["id"]))
        self._id_by_name = {d.name: d for d in self.ids}
        self._id_of = {fu: d for d in self.ids for fu in d.fus}
        self._cells = {f.at: f for f in self.fus if f.at is not None}

    # -- construction

    @classmethod
    def from_dict(cls, d: Mapping) -> Fabric:
        """Validate and normalise a fabric description.

        Parameters
        ----------
        d : Mapping
            The fabric as a dict (the parsed TOML file, docs/cgra.md): ``name``, optional
            ``width``, ``imem_depth``, ``network``; ``fu`` and ``id`` lists of tables.

        Returns
        -------
        Fabric
            The normalised fabric.

        Raises
        ------
        TypeError
            If a value has the wrong type.
        ValueError
            If a value is out of range, a key is unknown, a name is repeated, an FU is on no ID
            or on two, an ID mixes FU types, the fabric has not exactly one ABU (on an ID of its
            own) or a mesh position is invalid or taken twice.
        """
        return cls(_normalise(d))

    @classmethod
    def builtin(cls, name: str) -> Fabric:
        """One of the built-in fabrics, ``"default"`` or ``"small"`` (module docstring).

        Raises
        ------
        ValueError
            For another name.
        """
        check_choice("Built-in fabric", name, BUILTINS)
        return cls.from_dict(_BUILTIN_DICTS[name]())

    def to_dict(self) -> dict:
        """The normalised description as plain, JSON-serialisable data (a fresh copy).

        ``{"name", "width", "imem_depth", "network": {...}, "fu": [{"name", "type",
        <params>, "at": [x, y] (mesh only)}, ...], "id": [{"name", "fus": [...]}, ...]}``;
        ``Fabric.from_dict(f.to_dict()) == f``.
        """
        return json.loads(json.dumps(self._dict))

    def with_mul(self, kind: str, **params) -> Fabric:
        """The same fabric with every MUL tile of ``kind`` (parameters as in the description,
        defaults filled in) and the name suffixed, e.g. ``small_drum_k6``.

        Raises
        ------
        TypeError, ValueError
            For an invalid kind or parameter.
        """
        check_choice("MUL kind", kind, MUL_KINDS)
        unknown = sorted(set(params) - {"k", "p", "r"})
        if unknown:
            raise ValueError(f"with_mul: unknown MUL parameter {unknown[0]!r} (valid: k for "
                             "drum, p and r for roup)")
        d = self.to_dict()
        norm = None
        for f in d["fu"]:
            if f["type"] == "mul":
                norm = _mul_params(f"FU {f['name']!r}", {"kind": kind, **params}, self.width)
                for key in ("kind", "k", "p", "r"):
                    f.pop(key, None)
                f.update(norm)
        if norm is None:
            norm = _mul_params("with_mul", {"kind": kind, **params}, self.width)
        suffix = "".join(f"_{k}{v}" for k, v in norm.items() if k != "kind")
        d["name"] = f"{self.name}_{kind}{suffix}"
        return Fabric.from_dict(d)

    # -- queries

    @property
    def kind(self) -> str:
        """Network kind, ``"crossbar"`` or ``"mesh"``."""
        return self.network["kind"]

    def fu(self, name: str) -> FUSpec:
        """The FU called ``name`` (KeyError naming the valid ones otherwise)."""
        try:
            return self._fu_by_name[name]
        except KeyError:
            raise KeyError(f"No FU {name!r} in fabric {self.name!r} (FUs: "
                           f"{', '.join(self._fu_by_name)})") from None

    def fu_index(self, name: str) -> int:
        """Listing index of FU ``name``."""
        return self.fu(name).index

    def id(self, name: str) -> IDSpec:
        """The ID called ``name`` (KeyError naming the valid ones otherwise)."""
        try:
            return self._id_by_name[name]
        except KeyError:
            raise KeyError(f"No ID {name!r} in fabric {self.name!r} (IDs: "
                           f"{', '.join(self._id_by_name)})") from None

    def id_of(self, fu_name: str) -> IDSpec:
        """The ID that drives FU ``fu_name``."""
        return self._id_of[self.fu(fu_name).name]

    def ids_of_type(self, fu_type: str) -> tuple[IDSpec, ...]:
        """The IDs of FU type ``fu_type`` in listing order (their control-network order)."""
        return tuple(d for d in self.ids if d.type == fu_type)

    def fus_of_type(self, fu_type: str) -> tuple[FUSpec, ...]:
        """The FUs of type ``fu_type`` in listing order."""
        return tuple(f for f in self.fus if f.type == fu_type)

    def cell_of(self, fu_name: str) -> tuple[int, int] | None:
        """Mesh cell ``(x, y)`` of FU ``fu_name`` (None on a crossbar)."""
        return self.fu(fu_name).at

    def fu_at(self, x: int, y: int) -> FUSpec | None:
        """The FU in mesh cell ``(x, y)``, None for an empty cell (or a crossbar)."""
        return self._cells.get((x, y))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fabric):
            return NotImplemented
        return self._dict == other._dict

    def __hash__(self) -> int:
        return hash(json.dumps(self._dict, sort_keys=True))

    def __repr__(self) -> str:
        return (f"Fabric({self.name!r}, width={self.width}, imem_depth={self.imem_depth}, "
                f"network={self.kind}, {len(self.fus)} FUs, {len(self.ids)} IDs)")


def _normalise(d: Mapping) -> dict:
    d = _check_mapping("Fabric", d)
    _check_keys("Fabric", d, _TOP_KEYS)
    if "name" not in d:
        raise ValueError("Fabric: missing key 'name'")
    name = d["name"]
    if not isinstance(name, str):
        raise TypeError(f"Fabric name must be a string, not {name!r}")
    if not _FABRIC_NAME_RE.match(name):
        raise ValueError(f"Fabric name must be letters, digits, '_', '.' or '-' (not starting "
                         f"with '.' or '-'), not {name!r}")
    width = d.get("width", 32)
    if not _is_int(width):
        raise TypeError(f"Data width must be 8, 16 or 32, not {width!r}")
    if int(width) not in WIDTHS:
        raise ValueError(f"Data width must be 8, 16 or 32, not {width!r}")
    width = int(width)
    depth = _check_pow2("Instruction memory depth (imem_depth)", d.get("imem_depth", 64), 4,
                        1024)

    # -- FUs
    fu_list = _check_list("Fabric key 'fu'", d.get("fu", []))
    if not fu_list:
        raise ValueError("Fabric: no FUs (the 'fu' list is empty or missing)")
    if len(fu_list) > MAX_FUS:
        raise ValueError(f"Fabric has {len(fu_list)} FUs; the limit is {MAX_FUS} (1..{MAX_FUS})")
    names: set[str] = set()

    def claim(what: str, n: object) -> str:
        n = _check_name(what, n)
        if n in names:
            raise ValueError(f"Duplicate name {n!r} (names must be unique across FUs and IDs)")
        names.add(n)
        return n

    fus = []
    for i, f in enumerate(fu_list):
        f = _check_mapping(f"FU {i}", f)
        if "name" not in f:
            raise ValueError(f"FU {i}: missing key 'name'")
        fname = claim("FU", f["name"])
        where = f"FU {fname!r}"
        if "type" not in f:
            raise ValueError(f"{where}: missing key 'type'")
        ftype = check_choice(f"{where}: type", f["type"], FU_TYPES)
        _check_keys(where, f, ("name", "type", "at", *_FU_KEYS[ftype]))
        out = {"name": fname, "type": ftype}
        if ftype == "mul":
            out.update(_mul_params(where, f, width))
        elif ftype == "lsu":
            out["mem_bytes"] = _check_pow2(f"{where}: mem_bytes", f.get("mem_bytes", 4096), 16,
                                           65536)
        fus.append((out, f.get("at")))
    abus = [f["name"] for f, _ in fus if f["type"] == "abu"]
    if len(abus) != 1:
        raise ValueError(f"A fabric must have exactly one FU of type 'abu', found {len(abus)}"
                         + (f" ({', '.join(abus)})" if abus else ""))

    # -- IDs
    id_list = _check_list("Fabric key 'id'", d.get("id", []))
    if len(id_list) > MAX_FUS:
        raise ValueError(f"Fabric has {len(id_list)} IDs; the limit is {MAX_FUS} (1..{MAX_FUS}, "
                         "no more than FUs)")
    types = {f["name"]: f["type"] for f, _ in fus}
    owner: dict[str, str] = {}
    ids = []
    for i, e in enumerate(id_list):
        e = _check_mapping(f"ID {i}", e)
        if "name" not in e:
            raise ValueError(f"ID {i}: missing key 'name'")
        iname = claim("ID", e["name"])
        where = f"ID {iname!r}"
        _check_keys(where, e, ("name", "fus"))
        members = _check_list(f"{where}: fus", e.get("fus", []))
        if not members:
            raise ValueError(f"{where} drives no FU (its 'fus' list is empty or missing)")
        for m in members:
            if not isinstance(m, str):
                raise TypeError(f"{where}: FU names must be strings, not {m!r}")
            if m not in types:
                raise ValueError(f"{where}: unknown FU {m!r}")
            if m in owner:
                if owner[m] == iname:
                    raise ValueError(f"FU {m!r} is listed twice on ID {iname!r}")
                raise ValueError(f"FU {m!r} is on two IDs: {owner[m]!r} and {iname!r}")
            owner[m] = iname
        first = members[0]
        for m in members[1:]:
            if types[m] != types[first]:
                raise ValueError(f"{where} mixes FU types: {first!r} is {types[first]!r} but "
                                 f"{m!r} is {types[m]!r} (all FUs of an ID have one type)")
        if types[first] == "abu" and len(members) != 1:
            raise ValueError(f"{where}: the ABU must be on an ID of its own")
        ids.append({"name": iname, "fus": list(members)})
    for f, _ in fus:
        if f["name"] not in owner:
            raise ValueError(f"FU {f['name']!r} is not on any ID")

    # -- network
    net = _check_mapping("Fabric key 'network'", d.get("network", {}))
    kind = check_choice("Network kind", net.get("kind", "crossbar"), NETWORK_KINDS)
    if kind == "crossbar":
        _check_keys("Network (crossbar)", net, ("kind",))
        if len(fus) > MAX_CROSSBAR_FUS:
            raise ValueError(f"A crossbar fabric has at most {MAX_CROSSBAR_FUS} FUs (its size "
                             f"grows with the square of the count), this one {len(fus)}; use "
                             "a mesh network for more")
        for f, at in fus:
            if at is not None:
                raise ValueError(f"FU {f['name']!r}: 'at' is only valid on a mesh network")
        network = {"kind": "crossbar"}
    else:
        _check_keys("Network (mesh)", net, ("kind", "cols", "rows", "tracks", "switchbox"))
        n = len(fus)
        cols_default = math.isqrt(n - 1) + 1
        cols = check_int("Mesh cols", net.get("cols", cols_default), 1, MAX_MESH_SIDE)
        rows = check_int("Mesh rows", net.get("rows", -(-n // cols)), 1, MAX_MESH_SIDE)
        tracks = check_int("Mesh tracks", net.get("tracks", 2), 1, MAX_TRACKS)
        switchbox = check_choice("Mesh switchbox", net.get("switchbox", "wilton"), SWITCHBOXES)
        if cols * rows > MAX_MESH_CELLS:
            raise ValueError(f"A {cols}x{rows} mesh has {cols * rows} cells; the limit is "
                             f"{MAX_MESH_CELLS} cells (cols * rows)")
        if cols * rows < n:
            raise ValueError(f"A {cols}x{rows} mesh has {cols * rows} cells but the fabric has "
                             f"{n} FUs (one FU per cell)")
        network = {"kind": "mesh", "cols": cols, "rows": rows, "tracks": tracks,
                   "switchbox": switchbox}
        taken: dict[tuple[int, int], str] = {}
        for f, at in fus:
            if at is None:
                continue
            message = (f"FU {f['name']!r}: at must be [x, y] with 0 <= x < {cols} and "
                       f"0 <= y < {rows}, not {at!r}")
            if isinstance(at, (str, bytes)) or not isinstance(at, (list, tuple)) \
                    or len(at) != 2 or not all(_is_int(v) for v in at):
                raise TypeError(message)
            x, y = int(at[0]), int(at[1])
            if not (0 <= x < cols and 0 <= y < rows):
                raise ValueError(message)
            if (x, y) in taken:
                raise ValueError(f"FU {taken[(x, y)]!r} and FU {f['name']!r} are both at "
                                 f"[{x}, {y}]")
            taken[(x, y)] = f["name"]
            f["at"] = [x, y]
        free = [(x, y) for y in range(rows) for x in range(cols) if (x, y) not in taken]
        for f, at in fus:
            if at is None:
                x, y = free.pop(0)
                f["at"] = [x, y]
    return {"name": name, "width": width, "imem_depth": depth, "network": network,
            "fu": [f for f, _ in fus], "id": ids}


# -- built-in fabrics

_SMALL_IDS = [
    ("c_abu", ["abu0"]), ("c_iu0", ["iu0"]), ("c_iu1", ["iu1"]), ("c_lsu0", ["lsu0"]),
    ("c_lsu1", ["lsu1"]), ("c_rf", ["rf0"]), ("c_mul01", ["mul0", "mul1"]),
    ("c_alu0", ["alu0"]), ("c_alu1", ["alu1"]), ("c_alu23", ["alu2", "alu3"]),
]


def _small_fus(mem_bytes: int) -> list[dict]:
    return [
        {"name": "abu0", "type": "abu"},
        {"name": "iu0", "type": "iu"},
        {"name": "iu1", "type": "iu"},
        {"name": "lsu0", "type": "lsu", "mem_bytes": mem_bytes},
        {"name": "lsu1", "type": "lsu", "mem_bytes": mem_bytes},
        {"name": "rf0", "type": "rf"},
        {"name": "mul0", "type": "mul", "kind": "exact"},
        {"name": "mul1", "type": "mul", "kind": "exact"},
        *({"name": f"alu{i}", "type": "alu"} for i in range(4)),
    ]


def _small() -> dict:
    return {"name": "small", "width": 32, "imem_depth": 64, "network": {"kind": "crossbar"},
            "fu": _small_fus(256), "id": [{"name": n, "fus": f} for n, f in _SMALL_IDS]}


_DEFAULT_PLACEMENT = {
    "mul0": (0, 0), "alu0": (1, 0), "mul1": (2, 0), "alu1": (3, 0), "mul2": (4, 0),
    "alu7": (0, 1), "iu0": (1, 1), "lsu0": (2, 1), "iu1": (3, 1), "alu2": (4, 1),
    "mul7": (0, 2), "lsu2": (1, 2), "rf0": (2, 2), "lsu1": (3, 2), "mul3": (4, 2),
    "alu6": (0, 3), "abu0": (2, 3), "alu3": (4, 3),
    "mul6": (0, 4), "alu5": (1, 4), "mul5": (2, 4), "alu4": (3, 4), "mul4": (4, 4),
}


def _default() -> dict:
    fus = _small_fus(4096)
    fus.append({"name": "lsu2", "type": "lsu", "mem_bytes": 4096})
    for i in range(2, 8):
        mul = {"name": f"mul{i}", "type": "mul", "kind": "exact"}
        if i in (4, 5):
            mul.update(kind="drum", k=6)
        elif i in (6, 7):
            mul.update(kind="roup", p=1, r=2)
        fus.append(mul)
    fus += [{"name": f"alu{i}", "type": "alu"} for i in range(4, 8)]
    for f in fus:
        f["at"] = list(_DEFAULT_PLACEMENT[f["name"]])
    ids = [*_SMALL_IDS, ("c_lsu2", ["lsu2"]), ("c_mul23", ["mul2", "mul3"]),
           ("c_mul45", ["mul4", "mul5"]), ("c_mul67", ["mul6", "mul7"]),
           ("c_alu45", ["alu4", "alu5"]), ("c_alu67", ["alu6", "alu7"])]
    return {"name": "default", "width": 32, "imem_depth": 64,
            "network": {"kind": "mesh", "cols": 5, "rows": 5, "tracks": 4,
                        "switchbox": "wilton"},
            "fu": fus, "id": [{"name": n, "fus": f} for n, f in ids]}


_BUILTIN_DICTS = {"default": _default, "small": _small}
