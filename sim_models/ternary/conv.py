"""Golden model of the ternary convolution engine (REFERENCE.md 2, CUTIE-like).

Conventions (shared with the hardware):

- feature maps are ``H x W x C`` (channels last), optionally with a leading batch axis
  ``N x H x W x C``; trits are the integers -1, 0, +1 (``int8`` here);
- weights are ``C_out x K x K x C_in``, indexed ``[o][ky][kx][ci]``, ``K`` odd, 1 to 7;
- cross-correlation: ``out[y][x][o] = sum_{ky,kx,ci} act[y*s + ky - pad][x*s + kx - pad][ci] *
  w[o][ky][kx][ci]``, pixels outside the image are 0 trits. ``"same"``: ``pad = (K - 1) // 2``,
  output ``ceil(H / s) x ceil(W / s)``; ``"valid"``: ``pad = 0``, output
  ``((H - K) // s + 1) x ((W - K) // s + 1)``; stride ``s`` is 1 or 2;
- optional pooling of the integer sums: 2x2 window, stride 2, ``"max"`` or ``"sum"``, output
  ``floor(H / 2) x floor(W / 2)`` (an odd last row/column is dropped);
- threshold per output channel ``(lo, hi)``: ``+1`` if ``sum > hi``, else ``-1`` if
  ``sum < lo``, else 0 (strict compares, ``+1`` tested first).

Sums are exact ``int64`` values; they never wrap. One output lies within
``+-K*K*C_in`` (``+-4*K*K*C_in`` after sum pooling), see :attr:`TernaryLayer.sum_bound`. (The
public CUTIE RTL keeps it in a 10-bit register, which wraps; this model does not.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from ._common import as_int_array, as_trits, check_choice, check_int

PADDINGS = ("same", "valid")
POOLINGS = ("max", "sum")
#: Odd kernel sizes supported.
KERNEL_SIZES = (1, 3, 5, 7)
STRIDES = (1, 2)
# Sums are computed with a float64 matrix product, exact while every partial sum stays below
# 2**53 in magnitude, i.e. K*K*C_in < 2**53.
_MAX_REDUCTION = 2**53 - 1


def _check_stride(stride: object) -> int:
    return check_int("Stride", stride, 1, 2)


def _check_padding(padding: object) -> str:
    return check_choice("Padding", padding, PADDINGS)


def _as_weights(weights: object) -> np.ndarray:
    w = as_trits("Weights", weights)
    if w.ndim != 4:
        raise ValueError(f"Weights must have shape (C_out, K, K, C_in), got shape {w.shape}")
    c_out, k, k2, c_in = w.shape
    if k != k2:
        raise ValueError(f"Weights must have a square kernel (C_out, K, K, C_in), got {w.shape}")
    if k not in KERNEL_SIZES:
        raise ValueError(f"Kernel size must be odd, between 1 and 7, not {k}")
    if c_out < 1 or c_in < 1:
        raise ValueError(f"Weights must have at least one input and output channel, got {w.shape}")
    if k * k * c_in > _MAX_REDUCTION:
        raise ValueError(f"K*K*C_in must be below 2**53, got {k * k * c_in}")
    return w


def _as_maps(name: str, value: object, as_values: bool = False) -> tuple[np.ndarray, bool]:
    """Feature maps as a 4-D array plus whether the input had no batch axis."""
    arr = as_int_array(name, value) if as_values else as_trits(name, value)
    if arr.ndim not in (3, 4):
        raise ValueError(f"{name} must have shape (H, W, C) or (N, H, W, C), got shape {arr.shape}")
    single = arr.ndim == 3
    return (arr[None] if single else arr), single


def conv_output_size(size: int, k: int, stride: int, padding: str) -> int:
    """Output length of the convolution along one spatial axis.

    Parameters
    ----------
    size : int
        Input length (``H`` or ``W``), at least 1.
    k : int
        Kernel size, odd, 1 to 7.
    stride : int
        1 or 2.
    padding : {"same", "valid"}
        Padding mode.

    Returns
    -------
    int
        ``ceil(size / stride)`` for ``"same"``, ``(size - k) // stride + 1`` for ``"valid"``.

    Raises
    ------
    TypeError
        If a parameter has the wrong type.
    ValueError
        If a parameter is out of range, or a ``"valid"`` input is smaller than the kernel.
    """
    size = check_int("Size", size, 1, np.iinfo(np.int64).max)
    k = check_int("Kernel size", k, 1, 7)
    if k % 2 == 0:
        raise ValueError(f"Kernel size must be odd, between 1 and 7, not {k}")
    stride = _check_stride(stride)
    padding = _check_padding(padding)
    if padding == "same":
        return -(-size // stride)
    if size < k:
        raise ValueError(f"A 'valid' convolution needs inputs at least {k} wide, got {size}")
    return (size - k) // stride + 1


def ternary_conv2d(
    act: object, weights: object, *, stride: int = 1, padding: str = "same"
) -> np.ndarray:
    """Integer sums of a ternary cross-correlation.

    Parameters
    ----------
    act : array_like
        Activation trits, shape ``(H, W, C_in)`` or ``(N, H, W, C_in)``.
    weights : array_like
        Weight trits, shape ``(C_out, K, K, C_in)``, ``K`` odd between 1 and 7.
    stride : int, optional
        1 (default) or 2.
    padding : {"same", "valid"}, optional
        ``"same"`` (default): zero trits around the image, ``pad = (K - 1) // 2``;
        ``"valid"``: no padding.

    Returns
    -------
    numpy.ndarray
        ``int64`` sums, shape ``(H_out, W_out, C_out)`` (or with the leading ``N``), each
        within ``+-K*K*C_in``; see :func:`conv_output_size`.

    Raises
    ------
    TypeError
        If the arrays do not hold integers or a parameter has the wrong type.
    ValueError
        If a value is not a trit, a shape is wrong (channel mismatch, ``"valid"`` image smaller
        than the kernel), or a parameter is out of range.
    """
    stride = _check_stride(stride)
    padding = _check_padding(padding)
    w = _as_weights(weights)
    x, single = _as_maps("Activations", act)
    c_out, k, _, c_in = w.shape
    n, h, wd, c = x.shape
    if c != c_in:
        raise ValueError(f"Activations have {c} channels but the weights expect {c_in}")
    h_out = conv_output_size(h, k, stride, padding)
    w_out = conv_output_size(wd, k, stride, padding)
    pad = (k - 1) // 2 if padding == "same" else 0
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    # windows[n, y, x, c, ky, kx] = xp[n, y + ky, x + kx, c], at output-pixel origins y*s, x*s
    windows = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))
    windows = windows[:, : (h_out - 1) * stride + 1 : stride, : (w_out - 1) * stride + 1 : stride]
    cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * h_out * w_out, k * k * c_in)
    # float64 products of small integers are exact (|partial sums| <= K*K*C_in < 2**53)
    sums = cols.astype(np.float64) @ w.reshape(c_out, k * k * c_in).T.astype(np.float64)
    out = sums.astype(np.int64).reshape(n, h_out, w_out, c_out)
    return out[0] if single else out


def pool(sums: object, mode: str) -> np.ndarray:
    """2x2, stride-2 pooling of integer sums.

    Parameters
    ----------
    sums : array_like
        Integer sums, shape ``(H, W, C)`` or ``(N, H, W, C)``, ``H`` and ``W`` at least 2.
    mode : {"max", "sum"}
        Maximum or sum of each 2x2 window.

    Returns
    -------
    numpy.ndarray
        ``int64`` array of shape ``(H // 2, W // 2, C)`` (or with the leading ``N``); an odd
        last row or column is dropped.

    Raises
    ------
    TypeError
        If the sums are not integers or ``mode`` is not a string.
    ValueError
        If ``mode`` is unknown or the map is smaller than 2x2.
    """
    mode = check_choice("Pooling", mode, POOLINGS)
    s, single = _as_maps("Sums", sums, as_values=True)
    n, h, w, c = s.shape
    if h < 2 or w < 2:
        raise ValueError(f"Pooling needs maps of at least 2x2, got {h}x{w}")
    ho, wo = h // 2, w // 2
    blocks = s[:, : 2 * ho, : 2 * wo].reshape(n, ho, 2, wo, 2, c)
    out = blocks.max(axis=(2, 4)) if mode == "max" else blocks.sum(axis=(2, 4))
    return out[0] if single else out


def _as_thresholds(name: str, value: object, channels: int) -> np.ndarray:
    arr = as_int_array(name, value)
    if arr.ndim == 0:
        arr = np.full(channels, arr, dtype=np.int64)
    if arr.shape != (channels,):
        raise ValueError(
            f"{name} must be a scalar or hold one value per channel ({channels},), "
            f"got shape {arr.shape}"
        )
    return arr


def threshold(sums: object, lo: object, hi: object) -> np.ndarray:
    """Per-channel ternary thresholding of integer sums.

    Parameters
    ----------
    sums : array_like
        Integer sums, any shape with the channels on the last axis.
    lo, hi : array_like
        Integer thresholds, scalars or one per channel (shape ``(C,)``). ``lo > hi`` is
        allowed: ``+1`` is tested first.

    Returns
    -------
    numpy.ndarray
        ``int8`` trits of the shape of ``sums``: ``+1`` where ``sum > hi``, else ``-1`` where
        ``sum < lo``, else 0.

    Raises
    ------
    TypeError
        If an input does not hold integers.
    ValueError
        If ``sums`` is a scalar or the thresholds do not match its channel count.
    """
    s = as_int_array("Sums", sums)
    if s.ndim == 0:
        raise ValueError("Sums must have at least one dimension (the channels), got a scalar")
    lo_arr = _as_thresholds("Lo", lo, s.shape[-1])
    hi_arr = _as_thresholds("Hi", hi, s.shape[-1])
    out = np.where(s < lo_arr, -1, 0)
    return np.where(s > hi_arr, 1, out).astype(np.int8)


class TernaryLayer:
    """One layer of the engine: convolution, optional pooling, thresholds (or raw sums).

    Parameters
    ----------
    weights : array_like
        Weight trits, shape ``(C_out, K, K, C_in)``, ``K`` odd between 1 and 7.
    lo, hi : array_like or None, optional
        Integer thresholds, one per output channel (or scalars, broadcast). Both None
        (default): the layer returns its raw integer sums (a classification head; only the
        last layer of a :class:`TernaryNetwork` may do so).
    stride : int, optional
        1 (default) or 2.
    padding : {"same", "valid"}, optional
        Default ``"same"``.
    pooling : {None, "max", "sum"}, optional
        2x2 pooling of the sums before thresholding (default None).

    Raises
    ------
    TypeError
        If a parameter has the wrong type.
    ValueError
        If a value is out of range or a shape is wrong, or only one of ``lo``/``hi`` is given.
    """

    __slots__ = ("_weights", "_lo", "_hi", "_stride", "_padding", "_pooling")

    def __init__(
        self,
        weights: object,
        lo: object = None,
        hi: object = None,
        *,
        stride: int = 1,
        padding: str = "same",
        pooling: str | None = None,
    ) -> None:
        w = _as_weights(weights)
        self._stride = _check_stride(stride)
        self._padding = _check_padding(padding)
        self._pooling = check_choice("Pooling", pooling, (None, *POOLINGS))
        if (lo is None) != (hi is None):
            raise ValueError("Lo and hi must be given together (or both None for raw sums)")
        if lo is not None:
            lo = _as_thresholds("Lo", lo, w.shape[0]).copy()
            hi = _as_thresholds("Hi", hi, w.shape[0]).copy()
            lo.flags.writeable = False
            hi.flags.writeable = False
        w.flags.writeable = False
        self._weights = w
        self._lo = lo
        self._hi = hi

    @property
    def weights(self) -> np.ndarray:
        """numpy.ndarray: Read-only ``int8`` weight trits ``(C_out, K, K, C_in)``."""
        return self._weights

    @property
    def lo(self) -> np.ndarray | None:
        """numpy.ndarray or None: Read-only ``int64`` lower thresholds (None: raw sums)."""
        return self._lo

    @property
    def hi(self) -> np.ndarray | None:
        """numpy.ndarray or None: Read-only ``int64`` upper thresholds (None: raw sums)."""
        return self._hi

    @property
    def stride(self) -> int:
        """int: Convolution stride, 1 or 2."""
        return self._stride

    @property
    def padding(self) -> str:
        """str: ``"same"`` or ``"valid"``."""
        return self._padding

    @property
    def pooling(self) -> str | None:
        """str or None: ``"max"``, ``"sum"`` or None."""
        return self._pooling

    @property
    def raw(self) -> bool:
        """bool: True if the layer returns raw sums (no thresholds)."""
        return self._lo is None

    @property
    def kernel_size(self) -> int:
        """int: ``K``."""
        return self._weights.shape[1]

    @property
    def in_channels(self) -> int:
        """int: ``C_in``."""
        return self._weights.shape[3]

    @property
    def out_channels(self) -> int:
        """int: ``C_out``."""
        return self._weights.shape[0]

    @property
    def sum_bound(self) -> int:
        """int: Largest possible ``|sum|`` after pooling: ``K*K*C_in``, times 4 for sum pooling.

        The hardware's sum register needs ``sum_bound.bit_length() + 1`` bits (signed).
        """
        bound = self.kernel_size**2 * self.in_channels
        return 4 * bound if self._pooling == "sum" else bound

    def output_shape(self, height: int, width: int) -> tuple[int, int, int]:
        """Shape ``(H_out, W_out, C_out)`` of the output for an ``height x width`` input.

        Parameters
        ----------
        height, width : int
            Input map size.

        Returns
        -------
        tuple of int
            After convolution and pooling.

        Raises
        ------
        TypeError
            If a size is not an integer.
        ValueError
            If the input is too small for the kernel (``"valid"``) or the pooling.
        """
        k = self.kernel_size
        h = conv_output_size(height, k, self._stride, self._padding)
        w = conv_output_size(width, k, self._stride, self._padding)
        if self._pooling is not None:
            if h < 2 or w < 2:
                raise ValueError(f"Pooling needs maps of at least 2x2, got {h}x{w}")
            h, w = h // 2, w // 2
        return h, w, self.out_channels

    def sums(self, act: object) -> np.ndarray:
        """Integer sums after convolution and pooling (before thresholds).

        Parameters
        ----------
        act : array_like
            Activation trits ``(H, W, C_in)`` or ``(N, H, W, C_in)``.

        Returns
        -------
        numpy.ndarray
            ``int64`` sums, shape ``(..., H_out, W_out, C_out)``.
        """
        s = ternary_conv2d(act, self._weights, stride=self._stride, padding=self._padding)
        return s if self._pooling is None else pool(s, self._pooling)

    def __call__(self, act: object) -> np.ndarray:
        """Run the layer.

        Parameters
        ----------
        act : array_like
            Activation trits ``(H, W, C_in)`` or ``(N, H, W, C_in)``.

        Returns
        -------
        numpy.ndarray
            ``int8`` output trits, or ``int64`` sums for a raw layer.
        """
        s = self.sums(act)
        return s if self.raw else threshold(s, self._lo, self._hi)

    def _params(self) -> dict[str, object]:
        return {
            "weights": self._weights,
            "lo": self._lo,
            "hi": self._hi,
            "stride": self._stride,
            "padding": self._padding,
            "pooling": self._pooling,
        }

    def __repr__(self) -> str:
        c_out, k, _, c_in = self._weights.shape
        kind = "raw sums" if self.raw else "thresholds"
        return (
            f"TernaryLayer({c_in}->{c_out}, K={k}, stride={self._stride}, "
            f"padding={self._padding!r}, pooling={self._pooling!r}, {kind})"
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        mine, theirs = self._params(), other._params()
        for key, value in mine.items():
            if isinstance(value, np.ndarray) or isinstance(theirs[key], np.ndarray):
                if value is None or theirs[key] is None:
                    return False
                if not np.array_equal(value, theirs[key]):
                    return False
            elif value != theirs[key]:
                return False
        return True

    __hash__ = None  # mutable-free but holds arrays: not hashable

    def __getstate__(self) -> dict[str, object]:
        return self._params()

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(**state)


class TernaryNetwork:
    """Layers run in sequence; the last one may return raw sums for classification.

    Parameters
    ----------
    layers : iterable of TernaryLayer
        At least one layer. Each layer's ``in_channels`` must equal the previous
        ``out_channels``; only the last layer may be raw.

    Raises
    ------
    TypeError
        If an element is not a :class:`TernaryLayer`.
    ValueError
        If there are no layers, the channel counts do not chain, or a raw layer is not last.
    """

    __slots__ = ("_layers",)

    def __init__(self, layers: Iterable[TernaryLayer]) -> None:
        if isinstance(layers, TernaryLayer):
            raise TypeError("Layers must be an iterable of TernaryLayer, not a single layer")
        layers = tuple(layers)
        if not layers:
            raise ValueError("A network needs at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, TernaryLayer):
                raise TypeError(f"Layer {i} must be a TernaryLayer, not {type(layer).__name__}")
            if i and layer.in_channels != layers[i - 1].out_channels:
                raise ValueError(
                    f"Layer {i} expects {layer.in_channels} input channels but layer {i - 1} "
                    f"produces {layers[i - 1].out_channels}"
                )
            if layer.raw and i != len(layers) - 1:
                raise ValueError(f"Only the last layer may return raw sums, but layer {i} does")
        self._layers = layers

    @property
    def layers(self) -> tuple[TernaryLayer, ...]:
        """tuple of TernaryLayer: The layers, in order."""
        return self._layers

    @property
    def raw(self) -> bool:
        """bool: True if the network returns raw sums (its last layer is raw)."""
        return self._layers[-1].raw

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[TernaryLayer]:
        return iter(self._layers)

    def __getitem__(self, index: int) -> TernaryLayer:
        return self._layers[index]

    def output_shape(self, height: int, width: int) -> tuple[int, int, int]:
        """Shape ``(H_out, W_out, C_out)`` of the network's output for an input size.

        Parameters
        ----------
        height, width : int
            Input map size.

        Returns
        -------
        tuple of int
            Shape of the last layer's output.
        """
        shape = (height, width, self._layers[0].in_channels)
        for layer in self._layers:
            shape = layer.output_shape(shape[0], shape[1])
        return shape

    def trace(self, act: object) -> list[np.ndarray]:
        """Outputs of every layer.

        Parameters
        ----------
        act : array_like
            Input trits ``(H, W, C_in)`` or ``(N, H, W, C_in)``.

        Returns
        -------
        list of numpy.ndarray
            One entry per layer: ``int8`` trits, or ``int64`` sums for a raw last layer.
        """
        outputs = []
        x = act
        for layer in self._layers:
            x = layer(x)
            outputs.append(x)
        return outputs

    def __call__(self, act: object) -> np.ndarray:
        """Output of the last layer (see :meth:`trace`)."""
        return self.trace(act)[-1]

    def classify(self, act: object) -> np.ndarray:
        """Class index of each input: argmax of the flattened output of the last layer.

        Ties go to the lowest index (``numpy.argmax``).

        Parameters
        ----------
        act : array_like
            Input trits ``(H, W, C_in)`` or ``(N, H, W, C_in)``.

        Returns
        -------
        numpy.ndarray
            ``int64`` class indices, shape ``()`` or ``(N,)``.
        """
        out = self(act)
        if out.ndim == 3:
            return np.asarray(np.argmax(out.reshape(-1)), dtype=np.int64)
        return np.argmax(out.reshape(out.shape[0], -1), axis=1).astype(np.int64)

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self._layers)
        return f"TernaryNetwork([{inner}])"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return len(self) == len(other) and all(
            a == b for a, b in zip(self._layers, other._layers, strict=True)
        )

    __hash__ = None

    def __getstate__(self) -> dict[str, object]:
        return {"layers": self._layers}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(**state)
