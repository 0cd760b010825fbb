// Keeps participation counts current without reloading the page, every 10 s while the
// page is visible (and at once when it becomes visible again):
// - a campaign's table: <table data-live="<campaign participation.json>">;
// - a dashboard: <div data-live-all="<participation.json>"> holding one
//   [data-campaign="<id>"] block per campaign (tables, and a [data-field="summary"] line).
// The page is complete without this script; it only keeps the numbers current.
(function () {
  "use strict";
  var t = window.evalplatformT;  // static/i18n.js
  var INTERVAL = 10000;
  var tables = Array.prototype.slice.call(document.querySelectorAll("table[data-live]"));
  var boards = Array.prototype.slice.call(document.querySelectorAll("[data-live-all]"));
  if ((!tables.length && !boards.length) || !window.fetch) return;

  // rounded half up, as the server prints every number (scoring/ranking.py)
  function pct(used, issued) {
    return issued ? (Math.floor(1000 * used / issued + 0.5 + 1e-6) / 10).toFixed(1) + "%" : "—";
  }

  function setText(scope, field, value) {
    var cell = scope.querySelector('[data-field="' + field + '"]');
    if (cell && cell.textContent !== String(value)) cell.textContent = value;
  }

  function updateRow(row, used, issued) {
    if (!row) return;
    setText(row, "issued", issued);
    setText(row, "used", used);
    setText(row, "rate", pct(used, issued));
    var bar = row.querySelector("progress");
    if (bar) { bar.max = issued || 1; bar.value = used; bar.textContent = used + "/" + issued; }
  }

  // One campaign's numbers into every table (and summary line) inside `scope`.
  function apply(scope, data) {
    var issued = 0, used = 0;
    data.groups.forEach(function (g) {
      issued += g.issued; used += g.used;
      scope.querySelectorAll("tbody tr[data-group]").forEach(function (row) {
        if (row.dataset.group === g.name) updateRow(row, g.used, g.issued);
      });
    });
    scope.querySelectorAll("tfoot tr").forEach(function (row) { updateRow(row, used, issued); });
    setText(scope, "summary", t("参评 {used} / {issued}", { used: used, issued: issued }) +
      (issued ? t("（{rate}）", { rate: pct(used, issued) }) : ""));
    if (scope.dataset && scope.dataset.status !== undefined) scope.dataset.status = data.status;
  }

  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; });
  }

  function refresh() {
    if (document.hidden) return;
    tables.forEach(function (table) {
      get(table.dataset.live).then(function (data) { if (data) apply(table, data); })
        .catch(function () { /* offline for a moment: keep the last numbers */ });
    });
    boards.forEach(function (board) {
      get(board.dataset.liveAll).then(function (data) {
        if (!data) return;
        data.campaigns.forEach(function (c) {
          var scope = board.querySelector('[data-campaign="' + c.campaign + '"]');
          if (scope) apply(scope, c);
        });
      }).catch(function () { /* keep the last numbers */ });
    });
  }

  document.querySelectorAll(".live-note").forEach(function (n) { n.hidden = false; });
  setInterval(refresh, INTERVAL);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
