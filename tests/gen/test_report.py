"""``make report`` (issue-2 scope): Verilog of the default set and the error-metrics table."""

from __future__ import annotations

import json

from gen.designs import DEFAULT_SET
from gen.report import build_report


def test_report_writes_verilog_and_an_error_table(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the metrics cache lives under ./build/cache
    index = build_report(tmp_path / "report", samples=2000)
    out = tmp_path / "report"
    assert index == out / "index.html"
    records = json.loads((out / "errors.json").read_text())
    assert len(records) == len(DEFAULT_SET)
    by_module = {r["module"]: r for r in records}
    # exact designs have no error; approximate ones do
    assert by_module["mul_booth_s16"]["ep_pct"] == 0 and by_module["mul_array_u8"]["wce"] == 0
    assert by_module["drum_u16_k4"]["mred_pct"] > by_module["drum_u16_k8"]["mred_pct"] > 0
    # widths up to 8 are exhaustive even when samples are given for the 16-bit points
    assert by_module["drum_u8_k4"]["exhaustive"] and by_module["drum_u8_k4"]["samples"] == 65536
    assert not by_module["drum_u16_k6"]["exhaustive"]
    assert by_module["drum_u16_k6"]["samples"] == 2000
    md = (out / "index.md").read_text()
    assert md.count("\n| ") == len(DEFAULT_SET) + 1  # header + one row per point
    assert "drum_u16_k6" in index.read_text()
    for r in records:
        assert (out / "verilog" / f"{r['module']}.v").exists()
    progress = capsys.readouterr().err
    assert f"[{len(DEFAULT_SET)}/{len(DEFAULT_SET)}]" in progress
