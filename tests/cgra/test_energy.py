"""Energy of a CGRA kernel run from gate-level simulation (gen.cgra.fabric) and the CLI."""

import shutil

import pytest

from gen.cgra.fabric import cgra_energy, kernel_error, unit_of_module
from gen.cli import main
from gen.flow.family import instantiate
from sim_models.cgra import Fabric

SEED = 5

# The smallest fabric the dot kernel runs on (its IDs and units; one MUL lane, 128 B LSUs),
# written as a TOML description so that the loader is exercised too.
MINI = """
name = "mini"
width = 32
imem_depth = 16
[network]
kind = "crossbar"
[[fu]]
name = "abu0"
type = "abu"
[[fu]]
name = "iu0"
type = "iu"
[[fu]]
name = "lsu0"
type = "lsu"
mem_bytes = 128
[[fu]]
name = "lsu1"
type = "lsu"
mem_bytes = 128
[[fu]]
name = "mul0"
type = "mul"
kind = "drum"
k = 6
[[fu]]
name = "alu0"
type = "alu"
[[fu]]
name = "alu1"
type = "alu"
[[id]]
name = "c_abu"
fus = ["abu0"]
[[id]]
name = "c_iu0"
fus = ["iu0"]
[[id]]
name = "c_lsu0"
fus = ["lsu0"]
[[id]]
name = "c_lsu1"
fus = ["lsu1"]
[[id]]
name = "c_mul01"
fus = ["mul0"]
[[id]]
name = "c_alu0"
fus = ["alu0"]
[[id]]
name = "c_alu1"
fus = ["alu1"]
"""


@pytest.fixture
def mini(tmp_path):
    path = tmp_path / "mini.toml"
    path.write_text(MINI)
    return str(path)


# Not marked rtl (CI's second pass under SIM=verilator): a gate-level fabric is Icarus's case,
# Verilator compiles even this one for over ten minutes; tests/gen/test_energy.py pins that
# both simulators give the flow the same energy.
GATE_SIM = "icarus" if shutil.which("iverilog") else None


def test_dot_energy_on_netlist_checked_and_split_by_unit(mini, tmp_path):
    inst = instantiate("cgra", {"fabric": mini})
    assert inst.module == "cgra_mini"
    r = cgra_energy(inst, kernel="dot", seed=SEED, build_root=tmp_path / "b",
                    cache_dir=tmp_path / "c", sim=GATE_SIM)
    print(f"{r.module} dot: {r.cycles} cycles, {r.energy_per_run_fj / 1000:.1f} pJ/run, "
          f"area {r.area_um2:.0f} um^2; {r.per_type}")
    # every executed row of the netlist was compared with the golden model
    assert r.checked_rows == r.cycles == 21
    assert r.cycles <= r.window_cycles <= r.cycles + 4
    assert r.energy_per_run_fj > 0
    assert r.energy_per_run_fj == pytest.approx(r.switching_fj + r.internal_fj + r.leakage_fj,
                                                rel=1e-6)
    assert sum(r.per_type.values()) == pytest.approx(r.energy_per_run_fj, rel=1e-4)
    assert sum(r.area_per_type.values()) == pytest.approx(r.area_um2, rel=1e-4)
    for part in ("mul (drum)", "lsu", "alu", "abu", "ID + imem", "data network"):
        assert r.per_type[part] > 0 and r.area_per_type[part] > 0, part
    assert set(r.per_unit) >= {"mul0", "lsu0", "lsu1", "alu0", "alu1", "abu0", "iu0"}
    # report.json's fields of a run, as before the flow had one record
    assert set(r.to_dict()) == {
        "module", "params", "kernel", "seed", "cycles", "window_cycles", "energy_per_run_fj",
        "energy_per_cycle_fj", "switching_fj", "internal_fj", "leakage_fj",
        "input_switching_fj", "groups", "per_unit", "per_type", "toggles_per_run", "liberty",
        "liberty_path", "voltage_v", "period_ns", "wire_load", "sim", "area_um2", "area_ge",
        "area_per_type", "cells", "unannotated_nets", "checked_rows", "seconds", "limits",
        "cached"}
    again = cgra_energy(instantiate("cgra", {"fabric": mini}), kernel="dot", seed=SEED,
                        build_root=tmp_path / "b", cache_dir=tmp_path / "c", sim=GATE_SIM)
    assert again.cached and again.energy_per_run_fj == r.energy_per_run_fj


def test_kernel_error_of_exact_tiles_is_zero_and_of_drum_is_not(mini):
    exact = kernel_error(instantiate("cgra", {"fabric": mini, "mul": "exact"}), "dot",
                         range(1, 5))
    assert exact.ep == exact.mse == exact.mred == exact.wce == 0
    assert exact.outputs == 4 and exact.draws == 4
    drum = kernel_error(instantiate("cgra", {"fabric": mini}), "dot", range(1, 5))
    assert drum.ep > 0 and drum.mse > 0 and 0 < drum.mred < 0.1
    assert drum.mse >= drum.med ** 2 and drum.wce >= drum.med  # Jensen; max >= mean


def test_modules_map_to_units_and_categories():
    f = Fabric.builtin("default")
    assert unit_of_module("cgra_default.fu_mul4.drum", f) == ("mul4", "mul (drum)")
    assert unit_of_module("fu_mul6/roup", f) == ("mul6", "mul (roup)")
    assert unit_of_module("fu_lsu2", f) == ("lsu2", "lsu")
    assert unit_of_module("id_c_abu", f) == ("c_abu", "ID + imem")
    assert unit_of_module("sb_2_3", f)[1] == "data network"
    assert unit_of_module("in_alu0_1", f)[1] == "data network"
    assert unit_of_module("ctrl_alu0", f)[1] == "control network"
    assert unit_of_module("", f)[1] == unit_of_module("cgra_default", f)[1] \
        == "configuration + top"


@pytest.mark.parametrize("argv,message", [
    (["energy", "cgra", "--kernel", "nosuch"],
     "Kernel must be one of dot, fir, gemm, vadd, conv3x3, not 'nosuch'"),
    (["energy", "drum", "--kernel", "dot"], "--kernel is for cgra, not drum"),
    (["energy", "cgra", "--windows", "16"],
     "--windows is for ternary_ocu and binary_ocu, not cgra"),
    (["energy", "cgra", "-p", "mul=booth"],
     "Parameter mul must be one of '', 'exact', 'drum', 'roup', not 'booth'"),
])
def test_energy_cli_errors_exit_2(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
