"""Bounded reads of the text files the models take (programs, fabric descriptions) and atomic
writes of the images they produce (numpy-free, standard library only).

The checks and messages are those of ``gen.eda.files`` (one line naming the file and what is
wrong with it), so a command-line error reads the same whichever layer raised it; every problem
is an :class:`InputFileError`, a ``ValueError``.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

__all__ = ["InputFileError", "read_text", "atomic_write"]

_MiB = 1 << 20
_GiB = 1 << 30


class InputFileError(ValueError):
    """A file that cannot be used as input (one-line message naming it)."""


def _size_text(n: int) -> str:
    if n >= _GiB and n % _GiB == 0:
        return f"{n // _GiB} GiB"
    if n >= 10 * _GiB:
        return f"{n / _GiB:.0f} GiB"
    return f"{n / _MiB:.0f} MiB" if n >= _MiB else f"{n} bytes"


def _input_file(path: str | os.PathLike, what: str, max_bytes: int) -> Path:
    text = os.fspath(path)
    if not text:
        raise InputFileError(f"{what}: the path is empty")
    p = Path(text)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputFileError(f"{what} {p} does not exist") from None
    except OSError as e:
        raise InputFileError(f"{what} {p}: cannot access: {e.strerror or e}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputFileError(f"{what} {p} is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise InputFileError(f"{what} {p} is not a regular file (a device, pipe or socket); "
                             "give a file")
    if st.st_size > max_bytes:
        raise InputFileError(f"{what} {p} is {_size_text(st.st_size)}; the limit is "
                             f"{_size_text(max_bytes)}")
    return p


def read_text(path: str | os.PathLike, what: str, *, max_bytes: int) -> str:
    """UTF-8 text of a regular file of at most ``max_bytes`` bytes.

    The read stops after ``max_bytes + 1`` bytes, so a file that grows after the check is
    refused too.

    Parameters
    ----------
    path
        The file as the user gave it.
    what
        How the message names it, e.g. ``"program"`` or ``"fabric file"``.
    max_bytes
        Largest size accepted.

    Raises
    ------
    InputFileError
        Empty path, no such file, a directory, device, pipe or socket, a file over
        ``max_bytes``, a failed read, binary content (a NUL or other control byte), or not
        UTF-8.
    """
    p = _input_file(path, what, max_bytes)
    try:
        with open(p, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise InputFileError(f"{what} {p}: cannot read: {e.strerror or e}") from None
    if len(data) > max_bytes:
        raise InputFileError(f"{what} {p} is over the limit of {_size_text(max_bytes)}")
    bad = next((i for i, c in enumerate(data[:65536]) if c < 9 or 13 < c < 32), None)
    if bad is not None:
        raise InputFileError(f"{what} {path} holds binary data (byte 0x{data[bad]:02x} at "
                             f"offset {bad}), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputFileError(f"{what} {path} is not UTF-8 text (byte 0x{data[e.start]:02x} at "
                             f"offset {e.start})") from None


def atomic_write(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename:
    readers see the old file or the whole new one, never a part."""
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
