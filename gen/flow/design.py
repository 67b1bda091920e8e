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

__all__ = ["Param", "Design", "DESIGNS", "DEFAULT_SET", "get", "parse_params", "Instance",
           "instantiate"]


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


def _sfx_latency(params: Mapping[str, object]) -> str:
    return f"_l{params['latency']}" if params.get("latency") else ""


def _su(params: Mapping[str, object]) -> str:
    return ("s" if params["signed"] else "u") + str(params["width"])


def _exact_name(p: Mapping[str, object]) -> str:
    return f"mul_{p['arch']}_{_su(p)}{_sfx_latency(p)}"


def _drum_name(p: Mapping[str, object]) -> str:
    mode = f"_{p['sign_mode']}" if p["signed"] else ""
    return f"drum_{_su(p)}_k{p['k']}{mode}{_sfx_latency(p)}"


def _roup_name(p: Mapping[str, object]) -> str:
    return f"roup_{_su(p)}_p{p['p']}_r{p['r']}{_sfx_latency(p)}"


def _exact_component(**kw):
    from hw.approx import ExactMultiplier

    return ExactMultiplier(**kw)


def _drum_component(**kw):
    from hw.approx import DRUM

    return DRUM(**kw)


def _roup_component(**kw):
    from hw.approx import ROUP

    return ROUP(**kw)


def _exact_model(**kw):
    from sim_models.approx import ExactModel

    return ExactModel(**kw)


def _drum_model(**kw):
    from sim_models.approx import DrumModel

    return DrumModel(**kw)


def _roup_model(**kw):
    from sim_models.approx import RoupModel

    return RoupModel(**kw)


_LATENCY = Param("latency", int, 0, "0..2", "output pipeline registers", model=False)


def _ocu_name(prefix: str) -> Callable[[Mapping[str, object]], str]:
    def name(p: Mapping[str, object]) -> str:
        storage = "_latch" if p["weight_storage"] == "latch" else ""
        pooling = f"_{p['pooling']}pool" if p["pooling"] != "none" else ""
        return f"{prefix}_i{p['n_i']}_k{p['k']}_p{p['latency']}{storage}{pooling}"

    return name


def _ocu_kwargs(kw: Mapping[str, object]) -> dict[str, object]:
    out = {key: value for key, value in kw.items() if key not in ("latency", "pooling")}
    if "latency" in kw:
        out["pipeline"] = kw["latency"]
    pooling = kw.get("pooling", "none")
    out["pooling"] = None if pooling == "none" else pooling
    return out


def _ternary_ocu_component(**kw):
    from hw.ternary import OCU

    return OCU(**_ocu_kwargs(kw))


def _binary_ocu_component(**kw):
    from hw.ternary import BinaryOCU

    return BinaryOCU(**_ocu_kwargs(kw))


def _ternary_ocu_model(**kw):
    from sim_models.ternary.ocu import OCUModel

    return OCUModel(**_ocu_kwargs(kw))


def _binary_ocu_model(**kw):
    from sim_models.ternary.ocu import BinaryOCUModel

    return BinaryOCUModel(**_ocu_kwargs(kw))


def _ocu_params(what: str) -> tuple[Param, ...]:
    return (
        Param("n_i", int, 96, "1..256", "input channels"),
        Param("k", int, 3, "1|3|5|7", "kernel size (k x k window)"),
        Param("latency", int, 1, "0..2", f"pipeline register stages of the {what} unit",
              model=False),
        Param("weight_storage", str, "ff", "'ff'|'latch'", "weight buffer storage",
              model=False),
        Param("pooling", str, "none", "'none'|'max'|'sum'", "2x2 pooling of 4 window sums"),
    )

def _engine_name(p: Mapping[str, object]) -> str:
    layers = p.get("weight_layers", 1)
    return (f"ternary_engine_i{p['n_i']}_o{p['n_o']}_k{p['k']}_w{p['image_width']}"
            f"_p{p['latency']}" + (f"_m{layers}" if layers != 1 else ""))


def _engine_component(**kw):
    from hw.ternary import TernaryEngine

    layers = kw.get("weight_layers", 1)
    if isinstance(layers, bool) or not isinstance(layers, int) or not 1 <= layers <= 64:
        raise ValueError(f"Weight layers must be an integer between 1 and 64, not {layers!r}")
    depth = layers * kw["n_o"] * kw["k"] * kw["k"]
    if isinstance(kw["n_o"], int) and isinstance(kw["k"], int) and depth > 65536:
        raise ValueError(f"Weight layers x n_o x k x k must be at most 65536 words, not {depth}")
    return TernaryEngine(kw["n_i"], kw["n_o"], kw["k"], kw["image_width"],
                         pipeline=kw["latency"], weight_depth=depth, shared=True)


