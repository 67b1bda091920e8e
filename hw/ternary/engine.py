"""The ternary convolution engine: a line buffer feeding ``n_o`` output-channel units."""

from amaranth.back import verilog
from amaranth.hdl import Cat, Module, Mux, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from ._common import check_bool, check_int, check_odd
from ._unit import MAX_K, MAX_N_I, MAX_PIPELINE
from .linebuffer import MAX_HEIGHT, LineBuffer, Padding
from .ocu import OCU
from .shared import SharedModule
from .trit import pixel_layout

__all__ = ["TernaryEngine"]

#: Largest number of output channels (OCUs).
MAX_N_O = 256
#: Longest image line.
MAX_IMAGE_WIDTH = 1024


class TernaryEngine(wiring.Component):
    """One ternary convolution layer per frame: ``n_o`` output channels of a ``k`` x ``k``
    window over ``n_i`` input channels, one output pixel per cycle.

    Structure. A :class:`~hw.ternary.LineBuffer` turns the raster stream of input pixels into
    windows; each window goes to ``n_o`` :class:`~hw.ternary.OCU` (one per output channel,
    ``weight_storage="ff"``, no pooling) in the same cycle, and the ``n_o`` output trits of a
    window form one output pixel. Output pixels leave in output raster order (see
    :class:`~hw.ternary.LineBuffer` for the window geometry of SAME and VALID, stride 1 and 2).

    Layer descriptor. ``layer`` (:attr:`layer_layout`) holds ``width``, ``height`` (of the
    input frame), ``ch_in`` (1 to ``n_i``), ``ch_out`` (1 to ``n_o``), ``padding``
    (:class:`~hw.ternary.Padding`) and ``stride`` (1 or 2). It must be set before the first
    pixel of a frame and held stable while ``busy`` is high; the restrictions of the line
    buffer apply (``width <= image_width``, ``height <= max_height``, VALID frames at least
    ``k`` x ``k``) and are not checked in hardware. After reset the descriptor is all zero
    (width 0), on which the line buffer never finishes a frame, so ``busy`` stays high and
    loads are refused: set a valid descriptor first. Input channels ``ch_in`` and up are
    forced to 0 trits as pixels enter (silenced: they add nothing and flag nothing); output
    channels ``ch_out`` and up are 0 trits. Pooling is not supported in this version (there is
    no pooling field; a pooled layer must be pooled elsewhere).

    Weights and thresholds. ``w_stream`` writes word ``addr`` (``ky * k + kx``, ``n_i``
    trits ``w[ky][kx][0..n_i-1]``) of OCU ``ocu`` (output channel); ``th_stream`` writes the
    thresholds ``lo``, ``hi`` of OCU ``ocu`` (as :class:`~hw.ternary.OCU`: ``+1`` if
    ``sum > hi``, else ``-1`` if ``sum < lo``, else 0). Both are ready only while the engine is
    idle (``busy`` low and no pixel offered on ``i_stream``); an ``ocu`` index of ``n_o`` or
    more, like an ``addr`` of ``k * k`` or more, is accepted and ignored. Storage is reset-less:
    load every OCU used before its first frame. A configured engine runs layer after layer:
    load weights and thresholds, set ``layer``, stream the frame, repeat.

    Illegal codes. ``illegal`` of an output pixel is set when its window (active channels) or a
    stored weight word of an active output channel (below ``ch_out``) holds the illegal code
    ``0b10``; illegal codes count as 0 in the sums.

    Handshake. All OCUs are fed the same window with the same ``valid`` and take the same
    ``o_stream.ready``, so they advance in lock step; the engine's ``i_stream.ready`` to the
    line buffer and ``o_stream.valid`` are the AND over the OCUs. Latency: one cycle in the
    line buffer plus ``pipeline`` in the OCUs; throughput one output pixel per cycle (plus the
    line buffer's extension steps, see :class:`~hw.ternary.LineBuffer`).

    Hierarchy. With ``shared=False`` the OCUs are ordinary submodules ``ocu0`` ...: the
    engine simulates in Amaranth, and its Verilog holds ``n_o`` copies of the OCU. With
    ``shared=True`` the OCU is converted once on construction (:class:`~hw.ternary.SharedModule`,
    module :attr:`~hw.ternary.OCU.module_name`) and the engine holds ``n_o``
    :class:`~amaranth.hdl.Instance` cells ``ocu0`` ... of it: for Verilog only (the Amaranth
    simulator leaves instance outputs at 0); use :meth:`to_verilog`, which prepends the OCU
    module. Both have the same ports and behaviour.

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
    shared : :class:`bool`
        Emit the OCU once and instantiate it (see above).

    Members
    -------
    i_stream : :py:`In(stream.Signature(pixel_layout(n_i)))`
        Input pixels in raster order.
    o_stream : :py:`Out(stream.Signature(output_layout))`
        Output pixels: ``pixel`` (``pixel_layout(n_o)``, channel ``co`` at index ``co``) and
        ``illegal``.
    w_stream : :py:`In(stream.Signature(weight_write_layout))`
        Weight writes: ``ocu``, ``addr``, ``word``.
    th_stream : :py:`In(stream.Signature(threshold_layout))`
        Threshold writes: ``ocu``, ``lo``, ``hi``.
    layer : :py:`In(layer_layout)`
        Layer descriptor.
    busy : :py:`Out(1)`
        A frame is in progress or a result in flight.

    Raises
    ------
    :exc:`TypeError`
        If a parameter has the wrong type.
    :exc:`ValueError`
        If a parameter is out of range (``k`` even).
    """

    def __init__(self, n_i, n_o, k, image_width, *, pipeline=1, max_height=None, shared=False):
        check_int("N_I", n_i, 1, MAX_N_I)
        check_int("N_O", n_o, 1, MAX_N_O)
        check_odd("K", k, 1, MAX_K)
        check_int("Image width", image_width, k, MAX_IMAGE_WIDTH)
        check_int("Pipeline", pipeline, 0, MAX_PIPELINE)
        if max_height is None:
            max_height = 1024
        check_int("Max height", max_height, 1, MAX_HEIGHT)
        check_bool("Shared", shared)
        self._n_i = n_i
        self._n_o = n_o
        self._k = k
        self._image_width = image_width
        self._pipeline = pipeline
        self._max_height = max_height
        self._shared = shared

        if shared:
            template = OCU(n_i, k, pipeline=pipeline)
            self._module = SharedModule(template, template.module_name)
            self._ocus = None
        else:
            self._ocus = [OCU(n_i, k, pipeline=pipeline) for _ in range(n_o)]
            template = self._ocus[0]
            self._module = None
        self._ocu_module_name = template.module_name
        index = unsigned(bits_for(n_o - 1))
        self._weight_write_layout = data.StructLayout({
            "ocu": index,
            "addr": template.weight_write_layout["addr"].shape,
            "word": template.word_layout,
        })
        self._threshold_layout = data.StructLayout({
            "ocu": index,
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
        })
        self._output_layout = data.StructLayout({
            "pixel": pixel_layout(n_o),
            "illegal": unsigned(1),
        })
        super().__init__({
            "i_stream": In(stream.Signature(pixel_layout(n_i))),
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
    def pipeline(self):
        """Pipeline stages of each OCU."""
        return self._pipeline

    @property
    def shared(self):
        """Whether the OCU is one shared module (Verilog only)."""
        return self._shared

    @property
    def latency(self):
        """Cycles from the transfer completing a window to its output pixel on ``o_stream``:
        1 (line buffer) + :attr:`pipeline`."""
        return 1 + self._pipeline

    @property
    def ocu_module_name(self):
        """Verilog module name of the OCU (the shared module with ``shared=True``)."""
        return self._ocu_module_name

    @property
    def weight_write_layout(self):
        """Layout of the ``w_stream`` payload: ``ocu``, ``addr``, ``word``."""
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
        """Layout of the ``o_stream`` payload: ``pixel`` and ``illegal``."""
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
            The Verilog text (``emit_src=False``).
        """
        text = verilog.convert(self, name=name, emit_src=False)
        if self._shared:
            text = self._module.verilog + text
        return text

    def elaborate(self, platform):
        m = Module()
        n_i, n_o = self._n_i, self._n_o
        layer = self.layer

        m.submodules.linebuffer = lb = LineBuffer(
            n_i, self._k, self._image_width, max_height=self._max_height)
        m.d.comb += [
            lb.width.eq(layer.width),
            lb.height.eq(layer.height),
            lb.padding.eq(layer.padding),
            lb.stride.eq(layer.stride),
            lb.i_stream.valid.eq(self.i_stream.valid),
            self.i_stream.ready.eq(lb.i_stream.ready),
        ]
        # silence the input channels from ch_in on
        for ci in range(n_i):
            m.d.comb += lb.i_stream.payload[ci].eq(
                Mux(ci < layer.ch_in, self.i_stream.payload[ci], 0))

        units = []
        for co in range(n_o):
            if self._shared:
                cell, unit = self._module.instance(name=f"ocu{co}")
            else:
                cell = unit = self._ocus[co]
            m.submodules[f"ocu{co}"] = cell
            units.append(unit)

        idle = ~self.busy & ~self.i_stream.valid
        w, th = self.w_stream, self.th_stream
        m.d.comb += [
            w.ready.eq(idle),
            th.ready.eq(idle),
        ]
        pixel = self.o_stream.payload.pixel
        for co, unit in enumerate(units):
            active = co < layer.ch_out
            m.d.comb += [
                unit.i_stream.payload.eq(lb.o_stream.payload),
                unit.i_stream.valid.eq(lb.o_stream.valid),
                unit.o_stream.ready.eq(self.o_stream.ready),
                unit.w_stream.payload.addr.eq(w.payload.addr),
                unit.w_stream.payload.word.eq(w.payload.word),
                unit.w_stream.valid.eq(w.valid & idle & (w.payload.ocu == co)),
                unit.th_stream.payload.lo.eq(th.payload.lo),
                unit.th_stream.payload.hi.eq(th.payload.hi),
                unit.th_stream.valid.eq(th.valid & idle & (th.payload.ocu == co)),
                pixel[co].eq(Mux(active, unit.o_stream.payload.trit, 0)),
            ]
        m.d.comb += [
            lb.o_stream.ready.eq(Cat(unit.i_stream.ready for unit in units).all()),
            self.o_stream.valid.eq(Cat(unit.o_stream.valid for unit in units).all()),
            self.o_stream.payload.illegal.eq(Cat(
                unit.o_stream.payload.illegal & (co < layer.ch_out)
                for co, unit in enumerate(units)).any()),
            self.busy.eq(lb.busy | Cat(unit.busy for unit in units).any()),
        ]
        return m
