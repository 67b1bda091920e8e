"""Temporary: the multiplier energy flow moved to :mod:`gen.approx.multiplier`."""

from gen.approx.multiplier import *  # noqa: F403
from gen.approx.multiplier import _digest, _fj, resolve_library  # noqa: F401
