"""Files users hand to edgeforge and directories it writes to: checked once, bounded, atomic.

Every reader of a user-supplied file goes through :func:`input_file` (it exists, is a regular
file, not a directory, device, pipe or socket, and is not larger than the caller's limit) and
reads it with :func:`read_bytes` or :func:`read_text`, which never read more than that limit,
also for gzip-compressed content (:func:`gunzip`). Every command that writes checks its output
directory with :func:`check_output_dir` before any work and creates it with
:func:`make_output_dir` only after every input has been validated. Results and cache entries are
written with :func:`atomic_write` (a temporary file in the same directory, then a rename), so an
interrupted or failed run never leaves a half-written file under its final name.

Every problem is a :class:`InputFileError` (a ``ValueError``) whose message is one line naming
the file and what is wrong with it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import tempfile
import zlib
from pathlib import Path

from verif.atomic import atomic_write, stamp_current

__all__ = ["InputFileError", "MiB", "GiB", "input_file", "read_bytes", "read_text", "gunzip",
           "check_output_dir", "make_output_dir", "atomic_write", "describe_head",
           "read_cache_json", "stamp_current", "publish_dir", "undo_on_failure"]

MiB = 1 << 20
GiB = 1 << 30
_NAME_MAX = 255
_PATH_MAX = 4096


class InputFileError(ValueError):
    """A user-supplied file or directory that cannot be used (one-line message)."""


def _size_text(n: int) -> str:
    if n >= GiB and n % GiB == 0:
        return f"{n // GiB} GiB"
    if n >= 10 * GiB:
        return f"{n / GiB:.0f} GiB"
    return f"{n / MiB:.0f} MiB" if n >= MiB else f"{n} bytes"


def input_file(path: str | os.PathLike, what: str, *, max_bytes: int | None = None) -> Path:
    """Check that ``path`` names a readable regular file no larger than ``max_bytes``.

    Parameters
    ----------
    path
        The file as the user gave it.
    what
        How the message names it, e.g. ``"liberty file"`` or ``"--vcd file"``.
    max_bytes
        Largest size accepted (None: any).

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    InputFileError
        Empty path, no such file, a directory, a device, pipe or socket (also behind a link),
        or a file over ``max_bytes``.
    """
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
    if max_bytes is not None and st.st_size > max_bytes:
        raise InputFileError(f"{what} {p} is {_size_text(st.st_size)}; the limit is "
                             f"{_size_text(max_bytes)}")
    return p


def read_bytes(path: str | os.PathLike, what: str, *, max_bytes: int) -> bytes:
    """Contents of a regular file of at most ``max_bytes`` bytes (see :func:`input_file`).

    The read itself stops after ``max_bytes + 1`` bytes, so a file that grows after the check
    is refused too.

    Raises
    ------
    InputFileError
        As :func:`input_file`, or the file cannot be read.
    """
    p = input_file(path, what, max_bytes=max_bytes)
    try:
        with open(p, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise InputFileError(f"{what} {p}: cannot read: {e.strerror or e}") from None
    if len(data) > max_bytes:
        raise InputFileError(f"{what} {p} is over the limit of {_size_text(max_bytes)}")
    return data


def gunzip(data: bytes, what: str, path: str | os.PathLike, *, max_bytes: int) -> bytes:
    """Decompress gzip ``data`` (all members), refusing output over ``max_bytes``.

    Raises
    ------
    InputFileError
        Corrupt or truncated gzip data, or content that expands beyond ``max_bytes``.
    """
    out: list[bytes] = []
    total = 0
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            chunk_in = rest
            while chunk_in:
                piece = d.decompress(chunk_in, max_bytes + 1 - total)
                total += len(piece)
                out.append(piece)
                if total > max_bytes:
                    raise InputFileError(
                        f"{what} {path} expands to more than {_size_text(max_bytes)} when "
                        "decompressed; the limit is that size")
                chunk_in = d.unconsumed_tail
            if not d.eof:
                raise InputFileError(f"{what} {path}: truncated gzip data")
            rest = d.unused_data
            if rest[:2] != b"\x1f\x8b":  # trailing padding after the last member
                break
    except zlib.error as e:
        raise InputFileError(f"{what} {path}: corrupt gzip data ({e})") from None
    return b"".join(out)


def read_text(path: str | os.PathLike, what: str, *, max_bytes: int,
              gzip_ok: bool = False) -> str:
    """UTF-8 text of a regular file, bounded like :func:`read_bytes`.

    Parameters
    ----------
    gzip_ok
        Accept gzip-compressed content (recognised by its magic bytes); the decompressed text is
        bounded by ``max_bytes`` too.

    Raises
    ------
    InputFileError
        As :func:`read_bytes`; binary content (a NUL or other control byte), or not UTF-8.
    """
    data = read_bytes(path, what, max_bytes=max_bytes)
    if gzip_ok and data[:2] == b"\x1f\x8b":
        data = gunzip(data, what, path, max_bytes=max_bytes)
    bad = next((i for i, c in enumerate(data[:65536]) if c < 9 or 13 < c < 32), None)
    if bad is not None:
        raise InputFileError(f"{what} {path} holds binary data (byte 0x{data[bad]:02x} at "
                             f"offset {bad}), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputFileError(f"{what} {path} is not UTF-8 text (byte 0x{data[e.start]:02x} at "
                             f"offset {e.start})") from None


def check_output_dir(path: str | os.PathLike, what: str = "output directory") -> Path:
    """Check, without writing anything, that ``path`` can be (or is) a writable directory.

    Raises
    ------
    InputFileError
        Empty path, a component longer than the file-system limit, an existing file, a path
        below a file, or a nearest existing ancestor that is not a writable directory.
    """
    text = os.fspath(path)
    if not text:
        raise InputFileError(f"{what}: the path is empty")
    if len(os.fsencode(text)) >= _PATH_MAX:
        raise InputFileError(f"{what}: the path is longer than {_PATH_MAX - 1} bytes")
    if any(c in text for c in "\n\r\0"):
        raise InputFileError(f"{what} {text!r}: the path holds a line break or NUL")
    p = Path(text)
    for part in p.parts:
        if len(os.fsencode(part)) > _NAME_MAX:
            raise InputFileError(f"{what} {p}: the name {part[:20]}... is {len(part)} "
                                 f"characters; the limit is {_NAME_MAX}")
    probe = Path(os.path.abspath(text))  # normalised: 'a/../x' is x, no directory a is made
    while True:
        try:
            st = probe.stat()
            break
        except FileNotFoundError:
            if probe.parent == probe:
                raise InputFileError(f"{what} {p}: no existing parent directory") from None
            probe = probe.parent
        except NotADirectoryError:
            raise InputFileError(f"{what} {p} lies below a file, not a directory") from None
        except OSError as e:
            raise InputFileError(f"{what} {p}: cannot access: {e.strerror or e}") from None
    if not stat.S_ISDIR(st.st_mode):
        if probe == Path(os.path.abspath(text)):
            raise InputFileError(f"{what} {p} is an existing file, not a directory")
        raise InputFileError(f"{what} {p} lies below {probe}, which is a file")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputFileError(f"{what} {p}: {probe} is not writable")
    return p


def make_output_dir(path: str | os.PathLike, what: str = "output directory") -> Path:
    """Create the output directory (after :func:`check_output_dir` and every input check).

    Raises
    ------
    InputFileError
        The directory cannot be created (a read-only or virtual file system such as ``/proc``).
    """
    p = check_output_dir(path, what)
    full = Path(os.path.abspath(p))
    created = [q for q in (full, *full.parents) if not q.exists()]
    try:
        full.mkdir(parents=True, exist_ok=True)
        # os.access says yes to root everywhere: a file created and removed tells the truth
        fd, probe = tempfile.mkstemp(dir=full, prefix=".edgeforge-probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        for q in created:  # deepest first
            try:
                q.rmdir()
            except OSError:
                break
        reason = e.strerror or str(e)
        if e.errno in (errno.ENOENT, errno.EPERM, errno.EACCES, errno.EROFS):
            reason += " (a read-only or virtual file system?)"
        verb = "cannot be created" if created else "is not writable"
        raise InputFileError(f"{what} {p} {verb}: {reason}") from None
    return p


def read_cache_json(path: str | os.PathLike | None) -> dict | None:
    """A cached JSON object, or None when there is none or it is damaged.

    A cache entry that does not parse as a JSON object (truncated by a crash or a full disk,
    edited by hand) is removed, so that the caller recomputes it instead of trusting it or
    failing on it.
    """
    if path is None:
        return None
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        data = None
    if isinstance(data, dict):
        return data
    with contextlib.suppress(OSError):
        p.unlink()
    return None


def publish_dir(scratch: Path, final: Path) -> None:
    """Put a completed scratch directory in place of ``final`` (a cache entry), by a rename.

    Another process that put the same result in place first wins; the caller removes
    ``scratch`` in any case.
    """
    shutil.rmtree(final, ignore_errors=True)
    try:
        scratch.rename(final)
    except OSError:  # another process put the same result in place first
        pass


@contextlib.contextmanager
def undo_on_failure(path: str | os.PathLike):
    """On an exception in the block, remove what it added to directory ``path``.

    Entries of ``path`` that existed before are kept; new ones are removed, and so are
    ``path`` and its parents if the block created them. For steps whose cache entries are only
    worth keeping when the whole command succeeds (a rejected input leaves no trace).
    """
    p = Path(path)
    created = [q for q in (p, *p.parents) if not q.exists()]
    before = set(os.listdir(p)) if p.is_dir() else set()
    try:
        yield p
    except BaseException:
        if p.is_dir():
            for name in set(os.listdir(p)) - before:
                target = p / name
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        target.unlink()
        for q in created:  # deepest first
            try:
                q.rmdir()
            except OSError:
                break
        raise


def describe_head(head: bytes) -> str:
    """What a file that is not the expected format looks like, without echoing its bytes."""
    if not head:
        return "it is empty"
    if head.startswith(b"\x93NUMPY"):
        return "it is a .npy array file"
    if head.startswith(b"PK\x03\x04"):
        return "it is a zip archive (.npz)"
    if head.startswith(b"\x1f\x8b"):
        return "it is gzip-compressed data"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "it holds binary data of another kind"
    if all(c.isprintable() or c in "\r\n\t" for c in text):
        return "it holds text"
    return "it holds binary data of another kind"
