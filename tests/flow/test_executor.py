"""The executor: results in job order, long jobs first, exclusive keys, failures named or kept
(keep_going), the Dask options and its worker-side wrapper (the cluster runs: test_dask.py)."""

from __future__ import annotations

import os
import sys
import time

import pytest

import gen.flow.executor as executor_module
from gen.flow.executor import (
    DaskExecutor,
    DaskMissingError,
    Job,
    JobError,
    JobFailure,
    LocalExecutor,
    _run_remote,
    make_executor,
)


def square(x: int) -> int:
    return x * x


def slow_square(x: int) -> int:
    time.sleep(0.2)
    return x * x


def fail(x: int) -> int:
    raise ValueError(f"bad point {x}")


def test_inline_runs_longest_first_and_returns_in_order():
    seen = []
    jobs = [Job(f"j{i}", square, (i,), cost=c) for i, c in enumerate((1.0, 3.0, 2.0))]
    out = LocalExecutor(1).run(jobs, lambda i, r, s: seen.append((i, r)))
    assert out == [0, 1, 4]
    assert seen == [(1, 1), (2, 4), (0, 0)]


def test_pool_results_in_order_and_exclusive_jobs_never_overlap():
    spans = {}
    jobs = [Job(f"j{i}", slow_square, (i,), exclusive=i % 2) for i in range(4)]

    def done(i, result, seconds):
        spans[i] = (time.perf_counter() - seconds, time.perf_counter())

    assert LocalExecutor(2).run(jobs, done) == [0, 1, 4, 9]
    for a, b in ((0, 2), (1, 3)):  # same key: one after the other
        assert spans[a][1] <= spans[b][0] + 0.05 or spans[b][1] <= spans[a][0] + 0.05


@pytest.mark.parametrize("workers", [1, 2])
def test_failure_is_named(workers):
    jobs = [Job("drum_u8_k4 [lib]", fail, (4,)), Job("ok", square, (2,))]
    with pytest.raises(JobError, match=r"^drum_u8_k4 \[lib\] failed: ValueError: bad point 4$"):
        LocalExecutor(workers).run(jobs)


