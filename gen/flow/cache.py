"""The flow's one result cache: JSON records addressed by the content they depend on.

A key is the SHA-256 of every part a result depends on (the parameters, the netlist or RTL,
the workload, the liberty file's digest, the testbench, the tool versions), each part taken as
bytes and separated from the next. Entries are written atomically (a reader sees a whole entry
or none); a damaged entry is removed and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from gen.eda import files

__all__ = ["Cache", "content_key", "file_digest", "cache_root", "ENV_VAR", "DEFAULT_ROOT"]

#: Environment variable naming the cache directory (e.g. one on a filesystem that several
#: machines share); default :data:`DEFAULT_ROOT`.
ENV_VAR = "EDGEFORGE_CACHE"
DEFAULT_ROOT = Path("build") / "cache"


def cache_root() -> Path:
    """The flow's cache directory: ``$EDGEFORGE_CACHE``, else ``build/cache`` (relative to the
    working directory)."""
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value) if value else DEFAULT_ROOT


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's content (hex), read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def content_key(parts: Iterable[object]) -> str:
    """The key of ``parts``: bytes as they are, anything else as ``str``; 24 hex digits."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


class Cache:
    """Results of flow steps in ``directory`` (None: nothing is cached).

    Parameters
    ----------
    directory
        Where entries live, one ``<key>.json`` each; created on the first store.
    """

    def __init__(self, directory: str | os.PathLike | None):
        self._dir = None if directory is None else Path(directory)

    @property
    def directory(self) -> Path | None:
        return self._dir

    def path(self, key: str) -> Path | None:
        """The file of ``key`` (None when caching is off)."""
        return None if self._dir is None else self._dir / f"{key}.json"

    #: Lookups of this process that found an entry and that did not (the report's time
    #: table tells a step that came from the cache by them).
    hits = 0
    misses = 0

    def load(self, key: str) -> dict | None:
        """The entry of ``key``, or None: absent, caching off, or damaged (then removed)."""
        entry = files.read_cache_json(self.path(key))
        if self._dir is not None:
            if entry is None:
                Cache.misses += 1
            else:
                Cache.hits += 1
        return entry

    def store(self, key: str, data: dict) -> None:
        """Write ``data`` as the entry of ``key`` (atomically; nothing when caching is off)."""
        path = self.path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        files.atomic_write(path, json.dumps(data, indent=1) + "\n")

    def drop(self, key: str) -> None:
        """Remove the entry of ``key`` (one of another format, to be recomputed)."""
        path = self.path(key)
        if path is not None:
            path.unlink(missing_ok=True)
