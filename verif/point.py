"""Design points of the testbenches' command lines: a component and its golden model, built
directly from ``-p NAME=VALUE`` parameters.

The ``python -m verif...`` entry points take the parameters of the flow's registry designs
(``edgeforge`` ``-p`` pairs, so a repro line printed by either runs in both) and construct the
:mod:`hw` component and the :mod:`sim_models` model themselves; the range checks and their
messages are the component's and the model's. A :class:`DesignPoint` offers what the ``run``
functions read of a flow instance: ``design.name``, ``module``, ``component``, ``model``,
``params`` and ``cli_params()``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["Design", "DesignPoint", "parse_params"]

_INT = re.compile(r"[+-]?(?:0[xX][0-9A-Fa-f]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)")


@dataclass(frozen=True)
class Design:
    """A registry design as the testbenches name it."""

    name: str


@dataclass(frozen=True)
class DesignPoint:
    """A design with its parameters fixed: component, golden model and module name.

    ``defaults`` are the parameters' defaults; :meth:`cli_params` leaves them out.
    """

    design: Design
    module: str
    params: dict
    component: object
    model: object
    defaults: dict

    def cli_params(self) -> list[str]:
        """The ``-p`` arguments that reproduce this point, defaults left out."""
        out = []
        for name, default in self.defaults.items():
            value = self.params[name]
            if value != default:
                text = str(value).lower() if isinstance(value, bool) else str(value)
                out += ["-p", f"{name}={text}"]
        return out


def _parse_value(name: str, text: str, default: object) -> object:
    if isinstance(default, bool):
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"Parameter {name} must be true or false, not {text!r}")
    if isinstance(default, int):
        t = text.strip()
        if len(t) > 40 or not _INT.fullmatch(t):
            raise ValueError(f"Parameter {name} must be an integer, not {text[:40]!r}")
        return int(t, 0 if t.lstrip("+-")[1:2].isalpha() else 10)
    return text


def parse_params(design: str, defaults: Mapping[str, object],
                 params: Mapping[str, object] | Iterable[str] = ()) -> dict[str, object]:
    """Merge ``params`` (a mapping, or ``NAME=VALUE`` strings converted to the type of each
    default) into ``defaults``.

    Raises
    ------
    ValueError
        For a malformed pair, an unknown or repeated name, or a value of the wrong type.
    """
    merged = dict(defaults)

    def known(name):
        if name not in defaults:
            raise ValueError(f"Design {design} has no parameter {name!r}; valid: "
                             f"{', '.join(defaults)}")

    if isinstance(params, Mapping):
        for name, value in params.items():
            known(name)
            merged[name] = value
        return merged
    seen: set[str] = set()
    for pair in params:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"Parameter {pair!r} must be NAME=VALUE")
        known(name)
        if name in seen:
            raise ValueError(f"Parameter {name} given twice")
        seen.add(name)
        merged[name] = _parse_value(name, value, defaults[name])
    return merged
