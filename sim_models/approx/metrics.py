"""Error metrics of approximate multipliers and their characterisation (REFERENCE.md 1.3).

``e = approx - exact`` over the evaluated pairs, ``n`` = operand width:

- EP = P(e != 0); MED = mean |e|; NMED = MED / (2**n - 1)**2; MSE = mean e**2;
- RE = e / exact over the pairs with exact != 0: MRED = mean |RE|, mean RE (bias), sd(RE)
  (population), min/max RE, WCRE = max |RE|; WCE = max |e|;
- EvoApproxLib conventions: MAE% = 100 * MED / 2**(2n), WCE% = 100 * WCE / 2**(2n),
  MRE% = MRED in percent.

:func:`characterise` evaluates a model exhaustively (all ``2**(2n)`` pairs, as broadcast tiles
``a_block[:, None] x b_block[None, :]`` so the model's per-operand work stays small, optionally
in worker processes) or on random pairs, and accumulates the sums chunk by chunk (exact
integer sums; float64 per-chunk partial sums combined with :func:`math.fsum`), so memory stays
bounded by the chunk size.
"""

from __future__ import annotations

import math
import multiprocessing
import numbers
import os
import pickle
import sys
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np

from ._common import (
    as_operand,
    check_bool,
    check_broadcast,
    check_int,
    operand_range,
    signedness,
    uses_object_dtype,
)

#: Default number of operand pairs evaluated per chunk: 512 KiB per int64/float64 temporary
#: keeps the temporaries in cache (8 MiB chunks measured about twice as slow per pair).
DEFAULT_CHUNK_PAIRS = 1 << 16
#: Exhaustive runs evaluate tiles of at most this many ``b`` values by ``chunk_pairs / cols``
#: ``a`` values.
TILE_MAX_COLS = 1 << 12
#: Default number of random pairs when sampling.
DEFAULT_SAMPLES = 1_000_000
#: Largest sampled run: about 45 s at 16 bits, an hour at 64 bits (Python integers); memory
#: stays bounded by the draw block whatever the count.
MAX_SAMPLES = 1_000_000_000
#: Widths up to this are characterised exhaustively by default.
EXHAUSTIVE_DEFAULT_MAX_WIDTH = 12
#: Widest operand accepted for an exhaustive run (2**40 pairs; 16 bits take minutes).
EXHAUSTIVE_MAX_WIDTH = 20
#: From this width on, exhaustive runs use worker processes by default.
PARALLEL_MIN_WIDTH = 12
#: Random operands are drawn in blocks of this many pairs, so a given (seed, samples) gives
#: the same pairs whatever ``chunk_pairs`` is.
SAMPLE_DRAW_BLOCK = 1 << 20


