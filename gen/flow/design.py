# amaranth: UnusedElaboratable=no
# (the registry builds generators to validate parameters; commands such as `errors` never
# elaborate them, which is intended)
"""The registry of generatable designs: names, parameters, generators, golden models.

Each :class:`Design` ties a generator in :mod:`hw` to its golden model in :mod:`sim_models` and
states its parameters (type, default, valid range as text for ``edgeforge list``). The ranges are
enforced by the generator and the model themselves; this module only parses ``NAME=VALUE`` pairs,
rejects unknown names and derives the Verilog module name from the parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

_CHOICES = re.compile(r"'[^'|]*'(?:\|'[^'|]*')*")
_INT = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)")


def parse_int(text: str) -> int:
    """An integer as users type it: ASCII decimal (leading zeros allowed), or 0x, 0o, 0b.

    Raises
    ------
    ValueError
        Anything else (floats, other scripts' digits, underscores, empty text).
    """
    t = text.strip()
    if len(t) > 40 or not _INT.fullmatch(t):
        raise ValueError(f"not an integer: {text[:40]!r}")
    return int(t, 0 if t.lstrip("+-")[1:2].isalpha() else 10)

__all__ = ["Param", "Design", "parse_params", "parse_int", "Instance"]


@dataclass(frozen=True)
class Param:
    """One generator parameter as users see it."""

    name: str
    kind: type
    default: object
    valid: str
    doc: str
    model: bool = True  # passed to the golden model too (False: hardware-only, e.g. latency)

    def parse(self, text: str) -> object:
        """Convert the text of ``-p NAME=VALUE`` to this parameter's type."""
        if self.kind is bool:
            low = text.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"Parameter {self.name} must be true or false, not {text!r}")
        if self.kind is int:
            if len(text.strip()) > 40:  # no value of any design needs more digits
                raise ValueError(f"Parameter {self.name} must be an integer ({self.valid}), not "
                                 f"a {len(text.strip())}-character string")
            try:
                return parse_int(text)
            except ValueError:
                raise ValueError(
                    f"Parameter {self.name} must be an integer ({self.valid}), not {text!r}"
                ) from None
        return self.check_choice(text)

    @property
    def choices(self) -> tuple[str, ...] | None:
        """The values of a string parameter with a closed set (``'a'|'b'``), else None."""
        if self.kind is not str or not _CHOICES.fullmatch(self.valid):
            return None
        return tuple(v.strip("'") for v in self.valid.split("|"))

    def check_choice(self, value: object) -> object:
        """Refuse a value outside :attr:`choices`, naming the values users type."""
        choices = self.choices
        if choices is not None and value not in choices:
            shown = ", ".join(repr(c) for c in choices)
            raise ValueError(f"Parameter {self.name} must be one of {shown}, not {value!r}")
        return value


@dataclass(frozen=True)
class Design:
    """A generatable design: its generator, golden model and parameters."""

    name: str
    family: str
    summary: str
    params: tuple[Param, ...]
    component: Callable[..., object]
    model: Callable[..., object]
    module_name: Callable[[Mapping[str, object]], str]

    def defaults(self) -> dict[str, object]:
        return {p.name: p.default for p in self.params}

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        valid = ", ".join(p.name for p in self.params)
        raise ValueError(f"Design {self.name} has no parameter {name!r}; valid: {valid}")


def parse_params(design: Design, pairs: Iterable[str]) -> dict[str, object]:
    """Merge ``NAME=VALUE`` strings into the design's defaults (types converted, names checked).

    Raises
    ------
    ValueError
        For a malformed pair, an unknown or repeated name, or a value of the wrong type.
    """
    params = design.defaults()
    seen: set[str] = set()
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"Parameter {pair!r} must be NAME=VALUE")
        spec = design.param(name)
        if name in seen:
            raise ValueError(f"Parameter {name} given twice")
        seen.add(name)
        params[name] = spec.parse(value)
    return params


@dataclass(frozen=True)
class Instance:
    """A design with its parameters fixed: generator, golden model and module name."""

    design: Design
    params: dict[str, object]
    component: object
    model: object

    @property
    def module(self) -> str:
        return self.design.module_name(self.params)

    def emit(self, directory):
        """Write this point's Verilog, sidecar, file list, waivers and core
        (:func:`gen.flow.ip.emit`)."""
        from .ip import emit

        return emit(self, directory)

    def cli_params(self) -> list[str]:
        """The ``-p`` arguments that reproduce this instance, defaults left out."""
        out = []
        for p in self.design.params:
            value = self.params[p.name]
            if value != p.default:
                text = str(value).lower() if p.kind is bool else str(value)
                out += ["-p", f"{p.name}={text}"]
        return out
