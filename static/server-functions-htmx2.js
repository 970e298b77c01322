/* Flask-Server-Functions, htmx 2 dialect only (SERVER_FUNCTIONS_DIALECT = "2"): htmx 2
 * does not swap error answers (4xx, 5xx); server-function forms render them. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail, el = event.target;
    var form = el && el.closest ? el.closest("form[data-sf-form]") : null;
    if (form && detail.xhr && detail.xhr.status >= 400 && detail.xhr.responseText) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
})();
