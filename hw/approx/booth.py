"""Radix-4 (modified) Booth partial-product machinery.

Shared by the exact Booth multiplier (:class:`hw.approx.ExactMultiplier` with ``arch="booth"``)
and by :class:`hw.approx.ROUP`. The multiplier operand ``B`` (``b_width`` bits, signed) is
recoded into ``D = ceil(b_width / 2)`` radix-4 digits

    y_j = -2 b(2j+1) + b(2j) + b(2j-1),  b(-1) = 0,  B = sum_j y_j 4^j,

each digit selecting one partial-product row ``y_j * A``. Rows of the ``first_digit`` least
significant digits can be left out entirely: the remaining digits then sum to ``B`` rounded
half-up to a multiple of ``4**first_digit``. The multiplicand ``A`` may be any narrower value
(for instance a rounded one) whose weight is ``2**a_shift``.

The submodules are separate components so that a synthesis flow keeping the hierarchy reports
their area separately:

* :class:`BoothEncoder` (``enc``) -- one ``neg``/``one``/``two`` triple per generated digit;
* :class:`BoothRows` (``rows``) -- the partial-product rows, sign bits inverted;
* :class:`CompressorTree` (``tree``) -- carry-save reduction of the rows, the negation bits and
  the sign-extension constant to two rows, followed by one carry-propagate adder.
"""

from amaranth.hdl import Cat, Const, Module, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = [
    "booth_digit_count",
    "BoothEncoder",
    "BoothRows",
    "CompressorTree",
    "BoothMultiplier",
]


def booth_digit_count(width):
    """Number of radix-4 Booth digits of a ``width``-bit signed operand, ``ceil(width / 2)``."""
    return (width + 1) // 2


def _check_positive(name, value, lo=1):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if value < lo:
        raise ValueError(f"{name} must be at least {lo}, not {value!r}")


class BoothEncoder(wiring.Component):
    """Radix-4 Booth recoder.

    Recodes the signed operand ``b`` into the digits ``y_j`` for ``first_digit <= j < D``,
    ``D = ceil(b_width / 2)``, as three one-bit controls per digit: ``y_j = (-1)**neg * (one +
    2 * two)`` with ``one`` and ``two`` never both set. Digit ``first_digit`` still reads
    ``b(2 * first_digit - 1)``; the generated digits therefore sum to ``B`` rounded half-up to a
    multiple of ``4**first_digit``. Purely combinational.

    Parameters
    ----------
    b_width : :class:`int`
        Width of ``b``, at least 2.
    first_digit : :class:`int`
        Index of the lowest generated digit, ``0 <= first_digit < D``.

    Members
    -------
    b : :py:`In(signed(b_width))`
        Operand to recode.
    neg : :py:`Out(n)`
        Bit ``i`` is the sign of digit ``first_digit + i``; ``n = D - first_digit``.
    one : :py:`Out(n)`
        Bit ``i`` is set when ``|y|`` is 1.
    two : :py:`Out(n)`
        Bit ``i`` is set when ``|y|`` is 2.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If a parameter has the wrong type or is out of range.
    """

    def __init__(self, b_width, first_digit=0):
        _check_positive("B width", b_width, 2)
        digits = booth_digit_count(b_width)
        _check_positive("First digit", first_digit, 0)
        if first_digit >= digits:
            raise ValueError(f"First digit must be less than {digits}, not {first_digit!r}")
        self._b_width = b_width
        self._first_digit = first_digit
        self._digits = digits
        n = digits - first_digit
        super().__init__({
            "b": In(signed(b_width)),
            "neg": Out(n),
            "one": Out(n),
            "two": Out(n),
        })

    @property
    def b_width(self):
        return self._b_width

    @property
    def first_digit(self):
        return self._first_digit

    @property
    def digits(self):
        return self._digits

    def elaborate(self, platform):
        m = Module()
        # b sign-extended to 2 * D bits, with b(-1) = 0 below bit 0.
        b_ext = Signal(signed(2 * self._digits), name="b_ext")
        m.d.comb += b_ext.eq(self.b)
        bits = [Const(0, 1)] + [b_ext[i] for i in range(2 * self._digits)]  # bits[i] = b(i - 1)
        hi = Cat(bits[2 * j + 2] for j in range(self._first_digit, self._digits))
        mid = Cat(bits[2 * j + 1] for j in range(self._first_digit, self._digits))
        lo = Cat(bits[2 * j] for j in range(self._first_digit, self._digits))
        m.d.comb += [
            self.neg.eq(hi),
            self.one.eq(mid ^ lo),
            self.two.eq((hi ^ mid) & ~(mid ^ lo)),
        ]
        return m


