# amaranth: UnusedElaboratable=no
"""Tests of hw.ternary.SharedModule: one OCU module, instantiated several times."""

import re
import runpy
import subprocess
from pathlib import Path

import pytest
from amaranth.back import verilog
from amaranth.hdl import Module
from amaranth.lib import wiring

from hw.ternary import OCU, SharedModule

_hwsim = runpy.run_path(str(Path(__file__).with_name("hwsim.py")))
exactly = _hwsim["exactly"]


class TwoChannels(wiring.Component):
    """Two OCUs of one shared module, fed the same window (as the engine will)."""

    def __init__(self, shared, ocu):
        self._shared = shared
        members = ocu.signature.members  # the members themselves: In/Out as on the OCU
        super().__init__({
            "i_stream": members["i_stream"],
            "o_stream0": members["o_stream"],
            "o_stream1": members["o_stream"],
        })

    def elaborate(self, platform):
        m = Module()
        ready = []
        for index in range(2):
            instance, ports = self._shared.instance(name=f"ocu{index}")
            m.submodules[f"ocu{index}"] = instance
            m.d.comb += [
                ports.i_stream.payload.eq(self.i_stream.payload),
                ports.i_stream.valid.eq(self.i_stream.valid),
            ]
            wiring.connect(m, ports.o_stream, wiring.flipped(getattr(self, f"o_stream{index}")))
            ready.append(ports.i_stream.ready)
        m.d.comb += self.i_stream.ready.eq(ready[0] & ready[1])
        return m


@pytest.mark.parametrize("kwargs", [{}, {"weight_storage": "latch", "pooling": "sum"}])
def test_one_module_two_instances(kwargs):
    ocu = OCU(2, 1, pipeline=1, **kwargs)
    shared = SharedModule(ocu, ocu.module_name)
    assert shared.name == ocu.module_name
    assert {"clk", "rst", "i_stream__payload", "o_stream__ready", "w_stream__payload",
            "th_stream__valid", "busy"} <= set(shared.ports)
    top = verilog.convert(TwoChannels(shared, ocu), name="top", emit_src=False)
    text = shared.verilog + top
    assert len(re.findall(rf"^module {ocu.module_name}\(", text, re.MULTILINE)) == 1
    assert len(re.findall(rf"^\s*{ocu.module_name} ocu\d ", text, re.MULTILINE)) == 2
    # every port of the module is connected by name in each instance
    for port in shared.ports:
        assert top.count(f".{port}(") == 2, port


def test_yosys_elaborates_the_hierarchy(tmp_path):
    """Yosys reads the shared module and the top together and finds every port (hierarchy
    -check fails on an unknown module or port)."""
    from gen.eda.synth import yosys_command

    ocu = OCU(2, 1, pipeline=1)
    shared = SharedModule(ocu, "ocu_shared")
    (tmp_path / "design.v").write_text(
        shared.verilog + verilog.convert(TwoChannels(shared, ocu), name="top", emit_src=False))
    result = subprocess.run(
        [*yosys_command(), "-q", "-p", "read_verilog design.v; hierarchy -check -top top; stat"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("name", ["", "1ocu", "ocu.x", "a b", None])
def test_name_invalid(name):
    with pytest.raises(ValueError, match=exactly(
            f"Module name must be a Verilog identifier, not {name!r}")):
        SharedModule(OCU(1, 1), name)