def _engine_model(**kw):
    from sim_models.ternary import TernaryLayer

    def layer(image, weights, lo=None, hi=None, *, stride=1, padding="same", pooling=None):
        """One ternary layer as the engine computes it (raw sums without thresholds)."""
        return TernaryLayer(weights, lo, hi, stride=stride, padding=padding,
                            pooling=pooling)(image)

    return layer


def _cim_name(p: Mapping[str, object]) -> str:
    s = ("s" if p["signed_inputs"] else "u") + ("s" if p["signed_weights"] else "u")
    enc = "fib" if p["encoding"] == "fibbinary" else "bin"
    approx = f"_a{p['approx_bits']}" if p["approx_bits"] else ""
    latch = "_latch" if p["storage"] == "latch" else ""
    return (f"cim_r{p['rows']}_c{p['cols']}_w{p['wb']}_i{p['ib']}_{s}_{enc}_{p['bit_order']}"
            f"{approx}{latch}")


def _cim_component(**kw):
    from hw.cim import CIMMacro

    return CIMMacro(kw["rows"], kw["cols"], kw["wb"], kw["ib"],
                    **{k: v for k, v in kw.items() if k not in ("rows", "cols", "wb", "ib")})


def _cim_model(**kw):
    from sim_models.cim import CIMMacroModel

    return CIMMacroModel(kw["rows"], kw["cols"], kw["wb"], kw["ib"],
                         **{k: v for k, v in kw.items() if k not in ("rows", "cols", "wb", "ib")})


def _cgra_fabric(fabric: str, mul: str):
    from sim_models.cgra.fabric_file import load

    fab = load(fabric)
    if mul:
        if mul not in ("exact", "drum", "roup"):
            raise ValueError(f"Mul must be '', 'exact', 'drum' or 'roup', not {mul!r}")
        fab = fab.with_mul(mul)
    return fab


def _cgra_name(p: Mapping[str, object]) -> str:
    return f"cgra_{_cgra_fabric(p['fabric'], p['mul']).name}"


def _cgra_component(**kw):
    from hw.cgra import CGRA

    return CGRA(_cgra_fabric(kw["fabric"], kw["mul"]).to_dict())


def _cgra_model(**kw):
    from sim_models.cgra import CGRAModel

    return CGRAModel(_cgra_fabric(kw["fabric"], kw["mul"]))