class BoothRows(wiring.Component):
    """Radix-4 Booth partial-product rows.

    Row ``i`` is ``y * A`` for the digit described by ``neg[i]``, ``one[i]`` and ``two[i]``,
    formed as the ``row_width = a_width + 1`` bits of ``(|y| * A) XOR neg`` (one's complement
    when negative) with the most significant (sign) bit inverted. Its true two's-complement
    value is therefore ``row_i - 2**(row_width - 1) + neg[i]``: the negation "+1" bits and the
    constant ``-2**(row_width - 1)`` per row (the sign-extension correction) are added by the
    :class:`CompressorTree`, so no sign bit is ever replicated. Purely combinational.

    Parameters
    ----------
    a_width : :class:`int`
        Width of the signed multiplicand ``a``, at least 2.
    rows : :class:`int`
        Number of rows, at least 1.

    Members
    -------
    a : :py:`In(signed(a_width))`
        Multiplicand.
    neg, one, two : :py:`In(rows)`
        Digit controls, as produced by :class:`BoothEncoder`.
    row_<i> : :py:`Out(a_width + 1)`
        Partial-product row ``i`` with inverted sign bit.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If a parameter has the wrong type or is out of range.
    """

    def __init__(self, a_width, rows):
        _check_positive("A width", a_width, 2)
        _check_positive("Rows", rows, 1)
        self._a_width = a_width
        self._rows = rows
        members = {
            "a": In(signed(a_width)),
            "neg": In(rows),
            "one": In(rows),
            "two": In(rows),
        }
        for i in range(rows):
            members[f"row_{i}"] = Out(a_width + 1)
        super().__init__(members)

    @property
    def a_width(self):
        return self._a_width

    @property
    def rows(self):
        return self._rows

    @property
    def row_width(self):
        return self._a_width + 1

    def elaborate(self, platform):
        m = Module()
        width = self.row_width
        a_ext = Signal(signed(width), name="a_ext")
        m.d.comb += a_ext.eq(self.a)
        a_dbl = Cat(Const(0, 1), a_ext[:-1])
        sign_flip = Const(1 << (width - 1), width)
        for i in range(self._rows):
            magnitude = ((a_ext.as_unsigned() & self.one[i].replicate(width)) |
                         (a_dbl & self.two[i].replicate(width)))
            row = getattr(self, f"row_{i}")
            m.d.comb += row.eq(magnitude ^ self.neg[i].replicate(width) ^ sign_flip)
        return m


