"""``python -m benchmarks [NAME ...] [--quick] [--profile] [--no-write]``.

NAMES: call, render, registry, server, weight, browser (default: all).
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
    "browser": ("browser", "bench_browser"),
}
PROFILABLE = ("call", "render")
RESULTS = os.path.join(os.path.dirname(__file__), "RESULTS.md")


def _load(name: str) -> t.Callable[[bool], list[Result]]:
    import importlib

    module, func = BENCHMARKS[name]
    return getattr(importlib.import_module(f"{__package__}.{module}"), func)  # type: ignore[no-any-return]


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
        "--output", default=RESULTS, help="where to write the results (default: %(default)s)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)

    if args.profile:
        from .inprocess import profile_targets
        from .profiling import profile

        targets = profile_targets(args.quick)
        for name in [n for n in names if n in PROFILABLE] or list(PROFILABLE):
            fn, repeat = targets[name]
            print(profile(name, fn, repeat))
        return 0

    results: list[Result] = []
    extra: dict[str, str] = {}
    start = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        log(f"-- {name}")
        try:
            rows = _load(name)(args.quick)
        except Exception as e:  # noqa: BLE001 - one failing benchmark must not hide the others
            rows = [Result(name, f"FAILED: {type(e).__name__}: {e}", "", met=False)]
        results += rows
        log(f"   {time.perf_counter() - t0:.1f} s")
    extra["duration"] = f"{time.perf_counter() - start:.0f} s"
    print(text_table(results))
    missed = [r for r in results if r.met is False]
    print()
    print(f"{len(missed)} goal(s) missed" + (": " if missed else "") + "; ".join(
        f"{r.bench} / {r.case}" for r in missed
    ))
    if not args.no_write:
        write_results(
            args.output, results, selected=args.names, quick=args.quick, extra=extra, notes=[]
        )
        print(f"written to {os.path.relpath(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
