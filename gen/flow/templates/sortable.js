// Sortable tables: a click on a header sorts the rows by that column (numbers by the cell's
// data-v, text otherwise; blank cells last), a second click reverses the order.
function efSortTable(th) {
  const table = th.closest("table");
  const col = Array.prototype.indexOf.call(th.parentNode.children, th);
  const numeric = th.classList.contains("num");
  const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
  for (const h of th.parentNode.children) { h.removeAttribute("aria-sort"); }
  th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
  const body = table.tBodies[0];
  const key = (tr) => {
    const td = tr.children[col];
    if (!numeric) { return td.textContent.trim(); }
    const v = td.getAttribute("data-v");
    return v === null || v === "" ? null : parseFloat(v);
  };
  const rows = Array.from(body.rows).map((tr, i) => [key(tr), i, tr]);
  rows.sort((a, b) => {
    if (a[0] === null || a[0] === "") { return b[0] === null || b[0] === "" ? a[1] - b[1] : 1; }
    if (b[0] === null || b[0] === "") { return -1; }
    const c = numeric ? a[0] - b[0] : a[0].localeCompare(b[0], undefined, {numeric: true});
    return c === 0 ? a[1] - b[1] : dir * c;
  });
  for (const r of rows) { body.appendChild(r[2]); }
}
document.addEventListener("click", (ev) => {
  const th = ev.target.closest("table.sortable thead th");
  if (th) { efSortTable(th); }
});
