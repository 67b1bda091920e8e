"""RTL of the ternary engine against the golden model, through cocotb.

The generated Verilog of a small ``ternary_engine`` (``n_i = n_o = 8``, ``k = 3``,
``image_width = 8``, weight memory for 3 layers) is built once per simulator in
``build/verif/<module>/<sim>/`` and driven by :mod:`verif.ternary.engine` with the named random
plans of :func:`verif.ternary.engine.case_plan`: single layers (SAME and VALID, stride 1 and 2),
max- and sum-pooled layers, a raw-sum layer, three layers chained through the engine's own
outputs, illegal input bytes, with and without input gaps and ``o_stream`` back-pressure. The
digits network runs on its first test images through the 16-channel engine. Run under
``SIM=icarus`` and ``SIM=verilator``.
"""

from __future__ import annotations

import copy
import os

import numpy as np
import pytest

from gen.flow.family import instantiate
from verif.ternary.engine import (
    EngineConfig,
    EngineMismatch,
    case_plan,
    repro_command,
    run,
)

pytestmark = [pytest.mark.rtl, pytest.mark.xdist_group("engine_rtl")]

SEED = 20261124
PARAMS = {"n_i": 8, "n_o": 8, "k": 3, "image_width": 8, "weight_layers": 3}

# (case, images, stall, gaps)
RUNS = [
    ("same", 1, 0.0, 0.0),
    ("valid", 1, 0.3, 0.2),
    ("same_s2", 1, 0.3, 0.2),
    ("valid_s2", 1, 0.0, 0.0),
    ("max", 1, 0.3, 0.2),
    ("sum", 1, 0.0, 0.0),
    ("max_valid", 1, 0.6, 0.0),
    ("sum_valid", 1, 0.0, 0.4),
    ("raw", 1, 0.3, 0.1),
    ("chain", 2, 0.2, 0.1),
    ("illegal", 2, 0.2, 0.0),
]


def _engine():
    return instantiate("ternary_engine", PARAMS)


def _run_case(case, images, stall, gaps, seed=SEED, **kwargs):
    inst = _engine()
    plan = case_plan(EngineConfig.of(inst.component), case, seed, images)
    from verif import sim

    simulator = sim.prepare(None)
    repro = repro_command(inst, simulator, seed, case, images=images, stall=stall, gaps=gaps)
    print(f"{inst.module}: case {case}, seed {seed}; repro: {repro}")
    report = run(inst, plan, sim=simulator, seed=seed, stall=stall, gaps=gaps, repro=repro,
                 **kwargs)
    print(f"{report.module} ({report.sim}): {report.checked} output pixels, {report.cycles} "
          f"cycles, build {report.build_seconds:.1f} s, run {report.seconds:.1f} s")
    return inst, plan, report


@pytest.mark.parametrize(("case", "images", "stall", "gaps"), RUNS, ids=[r[0] for r in RUNS])
def test_engine_rtl_matches_golden(case, images, stall, gaps):
    _, plan, report = _run_case(case, images, stall, gaps)
    assert report.checked == sum(plan.outputs_per_layer) > 0
    assert [len(o) for o in report.outputs] == plan.outputs_per_layer
    for t in report.layers:
        assert t["desc_cycle"] <= t["start_cycle"] < t["stream_cycle"] < t["end_cycle"]
        assert t["end_cycle"] <= report.cycles
        assert t["start_ns"] < t["stream_ns"] < t["end_ns"] <= report.end_ns
    if case == "illegal":
        # the expectation is not trivial: some outputs flagged, some not
        assert plan.flagged.any() and not plan.flagged.all()
        assert any(p["illegal"] for p in report.outputs[0])


def test_engine_rtl_streams_one_window_per_cycle():
    """Without gaps and back-pressure the weight fetch takes ``ch_out * k * k + 1`` cycles
    from the first pixel offered, then a SAME frame one cycle per line-buffer step
    (``(H + 1) * (W + 1)`` with the extension row and column) plus the latency."""
    inst, plan, report = _run_case("same", 1, 0.0, 0.0)
    _, h, w, _ = plan.layers[0].inputs.shape
    fetch = plan.layers[0].layer.out_channels * inst.component.k ** 2 + 1
    t = report.layers[0]
    assert fetch <= t["stream_cycle"] - t["start_cycle"] <= fetch + 2
    assert t["end_cycle"] - t["stream_cycle"] <= (h + 1) * (w + 1) + inst.component.latency + 1


def test_engine_rtl_mismatch_names_pixel_and_repro():
    """The checker catches one wrong sum in the RTL's recorded outputs and names the repro."""
    _, plan, report = _run_case("sum", 1, 0.0, 0.0)
    outputs = copy.deepcopy(report.outputs)
    outputs[0][5]["sums"][3] += 1
    with pytest.raises(EngineMismatch, match=r"layer 0: 1 sums differ; first: image 0, output "
                                             r"\(\d+, \d+\), channel 3: .*repro: SIM=\w+ .*"
                                             r"--case sum"):
        plan.check(outputs, report.repro)


# the traced Verilator build costs about 80 s; under SIM=verilator the check runs in `make regress`
_DUMP_MARKS = [pytest.mark.slow] if os.environ.get("SIM") == "verilator" else []


@pytest.mark.parametrize("marked", [pytest.param(True, marks=_DUMP_MARKS)], ids=["dump"])
def test_engine_rtl_dump_covers_the_streaming_window(tmp_path, marked):
    """With ``dump=`` the RTL runs inside the dump wrapper and writes a VCD whose value
    changes span the recorded streaming window."""
    vcd = tmp_path / "engine.vcd"
    _, plan, report = _run_case("same", 1, 0.0, 0.0, dump=vcd)
    assert report.checked == sum(plan.outputs_per_layer)
    text = vcd.read_text()
    assert "o_stream__payload" in text
    times = [int(line[1:]) for line in text.splitlines() if line[:1] == "#" and
             line[1:].isdigit()]
    scale = 1000 if "1ps" in text.split("$enddefinitions")[0] else 1
    t = report.layers[0]
    assert min(times) <= t["start_ns"] * scale < t["end_ns"] * scale <= max(times)


def test_digits_first_images_through_rtl():
    """The digits network's first test images through the 16-channel engine: every output
    pixel of every layer equals the golden model, and so do the classes.

    24 images under Verilator (about 5 s); 2 under Icarus, which simulates the 16-channel
    engine at about 10 cycles per second (260 cycles per image). The whole test split is
    ``SIM=verilator edgeforge digits`` (``make report`` runs it)."""
    from gen.ternary.digits import train
    from gen.ternary.digits_rtl import run_digits_rtl
    from verif import sim

    simulator = sim.prepare(None)
    n = 24 if simulator == "verilator" else 2
    print(f"digits training seed 1, {n} images, {simulator}")
    r = run_digits_rtl(n, sim=simulator, seed=1, cache=False)  # the RTL, not a stored run
    print(r.describe())
    assert r.matches_golden, r.mismatch
    golden = train(seed=1)
    np.testing.assert_array_equal(r.predictions, golden.test_predictions[:n])
    assert r.rtl_accuracy == float(np.mean(golden.test_predictions[:n] ==
                                           golden.test_labels[:n]))
