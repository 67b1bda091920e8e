"""Value changes per second and peak memory of :func:`gen.eda.activity.read_activity` on a
large VCD.

The script writes a synthetic VCD under ``build/bench/activity/`` (by default 20,000 one-bit
nets with gate-level style escaped names plus 200 32-bit buses, about 60 million value changes,
~0.28 GB; the file is reused while its parameters are unchanged), then measures in fresh child
processes, so that each peak RSS (``resource.getrusage``) belongs to one reader only:

* ``read_activity`` on the whole file (median of ``--repeat`` runs), also gzip-compressed when
  ``--gzip`` is given;
* pyvcd's tokenizer (``vcd.reader.tokenize``, the baseline) on the first ``--baseline`` value
  changes of the same file, stopped there, so the ratio compares per-change rates.

Counts are checked: every net toggles as often as the generator made it toggle.
Usage: ``python benchmarks/activity_speed.py [--changes 60000000] [--nets 20000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUILD = ROOT / "build" / "bench" / "activity"


def code(n: int) -> str:
    """The n-th VCD identifier code (printable ASCII 33..126, little-endian digits)."""
    chars = []
    n += 1
    while n:
        n, r = divmod(n - 1, 94)
        chars.append(chr(33 + r))
    return "".join(chars)


def write_vcd(path: Path, nets: int, buses: int, changes: int, seed: int) -> dict:
    """Write the synthetic dump; return what the reader must find in it."""
    rng = np.random.default_rng(seed)
    header = ["$date synthetic $end", "$version activity_speed $end", "$timescale 1ps $end",
              "$scope module tb $end", "$var reg 1 ! clk $end", "$scope module dut $end"]
    for i in range(nets):
        header.append(f"$var wire 1 {code(i + 1)} \\n{i // 16}[{i % 16}] $end")
    for j in range(buses):
        header.append(f"$var wire 32 {code(nets + 1 + j)} bus{j} [31:0] $end")
    header += ["$upscope $end", "$upscope $end", "$enddefinitions $end", "#0", "$dumpvars"]
    zero = np.array([f"0{code(i + 1)}\n".encode() for i in range(nets)], dtype=object)
    one = np.array([f"1{code(i + 1)}\n".encode() for i in range(nets)], dtype=object)
    bus_codes = [code(nets + 1 + j) for j in range(buses)]
    state = np.zeros(nets, dtype=bool)
    toggles = np.zeros(nets, dtype=np.int64)
    bus_changes = 0
    per_step = max(1, nets // 10)  # a tenth of the nets change per time step
    written = 0
    with open(path, "wb") as out:
        out.write(("\n".join(header) + "\n").encode())
        out.write(b"".join(zero.tolist()))
        out.write(b"".join(f"b0 {c}\n".encode() for c in bus_codes))
        out.write(b"0!\n$end\n")
        written += nets + buses + 1
        t = 0
        while written < changes:
            t += 500
            idx = rng.choice(nets, size=per_step, replace=False)
            state[idx] ^= True
            toggles[idx] += 1
            chunk = [f"#{t}\n1!\n".encode() if (t // 500) % 2 else f"#{t}\n0!\n".encode()]
            chunk.append(b"".join(np.where(state[idx], one[idx], zero[idx]).tolist()))
            nb = int(rng.integers(0, 3))  # a few bus changes, left-truncated as writers do
            for j in rng.choice(buses, size=nb, replace=False) if buses else []:
                chunk.append(f"b{int(rng.integers(0, 1 << 32)):b} {bus_codes[j]}\n".encode())
            bus_changes += nb
            out.write(b"".join(chunk))
            written += per_step + 1 + nb
    return {"changes": written, "end": t, "toggles": int(toggles.sum()),
            "toggles_n0_0": int(toggles[0]), "bus_changes": bus_changes}


def child_read(path: str) -> None:
    from gen.eda.activity import read_activity

    t0, c0 = time.perf_counter(), time.process_time()
    act = read_activity(path, "tb")
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    nets_total = sum(v for (sub, name, idx), v in act.bits.items() if name.startswith("n"))
    print(json.dumps({"seconds": elapsed, "cpu": cpu, "rss": rss, "bits": len(act.bits),
                      "net_toggles": nets_total, "n0_0": act.bits[(("dut",), "n0[0]", None)],
                      "clk": act.bits[((), "clk", None)], "end": act.end}))


def child_pyvcd(path: str, limit: int) -> None:
    from vcd.reader import TokenKind, tokenize

    kinds = (TokenKind.CHANGE_SCALAR, TokenKind.CHANGE_VECTOR)
    t0 = time.perf_counter()
    n = 0
    with open(path, "rb") as stream:
        for token in tokenize(stream):
            if token.kind in kinds:
                n += 1
                if n >= limit:
                    break
    elapsed = time.perf_counter() - t0
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": elapsed, "rss": rss, "changes": n}))


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=60_000_000, help="value changes to write")
    parser.add_argument("--nets", type=int, default=20_000, help="one-bit nets")
    parser.add_argument("--buses", type=int, default=200, help="32-bit buses")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--baseline", type=int, default=300_000,
                        help="value changes read with pyvcd's tokenizer")
    parser.add_argument("--gzip", action="store_true", help="also time the .vcd.gz")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child[0] == "read":
            child_read(args.child[1])
        else:
            child_pyvcd(args.child[1], int(args.child[2]))
        return

    BUILD.mkdir(parents=True, exist_ok=True)
    stem = f"synth_{args.nets}n_{args.buses}b_{args.changes}c_s{args.seed}"
    vcd = BUILD / f"{stem}.vcd"
    meta_path = BUILD / f"{stem}.json"
    if not (vcd.is_file() and meta_path.is_file()):
        t0 = time.perf_counter()
        meta = write_vcd(vcd, args.nets, args.buses, args.changes, args.seed)
        meta_path.write_text(json.dumps(meta))
        print(f"wrote {vcd} in {time.perf_counter() - t0:.1f} s")
    meta = json.loads(meta_path.read_text())
    size = vcd.stat().st_size
    print(f"file: {vcd.name}, {size / 1e6:.0f} MB, {meta['changes']:,} value changes "
          f"({meta['bus_changes']:,} of 32-bit buses), {args.nets:,} nets + {args.buses} buses")

    files = [vcd]
    if args.gzip:
        packed = vcd.with_suffix(".vcd.gz")
        if not packed.is_file():
            with open(vcd, "rb") as src, gzip.open(packed, "wb", compresslevel=1) as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
        files.append(packed)

    rates = {}
    for path in files:
        runs = [run_child("read", str(path)) for _ in range(args.repeat)]
        first = runs[0]
        assert first["net_toggles"] == meta["toggles"], (first, meta)
        assert first["n0_0"] == meta["toggles_n0_0"] and first["end"] == meta["end"]
        seconds = statistics.median(r["seconds"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        rss = max(r["rss"] for r in runs)
        rate = meta["changes"] / seconds
        rates[path.name] = rate
        each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        print(f"read_activity {path.name}: {seconds:.2f} s (median of {args.repeat}: {each}), "
              f"{rate / 1e6:.2f} M changes/s ({meta['changes'] / cpu / 1e6:.2f} M/s of CPU "
              f"time), {size / seconds / 1e6:.0f} MB/s of VCD text, "
              f"peak RSS {rss / 2**20:.0f} MiB, {first['bits']:,} bits tracked, counts checked")

    base = [run_child("pyvcd", str(vcd), str(args.baseline)) for _ in range(args.repeat)]
    seconds = statistics.median(r["seconds"] for r in base)
    base_rate = base[0]["changes"] / seconds
    print(f"pyvcd tokenize (first {base[0]['changes']:,} changes, no counting): "
          f"{base_rate / 1e6:.3f} M changes/s, peak RSS {max(r['rss'] for r in base) / 2**20:.0f}"
          f" MiB; read_activity is {rates[vcd.name] / base_rate:.0f}x faster")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
