"""gen.ternary.ocu: gate-level energy per MAC of the ternary and binary output-channel units.

Each simulating test synthesises a tiny unit (``n_i=4``, ``k=3``) with the embedded library and
runs its netlist in the OCU testbench on the simulator chosen by SIM. Like tests/gen/
test_energy.py these are not marked ``rtl`` (CI's Verilator pass would rebuild every gate-level
model in C++). The expected relations come from the circuit, not from pinned numbers: zero
trits silence the datapath, so the energy per window falls with the zero density; the books
balance; every result was checked against the golden model.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import pytest

from gen.cli import main
from gen.flow.bench import WRAPPER, BenchOptions, EnergyError, netlist_ports
from gen.flow.family import instantiate
from gen.flow.record import COMMON_FIELDS
from gen.ternary.family import FAMILY
from gen.ternary.ocu import OPS_PER_MAC, ocu_energy, ocu_workload
from verif.harness import dump_wrapper

SEED = 20261124
TINY = {"n_i": 4, "k": 3, "latency": 1}
WINDOWS = 32


def _balanced(r) -> None:
    tol = 1e-4 * max(1.0, r.energy_per_window_fj)
    assert r.energy_per_window_fj == pytest.approx(
        r.switching_fj + r.internal_fj + r.leakage_fj, abs=tol)
    assert r.energy_per_window_fj == pytest.approx(
        sum(g["total_fj"] for g in r.groups.values()) + r.input_switching_fj, abs=tol)
    assert r.energy_per_mac_fj == pytest.approx(r.energy_per_window_fj / r.macs_per_window,
                                                abs=1e-5)
    assert r.energy_per_op_fj == pytest.approx(r.energy_per_mac_fj / OPS_PER_MAC, abs=1e-5)


def test_ternary_energy_falls_with_zero_density(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # build files and caches under ./build
    print(f"seed {SEED}")
    inst = instantiate("ternary_ocu", TINY)
    runs = {d: ocu_energy(inst, density=d, windows=WINDOWS, seed=SEED)
            for d in (0.0, 0.9)}
    for d, r in runs.items():
        print(f"density {d}: {r.energy_per_window_fj:.1f} fJ/window, "
              f"{r.energy_per_mac_fj:.2f} fJ/MAC, comb "
              f"{r.groups['combinational']['total_fj']:.1f} fJ, {r.seconds:.1f} s")
        assert np.isfinite(r.energy_per_window_fj) and r.energy_per_window_fj > 0
        assert r.macs_per_window == 3 * 3 * 4
        assert r.windows == WINDOWS and r.checked_results == WINDOWS + 2  # + warm-up
        assert r.area_um2 > 0 and r.cells > 0
        _balanced(r)
        assert abs(r.measured_zero_fraction["windows"] - d) < 0.1
    dense, sparse = runs[0.0], runs[0.9]
    # silencing: zero trits keep the products and the adder trees still
    assert sparse.energy_per_window_fj < dense.energy_per_window_fj
    assert (sparse.groups["combinational"]["total_fj"]
            < 0.5 * dense.groups["combinational"]["total_fj"])
    assert sparse.toggles_per_window < dense.toggles_per_window
    # the same netlist either way
    assert sparse.area_um2 == dense.area_um2
    # the cache returns the same numbers
    again = ocu_energy(inst, density=0.9, windows=WINDOWS, seed=SEED)
    assert again.cached and again.energy_per_window_fj == sparse.energy_per_window_fj


def test_binary_ocu_is_measured_on_bits(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    print(f"seed {SEED}")
    inst = instantiate("binary_ocu", TINY)
    r = ocu_energy(inst, windows=WINDOWS, seed=SEED)
    print(f"{r.module}: {r.energy_per_mac_fj:.2f} fJ/MAC, {r.area_um2:.1f} um^2")
    assert r.density is None and "bits" in r.workload_text
    assert np.isfinite(r.energy_per_mac_fj) and r.energy_per_mac_fj > 0
    assert r.checked_results == WINDOWS + 2
    _balanced(r)


def test_a_wrong_model_is_caught_with_a_repro(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inst = instantiate("ternary_ocu", {"n_i": 2, "k": 1, "latency": 0})

    def off_by_one(windows, weights, lo, hi):
        out = inst.model(windows, weights, lo, hi)
        return {**out, "sum": out["sum"] + 1}

    wrong = dataclasses.replace(inst, model=off_by_one)
    with pytest.raises(EnergyError, match=r"disagrees with the golden model.*reproduce: "
                                          r"edgeforge energy ternary_ocu"):
        ocu_energy(wrong, density=0.5, windows=16, seed=SEED)


@pytest.mark.parametrize("density", [-0.1, 1.5, "0.5", True, float("nan")])
def test_bad_density_is_a_value_error_naming_the_range(density):
    inst = instantiate("ternary_ocu", TINY)
    with pytest.raises(ValueError, match="between 0 and 1"):
        ocu_energy(inst, density=density)


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="does not apply to binary_ocu"):
        ocu_energy(instantiate("binary_ocu", TINY), density=0.5)
    with pytest.raises(ValueError, match="not an output-channel unit"):
        ocu_energy(instantiate("exact", {"width": 4}))
    for windows in (0, 15, 8193, 32.0):
        with pytest.raises(ValueError, match="between 16 and 8192"):
            ocu_energy(instantiate("ternary_ocu", TINY), windows=windows)


def test_workload_densities_and_signs():
    seed = SEED
    print(f"seed {seed}")
    inst = instantiate("ternary_ocu", {"n_i": 64, "k": 3})
    for d in (0.0, 0.5, 0.9):
        x, w, th, text = ocu_workload(inst, 400, d, seed)
        assert x.shape == (400, 3, 3, 64) and w.shape == (3, 3, 64)
        assert set(np.unique(x)) <= {0b00, 0b01, 0b11}  # never the illegal code 0b10
        assert abs(np.mean(x == 0) - d) < 0.01
        nonzero = x[x != 0]
        if nonzero.size:
            assert abs(np.mean(nonzero == 0b01) - 0.5) < 0.02  # +1 and -1 equiprobable
        assert th["lo"] <= th["hi"] and f"{d:g}" in text
    x, w, th, text = ocu_workload(instantiate("binary_ocu", {"n_i": 64, "k": 3}), 400, None,
                                  seed)
    assert set(np.unique(x)) == {0, 1} and abs(np.mean(x) - 0.5) < 0.01
    assert set(th) == {"th"} and "bits" in text


def test_wrapper_has_the_ports_of_the_netlist():
    """The bench's dump wrapper (gen.flow.bench.prepare writes it around the OCU's netlist)."""
    text = ("module other(a); input a; endmodule\n"
            "module top(clk, d, q);\n  input clk;\n  wire clk;\n  input [7:0] d;\n"
            "  output [3:0] q;\nendmodule\n")
    v = dump_wrapper(netlist_ports(text, "top"), "top", WRAPPER)
    assert "input wire clk" in v and "input wire [7:0] d" in v and "output wire [3:0] q" in v
    assert "top dut (.clk(clk), .d(d), .q(q));" in v and "$dumpvars(0, dut)" in v
    assert " a" not in v.split(f"module {WRAPPER}")[1].split(");")[0]
    with pytest.raises(EnergyError, match="not found"):
        netlist_ports(text, "missing")


@pytest.mark.parametrize("argv", [
    ["energy", "binary_ocu", "--density", "0.5"],
    ["energy", "ternary_ocu", "--density", "2"],
    ["energy", "ternary_ocu", "--ops", "100"],
    ["energy", "exact", "--density", "0.5"],
    ["energy", "ternary_ocu", "--windows", "3"],
])
def test_cli_bad_input_is_one_line_exit_2(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("edgeforge: error:") and err.count("\n") == 1, err


# the keys of the OCU result before the flow's one record (report.json must not change)
OCU_KEYS = {
    "module", "design", "params", "density", "measured_zero_fraction", "windows",
    "macs_per_window", "ops_per_mac", "energy_per_window_fj", "energy_per_mac_fj",
    "energy_per_op_fj", "switching_fj", "internal_fj", "leakage_fj", "input_switching_fj",
    "groups", "per_module", "toggles_per_window", "workload_text", "seed", "liberty",
    "liberty_path", "voltage_v", "period_ns", "slew_ns", "wire_load", "sim", "area_um2",
    "area_ge", "cells", "unannotated_nets", "checked_results", "seconds", "limits", "cached"}


def test_record_keys_and_text_through_the_family(tmp_path, monkeypatch):
    """The family's energy hooks: the record's key set is the OCU result's, the text as the
    CLI printed it."""
    monkeypatch.chdir(tmp_path)
    inst = instantiate("binary_ocu", TINY)
    args = argparse.Namespace(density=None, windows=16, frames=None, seed=SEED)
    FAMILY.check_energy(inst, args)
    r = FAMILY.energy(inst, args, BenchOptions.make())
    assert set(r.to_dict()) == OCU_KEYS and set(COMMON_FIELDS) <= OCU_KEYS
    text = FAMILY.energy_text(r)
    assert text.splitlines()[0] == f"{r.module}  [liberty: {r.liberty}]"
    assert f"energy/MAC       {r.energy_per_mac_fj:.3f} fJ  (36 MACs per window)" in text
    assert "workload         uniform random bits (no zeros): " in text
    assert f"{r.checked_results} results matched the golden model" in text
    with pytest.raises(ValueError, match="Windows must be an integer between 16 and 8192"):
        FAMILY.check_energy(inst, argparse.Namespace(density=None, windows=8, frames=None,
                                                     seed=SEED))
