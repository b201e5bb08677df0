// Charts drawn from the counts a page renders as a table (kit/_chart.html): each
// <div class="chart" data-chart="ID" hidden> gets a horizontal bar chart of the JSON in
// <script id="ID" type="application/json"> (Django's json_script). The box stays hidden without
// JavaScript or without Chart.js, so nothing empty is shown; the table is always there.
// Hidden counts of protected tables arrive as null and are simply not drawn. No inline script (CSP).
(function () {
  "use strict";
  var ROW = 30; // pixels per bar of a one-line label (readable on a 360 px phone)
  var LINE = 15; // pixels per line of a label

  // A label as lines of at most `width` characters, so that a long name ("Violent-group
  // recruitment") wraps beside its bar instead of being cut off on a narrow screen.
  function wrap(label, width) {
    var words = String(label).split(/\s+/), lines = [], line = "";
    words.forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines.length > 1 ? lines : String(label);
  }

  function draw(box) {
    if (box.getAttribute("data-drawn")) { return; }
    var source = document.getElementById(box.getAttribute("data-chart"));
    var canvas = box.querySelector("canvas");
    if (!source || !canvas || typeof window.Chart === "undefined") { return; }
    var spec;
    try { spec = JSON.parse(source.textContent); } catch (e) { return; }
    if (!spec || !spec.labels || !spec.labels.length) { return; }
    box.setAttribute("data-drawn", "1");
    box.hidden = false;
    var several = spec.series.length > 1;
    // About 40 % of the box for the labels, at some 7 pixels a character.
    var width = Math.max(10, Math.floor(box.clientWidth * 0.4 / 7));
    var labels = spec.labels.map(function (label) { return wrap(label, width); });
    // The axis gives every bar the same band: as tall as the longest label needs.
    var lines = labels.reduce(function (most, label) {
      return Math.max(most, Array.isArray(label) ? label.length : 1);
    }, 1);
    var rows = labels.length * Math.max(ROW, lines * LINE + 10);
    var legendRows = several ? Math.ceil(spec.series.length / 3) : 0;
    box.style.height = (rows + 40 + legendRows * 22) + "px";
    var style = window.getComputedStyle(document.body);
    var Chart = window.Chart;
    Chart.defaults.font.family = style.fontFamily;
    Chart.defaults.font.size = 13;
    Chart.defaults.color = style.color;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: spec.series.map(function (s) {
          return { label: s.label, data: s.data, backgroundColor: s.color, borderWidth: 0, maxBarThickness: 22 };
        })
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: several, position: "top", align: "start", labels: { boxWidth: 12, boxHeight: 12 } },
          tooltip: { enabled: true }
        },
        scales: {
          x: { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0 } },
          y: { stacked: !!spec.stacked, ticks: { autoSkip: false } }
        }
      }
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
