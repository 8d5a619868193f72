// cyberhub: the landscape dashboard's charts, drawn with Apache ECharts from the figures
// the page carries in <script type="application/json" id="landscape-data">. Every label
// comes from that island (translated on the server). Colours follow the page's CSS
// variables, so the charts read in light and dark and change with the system theme.
"use strict";

(function () {
  var CATEGORY_COLOURS = ["#d94f3d", "#3b7dd8", "#8a5cd1", "#e39b22", "#2c9c69", "#1aa5b8",
    "#8c8f96", "#c25a9b"];
  var charts = [];
  var world = null;

  var C = window.cyberhubCharts;
  var theme = C.theme, narrow = C.narrow, base = C.base;

  function weekAxis(data, t) {
    return { type: "category", data: data.figures.weeks,
      axisLabel: { color: t.muted, hideOverlap: true },
      axisLine: { lineStyle: { color: t.border } }, axisTick: { show: false } };
  }

  function valueAxis(t) {
    return { type: "value", minInterval: 1, axisLabel: { color: t.muted },
      splitLine: { lineStyle: { color: t.border } } };
  }

  function legend(t) {
    return { type: "scroll", top: 0, textStyle: { color: t.text },
      pageTextStyle: { color: t.muted }, pageIconColor: t.accent };
  }

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(C.mirror(option));
    charts.push(chart);
  }

  function trend(data, t) {
    var series = data.figures.new_objects.filter(function (s) {
      return s.counts.some(function (n) { return n > 0; });
    }).map(function (s) {
      var i = data.figures.new_objects.indexOf(s);
      return { name: s.label, type: "bar", stack: "new", data: s.counts, barMaxWidth: 18,
        itemStyle: { color: CATEGORY_COLOURS[i % CATEGORY_COLOURS.length] } };
    });
    var option = base(t);
    option.legend = legend(t);
    option.grid.top = narrow() ? 56 : 40;
    option.xAxis = weekAxis(data, t);
    option.yAxis = valueAxis(t);
    option.series = series;
    draw("chart-trend", option);
  }

  function activity(data, t) {
    var labels = data.labels;
    var option = base(t);
    option.legend = legend(t);
    option.xAxis = weekAxis(data, t);
    option.yAxis = valueAxis(t);
    option.series = [
      { name: labels.sightings, type: "line", data: data.figures.sightings, 
        symbol: "none", lineStyle: { width: 2, color: t.accent }, itemStyle: { color: t.accent },
        areaStyle: { color: t.accent, opacity: 0.12 } },
      { name: labels.vetted, type: "line", data: data.figures.vetted, 
        symbol: "none", lineStyle: { width: 2, color: t.ok }, itemStyle: { color: t.ok } }
    ];
    draw("chart-activity", option);
  }

  function sectors(data, t) {
    var rows = data.figures.sectors.slice(0, narrow() ? 8 : 12).reverse();
    var option = base(t);
    option.tooltip.trigger = "item";
    option.grid.top = 8;
    option.xAxis = valueAxis(t);
    option.yAxis = { type: "category", data: rows.map(function (r) { return r.name; }),
      axisLabel: { color: t.text, width: narrow() ? 110 : 180, overflow: "truncate" },
      axisLine: { lineStyle: { color: t.border } }, axisTick: { show: false } };
    option.series = [{ name: data.labels.targeted, type: "bar", barMaxWidth: 16,
      data: rows.map(function (r) { return r.actors; }),
      itemStyle: { color: t.accent, borderRadius: [0, 3, 3, 0] } }];
    if (!rows.length) {
      option.graphic = { type: "text", left: "center", top: "middle",
        style: { text: data.labels.none, fill: t.muted } };
    }
    draw("chart-sectors", option);
  }

  function map(data, t) {
    if (!world) { return; }
    var names = {};
    world.features.forEach(function (f) { names[f.properties.id] = f.properties.name; });
    var rows = data.figures.countries.filter(function (c) { return c.numeric && c.targeted; });
    var top = rows.reduce(function (m, c) { return Math.max(m, c.targeted); }, 0);
    var option = base(t);
    option.tooltip = { trigger: "item", renderMode: "richText", backgroundColor: t.surface,
      borderColor: t.border, textStyle: { color: t.text },
      formatter: function (p) {
        var d = p.data;
        var name = d ? d.label : (names[p.name] || p.name);
        if (!d) { return name; }
        return name + "\n" + data.labels.targeted + ": " + d.value + "\n" +
          data.labels.origin + ": " + d.origin;
      } };
    option.visualMap = { min: 0, max: Math.max(top, 1), left: 8, bottom: 8,
      calculable: false, itemHeight: narrow() ? 80 : 120, text: [data.labels.more, data.labels.fewer],
      textStyle: { color: t.muted }, inRange: { color: t.heat }, show: top > 0 && !narrow() };
    option.series = [{ name: data.labels.map, type: "map", map: "world", nameProperty: "id",
      roam: true, scaleLimit: { min: 1, max: 8 }, zoom: 1, top: narrow() ? 8 : 16,
      bottom: narrow() ? 8 : 16,
      itemStyle: { areaColor: t.land, borderColor: t.surface, borderWidth: 0.5 },
      emphasis: { label: { show: false }, itemStyle: { areaColor: t.accent } },
      select: { disabled: true },
      data: rows.map(function (c) {
        return { name: c.numeric, value: c.targeted, origin: c.origin, label: c.name };
      }) }];
    draw("chart-map", option);
  }

  function render(data) {
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var t = theme();
    trend(data, t);
    activity(data, t);
    sectors(data, t);
    map(data, t);
  }

  function start() {
    var island = document.getElementById("landscape-data");
    if (!island || !window.echarts) { return; }
    var data = JSON.parse(island.textContent);
    render(data);
    fetch("/static/vendor/world.geojson", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        world = geo;
        window.echarts.registerMap("world", geo);
        map(data, theme());
        document.getElementById("chart-map").setAttribute("data-drawn", "true");
      });
    C.follow(function () { return charts; }, function () { render(data); });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
