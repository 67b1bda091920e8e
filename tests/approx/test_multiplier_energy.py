"""gen.approx.multiplier: gate-level energy per operation of multiplier design points.

Runs on the simulator chosen by SIM (Icarus or Verilator); each test synthesises small design
points with the embedded library. Not marked ``rtl``: CI's second, Verilator-only pass would
rebuild every gate-level model in C++; instead one test runs the same point on both simulators
and requires identical energies. Expected relations come from physics (silent operands burn
only leakage, pipelines add clock and flip-flop energy) and from the books balancing; no
measured number is pinned.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from gen.approx.multiplier import EnergyError, energy, make_workload
from gen.cli import main
from gen.flow.design import Instance
from gen.flow.family import instantiate

SEED = 7


def _balanced(r) -> None:
    """Every breakdown adds up to the total (values are rounded to 1e-6 fJ)."""
    tol = 1e-5 * max(1.0, r.energy_per_op_fj)
    assert r.energy_per_op_fj == pytest.approx(r.switching_fj + r.internal_fj + r.leakage_fj,
                                               abs=tol)
    assert r.energy_per_op_fj == pytest.approx(
        sum(g["total_fj"] for g in r.groups.values()) + r.input_switching_fj, abs=tol)
    assert r.energy_per_op_fj == pytest.approx(
        sum(m["total_fj"] for m in r.per_module.values()), abs=tol)


def test_drum_energy_breakdown_and_cache(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inst = instantiate("drum", {"width": 8, "k": 4})
    r = energy(inst, ops=300, seed=SEED)
    print(f"seed {SEED}: {r.energy_per_op_fj:.1f} fJ/op")
    d = r.to_dict()
    for key in ("energy_per_op_fj", "ops", "switching_fj", "internal_fj", "leakage_fj",
                "per_module", "liberty", "workload"):
        assert key in d
    assert r.ops == 300 and r.workload == "uniform" and "seed 7" in r.workload_text
    assert r.liberty == "embedded sky130_fd_sc_hd compact" and r.unannotated_nets == 0
    assert r.energy_per_op_fj > 0 and r.switching_fj > 0 and r.internal_fj > 0
    assert 0 < r.leakage_fj < 0.01 * r.energy_per_op_fj
    _balanced(r)
    # DRUM's submodules each get their share; a combinational point has no sequential energy
    assert {"lod_a", "lod_b", "enc_a", "enc_b", "sel_a", "sel_b", "mul", "shift"} <= set(
        r.per_module)
    assert all(r.per_module[m]["total_fj"] > 0 for m in ("lod_a", "mul", "shift"))
    assert r.groups["sequential"]["total_fj"] == 0 and r.groups["clock"]["total_fj"] == 0
    again = energy(inst, ops=300, seed=SEED)
    assert again.cached and again.energy_per_op_fj == r.energy_per_op_fj
    other = energy(inst, ops=300, seed=SEED + 1)
    assert not other.cached and other.energy_per_op_fj != r.energy_per_op_fj
    # uniform random operands: the two runs agree to within sampling noise
    assert other.energy_per_op_fj == pytest.approx(r.energy_per_op_fj, rel=0.15)


def test_silent_operands_burn_only_leakage(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inst = instantiate("drum", {"width": 8, "k": 4})
    np.savez(tmp_path / "same.npz", a=np.full(101, 173), b=np.full(101, 94))
    r = energy(inst, ops=100, workload=str(tmp_path / "same.npz"))
    assert r.switching_fj == 0 and r.internal_fj == 0 and r.toggles_per_op == 0
    assert r.leakage_fj > 0 and r.energy_per_op_fj == r.leakage_fj
    assert "recorded operands" in r.workload_text


def test_pipeline_adds_clock_and_flip_flop_energy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    comb = energy(instantiate("exact", {"width": 4}), ops=200, seed=SEED)
    piped = energy(instantiate("exact", {"width": 4, "latency": 1}), ops=200, seed=SEED)
    assert comb.groups["sequential"]["total_fj"] == 0
    assert piped.groups["sequential"]["internal_fj"] > 0  # clock pins and Q transitions
    assert piped.energy_per_op_fj > comb.energy_per_op_fj
    _balanced(piped)


def test_gaussian_workload_is_seeded_and_in_range():
    a, b, text = make_workload("gaussian", 8, False, 5000, seed=3)
    assert a.min() >= 0 and a.max() <= 255 and "half-normal" in text and "seed 3" in text
    a2, _, _ = make_workload("gaussian", 8, False, 5000, seed=3)
    assert np.array_equal(a, a2)
    s, _, text = make_workload("gaussian", 8, True, 5000, seed=3)
    assert s.min() >= -128 and s.max() <= 127 and abs(s.mean()) < 2 and "normal" in text
    u, _, _ = make_workload("uniform", 8, True, 5000, seed=3)
    assert s.std() < u.std()  # the gaussian sits in the middle of the range


def test_netlist_that_disagrees_with_the_golden_model_fails(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    drum = instantiate("drum", {"width": 8, "k": 4})
    exact = instantiate("exact", {"width": 8})
    liar = Instance(drum.design, drum.params, drum.component, exact.model)
    with pytest.raises(EnergyError) as e:
        energy(liar, ops=50, seed=SEED)
    msg = str(e.value)
    assert "gate-level netlist of drum_u8_k4" in msg and "disagrees with the golden model" in msg
    assert "reproduce: edgeforge energy drum -p width=8 -p k=4" in msg


@pytest.mark.parametrize("kwargs,message", [
    ({"ops": 0}, "Ops must be an integer between 1 and 65536, not 0"),
    ({"seed": -1}, "Seed must be a non-negative integer, not -1"),
    ({"workload": "zipf"}, "Workload must be 'uniform', 'gaussian' or a .npz file"),
    ({"workload": "missing.npz"}, "workload file missing.npz does not exist"),
    ({"wire_load": "huge"}, "Wire load must be 'default' or 'none', not 'huge'"),
    ({"liberty": "nope.lib"}, "liberty file nope.lib does not exist"),
])
def test_bad_input_is_rejected_before_any_work(tmp_path, monkeypatch, kwargs, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=message.replace(".", r"\.").replace("(", r"\(")):
        energy(instantiate("drum", {"width": 8, "k": 4}), **kwargs)
    assert not (tmp_path / "build").exists()


def test_recorded_workload_out_of_range(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.savez(tmp_path / "w.npz", a=np.arange(20), b=np.full(20, 300))
    with pytest.raises(ValueError, match=r"array b must lie in \[0, 255\]"):
        energy(instantiate("drum", {"width": 8, "k": 4}), ops=10, workload="w.npz")
    with pytest.raises(ValueError, match="holds 20 operand pairs; 31 are needed"):
        make_workload("w.npz", 16, False, 31)


def test_cli_energy_json_and_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["energy", "drum", "-p", "width=8", "-p", "k=5", "--ops", "200",
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["module"] == "drum_u8_k5" and d["ops"] == 200 and d["energy_per_op_fj"] > 0
    assert main(["energy", "drum", "-p", "width=8", "-p", "k=5", "--ops", "200"]) == 0
    out = capsys.readouterr().out
    assert "energy/op" in out and "fJ" in out and "no glitch power" in out
    for argv, message in (
        (["--ops", "0"], "argument --ops: must be an integer between 1 and 65536, not 0"),
        (["--slew", "-1"],
         "argument --slew: must be a finite number above 0 ns and at most 1000 ns, not -1"),
        (["--liberty", "x.lib"], "liberty file x.lib does not exist"),
        (["-p", "k=99"], "K must be an integer between 3 and 7 (width - 1), not 99"),
    ):
        code = main(["energy", "drum", "-p", "width=8", *argv])
        err = capsys.readouterr().err
        assert code == 2 and message in err and err.count("\n") == 1, err


def test_broken_liberty_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.lib").write_text("library (x) { cell (y) { area : 1 ; }")
    code = main(["energy", "drum", "-p", "width=8", "--liberty", "bad.lib"])
    err = capsys.readouterr().err
    assert code == 2 and "bad.lib" in err and "Traceback" not in err


@pytest.mark.skipif(not (shutil.which("iverilog")), reason="needs Icarus Verilog")
def test_both_simulators_give_the_same_energy(tmp_path, monkeypatch):
    """Zero-delay activity is simulator independent: Icarus and Verilator must agree exactly."""
    from verif import sim as sim_mod

    try:
        sim_mod.prepare("verilator")
    except sim_mod.SimulatorError as e:
        pytest.skip(f"Verilator unavailable: {e}")
    monkeypatch.chdir(tmp_path)
    inst = instantiate("drum", {"width": 8, "k": 4, "latency": 1})
    ri = energy(inst, ops=200, seed=SEED, sim="icarus")
    rv = energy(inst, ops=200, seed=SEED, sim="verilator")
    assert ri.sim == "icarus" and rv.sim == "verilator"
    assert rv.energy_per_op_fj == ri.energy_per_op_fj
    assert rv.toggles_per_op == ri.toggles_per_op


def test_cli_netlist_disagreeing_with_golden_model_exits_2(tmp_path, monkeypatch, capsys):
    import gen.flow.family

    monkeypatch.chdir(tmp_path)
    real = gen.flow.family.instantiate

    def liar(name, params=()):
        inst = real(name, params)
        return Instance(inst.design, inst.params, inst.component,
                        real("exact", {"width": inst.params["width"]}).model)

    monkeypatch.setattr(gen.flow.family, "instantiate", liar)
    code = main(["energy", "drum", "-p", "width=8", "-p", "k=4", "--ops", "50"])
    err = capsys.readouterr().err
    assert code == 2 and "\nedgeforge: energy failed: the gate-level netlist of drum_u8_k4" in err
    assert "disagrees with the golden model" in err and "Traceback" not in err
