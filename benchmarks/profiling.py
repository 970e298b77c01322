"""``python -m benchmarks --profile [call] [render]``: where the package's time goes.

For each path prints: a pyinstrument call tree of the package side (when
pyinstrument is installed), cProfile's top functions by own time, and the
difference in own time per request between the package and the hand-written
baseline (what the package adds, function by function).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import typing as t

_ROOTS = [p + os.sep for p in (os.path.dirname(os.path.dirname(os.path.abspath(__file__))),)]


def _short(filename: str) -> str:
    for marker in ("site-packages" + os.sep, *_ROOTS):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _cprofile(fn: t.Callable[[], t.Any], repeat: int) -> cProfile.Profile:
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(repeat):
        fn()
    prof.disable()
    return prof


def _own_times(prof: cProfile.Profile, repeat: int) -> dict[str, tuple[float, float, float]]:
    """function -> (own seconds, cumulative seconds, calls), per run."""
    out = {}
    raw = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    for (filename, line, name), (_, ncalls, tottime, cumtime, _) in raw.items():
        key = f"{_short(filename)}:{line}({name})"
        out[key] = (tottime / repeat, cumtime / repeat, ncalls / repeat)
    return out


def profile(
    name: str,
    fn: t.Callable[[], t.Any],
    baseline: t.Callable[[], t.Any],
    repeat: int,
    *,
    top: int = 30,
) -> str:
    out = [f"=== {name}: package side, {repeat} runs ==="]
    for _ in range(max(1, repeat // 20)):  # warm caches
        fn()
        baseline()
    try:
        from pyinstrument import Profiler
    except ImportError:
        out.append("(pyinstrument is not installed: pip install pyinstrument for a call tree)")
    else:
        profiler = Profiler(interval=0.0002)
        profiler.start()
        for _ in range(repeat):
            fn()
        profiler.stop()
        out.append(profiler.output_text(unicode=True, color=False, show_all=False))

    prof = _cprofile(fn, repeat)
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    out.append(buf.getvalue())

    mine = _own_times(prof, repeat)
    theirs = _own_times(_cprofile(baseline, repeat), repeat)
    total_mine = sum(v[0] for v in mine.values())
    total_theirs = sum(v[0] for v in theirs.values())
    zero = (0.0, 0.0, 0.0)
    keys = sorted(
        set(mine) | set(theirs), key=lambda k: theirs.get(k, zero)[0] - mine.get(k, zero)[0]
    )
    out.append(
        f"=== {name}: own time per run, package minus baseline (under cProfile:"
        f" {total_mine * 1e6:.1f} µs vs {total_theirs * 1e6:.1f} µs) ==="
    )
    out.append(f"{'diff µs':>9}  {'calls':>13}  {'cum µs (pkg)':>12}  function")
    for key in keys[:top]:
        a, b = mine.get(key, zero), theirs.get(key, zero)
        out.append(
            f"{(a[0] - b[0]) * 1e6:9.2f}  {a[2]:6.1f}/{b[2]:<6.1f}  {a[1] * 1e6:12.1f}  {key}"
        )
    out.append("")
    out.append(f"=== {name}: package functions by cumulative time per run ===")
    for key in sorted(mine, key=lambda k: -mine[k][1]):
        if "flask_server_functions" in key and mine[key][1] * 1e6 >= 1:
            own, cum, calls = mine[key]
            out.append(f"{cum * 1e6:9.1f} µs cum  {own * 1e6:8.1f} own  {calls:6.1f} calls  {key}")
    return "\n".join(out) + "\n"
