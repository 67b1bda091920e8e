"""The streaming harness itself: it must see every vector, and catch and locate wrong results.

DUTs here are small hand-written Verilog modules with a known defect, so each test knows which
vector must fail without consulting any golden model.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from gen.approx.verify import VerificationError, repro_command, verify
from gen.flow.family import instantiate
from verif import sim as sim_mod
from verif.approx import multiplier
from verif.harness import Port, VectorHarness

pytestmark = pytest.mark.rtl

BUILD = Path(__file__).resolve().parents[2] / "build" / "test_harness"

# adds a and b, except that a == 13 and b == 7 gives 0; optional output registers
BUGGY = """
module buggy_add{lat} ({clkports}input [7:0] a, input [7:0] b, output [8:0] s);
  wire [8:0] raw = (a == 8'd13 && b == 8'd7) ? 9'd0 : a + b;
{body}
endmodule
"""


def _buggy(tmp: Path, latency: int) -> Path:
    if latency == 0:
        body, clkports = "  assign s = raw;", ""
    else:
        regs = "\n".join(f"  reg [8:0] r{i};" for i in range(latency))
        chain = "\n".join(f"    r{i} <= {'raw' if i == 0 else f'r{i - 1}'};"
                          for i in range(latency))
        body = f"{regs}\n  always @(posedge clk) begin\n{chain}\n  end\n" \
               f"  assign s = r{latency - 1};"
        clkports = "input clk, input rst, "
    path = tmp / f"buggy_add{latency}.v"
    path.write_text(BUGGY.format(lat=latency, clkports=clkports, body=body))
    return path


def _harness(latency: int, tag: str, lanes: int = 1) -> VectorHarness:
    """A harness around buggy_add<latency>, in a build directory of the calling test's own."""
    tmp = BUILD / tag
    tmp.mkdir(parents=True, exist_ok=True)
    return VectorHarness(
        top=f"buggy_add{latency}", sources=[_buggy(tmp, latency)],
        inputs=[Port("a", 8), Port("b", 8)], outputs=[Port("s", 9)],
        latency=latency, clocked=latency > 0, depth=1 << 16, build_dir=tmp, lanes=lanes,
    )


@pytest.mark.parametrize("latency,lanes", [
    pytest.param(lat, lanes, marks=pytest.mark.xdist_group(f"buggy{lat}x{lanes}"))
    for lat, lanes in ((0, 1), (1, 1), (2, 1), (0, 8), (2, 3))
])
def test_harness_finds_and_locates_the_one_bad_vector(latency, lanes):
    h = _harness(latency, f"buggy{latency}x{lanes}", lanes)
    a, b = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    a, b = a.ravel(), b.ravel()
    r = h.run({"a": a, "b": b}, {"s": a + b})
    assert r.checked == 65536
    assert r.mismatches == 1
    assert (a[r.first_index], b[r.first_index]) == (13, 7)
    assert r.first_got == {"s": 0}


@pytest.mark.xdist_group("buggy1x1")
def test_harness_passes_when_the_bad_vector_is_absent_and_counts_runs_exactly():
    h = _harness(1, "buggy1x1")
    a = np.array([1, 2, 3, 13, 200])
    b = np.array([7, 7, 7, 8, 255])
    r = h.run({"a": a, "b": b}, {"s": a + b}, tag="short")
    assert (r.checked, r.mismatches, r.first_index) == (5, 0, None)
    r = h.run({"a": a[:0], "b": b[:0]}, {"s": a[:0]}, tag="empty")
    assert (r.checked, r.mismatches) == (0, 0)


