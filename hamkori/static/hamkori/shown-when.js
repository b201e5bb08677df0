// Parts of a form that matter only for some choices: <div data-shown-when="id_kind" data-shown-values="3 7">.
// The part is shown while the select with that id has one of those values, hidden otherwise; nothing is sent
// to the server, so nothing typed elsewhere is redrawn. Without JavaScript the part stays as the server drew it.
(function () {
  "use strict";
  function sync(part) {
    var select = document.getElementById(part.getAttribute("data-shown-when"));
    if (!select) { return; }
    var values = (part.getAttribute("data-shown-values") || "").split(" ");
    part.hidden = select.value !== "" && values.indexOf(select.value) === -1;
  }
  function init() {
    var parts = document.querySelectorAll("[data-shown-when]");
    Array.prototype.forEach.call(parts, function (part) {
      var select = document.getElementById(part.getAttribute("data-shown-when"));
      if (!select) { return; }
      select.addEventListener("change", function () { sync(part); });
      sync(part);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
