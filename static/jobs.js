// Follows report jobs (li[data-job="<json url>"]) until they finish: moves the progress
// bar, shows the step, then the download link or the error. Without JavaScript the page
// refreshes itself (a <noscript> meta refresh) while a job is under way.
(function () {
  "use strict";
  var t = window.evalplatformT;  // static/i18n.js
  if (!window.fetch) return;

  function show(item, job) {
    var bar = item.querySelector("progress");
    if (bar) { bar.value = job.percent; bar.textContent = job.percent + "%"; }
    var state = item.querySelector(".job-state");
    item.dataset.status = job.status;
    item.className = "job job-" + job.status;
    state.textContent = "";
    if (job.status === "done" && job.download) {
      state.appendChild(document.createTextNode(t("已完成") + " · "));
      var link = document.createElement("a");
      link.href = job.download;
      link.textContent = t("下载");
      state.appendChild(link);
    } else if (job.status === "failed") {
      var error = document.createElement("span");
      error.className = "error";
      error.textContent = job.error || t("生成失败");
      state.appendChild(error);
    } else {
      state.textContent = t("{message}（{percent}%）", { message: job.message, percent: job.percent });
    }
  }

  function follow(item) {
    fetch(item.dataset.job, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) return;
        show(item, job);
        if (job.status === "queued" || job.status === "running") setTimeout(function () { follow(item); }, 1000);
        else if (job.status === "done") window.setTimeout(function () { window.location.reload(); }, 1500);
      })
      .catch(function () { setTimeout(function () { follow(item); }, 3000); });
  }

  document.querySelectorAll('li[data-job][data-status="queued"], li[data-job][data-status="running"]')
    .forEach(follow);
})();
