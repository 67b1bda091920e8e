"""Simulator selection (``SIM=``) and the environment a Verilator build runs in."""

from __future__ import annotations

import os
import shutil

import pytest

from verif import sim as sim_mod


@pytest.mark.parametrize("value,expected", [("icarus", "icarus"), (" Verilator ", "verilator")])
def test_sim_names_the_simulator(monkeypatch, value, expected):
    monkeypatch.setenv("SIM", value)
    assert sim_mod.select() == expected
    assert sim_mod.verilator_selected() is (expected == "verilator")


def test_unset_sim_prefers_icarus_on_path(monkeypatch):
    monkeypatch.delenv("SIM", raising=False)
    expected = "icarus" if shutil.which("iverilog") else "verilator"
    assert sim_mod.select() == expected


def test_bad_sim_is_an_error_but_not_at_collection(monkeypatch):
    monkeypatch.setenv("SIM", "modelsim")
    with pytest.raises(sim_mod.SimulatorError,
                       match="SIM must be 'icarus' or 'verilator', not 'modelsim'"):
        sim_mod.select()
    assert sim_mod.verilator_selected() is False


@pytest.mark.skipif(not shutil.which("ccache"), reason="ccache is not installed")
def test_verilator_builds_share_ccache_across_clones_and_restore_the_environment(monkeypatch):
    monkeypatch.delenv("CCACHE_BASEDIR", raising=False)
    monkeypatch.setenv("MAKEFLAGS", "-s")
    project = os.path.dirname(os.path.dirname(os.path.abspath(sim_mod.__file__)))
    with sim_mod.verilator_makeflags("verilator"):
        assert os.environ["CCACHE_BASEDIR"] == project
        assert os.environ["MAKEFLAGS"].startswith("-s ") and "OBJCACHE=ccache" in \
            os.environ["MAKEFLAGS"]
    assert "CCACHE_BASEDIR" not in os.environ and os.environ["MAKEFLAGS"] == "-s"
    with sim_mod.verilator_makeflags("icarus"):
        assert "CCACHE_BASEDIR" not in os.environ
