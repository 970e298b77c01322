"""Next.js 16 serving the UpdateName form as a Server Action: benchmark 7's peer.

The app is in ``benchmarks/nextjs/`` (versions pinned by its ``package-lock.json``);
``make nextjs`` installs and builds it, and ``make bench`` does so when npm is on the
PATH. Without a build, benchmark 7 runs without it and says so.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time

from .server import ROOT, free_port, log_tail, stop

NEXTJS = os.path.join(ROOT, "benchmarks", "nextjs")
NEXT_BIN = os.path.join(NEXTJS, "node_modules", "next", "dist", "bin", "next")


def missing() -> str | None:
    """Why Next.js can't run here, or None when it can."""
    if shutil.which("node") is None:
        return "no node on the PATH"
    if not os.path.isfile(os.path.join(NEXTJS, ".next", "BUILD_ID")):
        return "benchmarks/nextjs is not built (make nextjs; needs npm)"
    if not os.path.isfile(NEXT_BIN):
        return "benchmarks/nextjs has no node_modules (make nextjs)"
    return None


def version() -> str:
    with contextlib.suppress(OSError, ValueError):
        with open(os.path.join(NEXTJS, "node_modules", "next", "package.json")) as f:
            return str(json.load(f)["version"])
    return "?"


class NextServer:
    """``next start`` (production, one Node.js process) on 127.0.0.1."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> NextServer:
        env = {**os.environ, "NODE_ENV": "production", "NEXT_TELEMETRY_DISABLED": "1"}
        cmd = ["node", NEXT_BIN, "start", "-H", "127.0.0.1", "-p", str(self.port)]
        self.proc = subprocess.Popen(cmd, cwd=NEXTJS, env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/")
                if conn.getresponse().status == 200:
                    return self
            time.sleep(0.2)
        log = log_tail(self.log)
        self.__exit__()
        raise RuntimeError(f"next start did not serve /:\n{log}")

    def __exit__(self, *exc: object) -> None:
        stop(self.proc)
        self.log.close()