class CompressorTree(wiring.Component):
    """Multi-operand adder: word-level carry-save (Wallace) tree and final carry-propagate adder.

    Computes ``o = (constant + sum of all input bits at their column weights) mod 2**o_width``.
    Every input becomes one word aligned at its columns; the words (and the constant, if any)
    are reduced three at a time by rows of 3:2 counters (full adders: sum ``x ^ y ^ z``, carry
    ``maj(x, y, z)`` one column up) until two words remain, which one carry-propagate adder sums.
    Columns below the lowest input bit are constant 0 and involve no logic. Counters fed a
    constant bit simplify in synthesis; so do the always-zero bits of narrow or sparse words.
    Purely combinational.

    Written at word level so that event-driven simulators evaluate a handful of wide operations
    per stage instead of one event per bit; synthesis yields the same counters.

    Parameters
    ----------
    inputs : :class:`dict` of :class:`str` to sequence of :class:`int`
        For each input port, the column (weight exponent) of each of its bits, least significant
        bit first. Bits at columns ``>= o_width`` are ignored.
    constant : :class:`int`
        Constant added to the sum (taken modulo ``2**o_width``).
    o_width : :class:`int`
        Width of the result.

    Members
    -------
    <name> : :py:`In(len(columns))`
        One port per entry of ``inputs``.
    o : :py:`Out(o_width)`
        The sum, modulo ``2**o_width``.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If a parameter has the wrong type or is out of range.
    """

    def __init__(self, inputs, *, constant=0, o_width):
        _check_positive("Output width", o_width, 1)
        if isinstance(constant, bool) or not isinstance(constant, int):
            raise TypeError(f"Constant must be an integer, not {constant!r}")
        columns = {}
        for name, cols in dict(inputs).items():
            cols = tuple(cols)
            for col in cols:
                if isinstance(col, bool) or not isinstance(col, int) or col < 0:
                    raise TypeError(f"Columns must be non-negative integers, not {col!r}")
            if name == "o":
                raise ValueError("Input name 'o' is reserved for the output")
            columns[name] = cols
        self._columns = columns
        self._constant = constant % (1 << o_width)
        self._o_width = o_width
        members = {name: In(len(cols)) for name, cols in columns.items()}
        members["o"] = Out(o_width)
        super().__init__(members)
        words = sum(1 for cols in columns.values() if any(c < o_width for c in cols))
        words += 1 if self._constant else 0
        stages = 0
        while words > 2:
            words -= words // 3
            stages += 1
        self._stages = stages

    @property
    def o_width(self):
        return self._o_width

    @property
    def constant(self):
        return self._constant

    @property
    def stages(self):
        """Number of carry-save reduction stages."""
        return self._stages

    def _base(self):
        """Lowest column holding an input bit or a constant bit (all below are 0)."""
        cols = [c for cs in self._columns.values() for c in cs if c < self._o_width]
        if self._constant:
            cols.append((self._constant & -self._constant).bit_length() - 1)
        return min(cols, default=self._o_width)

    def elaborate(self, platform):
        m = Module()
        base = self._base()
        width = self._o_width - base
        if width == 0:
            m.d.comb += self.o.eq(0)
            return m
        words = []
        for name, cols in self._columns.items():
            port = getattr(self, name)
            bits = [Const(0, 1)] * width
            used = False
            for index, col in enumerate(cols):
                if col < self._o_width:
                    bits[col - base] = port[index]
                    used = True
            if used:
                words.append(Cat(*bits))
        if self._constant:
            words.append(Const(self._constant >> base, width))
        stage = 0
        while len(words) > 2:
            reduced = []
            for i in range(0, len(words) - len(words) % 3, 3):
                x, y, z = words[i:i + 3]
                s = Signal(width, name=f"csa{i // 3}_s{stage}")
                c = Signal(width, name=f"csa{i // 3}_c{stage}")
                m.d.comb += [s.eq(x ^ y ^ z), c.eq(((x & y) | (x & z) | (y & z)) << 1)]
                reduced += [s, c]
            reduced += words[len(words) - len(words) % 3:]
            words = reduced
            stage += 1
        cpa = Signal(width, name="cpa")
        m.d.comb += cpa.eq(sum(words[1:], words[0]) if len(words) > 1 else words[0])
        m.d.comb += self.o.eq(Cat(Const(0, base), cpa))
        return m


