"""Temporary: the multipliers' RTL verification moved to :mod:`gen.approx.verify`."""

from gen.approx.verify import *  # noqa: F403
