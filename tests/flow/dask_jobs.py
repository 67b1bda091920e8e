"""Picklable job functions for the executor tests (imported by name on Dask workers)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def sleep_square(x: int, seconds: float = 0.05) -> int:
    time.sleep(seconds)
    return x * x


def fail(x: int) -> int:
    raise ValueError(f"bad point {x}")


def where() -> tuple[str, str | None, str | None]:
    """The directory and the forwarded variables a job sees."""
    return os.getcwd(), os.environ.get("EDGEFORGE_CACHE"), os.environ.get("SIM")


def span(x: int, seconds: float) -> tuple[int, float, float]:
    """``x`` with the wall-clock start and end of the job (for overlap checks)."""
    t0 = time.time()
    time.sleep(seconds)
    return x, t0, time.time()


def hold_once(marker: str, x: int, seconds: float) -> tuple[int, int]:
    """``(x * x, pid)``; the first attempt writes its pid to ``marker`` and sleeps ``seconds``
    (long enough for a test to kill its process), a later attempt returns at once."""
    path = Path(marker)
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(str(os.getpid()))
        tmp.replace(path)
        time.sleep(seconds)
    return x * x, os.getpid()
