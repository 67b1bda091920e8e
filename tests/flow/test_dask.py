"""DaskExecutor on real processes: a `dask scheduler` and two `dask worker`s on 127.0.0.1, and a
LocalCluster; results equal the local pool's, a killed worker's job runs again, exclusive keys
hold, a failing job is named or recorded; a sweep of the toy family through the cluster gives the
local pool's rows, also with a worker killed in the middle."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

import dask_jobs as dj  # noqa: E402 (tests/flow, importable on the workers through PYTHONPATH)
from distributed import Client  # noqa: E402

from gen.flow import sweep  # noqa: E402
from gen.flow.cache import Cache  # noqa: E402
from gen.flow.executor import DaskExecutor, Job, JobError, JobFailure, LocalExecutor  # noqa: E402

pytestmark = pytest.mark.xdist_group("dask")

HERE = Path(__file__).resolve().parent
START_TIMEOUT = 60.0


def _spawn(args: list[str], log: Path, cwd: Path, env: dict) -> subprocess.Popen:
    with open(log, "wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen([sys.executable, "-m", *args], stdout=out,
                                stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                start_new_session=True)


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:  # the whole session: a nanny and its worker process
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _wait_for(path: Path, procs: list[subprocess.Popen], logs: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not path.exists():
        dead = [p.args for p in procs if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            raise RuntimeError(f"dask did not start ({dead or 'timeout'}); logs in {logs}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a scheduler with two single-threaded workers (nanny-restarted when
    killed) that run outside the client's directory and without its EDGEFORGE_CACHE/SIM."""
    root = tmp_path_factory.mktemp("dask")
    (root / "workers").mkdir()
    sfile = root / "scheduler.json"
    env = {k: v for k, v in os.environ.items() if k not in ("EDGEFORGE_CACHE", "SIM")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    env["EDGEFORGE_FAMILIES"] = "toy_family:FAMILY"  # the sweep tests' family, on the workers
    procs = [_spawn(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                     "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
                     "--scheduler-file", str(sfile)], root / "scheduler.log", root, env)]
    try:
        _wait_for(sfile, procs, root)
        procs += [_spawn(["distributed.cli.dask_worker", "--scheduler-file", str(sfile),
                          "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                          "--name", f"w{k}"], root / f"worker{k}.log", root / "workers", env)
                  for k in range(2)]
        address = json.loads(sfile.read_text())["address"]
        yield address, procs
    finally:
        _stop(procs)


@pytest.fixture
def address(scheduler):
    """The cluster's address once both workers are up (again, after a test killed one)."""
    address, procs = scheduler
    with Client(address, timeout=START_TIMEOUT) as client:
        client.wait_for_workers(2, timeout=START_TIMEOUT)
    return address


@pytest.fixture
def client_dir(tmp_path, monkeypatch):
    """The client's working directory and forwarded variables, unlike the workers'."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EDGEFORGE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SIM", "icarus")
    return tmp_path


def _batch() -> list[Job]:
    jobs = [Job(f"p{i}", dj.sleep_square, (i, 0.05 * (i % 3)), cost=i % 3) for i in range(8)]
    return [*jobs, Job("where", dj.where, describe=lambda r: r[0])]  # a lambda: never sent


def _run_both(executor, jobs):
    seen = []
    out = executor.run(jobs, lambda i, r, s: seen.append(i))
    assert sorted(seen) == list(range(len(jobs)))  # done once per job
    return out, LocalExecutor(2).run(jobs)


def test_cluster_results_equal_the_local_pool(address, client_dir):
    out, local = _run_both(DaskExecutor(address), _batch())
    assert out == local
    assert out[-1] == (os.getcwd(), str(client_dir / "cache"), "icarus")


def test_local_cluster_results_equal_the_local_pool(client_dir):
    out, local = _run_both(DaskExecutor(workers=2), _batch())
    assert out == local
    assert out[-1] == (os.getcwd(), str(client_dir / "cache"), "icarus")


def test_exclusive_jobs_never_overlap(address):
    jobs = [Job(f"s{i}", dj.span, (i, 0.4), exclusive="ab"[i // 2]) for i in range(4)]
    out = DaskExecutor(address).run(jobs)
    assert [x for x, _, _ in out] == [0, 1, 2, 3]
    for a, b in ((0, 1), (2, 3)):  # same key: one after the other
        assert out[a][2] <= out[b][1] or out[b][2] <= out[a][1]


def _killer(marker: Path, killed: list[int]) -> threading.Thread:
    def kill():
        deadline = time.monotonic() + START_TIMEOUT
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if marker.exists():
            killed.append(int(marker.read_text()))
            os.kill(killed[0], signal.SIGKILL)
    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread


def _held_batch(marker: Path) -> list[Job]:
    return [Job("held", dj.hold_once, (str(marker), 7, 30.0), cost=9),
            *(Job(f"p{i}", dj.sleep_square, (i, 0.2)) for i in range(6))]


@pytest.mark.parametrize("where", ["cluster", "local_cluster"])
def test_killed_worker_job_runs_again(where, request, tmp_path):
    """The scheduler reschedules by itself (cluster) or reports KilledWorker and the executor
    resubmits it (LocalCluster: allowed-failures 0)."""
    executor = DaskExecutor(request.getfixturevalue("address")) if where == "cluster" \
        else DaskExecutor(workers=2, retries=1)
    killed: list[int] = []
    thread = _killer(tmp_path / "marker", killed)
    out = executor.run(_held_batch(tmp_path / "marker"))
    thread.join()
    assert len(killed) == 1 and out[0][0] == 49 and out[0][1] != killed[0]
    assert out[1:] == [i * i for i in range(6)]


def test_killed_worker_beyond_retries_is_recorded(tmp_path):
    killed: list[int] = []
    thread = _killer(tmp_path / "marker", killed)
    out = DaskExecutor(workers=2, retries=0).run(_held_batch(tmp_path / "marker"),
                                                 keep_going=True)
    thread.join()
    assert isinstance(out[0], JobFailure) and (out[0].name, out[0].error_type) == \
        ("held", "KilledWorker")
    assert out[1:] == [i * i for i in range(6)]


@pytest.mark.parametrize("where", ["cluster", "local"])
def test_failure_named_or_recorded(where, request):
    executor = DaskExecutor(request.getfixturevalue("address")) if where == "cluster" \
        else LocalExecutor(2)
    jobs = [Job("drum_u8_k4 [lib]", dj.fail, (4,)),
            *(Job(f"p{i}", dj.sleep_square, (i,)) for i in range(4))]
    out = executor.run(jobs, keep_going=True)
    assert out[0] == JobFailure("drum_u8_k4 [lib]", "ValueError", "bad point 4",
                                out[0].traceback_tail)
    assert "dask_jobs.py" in out[0].traceback_tail and out[1:] == [0, 1, 4, 9]
    with pytest.raises(JobError, match=r"^drum_u8_k4 \[lib\] failed: ValueError: bad point 4$"):
        executor.run(jobs)


# -------------------------------------------------------------------------------------------
# sweeps through the cluster (the toy adder family of this folder: seconds per point)

TOY_SPEC = """[sweep]
metrics = ["area", "energy"]
[[points]]
design = "toy_adder"
params = { width = [3, 4, 5, 6] }
workload = { adds = 40 }
"""
MEASURED = ("area_um2", "cells", "switching_fj", "internal_fj", "leakage_fj", "energy_per_op_fj",
            "status", "module", "library_sha256")


@pytest.fixture
def toy(monkeypatch):
    """The toy family registered in this process (the local pool's processes and the Dask
    workers load it from EDGEFORGE_FAMILIES) and its spec."""
    import toy_family  # noqa: PLC0415 - this folder, on sys.path for the tests

    from gen.flow import family  # noqa: PLC0415

    monkeypatch.setattr(family, "_FAMILIES", dict(family.families()))  # undone after the test
    family.register(toy_family.FAMILY)
    monkeypatch.setenv(family.ENV_VAR, "toy_family:FAMILY")  # the local pool's processes
    return sweep.parse_spec(TOY_SPEC)


def _sweep(spec, executor, cache: Path, progress=None) -> list[dict]:
    result = sweep.run_sweep(spec, executor, cache=Cache(cache), progress=progress)
    assert result.failed == 0 and result.computed == len(spec.points)
    return [{k: row[k] for k in MEASURED} for row in result.rows]


def test_sweep_on_the_cluster_equals_the_local_pool(address, client_dir, toy):
    local = _sweep(toy, LocalExecutor(2), client_dir / "local")
    shutil.rmtree(client_dir / "cache", ignore_errors=True)  # measured again, not read back
    shutil.rmtree(client_dir / "build", ignore_errors=True)
    assert _sweep(toy, DaskExecutor(address), client_dir / "dask") == local


def test_sweep_completes_with_a_worker_killed(address, client_dir, toy):
    with Client(address) as client:
        pids = sorted(client.run(os.getpid).values())
    killed: list[int] = []

    def progress(done, total, row, seconds):  # the first point back: the other worker is busy
        if not killed:
            killed.append(pids[0])
            os.kill(pids[0], signal.SIGKILL)

    rows = _sweep(toy, DaskExecutor(address), client_dir / "killed", progress)
    assert killed and [r["status"] for r in rows] == ["ok"] * len(toy.points)
    assert [r["module"] for r in rows] == [f"toy_adder_w{w}" for w in range(3, 7)]
