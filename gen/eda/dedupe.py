"""Identical modules of a Verilog design, merged before synthesis so that Yosys maps each once.

Generators such as Amaranth emit one module per instance: a fabric of eight identical ALUs is
eight module definitions that differ only in their names and in the names Yosys' Verilog
backend gave their internal ``$auto$`` wires. Synthesis with the hierarchy kept maps every
module on its own (no constant or port information crosses a module boundary), so identical
definitions map to identical netlists; :func:`dedupe` keeps one definition per class and points
every instance at it, and :func:`expand_stat` gives Yosys' ``stat -json`` of the merged design
back its original modules (each with the cells of the definition that stood for it), so every
figure computed from the statistics is the one of the design as written.

Two modules are identical when their texts are equal after renaming (consistently, in order of
appearance) the ``$auto$`` identifiers of each and after replacing the modules they instantiate
by the definitions that stand for those, repeated until nothing changes. A design whose module
names are used in any other way than as the type of a plain instantiation is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["Deduped", "dedupe", "expand_stat"]

_NAME = r"(?:\\\S+|[A-Za-z_][\w$]*)"
# a module with the attribute lines right before it
_MODULE = re.compile(
    rf"((?:^\(\*[^\n]*\*\)[ \t]*\n)*)^module\s+({_NAME})(.*?^endmodule\b[^\n]*\n?)", re.M | re.S)
# an instantiation: "<type> <instance> (" at the start of a line
_INSTANCE = re.compile(rf"^(\s*)({_NAME})(\s+)(?=({_NAME})\s*\()", re.M)
_AUTO = re.compile(r"\\\$auto\$\S+")
_TOKEN = re.compile(rf"{_NAME}")


def _plain(name: str) -> str:
    """A module name as Yosys reports it without its leading backslash."""
    return name[1:] if name.startswith("\\") else name


@dataclass(frozen=True)
class Deduped:
    """A design with identical modules merged.

    Members
    -------
    text
        The Verilog with one definition per class of identical modules.
    stands_for
        Every original module (plain name, as in Yosys' statistics) -> the module whose
        definition stands for it (itself when it was kept).
    children
        Every original module -> its instances of modules: instance name -> original module.
    order
        The original modules in the order of the source.
    top
        The top module.
    """

    text: str
    stands_for: dict[str, str] = field(default_factory=dict)
    children: dict[str, dict[str, str]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    top: str = ""

    @property
    def merged(self) -> int:
        """How many module definitions were dropped."""
        return sum(1 for m, c in self.stands_for.items() if m != c)


def _normal(body: str, canon: Mapping[str, str]) -> str:
    """``body`` with its ``$auto$`` names numbered in order and its instance types canonical."""
    autos: dict[str, str] = {}
    body = _AUTO.sub(lambda m: autos.setdefault(m.group(0), f"\\$auto${len(autos)}"), body)
    return _INSTANCE.sub(lambda m: m.group(1) + canon.get(m.group(2), m.group(2)) + m.group(3),
                         body)


def _classes(bodies: Mapping[str, str], top: str) -> dict[str, str]:
    """Every module -> the first module of its class of identical ones (:func:`dedupe`)."""
    canon = {n: n for n in bodies}
    while True:
        first: dict[str, str] = {}
        new = {}
        for name, body in bodies.items():
            key = "top" if name == top else _normal(body, canon)
            new[name] = first.setdefault(key, name)
        if new == canon:
            return canon
        canon = new


def dedupe(verilog: str, top: str) -> Deduped:
    """Merge the identical modules of ``verilog`` (module docstring); ``top`` is always kept.

    Returns the text unchanged (and ``stands_for`` mapping every module to itself) when there
    is nothing to merge or a module name is used in a way this does not rewrite.
    """
    spans = list(_MODULE.finditer(verilog))
    bodies = {m.group(2): m.group(3) for m in spans}
    order = [_plain(n) for n in bodies]
    children = {_plain(n): {_plain(m.group(4)): _plain(m.group(2))
                            for m in _INSTANCE.finditer(b) if m.group(2) in bodies}
                for n, b in bodies.items()}
    same = Deduped(verilog, {m: m for m in order}, children, order, top)
    if len(bodies) != len(spans) or not any(top in (n, _plain(n)) for n in bodies):
        return same
    top_name = next(n for n in bodies if _plain(n) == top)
    canon = _classes(bodies, top_name)
    if all(n == c for n, c in canon.items()):
        return same
    out, pos = [], 0
    for m in spans:
        out.append(verilog[pos:m.start()])
        pos = m.end()
        if canon[m.group(2)] == m.group(2):
            body = _INSTANCE.sub(lambda i: i.group(1) + canon.get(i.group(2), i.group(2))
                                 + i.group(3), m.group(3))
            out.append(m.group(1) + f"module {m.group(2)}" + body)
    out.append(verilog[pos:])
    text = "".join(out)
    dropped = {n for n, c in canon.items() if n != c}
    if any(t in dropped for t in _TOKEN.findall(text)):  # a name used otherwise: keep as is
        return same
    return Deduped(text, {_plain(n): _plain(c) for n, c in canon.items()}, children, order,
                   top)


def _stat_key(stat_modules: Mapping, name: str) -> str | None:
    for key in (f"\\{name}", name):
        if key in stat_modules:
            return key
    return None


def _by_type(entry: Mapping, own: list[str], modules: Mapping[str, str]) -> dict:
    """``num_cells_by_type`` of an entry with its submodule counts replaced by ``own``."""
    subs: dict[str, int] = {}
    for child in own:
        subs[child] = subs.get(child, 0) + 1
    out: dict = {}
    for t, n in entry.get("num_cells_by_type", {}).items():
        if _plain(t) in modules:
            out.update(subs)  # where the merged design's submodules were
        else:
            out[t] = n
    out.update(subs)
    return out


def expand_stat(stat: Mapping, d: Deduped, instances: Mapping[str, Iterable[str]]) -> dict:
    """Yosys' ``stat -json`` of the merged design with the original modules back.

    ``instances`` names the submodule instances each module of the merged design kept after
    synthesis (Yosys drops instances whose outputs are unused, and then modules without
    instances). Every original module reached from the top through them gets the entry of the
    definition that stood for it, its counts of submodules by type replaced by its own kept
    submodules (original names); the modules are listed in reverse source order, as Yosys lists
    those of an unmerged design. ``design`` (the totals) is unchanged.
    """
    if not d.merged:
        return dict(stat)
    modules = stat.get("modules", {})
    kept: dict[str, list[str]] = {}
    todo = [d.top]
    while todo:
        name = todo.pop()
        if name in kept:
            continue
        own = d.children.get(name, {})
        kept[name] = [own[i] for i in instances.get(d.stands_for[name], ()) if i in own]
        todo += kept[name]
    out = {}
    for name in reversed(d.order):
        key = _stat_key(modules, d.stands_for[name])
        if name in kept and key is not None:
            entry = dict(modules[key])
            entry["num_cells_by_type"] = _by_type(entry, kept[name], d.stands_for)
            out[f"\\{name}"] = entry
    return {**stat, "modules": out}
