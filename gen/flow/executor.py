"""Where the flow's jobs run: one interface, a local process pool or a Dask cluster behind it.

A job is a picklable function and its arguments (a design point is passed by name and
parameters, never as an elaborated object). :meth:`Executor.run` returns the results in job
order and reports each as it finishes; the first failure cancels what has not started and is
raised as :class:`JobError` naming the job. With ``keep_going=True`` a failed job leaves a
:class:`JobFailure` in its slot instead and the run goes on.

:class:`LocalExecutor` runs jobs on spawned processes of this machine; :class:`DaskExecutor`
on a ``dask.distributed`` cluster (a ``LocalCluster`` started for the run, or an existing
scheduler). Dask is an optional extra, imported only when a :class:`DaskExecutor` is made.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import threading
import time
import traceback
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["Job", "JobError", "JobFailure", "Executor", "LocalExecutor", "DaskExecutor",
           "DaskMissingError", "make_executor", "EXECUTORS", "FORWARDED_ENV", "MAX_WORKERS",
           "MAX_RETRIES"]

MAX_WORKERS = 64
MAX_RETRIES = 10
#: The ``kind`` values of :func:`make_executor`.
EXECUTORS = ("local", "dask")
#: Environment variables a Dask job gets from the client (with every ``EDGEFORGE_*`` one; the
#: client's ``PATH`` entries the worker lacks are appended to the worker's).
FORWARDED_ENV = ("SIM", "WAVES", "LIBERTY", "PDK_ROOT", "YOSYS")
#: Lines of a failed job's traceback kept in :attr:`JobFailure.traceback_tail`.
TAIL_LINES = 12
#: Seconds to reach an existing Dask scheduler before the run fails (:class:`OSError`).
CONNECT_TIMEOUT = 20.0
_DASK_MISSING = "--executor dask needs the optional extra: pip install 'edgeforge[dask]'"
_ADDRESS = re.compile(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})")


class JobError(RuntimeError):
    """A job failed; the message names it and the error (:attr:`failure` has the details)."""

    def __init__(self, message: str, failure: JobFailure | None = None):
        super().__init__(message)
        self.failure = failure


class DaskMissingError(ImportError, ValueError):
    """``dask.distributed`` is not installed (the ``dask`` extra).

    An :class:`ImportError` for programs that test for a missing package, and a
    :class:`ValueError` so the command line reports it as one line like any bad option.
    """


@dataclass(frozen=True)
class JobFailure:
    """The record a failed job leaves in its result slot when a run keeps going.

    Members
    -------
    name
        The job's name.
    error_type, message
        The exception's class name and text (``KilledWorker``: its workers kept dying).
    traceback_tail
        The last lines of the traceback (where it was raised), or ``""``.
    """

    name: str
    error_type: str
    message: str
    traceback_tail: str = ""

    def __str__(self) -> str:
        return f"{self.name} failed: {self.error_type}: {self.message}"


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
    describe
        ``describe(result) -> str`` for progress lines; called in the client only (workers get
        ``fn``, ``args`` and ``kwargs``, never this), not part of equality.
    """

    name: str
    fn: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    cost: float = 1.0
    exclusive: Hashable | None = None
    describe: Callable[[object], str] | None = field(default=None, compare=False)


class Executor:
    """Runs jobs; subclasses decide where (this process, a pool, a cluster)."""

    workers: int = 1

    def run(self, jobs: Sequence[Job],
            done: Callable[[int, object, float], None] | None = None, *,
            keep_going: bool = False) -> list:
        """Run ``jobs``; ``done(index, result, seconds)`` as each finishes; results in order.

        With ``keep_going`` a failed job's result (and ``done``'s) is its :class:`JobFailure`
        and the other jobs still run.

        Raises
        ------
        JobError
            Without ``keep_going``: the first job that failed (the rest are cancelled).
        """
        raise NotImplementedError