class BoothMultiplier(wiring.Component):
    """Radix-4 Booth multiplier with optional row omission and a narrow multiplicand.

    Computes ``p = (A * 2**a_shift * B_P) mod 2**o_width``, where ``A`` and ``B`` are the signed
    values of ``a`` and ``b``, and ``B_P = sum_{j >= first_digit} y_j 4**j`` is ``B`` rounded
    half-up to a multiple of ``4**first_digit``. Only the ``rows = D - first_digit`` rows of the
    generated digits are built, each ``row_width = a_width + 1`` bits wide; the
    ``a_shift + 2 * first_digit`` least significant bits of ``p`` are constant 0 and involve no
    logic. With ``first_digit = a_shift = 0`` and ``o_width = a_width + b_width`` the product is
    exact. Purely combinational.

    Parameters
    ----------
    a_width : :class:`int`
        Width of the signed multiplicand ``a``, at least 2.
    b_width : :class:`int`
        Width of the signed multiplier ``b``, at least 2.
    o_width : :class:`int`
        Width of ``p``.
    first_digit : :class:`int`
        Number of omitted least-significant Booth digits, ``0 <= first_digit < D``,
        ``D = ceil(b_width / 2)``.
    a_shift : :class:`int`
        Weight exponent of ``a``, at least 0.

    Members
    -------
    a : :py:`In(signed(a_width))`
        Multiplicand (already rounded, if applicable).
    b : :py:`In(signed(b_width))`
        Multiplier, recoded into Booth digits.
    p : :py:`Out(unsigned(o_width))`
        Product bits.

    Raises
    ------
    :exc:`TypeError`, :exc:`ValueError`
        If a parameter has the wrong type or is out of range.
    """

    def __init__(self, a_width, b_width, o_width, *, first_digit=0, a_shift=0):
        _check_positive("A width", a_width, 2)
        _check_positive("B width", b_width, 2)
        _check_positive("Output width", o_width, 1)
        _check_positive("First digit", first_digit, 0)
        _check_positive("A shift", a_shift, 0)
        digits = booth_digit_count(b_width)
        if first_digit >= digits:
            raise ValueError(f"First digit must be less than {digits}, not {first_digit!r}")
        self._a_width = a_width
        self._b_width = b_width
        self._o_width = o_width
        self._first_digit = first_digit
        self._a_shift = a_shift
        self._digits = digits
        super().__init__({
            "a": In(signed(a_width)),
            "b": In(signed(b_width)),
            "p": Out(unsigned(o_width)),
        })

    @property
    def a_width(self):
        return self._a_width

    @property
    def b_width(self):
        return self._b_width

    @property
    def o_width(self):
        return self._o_width

    @property
    def first_digit(self):
        return self._first_digit

    @property
    def a_shift(self):
        return self._a_shift

    @property
    def digits(self):
        """Number of Booth digits of ``b``, ``ceil(b_width / 2)``."""
        return self._digits

    @property
    def rows(self):
        """Number of partial-product rows built, ``digits - first_digit``."""
        return self._digits - self._first_digit

    @property
    def row_width(self):
        """Width of each partial-product row, ``a_width + 1``."""
        return self._a_width + 1

    def row_columns(self):
        """Column (weight exponent) of each bit of each row, as a list of ranges."""
        return [range(self._a_shift + 2 * j, self._a_shift + 2 * j + self.row_width)
                for j in range(self._first_digit, self._digits)]

    def neg_columns(self):
        """Column of the negation "+1" bit of each row."""
        return [self._a_shift + 2 * j for j in range(self._first_digit, self._digits)]

    def correction_constant(self):
        """Sign-extension correction: ``-2**(row_width - 1)`` at each row's weight."""
        total = -sum(1 << (cols.start + self.row_width - 1) for cols in self.row_columns())
        return total % (1 << self._o_width)

    def elaborate(self, platform):
        m = Module()
        m.submodules.enc = enc = BoothEncoder(self._b_width, self._first_digit)
        m.submodules.rows = rows = BoothRows(self._a_width, self.rows)
        inputs = {f"row_{i}": cols for i, cols in enumerate(self.row_columns())}
        inputs["neg"] = self.neg_columns()
        m.submodules.tree = tree = CompressorTree(
            inputs, constant=self.correction_constant(), o_width=self._o_width)
        m.d.comb += [
            enc.b.eq(self.b),
            rows.a.eq(self.a),
            rows.neg.eq(enc.neg),
            rows.one.eq(enc.one),
            rows.two.eq(enc.two),
            tree.neg.eq(enc.neg),
            self.p.eq(tree.o),
        ]
        for i in range(self.rows):
            m.d.comb += getattr(tree, f"row_{i}").eq(getattr(rows, f"row_{i}"))
        return m
