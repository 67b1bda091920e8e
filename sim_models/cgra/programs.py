"""Hand-scheduled CGRA kernels (``sim_models/cgra/kernels/*.pasm``) with their data layouts.

Each kernel is written for the ``small`` fabric and runs unchanged on ``default`` (the same FU
and ID names). All of them move 32-bit words (``ld32``/``st32``), so they need ``W = 32``.
The data layout of every kernel is documented in the header of its ``.pasm`` file and
implemented by :meth:`Kernel.memories` and :meth:`Kernel.result`; values are signed and wrap
to 32 bits, the expected result comes from :mod:`sim_models.cgra.kernels`.

=========  ================================================================================
kernel     what it computes
=========  ================================================================================
dot        dot product of two vectors of 16
fir        8-tap FIR filter over 24 samples (17 outputs, valid part)
gemm       4x4 by 4x4 matrix product
vadd       vector add of 16, on both ALU lanes of ``c_alu23``
conv3x3    3x3 convolution (cross-correlation, valid part) of a 6x6 image (4x4 outputs)
=========  ================================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import kernels as ref
from .asm import Program, assemble
from .fabric import Fabric

__all__ = ["KERNELS", "Kernel", "kernel"]

KERNELS = ("dot", "fir", "gemm", "vadd", "conv3x3")
_DIR = Path(__file__).with_name("kernels")
#: Inputs are drawn uniformly from this range (signed 12-bit values: a product is below 2**22
#: and the longest sum, 16 products, below 2**26, so no exact result wraps in 32 bits, while
#: the approximate multipliers see operands wider than DRUM's k = 6 kept bits).
VALUE_RANGE = (-(1 << 11), 1 << 11)


def _words(values) -> bytes:
    """Signed values as little-endian 32-bit words."""
    return (np.asarray(values, dtype=np.int64) & 0xFFFFFFFF).astype("<u4").tobytes()


def _read(mem, offset: int, count: int) -> np.ndarray:
    """``count`` signed 32-bit words of a scratchpad from byte ``offset``."""
    data = np.asarray(np.frombuffer(bytes(mem), dtype=np.uint8) if isinstance(mem, bytes)
                      else mem, dtype=np.uint8)
    if data.size < offset + 4 * count:
        raise ValueError(f"Scratchpad of {data.size} bytes is too small for {count} words at "
                         f"{offset}")
    return data[offset:offset + 4 * count].copy().view("<i4").astype(np.int64)


class _Layout:
    """Where one kernel keeps its data (see each .pasm header)."""

    def inputs(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def memories(self, x: Mapping[str, np.ndarray]) -> dict[str, bytes]:
        raise NotImplementedError

    def result(self, mems: Mapping[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def reference(self, x, width, mul):
        raise NotImplementedError


def _draw(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.integers(*VALUE_RANGE, size=shape, dtype=np.int64)


def _place(size: int, *parts: tuple[int, np.ndarray]) -> bytes:
    buf = bytearray(size)
    for offset, values in parts:
        data = _words(np.ravel(values))
        buf[offset:offset + len(data)] = data
    return bytes(buf)


class _Dot(_Layout):
    def inputs(self, rng):
        return {"a": _draw(rng, 16), "b": _draw(rng, 16)}

    def memories(self, x):
        return {"lsu0": _place(64, (0, x["a"])), "lsu1": _place(64, (0, x["b"]))}

    def result(self, mems):
        return _read(mems["lsu0"], 64, 1)[0]

    def reference(self, x, width, mul):
        return ref.dot(x["a"], x["b"], width, mul=mul)


class _Fir(_Layout):
    def inputs(self, rng):
        return {"x": _draw(rng, 24), "h": _draw(rng, 8)}

    def memories(self, x):
        return {"lsu0": _place(96, (0, x["x"])), "lsu1": _place(32, (0, x["h"]))}

    def result(self, mems):
        y = np.empty(17, dtype=np.int64)
        y[0::2] = _read(mems["lsu0"], 128, 9)
        y[1::2] = _read(mems["lsu1"], 128, 8)
        return y

    def reference(self, x, width, mul):
        return ref.fir(x["x"], x["h"], width, mul=mul)


class _Gemm(_Layout):
    def inputs(self, rng):
        return {"A": _draw(rng, (4, 4)), "B": _draw(rng, (4, 4))}

    def memories(self, x):
        A, B = x["A"], x["B"]
        return {f"lsu{m}": _place(64, (0, B[:, m]), (16, B[:, m + 2]),
                                  (32, A[:, 2 * m:2 * m + 2]))
                for m in (0, 1)}

    def result(self, mems):
        C = np.empty((4, 4), dtype=np.int64)
        for m in (0, 1):
            part = _read(mems[f"lsu{m}"], 64, 8).reshape(4, 2)
            C[:, m], C[:, m + 2] = part[:, 0], part[:, 1]
        return C

    def reference(self, x, width, mul):
        return ref.gemm(x["A"], x["B"], width, mul=mul)


class _Vadd(_Layout):
    def inputs(self, rng):
        return {"a": _draw(rng, 16), "b": _draw(rng, 16)}

    def memories(self, x):
        return {f"lsu{m}": _place(64, (0, np.stack([x["a"][8 * m:8 * m + 8],
                                                    x["b"][8 * m:8 * m + 8]], axis=1)))
                for m in (0, 1)}

    def result(self, mems):
        return np.concatenate([_read(mems["lsu0"], 64, 8), _read(mems["lsu1"], 64, 8)])

    def reference(self, x, width, mul):
        return ref.vadd(x["a"], x["b"], width, mul=mul)


class _Conv(_Layout):
    def inputs(self, rng):
        return {"img": _draw(rng, (6, 6)), "k": _draw(rng, (3, 3))}

    def memories(self, x):
        return {"lsu0": _place(144, (0, x["img"])), "lsu1": _place(36, (0, x["k"]))}

    def result(self, mems):
        return _read(mems["lsu1"], 64, 16).reshape(4, 4)

    def reference(self, x, width, mul):
        return ref.conv3x3(x["img"], x["k"], width, mul=mul)


_LAYOUTS: dict[str, _Layout] = {"dot": _Dot(), "fir": _Fir(), "gemm": _Gemm(),
                                "vadd": _Vadd(), "conv3x3": _Conv()}


@dataclass(frozen=True)
class Kernel:
    """One hand-scheduled kernel: its program, inputs, data layout and reference.

    Attributes
    ----------
    name : str
        One of :data:`KERNELS`.
    path : Path
        Its ``.pasm`` file.
    """

    name: str
    path: Path

    @property
    def program_text(self) -> str:
        """The PASM source."""
        return self.path.read_text(encoding="utf-8")

    @property
    def _layout(self) -> _Layout:
        return _LAYOUTS[self.name]

    def assemble(self, fabric: Fabric) -> Program:
        """Assemble the kernel for ``fabric`` (see :func:`sim_models.cgra.asm.assemble`)."""
        return assemble(self.program_text, fabric, str(self.path))

    def inputs(self, seed: int) -> dict[str, np.ndarray]:
        """Random inputs (int64 arrays of signed 12-bit values) drawn with ``seed``.

        Parameters
        ----------
        seed : int
            Seed of :func:`numpy.random.default_rng`.

        Returns
        -------
        dict of str to numpy.ndarray
            The kernel's operands by name (e.g. ``a``, ``b`` for ``dot``).
        """
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"Seed must be a non-negative integer, not {seed!r}")
        return self._layout.inputs(np.random.default_rng(seed))

    def memories(self, inputs: Mapping[str, np.ndarray]) -> dict[str, bytes]:
        """The initial LSU scratchpads holding ``inputs`` (the layout of the .pasm header).

        Returns
        -------
        dict of str to bytes
            LSU name -> initial contents (shorter than the scratchpad: the rest is 0).
        """
        return self._layout.memories(inputs)

    def result(self, trace_or_memories) -> np.ndarray:
        """Read the kernel's result (signed int64 values) out of the final scratchpads.

        Parameters
        ----------
        trace_or_memories : Trace or Mapping
            A :class:`sim_models.cgra.model.Trace`, or LSU name -> scratchpad bytes / uint8
            array (e.g. read back from the hardware).

        Returns
        -------
        numpy.ndarray
            The result, shaped like :meth:`reference`'s.
        """
        mems = getattr(trace_or_memories, "memories", trace_or_memories)
        return np.asarray(self._layout.result(mems))

    def reference(self, inputs: Mapping[str, np.ndarray], width: int = 32,
                  mul: Callable | None = None) -> np.ndarray:
        """The expected result (:mod:`sim_models.cgra.kernels`).

        Parameters
        ----------
        inputs : Mapping
            From :meth:`inputs`.
        width : int, optional
            Data width (default 32, the only width the kernels run on).
        mul : callable, optional
            Multiplier of two int64 arrays (default exact), e.g. a
            :class:`sim_models.approx.DrumModel` for a fabric whose MULs are DRUM tiles.

        Returns
        -------
        numpy.ndarray
            Signed ``width``-bit values.
        """
        return np.asarray(self._layout.reference(inputs, width, mul))


def kernel(name: str) -> Kernel:
    """The kernel called ``name``.

    Raises
    ------
    ValueError
        If ``name`` is not one of :data:`KERNELS`.
    """
    if name not in KERNELS:
        raise ValueError(f"Kernel must be one of {', '.join(KERNELS)}, not {name!r}")
    return Kernel(name, _DIR / f"{name}.pasm")
