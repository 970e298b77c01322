"""``python -m benchmarks [NAME ...] [--quick] [--profile] [--write] [--output FILE]``.

NAMES: call, render, registry, server, weight, wire, browser, nojs (default: all).

Prints the table and exits 1 when a goal is missed (0 when all are met). Writes
``benchmarks/RESULTS.md`` only when asked: ``--write`` (a full, non-quick run) or
``--output FILE``; a plain run never dirties the checkout.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import typing as t

from .harness import Result, log, text_table, write_results

BENCHMARKS: dict[str, tuple[str, str]] = {
    # name: (module, function)
    "call": ("inprocess", "bench_call"),
    "render": ("inprocess", "bench_render"),
    "registry": ("inprocess", "bench_registry"),
    "server": ("server", "bench_server"),
    "weight": ("weight", "bench_weight"),
    "wire": ("weight", "bench_wire"),
    "browser": ("browser", "bench_browser"),
    "nojs": ("browser", "bench_nojs"),
}
PROFILABLE = ("call", "render")
RESULTS = os.path.join(os.path.dirname(__file__), "RESULTS.md")
NOTES = [
    "In-process benchmarks (call, render, registry) time CPU time of the process over"
    " alternating rounds and report the median round; their baseline is a separate Flask"
    " app without the extension, rendering the same partial with `PlainForm`.",
    "The gunicorn baseline route lives in `benchmarks/server_app.py`, in the same app as"
    " the example, so it also runs the extension's `before_request` hook; client and"
    " server share the machine's cores, so req/s understates a server-side difference:"
    " compare the CPU per request too.",
    "A busy machine (see the load average) widens the noise, not the ratios: every pair"
    " is measured in the same run, alternating.",
]


def _load(name: str) -> t.Callable[[bool], list[Result]]:
    import importlib

    module, func = BENCHMARKS[name]
    return getattr(importlib.import_module(f"{__package__}.{module}"), func)  # type: ignore[no-any-return]


def _loadavg() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:  # pragma: no cover - not on every platform
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Flask-Server-Functions against hand-written Flask, measured in the same run.",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds and requests")
    parser.add_argument(
        "--profile",
        action="store_true",
        help=f"profile the package's side of {' and '.join(PROFILABLE)} instead of timing",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="write benchmarks/RESULTS.md (a full run without --quick only)",
    )
    parser.add_argument("--output", help="write the results to this file")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = list(dict.fromkeys(args.names)) or list(BENCHMARKS)

    if args.profile:
        from .inprocess import profile_targets
        from .profiling import profile

        targets = profile_targets(args.quick)
        for name in [n for n in names if n in PROFILABLE] or list(PROFILABLE):
            fn, baseline, repeat = targets[name]
            print(profile(name, fn, baseline, repeat))
        return 0

    results: list[Result] = []
    extra: dict[str, str] = {}
    load_before = _loadavg()
    start = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        log(f"-- {name}")
        try:
            rows = _load(name)(args.quick)
        except Exception as e:  # one failing benchmark must not hide the others
            rows = [Result(name, f"FAILED: {type(e).__name__}: {e}", "", met=False)]
        results += rows
        log(f"   {time.perf_counter() - t0:.1f} s")
    extra["duration"] = f"{time.perf_counter() - start:.0f} s"
    extra["load average (1 min) before / after"] = f"{load_before} / {_loadavg()}"
    print(text_table(results))
    missed = [r for r in results if r.met is False]
    print()
    print(
        f"{len(missed)} goal(s) missed"
        + (": " if missed else "")
        + "; ".join(f"{r.bench} / {r.case}" for r in missed)
    )
    full = not args.quick and set(names) == set(BENCHMARKS)
    output = args.output or (RESULTS if args.write and full else None)
    if args.write and not full and not args.output:
        print("not written: --write keeps only a full run without --quick (or pass --output FILE)")
    if output:
        write_results(
            output, results, selected=args.names, quick=args.quick, extra=extra, notes=NOTES
        )
        print(f"written to {os.path.relpath(output)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
