// Issuing codes: one click issues one batch. While the server makes the download (about
// 20 ms a slip: a thousand slips take some 20 s) a progress bar shows the estimated time;
// the server answers with a cookie carrying this page's nonce when the download starts,
// then the page reloads to show the new batch. Without JavaScript the form posts as usual.
(function () {
  "use strict";
  var t = window.evalplatformT;  // static/i18n.js
  var form = document.querySelector("form[data-issue-codes]");
  if (!form || !window.crypto || !window.crypto.getRandomValues) return;
  var button = form.querySelector('button[type="submit"]');
  var box = form.querySelector(".issue-progress");
  var bar = box.querySelector("progress");
  var state = box.querySelector(".issue-state");
  var tokenField = form.querySelector('input[name="download_token"]');
  var busy = false;

  function nonce() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function started(token) {
    return document.cookie.split("; ").some(function (c) { return c === "codes_download=" + token; });
  }

  form.addEventListener("submit", function (event) {
    if (busy) { event.preventDefault(); return; }  // a second click would issue a second batch
    var count = parseInt(form.querySelector('[name="count"]').value, 10) || 0;
    var slips = form.querySelector('[name="slips"]');
    var seconds = slips && slips.checked ? 1.5 + 0.02 * count : 0.5 + 0.0005 * count;
    var token = nonce();
    tokenField.value = token;
    busy = true;
    button.disabled = true;
    box.hidden = false;
    bar.value = 0;
    var values = { count: count, seconds: Math.max(1, Math.round(seconds)) };
    state.textContent = slips && slips.checked
      ? t("正在生成{count} 个访问码和二维码纸条，预计约 {seconds} 秒，请勿关闭页面…", values)
      : t("正在生成{count} 个访问码，预计约 {seconds} 秒，请勿关闭页面…", values);
    var begin = Date.now();
    var timer = setInterval(function () {
      if (started(token)) {
        clearInterval(timer);
        bar.value = 100;
        state.textContent = t("已开始下载。请妥善保存下载的文件。");
        // a GET (never a reload: after a refused post that would post the form again)
        setTimeout(function () { window.location.replace(window.location.pathname); }, 1500);
        return;
      }
      // the estimate fills 90% of the bar; past it the bar creeps on without reaching the end
      var elapsed = (Date.now() - begin) / 1000;
      var share = elapsed <= seconds ? 90 * elapsed / seconds : 90 + 9 * (1 - seconds / elapsed);
      bar.value = Math.min(99, share);
    }, 250);
  });
})();
