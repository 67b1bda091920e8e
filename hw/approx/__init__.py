"""Approximate-multiplier generators (Amaranth 0.5 components).

* :class:`ExactMultiplier` -- exact reference, HDL ``*`` or explicit radix-4 Booth;
* :class:`DRUM` -- Dynamic Range Unbiased Multiplier (Hashemi et al., ICCAD 2015);
* :class:`ROUP` -- multiplicand rounding plus Booth-row perforation (Leon et al., DAC 2019).

Every generator is a :class:`amaranth.lib.wiring.Component` with ports ``a``, ``b`` (inputs)
and ``p`` (product), validates its parameters on construction and offers 0 to 2 output
register stages.
"""

from .drum import DRUM
from .exact import ExactMultiplier
from .roup import ROUP

__all__ = ["ExactMultiplier", "DRUM", "ROUP"]
