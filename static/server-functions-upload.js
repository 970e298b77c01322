/* Flask-Server-Functions: upload progress and cancel (docs/client.md). server-functions.js
 * loads it on pages with a multipart, streaming or cancellable server-function form. */
(function () {
  "use strict";
  function formOf(el) {
    return el && el.closest ? el.closest("form[data-sf-form]") : null;
  }

  // Decimal units, as the server's messages: 1 KB = 1000 bytes, 1 MB = 1,000,000.
  function size(n) {
    return n < 1e6 ? Math.ceil(n / 1e3) + " KB" : (n / 1e6).toFixed(1) + " MB";
  }

  function progress(form, loaded, total) {
    form.querySelectorAll("progress[data-sf-progress]").forEach(function (bar) {
      bar.max = total;
      bar.value = loaded;
    });
    form.querySelectorAll("[data-sf-progress-text]").forEach(function (el) {
      var text = el.getAttribute("data-sf-progress-text") || "Uploaded {loaded} of {total}";
      el.textContent = text.replace("{loaded}", size(loaded)).replace("{total}", size(total));
    });
  }

  // fetch() reports no upload progress: the body goes through XMLHttpRequest, and the
  // answer reaches htmx as a Response (its body streamed, for hx-sse).
  function send(form, url, init) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest(), read = 0, out;
      var body = new ReadableStream({ start: function (c) { out = c; } });
      var encoder = new TextEncoder();
      function fail(error) {
        reject(error);
        try { out.error(error); } catch (e) { /* closed already */ }
      }
      xhr.open(init.method, url);
      Object.keys(init.headers || {}).forEach(function (name) {
        xhr.setRequestHeader(name, init.headers[name]);
      });
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) progress(form, e.loaded, e.total);
      };
      xhr.onreadystatechange = function () {
        if (xhr.readyState !== 2) return;
        var headers = new Headers();
        xhr.getAllResponseHeaders().split("\r\n").forEach(function (line) {
          var at = line.indexOf(":");
          if (at > 0) headers.append(line.slice(0, at), line.slice(at + 1).trim());
        });
        var empty = xhr.status === 204 || xhr.status === 304;
        resolve(new Response(empty ? null : body, { status: xhr.status, headers: headers }));
      };
      xhr.onprogress = xhr.onload = function (e) {
        out.enqueue(encoder.encode(xhr.responseText.slice(read)));
        read = xhr.responseText.length;
        if (e.type === "load") out.close();
      };
      xhr.onerror = function () { fail(new TypeError("Network request failed")); };
      xhr.onabort = function () { fail(new DOMException("Aborted", "AbortError")); };
      if (init.signal) init.signal.addEventListener("abort", function () { xhr.abort(); });
      xhr.send(init.body);
    });
  }

  document.addEventListener("htmx:before:request", function (event) {
    var form = formOf(event.target), ctx = event.detail.ctx;
    if (!form) return;
    // The form's controls have just been disabled: the cancel button stays usable.
    form.querySelectorAll("[data-sf-cancel]").forEach(function (b) { b.disabled = false; });
    if (ctx.request.body instanceof FormData) {
      ctx.fetch = function (url, init) { return send(form, url, init); };
    }
  });

  // A cancelled call ends visibly: "Cancelled." (the cancel button's
  // data-sf-cancelled text, to translate it) as a status in the form, added before
  // the main script announces what is new (a capturing listener runs first). What
  // the call showed last stays; the server stops at the next state it yields.
  document.addEventListener("htmx:finally:request", function (event) {
    var form = formOf(event.target);
    if (!form || !form._sfCancel) return;
    form._sfCancel = false;
    form.querySelectorAll(".sf-cancelled").forEach(function (el) { el.remove(); });
    var button = form.querySelector("[data-sf-cancel]"), said = document.createElement("p");
    said.className = "sf-cancelled";
    said.setAttribute("role", "status");
    said.textContent = (button && button.getAttribute("data-sf-cancelled")) || "Cancelled.";
    form.appendChild(said);
  }, true);

  function cancel(form) {
    if (form && form.getAttribute("aria-busy") === "true") {
      form._sfCancel = true;  // (hx-sse aborts a stream that ended, too)
      htmx.trigger(form, "htmx:abort");
    }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-sf-cancel]");
    if (button) cancel(formOf(button));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("form[data-sf-form][aria-busy=true]").forEach(function (form) {
      if (form.querySelector("[data-sf-cancel]")) cancel(form);
    });
  });
})();
