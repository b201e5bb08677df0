// Drafts that survive a dropped connection, for <form data-draft="scope"> (the grant application form).
//
// * What is typed is kept in this browser (localStorage, under the form's client_key) as it is typed, and
//   filled in again when the page is drawn anew (a reload, the phone's browser reopened). A fresh form
//   (data-draft-new) takes over the unsaved draft of the same address with its client_key, so that a save
//   the server did receive before the connection dropped is updated, not made twice.
// * A save is sent in the background: when the server has it (204 naming the next page) the copy here is
//   forgotten and the next page opened; any other answer (errors, a refusal) is shown as the page; when
//   the server cannot be reached, the form stays as it is and says so (#draft-offline).
// * Contact names and phone numbers are never kept on the phone.
// Without JavaScript the form is a plain form. No inline script (CSP).
(function () {
  "use strict";
  var PREFIX = "hamkori.draft.";
  var MAX_AGE = 30 * 24 * 3600 * 1000;
  var SKIP = { csrfmiddlewaretoken: 1, client_key: 1, rows: 1, action: 1, contact_name: 1, contact_phone: 1, contact_consent: 1 };

  function store() {
    try {
      var s = window.localStorage;
      s.setItem(PREFIX + "probe", "1");
      s.removeItem(PREFIX + "probe");
      return s;
    } catch (e) {
      return null;
    }
  }

  function read(s, key) {
    try {
      var entry = JSON.parse(s.getItem(key) || "null");
      return entry && entry.values ? entry : null;
    } catch (e) {
      return null;
    }
  }

  function forgetOld(s) {
    var now = Date.now();
    for (var i = s.length - 1; i >= 0; i -= 1) {
      var key = s.key(i);
      if (key && key.indexOf(PREFIX) === 0 && key.indexOf(PREFIX + "scope.") !== 0) {
        var entry = read(s, key);
        if (!entry || now - (entry.at || 0) > MAX_AGE) { s.removeItem(key); }
      }
    }
  }

  function field(form, name) { return form.querySelector("[name='" + name + "']"); }
  function keyOf(form) { var input = field(form, "client_key"); return input ? input.value : ""; }
  function scopeOf(form) { return PREFIX + "scope." + (form.getAttribute("data-draft") || window.location.pathname); }
  function kept(el) {
    return el.name && !SKIP[el.name] && el.name.charAt(0) !== "_" &&
      ["submit", "button", "hidden", "file", "reset", "password"].indexOf(el.type) === -1;
  }

  function collect(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el)) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        values[el.name] = values[el.name] || [];
        if (el.checked) { values[el.name].push(el.value); }
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  }

  // Rows (budget lines) typed beyond those drawn: copy the last row, numbered on.
  function ensureRows(form, values) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-rows]"), function (box) {
      var prefix = box.getAttribute("data-rows");
      var pattern = new RegExp("^" + prefix + "-(\\d+)-");
      var needed = 0;
      Object.keys(values).forEach(function (name) {
        var m = pattern.exec(name);
        if (m && values[name]) { needed = Math.max(needed, parseInt(m[1], 10) + 1); }
      });
      var rows = box.querySelectorAll("[data-row]");
      var count = rows.length;
      while (count > 0 && count < needed) {
        var copy = rows[rows.length - 1].cloneNode(true);
        var from = new RegExp(prefix + "-\\d+-");
        Array.prototype.forEach.call(copy.querySelectorAll("[name], [id], [for]"), function (el) {
          ["name", "id", "for"].forEach(function (attr) {
            var v = el.getAttribute(attr);
            if (v) { el.setAttribute(attr, v.replace(from, prefix + "-" + count + "-")); }
          });
          if ("value" in el && el.tagName !== "LABEL") { el.value = ""; }
        });
        box.appendChild(copy);
        count += 1;
      }
      var total = field(form, "rows");
      if (total && count > parseInt(total.value || "0", 10)) { total.value = String(count); }
    });
  }

  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (o) { return o.value === value; });
  }

  function restore(form, values) {
    var changed = 0;
    ensureRows(form, values);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el) || !Object.prototype.hasOwnProperty.call(values, el.name)) { return; }
      var value = values[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        var on = Array.isArray(value) && value.indexOf(el.value) !== -1;
        if (el.checked !== on) { el.checked = on; changed += 1; }
      } else if (typeof value === "string" && el.value !== value) {
        if (el.tagName === "SELECT" && !hasOption(el, value)) { return; }
        el.value = value;
        changed += 1;
      }
    });
    return changed;
  }

  // A notice only this script gives, its text carried by the form (data-<name>-text): made when first needed.
  function notice(form, name, role, before) {
    var id = "draft-" + name;
    var el = document.getElementById(id);
    if (!el) {
      el = document.createElement("p");
      el.id = id;
      el.className = "notice";
      el.setAttribute("role", role);
      el.tabIndex = -1;
      el.textContent = form.getAttribute("data-" + name + "-text") || "";
      before.parentNode.insertBefore(el, before);
    }
    el.hidden = false;
    return el;
  }

  function hide(id) {
    var el = document.getElementById(id);
    if (el) { el.hidden = true; }
  }

  function init() {
    var form = document.querySelector("form[data-draft]");
    if (!form) { return; }
    var s = store();
    var lastButton = null;

    function keep() {
      var key = keyOf(form);
      if (!s || !key) { return; }
      try {
        s.setItem(PREFIX + key, JSON.stringify({ at: Date.now(), values: collect(form) }));
        s.setItem(scopeOf(form), key);
      } catch (e) { /* full or refused: the form still works */ }
    }

    function forget() {
      var key = keyOf(form);
      if (!s || !key) { return; }
      s.removeItem(PREFIX + key);
      if (s.getItem(scopeOf(form)) === key) { s.removeItem(scopeOf(form)); }
    }

    if (s) {
      forgetOld(s);
      var key = keyOf(form);
      var entry = key ? read(s, PREFIX + key) : null;
      if (!entry && form.hasAttribute("data-draft-new")) {
        var pointer = s.getItem(scopeOf(form));
        entry = pointer ? read(s, PREFIX + pointer) : null;
        if (entry) { field(form, "client_key").value = pointer; }
      }
      var savedAt = parseInt(form.getAttribute("data-draft-saved") || "0", 10) * 1000;
      if (entry && entry.at > savedAt && restore(form, entry.values) > 0) {
        notice(form, "restored", "status", form.firstElementChild);
      }
    }

    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button[type=submit]") : null;
      if (button) { lastButton = button; }
    });
    // Choosing a district draws its jamoats and villages (the "Show" button, pressed for the person).
    Array.prototype.forEach.call(form.querySelectorAll("select[data-refresh]"), function (select) {
      select.addEventListener("change", function () {
        var button = field(form, select.getAttribute("data-refresh"));
        if (button && form.requestSubmit) { form.requestSubmit(button); }
      });
    });

    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData) { return; }
      event.preventDefault();
      keep();
      var button = event.submitter || lastButton;
      var body = new FormData(form);
      if (button && button.name) { body.append(button.name, button.value); }
      var buttons = form.querySelectorAll("button[type=submit]");
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
      hide("draft-offline");
      form.setAttribute("aria-busy", "true");
      function again() {
        form.removeAttribute("aria-busy");
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      }
      // getAttribute: form.action would be the button named "action".
      window.fetch(form.getAttribute("action") || window.location.href, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-Hamkori-Draft": "1" }
      }).then(function (response) {
        var next = response.headers.get("X-Hamkori-Location");
        if (response.status === 204 && next) {
          forget();
          window.location.assign(next);
          return null;
        }
        return response.text().then(function (html) {
          document.open();
          document.write(html);
          document.close();
        });
      }).catch(function () {
        again();
        var bar = form.querySelector(".save-bar") || form.lastElementChild;
        notice(form, "offline", "alert", bar).focus();
      });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
