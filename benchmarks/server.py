"""Benchmark 4: the example app under gunicorn, loaded from a second process."""

from __future__ import annotations

import contextlib
import html as html_module
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t

from .harness import Result, log

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    """End a server the benchmarks started: SIGTERM, then SIGKILL after 10 s."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def log_tail(log: t.IO[bytes]) -> str:
    """The end of a server's log, for the error that says it did not start."""
    log.seek(0)
    return log.read().decode(errors="replace")[-3000:]


class Gunicorn:
    """gunicorn serving ``benchmarks.server_app:create_app()`` on 127.0.0.1, with a
    fresh SQLite database in a temporary directory."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self.port = free_port()
        # On tmpfs when there is one: a disk's fsync per commit would swamp (and add
        # noise to) what is compared, the CPU each request costs.
        shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        self.tmp = tempfile.TemporaryDirectory(prefix="sf-bench-", dir=shm)
        self.on_tmpfs = shm is not None
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = open(os.path.join(self.tmp.name, "gunicorn.log"), "w+b")

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        env = {
            **os.environ,
            "FLASK_DATABASE": os.path.join(self.tmp.name, "bench.sqlite"),
            # "k" prefix: from_prefixed_env would read an all-digit value as a number.
            "FLASK_SECRET_KEY": "k" + secrets.token_hex(16),
            "PYTHONPATH": ROOT,
        }
        cmd = [
            sys.executable, "-m", "gunicorn",
            "--workers", str(self.workers),
            "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}",
            "--log-level", "warning",
            "benchmarks.server_app:create_app()",
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if len(self.worker_pids()) == self.workers:
                with contextlib.suppress(OSError):
                    self.get("/")
                    return self
            time.sleep(0.1)
        log = log_tail(self.log)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not start:\n{log}")

    def __exit__(self, *exc: object) -> None:
        stop(self.proc)
        self.log.close()
        self.tmp.cleanup()

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        pids = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                pids.append(int(name))
        return pids

    def cpu_seconds(self) -> float:
        """utime + stime of the workers (fields 14 and 15 of /proc/<pid>/stat)."""
        total = 0
        for pid in self.worker_pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / CLK_TCK

    def get(self, path: str) -> str:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read().decode()
        conn.close()
        if resp.status != 200:
            raise OSError(f"GET {path}: {resp.status}")
        return body


def name_form_action(html: str) -> str:
    """The action of the form whose partial has the ``name`` input (UpdateName).

    The load posts only ``name``, as that form does: it must have no hidden field.
    """
    for attrs, inner in re.findall(r"<form([^>]*)>(.*?)</form>", html, re.S):
        if 'name="name"' in inner:
            hidden = re.findall(r'<input type="hidden" name="([^"]+)"', inner)
            assert not hidden, f"the UpdateName form posts {hidden} too: send them"
            action = re.search(r' action="([^"]+)"', attrs).group(1)  # type: ignore[union-attr]
            return html_module.unescape(action)
    raise AssertionError("no UpdateName form on the page")


def load(server: Gunicorn, path: str, requests: int, *, threads: int = 4) -> dict[str, t.Any]:
    spec = {
        "host": "127.0.0.1",
        "port": server.port,
        "path": path,
        "headers": {
            "HX-Request": "true",
            "HX-Current-URL": server.origin + "/",
            "Accept": "text/html",
            "Origin": server.origin,
        },
        "fields": {"name": "bench"},  # what each form posts (the name form has no hidden field)
        "vary": "name",
        "expect": "Saved name:",
        "requests": requests,
        "threads": threads,
        "timeout": 120,
    }
    cpu0 = server.cpu_seconds()
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.loadgen", json.dumps(spec)],
        cwd=ROOT,
        capture_output=True,
        timeout=180,
        check=True,
    )
    cpu = server.cpu_seconds() - cpu0
    out: dict[str, t.Any] = json.loads(proc.stdout)
    out["cpu"] = cpu
    return out


def _summary(parts: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    lat = sorted(x for p in parts for x in p["latencies"])
    ok = sum(p["ok"] for p in parts)
    errors = sum(p["errors"] for p in parts)
    elapsed = sum(p["elapsed"] for p in parts)
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [0.0] * 99
    return {
        "requests": ok + errors,
        "errors": errors,
        "error_samples": [s for p in parts for s in p["error_samples"]][:3],
        # The median round: a burst of load from elsewhere spoils a round, not the result.
        "rps": statistics.median(p["ok"] / p["elapsed"] for p in parts),
        "rps_total": ok / elapsed if elapsed else 0.0,
        "p50": statistics.median(lat) if lat else 0.0,
        "p99": q[98],
        "cpu_ms": sum(p["cpu"] for p in parts) / max(ok + errors, 1) * 1e3,
        "timed_out": any(p["timed_out"] for p in parts),
    }


def bench_server(quick: bool) -> list[Result]:
    per_round, rounds = (500, 2) if quick else (500, 20)
    with Gunicorn(workers=2) as server:
        on_tmpfs = server.on_tmpfs
        action = name_form_action(server.get("/"))
        paths = {"sf": action, "plain": "/_bench/update-name"}
        log(
            f"server: gunicorn -w 2 on :{server.port}; warm-up, then {rounds} x {per_round}"
            " requests per variant, alternating"
        )
        for path in paths.values():
            load(server, path, 200)
        parts: dict[str, list[dict[str, t.Any]]] = {k: [] for k in paths}
        for r in range(rounds):
            for key in ["sf", "plain"] if r % 2 == 0 else ["plain", "sf"]:
                parts[key].append(load(server, paths[key], per_round))
    sf, plain = _summary(parts["sf"]), _summary(parts["plain"])
    # Rounds alternate sf, plain / plain, sf: compare each sf round with its neighbour.
    pair_ratios = [
        (a["ok"] / a["elapsed"]) / (b["ok"] / b["elapsed"])
        for a, b in zip(parts["sf"], parts["plain"], strict=True)
        if a["elapsed"] and b["elapsed"] and b["ok"]
    ]
    ratio = statistics.median(pair_ratios) if pair_ratios else None

    note = (
        f"{sf['requests']} + {plain['requests']} requests (UpdateName, htmx POST with Origin)"
        f" in {rounds} alternating rounds per variant; req/s is the median round, the ratio"
        f" the median of paired rounds ({', '.join(f'{r:.2f}' for r in pair_ratios)});"
        " 4 client threads in a second process, a new connection per request; CPU is"
        " utime+stime of both workers from /proc/<pid>/stat; SQLite commit per request"
        f" ({'database on tmpfs' if on_tmpfs else 'database on disk'})"
    )
    if sf["error_samples"] or plain["error_samples"]:
        note += f"; errors: {sf['error_samples'] + plain['error_samples']}"
    if sf["timed_out"] or plain["timed_out"]:
        note += "; TIME LIMIT HIT"
    cpu_ratio = sf["cpu_ms"] / plain["cpu_ms"] if plain["cpu_ms"] else None
    bench = "4 gunicorn"
    return [
        Result(
            bench,
            "throughput, UpdateName vs hand-written view (2 sync workers)",
            f"{sf['rps']:.0f} req/s",
            f"{plain['rps']:.0f} req/s",
            ratio,
            "≥ 0.95x",
            ratio is not None and ratio >= 0.95,
            note=note,
        ),
        Result(
            bench,
            "latency p50 / p99",
            f"{sf['p50'] * 1e3:.1f} / {sf['p99'] * 1e3:.1f} ms",
            f"{plain['p50'] * 1e3:.1f} / {plain['p99'] * 1e3:.1f} ms",
            sf["p50"] / plain["p50"] if plain["p50"] else None,
        ),
        Result(
            bench,
            "errors",
            f"{sf['errors']} of {sf['requests']}",
            f"{plain['errors']} of {plain['requests']}",
            None,
            "0",
            sf["errors"] == 0 and plain["errors"] == 0 and not sf["timed_out"],
        ),
        Result(
            bench,
            "server CPU per request",
            f"{sf['cpu_ms']:.2f} ms",
            f"{plain['cpu_ms']:.2f} ms",
            cpu_ratio,
            "≤ 1.05x",
            cpu_ratio is not None and cpu_ratio <= 1.05,
            note=(
                f"with CPU-bound workers on dedicated cores, req/s would be about"
                f" 1/{cpu_ratio:.2f} = {1 / cpu_ratio:.2f}x the baseline's"
                if cpu_ratio
                else ""
            ),
        ),
    ]
