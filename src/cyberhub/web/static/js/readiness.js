// cyberhub: the readiness pages' radar chart (score per practice area), drawn with Apache
// ECharts from the figures the page carries in <script type="application/json"
// id="readiness-data">. No inline script: the page's CSP allows 'self' only.
"use strict";

(function () {
  var chart = null;

  var css = window.cyberhubCharts.css;  // static/js/charts.js

  function draw() {
    var island = document.getElementById("readiness-data");
    var el = document.getElementById("readiness-chart");
    if (!island || !el || !window.echarts) { return; }
    var data = JSON.parse(island.textContent || "{}");
    if (!data.areas || !data.areas.length) { return; }
    var text = css("--text", "#171b22");
    var muted = css("--muted", "#555e6d");
    var border = css("--border", "#d9dee6");
    var accent = css("--accent", "#1d5cc2");
    if (chart) { chart.dispose(); }
    chart = window.echarts.init(el, null, { renderer: "canvas" });
    var values = function (list) { return list.map(function (v) { return v === null ? 0 : v; }); };
    var series = [{ name: data.labels.now, value: values(data.scores),
      lineStyle: { color: accent, width: 2 }, itemStyle: { color: accent },
      areaStyle: { color: accent, opacity: 0.18 } }];
    if (data.previous) {
      series.push({ name: data.labels.previous, value: values(data.previous),
        lineStyle: { color: muted, type: "dashed" }, itemStyle: { color: muted } });
    }
    chart.setOption({
      animation: false,
      textStyle: { color: text },
      tooltip: { trigger: "item", renderMode: "richText" },
      legend: data.previous ? { bottom: 0, textStyle: { color: muted } } : { show: false },
      radar: {
        radius: "65%",
        indicator: data.areas.map(function (name) { return { name: name, max: 100 }; }),
        axisName: { color: muted, fontSize: 11 },
        splitLine: { lineStyle: { color: border } },
        splitArea: { show: false },
        axisLine: { lineStyle: { color: border } }
      },
      series: [{ type: "radar", data: series }]
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  window.addEventListener("resize", function () { if (chart) { chart.resize(); } });
  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", draw);
  }
})();
