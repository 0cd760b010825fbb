// The respondent's ballot, made easier with JavaScript (it works without):
// - progress "已答 x / y" and a button to jump to the next unanswered question;
// - answers kept in this tab (sessionStorage, keyed by the campaign — never the code)
//   and restored after a reload or a dropped connection; cleared once submitted;
// - a warning before leaving the page with answers not yet submitted;
// - submitting through fetch, so that a dropped connection leaves the page as it is.
(function () {
  "use strict";
  var PREFIX = "evalplatform:";
  var t = window.evalplatformT;  // static/i18n.js

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  // The receipt (and a refusal that makes the answers useless) clears what was kept.
  var done = document.querySelector("[data-ballot-clear]");
  if (done) {
    var store = storage();
    if (store) {
      for (var k = store.length - 1; k >= 0; k--) {
        var name = store.key(k);
        if (name && name.indexOf(PREFIX + "ballot-") === 0) store.removeItem(name);
      }
    }
    return;
  }

  var form = document.getElementById("ballot");
  if (!form) return;
  var fieldsets = Array.prototype.slice.call(form.querySelectorAll("fieldset.item"));
  if (!fieldsets.length) return;
  var required = fieldsets.filter(function (f) { return f.hasAttribute("data-required"); });
  var counted = required.length ? required : fieldsets;
  var progressBox = document.getElementById("ballot-progress");
  var progressBar = document.getElementById("ballot-progress-bar");
  var progressText = document.getElementById("ballot-progress-text");
  var nextButton = document.getElementById("next-unanswered");
  var notice = document.getElementById("ballot-notice");
  var submitButton = form.querySelector('button[type="submit"]');
  var key = form.dataset.store ? PREFIX + form.dataset.store : null;
  var rules = form.dataset.rules || "";
  var sent = false;

  function answered(fieldset) {
    if (fieldset.querySelector("input[type=radio]:checked, input[type=checkbox]:checked")) return true;
    var typed = fieldset.querySelector("textarea, input[type=number]");
    return !!(typed && typed.value.trim());
  }

  // A multiple-choice question offers no more boxes once its most are ticked.
  function limit(fieldset) {
    if (!fieldset || fieldset.dataset.kind !== "multiple") return;
    var most = parseInt(fieldset.dataset.max, 10);
    var boxes = Array.prototype.slice.call(fieldset.querySelectorAll("input[type=checkbox]"));
    var ticked = boxes.filter(function (b) { return b.checked; }).length;
    boxes.forEach(function (b) { if (!b.checked) b.disabled = ticked >= most; });
  }

  // An open question counts the characters left.
  function count(area) {
    var counter = area && area.dataset.counter && document.getElementById(area.dataset.counter);
    if (!counter) return;
    var most = parseInt(area.getAttribute("maxlength"), 10);
    counter.textContent = t("已输入 {count} / {max} 字", { count: area.value.length, max: most });
  }

  // A required question left unanswered at submit is marked until it is answered.
  function mark(fieldset, missing) {
    fieldset.classList.toggle("is-missing", missing);
    if (missing) fieldset.setAttribute("aria-invalid", "true");
    else if (!fieldset.querySelector(".error")) fieldset.removeAttribute("aria-invalid");
  }

  function say(text, kind) {
    if (!notice) return;
    notice.textContent = text;
    notice.className = "ballot-notice" + (kind ? " " + kind : "");
    notice.hidden = !text;
  }

  // -- progress --------------------------------------------------------------------------
  function update() {
    var done = counted.filter(answered).length;
    progressBar.max = counted.length;
    progressBar.value = done;
    progressText.textContent = t("已答 {done} / {total}", { done: done, total: counted.length }) +
      (required.length && required.length < fieldsets.length ? t("（必答项）") : "");
    nextButton.disabled = done === counted.length;
    nextButton.textContent = done === counted.length ? t("已全部作答") : t("下一个未答");
    form.querySelectorAll(".unit-card").forEach(function (card) {
      var own = Array.prototype.filter.call(card.querySelectorAll("fieldset.item"), function (f) {
        return counted.indexOf(f) >= 0;
      });
      card.classList.toggle("is-done", own.length > 0 && own.every(answered));
    });
    form.querySelectorAll("details.category").forEach(function (cat) {
      var own = Array.prototype.filter.call(cat.querySelectorAll("fieldset.item"), function (f) {
        return counted.indexOf(f) >= 0;
      });
      var n = own.filter(answered).length;
      var text = n === own.length ? t("✓ 已完成") : t("已答 {done} / {total}", { done: n, total: own.length });
      var state = cat.querySelector("[data-category-state]");
      if (state) { state.hidden = false; state.textContent = text; state.classList.toggle("complete", n === own.length); }
      var toc = document.querySelector('[data-category-count="' + cat.id + '"]');
      if (toc) { toc.textContent = text; toc.classList.toggle("complete", n === own.length); }
    });
  }

  function reveal(element) {
    for (var node = element; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) node.open = true;
    }
  }

  function goTo(fieldset) {
    reveal(fieldset);
    var input = fieldset.querySelector("input:checked") || fieldset.querySelector("input");
    fieldset.scrollIntoView({ block: "center", behavior: "smooth" });
    if (input) input.focus({ preventScroll: true });
  }

  function nextUnanswered() {
    var open = counted.filter(function (f) { return !answered(f); });
    if (!open.length) return;
    // the first unanswered one below the question in focus (or the top of the screen)
    var current = document.activeElement && document.activeElement.closest &&
      document.activeElement.closest("fieldset.item");
    var from = current ? fieldsets.indexOf(current) : -1;
    if (from < 0) {
      from = -1;
      for (var i = 0; i < fieldsets.length; i++) {
        if (fieldsets[i].getBoundingClientRect().bottom > 0) { from = i - 1; break; }
      }
    }
    var target = open.filter(function (f) { return fieldsets.indexOf(f) > from; })[0] || open[0];
    goTo(target);
  }

  // -- keeping the answers in this tab ------------------------------------------------------
  function collect() {
    var data = {};
    form.querySelectorAll("input[type=radio]:checked").forEach(function (r) { data[r.name] = r.value; });
    form.querySelectorAll("input[type=checkbox]:checked").forEach(function (r) {
      (data[r.name] = data[r.name] || []).push(r.value);
    });
    form.querySelectorAll("textarea, input[type=number]").forEach(function (t) { if (t.value.trim()) data[t.name] = t.value; });
    return data;
  }

  function unsent() {
    return !sent && Object.keys(collect()).length > 0;
  }

  function save() {
    var store = storage();
    if (!key || !store) return;
    try {
      var answers = collect();
      if (Object.keys(answers).length) store.setItem(key, JSON.stringify({ rules: rules, answers: answers }));
      else store.removeItem(key);
    } catch (e) { /* storage full or refused: the page still holds the answers */ }
  }

  function restore() {
    var store = storage();
    if (!key || !store) return 0;
    var kept;
    try { kept = JSON.parse(store.getItem(key) || "null"); } catch (e) { kept = null; }
    if (!kept || kept.rules !== rules || !kept.answers) return 0;
    var restored = 0;
    Object.keys(kept.answers).forEach(function (name) {
      var value = kept.answers[name];
      var fields = form.elements.namedItem(name);
      if (!fields) return;
      if (fields.tagName === "TEXTAREA" || (fields.tagName === "INPUT" && fields.type === "number")) {
        if (!fields.value.trim()) {
          fields.value = value;
          var box = fields.closest("details");
          if (box) box.open = true;
        }
        return;
      }
      var radios = fields.length !== undefined ? Array.prototype.slice.call(fields) : [fields];
      if (radios.some(function (r) { return r.checked; })) return;
      var wanted = Array.isArray(value) ? value : [value];
      radios.forEach(function (r) {
        if (wanted.indexOf(r.value) >= 0) { r.checked = true; restored += 1; }
      });
    });
    return restored;
  }

  // -- submitting ----------------------------------------------------------------------------
  function offline() {
    say(t("网络连接已中断。您填写的内容仍保存在本页，网络恢复后再点“提交评议”即可。"), "warn");
  }

  form.addEventListener("submit", function (event) {
    // what is missing is said here, without a trip to the server (which checks again)
    var missing = required.filter(function (f) { return !answered(f); });
    fieldsets.forEach(function (f) { mark(f, missing.indexOf(f) >= 0); });
    if (missing.length) {
      event.preventDefault();
      say(t("还有 {count} 项必答未作答，已为您跳到第一项。", { count: missing.length }), "warn");
      goTo(missing[0]);
      return;
    }
    if (!window.fetch || !window.FormData) return;  // the ordinary form post
    event.preventDefault();
    save();
    if (navigator.onLine === false) { offline(); return; }
    submitButton.disabled = true;
    form.setAttribute("aria-busy", "true");
    say(t("正在提交…"), "");
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         redirect: "follow" })
      .then(function (response) {
        if (response.redirected && /\/done$/.test(new URL(response.url).pathname)) {
          sent = true;  // stored: the receipt page clears what was kept
          window.location.assign(response.url);
          return;
        }
        // Not stored (a missing answer, a used code…): show the server's page, as the
        // ordinary form post would have. The answers stay kept until the receipt.
        return response.text().then(function (html) {
          sent = true;
          document.open();
          document.write(html);
          document.close();
        });
      })
      .catch(function () {
        submitButton.disabled = false;
        form.removeAttribute("aria-busy");
        offline();
      });
  });

  window.addEventListener("offline", offline);
  window.addEventListener("online", function () {
    say(t("网络已恢复，可以提交。"), "ok");
  });

  window.addEventListener("beforeunload", function (event) {
    if (!unsent()) return undefined;
    save();
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to ask
    return "";
  });

  // An answered question is no longer marked as missing.
  function settle(fieldset) {
    if (!fieldset || !fieldset.classList.contains("has-error") || !answered(fieldset)) return;
    fieldset.classList.remove("has-error");
    fieldset.removeAttribute("aria-invalid");
    var message = fieldset.querySelector(".error");
    if (message) message.hidden = true;
    var card = fieldset.closest(".unit-card");
    if (card && !card.querySelector("fieldset.item.has-error")) card.classList.remove("has-error");
  }

  form.addEventListener("change", function (event) {
    var own = event.target.closest && event.target.closest("fieldset.item");
    if (own && answered(own)) mark(own, false);
    limit(event.target.closest && event.target.closest("fieldset.item"));
    settle(event.target.closest && event.target.closest("fieldset.item"));
    if (notice && /\bok\b/.test(notice.className)) say("", "");
    update();
    save();
  });
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA") count(event.target);
    if (event.target.tagName === "TEXTAREA" || event.target.type === "number") { update(); save(); }
  });

  // links to a question (the error summary, the table of contents) open its category
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href^="#"]');
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (target) reveal(target);
  });
  if (location.hash) {
    var target = document.getElementById(location.hash.slice(1));
    if (target) reveal(target);
  }

  nextButton.addEventListener("click", nextUnanswered);
  var restored = restore();
  fieldsets.forEach(limit);
  form.querySelectorAll("textarea[data-counter]").forEach(count);
  progressBox.hidden = false;
  nextButton.hidden = false;
  update();
  if (restored) say(t("已恢复本页上次未提交的 {count} 项评价，请检查后继续。", { count: restored }), "ok");
  var summary = document.getElementById("errors");
  if (summary) summary.focus();
})();
