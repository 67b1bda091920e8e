"""RTL of the binary (XNOR-popcount) output-channel unit against its golden model, through cocotb.

The testbench of the ternary unit (:mod:`verif.ternary.ocu`) with the binary vector sets: random
bits, every product ``+1`` (largest sum) and ``-1`` (smallest sum) with the threshold on the
sums, the threshold taken from the sums, and ``o_stream`` back-pressure. Each configuration is
built once per simulator in ``build/verif/<module>/<sim>/``. Run under ``SIM=icarus`` and
``SIM=verilator``.
"""

from __future__ import annotations

import numpy as np
import pytest

from gen.flow.family import instantiate
from verif.ternary.ocu import (
    BINARY_SET_NAMES,
    OCUTestError,
    _job,
    check_results,
    expected,
    repro_command,
    vector_sets,
)
from verif.ternary.ocu import run as run_ocu

SEED = 20261124
DESIGN = "binary_ocu"
CONFIGS = [
    {"n_i": 8, "k": 3, "latency": 1},
    {"n_i": 16, "k": 3, "latency": 2, "pooling": "max"},
    {"n_i": 4, "k": 1, "latency": 0},
]


def _id(params):
    return instantiate(DESIGN, params).module


@pytest.mark.rtl
@pytest.mark.parametrize("params", CONFIGS, ids=_id)
def test_binary_ocu_rtl_matches_golden_model(params):
    inst = instantiate(DESIGN, params)
    print(f"{inst.module}: seed {SEED}")
    r = run_ocu(inst, seed=SEED)
    print(f"{r.module} ({r.sim}): {r.checked} results, build {r.build_seconds:.1f} s, "
          f"run {r.seconds:.1f} s")
    assert tuple(r.sets) == BINARY_SET_NAMES
    assert r.checked == sum(r.sets.values()) // inst.component.windows_per_result


def _fake_observed(inst, sets):
    """The results the model predicts, packed as the monitor records them."""
    layout = inst.component.result_layout
    out = []
    for s in sets:
        exp = expected(inst.model, s)
        raws = []
        for i in range(len(exp["sum"])):
            raw = 0
            for name, f in layout:
                raw |= (int(exp[name][i]) & ((1 << f.width) - 1)) << f.offset
            raws.append(raw)
        out.append({"name": s.name, "results": raws, "accepted": list(range(len(s.windows)))})
    return {"sets": out}


def test_binary_checker_names_window_values_and_repro():
    inst = instantiate(DESIGN, {"n_i": 4, "k": 1, "latency": 0})
    sets = vector_sets(inst.model, SEED, 8)
    observed = _fake_observed(inst, sets)
    assert check_results(inst.component, inst.model, sets, observed) == 8 * len(sets)
    bit = inst.component.result_layout["bit"].offset
    observed["sets"][1]["results"][3] ^= 1 << bit  # flip the decision in set "max"
    repro = repro_command(inst, "x", SEED)
    assert f"--design {DESIGN} " in repro and f"--seed {SEED}" in repro
    th = sets[1].th
    with pytest.raises(OCUTestError, match=rf"1 of \d+ results differ; first in set 'max' at "
                                           rf"window 3 \(th={th}\): expected \{{'sum'.*'bit'.*"
                                           rf"got .*repro: SIM=x .*--design {DESIGN}"):
        check_results(inst.component, inst.model, sets, observed, repro)


@pytest.mark.parametrize("params", [CONFIGS[0], CONFIGS[1],
                                    {"n_i": 4, "k": 3, "pooling": "sum"}], ids=_id)
def test_binary_vector_sets_hit_the_extremes_and_the_threshold(params):
    inst = instantiate(DESIGN, params)
    model, comp = inst.model, inst.component
    sets = {s.name: s for s in vector_sets(model, SEED)}
    assert tuple(sets) == BINARY_SET_NAMES
    scale = comp.windows_per_result if model.pooling == "sum" else 1
    n = scale * comp.n_products
    for name, extreme in (("max", n), ("min", -n)):
        s = sets[name]
        r = expected(model, s)
        assert extreme in r["sum"]
        # the threshold sits on a sum (bit 1) and the sums one product short are just below it
        assert (r["sum"] == s.th).any() and (r["sum"] == s.th - 2 * scale).any()
        assert set(r["bit"].tolist()) == {0, 1}
    s = sets["boundary"]
    r = expected(model, s)
    assert (r["sum"] == s.th).any() and set(r["bit"].tolist()) == {0, 1}
    assert 0 in sets["stall"].ready and 1 in sets["stall"].ready
    for s in sets.values():
        assert set(np.unique(s.windows)) <= {0, 1} and set(np.unique(s.weights)) <= {0, 1}
    # one bit per element on the streams, th in the threshold field
    job = _job(comp, list(sets.values()))
    assert max(max(j["windows"]) for j in job["sets"]) < 1 << comp.n_products
    th = comp.threshold_layout["th"]
    for j, s in zip(job["sets"], sets.values(), strict=True):
        raw = j["thresholds"] >> th.offset & ((1 << th.width) - 1)
        assert raw - (raw >> (th.width - 1) << th.width) == s.th
