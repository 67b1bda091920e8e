"""A line buffer turning a raster stream of pixels into the convolution windows of a layer."""

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ._common import check_bool, check_int, check_odd
from .codec import ZERO_BYTE, WordUnpacker, packed_layout
from .trit import pixel_layout, window_layout

__all__ = ["LineBuffer", "Padding"]

#: Largest ``max_height`` accepted.
MAX_HEIGHT = 65536


class Padding(enum.Enum, shape=1):
    """Padding of a layer: ``VALID`` (no padding) or ``SAME`` (``(k - 1) // 2`` zero trits)."""

    VALID = 0
    SAME = 1


class LineBuffer(wiring.Component):
    """The ``k`` x ``k`` x ``n_i`` windows of a convolution, from a raster stream of pixels.

    Function. ``i_stream`` carries the input feature map of ``height`` rows of ``width`` pixels
    (``n_i`` trits each) in raster order, row by row, ``x`` fastest. ``o_stream`` carries the
    windows the golden convolution (``sim_models.ternary.conv``) multiplies with the weights, in
    output raster order: the window of output ``(oy, ox)`` holds, at ``[ky][kx][ci]``, the pixel
    ``(oy * s + ky - pad, ox * s + kx - pad)``, channel ``ci``, and 0 trits outside the image;
    ``pad = (k - 1) // 2`` for :attr:`Padding.SAME` (``ceil(height / s)`` x ``ceil(width / s)``
    windows), 0 for :attr:`Padding.VALID` (``((height - k) // s + 1)`` x
    ``((width - k) // s + 1)`` windows), stride ``s`` 1 or 2. Frames follow one another with
    no gap; a frame needs no clearing of the storage (rows above the image are masked to 0).

    Pool-group order (``pooling=True`` and ``pool`` high, stride 1 only). The windows are offered
    by 2x2 pool group of the output map, groups in raster order, each as top-left, top-right,
    bottom-left, bottom-right, so a unit pooling 4 consecutive windows
    (:class:`~hw.ternary.OCU`) pools exactly ``sim_models.ternary.pool``'s groups; an odd last
    output row or column has no group and is not offered. The window register then holds
    ``k + 1`` x ``k + 1`` pixels, the line store one line more, and a step completing a group
    (origin ``(y - k + pad, x - k + pad)`` not negative and even) offers its 4 windows in the 4
    following transfers, during which no step is taken.

    Packed pixels (``packed=True``). ``i_stream`` carries each pixel as
    :func:`~hw.ternary.packed_layout` bytes, 5 trits per byte, and the line store holds those
    bytes (1.6 bits per trit instead of 2); each column read is decoded by a
    :class:`~hw.ternary.WordUnpacker`, so an illegal byte reaches the window as the illegal
    code in each of its trits. The window register holds decoded trits.

    Layer configuration. ``width``, ``height``, ``padding`` and ``stride`` are sampled every
    cycle and must be held stable from the first pixel of a frame until its last window has
    been taken (``busy`` low). Supported: ``1 <= width <= image_width``,
    ``1 <= height <= max_height``, ``stride`` 1 or 2, and for :attr:`Padding.VALID` also
    ``width >= k`` and ``height >= k``. Other values give undefined windows (not checked in
    hardware).

    Operation. An internal scan position ``(y, x)`` runs over the image extended by ``pad``
    columns on the right and ``pad`` rows at the bottom, one step per position, except that
    with ``SAME``, stride 2 and an even ``width`` (``height``) the last extension column (row)
    is skipped, as no window needs it. At an image position a step takes one pixel from
    ``i_stream``; at an extension position it takes none and uses 0 trits (so the bottom and
    right SAME windows are flushed without further input). Each step shifts the column of
    ``k`` pixels at ``x`` (rows ``y - k + 1`` to ``y``: ``k - 1`` from the line store, the new
    pixel last) into a ``k`` x ``k`` window register, and writes the column back shifted up by
    one row. The top and left padding cost no steps: line-store rows above the image are
    masked to 0 and the window register's older columns are cleared at ``x = 0``. A step whose
    window is an output window (origin ``(y - k + 1 + pad, x - k + 1 + pad)`` not negative and a
    multiple of ``s`` in both axes) offers the window register on ``o_stream``.

    Storage. ``k - 1`` lines of ``image_width`` pixels in one
    :class:`~amaranth.lib.memory.Memory` of ``image_width`` words of ``(k - 1) * n_i`` trits
    (word ``x``: the column at ``x``), one asynchronous (``comb``) read port and one write port,
    both at address ``x``; the current line is the window register (``k`` x ``k`` pixels of
    flip-flops). No memory for ``k = 1``. The memory is not initialised and needs no reset.

    Latency and throughput. The window completed by the step at clock edge ``t`` (for an
    image position, the transfer of its last pixel) is offered on ``o_stream`` from edge ``t``
    on: one cycle of latency, the window register being the output register. A step happens
    in every cycle in which the output register is empty or its window is taken and, at an
    image position, ``i_stream.valid`` is high (a frame starts with its first pixel: at the
    origin there is no step without one, so the buffer idles there, also on a configuration
    without image positions such as the all-zero one after reset). With a ready consumer and
    a producer without gaps one pixel is therefore accepted every cycle, plus one cycle per
    extension position: at most ``(height + pad) * (width + pad)`` cycles per frame,
    ``height * width`` for VALID.
    ``i_stream.ready`` depends combinationally on ``o_stream.ready``; ``o_stream.valid`` does
    not (stream rule 3), and an offered window is held unchanged until taken, so no window is
    dropped or repeated under back-pressure.

    Parameters
    ----------
    n_i : :class:`int`
        Input channels (trits per pixel), 1 to 256.
    k : :class:`int`
        Kernel size, odd, 1 to 7.
    image_width : :class:`int`
        Longest line stored, ``k`` to 1024.
    max_height : :class:`int` or :py:`None`
        Largest ``height``, 1 to 65536 (sizes the row counter); :py:`None` (default): 1024.
    packed : :class:`bool`
        Pixels arrive and are stored 5 trits per byte (see above).
    pooling : :class:`bool`
        Add the ``pool`` input and the storage for pool-group order (see above).

    Members
    -------
    i_stream : :py:`In(stream.Signature(pixel_layout(n_i)))`
        Input pixels in raster order (:py:`packed_layout(n_i)` with ``packed``).
    o_stream : :py:`Out(stream.Signature(window_layout(n_i, k)))`
        Windows, indexed ``[ky][kx][ci]``, in output raster order.
    width : :py:`In(range(image_width + 1))`
        Pixels per row of the frame.
    height : :py:`In(range(max_height + 1))`
        Rows of the frame.
    padding : :py:`In(Padding)`
        :attr:`Padding.VALID` or :attr:`Padding.SAME`.
    stride : :py:`In(range(3))`
        1 or 2.
    busy : :py:`Out(1)`
        A frame is in progress or a window is offered; the configuration must not change.
    pool : :py:`In(1)`
        Only with ``pooling``: offer the windows in pool-group order (a configuration input,
        like ``stride``).

    Raises
    ------
    :exc:`TypeError`
        If a parameter is not an integer (``packed``, ``pooling``: not a :class:`bool`).
    :exc:`ValueError`
        If a parameter is out of range (``k`` even).
    """

    def __init__(self, n_i, k, image_width, *, max_height=None, packed=False, pooling=False):
        check_int("N_I", n_i, 1, 256)
        check_odd("K", k, 1, 7)
        check_int("Image width", image_width, k, 1024)
        if max_height is None:
            max_height = 1024
        check_int("Max height", max_height, 1, MAX_HEIGHT)
        check_bool("Packed", packed)
        check_bool("Pooling", pooling)
        self._n_i = n_i
        self._k = k
        self._image_width = image_width
        self._max_height = max_height
        self._packed = packed
        self._pooling = pooling
        members = {
            "i_stream": In(stream.Signature(
                packed_layout(n_i) if packed else pixel_layout(n_i))),
            "o_stream": Out(stream.Signature(window_layout(n_i, k))),
            "width": In(range(image_width + 1)),
            "height": In(range(max_height + 1)),
            "padding": In(Padding),
            "stride": In(range(3)),
            "busy": Out(1),
        }
        if pooling:
            members["pool"] = In(1)
        super().__init__(members)

    @property
    def n_i(self):
        """Input channels."""
        return self._n_i

    @property
    def k(self):
        """Kernel size."""
        return self._k

    @property
    def image_width(self):
        """Longest line stored."""
        return self._image_width

    @property
    def max_height(self):
        """Largest frame height."""
        return self._max_height

    @property
    def packed(self):
        """Whether pixels arrive and are stored 5 trits per byte."""
        return self._packed

    @property
    def pooling(self):
        """Whether the ``pool`` input (pool-group window order) exists."""
        return self._pooling

    @property
    def lines(self):
        """Lines held in the line store: ``k - 1``, plus 1 with :attr:`pooling`."""
        return self._k - 1 + int(self._pooling)

    def elaborate(self, platform):
        m = Module()
        n_i, k = self._n_i, self._k
        half = (k - 1) // 2
        extra = int(self._pooling)  # one more row and column held for the 2x2 pool group
        size = k + extra  # rows and columns of the window register
        pixel = pixel_layout(n_i)
        zero = pixel.const([0] * n_i)
        stored = packed_layout(n_i) if self._packed else pixel
        stored_zero = (stored.const([ZERO_BYTE] * stored.length) if self._packed else zero)
        pool = self.pool if self._pooling else Const(0)

        same = self.padding == Padding.SAME
        pad = Mux(same, half, 0)
        last_x = Signal(range(self._image_width + half + 1))
        last_y = Signal(range(self._max_height + half + 1))
        # the last window of a SAME frame with stride 2 and an even size ends one step earlier
        if half:
            trim = same & (self.stride == 2)
            m.d.comb += [
                last_x.eq(self.width - 1 + pad - (trim & ~self.width[0])),
                last_y.eq(self.height - 1 + pad - (trim & ~self.height[0])),
            ]
        else:
            m.d.comb += [last_x.eq(self.width - 1), last_y.eq(self.height - 1)]

        # scan position over the image extended by pad columns (right) and pad rows (bottom)
        x = Signal(range(self._image_width + half + 1))
        y = Signal(range(self._max_height + half + 1))
        in_x = x < self.width
        real = in_x & (y < self.height)

        # the window register: columns, oldest (kx = 0) first
        cols = [[Signal(pixel, name=f"win_{kx}_{ky}", reset_less=True) for ky in range(size)]
                for kx in range(size)]
        o_valid = Signal()
        phase = Signal(2)  # window of the pool group on offer: (dy, dx) = (phase[1], phase[0])
        group_done = ~pool | (phase == 3)
        ready_out = ~o_valid | (self.o_stream.ready & group_done)
        # a frame starts with its first pixel: no step at the origin without one (so an
        # unconfigured, all-zero layer keeps the buffer idle)
        origin = (x == 0) & (y == 0)
        step = ready_out & Mux(real, self.i_stream.valid, ~origin)

        new_pixel = Signal(stored)
        m.d.comb += new_pixel.eq(Mux(real, self.i_stream.payload, stored_zero))

        # the column at x, rows y - size + 1 .. y: size - 1 stored rows, then the new pixel
        raw = [Signal(stored, name=f"stored_{r}") for r in range(size)]
        if size > 1:
            store = data.ArrayLayout(stored, size - 1)
            m.submodules.lines = lines = Memory(shape=store, depth=self._image_width, init=[])
            rd = lines.read_port(domain="comb")
            wr = lines.write_port()
            m.d.comb += [rd.addr.eq(x), wr.addr.eq(x)]
            m.d.comb += [raw[r].eq(rd.data[r]) for r in range(size - 1)]
            m.d.comb += [
                wr.en.eq(step & in_x),
                wr.data.eq(Cat(*raw[1:])),
            ]
        m.d.comb += raw[size - 1].eq(new_pixel)
        column = [Signal(pixel, name=f"column_{r}") for r in range(size)]
        for r in range(size):
            if self._packed:
                m.submodules[f"unpack{r}"] = unpacker = WordUnpacker(n_i)
                m.d.comb += unpacker.data.eq(raw[r])
                value = unpacker.trits
            else:
                value = raw[r]
            if r < size - 1:  # rows above the image are 0 trits
                value = Mux(in_x & (y >= size - 1 - r), value, zero)
            m.d.comb += column[r].eq(value)

        # a step completes the window of origin (y - k + 1 + pad, x - k + 1 + pad) or, for a pool
        # group, the group of top-left origin (y - k + pad, x - k + pad)
        off_y = Signal(signed(len(y) + 1))
        off_x = Signal(signed(len(x) + 1))
        m.d.comb += [
            off_y.eq(y - (k - 1) + pad - pool),
            off_x.eq(x - (k - 1) + pad - pool),
        ]
        skip = Mux(pool | (self.stride == 2), off_y[0] | off_x[0], 0)
        emit = (off_y >= 0) & (off_x >= 0) & ~skip

        m.d.comb += [
            self.i_stream.ready.eq(ready_out & real),
            self.o_stream.valid.eq(o_valid),
            self.busy.eq(o_valid | (x != 0) | (y != 0)),
        ]
        # the window on offer: the newest k x k pixels, or pool-group window (dy, dx)
        for ky in range(k):
            for kx in range(k):
                if extra:
                    pick = [cols[kx + dx][ky + dy] for dy in (0, 1) for dx in (0, 1)]
                    value = Mux(pool, Array(pick)[phase], cols[kx + 1][ky + 1])
                else:
                    value = cols[kx][ky]
                m.d.comb += self.o_stream.payload[ky][kx].eq(value)

        with m.If(o_valid & self.o_stream.ready & ~group_done):
            m.d.sync += phase.eq(phase + 1)
        with m.If(ready_out):
            m.d.sync += o_valid.eq(0)
        with m.If(step):
            m.d.sync += [o_valid.eq(emit), phase.eq(0)]
            for kx in range(size - 1):
                for ky in range(size):
                    m.d.sync += cols[kx][ky].eq(Mux(x == 0, zero, cols[kx + 1][ky]))
            for ky in range(size):
                m.d.sync += cols[size - 1][ky].eq(column[ky])
            with m.If(x == last_x):
                m.d.sync += x.eq(0)
                with m.If(y == last_y):
                    m.d.sync += y.eq(0)
                with m.Else():
                    m.d.sync += y.eq(y + 1)
            with m.Else():
                m.d.sync += x.eq(x + 1)
        return m
