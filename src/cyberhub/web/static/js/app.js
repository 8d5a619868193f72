// cyberhub: small progressive enhancements. Every page works without this file.
"use strict";

(function () {
  // The TLP select explains who will see the record and shows only the audience
  // fields that marking allows (hidden fields are disabled so they are not sent).
  function syncTlp(select) {
    var form = select.form;
    var value = select.value;
    form.querySelectorAll("[data-tlp-rule]").forEach(function (li) {
      li.classList.toggle("is-current", li.getAttribute("data-tlp-rule") === value);
    });
    form.querySelectorAll("[data-tlps]").forEach(function (box) {
      var allowed = box.getAttribute("data-tlps").split(" ").indexOf(value) !== -1;
      box.hidden = !allowed;
      box.querySelectorAll("select, input").forEach(function (el) { el.disabled = !allowed; });
    });
    var none = form.querySelector("[data-no-audience]");
    if (none) {
      none.hidden = ["CLEAR", "GREEN"].indexOf(value) === -1;
    }
  }

  // Type to narrow a long multi-select; selected options always stay visible.
  function filterOptions(input) {
    var target = document.getElementById(input.getAttribute("data-filter-for"));
    if (!target) { return; }
    var needle = input.value.trim().toLowerCase();
    Array.prototype.forEach.call(target.options, function (opt) {
      opt.hidden = needle !== "" && !opt.selected && opt.text.toLowerCase().indexOf(needle) === -1;
    });
  }

  function copy(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) { return; }
    navigator.clipboard.writeText(target.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = button.getAttribute("data-copied") || "Copied";
      setTimeout(function () { button.textContent = label; }, 1800);
    });
  }

  // Show a field only while another control of its form has a given value
  // (data-show-if="name=value"); hidden fields are disabled so they are not sent.
  function syncShowIf(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (box) {
      var rule = box.getAttribute("data-show-if").split("=");
      var chosen = form.querySelector('[name="' + rule[0] + '"]:checked') ||
        form.querySelector('select[name="' + rule[0] + '"]');
      var shown = chosen !== null && chosen.value === rule[1];
      box.hidden = !shown;
      box.querySelectorAll("select, input").forEach(function (el) { el.disabled = !shown; });
    });
  }

  // A password field's "Show"/"Hide" button (ASVS 2.1.12): the input turns to plain text
  // and back. It is masked again before the form is sent (so password managers see a
  // password field, and the browser does not remember it as form text) and when the page
  // is left.
  function showPassword(button, shown) {
    var input = document.getElementById(button.getAttribute("data-password-toggle"));
    if (!input) { return; }
    input.type = shown ? "text" : "password";
    button.setAttribute("aria-pressed", shown ? "true" : "false");
    var label = button.querySelector("[data-toggle-label]");
    if (label) { label.textContent = button.getAttribute(shown ? "data-hide" : "data-show"); }
  }

  function initPasswordToggle(button) {
    var input = document.getElementById(button.getAttribute("data-password-toggle"));
    if (!input || button.hasAttribute("data-ready")) { return; }
    button.setAttribute("data-ready", "");
    button.hidden = false;
    button.addEventListener("click", function () {
      showPassword(button, button.getAttribute("aria-pressed") !== "true");
    });
    if (input.form) {
      input.form.addEventListener("submit", function () { showPassword(button, false); });
    }
  }

  window.addEventListener("pagehide", function () {
    document.querySelectorAll("[data-password-toggle]").forEach(function (button) {
      showPassword(button, false);
    });
  });

  function init(root) {
    root.querySelectorAll("[data-password-toggle]").forEach(initPasswordToggle);
    root.querySelectorAll("[data-tlp-select]").forEach(function (select) {
      syncTlp(select);
      select.addEventListener("change", function () { syncTlp(select); });
    });
    root.querySelectorAll("[data-filter-for]").forEach(function (input) {
      input.hidden = false;
      input.addEventListener("input", function () { filterOptions(input); });
    });
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
    root.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-show-if]")) { return; }
      syncShowIf(form);
      form.addEventListener("change", function () { syncShowIf(form); });
    });
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () {
        if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
      });
    });
  }

  // Forms marked data-drop-empty leave empty fields out of htmx requests, so the
  // address pushed to the history stays short and readable.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    var data = event.detail.formData;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-drop-empty") || !data) { return; }
    var empty = [];
    data.forEach(function (value, key) { if (value === "") { empty.push(key); } });
    empty.forEach(function (key) { data.delete(key); });
  });

  // htmx leaves a refused form's answer (4xx) unswapped; sections marked data-swap-errors
  // (the comments) show it in place, with the message and what was typed.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var target = event.detail.target;
    if ([403, 409, 413, 422].indexOf(status) >= 0 && target && target.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) {
    if (event.target !== document.body) { init(event.target); }
  });
})();
