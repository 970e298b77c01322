"""Benchmark 6: click to swap in Chromium, measured inside the page.

For each click: fill the name input, start a MutationObserver on the form, take
``performance.now()``, click Save, and take ``performance.now()`` again in the
observer callback that first sees the new name swapped in. The next click waits
for htmx's ``finally`` event of this request, so ``hx-sync`` never drops one.
The baseline is the same layout with a hand-written htmx form (``/_bench/page``)
posting to the hand-written view, on the same server, clicks alternating.
"""

from __future__ import annotations

import statistics
import time

from .harness import Result, log
from .server import Gunicorn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

CLICK_JS = """
async ([formSelector, value]) => {
  const form = document.querySelector(formSelector);
  const input = form.querySelector('input[name="name"]');
  input.value = value;
  const button = form.querySelector('button[type="submit"]');
  let t0 = 0, swapped = null;
  const finished = new Promise((resolve) => {
    document.addEventListener("htmx:finally:request", resolve, {once: true});
  });
  const swap = new Promise((resolve, reject) => {
    const observer = new MutationObserver(() => {
      const saved = form.querySelector(".saved-name");
      if (saved && saved.textContent === value) {
        swapped = performance.now();
        observer.disconnect();
        resolve();
      }
    });
    observer.observe(form, {childList: true, subtree: true, characterData: true});
    setTimeout(() => { observer.disconnect(); reject(new Error("no swap in 5 s")); }, 5000);
  });
  t0 = performance.now();
  button.click();
  await swap;
  await Promise.race([finished, new Promise((r) => setTimeout(r, 2000))]);
  return swapped - t0;
}
"""


def bench_browser(quick: bool) -> list[Result]:
    import os

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return [Result("6 click to swap", "skipped: Playwright is not installed", "")]
    if not os.access(CHROMIUM, os.X_OK):
        return [Result("6 click to swap", f"skipped: no Chromium at {CHROMIUM}", "")]
    clicks, warmup = (10, 3) if quick else (40, 5)
    times: dict[str, list[float]] = {"sf": [], "plain": []}
    with Gunicorn(workers=2) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        version = browser.version
        try:
            pages = {}
            for key, path in (("sf", "/"), ("plain", "/_bench/page")):
                page = browser.new_page()
                page.goto(server.origin + path)
                page.wait_for_function("() => window.htmx !== undefined")
                pages[key] = page
            # The UpdateName form: the server-function form holding the name input.
            selectors = {
                "sf": pages["sf"].evaluate(
                    "() => '#' + CSS.escape(document.querySelector("
                    "'form[data-sf-form] input[name=name]').form.id)"
                ),
                "plain": "#plain-name",
            }
            log(f"browser: Chromium {version}, {warmup} warm-up + {clicks} clicks per form")
            deadline = time.monotonic() + 120
            for n in range(warmup + clicks):
                if time.monotonic() > deadline:
                    break
                order = ("sf", "plain") if n % 2 == 0 else ("plain", "sf")
                for key in order:
                    ms = pages[key].evaluate(CLICK_JS, [selectors[key], f"{key}-click-{n}"])
                    if n >= warmup:
                        times[key].append(ms)
        finally:
            browser.close()
    sf, plain = statistics.median(times["sf"]), statistics.median(times["plain"])
    return [
        Result(
            "6 click to swap",
            f"UpdateName in Chromium, median of {len(times['sf'])} clicks",
            f"{sf:.1f} ms",
            f"{plain:.1f} ms",
            sf / plain,
            note=(
                f"Chromium {version} headless; performance.now() around the click and a"
                " MutationObserver on the form; baseline: the same layout with a"
                " hand-written htmx form and view; p90"
                f" {statistics.quantiles(times['sf'], n=10)[8]:.1f} vs"
                f" {statistics.quantiles(times['plain'], n=10)[8]:.1f} ms"
            ),
        )
    ]
