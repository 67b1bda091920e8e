"""The multipliers' report section end to end through ``build_report`` and the real flow: a small
8-bit spec (few operations), a byte-identical copy of the embedded library as the comparison,
then a one-library run on the warm caches. No measured energy is hard-coded: the tests check
relations and consistency between the files.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import runpy
import shutil
from pathlib import Path

import pytest

from gen.approx.report import DEVIATION_LIMIT_PCT, DRUM_PAPER
from gen.eda import synth
from gen.eda.liberty import default_library_path
from gen.flow.report import build_report

BROWSER = runpy.run_path(str(Path(__file__).parents[1] / "flow" / "browser_check.py"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
MODULES = {"mul_array_u8", "drum_u8_k4", "roup_s8_p1_r0", "mul_array_s8"}
OPS = 300
SPEC = f"""
[sweep]
libraries = ["$liberty", "$compare"]
metrics = ["area", "energy", "errors"]

[[points]]
design = "exact"
params = {{ width = 8, signed = [false, true] }}
workload = {{ ops = {OPS} }}

[[points]]
design = "drum"
params = {{ width = 8, k = 4 }}
workload = {{ ops = {OPS} }}

[[points]]
design = "roup"
params = {{ width = 8, p = 1, r = 0 }}
workload = {{ ops = {OPS} }}
"""


def _run(work: Path, out: str, **kw) -> tuple[Path, str]:
    err = io.StringIO()
    spec = work / "spec.toml"
    spec.write_text(SPEC)
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(err):
        mp.chdir(work)  # the caches live under ./build
        for var in ("LIBERTY", "PDK_ROOT", "EDGEFORGE_CACHE"):
            mp.delenv(var, raising=False)
        index = build_report(work / out, sections={"approx": True}, spec=spec, **kw)
    return index, err.getvalue()


def _check_files(index: Path, rep: dict) -> None:
    out = index.parent
    for name in ("index.md", "report.json", "errors.json"):
        assert (out / name).is_file()
    assert not (out / "pareto.png").exists()
    assert {r["module"] for r in rep["records"]} == MODULES
    assert {e["module"] for e in json.loads((out / "errors.json").read_text())} == MODULES
    for m in MODULES:
        assert (out / "verilog" / f"{m}.v").is_file()
    assert rep["pareto"]["fronts"]["8"][0] in ("mul_array_u8", "mul_array_s8")  # MRED 0


def _check_records(rep: dict) -> None:
    recs = {r["module"]: r for r in rep["records"]}
    assert rep["conditions"]["ops"] == OPS and rep["conditions"]["seed"] == 1
    assert rep["conditions"]["workload"] == "uniform"
    for r in rep["records"]:
        assert r["energy_per_op_fj"] > 0 and r["area_um2"] > 0
        assert r["area_ge"] == pytest.approx(r["area_um2"] / r["nand2_area_um2"], rel=1e-4)
        assert r["liberty"] == rep["liberty"] == synth.DEFAULT_LIBERTY_LABEL
    assert recs["roup_s8_p1_r0"]["reference"] == "mul_array_s8"  # ROUP is signed
    drum, exact = recs["drum_u8_k4"], recs["mul_array_u8"]
    assert drum["reference"] == "mul_array_u8" and exact["energy_saving_pct"] == 0
    assert drum["energy_per_op_fj"] < exact["energy_per_op_fj"]
    assert drum["area_um2"] < exact["area_um2"]
    assert drum["errors"]["mred_pct"] > 0 == exact["errors"]["mred_pct"]


def _check_documents(index: Path, rep: dict) -> None:
    md, page = index.with_suffix(".md").read_text(), index.read_text()
    for fig in ("approx-pareto", "approx-deviation"):
        assert f'id="fig-{fig}"' in page
    assert "<img" not in page
    for text in (md, page):
        assert DRUM_PAPER["citation"].split(",")[0] in text
        assert "embedded sky130_fd_sc_hd compact" in text
        assert str(Path.cwd()) not in text and str(index.parent) not in text
        for phrase in ("no glitch power", "no parasitic extraction", f"{OPS} operations"):
            assert phrase in text
    assert rep["limits"] and all(x in md for x in rep["limits"])
    # the time table: one row per job, and the steps' seconds
    assert "Where the time went" in md and "Where the time went" in page
    assert len(rep["timing"]) == 2 * len(MODULES) and all(t["seconds"] >= 0
                                                          for t in rep["timing"])


def _check_in_browser(index: Path) -> None:
    """The real report in headless Chromium: no console error, every figure drawn."""
    BROWSER["need_chromium"]()
    result = BROWSER["check_page"](index, SCREENSHOTS / "report-approx.png")
    assert BROWSER["problems"](result) == []
    assert {f["id"] for f in result["figures"]} >= {"fig-approx-pareto", "fig-approx-deviation"}


def test_report_section_end_to_end(tmp_path):
    copy = tmp_path / "compact_copy.lib"
    shutil.copyfile(default_library_path(), copy)
    index, progress = _run(tmp_path, "cmp", compare_liberty=copy, workers=2)
    rep = json.loads((index.parent / "report.json").read_text())
    _check_files(index, rep)
    _check_records(rep)
    _check_documents(index, rep)
    _check_in_browser(index)
    for r in rep["records"]:  # the same library under another name: no deviation
        c = r["compare"]
        assert c["liberty"] == str(copy) and c["energy_per_op_fj"] == r["energy_per_op_fj"]
        assert c["area_deviation_pct"] == 0 == c["energy_deviation_pct"]
    assert rep["deviation"]["all_within_limit"]
    assert f"Every point is within {DEVIATION_LIMIT_PCT:g} %" in \
        index.with_suffix(".md").read_text()
    lines = [x for x in progress.splitlines() if re.match(r"\[\s*\d+/", x)]
    assert len(lines) == 2 * len(MODULES) and "compact_copy.lib" in progress

    index, progress = _run(tmp_path, "one", progress=False, workers=1)
    rep1 = json.loads((index.parent / "report.json").read_text())
    assert progress == "" and rep1["deviation"] is None
    assert all(r["compare"] is None and r["energy_cached"] for r in rep1["records"])
    assert [r["energy_per_op_fj"] for r in rep1["records"]] == \
        [r["energy_per_op_fj"] for r in rep["records"]]
    assert "Not run" in index.with_suffix(".md").read_text()
