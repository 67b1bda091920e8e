"""Benchmark: exhaustive error characterisation of 16-bit unsigned DRUM_k (2**32 pairs).

Usage::

    python benchmarks/exhaustive_errors.py [K] [--repeat N] [--workers W] [--baseline]
                                           [--width N] [--chunk-pairs N] [--json]

Prints the seconds of every run, their median, the peak resident memory of this process and
of its worker processes (``resource.getrusage``), and the metrics. ``--baseline`` adds one
single-worker run and prints its ratio to the median.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time

from sim_models.approx import DEFAULT_CHUNK_PAIRS, DrumModel, characterise


def peak_rss_mib() -> tuple[float, float]:
    """Peak resident set size of this process and of its largest reaped child, in MiB.

    Returns
    -------
    tuple of float
        ``(self, children)``; Linux reports ``ru_maxrss`` in KiB.
    """
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / (1024 * 1024)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    return own, children


def timed_run(model: DrumModel, workers: int | None, chunk_pairs: int) -> tuple[float, object]:
    """Run one exhaustive characterisation and time it.

    Parameters
    ----------
    model : DrumModel
        The model to characterise.
    workers : int or None
        Worker processes (None: the library default).
    chunk_pairs : int
        Pairs per chunk.

    Returns
    -------
    tuple
        ``(seconds, ErrorMetrics)``.
    """
    start = time.perf_counter()
    result = characterise(model, exhaustive=True, workers=workers, chunk_pairs=chunk_pairs)
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> int:
    """Entry point.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("k", nargs="?", type=int, default=6, help="DRUM k (default 6)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--width", type=int, default=16, help="operand width (default 16)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes")
    parser.add_argument(
        "--chunk-pairs", type=int, default=DEFAULT_CHUNK_PAIRS, help="pairs per chunk"
    )
    parser.add_argument("--baseline", action="store_true", help="add one single-worker run")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    model = DrumModel(args.width, args.k, signed=False)
    pairs = 2 ** (2 * args.width)
    print(f"{model.name}: exhaustive, {pairs} pairs, workers={args.workers or 'default'}, "
          f"chunk_pairs={args.chunk_pairs}")  # fmt: skip
    times = []
    result = None
    for i in range(args.repeat):
        seconds, result = timed_run(model, args.workers, args.chunk_pairs)
        times.append(seconds)
        print(f"run {i + 1}: {seconds:.2f} s ({pairs / seconds / 1e6:.1f} M pairs/s)")
    median = statistics.median(times)
    print(f"median: {median:.2f} s")
    if args.baseline:
        seconds, _ = timed_run(model, 1, args.chunk_pairs)
        print(f"baseline (1 worker): {seconds:.2f} s, {seconds / median:.2f}x the median")
    own, children = peak_rss_mib()
    print(f"peak RSS: {own:.0f} MiB (this process), {children:.0f} MiB (largest worker)")
    print(result.describe())
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