@dataclass(frozen=True)
class ErrorMetrics:
    """Error statistics of one multiplier configuration.

    Attributes
    ----------
    ep_pct : float
        Error probability P(e != 0), in percent.
    med : float
        Mean error distance, mean |e|.
    nmed : float
        MED / (2**width - 1)**2.
    mred_pct : float or None
        Mean relative error distance, mean |e| / |exact| over exact != 0, in percent.
    mean_error : float
        Mean e (signed).
    mean_re_pct : float or None
        Mean relative error (bias) over exact != 0, in percent.
    sd_re_pct : float or None
        Population standard deviation of the relative error, in percent.
    min_re_pct, max_re_pct : float or None
        Smallest and largest relative error, in percent.
    wce : int
        Worst-case error max |e|.
    wcre_pct : float or None
        Worst-case relative error max |e| / |exact| over exact != 0, in percent.
    mse : float
        Mean squared error, mean e**2.
    mae_pct : float
        EvoApproxLib MAE%: 100 * MED / 2**(2 * width).
    wce_pct : float
        EvoApproxLib WCE%: 100 * WCE / 2**(2 * width).
    mre_pct : float or None
        EvoApproxLib MRE%: equal to ``mred_pct``.
    width : int
        Operand width in bits.
    signed : bool
        Signedness of the operands.
    sign_mode : str or None
        The model's sign mode for signed models that have one, else None.
    exhaustive : bool
        True if every operand pair was evaluated.
    samples : int
        Number of operand pairs evaluated.
    seed : int or None
        Seed of the random pairs, None when exhaustive.

    Notes
    -----
    The relative-error fields are None when no evaluated pair has a non-zero exact product.
    """

    ep_pct: float
    med: float
    nmed: float
    mred_pct: float | None
    mean_error: float
    mean_re_pct: float | None
    sd_re_pct: float | None
    min_re_pct: float | None
    max_re_pct: float | None
    wce: int
    wcre_pct: float | None
    mse: float
    mae_pct: float
    wce_pct: float
    mre_pct: float | None
    width: int
    signed: bool
    sign_mode: str | None
    exhaustive: bool
    samples: int
    seed: int | None

    def to_dict(self) -> dict[str, object]:
        """Return the metrics as a JSON-serialisable dict of Python scalars.

        Returns
        -------
        dict
            Keys as the dataclass fields, in order.
        """
        out: dict[str, object] = {}
        for key, value in asdict(self).items():
            if isinstance(value, (bool, np.bool_)):
                out[key] = bool(value)
            elif isinstance(value, numbers.Integral):
                out[key] = int(value)
            elif isinstance(value, numbers.Real):
                out[key] = float(value)
            else:
                out[key] = value
        return out

    def describe(self) -> str:
        """One-line summary with the evaluation conditions REFERENCE.md asks to print.

        Returns
        -------
        str
            Signedness, operand range, exhaustive or N samples (with seed), sign mode and the
            headline metrics.
        """
        low, high = operand_range(self.width, self.signed)
        how = (
            f"exhaustive ({self.samples} pairs)"
            if self.exhaustive
            else f"{self.samples} random pairs, seed {self.seed}"
        )
        mode = f", sign mode {self.sign_mode}" if self.sign_mode else ""

        def pct(value: float | None, digits: int = 3) -> str:
            return "n/a" if value is None else f"{value:.{digits}f} %"

        rng = (
            "n/a"
            if self.min_re_pct is None
            else f"{self.min_re_pct:+.2f}..{self.max_re_pct:+.2f} %"
        )
        return (
            f"{signedness(self.width, self.signed)} operands in [{low}, {high}]{mode}, {how}: "
            f"EP {self.ep_pct:.3f} %, MRED {pct(self.mred_pct)}, mean RE {pct(self.mean_re_pct)}, "
            f"sd(RE) {pct(self.sd_re_pct)}, RE {rng}, NMED {self.nmed:.4e}, WCE {self.wce}, "
            f"MSE {self.mse:.6g}"
        )


def _exact_int_sum(x: np.ndarray) -> int:
    """Exact sum of an int64 array whose values lie within +-2**62, free of int64 overflow."""
    if x.size < (1 << 31):
        low = x & 0xFFFFFFFF
        high = x >> 32
        return (int(high.sum()) << 32) + int(low.sum())
    return sum(_exact_int_sum(part) for part in np.array_split(x.ravel(), 2))


