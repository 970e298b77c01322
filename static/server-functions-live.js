/* Flask-Server-Functions live validation, for forms rendered with live=True: docs/client.md */
(function () {
  "use strict";
  var DELAY = 350;
  var touched = new WeakMap(), timers = new WeakMap(), pending = new WeakMap();

  function liveField(el) {
    var form = el && el.form;
    return form && el.name && form.hasAttribute("data-sf-live") && form.id ? form : null;
  }

  function controls(form, name) {
    return Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
  }

  function show(form, name, messages) {
    var id = form.id + "-" + name + "-error";
    var region = document.getElementById(id);
    var inputs = controls(form, name);
    if (!region && messages && inputs.length) {
      region = document.createElement("span");
      region.className = "sf-error";
      region.id = id;
      inputs[inputs.length - 1].insertAdjacentElement("afterend", region);
    }
    if (!region) return;
    region.textContent = messages ? messages.join(" ") : "";
    region.hidden = !messages;
    region.classList.toggle("sf-error", !!messages);
    inputs.forEach(function (input) {
      if (messages) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", id);
      } else {
        input.removeAttribute("aria-invalid");
      }
    });
  }

  function validate(form) {
    var names = touched.get(form);
    if (!names || !names.size || form.getAttribute("aria-busy") === "true") return;
    var body = new FormData(form);
    Array.from(body.keys()).forEach(function (key) {
      if (body.getAll(key).some(function (v) { return typeof v !== "string"; })) body.delete(key);
    });
    var previous = pending.get(form);
    if (previous) previous.abort();
    var controller = new AbortController();
    pending.set(form, controller);
    var only = Array.from(names);
    fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      signal: controller.signal,
      headers: {
        "Accept": "application/json",
        "Precognition": "true",
        "Precognition-Validate-Only": only.join(",")
      },
      body: body
    }).then(function (response) {
      if (response.status === 204) return { errors: {} };
      if (response.status === 422) return response.json();
      throw new Error("validate-only call answered " + response.status);
    }).then(function (result) {
      var errors = result.errors || {};
      only.forEach(function (name) { show(form, name, errors[name]); });
    }).catch(function () {});
  }

  function later(form) {
    clearTimeout(timers.get(form));
    timers.set(form, setTimeout(function () { validate(form); }, DELAY));
  }

  function touch(event, debounce) {
    var form = liveField(event.target);
    if (!form) return;
    var names = touched.get(form) || new Set();
    if (debounce && !names.has(event.target.name)) return;
    names.add(event.target.name);
    touched.set(form, names);
    if (debounce) return later(form);
    setTimeout(function () {  // left by pressing Submit: the submit validates everything
      if (pressed !== form) validate(form);
      pressed = null;
    }, 0);
  }

  var pressed = null;
  document.addEventListener("pointerdown", function (event) {
    var button = event.target.closest && event.target.closest("[type=submit]");
    pressed = button && button.form;
  }, true);

  document.addEventListener("change", function (event) { touch(event, false); });
  document.addEventListener("focusout", function (event) {
    var el = event.target;
    if (el && el.value !== undefined && el.value !== "" && liveField(el)) touch(event, false);
  });
  document.addEventListener("input", function (event) { touch(event, true); });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && form.hasAttribute && form.hasAttribute("data-sf-live")) {
      clearTimeout(timers.get(form));
      var controller = pending.get(form);
      if (controller) controller.abort();
    }
  }, true);
})();
