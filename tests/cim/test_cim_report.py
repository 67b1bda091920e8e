"""The compute-in-memory section of the report (gen.cim.report) on the report's contract: small
spec points measured through the sweep's run_point, the section's studies run as its jobs, then
collect and blocks."""

import json

import pytest

from gen.cim.family import FAMILY
from gen.cim.figures import FIGURE_ID
from gen.flow.family import ReportContext
from gen.flow.render import render_html, render_md
from gen.flow.sweep import SweepPoint, run_point

SEED = 1
SMALL = {"rows": 4, "cols": 2, "signed_weights": True, "storage": "latch", "wb": 4, "ib": 4,
         "signed_inputs": False, "bit_order": "lsb", "approx_bits": 0}


def _point(encoding: str, **workload) -> SweepPoint:
    params = {**SMALL, "encoding": encoding}
    return SweepPoint("cim_macro", tuple(sorted(params.items())), None,
                      tuple(sorted(workload.items())), ("energy",), SEED)


@pytest.fixture(scope="module")
def section_run(tmp_path_factory):
    """The section's points and studies, measured in a private build and cache directory."""
    root = tmp_path_factory.mktemp("cim_report")
    (section,) = FAMILY.report_sections()
    ctx = ReportContext(root / "report", None, None, SEED, 1, {}, None)
    points = [_point("binary", input_zero=0.0), _point("binary", cim_weights="fibbinary"),
              _point("fibbinary", input_zero=0.0)]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.delenv("EDGEFORGE_CACHE", raising=False)
        pairs = [(p, run_point(p)) for p in points]
        jobs = section.jobs(ctx)
        results = [job.fn(*job.args, **job.kwargs) for job in jobs]
    return section, ctx, pairs, jobs, results


def test_studies_are_jobs_with_cost_and_text(section_run):
    _, _, _, jobs, results = section_run
    assert [j.name for j in jobs] == ["cim digits layer", "cim approximate tree"]
    assert all(j.cost > 0 for j in jobs)
    digits, tree = results
    assert jobs[0].describe(digits).startswith(f"float {100 * digits['float_accuracy']:.2f} %")
    assert jobs[1].describe(tree) == "error metrics of 6 trees (4096 vectors each)"


def test_section_collects_and_renders(section_run):
    section, ctx, pairs, _, results = section_run
    assert section.name == "cim" and section.default and section.designs == ("cim_macro",)
    assert section.title is None
    part = section.collect(ctx, pairs, results)
    assert list(part) == ["cim"]
    sec = part["cim"]
    assert sec["records"] == [res["records"]["energy"] for _, res in pairs]
    assert sec["digits"] is results[0] and sec["tree"] is results[1] and sec["seed"] == SEED
    assert [r["weights"] for r in sec["records"]] == ["encoding", "fibbinary", "encoding"]
    fib = sec["records"][2]
    assert fib["cycles_per_vector"] == 2
    assert {c["ib"]: c["fibbinary"] for c in sec["cycles"] if not c["signed_inputs"]} == \
        {2: 1, 4: 2, 8: 4}
    blocks = section.blocks(part, ctx)
    (fig,) = [b for b in blocks if b[0] == "figure"]
    assert fig[1] == FIGURE_ID and len(fig[2]["data"]) == 6
    json.dumps(fig[2])
    energy_table = next(b for b in blocks if b[0] == "table")
    assert len(energy_table[1]) == 9 and len(energy_table[2]) == 3
    md = render_md(blocks)
    assert "binary versus fibbinary" in md and "253.5 TOPS/W" in md
    assert "fibbinary-codebook weights" in md and "a binary macro with the same" in md
    assert "unsigned fibbinary weights with a zero point" in md
    assert FIGURE_ID in render_html(blocks, "t")


def test_without_points_the_model_parts_remain(section_run):
    section, ctx, _, _, results = section_run
    part = section.collect(ctx, [], results)
    md = render_md(section.blocks(part, ctx))
    assert part["cim"]["records"] == [] and "Cycles per input vector" in md
    assert "binary versus fibbinary weights" not in md


def test_a_nonpositive_energy_fails_the_section(section_run):
    section, ctx, pairs, _, results = section_run
    point, res = pairs[0]
    bad = {**res, "records": {"energy": {**res["records"]["energy"],
                                         "energy_per_mac_fj": float("nan")}}}
    with pytest.raises(RuntimeError, match="came out as nan"):
        section.collect(ctx, [(point, bad)], results)
