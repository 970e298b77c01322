"""A bounded HTTP load from a second process: ``python -m benchmarks.loadgen SPEC``.

SPEC is JSON: ``{"host", "port", "path", "headers", "fields", "vary", "expect",
"requests", "threads", "timeout"}``. Each request opens a connection (gunicorn's
sync workers close it after each response), POSTs the form fields (``vary`` gets
``-<n>`` appended so each request writes something new) and checks the status is
200 and the body contains ``expect``. Prints JSON: counts, elapsed, latencies.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlencode


def run(spec: dict) -> dict:
    total = int(spec["requests"])
    threads = int(spec.get("threads", 4))
    deadline = time.monotonic() + float(spec.get("timeout", 120))
    lock = threading.Lock()
    counter = iter(range(total))
    latencies: list[float] = []
    errors: list[str] = []

    def worker() -> None:
        local_lat: list[float] = []
        local_err: list[str] = []
        while time.monotonic() < deadline:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            fields = dict(spec["fields"])
            if spec.get("vary"):
                fields[spec["vary"]] = f"{fields[spec['vary']]}-{n}"
            body = urlencode(fields)
            headers = {
                **spec.get("headers", {}),
                "Content-Type": "application/x-www-form-urlencoded",
            }
            t0 = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(spec["host"], spec["port"], timeout=10)
                conn.request("POST", spec["path"], body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read().decode("utf-8", "replace")
                conn.close()
                elapsed = time.perf_counter() - t0
                if resp.status != 200 or spec["expect"] not in data:
                    local_err.append(f"{resp.status}: {data[:200]}")
                else:
                    local_lat.append(elapsed)
            except Exception as e:  # every failure counts as an error
                local_err.append(repr(e))
        with lock:
            latencies.extend(local_lat)
            errors.extend(local_err)

    start = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    elapsed = time.perf_counter() - start
    return {
        "ok": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:3],
        "elapsed": elapsed,
        "latencies": latencies,
        "timed_out": len(latencies) + len(errors) < total,
    }


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