DESIGNS: dict[str, Design] = {
    d.name: d
    for d in (
        Design(
            "exact", "approx", "exact multiplier (Yosys array or explicit radix-4 Booth)",
            (
                Param("width", int, 8, "2..64", "operand width in bits"),
                Param("signed", bool, False, "true|false", "two's-complement operands"),
                Param("arch", str, "array", "'array'|'booth'", "multiplier architecture",
                      model=False),
                _LATENCY,
            ),
            _exact_component, _exact_model, _exact_name,
        ),
        Design(
            "drum", "approx", "DRUM dynamic-range unbiased multiplier (Hashemi et al. 2015)",
            (
                Param("width", int, 16, "4..64", "operand width in bits"),
                Param("k", int, 6, "3..width-1", "bits kept from each operand's leading one"),
                Param("signed", bool, False, "true|false", "two's-complement operands"),
                Param("sign_mode", str, "twos", "'ones'|'twos'",
                      "signed magnitude: one's or two's complement (ignored when unsigned)"),
                _LATENCY,
            ),
            _drum_component, _drum_model, _drum_name,
        ),
        Design(
            "roup", "approx", "ROUP rounding + radix-4 partial-product perforation (Leon 2019)",
            (
                Param("width", int, 16, "4..64", "operand width in bits"),
                Param("p", int, 1, "0..digits-1", "perforated radix-4 rows (digits = "
                      "ceil(width/2) signed, ceil((width+1)/2) unsigned)"),
                Param("r", int, 2, "0..width-2", "multiplicand rounding bits"),
                Param("signed", bool, True, "true|false",
                      "two's-complement operands (unsigned: treated as width+1-bit signed)"),
                _LATENCY,
            ),
            _roup_component, _roup_model, _roup_name,
        ),
        Design(
            "ternary_ocu", "ternary",
            "ternary output-channel unit: k x k x n_i trit dot product and thresholds per cycle",
            _ocu_params("ternary"),
            _ternary_ocu_component, _ternary_ocu_model, _ocu_name("ternary_ocu"),
        ),
        Design(
            "binary_ocu", "ternary",
            "binary (XNOR-popcount) output-channel unit, the baseline of the ternary one",
            _ocu_params("binary"),
            _binary_ocu_component, _binary_ocu_model, _ocu_name("binary_ocu"),
        ),
        Design(
            "ternary_engine", "ternary",
            "CUTIE-style engine: packed line buffer and weight memory, n_o OCUs (one Verilog "
            "module instantiated n_o times), 2x2 pooling, one window per cycle",
            (
                Param("n_i", int, 96, "1..256", "input channels"),
                Param("n_o", int, 96, "1..256", "output channels (OCUs)"),
                Param("k", int, 3, "1|3|5|7", "kernel size (k x k window)"),
                Param("image_width", int, 64, "k..1024", "widest input frame (line length)"),
                Param("latency", int, 1, "0..2",
                      "OCU pipeline stages (the engine adds the line buffer's 1)", model=False),
                Param("weight_layers", int, 1, "1..64",
                      "weight memory size in layers of n_o x k x k packed words", model=False),
            ),
            _engine_component, _engine_model, _engine_name,
        ),
        Design(
            "cim_macro", "cim",
            "bit-serial digital CIM macro (ISSCC'22-style), binary or fibbinary weights "
            "(2 input bits per cycle), exact or truncated adder tree",
            (
                Param("rows", int, 64, "1..1024", "rows: inputs per dot product"),
                Param("cols", int, 4, "1..256", "columns: dot products (weights per row)"),
                Param("wb", int, 4, "1..8", "weight bits"),
                Param("ib", int, 4, "1..8", "input bits (applied 1 or 2 per cycle)"),
                Param("signed_inputs", bool, False, "true|false", "two's-complement inputs"),
                Param("signed_weights", bool, False, "true|false", "two's-complement weights"),
                Param("bit_order", str, "lsb", "'lsb'|'msb'", "input slice order"),
                Param("encoding", str, "binary", "'binary'|'fibbinary'", "weight encoding"),
                Param("approx_bits", int, 0, "0..wb-1",
                      "product bits dropped before the adder tree (0: exact)"),
                Param("storage", str, "ff", "'ff'|'latch'", "bit-cell storage", model=False),
            ),
            _cim_component, _cim_model, _cim_name,
        ),
        Design(
            "cgra", "cgra",
            "R-Blocks-style CGRA fabric: FUs, crossbar or mesh data network, IDs with "
            "instruction memories, scan-chain configuration (docs/cgra.md)",
            (
                Param("fabric", str, "small", "'small'|'default'|PATH.toml",
                      "fabric description: a built-in or a TOML file"),
                Param("mul", str, "", "''|'exact'|'drum'|'roup'",
                      "replace every MUL tile by this multiplier ('': as described)"),
            ),
            _cgra_component, _cgra_model, _cgra_name,
        ),
    )
}


def get(name: str) -> Design:
    """Return the design called ``name``.

    Raises
    ------
    ValueError
        If there is no such design.
    """
    try:
        return DESIGNS[name]
    except KeyError:
        raise ValueError(
            f"Unknown design {name!r}; valid: {', '.join(sorted(DESIGNS))}"
        ) from None


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


def instantiate(name: str, params: Mapping[str, object] | Iterable[str] = ()) -> Instance:
    """Build the generator (not elaborated) and the golden model of a design.

    ``params`` is a mapping of values or an iterable of ``NAME=VALUE`` strings; missing ones take
    their defaults. Every parameter is validated here, before anything is elaborated or written.

    Raises
    ------
    TypeError, ValueError
        With the message of the generator or the model naming the parameter and its range.
    """
    design = get(name)
    if isinstance(params, Mapping):
        merged = design.defaults()
        for key, value in params.items():
            merged[key] = design.param(key).check_choice(value)
    else:
        merged = parse_params(design, params)
    component = design.component(**merged)
    model = design.model(**{p.name: merged[p.name] for p in design.params if p.model})
    return Instance(design, merged, component, model)


# The design points `make verilog` writes and `make report` characterises.
DEFAULT_SET: tuple[tuple[str, dict[str, object]], ...] = (
    *(("exact", {"width": w, "signed": s, "arch": a})
      for w in (8, 16) for s in (False, True) for a in ("array", "booth")),
    *(("drum", {"width": 8, "k": k}) for k in (4, 5, 6)),
    *(("drum", {"width": 16, "k": k}) for k in (4, 5, 6, 7, 8)),
    ("drum", {"width": 16, "k": 6, "signed": True, "sign_mode": "twos"}),
    *(("roup", {"width": w, "p": p, "r": r})
      for w in (8, 16) for p, r in ((1, 0), (0, 2), (1, 2), (2, 4))),
)
