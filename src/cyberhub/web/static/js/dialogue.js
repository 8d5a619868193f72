// Dialogue room: after an htmx post, empty the form and fold the reply box; a refused
// post (4xx) still shows its message, which arrives out of band in #post-notice.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.elt;
    if (!form || !form.closest || !form.closest(".dialogue-room")) return;
    var status = event.detail.xhr.status;
    if (status >= 400 && status < 500) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches(".post-form, .reply-form")) return;
    if (event.detail.successful) {
      form.reset();
      var details = form.closest("details");
      if (details) details.open = false;
    }
  });
})();
