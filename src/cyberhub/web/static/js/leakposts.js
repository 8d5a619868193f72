// cyberhub: a family's leak-site posts per month, drawn with Apache ECharts from the
// counts the page carries in <script type="application/json" id="leak-data">. No inline
// script: the page's CSP allows 'self' only.
"use strict";

(function () {
  var chart = null;

  var css = window.cyberhubCharts.css;  // static/js/charts.js

  function draw() {
    var island = document.getElementById("leak-data");
    var el = document.querySelector("[data-leak-chart]");
    if (!island || !el || !window.echarts) { return; }
    var data = JSON.parse(island.textContent || "{}");
    if (!data.months || !data.months.length) { return; }
    var muted = css("--muted", "#555e6d");
    var border = css("--border", "#d9dee6");
    if (chart) { chart.dispose(); }
    chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(window.cyberhubCharts.mirror({
      animation: false,
      textStyle: { color: css("--text", "#171b22") },
      tooltip: { trigger: "axis", renderMode: "richText" },
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.months, axisLabel: { color: muted },
        axisLine: { lineStyle: { color: border } }, axisTick: { show: false } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: muted },
        splitLine: { lineStyle: { color: border } } },
      series: [{ type: "bar", name: el.getAttribute("aria-label") || "",
        itemStyle: { color: css("--accent", "#1d5cc2") }, data: data.counts }]
    }));
  }

  document.addEventListener("DOMContentLoaded", draw);
  window.addEventListener("resize", function () { if (chart) { chart.resize(); } });
  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", draw);
  }
})();
