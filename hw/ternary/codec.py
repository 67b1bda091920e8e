"""Storage compression of trits: 5 trits in one byte (3**5 = 243 <= 256, 1.6 bit per trit).

The mapping is plain base 3 with digits ``t + 1``: a group ``t_0 .. t_4`` (``t_0`` first) is the
byte ``sum((t_i + 1) * 3**i)``, so bytes 0 to 242 are valid and 243 to 255 illegal. (The
upstream CUTIE RTL uses a logic-optimised table instead; any bijection serves as long as encoder,
decoder and golden model agree.)
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ._common import check_int
from .trit import ILLEGAL_CODE, TRIT, illegal_bits, nonzero_bits, sign_bits, trit_code

__all__ = ["GROUP", "VALID_BYTES", "ZERO_BYTE", "TritPacker", "TritUnpacker", "WordPacker",
           "WordUnpacker", "packed_layout"]

#: Trits per byte.
GROUP = 5

#: Number of valid bytes, ``3**GROUP``; bytes from this value up are illegal.
VALID_BYTES = 3 ** GROUP


class TritPacker(wiring.Component):
    """Encoder of 5 trits into one byte, ``byte = sum((t_i + 1) * 3**i)``.

    Each trit becomes its base-3 digit ``t + 1`` (two gates from the code bits: the digit's
    bit 1 is ``nonzero & ~sign``, its bit 0 is ``~nonzero``) and the digits are weighted by the
    constants ``1, 3, 9, 27, 81`` and summed. ``illegal`` is set when any input code is the
    illegal ``0b10``; such a trit is encoded as 0 (digit 1), so ``byte`` is still a valid byte.
    Purely combinational, no clock.

    Members
    -------
    trits : :py:`In(ArrayLayout(TRIT, 5))`
        The group, ``t_0`` in the lowest bits.
    byte : :py:`Out(8)`
        Encoded group, 0 to 242.
    illegal : :py:`Out(1)`
        At least one input code is illegal.
    """

    def __init__(self):
        super().__init__({
            "trits": In(data.ArrayLayout(TRIT, GROUP)),
            "byte": Out(8),
            "illegal": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        nonzero = nonzero_bits(self.trits)
        sign = sign_bits(self.trits)
        total = Const(0, 8)
        for i in range(GROUP):
            digit = Signal(2, name=f"digit{i}")
            m.d.comb += digit.eq(Cat(~nonzero[i], nonzero[i] & ~sign[i]))
            total = total + digit * 3 ** i
        m.d.comb += [
            self.byte.eq(total),
            self.illegal.eq(illegal_bits(self.trits).any()),
        ]
        return m


class TritUnpacker(wiring.Component):
    """Decoder of one byte into 5 trits, the inverse of :class:`TritPacker`.

    A 256-entry case table: byte ``b < 243`` gives the trits ``t_i = (b // 3**i) % 3 - 1``;
    bytes 243 to 255 give five zero trits and set ``illegal``. Purely combinational, no clock.

    Members
    -------
    byte : :py:`In(8)`
        Encoded group.
    trits : :py:`Out(ArrayLayout(TRIT, 5))`
        Decoded group, ``t_0`` in the lowest bits.
    illegal : :py:`Out(1)`
        ``byte`` is 243 or more.
    """

    def __init__(self):
        super().__init__({
            "byte": In(8),
            "trits": Out(data.ArrayLayout(TRIT, GROUP)),
            "illegal": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        with m.Switch(self.byte):
            for byte in range(VALID_BYTES):
                codes = 0
                for i in range(GROUP):
                    codes |= trit_code((byte // 3 ** i) % 3 - 1) << (2 * i)
                with m.Case(byte):
                    m.d.comb += self.trits.eq(codes)
        m.d.comb += self.illegal.eq(self.byte >= VALID_BYTES)
        return m


def packed_layout(count):
    """Layout of ``count`` trits packed 5 to a byte: ``ceil(count / 5)`` bytes, trit ``i`` in
    byte ``i // 5`` at digit ``i % 5``; the digits past ``count`` in the last byte are 0 trits
    (digit 1) when written by :class:`WordPacker`."""
    return data.ArrayLayout(unsigned(8), -(-count // GROUP))


#: The byte of five 0 trits, ``1 + 3 + 9 + 27 + 81``.
ZERO_BYTE = sum(3 ** i for i in range(GROUP))


class WordPacker(wiring.Component):
    """Encoder of a word of ``count`` trits into :func:`packed_layout` bytes, one
    :class:`TritPacker` per byte (``pack0`` ...). Purely combinational.

    Parameters
    ----------
    count : :class:`int`
        Trits per word, 1 to 1024.

    Members
    -------
    trits : :py:`In(ArrayLayout(TRIT, count))`
        The word.
    data : :py:`Out(packed_layout(count))`
        Encoded bytes; an illegal code is encoded as 0.
    illegal : :py:`Out(1)`
        At least one code of the word is illegal.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If ``count`` is not an integer between 1 and 1024.
    """

    def __init__(self, count):
        check_int("Count", count, 1, 1024)
        self._count = count
        super().__init__({
            "trits": In(data.ArrayLayout(TRIT, count)),
            "data": Out(packed_layout(count)),
            "illegal": Out(1),
        })

    @property
    def count(self):
        """Trits per word."""
        return self._count

    def elaborate(self, platform):
        m = Module()
        flags = []
        for b in range(len(self.data)):
            m.submodules[f"pack{b}"] = packer = TritPacker()
            for i in range(GROUP):
                t = b * GROUP + i
                if t < self._count:
                    m.d.comb += packer.trits[i].eq(self.trits[t])
            m.d.comb += self.data[b].eq(packer.byte)
            flags.append(packer.illegal)
        m.d.comb += self.illegal.eq(Cat(*flags).any())
        return m


class WordUnpacker(wiring.Component):
    """Decoder of :func:`packed_layout` bytes into a word of ``count`` trits, one
    :class:`TritUnpacker` per byte (``unpack0`` ...). An illegal byte (243 to 255) decodes to
    the illegal code ``0b10`` in each of its trits, so that a unit downstream flags it (and
    counts it as 0). Purely combinational.

    Parameters
    ----------
    count : :class:`int`
        Trits per word, 1 to 1024.

    Members
    -------
    data : :py:`In(packed_layout(count))`
        Encoded bytes.
    trits : :py:`Out(ArrayLayout(TRIT, count))`
        The word (the digits past ``count`` in the last byte are dropped).

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If ``count`` is not an integer between 1 and 1024.
    """

    def __init__(self, count):
        check_int("Count", count, 1, 1024)
        self._count = count
        super().__init__({
            "data": In(packed_layout(count)),
            "trits": Out(data.ArrayLayout(TRIT, count)),
        })

    @property
    def count(self):
        """Trits per word."""
        return self._count

    def elaborate(self, platform):
        m = Module()
        for b in range(len(self.data)):
            m.submodules[f"unpack{b}"] = unpacker = TritUnpacker()
            m.d.comb += unpacker.byte.eq(self.data[b])
            for i in range(GROUP):
                t = b * GROUP + i
                if t < self._count:
                    m.d.comb += self.trits[t].eq(
                        Mux(unpacker.illegal, ILLEGAL_CODE, unpacker.trits[i]))
        return m
