// cyberhub: the ransomware trends page's bar charts, drawn with Apache ECharts from the
// published figures the page carries in <script type="application/json" id="trends-data">
// (withheld cells are not in it). No inline script: the page's CSP allows 'self' only.
"use strict";

(function () {
  var charts = [];

  var css = window.cyberhubCharts.css;  // static/js/charts.js

  function draw() {
    var island = document.getElementById("trends-data");
    if (!island || !window.echarts) { return; }
    var data = JSON.parse(island.textContent || "{}");
    var text = css("--text", "#171b22");
    var muted = css("--muted", "#555e6d");
    var border = css("--border", "#d9dee6");
    var accent = css("--accent", "#1d5cc2");
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    (data.dimensions || []).forEach(function (dim) {
      var el = document.querySelector('[data-trend-chart="' + dim.name + '"]');
      if (!el || !dim.counts.length) { return; }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      var horizontal = dim.name !== "month";
      var category = { type: "category", data: horizontal ? dim.labels.slice().reverse() : dim.labels,
        axisLabel: { color: muted, width: 140, overflow: "truncate" },
        axisLine: { lineStyle: { color: border } }, axisTick: { show: false } };
      var value = { type: "value", minInterval: 1, axisLabel: { color: muted },
        splitLine: { lineStyle: { color: border } } };
      chart.setOption(window.cyberhubCharts.mirror({
        animation: false,
        textStyle: { color: text },
        tooltip: { trigger: "axis", renderMode: "richText" },
        grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
        xAxis: horizontal ? value : category,
        yAxis: horizontal ? category : value,
        series: [{ type: "bar", name: dim.title, itemStyle: { color: accent },
          data: horizontal ? dim.counts.slice().reverse() : dim.counts }]
      }));
      charts.push(chart);
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", draw);
  }
})();