class ErrorAccumulator:
    """Accumulates error sums over chunks of evaluated pairs; chunks can come from anywhere.

    Parameters
    ----------
    width : int
        Operand width in bits (used for the normalised metrics and the dtype choice).

    Notes
    -----
    Integer quantities (counts, sum e, sum |e|, max |e|) are exact Python ints. Float
    quantities (sum e**2 and the relative-error sums) are float64 per chunk, kept as lists of
    partial sums and combined with :func:`math.fsum`, so the result does not depend on the
    order in which chunks are added or merged.
    """

    def __init__(self, width: int) -> None:
        self.width = check_int("Width", width, 1, 64)
        self.count = 0
        self.ep_count = 0
        self.sum_abs_e = 0
        self.sum_e = 0
        self.max_abs_e = 0
        self.sq_e_parts: list[float] = []
        self.nonzero_count = 0
        self.re_parts: list[float] = []
        self.re_sq_parts: list[float] = []
        self.re_abs_parts: list[float] = []
        self.max_abs_re = 0.0
        self.min_re = math.inf
        self.max_re = -math.inf
        self._buffers: dict[str, np.ndarray] = {}

    def add(self, approx: object, exact: object, *, exact_nonzero: bool = False) -> None:
        """Add one chunk of products.

        Parameters
        ----------
        approx, exact : array_like
            Approximate and exact products of the same pairs (same shape after broadcasting).
        exact_nonzero : bool, optional
            Promise that no exact product is zero (skips the mask); only for callers that know.

        Raises
        ------
        TypeError
            If the products are not integers.
        ValueError
            If the shapes do not match.
        """
        approx = np.asarray(approx)
        exact = np.asarray(exact)
        for label, arr in (("Approximate", approx), ("Exact", exact)):
            if arr.dtype.kind not in "iuO":
                raise TypeError(f"{label} products must be integers, not dtype {arr.dtype}")
        if approx.shape != exact.shape:
            shape = check_broadcast(approx, exact)
            approx = np.broadcast_to(approx, shape)
            exact = np.broadcast_to(exact, shape)
        n = approx.size
        if n == 0:
            return
        approx = approx.ravel()
        exact = exact.ravel()
        wide = uses_object_dtype(self.width) or "O" in (approx.dtype.kind, exact.dtype.kind)
        if wide:
            e = approx.astype(object) - exact.astype(object)
            flat = e.tolist()
            abs_flat = [abs(v) for v in flat]
            self.sum_e += sum(flat)
            self.sum_abs_e += sum(abs_flat)
            self.max_abs_e = max(self.max_abs_e, max(abs_flat))
            ep = sum(1 for v in flat if v)
            e_f = np.array(flat, dtype=np.float64) if ep else None
        else:
            e = np.subtract(approx, exact, out=self._scratch("e", n, np.int64), dtype=np.int64)
            ep = int(np.count_nonzero(e))
            e_f = None
            if ep:
                abs_e = np.abs(e, out=self._scratch("abs_e", n, np.int64))
                max_abs = int(abs_e.max())
                self.max_abs_e = max(self.max_abs_e, max_abs)
                if max_abs * n < (1 << 63):
                    # No int64 overflow possible: the fast vectorised sums are exact.
                    self.sum_e += int(e.sum())
                    self.sum_abs_e += int(abs_e.sum())
                else:
                    self.sum_e += _exact_int_sum(e)
                    self.sum_abs_e += _exact_int_sum(abs_e)
                e_f = self._scratch("e_f", n, np.float64)
                np.copyto(e_f, e, casting="unsafe")
        self.count += n
        self.ep_count += ep
        if not exact_nonzero:
            mask = exact != 0
            nonzero = int(np.count_nonzero(mask))
        else:
            mask = None
            nonzero = n
        self.nonzero_count += nonzero
        if not ep:
            if nonzero:
                self.min_re = min(self.min_re, 0.0)
                self.max_re = max(self.max_re, 0.0)
            return
        work = self._scratch("work", n, np.float64)
        self.sq_e_parts.append(float(np.multiply(e_f, e_f, out=work).sum()))
        if not nonzero:
            return
        if mask is not None and nonzero != n:
            e_f = e_f[mask]
            exact = exact[mask]
            work = work[:nonzero]
        if exact.dtype.kind == "O":
            work[...] = exact.astype(np.float64)
        else:
            np.copyto(work, exact, casting="unsafe")
        re = np.divide(e_f, work, out=work)
        self.re_parts.append(float(re.sum()))
        self.re_sq_parts.append(float(np.multiply(re, re, out=e_f).sum()))
        lo, hi = float(re.min()), float(re.max())
        self.min_re = min(self.min_re, lo)
        self.max_re = max(self.max_re, hi)
        self.max_abs_re = max(self.max_abs_re, -lo, hi)
        self.re_abs_parts.append(float(np.abs(re, out=re).sum()))

    def _scratch(self, key: str, n: int, dtype: type) -> np.ndarray:
        """A reusable flat buffer of at least ``n`` elements (avoids re-allocation per chunk)."""
        buf = self._buffers.get(key)
        if buf is None or buf.size < n:
            buf = np.empty(n, dtype=dtype)
            self._buffers[key] = buf
        return buf[:n]

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state["_buffers"] = {}
        return state

    def merge(self, other: ErrorAccumulator) -> None:
        """Fold the sums of another accumulator (e.g. from a worker process) into this one.

        Parameters
        ----------
        other : ErrorAccumulator
            An accumulator of the same width.

        Raises
        ------
        ValueError
            If the widths differ.
        """
        if other.width != self.width:
            raise ValueError(
                f"Cannot merge a {other.width}-bit accumulator into a {self.width}-bit one"
            )
        self.count += other.count
        self.ep_count += other.ep_count
        self.sum_abs_e += other.sum_abs_e
        self.sum_e += other.sum_e
        self.max_abs_e = max(self.max_abs_e, other.max_abs_e)
        self.sq_e_parts.extend(other.sq_e_parts)
        self.nonzero_count += other.nonzero_count
        self.re_parts.extend(other.re_parts)
        self.re_sq_parts.extend(other.re_sq_parts)
        self.re_abs_parts.extend(other.re_abs_parts)
        self.max_abs_re = max(self.max_abs_re, other.max_abs_re)
        self.min_re = min(self.min_re, other.min_re)
        self.max_re = max(self.max_re, other.max_re)

    def result(
        self,
        *,
        signed: bool,
        sign_mode: str | None = None,
        exhaustive: bool = False,
        seed: int | None = None,
    ) -> ErrorMetrics:
        """Compute the metrics from the accumulated sums.

        Parameters
        ----------
        signed : bool
            Signedness of the operands (reported).
        sign_mode : str, optional
            Sign mode to report (None for unsigned or models without one).
        exhaustive : bool, optional
            Whether the pairs were all pairs (reported).
        seed : int, optional
            Seed of the random pairs (reported; None when exhaustive).

        Returns
        -------
        ErrorMetrics
            The metrics.

        Raises
        ------
        ValueError
            If nothing was accumulated.
        """
        if not self.count:
            raise ValueError("No operand pairs were accumulated")
        n = self.count
        full_scale = float(1 << (2 * self.width))
        med = self.sum_abs_e / n
        nz = self.nonzero_count
        if nz:
            mean_re = math.fsum(self.re_parts) / nz
            var_re = max(math.fsum(self.re_sq_parts) / nz - mean_re * mean_re, 0.0)
            mred = math.fsum(self.re_abs_parts) / nz
            re_fields = {
                "mred_pct": 100.0 * mred,
                "mean_re_pct": 100.0 * mean_re,
                "sd_re_pct": 100.0 * math.sqrt(var_re),
                "min_re_pct": 100.0 * self.min_re,
                "max_re_pct": 100.0 * self.max_re,
                "wcre_pct": 100.0 * self.max_abs_re,
                "mre_pct": 100.0 * mred,
            }
        else:
            re_fields = dict.fromkeys(
                (
                    "mred_pct",
                    "mean_re_pct",
                    "sd_re_pct",
                    "min_re_pct",
                    "max_re_pct",
                    "wcre_pct",
                    "mre_pct",
                )
            )
        return ErrorMetrics(
            ep_pct=100.0 * self.ep_count / n,
            med=med,
            nmed=med / float(((1 << self.width) - 1) ** 2),
            mred_pct=re_fields["mred_pct"],
            mean_error=self.sum_e / n,
            mean_re_pct=re_fields["mean_re_pct"],
            sd_re_pct=re_fields["sd_re_pct"],
            min_re_pct=re_fields["min_re_pct"],
            max_re_pct=re_fields["max_re_pct"],
            wce=int(self.max_abs_e),
            wcre_pct=re_fields["wcre_pct"],
            mse=math.fsum(self.sq_e_parts) / n,
            mae_pct=100.0 * med / full_scale,
            wce_pct=100.0 * self.max_abs_e / full_scale,
            mre_pct=re_fields["mre_pct"],
            width=self.width,
            signed=bool(signed),
            sign_mode=sign_mode if signed else None,
            exhaustive=bool(exhaustive),
            samples=n,
            seed=None if exhaustive else seed,
        )


