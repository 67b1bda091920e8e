"""``make report`` end to end through the core and the multiplier section: Verilog, error metrics,
area, energy, savings, Pareto plot, library deviation.

The report runs on a small 8-bit subset with few operations (the energy flow is cached by
content, so the second run in the same directory is fast). No measured energy is hard-coded:
the tests check relations and consistency between the files.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from gen.approx.report import DEVIATION_LIMIT_PCT, DRUM_PAPER
from gen.cli import main
from gen.eda import synth
from gen.eda.liberty import default_library_path
from gen.flow.bench import library_for
from gen.flow.report import build_report

# the signed exact array is left out on purpose: the report adds the missing reference itself
POINTS = [
    ("exact", {"width": 8, "signed": False, "arch": "array"}),
    ("drum", {"width": 8, "k": 4}),
    ("roup", {"width": 8, "p": 1, "r": 0}),
]
MODULES = {"mul_array_u8", "drum_u8_k4", "roup_s8_p1_r0", "mul_array_s8"}
OPS = 300
FULL_LIB = Path(__file__).resolve().parents[3] / "shared" / "pdk" / "sky130_fd_sc_hd" / \
    "sky130hd_tt.lib.gz"


def _run(work: Path, out: str, points=POINTS, **kw) -> tuple[Path, str]:
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(err):
        mp.chdir(work)  # the caches live under ./build
        mp.delenv("LIBERTY", raising=False)
        mp.delenv("PDK_ROOT", raising=False)
        index = build_report(work / out, sections={"approx": {"points": points, "ops": OPS}},
                             **kw)
    return index, err.getvalue()


def _table_modules(text: str) -> set[str]:
    return set(re.findall(r"\b(?:mul_(?:array|booth)|drum|roup)_[su]\d+\w*", text))


def _check_files(index: Path, rep: dict) -> None:
    out = index.parent
    assert index == out / "index.html"
    for name in ("index.md", "report.json", "errors.json"):
        assert (out / name).is_file()
    png = (out / "pareto.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert {r["module"] for r in rep["records"]} == MODULES
    for m in MODULES:
        assert (out / "verilog" / f"{m}.v").is_file()
    assert rep["pareto"]["fronts"]["8"][0] in ("mul_array_u8", "mul_array_s8")  # MRED 0


def _check_records(rep: dict) -> None:
    recs = {r["module"]: r for r in rep["records"]}
    assert rep["conditions"]["ops"] == OPS and rep["conditions"]["seed"] == 1
    assert rep["conditions"]["workload"] == "uniform"
    assert rep["liberty"] == synth.DEFAULT_LIBERTY_LABEL
    nand2 = synth.nand2_cell(synth.library_cells(library_for(default_library_path())))
    for r in rep["records"]:
        assert r["energy_per_op_fj"] > 0 and r["area_um2"] > 0
        assert r["area_ge"] == pytest.approx(r["area_um2"] / nand2.area, rel=1e-4)
        assert r["liberty"] == rep["liberty"]
        ref = recs[r["reference"]]
        assert ref["design"] == "exact" and ref["arch"] == "array"
        assert (ref["width"], ref["signed"]) == (r["width"], r["signed"])
        assert r["energy_saving_pct"] == pytest.approx(
            100 * (1 - r["energy_per_op_fj"] / ref["energy_per_op_fj"]), abs=1e-3)
        assert r["area_saving_pct"] == pytest.approx(
            100 * (1 - r["area_um2"] / ref["area_um2"]), abs=1e-3)
    assert recs["roup_s8_p1_r0"]["reference"] == "mul_array_s8"  # ROUP is signed
    assert recs["drum_u8_k4"]["reference"] == "mul_array_u8"
    assert recs["mul_array_u8"]["energy_saving_pct"] == 0
    drum, exact = recs["drum_u8_k4"], recs["mul_array_u8"]
    assert drum["energy_per_op_fj"] < exact["energy_per_op_fj"]
    assert drum["area_um2"] < exact["area_um2"]
    assert drum["errors"]["mred_pct"] > 0 == exact["errors"]["mred_pct"]


def _check_documents(index: Path, rep: dict) -> None:
    md = index.with_suffix(".md").read_text()
    page = index.read_text()
    assert _table_modules(md) == _table_modules(page) == MODULES
    assert '<img src="pareto.png"' in page and "(pareto.png)" in md
    for text in (md, page):
        assert DRUM_PAPER["citation"].split(",")[0] in text
        assert "54-80 % power savings" in text and "ICCAD 2015" in text
        assert "embedded sky130_fd_sc_hd compact" in text
        for phrase in ("no glitch power", "no parasitic extraction", "slews propagated",
                       "input pins", "leakage is counted", f"{OPS} operations"):
            assert phrase in text
    assert rep["limits"] and all(x in md for x in rep["limits"])


def _check_zero_deviation(index: Path, rep: dict) -> None:
    assert rep["compare_liberty"].endswith("compact_copy.lib")
    for r in rep["records"]:
        c = r["compare"]
        assert c["area_deviation_pct"] == 0 and c["energy_deviation_pct"] == 0
        assert c["area_um2"] == r["area_um2"] and c["energy_per_op_fj"] == r["energy_per_op_fj"]
    dev = rep["deviation"]
    assert dev["all_within_limit"] and dev["beyond_limit"] == []
    assert dev["area_max_abs"]["pct"] == 0 == dev["energy_mean_abs_pct"]
    md = index.with_suffix(".md").read_text()
    assert f"Every point is within {DEVIATION_LIMIT_PCT:g} %" in md


def _check_progress(progress: str) -> None:
    n = len(MODULES) * 3  # verilog + errors, energy with each of the two libraries
    lines = [x for x in progress.splitlines() if x.startswith("[")]
    assert len(lines) == n and lines[-1].startswith(f"[{n}/{n}]")
    assert all("ETA" in x and re.search(r"\d s ", x) for x in lines)
    assert sum("energy [compact_copy.lib" in x for x in lines) == len(MODULES)


def test_report_on_a_subset(tmp_path):
    """One run with a byte-identical copy of the embedded library as the comparison (two worker
    processes), then a second one-library run in this process on the warm caches.

    One test rather than several sharing a module fixture: the fixture would be built once per
    xdist worker.
    """
    copy = tmp_path / "compact_copy.lib"
    shutil.copyfile(default_library_path(), copy)
    index, progress = _run(tmp_path, "cmp", compare_liberty=copy)
    rep = json.loads((index.parent / "report.json").read_text())
    _check_files(index, rep)
    _check_records(rep)
    _check_documents(index, rep)
    _check_zero_deviation(index, rep)
    _check_progress(progress)

    index, progress = _run(tmp_path, "one", progress=False, workers=1)
    rep1 = json.loads((index.parent / "report.json").read_text())
    assert progress == ""
    assert rep1["deviation"] is None and rep1["compare_liberty"] is None
    assert all(r["compare"] is None for r in rep1["records"])
    md = index.with_suffix(".md").read_text()
    assert "Not run" in md and "--compare-liberty PATH" in md
    assert all(r["energy_cached"] for r in rep1["records"])  # same points: cache hits
    assert [r["energy_per_op_fj"] for r in rep1["records"]] == \
        [r["energy_per_op_fj"] for r in rep["records"]]


def test_cli_report_rejects_bad_options(capsys):
    assert main(["report", "--ops", "0"]) == 2
    assert main(["report", "--workers", "0"]) == 2
    assert main(["report", "--compare-liberty", "/nonexistent/x.lib"]) == 2
    err = capsys.readouterr().err
    assert "--ops" in err and "--workers" in err and "/nonexistent/x.lib" in err


@pytest.mark.skipif(not FULL_LIB.is_file(), reason=f"full sky130 library not at {FULL_LIB}")
def test_comparison_with_the_full_library(tmp_path):
    index, _ = _run(tmp_path, "full", points=POINTS[:1], compare_liberty=FULL_LIB,
                    progress=False, workers=1)
    rep = json.loads((index.parent / "report.json").read_text())
    assert [r["module"] for r in rep["records"]] == ["mul_array_u8"]
    for r in rep["records"]:
        c = r["compare"]
        assert c["liberty_path"] == str(FULL_LIB) and c["energy_per_op_fj"] > 0
        assert c["energy_deviation_pct"] == pytest.approx(
            100 * (r["energy_per_op_fj"] - c["energy_per_op_fj"]) / c["energy_per_op_fj"],
            abs=1e-3)
    dev = rep["deviation"]
    worst = max(abs(r["compare"]["energy_deviation_pct"]) for r in rep["records"])
    assert abs(dev["energy_max_abs"]["pct"]) == worst
    assert dev["all_within_limit"] == (dev["beyond_limit"] == [])
    assert "sky130hd_tt.lib.gz" in index.read_text()
