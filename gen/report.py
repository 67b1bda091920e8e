"""``make report``: the multiplier family's Verilog and error metrics in build/report/.

Writes ``verilog/`` (the default design set with sidecars), ``errors.json`` (one record per
design point), ``index.md`` and ``index.html`` (the same table). Error metrics are exhaustive for
every width up to 16 (2^32 operand pairs at 16 bits; ``samples`` makes widths above 8 sampled);
results are cached in ``build/cache/errors`` by golden model and evaluation mode, so reruns are
fast.
"""

from __future__ import annotations

import html
import json
import sys
import time
from pathlib import Path

from .designs import DEFAULT_SET, Instance, instantiate
from .verilog import emit

__all__ = ["build_report", "error_record"]

CACHE = Path("build") / "cache" / "errors"
COLUMNS = (
    ("module", "design point", "{}"),
    ("mode", "operands", "{}"),
    ("ep_pct", "EP %", "{:.2f}"),
    ("mred_pct", "MRED %", "{:.3f}"),
    ("mean_re_pct", "mean RE %", "{:+.3f}"),
    ("sd_re_pct", "sd(RE) %", "{:.3f}"),
    ("min_re_pct", "RE min %", "{:.2f}"),
    ("max_re_pct", "RE max %", "{:.2f}"),
    ("nmed", "NMED", "{:.3e}"),
    ("wce", "WCE", "{:.4g}"),
    ("wcre_pct", "WCRE %", "{:.2f}"),
    ("mae_pct", "MAE % (Evo)", "{:.4f}"),
    ("wce_pct", "WCE % (Evo)", "{:.4f}"),
)


def _progress(enabled: bool, text: str) -> None:
    if enabled:
        print(text, file=sys.stderr, flush=True)


def error_record(inst: Instance, samples: int | None = None) -> dict:
    """Error metrics of ``inst``'s golden model.

    Exhaustive up to 8 bits always, up to 16 bits unless ``samples`` is given; sampled beyond.
    """
    from sim_models.approx import characterise

    width = inst.params["width"]
    exhaustive = width <= 8 or (samples is None and width <= 16)
    key = "-".join(f"{k}={inst.params[k]}" for k in sorted(inst.params)
                   if inst.design.param(k).model)
    mode = "exhaustive" if exhaustive else f"samples={samples or 1_000_000}"
    path = CACHE / f"{inst.design.name}-{key}-{mode}.json"
    if path.exists():
        return json.loads(path.read_text())
    m = characterise(inst.model, exhaustive=True if exhaustive else None,
                     samples=None if exhaustive else (samples or 1_000_000), seed=1)
    record = m.to_dict()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1))
    return record


def _mode_text(r: dict) -> str:
    s = f"{r['width']}-bit {'signed' if r['signed'] else 'unsigned'}"
    if r.get("sign_mode"):
        s += f" ({r['sign_mode']})"
    return s + (", exhaustive" if r["exhaustive"] else f", {r['samples']} samples seed {r['seed']}")


def build_report(outdir: Path, *, samples: int | None = None, progress: bool = True) -> Path:
    """Write the report into ``outdir``; return the path of ``index.html``."""
    t_start = time.perf_counter()
    insts = [instantiate(name, params) for name, params in DEFAULT_SET]
    outdir = Path(outdir)
    records = []
    n = len(insts)
    for i, inst in enumerate(insts, 1):
        t0 = time.perf_counter()
        emit(inst, outdir / "verilog")
        r = error_record(inst, samples)
        r = {"module": inst.module, "design": inst.design.name, "params": inst.params,
             "mode": _mode_text(r), **r}
        records.append(r)
        _progress(progress, f"[{i:2d}/{n}] {inst.module:<22} verilog + error metrics "
                            f"({'exhaustive' if r['exhaustive'] else 'sampled'}) "
                            f"{time.perf_counter() - t0:6.1f} s")
    (outdir / "errors.json").write_text(json.dumps(records, indent=1) + "\n")
    header = [c[1] for c in COLUMNS]
    rows = [[fmt.format(r[key]) for key, _, fmt in COLUMNS] for r in records]
    notes = [
        "Error metrics of the golden models (bit-exact with the RTL, which `make test` checks).",
        "e = approx - exact; RE = e / exact over exact != 0; NMED = MED / (2^n - 1)^2;",
        "MAE % and WCE % follow EvoApproxLib: 100 * MED / 2^(2n) and 100 * WCE / 2^(2n).",
        "DRUM paper (Hashemi et al., ICCAD 2015): sd(RE) 3.61 % at k=5 and 0.45 % at k=8.",
        "Area and energy per operation come with the synthesis flow (not in this report yet).",
    ]
    md = ["# edgeforge report: approximate multipliers", "", *[f"- {x}" for x in notes], "",
          "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(row) + " |" for row in rows]
    (outdir / "index.md").write_text("\n".join(md) + "\n")
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                     for row in rows)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>edgeforge report</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:2px 6px;text-align:right}</style></head><body>"
        "<h1>edgeforge report: approximate multipliers</h1><ul>"
        + "".join(f"<li>{html.escape(x)}</li>" for x in notes)
        + f"</ul><table><tr>{cells}</tr>\n{body}</table></body></html>\n"
    )
    index = outdir / "index.html"
    index.write_text(page)
    _progress(progress, f"report written in {time.perf_counter() - t_start:.1f} s")
    return index