class _Run:
    """Client-side bookkeeping of one run: start order, exclusive keys, results, failures."""

    def __init__(self, jobs: Sequence[Job], done, keep_going: bool, limit: int):
        self.jobs = jobs
        self.out: list = [None] * len(jobs)
        self.report = done or (lambda i, r, s: None)
        self.keep_going = keep_going
        self.limit = limit
        self.pending = sorted(range(len(jobs)), key=lambda i: (-jobs[i].cost, i))
        self.rank = {i: len(jobs) - r for r, i in enumerate(self.pending)}
        self.started: set[int] = set()

    def ready(self) -> list[int]:
        """Jobs to start now (longest first; none whose exclusive key is busy); marks them."""
        busy = {self.jobs[i].exclusive for i in self.started} - {None}
        out = []
        for i in list(self.pending):
            if len(self.started) >= self.limit:
                break
            key = self.jobs[i].exclusive
            if key is None or key not in busy:
                busy.add(key)
                self.pending.remove(i)
                self.started.add(i)
                out.append(i)
        return out

    def finish(self, i: int, result, seconds: float) -> None:
        """Job ``i`` returned ``result``."""
        self.started.discard(i)
        self.out[i] = result
        self.report(i, result, seconds)

    def fail(self, i: int, failure: JobFailure, seconds: float,
             exc: BaseException | None = None) -> None:
        """Job ``i`` failed: record it (keep going) or raise :class:`JobError` from ``exc``."""
        if not self.keep_going:
            self.pending.clear()
            raise JobError(str(failure), failure) from exc
        self.finish(i, failure, seconds)


def _chdir(cwd: str) -> None:
    # the caches and build directories are relative to the caller's working directory
    os.chdir(cwd)


def _check_int(what: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} must be an integer between {low} and {high}, not {value!r}")
    return value


class LocalExecutor(Executor):
    """Jobs on ``workers`` processes of this machine (1: in this process, in order of cost).

    Workers are spawned (they start clean: no forked threads or locks of the caller) in the
    caller's working directory.
    """

    def __init__(self, workers: int = 2):
        self.workers = _check_int("Workers", workers, 1, MAX_WORKERS)

    def run(self, jobs: Sequence[Job],
            done: Callable[[int, object, float], None] | None = None, *,
            keep_going: bool = False) -> list:
        if self.workers <= 1 or len(jobs) <= 1:
            return self._inline(_Run(jobs, done, keep_going, 1))
        run = _Run(jobs, done, keep_going, self.workers)
        running: dict[Future, tuple[int, float]] = {}
        with ProcessPoolExecutor(max_workers=self.workers,
                                 mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_chdir, initargs=(os.getcwd(),)) as pool:
            try:
                self._submit(pool, run, running)
                while running:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        i, t0 = running.pop(fut)
                        _settle(run, i, fut, time.perf_counter() - t0)
                    self._submit(pool, run, running)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        return run.out

    @staticmethod
    def _inline(run: _Run) -> list:
        for i in list(run.pending):  # one at a time: exclusive keys hold trivially
            job = run.jobs[i]
            t0 = time.perf_counter()
            try:
                result = job.fn(*job.args, **job.kwargs)
            except Exception as e:  # any failure is named (aborts unless keep_going)
                run.fail(i, _failure(job, e), time.perf_counter() - t0, e)
            else:
                run.finish(i, result, time.perf_counter() - t0)
        return run.out

    @staticmethod
    def _submit(pool, run: _Run, running: dict) -> None:
        for i in run.ready():
            job = run.jobs[i]
            running[pool.submit(job.fn, *job.args, **job.kwargs)] = (i, time.perf_counter())


def _settle(run: _Run, i: int, fut: Future, seconds: float) -> None:
    try:
        result = fut.result()
    except Exception as e:  # any failure is named (aborts unless keep_going)
        run.fail(i, _failure(run.jobs[i], e), seconds, e)
    else:
        run.finish(i, result, seconds)


def _failure(job: Job, exc: BaseException) -> JobFailure:
    remote = getattr(exc.__cause__, "tb", "").strip().strip('"')  # a pool worker's, as text
    text = remote or "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return JobFailure(job.name, type(exc).__name__, str(exc), _tail(text))


def _tail(text: str) -> str:
    return "\n".join(text.strip().splitlines()[-TAIL_LINES:])


# Dask ------------------------------------------------------------------------------------


class _Outcome(NamedTuple):
    """What a Dask worker sends back: the value, the job's own seconds, or its error."""

    value: object
    seconds: float
    error: tuple[str, str, str] | None  # error_type, message, traceback_tail


#: One job at a time per worker process changes its directory and environment.
_WORKER_LOCK = threading.Lock()


