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

  return { css: css, theme: theme, rtl: rtl, narrow: narrow, base: base, follow: follow };
})();