def error_metrics(
    a: object,
    b: object,
    approx: object,
    exact: object = None,
    *,
    width: int,
    signed: bool | None = None,
    sign_mode: str | None = None,
) -> ErrorMetrics:
    """Error metrics of one set of products (a single chunk).

    Parameters
    ----------
    a, b : array_like
        Operand values of the evaluated pairs (broadcasting like the products).
    approx : array_like
        Approximate products, same shape as ``a * b``.
    exact : array_like, optional
        Exact products; computed as ``a * b`` (with Python ints above 31 bits) if omitted.
    width : int
        Operand width in bits.
    signed : bool, optional
        Signedness to report; inferred as "any operand is negative" if omitted.
    sign_mode : str, optional
        Sign mode to report for signed models.

    Returns
    -------
    ErrorMetrics
        The metrics, reported as sampled (``exhaustive=False``, ``seed=None``).

    Raises
    ------
    TypeError
        If operands or products are not integers.
    ValueError
        If shapes do not match or an operand is out of range.
    """
    width = check_int("Width", width, 1, 64)
    a_arr = np.asarray(a)
    b_arr = np.asarray(b)
    if signed is None:
        signed = bool((a_arr.size and a_arr.min() < 0) or (b_arr.size and b_arr.min() < 0))
    signed = check_bool("Signed", signed)
    a_arr = as_operand("a", a_arr, width, signed)
    b_arr = as_operand("b", b_arr, width, signed)
    shape = check_broadcast(a_arr, b_arr)
    if exact is None:
        exact = a_arr * b_arr
    approx = np.asarray(approx)
    if approx.shape != shape:
        raise ValueError(
            f"Approximate products must have the operands' broadcast shape {shape}, "
            f"not {approx.shape}"
        )
    acc = ErrorAccumulator(width)
    acc.add(approx, exact)
    return acc.result(signed=signed, sign_mode=sign_mode, exhaustive=False, seed=None)