def _run_remote(fn: Callable, args: tuple, kwargs: dict, cwd: str, env: dict[str, str],
                path: list[str]) -> _Outcome:
    """One job on a Dask worker, in the client's directory and environment where they apply.

    The job's own exception is returned (not raised), so Dask never retries it; only the loss
    of the worker reaches the client as an error.
    """
    with _WORKER_LOCK, _client_context(cwd, env, path):
        t0 = time.perf_counter()
        try:
            value = fn(*args, **kwargs)
        except Exception as e:  # the job's failure, recorded by the client
            text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
            return _Outcome(None, time.perf_counter() - t0, (type(e).__name__, str(e),
                                                              _tail(text)))
        return _Outcome(value, time.perf_counter() - t0, None)


@contextlib.contextmanager
def _client_context(cwd: str, env: dict[str, str], path: list[str]) -> Iterator[None]:
    """``cwd`` if it exists here (a shared file system), ``env`` set, ``path`` appended."""
    old_cwd = os.getcwd()
    saved = {k: os.environ.get(k) for k in (*env, "PATH")}
    try:
        if os.path.isdir(cwd):
            os.chdir(cwd)
        os.environ.update(env)
        mine = os.environ.get("PATH", "").split(os.pathsep)
        extra = [p for p in path if p and p not in mine and os.path.isdir(p)]
        os.environ["PATH"] = os.pathsep.join([*filter(None, mine), *extra])
        yield
    finally:
        os.chdir(old_cwd)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _client_env() -> tuple[dict[str, str], list[str]]:
    """The variables a Dask job gets (:data:`FORWARDED_ENV`, ``EDGEFORGE_*``) and PATH."""
    env = {k: v for k, v in os.environ.items()
           if k in FORWARDED_ENV or k.startswith("EDGEFORGE_")}
    return env, os.environ.get("PATH", "").split(os.pathsep)


def _distributed():
    """``dask.distributed``, or :class:`DaskMissingError` (one line) without the extra."""
    try:
        import distributed
    except ImportError as e:
        raise DaskMissingError(_DASK_MISSING) from e
    return distributed


def _check_scheduler(scheduler: str | None) -> str | None:
    m = _ADDRESS.fullmatch(scheduler) if isinstance(scheduler, str) else None
    if scheduler is not None and (m is None or not 1 <= int(m.group(3)) <= 65535):
        raise ValueError(f"Scheduler must be an address tcp://HOST:PORT (or tls://), not "
                         f"{scheduler!r}")
    return scheduler


class DaskExecutor(Executor):
    """Jobs on a ``dask.distributed`` cluster.

    Parameters
    ----------
    scheduler
        None: a ``LocalCluster`` of ``workers`` single-threaded processes is started for each
        :meth:`run` and closed after it. ``tcp://HOST:PORT`` (or ``tls://``): an existing
        cluster.
    workers
        Worker processes of the ``LocalCluster``, 1 to :data:`MAX_WORKERS`. With a
        ``scheduler`` it is only validated: the cluster's thread count (read again as jobs
        finish, so a cluster that grows gets more) bounds the jobs in flight.
    retries
        How often a job whose worker died under it (killed, machine lost) is submitted again,
        0 to :data:`MAX_RETRIES`. The ``LocalCluster`` is started with ``allowed-failures``
        0, so there a job starts at most ``retries + 1`` times; an existing scheduler first
        reschedules it by itself up to its own ``distributed.scheduler.allowed-failures``
        (Dask's default 3) before reporting ``KilledWorker``, so there a job starts at most
        ``(retries + 1) * (allowed_failures + 1)`` times. A job that raises is never retried.

    Notes
    -----
    Jobs are submitted longest first (with that Dask priority too), no more at a time than the
    cluster has threads: a worker that dies then holds only the job it runs (Dask counts a death
    against every task assigned to the worker, started or not). Jobs run in the client's working
    directory when it exists on the worker (a shared file system), else in the worker's own; the
    client's :data:`FORWARDED_ENV` and ``EDGEFORGE_*`` variables are set for each job and its
    ``PATH`` entries the worker lacks appended. A worker process runs one job at a time
    (directory and environment are per process: start workers with ``--nthreads 1``). Fail-fast
    cancels the jobs not finished; on an existing cluster a job already running completes on its
    worker and its result is dropped. Workers need edgeforge (and the modules of the jobs'
    functions) importable.
    """

    def __init__(self, scheduler: str | None = None, workers: int = 2, *, retries: int = 2):
        self.scheduler = _check_scheduler(scheduler)
        self.workers = _check_int("Workers", workers, 1, MAX_WORKERS)
        self.retries = _check_int("Retries", retries, 0, MAX_RETRIES)
        _distributed()

    def run(self, jobs: Sequence[Job],
            done: Callable[[int, object, float], None] | None = None, *,
            keep_going: bool = False) -> list:
        run = _Run(jobs, done, keep_going, len(jobs))
        if not jobs:
            return run.out
        with self._client() as client:
            if self.scheduler is None:
                run.limit = self.workers
            _DaskRun(client, run, self.retries, self.scheduler is not None).go()
        return run.out

    @contextlib.contextmanager
    def _client(self):
        dd = _distributed()
        if self.scheduler is not None:
            try:
                client = dd.Client(self.scheduler, timeout=f"{CONNECT_TIMEOUT}s")
            except OSError as e:
                raise OSError(f"Cannot reach the Dask scheduler at {self.scheduler}: {e}") \
                    from e
            with client:
                yield client
            return
        # no dashboard; its HTTP server (always started) on a free port, not 8787
        only = {"allowed_failures": 0, "dashboard_address": "127.0.0.1:0"}
        with dd.LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                             dashboard_address=None, scheduler_kwargs=only) as cluster, \
                dd.Client(cluster) as client:
            yield client


