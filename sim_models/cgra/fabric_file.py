"""Load a CGRA fabric description: a built-in name or a TOML file (docs/cgra.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import _files as files
from .fabric import BUILTINS, Fabric

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["load", "MAX_FABRIC_BYTES"]

#: Largest fabric file read (the default fabric's description is about 3 KiB).
MAX_FABRIC_BYTES = 1 << 20


def load(spec: str | Path) -> Fabric:
    """Return the fabric named by ``spec``.

    Parameters
    ----------
    spec : str or Path
        A built-in fabric name (``"default"``, ``"small"``) or the path of a ``.toml`` file
        holding a fabric description.

    Returns
    -------
    Fabric
        The validated, normalised fabric.

    Raises
    ------
    TypeError
        If ``spec`` is not a string or path.
    ValueError
        If ``spec`` is neither a built-in name nor a readable regular ``.toml`` file of at most
        :data:`MAX_FABRIC_BYTES` (UTF-8 text), if the file is not valid TOML (the message names
        the file and the TOML error), or if the description is invalid (the message names the
        file and the offending key). Always one line.
    """
    if not isinstance(spec, (str, Path)):
        raise TypeError(f"Fabric must be a name or a .toml path, not {type(spec).__name__}")
    text = str(spec)
    if isinstance(spec, str) and text in BUILTINS:
        return Fabric.builtin(text)
    path = Path(spec)
    if path.suffix != ".toml":
        raise ValueError(f"Fabric must be one of {', '.join(BUILTINS)} or a .toml file, "
                         f"not {text!r}")
    text = files.read_text(path, "fabric file", max_bytes=MAX_FABRIC_BYTES)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: invalid TOML: {' '.join(str(e).split())}") from None
    try:
        return Fabric.from_dict(data)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{path}: {e}") from None
