"""Where the flow's jobs run: one interface, a local process pool behind it.

A job is a picklable function and its arguments (a design point is passed by name and
parameters, never as an elaborated object). :meth:`Executor.run` returns the results in job
order and reports each as it finishes; the first failure cancels what has not started and is
raised as :class:`JobError` naming the job.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

__all__ = ["Job", "JobError", "Executor", "LocalExecutor", "MAX_WORKERS"]

MAX_WORKERS = 64


class JobError(RuntimeError):
    """A job failed; the message names it and the error."""


@dataclass(frozen=True)
class Job:
    """One unit of work.

    Members
    -------
    name
        Names the job in progress lines and errors (a module name, with its library).
    fn, args, kwargs
        A module-level function and picklable arguments.
    cost
        Rough relative run time: longer jobs start first.
    exclusive
        Jobs with the same key never run at the same time (e.g. two libraries of one point
        would synthesise it twice at once); None: no constraint.
    """

    name: str
    fn: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    cost: float = 1.0
    exclusive: Hashable | None = None


class Executor:
    """Runs jobs; subclasses decide where (this process, a pool, a cluster)."""

    workers: int = 1

    def run(self, jobs: Sequence[Job],
            done: Callable[[int, object, float], None] | None = None) -> list:
        """Run ``jobs``; ``done(index, result, seconds)`` as each finishes; results in order.

        Raises
        ------
        JobError
            The first job that failed (the rest are cancelled).
        """
        raise NotImplementedError


def _chdir(cwd: str) -> None:
    # the caches and build directories are relative to the caller's working directory
    os.chdir(cwd)


class LocalExecutor(Executor):
    """Jobs on ``workers`` processes of this machine (1: in this process, in order of cost).

    Workers are spawned (they start clean: no forked threads or locks of the caller) in the
    caller's working directory.
    """

    def __init__(self, workers: int = 2):
        if isinstance(workers, bool) or not isinstance(workers, int) \
                or not 1 <= workers <= MAX_WORKERS:
            raise ValueError(f"Workers must be an integer between 1 and {MAX_WORKERS}, not "
                             f"{workers!r}")
        self.workers = workers

    def run(self, jobs: Sequence[Job],
            done: Callable[[int, object, float], None] | None = None) -> list:
        order = sorted(range(len(jobs)), key=lambda i: (-jobs[i].cost, i))
        out: list = [None] * len(jobs)
        report = done or (lambda i, r, s: None)
        if self.workers <= 1 or len(jobs) <= 1:
            for i in order:
                t0 = time.perf_counter()
                out[i] = _call(jobs[i])
                report(i, out[i], time.perf_counter() - t0)
            return out
        pending = list(order)
        running: dict[Future, tuple[int, float]] = {}
        with ProcessPoolExecutor(max_workers=self.workers,
                                 mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_chdir, initargs=(os.getcwd(),)) as pool:
            try:
                self._submit(pool, jobs, pending, running)
                while running:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        i, t0 = running.pop(fut)
                        try:
                            out[i] = fut.result()
                        except Exception as e:  # any failure aborts, named
                            pending.clear()
                            for other in running:
                                other.cancel()
                            raise _failed(jobs[i], e) from e
                        report(i, out[i], time.perf_counter() - t0)
                    self._submit(pool, jobs, pending, running)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        return out

    def _submit(self, pool, jobs, pending: list, running: dict) -> None:
        busy = {jobs[i].exclusive for i, _ in running.values()} - {None}
        while pending and len(running) < self.workers:
            i = next((i for i in pending if jobs[i].exclusive is None
                      or jobs[i].exclusive not in busy), None)
            if i is None:
                return
            pending.remove(i)
            if jobs[i].exclusive is not None:
                busy.add(jobs[i].exclusive)
            running[pool.submit(jobs[i].fn, *jobs[i].args, **jobs[i].kwargs)] = \
                (i, time.perf_counter())


def _call(job: Job):
    try:
        return job.fn(*job.args, **job.kwargs)
    except Exception as e:  # any failure aborts, named
        raise _failed(job, e) from e


def _failed(job: Job, exc: BaseException) -> JobError:
    return JobError(f"{job.name} failed: {type(exc).__name__}: {exc}")