class _DaskRun:
    """One :meth:`DaskExecutor.run` on a connected client."""

    def __init__(self, client, run: _Run, retries: int, grows: bool):
        self.client, self.run, self.retries, self.grows = client, run, retries, grows
        self.cwd = os.getcwd()
        self.env, self.path = _client_env()
        self.attempts: dict[int, int] = {}
        self.index: dict[str, int] = {}  # future key -> job
        self.t0: dict[int, float] = {}

    def go(self) -> None:
        dd = _distributed()
        pending = dd.as_completed()
        try:
            self._submit(pending, self._ready())
            for fut in pending:
                i = self.index.pop(fut.key)
                self._settle(pending, i, fut, dd.KilledWorker)
                self._submit(pending, self._ready())
        except BaseException:
            self.client.cancel(list(pending.futures), force=True)
            raise

    def _ready(self) -> list[int]:
        if self.grows:  # an existing cluster: as many in flight as it has threads now
            self.run.limit = max(1, sum(self.client.nthreads().values()))
        return self.run.ready()

    def _submit(self, pending, indices: list[int]) -> None:
        for i in indices:
            job = self.run.jobs[i]
            self.attempts[i] = self.attempts.get(i, 0) + 1
            self.t0.setdefault(i, time.perf_counter())
            fut = self.client.submit(_run_remote, job.fn, job.args, job.kwargs, self.cwd,
                                     self.env, self.path, priority=self.run.rank[i],
                                     pure=False)
            self.index[fut.key] = i
            pending.add(fut)

    def _settle(self, pending, i: int, fut, killed: type) -> None:
        job, wall = self.run.jobs[i], time.perf_counter() - self.t0[i]
        try:
            out = fut.result()
        except killed as e:  # its workers died: again, up to the bound
            if self.attempts[i] <= self.retries:
                self._submit(pending, [i])
                return
            self.run.fail(i, JobFailure(job.name, type(e).__name__, str(e)), wall, e)
            return
        except Exception as e:  # lost, cancelled, or a result that does not unpickle
            self.run.fail(i, _failure(job, e), wall, e)
            return
        finally:
            fut.release()
        if out.error is not None:
            self.run.fail(i, JobFailure(job.name, *out.error), out.seconds)
        else:
            self.run.finish(i, out.value, out.seconds)


def make_executor(kind: str, *, workers: int, scheduler: str | None = None) -> Executor:
    """The executor ``kind`` (``"local"`` or ``"dask"``); ``scheduler`` only with Dask."""
    if kind not in EXECUTORS:
        raise ValueError(f"Executor must be one of {', '.join(EXECUTORS)}, not {kind!r}")
    if kind == "local":
        if scheduler is not None:
            raise ValueError(f"Scheduler {scheduler!r} needs the dask executor, not 'local'")
        return LocalExecutor(workers)
    return DaskExecutor(scheduler, workers)
