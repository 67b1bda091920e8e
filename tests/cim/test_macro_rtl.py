"""RTL of the CIM macro against its golden model, through cocotb (Icarus and Verilator).

Every combination of input signedness x weight signedness x encoding x exact/approximate tree
(16 configurations, small arrays so that both simulators build them in seconds), each run on
all vector sets of :mod:`verif.cim.macro`: random, extremes, sparse, zero, exhaustive (every
input vector of the configuration, every weight level in every row), back-pressure with input
gaps, and row writes while vectors are in flight; every row is read back after loading; the
monitor checks the stream rules of ``o_stream`` and the latency. Bit order, storage and input
width vary across the configurations (each with both values of every other choice); the
ISSCC-like 64 x 4-bit macro runs too.
"""

import itertools

import pytest

from gen.flow.family import instantiate
from verif.cim.macro import (
    SET_NAMES,
    CIMTestError,
    _pack,
    check_results,
    job,
    vector_sets,
)
from verif.cim.macro import run as run_cim

SEED = 20261124


def _configs():
    out = []
    for si, sw, enc, approx in itertools.product(
            (False, True), (False, True), ("binary", "fibbinary"), (0, 1)):
        fib = enc == "fibbinary"
        # 8 columns: every 3-bit weight level in every row (exhaustive set); input width, bit
        # order and storage vary with parities of the other choices, so that each meets both
        # values of every other choice
        out.append({"rows": 3, "cols": 8, "wb": 3, "ib": 3 + (si + fib) % 2,
                    "signed_inputs": si, "signed_weights": sw, "encoding": enc,
                    "approx_bits": approx,
                    "bit_order": ("lsb", "msb")[(si + fib + approx) % 2],
                    "storage": ("ff", "latch")[(sw + approx + si) % 2]})
    out.append({"rows": 64, "cols": 4, "wb": 4, "ib": 4, "signed_inputs": True,
                "signed_weights": True})
    out.append({"rows": 64, "cols": 4, "wb": 4, "ib": 4, "encoding": "fibbinary"})
    return out


CONFIGS = _configs()


def _id(params):
    return instantiate("cim_macro", params).module


@pytest.mark.rtl
@pytest.mark.parametrize("params", CONFIGS, ids=_id)
def test_cim_rtl_matches_golden_model(params):
    inst = instantiate("cim_macro", params)
    print(f"{inst.module}: seed {SEED}")
    r = run_cim(inst, seed=SEED, vectors=24)
    print(f"{r.module} ({r.sim}): {r.checked} results, build {r.build_seconds:.1f} s, "
          f"run {r.seconds:.1f} s")
    assert r.checked == sum(r.sets.values())
    assert set(r.sets) == set(SET_NAMES)


def _observed(inst, sets, results=None):
    """What a correct monitor records (no writes; vectors back to back)."""
    comp = inst.component
    out = []
    for s in sets:
        exp = inst.model(s.vectors, s.weights) if results is None else results
        raws = [_pack(row, comp.output_shape.width) for row in exp]
        acc = [comp.cycles * i for i in range(len(s.vectors))]
        out.append({"name": s.name, "readback": [_pack(r, comp.wb) for r in s.weights],
                    "results": raws, "accepted": acc, "taken": [], "written": []})
    return {"sets": out}


def test_checker_names_vector_values_and_repro():
    inst = instantiate("cim_macro", {"rows": 4, "cols": 2, "wb": 4, "ib": 4,
                                     "signed_weights": True})
    sets = vector_sets(inst.model, SEED, 8, names=("random", "sparse"))
    obs = _observed(inst, sets)
    assert check_results(inst.component, inst.model, sets, obs) == 16
    obs["sets"][1]["results"][3] ^= 1
    with pytest.raises(CIMTestError, match=r"^1 of 16 results differ; first in set 'sparse' at "
                                           r"vector 3 \(x = .*\): expected .*got .*; repro: X$"):
        check_results(inst.component, inst.model, sets, obs, "X")
    obs = _observed(inst, sets)
    obs["sets"][0]["readback"][2] ^= 0b1000
    with pytest.raises(CIMTestError, match=r"set random: row 2 read back as"):
        check_results(inst.component, inst.model, sets, obs)
    obs = _observed(inst, sets)
    obs["sets"][0]["readback"].pop()
    with pytest.raises(CIMTestError, match=r"set random: 3 rows read back, written 4"):
        check_results(inst.component, inst.model, sets, obs)
    obs = _observed(inst, sets)
    obs["sets"][0]["violations"] = ["cycle 7: o_stream dropped valid before the result was "
                                    "taken"]
    with pytest.raises(CIMTestError, match=r"stream rule broken at cycle 7: o_stream dropped"):
        check_results(inst.component, inst.model, sets, obs)
    obs = _observed(inst, sets)
    obs["sets"][1]["taken"] = [a + 5 + (i == 2) for i, a in
                               enumerate(obs["sets"][1]["accepted"])]
    with pytest.raises(CIMTestError, match=r"set sparse: results taken \[5, 6\] cycles after "
                                           r"their vectors, expected 5 exactly"):
        check_results(inst.component, inst.model, sets, obs)
    obs = _observed(inst, sets)
    obs["sets"][0]["accepted"][3] += 1
    with pytest.raises(CIMTestError,
                       match=r"set random: vectors accepted \[3, 4, 5\] cycles apart"):
        check_results(inst.component, inst.model, sets, obs)


def test_write_sets_change_weights_in_flight():
    # the writes set must actually rewrite rows that vectors are using: the per-cycle weights
    # give different results from the initial weights for some vector
    from verif.cim.macro import per_cycle_weights

    inst = instantiate("cim_macro", {"rows": 3, "cols": 6, "wb": 3, "ib": 3})
    s = vector_sets(inst.model, SEED, 24, names=("writes",))[0]
    accepted = [inst.component.cycles * i for i in range(24)]
    written = [[c, r, _pack(v, 3)] for c, r, v in s.writes]
    w = per_cycle_weights(inst.model, s, accepted, written,
                          lambda p: [p >> (3 * i) & 7 for i in range(6)])
    s.ready = [1, 0]
    with pytest.raises(ValueError, match="without gaps and back-pressure"):
        per_cycle_weights(inst.model, s, accepted, written, lambda p: [0] * 6)
    s.ready = []
    assert len(s.writes) == 24
    assert (inst.model(s.vectors, w) != inst.model(s.vectors, s.weights)).any()


def test_vector_sets_reach_extremes_and_enumerate_inputs():
    inst = instantiate("cim_macro", {"rows": 3, "cols": 8, "wb": 3, "ib": 3,
                                     "signed_inputs": True, "signed_weights": True})
    sets = {s.name: s for s in vector_sets(inst.model, SEED)}
    lo, hi = inst.model.output_range()
    r = inst.model(sets["extremes"].vectors, sets["extremes"].weights)
    assert r.max() == hi and r.min() == lo
    assert len(sets["exhaustive"].vectors) == 8 ** 3
    assert len({tuple(v) for v in sets["exhaustive"].vectors}) == 8 ** 3
    assert (sets["zero"].vectors == 0).all()
    assert 0.8 < (sets["sparse"].vectors == 0).mean()
    j = job(inst.component, list(sets.values()))
    assert j["cycles"] == 3 and len(j["sets"]) == len(SET_NAMES)
    ws = sets["exhaustive"].weights
    assert all(set(row) == set(range(-4, 4)) for row in ws.tolist())  # every level per row
