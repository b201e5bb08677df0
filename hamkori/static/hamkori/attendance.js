// The attendance screen and the tally form (events/attendance.html, events/tally.html; the same grid in
// grants/reach_form.html). Both work without this script; with it, the number ticked and the tally's totals
// follow every tap, a person ticked in the search results moves into the list (so the next search keeps them),
// and Enter in the search box asks htmx instead of sending the whole form. No inline script (CSP).
(function () {
  "use strict";
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function initAttendance(form) {
    var added = document.getElementById("att-added");
    var results = function () { return document.getElementById("att-results"); };
    function count() {
      var n = form.querySelectorAll('input[name="person"]:checked').length;
      var main = document.getElementById("att-count");
      if (main) { main.textContent = String(n); }
      each(form.querySelectorAll("[data-att-count]"), function (el) { el.textContent = String(n); });
    }
    function listed(value) {
      var found = false;
      each(form.querySelectorAll('input[name="person"]'), function (box) {
        if (box.value === value && !(results() && results().contains(box))) { found = true; }
      });
      return found;
    }
    function tidyResults() {
      var box = results();
      if (!box) { return; }
      each(box.querySelectorAll('input[name="person"]'), function (input) {
        if (listed(input.value)) { input.closest("li").remove(); }
      });
    }
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.name !== "person") { return; }
      var box = results();
      if (target.checked && added && box && box.contains(target)) {
        added.appendChild(target.closest("li"));
        var none = form.querySelector(".att-none");
        if (none) { none.hidden = true; }
        target.focus();
      }
      count();
    });
    document.body.addEventListener("htmx:afterSwap", tidyResults);
    var search = document.getElementById("id_q");
    if (search) {
      search.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && window.htmx) {
          event.preventDefault();
          window.htmx.trigger(search, "search");
        }
      });
    }
    count();
  }

  function whole(value) {
    value = (value || "").trim();
    return /^[0-9]{1,9}$/.test(value) ? parseInt(value, 10) : 0;
  }

  function initTally(form) {
    function totals() {
      var grand = 0;
      each(form.querySelectorAll("[data-tally-role]"), function (table) {
        var rows = table.querySelectorAll("tbody tr");
        var columns = [];
        var all = 0;
        each(rows, function (row) {
          var sum = 0;
          each(row.querySelectorAll("input"), function (input, i) {
            var n = whole(input.value);
            sum += n;
            columns[i] = (columns[i] || 0) + n;
          });
          all += sum;
          var cell = row.querySelector("[data-tally-row-total]");
          if (cell) { cell.textContent = String(sum); }
        });
        each(table.querySelectorAll("[data-tally-col-total]"), function (cell, i) { cell.textContent = String(columns[i] || 0); });
        each(table.querySelectorAll("[data-tally-block-total]"), function (cell) { cell.textContent = String(all); });
        var details = table.closest("details");
        var summary = details && details.querySelector("[data-tally-role-total]");
        if (summary) { summary.textContent = String(all); }
        grand += all;
      });
      var total = document.getElementById("tally-total");
      if (total) { total.textContent = String(grand); }
    }
    form.addEventListener("input", totals);
  }

  function init() {
    var attendance = document.getElementById("attendance-form");
    if (attendance) { initAttendance(attendance); }
    var tally = document.getElementById("tally-form");
    if (tally) { initTally(tally); }
    // Other forms with the same grid (a campaign's reach: grants/reach_form.html).
    each(document.querySelectorAll("form[data-tally-form]"), initTally);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
