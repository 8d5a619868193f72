// cyberhub: the ransomware dashboard's charts, drawn with Apache ECharts from the published
// (k-anonymous) figures the page carries in <script type="application/json"
// id="ransomware-dashboard-data">; withheld cells are not in it. Labels come translated
// from the server; colours follow the page's CSS variables (light and dark). No inline
// script: the page's CSP allows 'self' only.
"use strict";

(function () {
  var PALETTE = ["#d94f3d", "#3b7dd8", "#8a5cd1", "#e39b22", "#2c9c69", "#1aa5b8",
    "#8c8f96", "#c25a9b"];
  var charts = [];
  var world = null;

  var C = window.cyberhubCharts;
  var theme = C.theme, rtl = C.rtl, narrow = C.narrow;

  function base(t) {
    var option = C.base(t);
    option.grid.top = 16;
    return option;
  }

  function empty(option, data, t) {
    option.graphic = { type: "text", left: "center", top: "middle",
      style: { text: data.labels.none, fill: t.muted } };
  }

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(C.numbers(option));
    el.setAttribute("data-drawn", "true");
    charts.push(chart);
  }

  function months(data, t) {
    var option = base(t);
    option.xAxis = { type: "category", data: data.months.map(function (m) { return m.label; }),
      inverse: rtl(), axisLabel: { color: t.muted, hideOverlap: true },
      axisLine: { lineStyle: { color: t.border } }, axisTick: { show: false } };
    option.yAxis = { type: "value", minInterval: 1, position: rtl() ? "right" : "left",
      axisLabel: { color: t.muted }, splitLine: { lineStyle: { color: t.border } } };
    option.series = [{ name: data.labels.incidents, type: "bar", barMaxWidth: 22,
      data: data.months.map(function (m) { return m.count; }),
      itemStyle: { color: t.accent, borderRadius: [3, 3, 0, 0] } }];
    if (!data.months.length) { empty(option, data, t); }
    draw("chart-months", option);
  }

  function ranked(id, rows, data, t) {
    var shown = rows.slice(0, narrow() ? 6 : 10).reverse();
    var option = base(t);
    option.tooltip.trigger = "item";
    option.xAxis = { type: "value", minInterval: 1, inverse: rtl(),
      axisLabel: { color: t.muted }, splitLine: { lineStyle: { color: t.border } } };
    option.yAxis = { type: "category", data: shown.map(function (r) { return r.label; }),
      position: rtl() ? "right" : "left",
      axisLabel: { color: t.text, width: narrow() ? 110 : 170, overflow: "truncate" },
      axisLine: { lineStyle: { color: t.border } }, axisTick: { show: false } };
    option.series = [{ name: data.labels.incidents, type: "bar", barMaxWidth: 16,
      data: shown.map(function (r) { return r.count; }),
      itemStyle: { color: t.accent } }];
    if (!rows.length) { empty(option, data, t); }
    draw(id, option);
  }

  function vectors(data, t) {
    var option = base(t);
    option.tooltip = { trigger: "item", renderMode: "richText", backgroundColor: t.surface,
      borderColor: t.border, textStyle: { color: t.text }, formatter: "{b}: {c} ({d} %)" };
    option.legend = { type: "scroll", orient: "vertical", right: rtl() ? undefined : 0,
      left: rtl() ? 0 : undefined, top: "middle", textStyle: { color: t.text },
      pageTextStyle: { color: t.muted }, show: !narrow() };
    option.series = [{ name: data.labels.access_vector, type: "pie",
      radius: ["42%", "70%"], center: [narrow() ? "50%" : (rtl() ? "62%" : "38%"), "50%"],
      label: { show: narrow(), color: t.text }, itemStyle: { borderColor: t.surface, borderWidth: 2 },
      data: data.vectors.map(function (v, i) {
        return { name: v.label, value: v.count,
          itemStyle: { color: PALETTE[i % PALETTE.length] } };
      }) }];
    if (!data.vectors.length) { empty(option, data, t); }
    draw("chart-vectors", option);
  }

  function map(data, t) {
    if (!world) { return; }
    var rows = data.countries.filter(function (c) { return c.numeric; });
    var top = rows.reduce(function (m, c) { return Math.max(m, c.count); }, 0);
    var option = base(t);
    option.tooltip = { trigger: "item", renderMode: "richText", backgroundColor: t.surface,
      borderColor: t.border, textStyle: { color: t.text },
      formatter: function (p) {
        return p.data ? p.data.label + "\n" + data.labels.incidents + ": " + p.data.value : "";
      } };
    option.visualMap = { min: 0, max: Math.max(top, 1), left: rtl() ? "right" : "left",
      bottom: 8, calculable: false, itemHeight: 110, text: [data.labels.more, data.labels.fewer],
      textStyle: { color: t.muted }, inRange: { color: t.heat }, show: top > 0 && !narrow() };
    option.series = [{ name: data.labels.country, type: "map", map: "world",
      nameProperty: "id", roam: true, scaleLimit: { min: 1, max: 8 }, top: 12, bottom: 12,
      itemStyle: { areaColor: t.land, borderColor: t.surface, borderWidth: 0.5 },
      emphasis: { label: { show: false }, itemStyle: { areaColor: t.accent } },
      select: { disabled: true },
      data: rows.map(function (c) { return { name: c.numeric, value: c.count, label: c.label }; })
    }];
    draw("chart-map", option);
  }

  function leaks(data, t) {
    var rows = data.leaks || { months: [], counts: [] };
    var option = base(t);
    option.xAxis = { type: "category", data: rows.months, inverse: rtl(),
      axisLabel: { color: t.muted, hideOverlap: true },
      axisLine: { lineStyle: { color: t.border } }, axisTick: { show: false } };
    option.yAxis = { type: "value", minInterval: 1, position: rtl() ? "right" : "left",
      axisLabel: { color: t.muted }, splitLine: { lineStyle: { color: t.border } } };
    option.series = [{ name: rows.label, type: "bar", barMaxWidth: 18, data: rows.counts,
      itemStyle: { color: PALETTE[0], borderRadius: [3, 3, 0, 0] } }];
    draw("chart-leaks", option);
  }

  function render(data) {
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var t = theme();
    months(data, t);
    ranked("chart-families", data.families, data, t);
    vectors(data, t);
    ranked("chart-sectors", data.sectors, data, t);
    leaks(data, t);
    map(data, t);
  }

  function start() {
    var island = document.getElementById("ransomware-dashboard-data");
    if (!island || !window.echarts) { return; }
    var data = JSON.parse(island.textContent || "{}");
    render(data);
    if (document.getElementById("chart-map")) {
      fetch("/static/vendor/world.geojson", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (geo) {
          world = geo;
          window.echarts.registerMap("world", geo);
          map(data, theme());
        });
    }
    C.follow(function () { return charts; }, function () { render(data); });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
