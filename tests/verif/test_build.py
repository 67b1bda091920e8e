# amaranth: UnusedElaboratable=no
"""verif.sim.build (the one stamped build) and the benches' own design points (verif.point)."""

from __future__ import annotations

import subprocess

import pytest

from verif import sim as sim_mod
from verif.point import parse_params


class _Runner:
    def __init__(self, fail=False):
        self.fail, self.builds, self.kwargs = fail, 0, None

    def build(self, **kwargs):
        self.builds += 1
        self.kwargs = kwargs
        if self.fail:
            raise subprocess.CalledProcessError(1, "build")


@pytest.fixture
def runner(monkeypatch):
    import cocotb_tools.runner

    r = _Runner()
    monkeypatch.setattr(cocotb_tools.runner, "get_runner", lambda sim: r)
    return r


def test_build_is_skipped_while_current_and_stale_stamps_go(tmp_path, runner):
    src = tmp_path / "a.v"
    src.write_text("module a; endmodule\n")
    bdir = tmp_path / "build"
    assert sim_mod.build([src], "a", bdir, "icarus") is True
    assert sim_mod.build([src], "a", bdir, "icarus") is False
    assert runner.builds == 1 and (bdir / "build.stamp").is_file()
    kw = runner.kwargs
    assert kw["hdl_toplevel"] == "a" and kw["timescale"] == ("1ns", "1ps")
    assert kw["log_file"] == bdir / "build.log" and kw["always"] is True
    # other options are another build
    assert sim_mod.build([src], "a", bdir, "icarus", args=["-DX"]) is True
    assert sim_mod.build([src], "a", bdir, "icarus", args=["-DX"], waves=True) is True
    assert runner.kwargs["waves"] is True and runner.kwargs["build_args"] == ["-DX"]
    # a failed build of changed sources leaves no stamp behind, and names its log
    src.write_text("module b; endmodule\n")
    runner.fail = True
    with pytest.raises(RuntimeError, match=r"Building a for icarus failed .*build\.log"):
        sim_mod.build([src], "a", bdir, "icarus")
    assert not (bdir / "build.stamp").exists()
    runner.fail = False
    assert sim_mod.build([src], "a", bdir, "icarus") is True


def test_build_design_takes_verilog_text(tmp_path, runner):
    text = "module top; endmodule\n"
    rtl, seconds = sim_mod.build_design(text, "top", "icarus", tmp_path / "b")
    assert rtl.read_text() == text and rtl.name == "top.v" and runner.builds == 1
    assert sim_mod.build_design(text, "top", "icarus", tmp_path / "b") == (rtl, 0.0)
    assert runner.builds == 1


def test_verilator_builds_waive_lint_warnings(tmp_path, runner):
    sim_mod.build_design("module top; endmodule\n", "top", "verilator", tmp_path / "v")
    args = runner.kwargs["build_args"]
    assert args[:len(sim_mod.VERILATOR_WAIVERS)] == list(sim_mod.VERILATOR_WAIVERS)
    assert "--no-timing" in args


def test_parse_params():
    defaults = {"n": 3, "flag": False, "name": "ff"}
    assert parse_params("d", defaults, ["n=0x10", "flag=yes", "name=latch"]) == \
        {"n": 16, "flag": True, "name": "latch"}
    assert parse_params("d", defaults, {"n": 5}) == {"n": 5, "flag": False, "name": "ff"}
    for pairs, message in [(["n"], "Parameter 'n' must be NAME=VALUE"),
                           (["m=1"], "Design d has no parameter 'm'; valid: n, flag, name"),
                           (["n=1", "n=2"], "Parameter n given twice"),
                           (["n=1.5"], "Parameter n must be an integer, not '1.5'"),
                           (["flag=maybe"], "Parameter flag must be true or false, not 'maybe'")]:
        with pytest.raises(ValueError, match=message.replace("(", r"\(")):
            parse_params("d", defaults, pairs)


def _instantiate():
    try:
        from gen.flow.family import instantiate
    except ImportError:
        from gen.flow.design import instantiate
    return instantiate


@pytest.mark.parametrize("design,params", [
    ("ternary_ocu", ["n_i=8", "k=3", "latency=1"]),
    ("binary_ocu", ["n_i=16", "pooling=max", "weight_storage=latch"]),
    ("ternary_engine", ["n_i=4", "n_o=4", "image_width=6", "weight_layers=2"]),
    ("cim_macro", ["rows=16", "signed_inputs=true", "encoding=fibbinary", "approx_bits=2"]),
    ("cgra", ["fabric=default", "mul=drum"]),
])
def test_design_points_are_the_flow_instances(design, params):
    """The benches' own design points name, parameterise and reproduce a point as the flow
    does, so repro lines and build directories are shared."""
    from verif.cgra import fabric
    from verif.cim import macro
    from verif.ternary import engine, ocu

    if design in ocu.DESIGNS:
        point = ocu.design_point(design, params)
    elif design == "ternary_engine":
        point = engine.design_point(params)
    elif design == "cim_macro":
        point = macro.design_point(params)
    else:
        kw = dict(p.split("=") for p in params)
        point = fabric.design_point(kw["fabric"], kw["mul"])
    inst = _instantiate()(design, params)
    assert point.design.name == design
    assert point.module == inst.module
    assert point.params == inst.params
    assert point.cli_params() == inst.cli_params()
    assert type(point.component) is type(inst.component)
    assert type(point.model) is type(inst.model) or design == "ternary_engine"
