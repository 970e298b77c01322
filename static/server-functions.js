/* Flask-Server-Functions client script: docs/client.md */
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
    [].forEach.call(copy.children, function (el) {
      el.classList.add("sf-optimistic");
      el.setAttribute("aria-busy", "true");
      el.setAttribute("data-sf-optimistic-for", form.id);
    });
    target.insertBefore(copy, target.firstChild);
  }

  // htmx 4: the form posts to its own action (hx-post is left empty) and swaps its
  // own inside, unless its attributes say otherwise; a second submit while one is in
  // flight is dropped.
  document.addEventListener("htmx:config:request", function (event) {
    var form = event.target, ctx = event.detail.ctx;
    if (!form.matches("form[data-sf-form]")) return;
    if (form._sf) return event.preventDefault();
    // A streaming form's first call waits for hx-sse, loaded only then (without it,
    // the form is sent as if JavaScript were off).
    var sse = data.sse && form.hasAttribute("data-sf-stream") && !(need[data.sse] || {}).ok;
    if (sse) {
      event.preventDefault();
      if (form._sfWait) return;
      form._sfWait = 1;
      var by = ctx.sourceEvent && ctx.sourceEvent.submitter;
      need(data.sse, "body");
      need[data.sse].addEventListener("load", function () {
        form._sfWait = 0;
        form.requestSubmit(by);
      });
      need[data.sse].addEventListener("error", function () { form.submit(); });
      return;
    }
    ctx.request.action ||= form.getAttribute("action");
    if (!own(form, "target")) ctx.target = form;
    if (!own(form, "swap")) ctx.swap = "innerHTML";
  });
  function own(form, name) {
    return form.hasAttribute("hx-" + name) || form.hasAttribute("data-hx-" + name);
  }

  var SAID = '[role="status"], [role="alert"], .sf-error';

  document.addEventListener(events.before, function (event) {
    var form = formOf(event);
    if (!form) return;
    // Where focus was (control id or index, enclosing ids): disabling drops it.
    var active = document.activeElement, ids = [], el = form;
    for (; el; el = el.parentElement) if (el.id) ids.push(el.id);
    form._sf = {
      focus: active && form.contains(active)
        ? active.id || [].indexOf.call(form.elements, active) : null,
      ids: ids,
      said: [].slice.call(document.querySelectorAll(SAID)),
      // Its controls, disabled while the call runs (not those the page disabled).
      off: [].filter.call(form.elements, function (el) { return !el.disabled; })
    };
    form._sf.off.forEach(function (el) { el.disabled = true; });
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("[data-pending-label]").forEach(function (button) {
      button.setAttribute("data-idle-label", button.textContent);
      button.textContent = button.getAttribute("data-pending-label");
    });
    if (form.hasAttribute("data-optimistic")) showOptimistic(form);
  });

  var live;
  // Announce what is new since the call began and rendered (not inside a hidden
  // region, display:none or visibility:hidden), else a plain word.
  function announce(old, status) {
    var text = [].filter.call(document.querySelectorAll(SAID), function (el) {
      return old.indexOf(el) < 0 && (el.checkVisibility
        ? el.checkVisibility({ visibilityProperty: true }) : el.getClientRects().length);
    }).map(function (el) { return el.textContent.trim(); }).filter(Boolean).join(" ") ||
      (status >= 400 ? "Something went wrong." : "Done.");
    if (!live || !live.isConnected) {  // a boosted swap removes it
      live = document.createElement("div");
      live.setAttribute("aria-live", "polite");
      live.className = "sf-live";  // visually hidden: server-functions.css
      document.body.appendChild(live);
    }
    live.textContent = "";
    setTimeout(function () { live.textContent = text; }, 50);
  }

  document.addEventListener(events.done, function (event) {
    var d = event.detail || {};
    var form = formOf(event) || (d.ctx && d.ctx.sourceElement) || d.elt;
    var was = form && form._sf;
    if (!was) return;
    form._sf = null;
    was.off.forEach(function (el) { el.disabled = false; });
    announce(was.said, d.ctx ? d.ctx.response && d.ctx.response.status : d.xhr && d.xhr.status);
    form.removeAttribute("aria-busy");
    form.querySelectorAll("[data-idle-label]").forEach(function (button) {
      button.textContent = button.getAttribute("data-idle-label");
      button.removeAttribute("data-idle-label");
    });
    document.querySelectorAll('[data-sf-optimistic-for="' + CSS.escape(form.id) + '"]')
      .forEach(function (el) { el.remove(); });
    var active = document.activeElement;
    if (was.focus === null || (active && active !== document.body) ||
        form.querySelector("[autofocus]")) return;
    // The same control, else the nearest enclosing element still on the page.
    var again = form.isConnected && form.elements[was.focus];
    for (var i = 0; !again && i < was.ids.length; i++) again = document.getElementById(was.ids[i]);
    if (!again || again.disabled) return;
    if (again.tabIndex < 0) again.tabIndex = -1;
    again.focus();
  });

  // The uploader and live validation load only where a form uses them (hx-sse: when
  // a streaming form is first sent).
  function need(src, selector) {
    if (!src || need[src] || !window.htmx || !document.querySelector(selector)) return;
    var tag = need[src] = document.createElement("script");
    tag.src = src;
    tag.nonce = script.nonce;
    tag.onload = function () { tag.ok = 1; };
    document.head.appendChild(tag);
  }
  function load() {
    need(data.live, "form[data-sf-live]");
    need(data.upload, "form[data-sf-stream], form[data-sf-form][enctype^=multipart], [data-sf-cancel]");
  }
  load();
  document.addEventListener(events.done, load);

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
