// The page's translations for the other scripts: <body data-i18n> (none in Chinese, where
// each text is its own translation). t("…{name}…", {name: value}).
(function () {
  "use strict";
  var messages = null;
  window.evalplatformT = function (text, values) {
    if (messages === null) {
      try { messages = JSON.parse(document.body.getAttribute("data-i18n") || "{}"); } catch (e) { messages = {}; }
    }
    return (messages[text] || text).replace(/\{(\w+)\}/g, function (all, name) {
      return values && name in values ? values[name] : all;
    });
  };
})();
