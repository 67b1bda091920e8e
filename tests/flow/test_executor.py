"""The executor: results in job order, long jobs first, exclusive keys, failures named."""

from __future__ import annotations

import time

import pytest

from gen.flow.executor import Job, JobError, LocalExecutor


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
