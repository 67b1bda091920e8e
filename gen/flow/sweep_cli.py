"""``edgeforge sweep SPEC.toml``: a design-space sweep from the command line.

Exit status: 0 when every point was measured; ``100 + n`` when ``n`` points failed (at most
199: 99 or more failed), their rows recorded with the message and a repro command; 2 for a bad
spec, option or directory (nothing run, nothing written); 130 interrupted (finished points are
in the cache: the same command resumes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

from . import sweep
from .cli_support import WORKERS, UsageError, check_dirs, make_dirs
from .executor import make_executor

__all__ = ["add_parser", "cmd_sweep", "EXIT_FAILED_BASE"]

#: ``100 + n``: ``n`` points failed.
EXIT_FAILED_BASE = 100


def add_parser(sub) -> None:
    """Add ``sweep`` to the subparsers ``sub``."""
    p = sub.add_parser(
        "sweep", help="measure every point of a spec file (area, energy, errors, cycles): "
                      "results.csv, results.jsonl, explorer.html",
        description="Run the design points of SPEC.toml through the flow. Finished points "
                    "come from the cache (EDGEFORGE_CACHE, default build/cache): an "
                    "interrupted sweep resumes. Exit status 100+n when n points failed.")
    p.add_argument("spec", metavar="SPEC.toml", help="the sweep spec (see docs/sweeps.md)")
    p.add_argument("-o", "--output", help="output directory (default build/sweep/<spec name>)")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local process pool (default) or Dask")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a running Dask scheduler (tcp://HOST:PORT); without it, --executor "
                        "dask starts a LocalCluster")
    p.add_argument("--workers", type=WORKERS, default=2,
                   help="worker processes (local pool or LocalCluster; default 2)")
    p.add_argument("--quiet", action="store_true", help="no progress display")


def cmd_sweep(args: argparse.Namespace) -> int:
    """Handler of ``edgeforge sweep``."""
    if args.scheduler is not None and args.executor != "dask":
        raise UsageError("--scheduler needs --executor dask")
    executor = make_executor(args.executor, workers=args.workers, scheduler=args.scheduler)
    out = Path(args.output or Path("build") / "sweep" / Path(args.spec).stem)
    dirs = ((out, "-o directory"), (sweep.cache_root(), "cache directory"))
    check_dirs(*dirs)
    spec = sweep.load_spec(args.spec)
    make_dirs(*dirs)
    show = _Progress(len(spec.points), enabled=not args.quiet)
    t0 = time.perf_counter()
    try:
        result = sweep.run_sweep(spec, executor, progress=show.update)
    finally:
        show.close()
    written = sweep.write_outputs(out, spec, result)
    print(f"{len(result.rows)} points: {result.computed} measured, {result.cached} from the "
          f"cache, {result.failed} failed, in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    for row in result.rows:
        if row["status"] != "ok":
            print(f"failed: {row['module']} [{row['library']}]: {row['error']}\n"
                  f"  repro: {row['repro']}", file=sys.stderr)
    for path in written.values():
        print(path)
    return 0 if not result.failed else EXIT_FAILED_BASE + min(result.failed, 99)


class _Progress:
    """A bar with ETA on a terminal (tqdm), else one plain line per point on stderr."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = total, enabled
        self.bar = None
        if enabled and sys.stderr.isatty():
            self.bar = tqdm(total=total, unit="point", file=sys.stderr, dynamic_ncols=True)

    def update(self, done: int, total: int, row: dict, seconds: float) -> None:
        if not self.enabled:
            return
        what = "cached" if row.get("cached") else row["status"]
        if self.bar is not None:
            self.bar.set_postfix_str(f"{row['module']} {what}", refresh=False)
            self.bar.update(1)
            return
        width = len(str(total))
        print(f"[{done:{width}d}/{total}] {row['module']} [{row['library']}] {what} "
              f"{seconds:.1f} s", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
