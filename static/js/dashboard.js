/* The supervisor's dashboard: draws each chart from its json_script data with the vendored
   Chart.js (static/vendor/chartjs), again after every htmx swap, and shows progress while a
   period loads or a report is written. Without JavaScript the tables under each chart carry
   the same numbers (they start open; a drawn chart folds its table away). */
(function () {
  "use strict";

  // Okabe-Ito: distinguishable for the common colour blindnesses, the same as the PDF's charts.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"];
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function coloured(datasets) {
    return datasets.map(function (dataset, n) {
      var colour = PALETTE[n % PALETTE.length];
      // A count drawn behind a line (the satisfaction trend): lighter, and under the line.
      var behind = dataset.type === "bar";
      return Object.assign({
        backgroundColor: behind ? colour + "66" : colour,
        borderColor: colour,
        order: behind ? 1 : 0,
        maxBarThickness: 56
      }, dataset);
    });
  }

  function config(spec) {
    var options = {
      responsive: true,
      maintainAspectRatio: true,
      aspectRatio: spec.horizontal ? 2 : 3,
      animation: still ? false : undefined,
      plugins: { legend: { display: spec.datasets.length > 1 } },
      scales: {}
    };
    var value = spec.horizontal ? "x" : "y";
    var category = spec.horizontal ? "y" : "x";
    options.scales[value] = { beginAtZero: true };
    if (spec.integer) { options.scales[value].ticks = { precision: 0 }; }
    options.scales[category] = {};
    if (spec.horizontal) { options.indexAxis = "y"; }
    if (spec.kind === "stacked") {
      options.scales[value].stacked = true;
      options.scales[category].stacked = true;
    }
    if (spec.min !== undefined) { options.scales[value].min = spec.min; options.scales[value].beginAtZero = false; }
    if (spec.max !== undefined) { options.scales[value].max = spec.max; }
    if (spec.kind === "line") {
      options.scales.count = {
        position: "right", beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false }
      };
      options.plugins.legend.display = true;
      options.spanGaps = true;
    }
    return {
      type: spec.kind === "line" ? "line" : "bar",
      data: { labels: spec.labels, datasets: coloured(spec.datasets) },
      options: options
    };
  }

  function draw(root) {
    if (typeof window.Chart === "undefined") { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source || window.Chart.getChart(canvas)) { return; }
      new window.Chart(canvas, config(JSON.parse(source.textContent)));
      var block = canvas.closest(".dashboard-block");
      var table = block && block.querySelector("details.chart-table");
      if (table) { table.open = false; }
    });
  }

  function busy(element, state) {
    if (element) { element.setAttribute("aria-busy", state ? "true" : "false"); }
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (typeof window.Chart === "undefined") { return; }
    event.detail.target.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = window.Chart.getChart(canvas);
      if (chart) { chart.destroy(); }
    });
  });
  document.addEventListener("htmx:afterSettle", function () { draw(document); });
  // Progress while a period loads (htmx) and while a report is written (a plain POST).
  document.addEventListener("htmx:beforeRequest", function (event) {
    busy(document.getElementById("dashboard-body"), true);
    busy(event.detail.elt.querySelector && event.detail.elt.querySelector("button[type=submit]"), true);
  });
  document.addEventListener("htmx:afterRequest", function () {
    busy(document.getElementById("dashboard-body"), false);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-busy-on-submit")) {
      var button = form.querySelector("button[type=submit]");
      busy(button, true);
      if (button) { button.disabled = true; }
    }
  });
}());
