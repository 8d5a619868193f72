// cyberhub: security keys and passkeys (WebAuthn). A form marked data-webauthn="create"
// (add a key, on the profile) or data-webauthn="get" (sign in with one) asks the hub for
// the ceremony's options (data-webauthn-options, as JSON), lets the browser talk to the
// key, puts the key's answer (PublicKeyCredential.toJSON()) into the form's "credential"
// field and sends the form; the hub checks it. Messages come from the form's data-msg-*
// attributes, translated by the page. No inline script: the CSP allows 'self'.
"use strict";

(function () {
  function supported() {
    return typeof window.PublicKeyCredential === "function" &&
      typeof window.PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
      typeof window.PublicKeyCredential.parseRequestOptionsFromJSON === "function" &&
      !!navigator.credentials;
  }

  function showError(form, message) {
    var box = form.querySelector("[data-webauthn-error]");
    if (!box) { return; }
    box.textContent = message;
    box.hidden = false;
  }

  function clearError(form) {
    var box = form.querySelector("[data-webauthn-error]");
    if (box) { box.hidden = true; box.textContent = ""; }
  }

  // What went wrong, said from the form's translated messages.
  function messageFor(form, error) {
    if (error && error.hubMessage) { return error.hubMessage; }
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "AbortError") {
      return form.getAttribute("data-msg-cancelled");
    }
    if (name === "InvalidStateError" && form.hasAttribute("data-msg-known")) {
      return form.getAttribute("data-msg-known");
    }
    if (name === "SecurityError") { return form.getAttribute("data-msg-address"); }
    return form.getAttribute("data-msg-failed");
  }

  function fetchOptions(form) {
    var body = new FormData(form);
    body.delete("credential");
    return fetch(form.getAttribute("data-webauthn-options"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok || !data || !data.publicKey) {
          var err = new Error("refused");
          err.hubMessage = data && data.error && data.error.message;
          throw err;
        }
        return data.publicKey;
      });
    });
  }

  function ceremony(form, mode, options) {
    if (mode === "create") {
      return navigator.credentials.create({
        publicKey: window.PublicKeyCredential.parseCreationOptionsFromJSON(options)
      });
    }
    return navigator.credentials.get({
      publicKey: window.PublicKeyCredential.parseRequestOptionsFromJSON(options)
    });
  }

  function setBusy(form, busy) {
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = busy;
      button.setAttribute("aria-busy", busy ? "true" : "false");
    });
  }

  function init(form) {
    var mode = form.getAttribute("data-webauthn");
    if (!window.isSecureContext || !supported()) {
      // Browsers offer WebAuthn only to https:// pages (and http://localhost).
      showError(form, form.getAttribute(window.isSecureContext ? "data-msg-unsupported"
        : "data-msg-insecure"));
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearError(form);
      setBusy(form, true);
      fetchOptions(form)
        .then(function (options) { return ceremony(form, mode, options); })
        .then(function (credential) {
          if (!credential) { throw new Error("no credential"); }
          form.querySelector("input[name=credential]").value =
            JSON.stringify(credential.toJSON());
          // submit() sends the form without firing this handler again.
          form.submit();
        })
        .catch(function (error) {
          setBusy(form, false);
          showError(form, messageFor(form, error));
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-webauthn]").forEach(init);
  });
})();
