"""Atomic writes and build stamps, shared by the simulation builds and the flow's caches.

:func:`atomic_write` writes through a temporary file in the same directory and a rename, so an
interrupted or failed run never leaves a half-written file under its final name;
:func:`stamp_current` tells whether a build stamp is current and removes a stale one before the
rebuild. :mod:`gen.eda.files` re-exports both.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["atomic_write", "stamp_current"]


def atomic_write(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename.

    Readers (and later runs) see either the old file or the whole new one, never a part; a
    failure removes the temporary file and re-raises.
    """
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp{os.getpid()}")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(tmp, "wb") as f:
            f.write(payload)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return p


def stamp_current(path: str | os.PathLike, digest: str) -> bool:
    """Whether build stamp ``path`` holds ``digest`` (the build it stamps is complete and current).

    When it does not, the stamp is removed before the caller rebuilds, so a build that fails or
    is interrupted leaves no stamp a later run could trust; the caller writes the new stamp with
    :func:`atomic_write` only after the build has completed.
    """
    p = Path(path)
    try:
        if p.read_bytes() == digest.encode("utf-8"):
            return True
    except FileNotFoundError:
        return False
    except OSError:
        pass
    with contextlib.suppress(OSError):
        p.unlink()
    return False