class LutModel:
    """A multiplier given by a complete lookup table ``lut[a_bits, b_bits]``.

    Use :func:`lut_model` to build one (it validates the table).

    Attributes
    ----------
    width : int
        Operand width in bits.
    signed : bool
        Signedness; operands are looked up by their ``width``-bit two's-complement pattern.
    sign_mode : None
        LUT models have no sign mode.
    o_width : int
        ``2 * width``, nominal.
    name : str
        Human description.
    lut : numpy.ndarray
        The ``int64`` table (read-only).
    """

    def __init__(self, lut: np.ndarray, width: int, signed: bool, name: str) -> None:
        self.lut = lut
        self.width = width
        self.signed = signed
        self.sign_mode = None
        self.o_width = 2 * width
        self.name = name

    def __call__(self, a: object, b: object) -> np.ndarray:
        """Look the products up.

        Parameters
        ----------
        a, b : array_like
            Integer operand values (broadcasting).

        Returns
        -------
        numpy.ndarray
            ``int64`` products.

        Raises
        ------
        TypeError
            If an operand does not hold integers.
        ValueError
            If an operand is out of range or the shapes do not broadcast.
        """
        a_arr = as_operand("a", a, self.width, self.signed)
        b_arr = as_operand("b", b, self.width, self.signed)
        check_broadcast(a_arr, b_arr)
        mask = (1 << self.width) - 1
        return self.lut[a_arr & mask, b_arr & mask]

    def __repr__(self) -> str:
        return f"LutModel(name={self.name!r}, width={self.width}, signed={self.signed})"


def lut_model(lut: object, *, width: int, signed: bool, name: str | None = None) -> LutModel:
    """Wrap a complete product table as a model usable by :func:`characterise`.

    Parameters
    ----------
    lut : numpy.ndarray
        Integer table of shape ``(2**width, 2**width)``; ``lut[i, j]`` is the product of the
        operands whose ``width``-bit patterns (two's complement when signed) are ``i`` and ``j``.
    width : int
        Operand width in bits, 2 to 12 (as :func:`characterise`).
    signed : bool
        Signedness of the operands.
    name : str, optional
        Human description (default ``"LUT, 8-bit signed"`` style).

    Returns
    -------
    LutModel
        Callable model with ``width``, ``signed``, ``sign_mode`` (None) and ``name``.

    Raises
    ------
    TypeError
        If ``lut`` is not a numpy array with an integer dtype, or a parameter has a wrong type.
    ValueError
        If the shape is wrong, or a value lies outside the ``2 * width``-bit product range of
        the declared signedness (a signed table passed as unsigned, or the reverse).
    """
    width = check_int("Width", width, 2, 12)
    signed = check_bool("Signed", signed)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"Name must be a str, not {name!r}")
    if not isinstance(lut, np.ndarray):
        raise TypeError(f"LUT must be a numpy array, not {type(lut).__name__}")
    if lut.dtype.kind not in "iu":
        raise TypeError(f"LUT must have an integer dtype, not {lut.dtype}")
    size = 1 << width
    if lut.shape != (size, size):
        raise ValueError(f"LUT must have shape ({size}, {size}) for width {width}, not {lut.shape}")
    lo, hi = (-(1 << (2 * width - 1)), (1 << (2 * width - 1)) - 1) if signed else \
        (0, (1 << (2 * width)) - 1)
    least, most = int(lut.min()), int(lut.max())
    if least < lo or most > hi:
        bad = least if least < lo else most
        hint = ("a signed (two's-complement) table? declare it signed (--signed)" if not signed
                else "an unsigned table? declare it unsigned (no --signed)")
        raise ValueError(f"LUT values must lie in [{lo}, {hi}], the range of a {2 * width}-bit "
                         f"{'signed' if signed else 'unsigned'} product, but it holds {bad}: "
                         + hint)
    table = np.array(lut, dtype=np.int64)
    table.flags.writeable = False
    return LutModel(table, width, signed, name or f"LUT, {signedness(width, signed)}")


