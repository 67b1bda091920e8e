"""Energy of the CIM macro from gate-level simulation (gen.cim.macro, the family's hooks)."""

import pytest

from gen.cim.family import FAMILY
from gen.cim.macro import cim_energy
from gen.flow.family import instantiate

SEED = 3
#: The keys of the record (report.json's CIM records): those of the former CIMEnergyResult.
KEYS = {"module", "params", "input_zero", "weights", "measured_zero_fraction", "vectors",
        "cycles_per_vector", "macs_per_vector", "energy_per_vector_fj", "energy_per_mac_fj",
        "tops_per_w", "switching_fj", "internal_fj", "leakage_fj", "input_switching_fj",
        "groups", "per_module", "toggles_per_vector", "workload_text", "seed", "liberty",
        "liberty_path", "voltage_v", "period_ns", "slew_ns", "wire_load", "sim", "area_um2",
        "area_ge", "cells", "unannotated_nets", "checked_results", "seconds", "limits",
        "cached"}


# The gate-level tests are not marked rtl, so CI's second pass (SIM=verilator) does not repeat
# them: Verilator spends minutes compiling each netlist, and tests/gen/test_energy.py already
# pins that both simulators give the energy flow the same activity.
def test_fibbinary_halves_cycles_and_sparse_inputs_cost_less(tmp_path):
    base = {"rows": 8, "cols": 2, "wb": 4, "ib": 4, "signed_weights": True, "storage": "latch"}
    res = {}
    for enc in ("binary", "fibbinary"):
        inst = instantiate("cim_macro", {**base, "encoding": enc})
        for z in (0.0, 0.9):
            r = cim_energy(inst, input_zero=z, vectors=16, seed=SEED,
                           build_root=tmp_path / "b", cache_dir=tmp_path / "c")
            res[enc, z] = r
            print(f"{r.module} zeros {z}: {r.energy_per_mac_fj:.1f} fJ/MAC, "
                  f"{r.tops_per_w:.2f} TOPS/W, area {r.area_um2:.0f} um^2")
            assert r.checked_results == 18 and r.macs_per_vector == 16
            assert r.tops_per_w == pytest.approx(2000 / r.energy_per_mac_fj, rel=1e-3)
            assert r.energy_per_vector_fj == pytest.approx(
                r.switching_fj + r.internal_fj + r.leakage_fj, rel=1e-6)
            assert set(r.to_dict()) == KEYS
    assert res["binary", 0.0].cycles_per_vector == 4
    assert res["fibbinary", 0.0].cycles_per_vector == 2
    for enc in ("binary", "fibbinary"):
        assert res[enc, 0.9].energy_per_mac_fj < res[enc, 0.0].energy_per_mac_fj
        assert 0.85 < res[enc, 0.9].measured_zero_fraction < 0.95
    # cached second call gives the same number
    again = cim_energy(instantiate("cim_macro", {**base, "encoding": "binary"}), vectors=16,
                       seed=SEED, build_root=tmp_path / "b", cache_dir=tmp_path / "c")
    assert again.cached and again.energy_per_mac_fj == res["binary", 0.0].energy_per_mac_fj
    assert set(again.to_dict()) == KEYS
    text = FAMILY.energy_text(again)
    assert text.startswith(f"{again.module}  [liberty: ")
    assert f"energy/MAC       {again.energy_per_mac_fj:.3f} fJ  (4b x 4b MAC; 16 MACs per " \
        "vector in 4 cycles)" in text
    assert "18 result vectors matched the golden model" in text


@pytest.mark.parametrize("kwargs,msg", [
    ({"input_zero": 1.5}, "Input zero probability must be a number between 0 and 1, not 1.5"),
    ({"vectors": 4}, "Vectors must be an integer between 8 and 4096, not 4"),
    ({"seed": -1}, "Seed must be a non-negative integer, not -1"),
    ({"weights": "gauss"}, "Weights must be 'encoding' or 'fibbinary', not 'gauss'"),
])
def test_errors_before_anything_runs(kwargs, msg, tmp_path):
    inst = instantiate("cim_macro", {"rows": 4})
    with pytest.raises(ValueError, match="^" + msg.replace("(", r"\(").replace(")", r"\)")):
        cim_energy(inst, build_root=tmp_path, cache_dir=tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())
    with pytest.raises(ValueError, match="^Design exact is not a CIM macro"):
        cim_energy(instantiate("exact", {}))


def test_family_hooks():
    assert FAMILY.rtl_check("cim_macro") == "python -m verif.cim.macro"
    opts = FAMILY.energy_options()
    assert [o.flag for o in opts] == ["--input-zero", "--vectors", "--cim-weights"]
    assert all(o.designs == ("cim_macro",) and "default" not in o.kwargs for o in opts)
    assert [s.name for s in FAMILY.report_sections()] == ["cim"]
