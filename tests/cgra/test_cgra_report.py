"""The CGRA report section (gen.cgra.report): its jobs, its report.json key and its blocks."""

import json
from pathlib import Path

from gen.cgra.family import FAMILY
from gen.cgra.report import (
    ERROR_DRAWS,
    MODELLED,
    MULS,
    STUDY,
    CgraSection,
    _area_job,
    _kernel_job,
    cgra_blocks,
    n_steps,
)
from gen.flow.executor import Job
from gen.flow.family import ReportContext


def test_report_blocks_name_the_study_and_what_is_not_modelled():
    assert cgra_blocks(None) == []
    run = {"params": {"mul": ""}, "kernel": "dot", "cycles": 21, "energy_per_run_fj": 2000.0,
           "per_type": {"mul (exact)": 500.0, "lsu": 1500.0}, "liberty": "lib",
           "voltage_v": 1.8, "period_ns": 10.0, "sim": "icarus", "module": "cgra_small",
           "area_um2": 100.0, "area_per_type": {"mul (exact)": 40.0, "lsu": 60.0}}
    approx = {**run, "params": {"mul": "drum"}, "energy_per_run_fj": 1800.0,
              "per_type": {"mul (drum)": 300.0, "lsu": 1500.0}, "module": "cgra_small_drum",
              "area_um2": 80.0, "area_per_type": {"mul (drum)": 20.0, "lsu": 60.0}}
    err = {"mul": "drum", "kernel": "dot", "mse": 4.0, "mred": 0.001, "ep": 0.5}
    blocks = cgra_blocks({"runs": [run, approx], "areas": [], "errors": [err], "seed": 1,
                          "error_draws": 32, "study": [list(s) for s in STUDY],
                          "modelled": list(MODELLED)})
    text = json.dumps(blocks)
    # energy -10 % overall, MUL tiles -40 %; area -20 %, MUL tiles -50 %
    assert "-10.0 %" in text and "-40.0 %" in text and "-20.0 %" in text and "-50.0 %" in text
    assert "2505.23553" in text and "voltage islands" in text and "21 % power" in text


class _Recorder:
    """An executor that runs nothing: canned results, the jobs kept."""

    workers = 2

    def __init__(self):
        self.jobs: list[Job] = []

    def run(self, jobs, done=None):
        self.jobs = list(jobs)
        out = []
        for i, job in enumerate(jobs):
            if job.fn is _kernel_job:
                res = [{"kernel": "dot", "energy_per_run_fj": 2000.0,
                        "params": {"mul": job.args[0]}}]
            else:
                res = {"fabric": job.args[0], "mul": job.args[1], "area_um2": 1234.0}
            out.append(res)
            done(i, res, 0.5)
        return out


def test_section_runs_its_jobs_through_the_executor_and_returns_the_cgra_key(tmp_path):
    lines = []
    ex = _Recorder()
    ctx = ReportContext(Path(tmp_path), "my.lib", None, 3, 2, ex, {}, None,
                        lambda *a: lines.append(a))
    section = CgraSection()
    assert section.name == "cgra" and section.default
    assert [type(s) for s in FAMILY.report_sections()] == [CgraSection]
    assert section.steps(ctx) == n_steps() == len(MULS) + 2
    out = section.run(ctx)
    assert list(out) == ["cgra"]
    cgra = out["cgra"]
    assert set(cgra) == {"runs", "areas", "errors", "seed", "error_draws", "study", "modelled"}
    # one kernel job per MUL variant (the report's library and seed), one area job
    assert [(j.fn, j.args) for j in ex.jobs] == [
        *((_kernel_job, (m, "my.lib", 3)) for m in MULS), (_area_job, ("default", "", "my.lib"))]
    assert [j.name for j in ex.jobs] == ["cgra small exact kernels", "cgra small drum kernels",
                                         "cgra small roup kernels", "cgra default area"]
    assert [r["params"]["mul"] for r in cgra["runs"]] == list(MULS)
    assert cgra["areas"] == [{"fabric": "default", "mul": "", "area_um2": 1234.0}]
    assert cgra["seed"] == 3 and cgra["error_draws"] == ERROR_DRAWS
    assert cgra["study"] == [list(s) for s in STUDY] and cgra["modelled"] == list(MODELLED)
    # the approximate tiles' errors over the report's draws, on the golden model
    assert len(cgra["errors"]) == 2 * 5
    assert {e["mul"] for e in cgra["errors"]} == {"drum", "roup"}
    assert all(e["seeds"] == [3, 3 + ERROR_DRAWS - 1] for e in cgra["errors"])
    # one progress line per step: the jobs as they finish, then the errors
    assert len(lines) == n_steps()
    assert lines[0][:2] == ("cgra small exact kernels", "2 pJ/run")
    assert lines[3][:2] == ("cgra default area", "1,234 um^2")
    assert lines[-1][0] == "cgra kernel errors"
    assert section.blocks({"cgra": None}, ctx) == []
