// Refreshes participation tables (data-live="<json url>") every 10 s without reloading.
// The page is complete without this script; it only keeps the numbers current.
(function () {
  "use strict";
  var tables = document.querySelectorAll("table[data-live]");
  if (!tables.length || !window.fetch) return;
  document.querySelectorAll(".live-note").forEach(function (n) { n.hidden = false; });

  function pct(used, issued) { return issued ? (100 * used / issued).toFixed(1) + "%" : "—"; }

  function update(row, used, issued) {
    if (!row) return;
    row.querySelector('[data-field="issued"]').textContent = issued;
    row.querySelector('[data-field="used"]').textContent = used;
    row.querySelector('[data-field="rate"]').textContent = pct(used, issued);
    var bar = row.querySelector("progress");
    if (bar) { bar.max = issued || 1; bar.value = used; bar.textContent = used + "/" + issued; bar.setAttribute("aria-valuenow", used); }
  }

  function refresh(table) {
    fetch(table.dataset.live, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var issued = 0, used = 0;
        data.groups.forEach(function (g) {
          issued += g.issued; used += g.used;
          table.querySelectorAll("tbody tr[data-group]").forEach(function (row) {
            if (row.dataset.group === g.name) update(row, g.used, g.issued);
          });
        });
        update(table.querySelector("tfoot tr"), used, issued);
      })
      .catch(function () { /* offline for a moment: keep the last numbers */ });
  }

  setInterval(function () { tables.forEach(refresh); }, 10000);
})();
