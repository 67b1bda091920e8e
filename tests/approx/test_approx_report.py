"""The multipliers' report section (gen.approx.report): error records, the Pareto front, the
section's options and a failing point.

The whole report on a subset (files, records, documents, library comparison, progress) is
tests/gen/test_report.py; no measured energy is hard-coded here either.
"""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

import gen.approx.multiplier
from gen.approx.family import FAMILY
from gen.approx.report import LIMITS, ApproxSection, error_record, pareto_front
from gen.flow.bench import EnergyError
from gen.flow.executor import LocalExecutor
from gen.flow.family import ReportContext, instantiate
from gen.flow.report import ReportError, build_report, sections


def test_pareto_front_excludes_dominated_points():
    pts = [(0.0, 10.0), (1.0, 5.0), (2.0, 6.0), (1.5, 5.0), (3.0, 1.0), (0.5, 12.0),
           (3.0, 1.0)]
    # (2, 6) is beaten by (1, 5); (1.5, 5) ties on energy but has more error; (0.5, 12) is
    # beaten by (0, 10); the two equal points (3, 1) dominate neither each other
    assert pareto_front(pts) == [0, 1, 4, 6]
    assert pareto_front([]) == []
    assert pareto_front([(2.0, 2.0)]) == [0]
    assert pareto_front([(0.0, 3.0), (1.0, 2.0), (2.0, 1.0)]) == [0, 1, 2]  # all on the front


def test_error_records_exhaustive_up_to_8_bits_when_sampled(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the metrics cache lives under ./build/cache
    r8 = error_record(instantiate("drum", {"width": 8, "k": 4}), samples=2000)
    assert r8["exhaustive"] and r8["samples"] == 65536
    r16 = error_record(instantiate("drum", {"width": 16, "k": 6}), samples=2000)
    assert not r16["exhaustive"] and r16["samples"] == 2000 and r16["mred_pct"] > 0
    exact = error_record(instantiate("exact", {"width": 16, "arch": "booth"}), samples=2000)
    assert exact["ep_pct"] == 0 and exact["wce"] == 0


def test_error_records_are_cached_and_a_damaged_entry_recomputed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inst = instantiate("drum", {"width": 8, "k": 4})
    first = error_record(inst)
    (entry,) = (tmp_path / "build" / "cache" / "errors").iterdir()
    assert entry.name == "drum-k=4-sign_mode=twos-signed=False-width=8-exhaustive.json"
    assert error_record(inst) == first
    entry.write_text("{")
    assert error_record(inst) == first


def _ctx(tmp_path, options=None, args=None, compare=None) -> ReportContext:
    return ReportContext(tmp_path / "report", None, compare, 1, 1, LocalExecutor(1),
                         options or {}, args, lambda *line: None)


def test_section_options_from_the_command_line_and_the_api(tmp_path):
    (section,) = FAMILY.report_sections()
    assert isinstance(section, ApproxSection) and section.name == "approx" and section.default
    p = argparse.ArgumentParser()
    FAMILY.add_report_options(p)
    args = p.parse_args(["--samples", "10", "--ops", "7"])
    ctx = _ctx(tmp_path, args=args)
    assert ctx.arg("samples") == 10 and ctx.arg("ops") == 7
    assert p.parse_args([]).ops == 4000 and p.parse_args([]).samples is None
    ctx = _ctx(tmp_path, {"ops": 9, "points": [("drum", {"width": 8, "k": 4})]}, args)
    assert ctx.arg("ops") == 9
    section.check(ctx)
    # the exact array reference is added: verilog + errors and one energy run per point
    assert section.steps(ctx) == 4
    assert section.steps(_ctx(tmp_path, {"points": [("drum", {"width": 8, "k": 4})]},
                              compare="x.lib")) == 6
    with pytest.raises(ValueError, match="Ops must be an integer between 1 and 65536, not 0"):
        section.check(_ctx(tmp_path, {"ops": 0}))
    with pytest.raises(ValueError, match="K must be"):
        section.check(_ctx(tmp_path, {"points": [("drum", {"width": 8, "k": 99})]}))
    limits = section.limits({"conditions": {"period_ns": 10.0}})
    assert len(limits) == len(LIMITS) and "one operation per 10 ns clock" in limits[4]


def test_failing_point_aborts_with_its_name(tmp_path, monkeypatch):
    def broken(inst, **kw):
        raise EnergyError(f"the gate-level netlist of {inst.module} disagrees")

    monkeypatch.setattr(gen.approx.multiplier, "energy", broken)
    monkeypatch.chdir(tmp_path)
    only = {s.name: False for s in sections() if s.name != "approx"}
    # the first job is the (added) reference, the only one before the abort
    with pytest.raises(ReportError, match=r"design point mul_array_u8 .*: EnergyError: .*"
                                          "mul_array_u8 disagrees"), \
            contextlib.redirect_stderr(io.StringIO()):
        build_report(tmp_path / "broken", workers=1, sections={
            **only, "approx": {"points": [("drum", {"width": 8, "k": 4})], "ops": 300}})
    assert not (tmp_path / "broken" / "report.json").exists()
    assert not (tmp_path / "broken" / "index.html").exists()
