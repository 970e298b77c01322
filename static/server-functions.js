/* Flask-Server-Functions: the pending state of server-function forms.
 * htmx disables the controls (hx-disable) and shows .htmx-indicator elements;
 * this adds aria-busy on the form and swaps a button's label for its
 * data-pending-label while the request runs. Event names come from the
 * script tag (data-event-*), so the htmx dialect is chosen on the server. */
(function () {
  "use strict";
  var script = document.currentScript;
  var events = {
    before: (script && script.dataset.eventBefore) || "htmx:before:request",
    done: (script && script.dataset.eventFinally) || "htmx:finally:request"
  };
  function formOf(event) {
    var el = event.target;
    return el && el.closest ? el.closest("form[data-sf-form]") : null;
  }
  document.addEventListener(events.before, function (event) {
    var form = formOf(event);
    if (!form) return;
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("[data-pending-label]").forEach(function (button) {
      button.setAttribute("data-idle-label", button.textContent);
      button.textContent = button.getAttribute("data-pending-label");
    });
  });
  document.addEventListener(events.done, function (event) {
    var form = formOf(event);
    if (!form) return;
    form.removeAttribute("aria-busy");
    form.querySelectorAll("[data-idle-label]").forEach(function (button) {
      button.textContent = button.getAttribute("data-idle-label");
      button.removeAttribute("data-idle-label");
    });
  });
  window.serverFunctions = { version: "0.1" };
})();