# --------------------------------------------------------------------------------------------
# characterise


def _model_attr(model: object, attr: str, given: object) -> object:
    have = getattr(model, attr, None)
    if given is None:
        if have is None:
            raise TypeError(
                f"{attr} must be given for a model without a '{attr}' attribute ({model!r})"
            )
        return have
    if have is not None and have != given:
        raise ValueError(f"{attr}={given!r} disagrees with the model's {attr}={have!r}")
    return given


def _eval_grid(
    acc: ErrorAccumulator, model: Callable, a: np.ndarray, b: np.ndarray, nonzero: bool
) -> None:
    """Evaluate the grid ``a[:, None] x b[None, :]`` and add it to ``acc``."""
    a_col = a[:, None]
    b_row = b[None, :]
    approx = np.asarray(model(a_col, b_row))
    shape = (a.size, b.size)
    if approx.shape != shape:
        raise ValueError(f"Model returned shape {approx.shape} for an operand grid of {shape}")
    exact = acc._scratch("exact", approx.size, np.int64).reshape(shape)
    acc.add(approx, np.multiply(a_col, b_row, out=exact), exact_nonzero=nonzero)


# State of a worker process: set by _init_worker (spawn) or inherited (fork).
_WORKER: dict[str, object] = {}


def _init_worker(model: Callable, width: int, signed: bool, rows: int, cols: int) -> None:
    low, high = operand_range(width, signed)
    values = np.arange(low, high + 1, dtype=np.int64)
    _WORKER.update(model=model, width=width, nonzero=values[values != 0], rows=rows, cols=cols)


def _run_blocks(task: tuple[int, int]) -> ErrorAccumulator:
    """Worker body: evaluate rows ``[start, stop)`` of the non-zero grid, tile by tile."""
    start, stop = task
    model = _WORKER["model"]
    nonzero = _WORKER["nonzero"]
    rows = _WORKER["rows"]
    cols = _WORKER["cols"]
    acc = ErrorAccumulator(_WORKER["width"])
    for row in range(start, stop, rows):
        a = nonzero[row : min(row + rows, stop)]
        for col in range(0, nonzero.size, cols):
            _eval_grid(acc, model, a, nonzero[col : col + cols], True)
    return acc


def _start_method(model: Callable) -> str | None:
    """Pick how worker processes start.

    ``fork`` where the platform defaults to it (Linux): the workers inherit the model, so
    any callable works and scripts need no ``if __name__ == "__main__"`` guard. Otherwise
    ``spawn``, which needs a picklable model; None if neither is possible.
    """
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return "fork"
    try:
        pickle.dumps(model)
    except Exception:
        return "fork" if "fork" in methods else None
    return "spawn"


