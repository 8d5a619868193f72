// cyberhub: the impact dashboard's charts, drawn with Apache ECharts from the figures the
// page carries in <script type="application/json" id="impact-dashboard-data"> — already
// published by the server's rules (other operations summed, never named). Labels come
// translated; colours follow the page's CSS variables. No inline script (CSP 'self').
"use strict";

(function () {
  var PALETTE = ["#d94f3d", "#3b7dd8", "#8a5cd1", "#e39b22", "#2c9c69", "#1aa5b8", "#c25a9b"];
  var charts = [];
  var C = window.cyberhubCharts;

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(C.numbers(option));
    el.setAttribute("data-drawn", "true");
    charts.push(chart);
  }

  function empty(option, data, t) {
    option.graphic = { type: "text", left: "center", top: "middle",
      style: { text: data.labels.none, fill: t.muted } };
  }

  function legend(t) {
    return { type: "scroll", top: 0, textStyle: { color: t.text },
      pageTextStyle: { color: t.muted } };
  }

  function months(data, t) {
    var option = C.base(t);
    option.legend = legend(t);
    option.xAxis = { type: "category", data: data.months.map(function (m) { return m.month; }),
      inverse: C.rtl(), axisLabel: { color: t.muted, hideOverlap: true },
      axisLine: { lineStyle: { color: t.border } }, axisTick: { show: false } };
    option.yAxis = { type: "value", minInterval: 1, position: C.rtl() ? "right" : "left",
      axisLabel: { color: t.muted }, splitLine: { lineStyle: { color: t.border } } };
    option.series = data.kinds.map(function (k, i) {
      return { name: k.label, type: "bar", stack: "outcomes", barMaxWidth: 28,
        data: data.months.map(function (m) { return m.own[k.key] + m.others[k.key]; }),
        itemStyle: { color: PALETTE[i % PALETTE.length] } };
    });
    if (!data.months.length) { empty(option, data, t); }
    draw("chart-impact-months", option);
  }

  function split(data, t) {
    var option = C.base(t);
    option.legend = legend(t);
    var kinds = data.kinds.slice().reverse();
    option.xAxis = { type: "value", minInterval: 1, inverse: C.rtl(),
      axisLabel: { color: t.muted }, splitLine: { lineStyle: { color: t.border } } };
    option.yAxis = { type: "category", data: kinds.map(function (k) { return k.label; }),
      position: C.rtl() ? "right" : "left",
      axisLabel: { color: t.text, width: C.narrow() ? 110 : 160, overflow: "truncate" },
      axisLine: { lineStyle: { color: t.border } }, axisTick: { show: false } };
    option.series = [
      { name: data.labels.own, type: "bar", stack: "split", barMaxWidth: 16,
        data: kinds.map(function (k) { return data.own[k.key]; }),
        itemStyle: { color: t.accent } },
      { name: data.labels.others, type: "bar", stack: "split", barMaxWidth: 16,
        data: kinds.map(function (k) { return data.others[k.key]; }),
        itemStyle: { color: t.muted } }
    ];
    var any = kinds.some(function (k) { return data.own[k.key] || data.others[k.key]; });
    if (!any) { empty(option, data, t); }
    draw("chart-impact-split", option);
  }

  function render() {
    var node = document.getElementById("impact-dashboard-data");
    if (!node || !window.echarts) { return; }
    var data = JSON.parse(node.textContent);
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var t = C.theme();
    months(data, t);
    split(data, t);
  }

  document.addEventListener("DOMContentLoaded", function () {
    render();
    C.follow(function () { return charts; }, render);
  });
})();
