// Charts drawn from the counts a page renders as a table (kit/_chart.html): each
// <div class="chart" data-chart="ID" hidden> gets a horizontal bar chart of the JSON in
// <script id="ID" type="application/json"> (Django's json_script). The box stays hidden without
// JavaScript or without Chart.js, so nothing empty is shown; the table is always there.
// Hidden counts of protected tables arrive as null and are simply not drawn. No inline script (CSP).
(function () {
  "use strict";
  var ROW = 30; // pixels per bar (readable on a 360 px phone, with the label above the bars' axis)

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
    var legendRows = several ? Math.ceil(spec.series.length / 3) : 0;
    box.style.height = (spec.labels.length * ROW + 40 + legendRows * 22) + "px";
    var style = window.getComputedStyle(document.body);
    var Chart = window.Chart;
    Chart.defaults.font.family = style.fontFamily;
    Chart.defaults.font.size = 13;
    Chart.defaults.color = style.color;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
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
