// cyberhub: a wallet page's chart of amounts received per month, drawn with Apache
// ECharts from <script type="application/json" id="wallet-data"> (only the payments the
// viewer may see are in it). One series per asset. No inline script: the CSP allows 'self'.
"use strict";

(function () {
  var chart = null;

  var css = window.cyberhubCharts.css;  // static/js/charts.js

  function draw() {
    var island = document.getElementById("wallet-data");
    var el = document.getElementById("wallet-chart");
    if (!island || !el || !window.echarts) { return; }
    var data = JSON.parse(island.textContent || "{}");
    var rows = data.months || [];
    var months = [];
    var assets = [];
    rows.forEach(function (r) {
      if (months.indexOf(r.month) < 0) { months.push(r.month); }
      if (assets.indexOf(r.asset) < 0) { assets.push(r.asset); }
    });
    months.sort();
    var muted = css("--muted", "#555e6d");
    var border = css("--border", "#d9dee6");
    var palette = [css("--accent", "#1d5cc2"), "#c2701d", "#2e8b57", "#8e44ad"];
    var series = assets.map(function (asset, i) {
      var values = months.map(function (m) {
        var hit = rows.filter(function (r) { return r.month === m && r.asset === asset; })[0];
        // Amounts come as exact decimal text; a chart only needs an approximation.
        return hit ? Number(hit.amount) : 0;
      });
      return { type: "bar", name: asset, data: values, yAxisIndex: i < 2 ? i : 1,
        itemStyle: { color: palette[i % palette.length] } };
    });
    var axis = function (name) {
      return { type: "value", name: name, axisLabel: { color: muted },
        nameTextStyle: { color: muted }, splitLine: { lineStyle: { color: border } } };
    };
    if (chart) { chart.dispose(); }
    chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(window.cyberhubCharts.mirror({
      animation: false,
      textStyle: { color: css("--text", "#171b22") },
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { show: assets.length > 1, textStyle: { color: muted } },
      grid: { left: 8, right: 16, top: assets.length > 1 ? 48 : 32, bottom: 8,
        containLabel: true },
      xAxis: { type: "category", data: months, axisLabel: { color: muted },
        axisLine: { lineStyle: { color: border } }, axisTick: { show: false } },
      yAxis: assets.length > 1 ? [axis(assets[0]), axis(assets[1])] : [axis(assets[0] || "")],
      series: series
    }));
  }

  document.addEventListener("DOMContentLoaded", draw);
  window.addEventListener("resize", function () { if (chart) { chart.resize(); } });
  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", draw);
  }
})();