def _run_parallel(
    model: Callable,
    width: int,
    signed: bool,
    tile: tuple[int, int],
    tasks: list[tuple[int, int]],
    workers: int,
    method: str,
    acc: ErrorAccumulator,
    done: Callable[[int], None],
) -> None:
    """Evaluate row ranges in worker processes and merge their accumulators into ``acc``."""
    init_args = (model, width, signed, *tile)
    if method == "fork":
        # Children inherit the state; nothing is pickled but the row ranges and the results.
        _init_worker(*init_args)
        pool_args: dict[str, object] = {}
    else:
        pool_args = {"initializer": _init_worker, "initargs": init_args}
    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns on fork() in a process with threads (OpenBLAS's idle pool
            # counts); the children only run numpy arithmetic and never touch such locks.
            warnings.filterwarnings("ignore", message=".*use of fork\\(\\) may lead to deadlocks")
            ctx = multiprocessing.get_context(method)
            # ProcessPoolExecutor (unlike multiprocessing.Pool) fails instead of respawning
            # forever when a worker dies at start-up.
            with ProcessPoolExecutor(workers, mp_context=ctx, **pool_args) as pool:
                for (start, stop), part in zip(tasks, pool.map(_run_blocks, tasks), strict=True):
                    acc.merge(part)
                    done(stop - start)
    finally:
        _WORKER.clear()


def _characterise_exhaustive(
    model: Callable, width: int, signed: bool, chunk_pairs: int, workers: int,
    progress: Callable[[int, int], None],
) -> ErrorAccumulator:
    low, high = operand_range(width, signed)
    values = np.arange(low, high + 1, dtype=np.int64)
    nonzero = values[values != 0]
    zero = np.zeros(1, dtype=np.int64)
    acc = ErrorAccumulator(width)
    # Pairs with a zero operand (the only ones whose exact product is 0): column b = 0 for
    # every a, then row a = 0 for every non-zero b.
    _eval_grid(acc, model, values, zero, False)
    _eval_grid(acc, model, zero, nonzero, False)
    # Tiles of (rows x cols) pairs: cache-sized temporaries, and the per-operand work of the
    # model stays small (rows + cols operands per rows * cols pairs).
    size = nonzero.size
    cols = min(size, chunk_pairs, TILE_MAX_COLS)
    rows = max(1, chunk_pairs // cols)
    n_blocks = -(-size // rows)
    total = (high - low + 1) ** 2
    finished = [total - size * size]
    progress(finished[0], total)

    def done(n_rows: int) -> None:
        finished[0] += n_rows * size
        progress(finished[0], total)

    method = _start_method(model) if workers > 1 and n_blocks > 1 else None
    if workers > 1 and n_blocks > 1 and method is None:
        warnings.warn(
            "Model cannot be pickled and fork is unavailable: running in one process",
            RuntimeWarning,
            stacklevel=3,
        )
    if method is None:
        _init_worker(model, width, signed, rows, cols)
        step = max(rows, -(-size // 64 // rows) * rows)  # about 64 progress steps
        try:
            for row in range(0, size, step):
                acc.merge(_run_blocks((row, min(row + step, size))))
                done(min(row + step, size) - row)
        finally:
            _WORKER.clear()
        return acc
    # Several tasks per worker for load balance; each task is whole row blocks, so the tiles
    # (and hence every float partial sum) are the same as in a serial run.
    per_task = -(-n_blocks // min(n_blocks, 8 * workers)) * rows
    tasks = [(row, min(row + per_task, size)) for row in range(0, size, per_task)]
    _run_parallel(model, width, signed, (rows, cols), tasks, workers, method, acc, done)
    return acc


def _draw(rng: np.random.Generator, size: int, width: int, signed: bool) -> np.ndarray:
    low, high = operand_range(width, signed)
    dtype = np.uint64 if high > np.iinfo(np.int64).max else np.int64
    values = rng.integers(low, high, size=size, dtype=dtype, endpoint=True)
    return values.astype(object) if uses_object_dtype(width) else values


def _characterise_sampled(
    model: Callable, width: int, signed: bool, samples: int, seed: int, chunk_pairs: int,
    progress: Callable[[int, int], None],
) -> ErrorAccumulator:
    rng = np.random.default_rng(seed)
    acc = ErrorAccumulator(width)
    remaining = samples
    while remaining:
        block = min(remaining, SAMPLE_DRAW_BLOCK)
        remaining -= block
        a_all = _draw(rng, block, width, signed)
        b_all = _draw(rng, block, width, signed)
        for start in range(0, block, chunk_pairs):
            a = a_all[start : start + chunk_pairs]
            b = b_all[start : start + chunk_pairs]
            approx = np.asarray(model(a, b))
            if approx.shape != a.shape:
                raise ValueError(f"Model returned shape {approx.shape} for {a.size} pairs")
            acc.add(approx, a * b)
        progress(samples - remaining, samples)
    return acc


def characterise(
    model: Callable,
    *,
    width: int | None = None,
    signed: bool | None = None,
    exhaustive: bool | None = None,
    samples: int | None = None,
    seed: int = 0,
    chunk_pairs: int = DEFAULT_CHUNK_PAIRS,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ErrorMetrics:
    """Characterise the error of a multiplier model against the exact product.

    Parameters
    ----------
    model : callable
        ``model(a, b)`` returning integer products of broadcast operand values, e.g. a golden
        model, a :func:`lut_model` or any function. Exhaustive runs call it on
        ``a_block[:, None]`` and ``b[None, :]`` grids.
    width : int, optional
        Operand width in bits, 2 to 64; defaults to ``model.width`` (required for plain
        callables).
    signed : bool, optional
        Operand signedness; defaults to ``model.signed`` (required for plain callables).
    exhaustive : bool, optional
        Evaluate all ``2**(2 * width)`` pairs (width <= 20). Default: True for width <= 12,
        otherwise ``samples`` random pairs.
    samples : int, optional
        Evaluate this many uniformly random pairs instead (default 1,000,000 when not
        exhaustive); mutually exclusive with ``exhaustive=True``.
    seed : int, optional
        Seed for :func:`numpy.random.default_rng` when sampling (default 0).
    chunk_pairs : int, optional
        Pairs per evaluated chunk; bounds the memory (about 8 bytes per pair per temporary).
    workers : int, optional
        Worker processes for exhaustive runs. Default: 2 (1 on a single-CPU machine) for
        exhaustive runs with width >= 12, else 1. Results do not depend on it.
    progress : callable, optional
        Called as ``progress(pairs_done, pairs_total)`` after each block of pairs (about 64
        calls in an exhaustive run, one per 2**20 sampled pairs), for progress displays.

    Returns
    -------
    ErrorMetrics
        The metrics (with ``sign_mode`` from ``model.sign_mode`` for signed models).

    Raises
    ------
    TypeError
        If a parameter has the wrong type or width/signed are missing for a plain callable.
    ValueError
        If a parameter is out of range, conflicts with the model, or the model returns
        products of the wrong shape.

    Notes
    -----
    Exhaustive runs evaluate the ``2 * 2**width - 1`` pairs with a zero operand first (the
    only ones whose exact product is 0), then tiles of about ``chunk_pairs`` non-zero pairs.
    Workers are forked on Linux (any callable works, no ``__main__`` guard needed); elsewhere
    they are spawned, which needs a picklable model and the usual
    ``if __name__ == "__main__":`` guard in scripts. Sampled runs draw ``a`` then ``b`` in
    blocks of 2**20 pairs from ``numpy.random.default_rng(seed)``, uniformly over the operand
    range, so the pairs depend only on ``seed`` and ``samples``.
    """
    if not callable(model):
        raise TypeError(f"Model must be callable, not {type(model).__name__}")
    width = check_int("Width", _model_attr(model, "width", width), 2, 64)
    signed = check_bool("Signed", _model_attr(model, "signed", signed))
    if exhaustive is not None:
        exhaustive = check_bool("Exhaustive", exhaustive)
    seed = check_int("Seed", seed, 0, (1 << 63) - 1)
    chunk_pairs = check_int("Chunk pairs", chunk_pairs, 1, 1 << 30)
    if samples is not None:
        samples = check_int("Samples", samples, 1, MAX_SAMPLES)
        if exhaustive:
            raise ValueError("Give either exhaustive=True or samples=N, not both")
        exhaustive = False
    elif exhaustive is None:
        exhaustive = width <= EXHAUSTIVE_DEFAULT_MAX_WIDTH
    if exhaustive and width > EXHAUSTIVE_MAX_WIDTH:
        raise ValueError(
            f"Exhaustive characterisation is limited to widths up to {EXHAUSTIVE_MAX_WIDTH} "
            f"(2**{2 * width} pairs at width {width}); use samples=N"
        )
    if workers is None:
        parallel = exhaustive and width >= PARALLEL_MIN_WIDTH
        workers = min(2, os.cpu_count() or 1) if parallel else 1
    else:
        workers = check_int("Workers", workers, 1, 256)
    sign_mode = getattr(model, "sign_mode", None) if signed else None
    if progress is None:
        def progress(done: int, total: int) -> None:
            pass
    elif not callable(progress):
        raise TypeError(f"Progress must be callable, not {type(progress).__name__}")
    if exhaustive:
        acc = _characterise_exhaustive(model, width, signed, chunk_pairs, workers, progress)
    else:
        if samples is None:
            samples = DEFAULT_SAMPLES
        acc = _characterise_sampled(model, width, signed, samples, seed, chunk_pairs, progress)
    return acc.result(signed=signed, sign_mode=sign_mode, exhaustive=exhaustive, seed=seed)
