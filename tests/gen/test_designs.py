"""The design registry: the ranges ``edgeforge list`` prints are the ones the generators and the
golden models enforce (checked at each boundary, both sides)."""

from __future__ import annotations

import pytest

from gen.flow.design import parse_params

# (design, parameter, smallest valid, largest valid, other parameters fixing dependent bounds)
from gen.flow.family import designs, instantiate

# (design, parameter, smallest valid, largest valid, other parameters fixing dependent bounds)
BOUNDS = [
    ("exact", "width", 2, 64, {}),
    ("exact", "latency", 0, 2, {}),
    ("drum", "width", 4, 64, {"k": 3}),
    ("drum", "k", 3, 15, {"width": 16}),
    ("drum", "k", 3, 7, {"width": 8}),
    ("drum", "latency", 0, 2, {}),
    ("roup", "width", 4, 64, {"p": 0, "r": 0}),
    ("roup", "r", 0, 14, {"width": 16}),
    ("roup", "p", 0, 7, {"width": 16, "signed": True}),
    ("roup", "p", 0, 8, {"width": 16, "signed": False}),
    ("roup", "p", 0, 2, {"width": 5, "signed": True, "r": 0}),
    ("roup", "p", 0, 2, {"width": 5, "signed": False, "r": 0}),
    ("roup", "latency", 0, 2, {}),
]


@pytest.mark.parametrize("design,param,lo,hi,others", BOUNDS)
def test_generator_and_model_agree_on_every_boundary(design, param, lo, hi, others):
    for value in (lo, hi):
        inst = instantiate(design, {**others, param: value})
        assert inst.params[param] == value
    for value in (lo - 1, hi + 1):
        with pytest.raises(ValueError, match=rf"between {lo} and {hi}.*not {value}$"):
            designs()[design].component(**{**designs()[design].defaults(), **others, param: value})
        spec = designs()[design].param(param)
        if spec.model:
            kwargs = {p.name: v for p, v in zip(designs()[design].params,
                                                designs()[design].defaults().values(), strict=True)
                      if p.model}
            kwargs.update({k: v for k, v in others.items() if designs()[design].param(k).model})
            kwargs[param] = value
            with pytest.raises(ValueError, match=rf"between {lo} and {hi}.*not {value}$"):
                designs()[design].model(**kwargs)


def test_parse_params_converts_types_and_keeps_defaults():
    p = parse_params(designs()["drum"], ["width=0x10", "signed=TRUE", "sign_mode=ones"])
    assert p == {"width": 16, "k": 6, "signed": True, "sign_mode": "ones", "latency": 0}
    p = parse_params(designs()["exact"], ["signed=off"])
    assert p["signed"] is False


def test_cli_params_round_trip():
    inst = instantiate("drum", ["width=8", "k=4", "signed=true"])
    assert inst.cli_params() == ["-p", "width=8", "-p", "k=4", "-p", "signed=true"]
    again = instantiate("drum", [x for x in inst.cli_params() if x != "-p"])
    assert again.params == inst.params


def test_types_are_checked_before_anything_is_built():
    with pytest.raises(TypeError, match="Width must be an integer between 2 and 64, not True"):
        instantiate("exact", {"width": True})
    with pytest.raises(TypeError, match="Signed must be a bool, not 1"):
        instantiate("drum", {"signed": 1})
    with pytest.raises(ValueError, match="Design roup has no parameter 'q'"):
        instantiate("roup", {"q": 1})
