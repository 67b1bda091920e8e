"""The compute-in-memory section of the report (gen.cim.report), end to end on small points."""

from gen.cim import report as cim_report
from gen.cim.family import FAMILY
from gen.flow.executor import LocalExecutor
from gen.flow.family import ReportContext
from gen.flow.report import render_md


def test_report_section_end_to_end(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    small = {"rows": 4, "cols": 2, "signed_weights": True, "storage": "latch", "wb": 4,
             "ib": 4}
    monkeypatch.setattr(cim_report, "CIM_POINTS", (
        ({**small, "encoding": "binary"}, (0.0,), "encoding"),
        ({**small, "encoding": "binary"}, (0.0,), "fibbinary"),
        ({**small, "encoding": "fibbinary"}, (0.0,), "encoding")))
    lines = []
    ctx = ReportContext(tmp_path / "report", None, None, 1, 1, LocalExecutor(1), {}, None,
                        lambda m, w, s, eta: lines.append((m, w)))
    (section,) = FAMILY.report_sections()
    assert section.name == "cim" and section.default and section.steps(ctx) == 5
    part = section.run(ctx)
    assert list(part) == ["cim"]
    sec = part["cim"]
    assert len(lines) == 5 and len(sec["records"]) == 3
    md = render_md(section.blocks(part, ctx))
    assert "binary versus fibbinary" in md and "253.5 TOPS/W" in md
    assert "fibbinary-codebook weights" in md and "a binary macro with the same" in md
    assert "unsigned fibbinary weights with a zero point" in md
    fib = next(r for r in sec["records"] if r["params"]["encoding"] == "fibbinary")
    assert fib["cycles_per_vector"] == 2
    assert {c["ib"]: c["fibbinary"] for c in sec["cycles"] if not c["signed_inputs"]} == \
        {2: 1, 4: 2, 8: 4}
