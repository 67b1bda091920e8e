"""The hand-scheduled kernels (sim_models/cgra/kernels) on the golden model against numpy
references.

Every kernel is assembled for "small" (crossbar) and "default" (mesh, routed), run on
CGRAModel with seeded random inputs and compared with sim_models.cgra.kernels; the cycle
counts are printed (``pytest -s``) and recorded as the test property ``cycles``.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim_models.approx import DrumModel, RoupModel
from sim_models.cgra.fabric import Fabric
from sim_models.cgra.model import CGRAModel
from sim_models.cgra.programs import KERNELS, kernel

FABRICS = {name: Fabric.builtin(name) for name in ("small", "default")}
SEEDS = (1, 2)


def run(name, fabric, seed):
    k = kernel(name)
    prog = k.assemble(fabric)
    x = k.inputs(seed)
    trace = CGRAModel(fabric).run(prog.config, prog.imems, k.memories(x), max_cycles=10_000)
    assert trace.halted
    return k, x, prog, trace


@pytest.mark.parametrize("fabric", FABRICS)
@pytest.mark.parametrize("name", KERNELS)
def test_kernel_matches_the_numpy_reference(name, fabric, record_property):
    cycles = set()
    for seed in SEEDS:
        k, x, prog, trace = run(name, FABRICS[fabric], seed)
        got, want = k.result(trace), k.reference(x, 32)
        assert got.shape == want.shape
        assert np.array_equal(got, want), f"{name} on {fabric}, seed {seed}: {got} != {want}"
        cycles.add(trace.cycles)
    assert len(cycles) == 1, f"{name}: the schedule depends on the data ({cycles})"
    print(f"\n{name} on {fabric}: {trace.cycles} cycles, {prog.rows} rows")
    record_property("cycles", trace.cycles)


@pytest.mark.parametrize("name", KERNELS)
def test_same_cycles_on_small_and_default(name):
    cycles = {f: run(name, fab, 1)[3].cycles for f, fab in FABRICS.items()}
    assert cycles["small"] == cycles["default"], cycles


APPROX = {
    "drum": ({"k": 6}, DrumModel(width=32, k=6, signed=True, sign_mode="twos")),
    "roup": ({"p": 1, "r": 2}, RoupModel(width=32, p=1, r=2, signed=True)),
}


@pytest.mark.parametrize("kind", APPROX)
@pytest.mark.parametrize("fabric", FABRICS)
@pytest.mark.parametrize("name", KERNELS)
def test_kernel_with_approximate_multipliers_matches_their_reference(name, fabric, kind):
    seed = 3
    params, model = APPROX[kind]
    fab = FABRICS[fabric].with_mul(kind, **params)
    k, x, _, trace = run(name, fab, seed)
    got = k.result(trace)
    want = k.reference(x, 32, mul=model)
    assert np.array_equal(got, want), f"{name} on {fab.name}, seed {seed}"
    if name != "vadd":  # every other kernel multiplies: the multiplier must change its result
        assert not np.array_equal(got, k.reference(x, 32)), f"{name}, seed {seed}"


def test_kernel_lookup_and_layout_errors():
    with pytest.raises(ValueError, match="Kernel must be one of dot, fir, gemm, vadd, conv3x3"):
        kernel("fft")
    k = kernel("dot")
    assert ".columns" in k.program_text
    with pytest.raises(ValueError, match="too small"):
        k.result({"lsu0": bytes(16), "lsu1": bytes(16)})


@pytest.mark.parametrize("name", KERNELS)
def test_no_exact_result_wraps_in_32_bits(name):
    # the error metrics of approximate tiles compare with the exact result: it must be the
    # mathematical one. With every input at the most negative value each product is +2**22
    # and each sum a positive multiple of it; a wrap past 2**31 would turn it negative
    from sim_models.cgra.programs import VALUE_RANGE

    k = kernel(name)
    lo = VALUE_RANGE[0]
    x = {key: np.full_like(v, lo) for key, v in k.inputs(1).items()}
    r = np.asarray(k.reference(x, 32), dtype=np.int64)
    if name == "vadd":
        assert (r == 2 * lo).all()
    else:
        assert (r > 0).all() and (r % (lo * lo) == 0).all()


@pytest.mark.parametrize("seed", [-1, 1.5, True, "3"])
def test_kernel_seed_is_checked(seed):
    with pytest.raises(ValueError, match="Seed must be a non-negative integer"):
        kernel("dot").inputs(seed)
