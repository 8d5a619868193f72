// cyberhub: what every chart page shares. Colours come from the page's CSS variables, so
// charts read in light and dark and follow the system theme; axes flip for right-to-left
// pages; tooltips are drawn on the canvas (no HTML, nothing the CSP would refuse).
// Pages load this before their own script: window.cyberhubCharts.
"use strict";

window.cyberhubCharts = (function () {
  function css(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function theme() {
    var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    return {
      dark: dark,
      text: css("--text", dark ? "#e6e9ef" : "#171b22"),
      muted: css("--muted", dark ? "#a2abb9" : "#555e6d"),
      border: css("--border", dark ? "#2b333e" : "#d9dee6"),
      surface: css("--surface", dark ? "#161b22" : "#ffffff"),
      accent: css("--accent", dark ? "#6aa5ff" : "#1d5cc2"),
      ok: css("--ok", dark ? "#56d27d" : "#17743a"),
      land: dark ? "#232b36" : "#e8ecf1",
      heat: dark ? ["#3a2a1c", "#9a4a1f", "#f08a4b", "#ffd0a8"]
        : ["#fde4cf", "#f4a261", "#d9622b", "#8f2d0f"]
    };
  }

  function rtl() { return document.documentElement.dir === "rtl"; }
  function narrow() { return window.innerWidth < 640; }

  function base(t) {
    return {
      animation: false,
      textStyle: { color: t.text, fontFamily: css("--font", "system-ui, sans-serif") },
      tooltip: { trigger: "axis", renderMode: "richText", backgroundColor: t.surface,
        borderColor: t.border, textStyle: { color: t.text } },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true }
    };
  }

  // Redraw on resize (debounced) and when the system theme changes.
  function follow(charts, redraw) {
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { charts().forEach(function (c) { c.resize(); }); }, 120);
    });
    if (window.matchMedia) {
      var query = window.matchMedia("(prefers-color-scheme: dark)");
      if (query.addEventListener) { query.addEventListener("change", redraw); }
    }
  }

  // Right to left: the chart reads like the page. Horizontal axes run from the right,
  // value axes stand on the right (two of them swap sides), and legends, visual maps
  // and the grid's margins change sides. Maps are geography and never mirror. Charts
  // that place their parts themselves (the ransomware and impact dashboards) skip this.
  function swapSides(part) {
    if (!part || typeof part !== "object") { return; }
    var left = part.left, right = part.right;
    if (left === "left" || left === "right") { part.left = left === "left" ? "right" : "left"; return; }
    part.left = right; part.right = left;
    if (part.left === undefined) { delete part.left; }
    if (part.right === undefined) { delete part.right; }
  }

  // Figures as the page's language writes them (Latin digits in every language, as the
  // server writes them): "1 234,5" in French, "1.234,5" in Spanish.
  var numberFormat = null;
  function number(value) {
    if (typeof value !== "number" || !window.Intl) { return value; }
    if (numberFormat === null) {
      var lang = document.documentElement.lang || "en";
      try {
        numberFormat = new Intl.NumberFormat(lang + "-u-nu-latn", { maximumFractionDigits: 8 });
      } catch (e) {
        numberFormat = new Intl.NumberFormat("en", { maximumFractionDigits: 8 });
      }
    }
    return numberFormat.format(value);
  }

  // Value axes and tooltips that format nothing themselves get the locale's figures.
  function numbers(option) {
    [].concat(option.xAxis || [], option.yAxis || []).forEach(function (axis) {
      if (axis.type !== "value") { return; }
      axis.axisLabel = axis.axisLabel || {};
      if (!axis.axisLabel.formatter) { axis.axisLabel.formatter = number; }
    });
    [].concat(option.tooltip || []).forEach(function (tip) {
      if (!tip.formatter && !tip.valueFormatter) { tip.valueFormatter = number; }
    });
    return option;
  }

  function mirror(option) {
    numbers(option);
    if (!rtl()) { return option; }
    [].concat(option.xAxis || []).forEach(function (axis) { axis.inverse = !axis.inverse; });
    [].concat(option.yAxis || []).forEach(function (axis, i) {
      var side = axis.position || (i === 0 ? "left" : "right");
      axis.position = side === "left" ? "right" : "left";
    });
    [].concat(option.legend || [], option.visualMap || []).forEach(swapSides);
    [].concat(option.grid || []).forEach(swapSides);
    return option;
  }

  return { css: css, theme: theme, rtl: rtl, narrow: narrow, base: base, follow: follow,
    mirror: mirror, numbers: numbers, number: number };
})();
