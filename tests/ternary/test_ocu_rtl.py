"""RTL of the ternary output-channel unit against its golden model, through cocotb.

Each configuration is emitted to Verilog, built once per simulator in
``build/verif/<module>/<sim>/`` and driven by :mod:`verif.ternary.ocu`: weights and thresholds
loaded through their streams, then every vector set (random, all-zero, sparse, largest and
smallest sums with the thresholds on them, thresholds at sums, illegal codes, back-pressure)
streamed back to back. Run under ``SIM=icarus`` and ``SIM=verilator``.
"""

from __future__ import annotations

import numpy as np
import pytest

from gen.flow.family import instantiate
from verif.ternary.ocu import OCUTestError, _job, check_results, vector_sets
from verif.ternary.ocu import run as run_ocu

SEED = 20261124
CONFIGS = [
    {"n_i": 8, "k": 3, "latency": 1},
    {"n_i": 4, "k": 1, "latency": 0},
    {"n_i": 16, "k": 3, "latency": 2, "pooling": "sum"},
]


def _id(params):
    return instantiate("ternary_ocu", params).module


@pytest.mark.rtl
@pytest.mark.parametrize("params", CONFIGS, ids=_id)
def test_ocu_rtl_matches_golden_model(params):
    inst = instantiate("ternary_ocu", params)
    print(f"{inst.module}: seed {SEED}")
    r = run_ocu(inst, seed=SEED)
    print(f"{r.module} ({r.sim}): {r.checked} results, build {r.build_seconds:.1f} s, "
          f"run {r.seconds:.1f} s")
    assert r.checked == sum(r.sets.values()) // inst.component.windows_per_result


def _fake_observed(inst, sets):
    """The results the model predicts, packed as the monitor records them."""
    layout = inst.component.result_layout
    out = []
    for s in sets:
        exp = inst.model(s.windows, s.weights, s.lo, s.hi)
        raws = []
        for i in range(len(exp["sum"])):
            raw = 0
            for name in ("sum", "trit", "illegal"):
                f = layout[name]
                raw |= (int(exp[name][i]) & ((1 << f.width) - 1)) << f.offset
            raws.append(raw)
        out.append({"name": s.name, "results": raws, "accepted": list(range(len(s.windows)))})
    return {"sets": out}


def test_checker_names_window_values_and_repro():
    inst = instantiate("ternary_ocu", {"n_i": 4, "k": 1, "latency": 0})
    sets = vector_sets(inst.model, SEED, 8)
    observed = _fake_observed(inst, sets)
    assert check_results(inst.component, inst.model, sets, observed) == 8 * len(sets)
    observed["sets"][3]["results"][5] ^= 1  # flip the lowest sum bit in set "max"
    with pytest.raises(OCUTestError, match=r"1 of \d+ results differ; first in set 'max' at "
                                           r"window 5 .*expected \{'sum'.*got .*repro: SIM=x"):
        check_results(inst.component, inst.model, sets, observed, "SIM=x cmd")


def test_vector_sets_hit_the_boundaries_and_flag_illegal_codes():
    inst = instantiate("ternary_ocu", {"n_i": 8, "k": 3})
    sets = {s.name: s for s in vector_sets(inst.model, SEED)}
    n = 9 * 8
    for name, extreme in (("max", n), ("min", -n)):
        s = sets[name]
        r = inst.model(s.windows, s.weights, s.lo, s.hi)
        assert extreme in r["sum"] and (r["sum"] == s.hi).any() and (r["sum"] == s.lo).any()
    for name in ("boundary", "inverted"):
        s = sets[name]
        r = inst.model(s.windows, s.weights, s.lo, s.hi)
        assert (r["sum"] == s.hi).any() and (r["sum"] == s.lo).any()
    assert not inst.model(sets["zero"].windows, sets["zero"].weights, 0, 0)["sum"].any()
    sparse = sets["sparse"].windows
    assert 0.02 < np.mean(sparse != 0) < 0.08
    s = sets["illegal"]
    assert inst.model(s.windows, s.weights, 0, 0)["illegal"].sum() == len(range(0, 48, 3))
    s = sets["illegal_weight"]
    assert inst.model(s.windows, s.weights, 0, 0)["illegal"].all()
    assert len(_job(inst.component, list(sets.values()))["sets"]) == len(sets)
