"""The ternary convolution engine: a line buffer feeding ``n_o`` output-channel units."""

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from .. import verilog as _verilog
from ._common import check_bool, check_int, check_odd
from ._unit import MAX_K, MAX_N_I, MAX_PIPELINE, Pooling
from .codec import WordPacker, WordUnpacker, packed_layout
from .linebuffer import MAX_HEIGHT, LineBuffer, Padding
from .ocu import OCU
from .shared import SharedModule

__all__ = ["TernaryEngine"]

#: Largest number of output channels (OCUs).
MAX_N_O = 256
#: Longest image line.
MAX_IMAGE_WIDTH = 1024
#: Largest weight memory (packed words).
MAX_WEIGHT_DEPTH = 65536


class TernaryEngine(wiring.Component):
    """Ternary convolution layers, one per frame: ``n_o`` output channels of a ``k`` x ``k``
    window over ``n_i`` input channels, one window per cycle, with optional 2x2 pooling.

    Structure. A :class:`~hw.ternary.LineBuffer` (packed, with pool-group order) turns the
    raster stream of input pixels into windows; each window goes to ``n_o``
    :class:`~hw.ternary.OCU` (one per output channel, ``weight_storage="ff"``,
    ``pooling="select"``) in the same cycle, and the ``n_o`` results form one output pixel.
    Output pixels leave in output raster order (see :class:`~hw.ternary.LineBuffer` for the
    window geometry of SAME and VALID, stride 1 and 2, and the pool groups).

    Packed activations and weights. Pixels enter as :func:`~hw.ternary.packed_layout` bytes
    (5 trits per byte, ``byte = sum((t_i + 1) * 3**i)``, trit ``i`` of the pixel in byte
    ``i // 5``), are stored that way in the line buffer, and output pixels leave packed the
    same way, so one layer's output is the next layer's input unchanged. The weight memory
    holds ``weight_depth`` words of ``n_i`` weight trits, packed likewise; word
    ``weight_base + co * k * k + ky * k + kx`` holds ``w[co][ky][kx][0..n_i-1]`` of the layer
    whose descriptor names ``weight_base``. A byte of 243 or more decodes to illegal codes.

    Layer descriptor. ``layer`` (:attr:`layer_layout`) holds ``width``, ``height`` (of the
    input frame), ``ch_in`` (1 to ``n_i``), ``ch_out`` (1 to ``n_o``), ``padding``
    (:class:`~hw.ternary.Padding`), ``stride`` (1 or 2), ``pooling``
    (:class:`~hw.ternary.Pooling`: none, or 2x2 maximum or sum of the window sums before the
    thresholds; stride 1 only) and ``weight_base``. It must be set before the first pixel of
    a frame and held stable while ``busy`` is high; the restrictions of the line buffer apply
    (``width <= image_width``, ``height <= max_height``, VALID frames at least ``k`` x ``k``,
    pooled maps at least 2 x 2) and ``weight_base + ch_out * k * k <= weight_depth``; they
    are not checked in hardware. After reset the descriptor is all zero, on which the engine
    stays idle. Output channels ``ch_out`` and up are 0 trits with sum 0. The weights of input
    channels ``ch_in`` and up are forced to 0 as they are fetched, so those activation trits
    add nothing; they should be sent as 0 trits (an illegal code there is still flagged).

    Weight fetch. At the first pixel of a frame, when the OCUs do not yet hold the words of
    (``weight_base``, ``ch_out``), the engine first copies them from the weight memory into
    the OCUs' weight buffers, one word per cycle (``ch_out * k * k + 1`` cycles, pixels held
    back meanwhile); frames of the same layer then follow without a fetch. A write to the
    weight memory makes the next frame fetch again.

    Streams. ``w_stream`` writes word ``addr`` of the weight memory (``data``, packed); it is
    ready except during a fetch, so the next layer's weights can be written while a frame
    runs. ``th_stream`` writes the thresholds ``lo``, ``hi`` of OCU ``ocu`` (``+1`` if
    ``value > hi``, else ``-1`` if ``value < lo``, else 0, ``value`` the window sum or the
    pooled sum); it is ready only while the engine is idle (``busy`` low and no pixel offered).
    An ``ocu`` index of ``n_o`` or more is accepted and ignored. Weight memory and thresholds
    are reset-less: write them before use. A configured engine runs layer after layer: write
    thresholds (and, any time before, weights), set ``layer``, stream the frames, repeat.

    Outputs. Each output pixel carries the packed trits (``pixel``), the signed ``sums``
    (window or pooled sums, :attr:`sum_width` bits, for a final layer whose raw sums are the
    result, e.g. class scores) and ``illegal``: set when a window of the pixel (active
    channels) or a weight word of an active output channel held an illegal code; illegal codes
    count as 0.

    Handshake. All OCUs are fed the same window and take the same ``o_stream.ready``, so they
    advance in lock step. Latency: one cycle in the line buffer plus ``pipeline`` in the OCUs
    (with pooling, from the transfer of the group's last window); throughput one window per
    cycle, i.e. one output pixel per cycle without pooling and one per 4 cycles with it.

    Hierarchy. With ``shared=False`` the OCUs are ordinary submodules ``ocu0`` ...: the
    engine simulates in Amaranth, and its Verilog holds ``n_o`` copies of the OCU. With
    ``shared=True`` the OCU is converted once on construction (:class:`~hw.ternary.SharedModule`,
    module :attr:`~hw.ternary.OCU.module_name`) and the engine holds ``n_o``
    :class:`~amaranth.hdl.Instance` cells ``ocu0`` ... of it: for Verilog only (the Amaranth
    simulator leaves instance outputs at 0); use :meth:`to_verilog`, which writes the OCU
    module with it. Both have the same ports and behaviour.

    Parameters
    ----------
    n_i : :class:`int`
        Input channels (trits per input pixel), 1 to 256.
    n_o : :class:`int`
        Output channels (OCUs, trits per output pixel), 1 to 256.
    k : :class:`int`
        Kernel size, odd, 1 to 7.
    image_width : :class:`int`
        Longest input line, ``k`` to 1024.
    pipeline : :class:`int`
        Pipeline stages of each OCU, 0 to 2.
    max_height : :class:`int` or :py:`None`
        Largest input ``height``, 1 to 65536; :py:`None` (default): 1024.
    weight_depth : :class:`int` or :py:`None`
        Words of the weight memory, 1 to 65536; :py:`None` (default): ``n_o * k * k`` (one
        layer of ``n_o`` channels).
    shared : :class:`bool`
        Emit the OCU once and instantiate it (see above).

    Members
    -------
    i_stream : :py:`In(stream.Signature(packed_layout(n_i)))`
        Input pixels in raster order, packed.
    o_stream : :py:`Out(stream.Signature(output_layout))`
        Output pixels: ``pixel`` (:py:`packed_layout(n_o)`), ``sums`` and ``illegal``.
    w_stream : :py:`In(stream.Signature(weight_write_layout))`
        Weight memory writes: ``addr``, ``data``.
    th_stream : :py:`In(stream.Signature(threshold_layout))`
        Threshold writes: ``ocu``, ``lo``, ``hi``.
    layer : :py:`In(layer_layout)`
        Layer descriptor.
    busy : :py:`Out(1)`
        A frame, a weight fetch or a result is in progress.

    Raises
    ------
    :exc:`TypeError`
        If a parameter has the wrong type.
    :exc:`ValueError`
        If a parameter is out of range (``k`` even).
    """

    def __init__(self, n_i, n_o, k, image_width, *, pipeline=1, max_height=None,
                 weight_depth=None, shared=False):
        check_int("N_I", n_i, 1, MAX_N_I)
        check_int("N_O", n_o, 1, MAX_N_O)
        check_odd("K", k, 1, MAX_K)
        check_int("Image width", image_width, k, MAX_IMAGE_WIDTH)
        check_int("Pipeline", pipeline, 0, MAX_PIPELINE)
        if max_height is None:
            max_height = 1024
        check_int("Max height", max_height, 1, MAX_HEIGHT)
        if weight_depth is None:
            weight_depth = n_o * k * k
        check_int("Weight depth", weight_depth, 1, MAX_WEIGHT_DEPTH)
        check_bool("Shared", shared)
        self._n_i = n_i
        self._n_o = n_o
        self._k = k
        self._image_width = image_width
        self._pipeline = pipeline
        self._max_height = max_height
        self._weight_depth = weight_depth
        self._shared = shared

        template = OCU(n_i, k, pipeline=pipeline, pooling="select")
        if shared:
            self._module = SharedModule(template, template.module_name)
        else:
            # the OCUs are made at elaboration; this one only describes them
            template._MustUse__silence = True
            self._module = None
        self._ocu_module_name = template.module_name
        self._sum_width = template.sum_width
        self._weight_write_layout = data.StructLayout({
            "addr": range(weight_depth),
            "data": packed_layout(n_i),
        })
        self._threshold_layout = data.StructLayout({
            "ocu": unsigned(bits_for(n_o - 1)),
            "lo": template.threshold_layout["lo"].shape,
            "hi": template.threshold_layout["hi"].shape,
        })
        self._layer_layout = data.StructLayout({
            "width": range(image_width + 1),
            "height": range(max_height + 1),
            "ch_in": range(n_i + 1),
            "ch_out": range(n_o + 1),
            "padding": Padding,
            "stride": range(3),
            "pooling": Pooling,
            "weight_base": range(weight_depth),
        })
        self._output_layout = data.StructLayout({
            "pixel": packed_layout(n_o),
            "sums": data.ArrayLayout(signed(self._sum_width), n_o),
            "illegal": unsigned(1),
        })
        super().__init__({
            "i_stream": In(stream.Signature(packed_layout(n_i))),
            "o_stream": Out(stream.Signature(self._output_layout)),
            "w_stream": In(stream.Signature(self._weight_write_layout)),
            "th_stream": In(stream.Signature(self._threshold_layout)),
            "layer": In(self._layer_layout),
            "busy": Out(1),
        })

    # ---------------------------------------------------------------------------------------
    # read-only parameters

    @property
    def n_i(self):
        """Input channels."""
        return self._n_i

    @property
    def n_o(self):
        """Output channels (OCUs)."""
        return self._n_o

    @property
    def k(self):
        """Kernel size."""
        return self._k

    @property
    def image_width(self):
        """Longest input line."""
        return self._image_width

    @property
    def max_height(self):
        """Largest input height."""
        return self._max_height

    @property
    def weight_depth(self):
        """Words of the weight memory."""
        return self._weight_depth

    @property
    def pipeline(self):
        """Pipeline stages of each OCU."""
        return self._pipeline

    @property
    def shared(self):
        """Whether the OCU is one shared module (Verilog only)."""
        return self._shared

    @property
    def latency(self):
        """Cycles from the transfer completing a window (pool group) to its output pixel on
        ``o_stream``: 1 (line buffer) + :attr:`pipeline`."""
        return 1 + self._pipeline

    @property
    def sum_width(self):
        """Width of each signed output sum (that of sum pooling: never wraps)."""
        return self._sum_width

    @property
    def ocu_module_name(self):
        """Verilog module name of the OCU (the shared module with ``shared=True``)."""
        return self._ocu_module_name

    @property
    def weight_write_layout(self):
        """Layout of the ``w_stream`` payload: ``addr``, ``data``."""
        return self._weight_write_layout

    @property
    def threshold_layout(self):
        """Layout of the ``th_stream`` payload: ``ocu``, ``lo``, ``hi``."""
        return self._threshold_layout

    @property
    def layer_layout(self):
        """Layout of the ``layer`` descriptor."""
        return self._layer_layout

    @property
    def output_layout(self):
        """Layout of the ``o_stream`` payload: ``pixel``, ``sums`` and ``illegal``."""
        return self._output_layout

    # ---------------------------------------------------------------------------------------

    def to_verilog(self, name="top"):
        """Verilog of the engine as module ``name``; with ``shared=True`` preceded by the one
        OCU module.

        Parameters
        ----------
        name : :class:`str`
            Name of the top module.

        Returns
        -------
        :class:`str`
            The Verilog text (:func:`hw.verilog.convert`: no source locations, the ``top``
            attribute on module ``name`` only).
        """
        return _verilog.convert(self, name, modules=[self._module.rtlil] if self._shared else [])

    def elaborate(self, platform):
        m = Module()
        n_i, n_o, k = self._n_i, self._n_o, self._k
        words = k * k
        layer = self.layer

        units = []
        for co in range(n_o):
            if self._shared:
                cell, unit = self._module.instance(name=f"ocu{co}")
            else:
                cell = unit = OCU(n_i, k, pipeline=self._pipeline, pooling="select")
            m.submodules[f"ocu{co}"] = cell
            units.append(unit)
        units_busy = Cat(unit.busy for unit in units).any()

        # ---- weight memory and the fetch into the OCUs
        m.submodules.weights = mem = Memory(
            shape=packed_layout(n_i), depth=self._weight_depth, init=[])
        wr = mem.write_port()
        rd = mem.read_port(transparent_for=())
        w = self.w_stream
        issuing = Signal()  # fetch reads still to issue
        landing = Signal()  # a read's data is on rd.data this cycle
        fetching = issuing | landing
        f_co = Signal(range(n_o))
        f_pos = Signal(range(words))
        f_addr = Signal(range(self._weight_depth))
        d_co = Signal(range(n_o))
        d_pos = Signal(range(words))
        d_last = Signal()
        loaded = Signal()  # the OCUs hold the words of (loaded_base, loaded_ch_out)
        loaded_base = Signal(range(self._weight_depth))
        loaded_ch_out = Signal(range(n_o + 1))
        current = (loaded & (loaded_base == layer.weight_base)
                   & (loaded_ch_out == layer.ch_out))
        m.d.comb += [
            w.ready.eq(~fetching),
            wr.addr.eq(w.payload.addr),
            wr.data.eq(w.payload.data),
            wr.en.eq(w.valid & ~fetching),
            rd.addr.eq(f_addr),
            rd.en.eq(issuing),
        ]
        with m.If(w.valid & ~fetching):
            m.d.sync += loaded.eq(0)

        m.submodules.linebuffer = lb = LineBuffer(
            n_i, k, self._image_width, max_height=self._max_height, packed=True, pooling=True)
        # pixels pass within a frame, or at a frame's start once the weights are in the OCUs
        admit = lb.busy | (current & ~fetching)
        start = self.i_stream.valid & ~lb.busy & ~current & ~fetching & ~units_busy
        last_issue = (f_co == layer.ch_out - 1) & (f_pos == words - 1)
        with m.If(start):
            m.d.sync += [issuing.eq(1), f_co.eq(0), f_pos.eq(0), f_addr.eq(layer.weight_base)]
        with m.Elif(issuing):
            m.d.sync += [
                f_addr.eq(f_addr + 1),
                f_pos.eq(Mux(f_pos == words - 1, 0, f_pos + 1)),
                f_co.eq(Mux(f_pos == words - 1, f_co + 1, f_co)),
            ]
            with m.If(last_issue):
                m.d.sync += issuing.eq(0)
        m.d.sync += [
            landing.eq(issuing),
            d_co.eq(f_co),
            d_pos.eq(f_pos),
            d_last.eq(last_issue),
        ]
        with m.If(landing & d_last):
            m.d.sync += [
                loaded.eq(1),
                loaded_base.eq(layer.weight_base),
                loaded_ch_out.eq(layer.ch_out),
            ]
        m.submodules.weight_unpack = w_unpack = WordUnpacker(n_i)
        m.d.comb += w_unpack.data.eq(rd.data)
        fetched = Signal(data.ArrayLayout(w_unpack.trits.shape().elem_shape, n_i))
        for ci in range(n_i):
            m.d.comb += fetched[ci].eq(Mux(ci < layer.ch_in, w_unpack.trits[ci], 0))

        # ---- line buffer
        m.d.comb += [
            lb.width.eq(layer.width),
            lb.height.eq(layer.height),
            lb.padding.eq(layer.padding),
            lb.stride.eq(layer.stride),
            lb.pool.eq(layer.pooling != Pooling.NONE),
            lb.i_stream.payload.eq(self.i_stream.payload),
            lb.i_stream.valid.eq(self.i_stream.valid & admit),
            self.i_stream.ready.eq(lb.i_stream.ready & admit),
        ]

        # ---- OCUs
        busy = Signal()
        th = self.th_stream
        idle = ~busy & ~self.i_stream.valid
        m.d.comb += th.ready.eq(idle)
        trits = Signal(data.ArrayLayout(w_unpack.trits.shape().elem_shape, n_o))
        for co, unit in enumerate(units):
            active = co < layer.ch_out
            m.d.comb += [
                unit.pool.eq(layer.pooling),
                unit.i_stream.payload.eq(lb.o_stream.payload),
                unit.i_stream.valid.eq(lb.o_stream.valid),
                unit.o_stream.ready.eq(self.o_stream.ready),
                unit.w_stream.payload.addr.eq(d_pos),
                unit.w_stream.payload.word.eq(fetched),
                unit.w_stream.valid.eq(landing & (d_co == co)),
                unit.th_stream.payload.lo.eq(th.payload.lo),
                unit.th_stream.payload.hi.eq(th.payload.hi),
                unit.th_stream.valid.eq(th.valid & idle & (th.payload.ocu == co)),
                trits[co].eq(Mux(active, unit.o_stream.payload.trit, 0)),
                self.o_stream.payload.sums[co].eq(Mux(active, unit.o_stream.payload.sum, 0)),
            ]
        m.submodules.packer = packer = WordPacker(n_o)
        m.d.comb += [
            packer.trits.eq(trits),
            self.o_stream.payload.pixel.eq(packer.data),
            lb.o_stream.ready.eq(Cat(unit.i_stream.ready for unit in units).all()),
            self.o_stream.valid.eq(Cat(unit.o_stream.valid for unit in units).all()),
            self.o_stream.payload.illegal.eq(Cat(
                unit.o_stream.payload.illegal & (co < layer.ch_out)
                for co, unit in enumerate(units)).any()),
            busy.eq(lb.busy | units_busy | fetching),
            self.busy.eq(busy),
        ]
        return m
