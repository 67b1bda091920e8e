"""NumPy files users hand to edgeforge (``.npy`` tables, ``.npz`` workloads), read safely.

:func:`load_npy` and :func:`load_npz` check the file like every other input
(:func:`gen.eda.files.input_file`: a regular file within a size limit), recognise the format by its
first bytes rather than its name, never load pickled Python objects, bound the decompressed size
of an archive before reading it, and turn every failure into one
:class:`~gen.eda.files.InputFileError` line naming the file and what is wrong with it.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from .files import InputFileError, MiB, describe_head, input_file

__all__ = ["MAX_ARRAY_BYTES", "load_npy", "load_npz"]

#: Largest array file (and decompressed archive) read: a 12-bit LUT of int64 is 128 MiB.
MAX_ARRAY_BYTES = 256 * MiB

_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"


def _head(path: os.PathLike, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(16)
    except OSError as e:
        raise InputFileError(f"{what} {path}: cannot read: {e.strerror or e}") from None


def _why(e: Exception) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    if "allow_pickle" in text or "pickle" in text.lower():
        return "it holds Python objects (a pickle), which are never loaded; save numeric arrays"
    if "Failed to read all data" in text or isinstance(e, EOFError):
        return "it is truncated (it holds less data than its header states)"
    return f"it is damaged or not a NumPy file ({text[:120]})"


def load_npy(path: str | os.PathLike, what: str, *,
             max_bytes: int = MAX_ARRAY_BYTES) -> np.ndarray:
    """Read one array from a ``.npy`` file.

    Parameters
    ----------
    path
        The file.
    what
        How messages name it, e.g. ``"LUT file"``.
    max_bytes
        Largest file accepted.

    Raises
    ------
    InputFileError
        Not a regular file, over ``max_bytes``, empty, not in the ``.npy`` format (an ``.npz``,
        text, other binary data), truncated or damaged, or holding pickled objects.
    """
    p = input_file(path, what, max_bytes=max_bytes)
    head = _head(p, what)
    if not head.startswith(_NPY_MAGIC):
        raise InputFileError(f"{what} {p} is not a .npy array file: {describe_head(head)}")
    try:
        return np.load(p, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise InputFileError(f"{what} {p}: {_why(e)}") from None


def load_npz(path: str | os.PathLike, what: str, names: tuple[str, ...], *,
             max_bytes: int = MAX_ARRAY_BYTES) -> dict[str, np.ndarray]:
    """Read the arrays ``names`` from an ``.npz`` archive.

    The archive's listed (decompressed) sizes are checked against ``max_bytes`` before any
    member is read.

    Raises
    ------
    InputFileError
        As :func:`load_npy`, for a file that is not a zip archive, an archive that lacks one of
        ``names`` (the message lists what it holds) or expands beyond ``max_bytes``.
    """
    p = input_file(path, what, max_bytes=max_bytes)
    head = _head(p, what)
    if not head.startswith(_ZIP_MAGIC):
        raise InputFileError(f"{what} {p} is not a .npz archive: {describe_head(head)}")
    try:
        with zipfile.ZipFile(p) as z:
            size = sum(i.file_size for i in z.infolist())
    except (OSError, zipfile.BadZipFile, ValueError, EOFError) as e:
        raise InputFileError(f"{what} {p}: a damaged zip archive ({str(e)[:120]})") from None
    if size > max_bytes:
        raise InputFileError(f"{what} {p} expands to {size // MiB} MiB; the limit is "
                             f"{max_bytes // MiB} MiB")
    try:
        with np.load(p, allow_pickle=False) as data:
            missing = [n for n in names if n not in data.files]
            if missing:
                held = ", ".join(data.files) or "no arrays"
                raise InputFileError(f"{what} {p} lacks array {missing[0]!r} (it holds {held})")
            return {n: np.asarray(data[n]) for n in names}
    except InputFileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise InputFileError(f"{what} {p}: {_why(e)}") from None