@pytest.mark.parametrize("workers", [0, 65, True, 2.0])
def test_workers_range(workers):
    with pytest.raises(ValueError, match="Workers must be an integer between 1 and 64"):
        LocalExecutor(workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_keep_going_records_the_failure_and_runs_the_rest(workers):
    seen = {}
    jobs = [Job("ok", square, (3,)), Job("drum_u8_k4 [lib]", fail, (4,), cost=2.0),
            Job("ok2", square, (5,))]
    out = LocalExecutor(workers).run(jobs, lambda i, r, s: seen.setdefault(i, r),
                                     keep_going=True)
    assert out[0] == 9 and out[2] == 25 and seen == dict(enumerate(out))
    failure = out[1]
    assert isinstance(failure, JobFailure)
    assert (failure.name, failure.error_type, failure.message) == \
        ("drum_u8_k4 [lib]", "ValueError", "bad point 4")
    assert str(failure) == "drum_u8_k4 [lib] failed: ValueError: bad point 4"
    assert failure.traceback_tail.splitlines()[-1] == "ValueError: bad point 4"
    assert "test_executor.py" in failure.traceback_tail


def test_describe_stays_in_the_client_and_out_of_equality():
    label = lambda r: f"{r} squared"  # noqa: E731 (a lambda does not pickle: never sent)
    jobs = [Job(f"j{i}", square, (i,), describe=label) for i in range(3)]
    assert LocalExecutor(2).run(jobs) == [0, 1, 4]
    assert jobs[2] == Job("j2", square, (2,)) and jobs[2].describe(4) == "4 squared"


def test_job_error_carries_the_failure():
    with pytest.raises(JobError) as info:
        LocalExecutor(1).run([Job("p", fail, (1,))])
    assert info.value.failure == JobFailure("p", "ValueError", "bad point 1",
                                            info.value.failure.traceback_tail)


@pytest.mark.parametrize("kwargs, message", [
    (dict(scheduler="127.0.0.1:8786"), "Scheduler must be an address tcp://HOST:PORT"),
    (dict(scheduler="tcp://127.0.0.1"), "Scheduler must be an address tcp://HOST:PORT"),
    (dict(scheduler="tcp://host:99999"), "Scheduler must be an address tcp://HOST:PORT"),
    (dict(scheduler="inproc://x:1"), r"\(or tls://\), not 'inproc://x:1'$"),
    (dict(workers=0), "^Workers must be an integer between 1 and 64, not 0$"),
    (dict(workers=2.0), "^Workers must be an integer between 1 and 64, not 2.0$"),
    (dict(retries=11), "^Retries must be an integer between 0 and 10, not 11$"),
    (dict(retries=-1), "^Retries must be an integer between 0 and 10, not -1$"),
])
def test_dask_options_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DaskExecutor(**kwargs)


@pytest.mark.parametrize("scheduler", ["tcp://127.0.0.1:8786", "tls://[::1]:8786",
                                       "tcp://node-3.cluster:1"])
def test_dask_addresses_accepted(scheduler):
    pytest.importorskip("distributed")
    assert DaskExecutor(scheduler).scheduler == scheduler


def test_make_executor():
    pytest.importorskip("distributed")
    assert make_executor("local", workers=3).workers == 3
    dask = make_executor("dask", workers=2, scheduler="tcp://127.0.0.1:1")
    assert isinstance(dask, DaskExecutor) and dask.scheduler == "tcp://127.0.0.1:1"
    with pytest.raises(ValueError, match=r"^Executor must be one of local, dask, not 'ray'$"):
        make_executor("ray", workers=2)
    with pytest.raises(ValueError, match=r"^Scheduler 'tcp://h:1' needs the dask executor"):
        make_executor("local", workers=2, scheduler="tcp://h:1")


def test_missing_dask_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    for make in (lambda: DaskExecutor(), lambda: make_executor("dask", workers=2)):
        with pytest.raises(DaskMissingError) as info:
            make()
        assert str(info.value) == \
            "--executor dask needs the optional extra: pip install 'edgeforge[dask]'"
        assert isinstance(info.value, ImportError) and isinstance(info.value, ValueError)


def test_remote_wrapper_sets_and_restores_directory_and_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("EDGEFORGE_CACHE", raising=False)
    here, path = os.getcwd(), os.environ["PATH"]
    out = _run_remote(_where, (), {}, str(tmp_path), {"EDGEFORGE_CACHE": "c"},
                      [str(tmp_path), "/no/such/dir"])
    assert out.error is None
    assert out.value == (str(tmp_path), "c", path + os.pathsep + str(tmp_path))
    missing = _run_remote(_where, (), {}, str(tmp_path / "absent"), {}, [])
    assert missing.value[0] == here  # no such directory on this worker: its own
    assert (os.getcwd(), os.environ["PATH"]) == (here, path)
    assert "EDGEFORGE_CACHE" not in os.environ


def test_remote_wrapper_returns_the_job_error():
    out = _run_remote(fail, (2,), {}, os.getcwd(), {}, [])
    assert out.value is None and out.error[:2] == ("ValueError", "bad point 2")
    assert out.error[2].splitlines()[-1] == "ValueError: bad point 2"


def _where():
    return os.getcwd(), os.environ.get("EDGEFORGE_CACHE"), os.environ["PATH"]


def test_unreachable_scheduler_is_one_line(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(executor_module, "CONNECT_TIMEOUT", 1.0)
    with pytest.raises(OSError, match=r"^Cannot reach the Dask scheduler at tcp://127.0.0.1:1: "
                                      r"[^\n]*$"):
        DaskExecutor("tcp://127.0.0.1:1").run([Job("a", square, (1,))])
