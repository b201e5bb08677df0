// "Copy" buttons: <button data-copy="text" data-copied="Copied" hidden>. Hidden until this script runs,
// so a browser without JavaScript shows only the selectable text. No inline script (CSP).
(function () {
  "use strict";
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
  function done(button) {
    var status = button.parentNode.querySelector(".copy-status");
    if (status) { status.textContent = button.getAttribute("data-copied") || ""; }
  }
  function init() {
    var buttons = document.querySelectorAll("button[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = button.getAttribute("data-copy") || "";
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(function () { done(button); }, function () {
            if (fallbackCopy(text)) { done(button); }
          });
        } else if (fallbackCopy(text)) {
          done(button);
        }
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
