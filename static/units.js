// The unit picker: 全选 / 全不选 for every unit or one category (the boxes work without it).
(function () {
  "use strict";
  var form = document.querySelector("form[data-unit-picker]");
  if (!form) return;
  form.querySelectorAll(".pick-all").forEach(function (el) { el.hidden = false; });
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-check]");
    if (!button) return;
    var scope = button.closest("fieldset") || form;
    var on = button.getAttribute("data-check") === "all";
    scope.querySelectorAll('input[name="unit"]').forEach(function (box) { box.checked = on; });
  });
})();
