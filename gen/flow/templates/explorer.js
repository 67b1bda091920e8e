// The explorer: a scatter plot of two numeric columns of EF.rows, coloured by a column, with
// the Pareto front (both axes minimised), and a table of the rows; the filter box hides rows
// in both. EF = {columns, numeric, groups, x, y, group, rows}.
(function () {
  const EF = JSON.parse(document.getElementById("ef-data").textContent);
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const fmt = (v) => v === null ? "" : (typeof v === "number" && !Number.isInteger(v)
    ? Number(v.toPrecision(6)).toString() : String(v));
  const col = (name) => EF.columns.indexOf(name);
  const hover = EF.rows.map((r) => EF.columns.map(
    (c, j) => "<b>" + esc(c) + "</b>: " + esc(fmt(r[j]))).join("<br>"));
  const table = $("ef-table");
  const rowIndex = Array.from(table.tBodies[0].rows, (tr) => tr);

  function fill(select, names, chosen, none) {
    if (none) { select.add(new Option("(one colour)", "")); }
    for (const n of names) { select.add(new Option(n, n)); }
    select.value = chosen === null ? "" : chosen;
  }

  function shown() {
    const terms = $("ef-filter").value.toLowerCase().split(/\s+/).filter((t) => t);
    const keep = [];
    for (const tr of rowIndex) {
      const text = tr.textContent.toLowerCase();
      const ok = terms.every((t) => text.includes(t));
      tr.hidden = !ok;
      if (ok) { keep.push(Number(tr.dataset.i)); }
    }
    $("ef-count").textContent = keep.length + " of " + EF.rows.length + " rows";
    return keep.sort((a, b) => a - b);
  }

  function pareto(points) {
    const sorted = points.slice().sort((a, b) => a.x - b.x || a.y - b.y);
    const front = [];
    for (const p of sorted) {
      if (front.length === 0 || p.y < front[front.length - 1].y) { front.push(p); }
    }
    return front;
  }

  function draw(keep) {
    if (!$("ef-plot")) { return; }
    const xi = col($("ef-x").value), yi = col($("ef-y").value);
    const gi = $("ef-group").value === "" ? -1 : col($("ef-group").value);
    const logx = $("ef-logx").checked, logy = $("ef-logy").checked;
    const ok = (v, log) => typeof v === "number" && isFinite(v) && (!log || v > 0);
    const byGroup = new Map();
    const points = [];
    for (const i of keep) {
      const r = EF.rows[i];
      if (!ok(r[xi], logx) || !ok(r[yi], logy)) { continue; }
      const g = gi < 0 ? "all points" : fmt(r[gi]) || "(empty)";
      if (!byGroup.has(g)) { byGroup.set(g, {x: [], y: [], text: [], customdata: []}); }
      const t = byGroup.get(g);
      t.x.push(r[xi]); t.y.push(r[yi]); t.text.push(hover[i]); t.customdata.push(i);
      points.push({x: r[xi], y: r[yi], i: i});
    }
    const names = Array.from(byGroup.keys()).sort((a, b) => a.localeCompare(b, undefined,
      {numeric: true}));
    const traces = names.map((g) => Object.assign({type: "scatter", mode: "markers", name: g,
      hoverinfo: "text", marker: {size: 9, opacity: 0.85}}, byGroup.get(g)));
    const front = pareto(points);
    traces.push({type: "scatter", mode: "lines", name: "Pareto front (" + front.length + ")",
      x: front.map((p) => p.x), y: front.map((p) => p.y), hoverinfo: "skip",
      line: {color: "#222", width: 1.5, dash: "dot"}});
    const axis = (name, log) => ({title: {text: name}, type: log ? "log" : "linear",
      zeroline: false, automargin: true});
    Plotly.react("ef-plot", traces, {
      xaxis: axis(EF.columns[xi], logx), yaxis: axis(EF.columns[yi], logy),
      hovermode: "closest", margin: {l: 70, r: 20, t: 30, b: 60},
      legend: {title: {text: gi < 0 ? "" : EF.columns[gi]}},
      uirevision: EF.columns[xi] + "|" + EF.columns[yi] + "|" + logx + "|" + logy,
    }, {responsive: true, displaylogo: false});
  }

  if ($("ef-plot")) {
    fill($("ef-x"), EF.numeric, EF.x, false);
    fill($("ef-y"), EF.numeric, EF.y, false);
    fill($("ef-group"), EF.groups, EF.group, true);
    for (const id of ["ef-x", "ef-y", "ef-group", "ef-logx", "ef-logy"]) {
      $(id).addEventListener("change", () => draw(shown()));
    }
  }
  $("ef-filter").addEventListener("input", () => draw(shown()));
  draw(shown());
})();
