"""A toy family registered from the test tree goes through list, verilog, synth and energy.

The family (tests/flow/toy_family.py: generator, model, workload) is loaded by the CLI through
``EDGEFORGE_FAMILIES``; nothing in gen/, hw/, verif/ or sim_models/ knows it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def edgeforge(tmp_path, *args, broken=False):
    env = {**os.environ, "EDGEFORGE_FAMILIES": "toy_family:FAMILY",
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
           "TOY_BROKEN": "1" if broken else "0"}
    return subprocess.run([sys.executable, "-m", "gen.cli", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)


def test_no_shared_module_names_the_toy():
    for pkg in ("gen", "hw", "verif", "sim_models"):
        for path in (ROOT / pkg).rglob("*.py"):
            assert "toy_adder" not in path.read_text(), path


def test_list_and_verilog(tmp_path):
    r = edgeforge(tmp_path, "list")
    assert r.returncode == 0, r.stderr
    assert "toy_adder  [toy]  unsigned adder, combinational" in r.stdout
    assert "drum  [approx]" in r.stdout  # the installed families are still there
    r = edgeforge(tmp_path, "list", "--families")
    assert r.returncode == 0, r.stderr
    assert "toy  a toy adder (tests/flow)  [toy_family]" in r.stdout
    assert "designs: toy_adder; energy measures: toy_adder (one operation: one addition)" \
        in r.stdout
    r = edgeforge(tmp_path, "verilog", "toy_adder", "-p", "width=4", "-o", "v")
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "v" / "toy_adder_w4.v").read_text()
    assert "module toy_adder_w4" in text and "[4:0] s" in text
    r = edgeforge(tmp_path, "verilog", "toy_adder", "-p", "width=40")
    assert r.returncode == 2
    assert r.stderr == "edgeforge: error: Width must be an integer between 1 and 32, not 40\n"


def test_synth(tmp_path):
    r = edgeforge(tmp_path, "synth", "toy_adder", "-p", "width=4", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["top"] == "toy_adder_w4" and d["area_um2"] > 0 and d["num_cells"] > 4


@pytest.mark.rtl
def test_energy_measured_and_checked(tmp_path):
    r = edgeforge(tmp_path, "energy", "toy_adder", "-p", "width=4", "--adds", "32", "--json",
                  "--sim", "icarus")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["module"] == "toy_adder_w4" and d["ops"] == 32 and d["unannotated_nets"] == 0
    assert d["energy_per_op_fj"] > 0
    assert d["energy_per_op_fj"] == pytest.approx(d["switching_fj"] + d["internal_fj"]
                                                  + d["leakage_fj"], rel=1e-5)
    # a family option refused for another family's design, by name, and range-checked
    r = edgeforge(tmp_path, "energy", "drum", "--adds", "4")
    assert r.returncode == 2
    assert r.stderr == "edgeforge: error: --adds is for toy_adder, not drum\n"
    r = edgeforge(tmp_path, "energy", "toy_adder", "--adds", "0")
    assert r.returncode == 2
    assert "argument --adds: must be an integer between 1 and 4096, not 0" in r.stderr


@pytest.mark.rtl
def test_energy_catches_a_wrong_golden_model(tmp_path):
    r = edgeforge(tmp_path, "energy", "toy_adder", "-p", "width=4", "--adds", "8",
                  "--sim", "icarus", broken=True)
    assert r.returncode == 2
    assert "disagrees with the golden model on 9 of 9 vectors" in r.stderr
    assert "reproduce: edgeforge energy toy_adder -p width=4 --adds 8" in r.stderr