@pytest.mark.xdist_group("buggy2x3")
def test_harness_counts_every_wrong_expectation():
    h = _harness(2, "buggy2x3", 3)  # 1000 vectors in rows of 3: the last row is partial
    rng = np.random.default_rng(5)
    print("seed 5")
    a = rng.integers(0, 13, 1000)  # never 13: the DUT is right on all of them
    b = rng.integers(0, 256, 1000)
    expected = a + b
    wrong = rng.choice(1000, 37, replace=False)
    expected[wrong] ^= 1
    r = h.run({"a": a, "b": b}, {"s": expected}, tag="wrong")
    assert (r.checked, r.mismatches) == (1000, 37)
    assert r.first_index == wrong.min()
    i = wrong.min()
    assert r.first_got == {"s": int(a[i] + b[i])}
    # the lane padding of the partial last row is never checked
    r = h.run({"a": a[:998], "b": b[:998]}, {"s": a[:998] + b[:998]}, tag="partial")
    assert (r.checked, r.mismatches) == (998, 0)


def test_x_on_an_output_is_a_mismatch_under_icarus():
    if sim_mod.select() != "icarus":
        pytest.skip("X values exist only in 4-state simulators (Icarus here)")
    src = BUILD / "xout" / "xout.v"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text("module xout (input [3:0] a, output [3:0] y);\n"
                   "  assign y = (a == 4'd5) ? 4'bx : a;\nendmodule\n")
    h = VectorHarness(top="xout", sources=[src], inputs=[Port("a", 4)], outputs=[Port("y", 4)],
                      latency=0, clocked=False, depth=16, build_dir=BUILD / "xout")
    r = h.run({"a": np.arange(16)}, {"y": np.arange(16)})
    assert (r.checked, r.mismatches, r.first_index) == (16, 1, 5)


def test_harness_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Latency must be an integer between 0 and 64, not -1"):
        VectorHarness(top="x", sources=[], inputs=[Port("a", 1)], outputs=[Port("y", 1)],
                      latency=-1, clocked=False, depth=4, build_dir=BUILD)
    with pytest.raises(ValueError, match="Lanes must be an integer between 1 and 64, not 0"):
        VectorHarness(top="x", sources=[], inputs=[Port("a", 1)], outputs=[Port("y", 1)],
                      latency=0, clocked=False, depth=4, build_dir=BUILD, lanes=0)
    with pytest.raises(ValueError, match="latency > 0 must be clocked"):
        VectorHarness(top="x", sources=[], inputs=[Port("a", 1)], outputs=[Port("y", 1)],
                      latency=1, clocked=False, depth=4, build_dir=BUILD)
    h = _harness(0, "unbuilt")
    with pytest.raises(ValueError, match="differ in length"):
        h.run({"a": [1, 2], "b": [1]}, {"s": [2, 3]})
    with pytest.raises(ValueError, match="exceed the harness depth"):
        h.run({"a": np.zeros(70000), "b": np.zeros(70000)}, {"s": np.zeros(70000)})


class _OffByOne:
    """A wrong golden model: the exact product, plus one when a == 3 and b == 5."""

    def __init__(self, model):
        self.model = model

    def __call__(self, a, b):
        p = np.asarray(self.model(a, b)).copy()
        p[(np.asarray(a) == 3) & (np.asarray(b) == 5)] += 1
        return p


def test_mismatch_message_names_vector_values_and_a_repro_command():
    inst = instantiate("exact", {"width": 4})
    wrong = dataclasses.replace(inst, model=_OffByOne(inst.model))
    with pytest.raises(VerificationError) as info:
        verify(wrong, build_root=BUILD / "verify")
    msg = str(info.value)
    sim = sim_mod.select()
    a, b = multiplier.stimulus(4, False)
    n_bad = int(np.sum((a == 3) & (b == 5)))
    assert n_bad >= 1
    assert f"{n_bad} of {len(a)} vectors differ" in msg
    assert "a=3 b=5 expected p=16 got p=15" in msg
    assert f"reproduce: {repro_command(inst, sim, 3, 5)}" in msg
    assert repro_command(inst, sim, 3, 5) == f"edgeforge verify exact -p width=4 --sim {sim} " \
                                             f"--a 3 --b 5"
