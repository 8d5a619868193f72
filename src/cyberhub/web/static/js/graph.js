// cyberhub: the interactive ecosystem graph (/atlas/graph). Data from
// /api/v1/atlas/graph; every label comes translated from the page (data-labels).
"use strict";

(function () {
  var root = document.getElementById("graph");
  if (!root || typeof window.cytoscape !== "function") { return; }
  if (typeof window.cytoscapeFcose === "function") { window.cytoscape.use(window.cytoscapeFcose); }

  var api = root.getAttribute("data-api");
  var csrf = root.getAttribute("data-csrf");
  var budget = parseInt(root.getAttribute("data-budget"), 10) || 2000;
  var limit = parseInt(root.getAttribute("data-limit"), 10) || 50;
  var L = JSON.parse(root.getAttribute("data-labels") || "{}");
  var form = document.getElementById("graph-form");
  var search = document.getElementById("graph-search");
  var mode = form.querySelector("[data-graph-mode]");
  var statusLine = document.getElementById("graph-status");
  var details = document.getElementById("graph-details");
  var expanded = {};
  var busy = false;

  var SHAPES = {
    actor: "ellipse", infrastructure: "round-rectangle", service: "hexagon", tool: "diamond",
    money: "tag", contact: "round-triangle", indicator: "triangle", report: "rectangle",
    technique: "octagon", vulnerability: "star", identity: "vee", sighting: "barrel",
    other: "ellipse"
  };

  function fmt(text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (m, key) {
      return values && values[key] !== undefined ? String(values[key]) : m;
    });
  }

  function cssVar(name, fallback) {
    var value = getComputedStyle(root).getPropertyValue(name).trim();
    return value || fallback;
  }

  function short(text) {
    text = String(text || "");
    return text.length > 30 ? text.slice(0, 29) + "…" : text;
  }

  function stylesheet() {
    var text = cssVar("--text", "#171b22");
    var surface = cssVar("--surface", "#ffffff");
    var muted = cssVar("--muted", "#555e6d");
    var accent = cssVar("--focus", "#f5a300");
    var rules = [
      { selector: "node", style: {
        "label": "data(label)", "color": text, "font-size": 10, "text-valign": "bottom",
        "text-margin-y": 3, "text-outline-color": surface, "text-outline-width": 2,
        "width": 22, "height": 22, "border-width": 1, "border-color": surface,
        "background-color": cssVar("--graph-other", "#8a94a6"), "shape": "ellipse",
        "text-max-width": 120, "text-wrap": "ellipsis", "min-zoomed-font-size": 6 } },
      { selector: "node[?expanded]", style: { "border-width": 3, "border-color": text } },
      { selector: "edge", style: {
        "width": 1.2, "line-color": muted, "target-arrow-color": muted,
        "target-arrow-shape": "triangle", "arrow-scale": 0.7, "curve-style": "bezier",
        "opacity": 0.7, "label": "", "font-size": 8, "color": muted,
        "text-outline-color": surface, "text-outline-width": 2 } },
      { selector: "edge:selected", style: { "label": "data(via)" } },
      { selector: "node[?aggregate]", style: {
        "shape": "round-rectangle", "height": 26, "padding": 8,
        "width": function (ele) { return Math.max(60, String(ele.data("label")).length * 6.6); },
        "text-valign": "center", "text-margin-y": 0, "font-size": 11, "font-weight": "bold",
        "border-width": 2, "border-style": "dashed", "color": text,
        "background-opacity": 0.18, "text-outline-width": 0, "text-max-width": 200 } },
      { selector: "edge[?aggregate]", style: { "line-style": "dashed" } },
      { selector: ":selected", style: { "overlay-color": accent, "overlay-opacity": 0.25,
        "overlay-padding": 6 } }
    ];
    Object.keys(SHAPES).forEach(function (key) {
      var colour = cssVar("--graph-" + key, "#8a94a6");
      rules.push({ selector: "node[style = '" + key + "']", style: {
        "background-color": colour, "shape": SHAPES[key] } });
      rules.push({ selector: "node[?aggregate][style = '" + key + "']", style: {
        "border-color": colour, "shape": "round-rectangle" } });
    });
    rules.push({ selector: "node[style = 'actor']", style: { "width": 30, "height": 30 } });
    return rules;
  }

  var cy = window.cytoscape({
    container: document.getElementById("graph-canvas"),
    style: stylesheet(), minZoom: 0.1, maxZoom: 4, boxSelectionEnabled: true,
    selectionType: "single"
  });
  window.cyberhubGraph = cy;  // for scripts and the browser tests
  var dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  if (dark && dark.addEventListener) {
    dark.addEventListener("change", function () { cy.style(stylesheet()); });
  }

  function say(text) { statusLine.textContent = text; }

  function counts() {
    var n = cy.nodes().length;
    var text = fmt(L.counts, { nodes: n, edges: cy.edges().length });
    if (n >= budget) { text += " · " + fmt(L.budget, { max: budget }); }
    say(n ? text : L.empty);
  }

  function filterParams(params) {
    ["type", "tlp", "vetting"].forEach(function (name) {
      form.querySelectorAll("input[name='" + name + "']:checked").forEach(function (box) {
        params.append(name, box.value);
      });
    });
    ["since", "until"].forEach(function (name) {
      var input = form.querySelector("input[name='" + name + "']");
      if (input && input.value) { params.append(name, input.value + "T00:00:00Z"); }
    });
    return params;
  }

  function getJSON(path, params) {
    busy = true;
    root.setAttribute("aria-busy", "true");
    say(L.loading);
    return fetch(api + path + "?" + params.toString(), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          var message = body && body.error ? body.error.message : response.statusText;
          throw new Error(message || String(response.status));
        }
        return body;
      });
    }).finally(function () {
      busy = false;
      root.removeAttribute("aria-busy");
    });
  }

  function fail(error) { say(fmt(L.failed, { message: error.message })); }

  function add(body, around) {
    var centre = around && around.nonempty() ? around.position() : null;
    var added = cy.collection();
    cy.batch(function () {
      body.nodes.forEach(function (n, i) {
        var existing = cy.getElementById(n.id);
        if (existing.nonempty()) {
          if (n.aggregate) {
            existing.data({ count: n.count, label: n.name, cursor: null });
          }
          return;
        }
        var data = Object.assign({}, n, { label: n.aggregate ? n.name : short(n.name) });
        var position = centre ? {
          x: centre.x + 60 * Math.cos(i * 2.4), y: centre.y + 60 * Math.sin(i * 2.4)
        } : undefined;
        added = added.union(cy.add({ group: "nodes", data: data, position: position }));
      });
      body.edges.forEach(function (e) {
        if (cy.getElementById(e.id).nonempty()) { return; }
        if (cy.getElementById(e.source).empty() || cy.getElementById(e.target).empty()) { return; }
        added = added.union(cy.add({ group: "edges", data: e }));
      });
    });
    return added;
  }

  function layout(fit) {
    var many = cy.nodes().length;
    cy.layout({
      name: typeof window.cytoscapeFcose === "function" ? "fcose" : "cose",
      quality: many > 600 ? "draft" : "default", randomize: false, animate: many < 400,
      animationDuration: 350, fit: fit !== false, padding: 30, nodeRepulsion: 6000,
      idealEdgeLength: 90, nodeDimensionsIncludeLabels: true,
      stop: function () {
        if (cy.zoom() > 1.5) { cy.zoom(1.5); cy.center(); }  // a few nodes stay their size
      }
    }).run();
  }

  function start() {
    var params = filterParams(new URLSearchParams());
    var text = search.value.trim();
    var how = mode.value;
    if (!text) { cy.elements().remove(); expanded = {}; counts(); return; }
    params.set(how, text);
    params.set("limit", String(limit));
    cy.elements().remove();
    expanded = {};
    showDetails(null);
    getJSON("", params).then(function (body) {
      add(body, null);
      if (how === "start" && body.nodes.length) {
        expanded[body.nodes[0].id] = true;
        cy.getElementById(body.nodes[0].id).data("expanded", true);
      }
      cy.nodes().positions(function (node, i) {
        return { x: 120 * Math.cos(i), y: 120 * Math.sin(i) };
      });
      layout(true);
      counts();
      if (!body.nodes.length) { say(L.nothing); }
    }).catch(fail);
  }

  // The nodes already drawn (the newest first, at most MAX_KNOWN) whose edges to what
  // an expansion adds the server sends too.
  var MAX_KNOWN = 100;
  function addKnown(params, except) {
    var ids = cy.nodes().filter(function (n) {
      return !n.data("aggregate") && n.id() !== except;
    }).map(function (n) { return n.id(); });
    ids.slice(-MAX_KNOWN).forEach(function (id) { params.append("known", id); });
    return params;
  }

  function expand(node) {
    if (busy || node.data("aggregate") || expanded[node.id()]) { return; }
    var params = filterParams(new URLSearchParams());
    addKnown(params, node.id());
    params.set("node", node.id());
    params.set("shown", String(cy.nodes().length));
    params.set("limit", String(limit));
    getJSON("/expand", params).then(function (body) {
      expanded[node.id()] = true;
      node.data("expanded", true);
      add(body, node);
      layout(true);
      counts();
      showDetails(node);
    }).catch(fail);
  }

  function openAggregate(agg) {
    if (busy) { return; }
    var params = filterParams(new URLSearchParams());
    params.delete("type");
    params.set("node", agg.data("of"));
    addKnown(params, agg.data("of"));
    params.set("via", agg.data("kind"));
    params.set("direction", agg.data("direction"));
    params.set("type", agg.data("type"));
    params.set("limit", String(limit));
    if (agg.data("cursor")) { params.set("cursor", agg.data("cursor")); }
    getJSON("/expand", params).then(function (body) {
      var added = add(body, agg);
      var shown = (agg.data("shown") || 0) + added.nodes().length;
      if (body.next_cursor) {
        var left = agg.data("count") - shown;
        agg.data({ cursor: body.next_cursor, shown: shown,
                   label: agg.data("name") + " · " + fmt(L.remaining, { n: left }) });
        showDetails(agg);
      } else {
        agg.remove();
        showDetails(null);
      }
      layout(true);
      counts();
    }).catch(fail);
  }

  function row(list, term, value, mono) {
    var dt = document.createElement("dt");
    dt.textContent = term;
    var dd = document.createElement("dd");
    dd.textContent = value;
    if (mono) { dd.className = "mono small"; }
    list.appendChild(dt);
    list.appendChild(dd);
  }

  function showDetails(node) {
    details.textContent = "";
    if (!node || node.removed()) {
      var hint = document.createElement("p");
      hint.className = "muted small";
      hint.textContent = L.select_hint;
      details.appendChild(hint);
      return;
    }
    var d = node.data();
    var title = document.createElement("p");
    title.className = "graph-panel-name";
    title.textContent = d.aggregate ? d.label : d.name;
    details.appendChild(title);
    var list = document.createElement("dl");
    list.className = "meta-list";
    if (d.aggregate) {
      row(list, L.type, d.type, true);
      row(list, L.via, d.via, true);
    } else {
      row(list, L.type, (L.styles && L.styles[d.style] ? L.styles[d.style] + " · " : "") + d.type);
      row(list, L.tlp, "TLP:" + d.tlp);
      row(list, L.vetting, d.vetting);
      row(list, L.stix_id, d.id, true);
    }
    details.appendChild(list);
    var actions = document.createElement("div");
    actions.className = "button-row";
    if (d.aggregate) {
      var more = document.createElement("button");
      more.type = "button";
      more.className = "btn btn-small btn-primary";
      more.textContent = fmt(L.more, { n: Math.min(limit, d.count - (d.shown || 0)) });
      more.addEventListener("click", function () { openAggregate(node); });
      actions.appendChild(more);
    } else {
      var link = document.createElement("a");
      link.className = "btn btn-small";
      link.href = "/objects/" + encodeURIComponent(d.record);
      link.textContent = L.open;
      actions.appendChild(link);
      var grow = document.createElement("button");
      grow.type = "button";
      grow.className = "btn btn-small";
      grow.textContent = expanded[d.id] ? L.expanded : L.expand;
      grow.disabled = !!expanded[d.id];
      grow.addEventListener("click", function () { expand(node); });
      actions.appendChild(grow);
    }
    details.appendChild(actions);
  }

  cy.on("tap", "node", function (event) {
    var node = event.target;
    showDetails(node);
    if (node.data("aggregate")) { openAggregate(node); } else { expand(node); }
  });

  function download(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
  }

  function selection() {
    var chosen = cy.nodes(":selected").filter(function (n) { return !n.data("aggregate"); });
    var nodes = chosen.length > 1 ? chosen
      : cy.nodes().filter(function (n) { return !n.data("aggregate"); });
    var ids = nodes.map(function (n) { return n.id(); });
    nodes.edgesWith(nodes).forEach(function (e) {
      if (e.data("relationship")) { ids.push(e.data("relationship")); }
    });
    return ids;
  }

  function exportStix() {
    var ids = selection();
    if (!ids.length) { say(L.export_empty); return; }
    say(L.loading);
    fetch(api + "/export", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf,
                 "Accept": "application/stix+json" },
      body: JSON.stringify({ ids: ids })
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (body) {
          throw new Error(body && body.error ? body.error.message : response.statusText);
        });
      }
      return response.blob().then(function (blob) {
        download(blob, "cyberhub-graph.json");
        say(fmt(L.exported, { n: ids.length }));
      });
    }).catch(fail);
  }

  function exportPng() {
    if (!cy.nodes().length) { say(L.export_empty); return; }
    var blob = cy.png({ output: "blob", full: true, scale: 2, bg: cssVar("--surface", "#ffffff") });
    download(blob, "cyberhub-graph.png");
  }

  root.querySelector("[data-graph-fit]").addEventListener("click", function () { cy.fit(undefined, 30); });
  root.querySelectorAll("[data-graph-export]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (button.getAttribute("data-graph-export") === "png") { exportPng(); } else { exportStix(); }
    });
  });

  function syncName() { search.name = mode.value; }
  mode.addEventListener("change", syncName);
  syncName();
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = new URL(window.location.href);
    url.search = "";
    if (search.value.trim()) { url.searchParams.set(mode.value, search.value.trim()); }
    window.history.replaceState(null, "", url.toString());
    start();
  });

  if (search.value.trim()) { start(); } else { counts(); }
}());
