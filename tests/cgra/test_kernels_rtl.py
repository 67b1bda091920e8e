"""The five kernels on the CGRA's RTL under cocotb (Icarus and Verilator, ``SIM=``).

Each run shifts the assembled configuration in through the scan chain, loads the instruction
memories and scratchpads through the host ports and runs to ``halt``; the checker compares
every executed row (address and all FU outputs) with the golden model, the scratchpads after
the run with the golden model's, and the kernel's result with its numpy reference (the
approximate multiplier's own reference for DRUM and ROUP tiles). The crossbar fabric runs
kernels with exact, DRUM and ROUP tiles; the 5 x 5 mesh "default" fabric (Wilton
switchboxes) runs two kernels, which use its exact tiles mul0/mul1 (its DRUM and ROUP tiles
run hand-routed programs in tests/cgra/test_fabric_hw.py); small's units on a 4 x 3 mesh of
disjoint switchboxes (sim_models/cgra/fabrics/small_mesh.toml) run two more.
"""

import pytest

from verif.cgra.fabric import run_kernel
from verif.sim import verilator_selected

KERNELS = ("dot", "fir", "gemm", "vadd", "conv3x3")
SEED = 20261124
#: small's units on a 4 x 3 mesh of disjoint switchboxes (default: Wilton)
MESH = "sim_models/cgra/fabrics/small_mesh.toml"

CASES = [
    *(("small", "", k) for k in KERNELS),
    *(("small", "drum", k) for k in ("dot", "fir", "conv3x3")),
    *(("small", "roup", k) for k in ("gemm", "fir")),
    ("default", "", "fir"),
    ("default", "", "vadd"),
    (MESH, "", "conv3x3"),
    (MESH, "roup", "gemm"),
]
#: one Verilator build of a fabric costs about 40 s of C++ (Icarus: about 1 s), so under
#: SIM=verilator ``make test`` runs the five kernels on small and the mesh case with ROUP tiles
#: (two builds); the other fabrics' cases run there under ``make regress``
VERILATOR_FAST = {("small", "", k) for k in KERNELS} | {(MESH, "roup", "gemm")}


def _params(cases):
    verilator = verilator_selected()
    return [pytest.param(c, marks=pytest.mark.slow)
            if verilator and c not in VERILATOR_FAST else c for c in cases]


def _id(case):
    fabric, mul, kernel = case
    name = "small_mesh" if fabric == MESH else fabric
    return f"{name}{'-' + mul if mul else ''}-{kernel}"


@pytest.mark.rtl
@pytest.mark.parametrize("case", _params(CASES), ids=_id)
def test_kernel_on_rtl_equals_model_and_numpy(case):
    fabric, mul, kernel = case
    print(f"seed {SEED}")
    rep, res = run_kernel(kernel, fabric=fabric, mul=mul, seed=SEED)
    assert res["cycles"] == rep.cycles > 0
    print(f"{rep.module} {kernel}: {rep.cycles} cycles on {rep.sim}")
