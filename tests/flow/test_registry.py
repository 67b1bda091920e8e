"""The family registry: discovery, refusals named, instantiation through the families."""

from __future__ import annotations

import pytest

from gen.flow import family as fam
from gen.flow.design import Design, Param


@pytest.fixture
def registry(monkeypatch):
    """An isolated registry holding the installed families."""
    monkeypatch.setattr(fam, "_FAMILIES", dict(fam.families()))
    return fam


def _family(name, *designs):
    f = fam.Family()
    f.name = name
    f.designs = tuple(Design(d, name, "x", (Param("w", int, 1, "1..2", "w"),), dict, dict,
                             lambda p, d=d: d) for d in designs)
    return f


def test_installed_families_and_designs():
    assert list(fam.families()) == ["approx", "ternary", "cim", "cgra"]
    assert {"exact", "drum", "roup", "ternary_ocu", "binary_ocu", "ternary_engine", "cim_macro",
            "cgra"} <= set(fam.designs())
    assert fam.family_of("cim_macro").name == "cim"
    assert fam.default_set()[0] == ("exact", {"width": 8, "signed": False, "arch": "array"})


def test_unknown_design_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown design 'nope'; valid: binary_ocu, cgra, "):
        fam.instantiate("nope")


def test_register_refusals(registry):
    with pytest.raises(TypeError, match="a family must be a gen.flow.family.Family"):
        registry.register(object())
    with pytest.raises(ValueError, match="family name must be an identifier, not 'a b'"):
        registry.register(_family("a b"))
    with pytest.raises(ValueError, match="design drum of family extra is already a design of "
                                         "family approx"):
        registry.register(_family("extra", "drum"))
    with pytest.raises(ValueError, match="family approx is registered twice"):
        registry.register(_family("approx", "x1"))
    wrong = _family("extra", "x2")
    wrong.designs = (Design("x2", "approx", "x", (), dict, dict, lambda p: "x2"),)
    with pytest.raises(ValueError, match="design x2 says family 'approx', registered by extra"):
        registry.register(wrong)
    f = registry.register(_family("extra", "x3"))
    assert registry.register(f) is f  # the same object twice is no error
    assert registry.family_of("x3") is f


def test_env_var_spec_errors_are_one_line(registry, monkeypatch):
    with pytest.raises(ValueError, match=r"EDGEFORGE_FAMILIES: cannot load family "
                                         r"'no_such_module:FAMILY'"):
        registry._load("no_such_module:FAMILY", registry.ENV_VAR)
    with pytest.raises(ValueError, match="cannot load family 'gen.flow.family:NOPE'"):
        registry._load("gen.flow.family:NOPE", registry.ENV_VAR)


def test_family_without_an_energy_flow_is_refused_by_name(registry, capsys):
    from gen.cli import main

    registry.register(_family("extra", "x4"))
    assert registry.family_of("x4").measures() == ()
    assert main(["energy", "x4"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("edgeforge: error: `edgeforge energy` does not measure x4; it measures "
                          "exact, drum, roup, ternary_ocu")


def test_a_family_that_cannot_plug_in_is_one_line(registry, capsys):
    from gen.cli import main

    clash = _family("extra", "x5")
    clash.energy_options = lambda: (fam.EnergyOption("--ops", {"type": int}),)
    registry.register(clash)
    assert main(["list"]) == 2
    assert capsys.readouterr().err == (
        "edgeforge: error: family extra adds an energy option that exists: argument --ops: "
        "conflicting option string: --ops\n")


def test_report_section_options_are_checked_by_name():
    from gen.flow.report import build_report

    with pytest.raises(ValueError, match="Report section ocu has no option 'ocu_window'; valid: "
                                         "windows"):
        build_report("unused", sections={"ocu": {"ocu_window": 3}})
    with pytest.raises(ValueError, match="Unknown report section 'ocus'; valid: approx, cgra"):
        build_report("unused", sections={"ocus": True})
