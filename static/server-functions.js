/* Flask-Server-Functions client script: pending state, focus, announcements,
 * optimistic UI and serverFunctions.call(). What each part does: docs/client.md. */
(function () {
  "use strict";
  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var events = {
    before: data.eventBefore || "htmx:before:request",
    done: data.eventFinally || "htmx:finally:request"
  };

  function formOf(event) {
    var el = event.target;
    return el && el.closest ? el.closest("form[data-sf-form]") : null;
  }

  function showOptimistic(form) {
    var template = document.querySelector(form.getAttribute("data-optimistic"));
    var target = document.querySelector(form.getAttribute("data-optimistic-target"));
    if (!template || !target) return;
    var copy = template.content.cloneNode(true);
    copy.querySelectorAll("[data-field]").forEach(function (el) {
      var input = form.elements.namedItem(el.getAttribute("data-field"));
      el.textContent = input && "value" in input ? input.value : "";
    });
    Array.prototype.forEach.call(copy.children, function (el) {
      el.classList.add("sf-optimistic");
      el.setAttribute("aria-busy", "true");
      el.setAttribute("data-sf-optimistic-for", form.id);
    });
    target.insertBefore(copy, target.firstChild);
  }

  function clearOptimistic(form) {
    var selector = '[data-sf-optimistic-for="' + CSS.escape(form.id) + '"]';
    document.querySelectorAll(selector).forEach(function (el) {
      el.remove();
    });
  }

  document.addEventListener(events.before, function (event) {
    var form = formOf(event);
    if (!form) return;
    // Disabling the controls drops focus to <body>: remember where it was.
    var active = document.activeElement;
    if (active && active.id && form.contains(active)) form.setAttribute("data-sf-focus", active.id);
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("[data-pending-label]").forEach(function (button) {
      button.setAttribute("data-idle-label", button.textContent);
      button.textContent = button.getAttribute("data-pending-label");
    });
    if (form.hasAttribute("data-optimistic")) showOptimistic(form);
  });

  var live;
  function announce(form) {
    var text = Array.prototype.map.call(
      form.querySelectorAll('[role="status"], [role="alert"], .sf-error'),
      function (el) { return el.textContent.trim(); }
    ).filter(Boolean).join(" ");
    if (!text) return;
    if (!live || !live.isConnected) {  // a boosted page swap removes it
      live = document.createElement("div");
      live.setAttribute("aria-live", "polite");
      live.className = "sf-live";
      live.style.cssText = "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)";
      document.body.appendChild(live);
    }
    live.textContent = "";
    setTimeout(function () { live.textContent = text; }, 50);
  }

  document.addEventListener(events.done, function (event) {
    var form = formOf(event);
    if (!form) return;
    announce(form);
    form.removeAttribute("aria-busy");
    form.querySelectorAll("[data-idle-label]").forEach(function (button) {
      button.textContent = button.getAttribute("data-idle-label");
      button.removeAttribute("data-idle-label");
    });
    clearOptimistic(form);
    var focusId = form.getAttribute("data-sf-focus");
    form.removeAttribute("data-sf-focus");
    var active = document.activeElement;
    if (focusId && (!active || active === document.body) && !form.querySelector("[autofocus]")) {
      var again = document.getElementById(focusId);
      if (again && form.contains(again) && !again.disabled) again.focus();
    }
  });

  // htmx's hx-sse and the uploader load only on pages with a form that uses them.
  function need(src, selector) {
    if (!src || need[src] || !window.htmx || !document.querySelector(selector)) return;
    var tag = need[src] = document.createElement("script");
    tag.src = src;
    tag.nonce = script.nonce;
    document.head.appendChild(tag);
  }
  function load() {
    need(data.sse, "form[data-sf-stream]");
    need(data.upload, "form[data-sf-stream], form[data-sf-form][enctype^=multipart], [data-sf-cancel]");
  }
  load();
  document.addEventListener(events.done, load);

  if (data.eventBeforeSwap) {
    // htmx 2 does not swap error answers; server-function forms render them.
    document.addEventListener(data.eventBeforeSwap, function (event) {
      var detail = event.detail;
      if (formOf(event) && detail.xhr && detail.xhr.status >= 400 && detail.xhr.responseText) {
        detail.shouldSwap = true;
        detail.isError = false;
      }
    });
  }

  window.serverFunctions = {
    call: function (url, args) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json", "Content-Type": "application/json" },
        body: JSON.stringify(args || {})
      }).then(function (response) {
        return response.json().then(function (body) {
          body.status = response.status;
          body.ok = response.ok;
          return body;
        });
      });
    }
  };
})();
