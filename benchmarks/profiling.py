"""``python -m benchmarks --profile call render``: where the package's time goes.

Prints, for each path, a pyinstrument call tree (when pyinstrument is installed)
and cProfile's top functions by own time.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import typing as t


def profile(name: str, fn: t.Callable[[], t.Any], repeat: int, *, top: int = 25) -> str:
    out = [f"=== {name}: {repeat} runs ==="]
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

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(repeat):
        fn()
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    buf.write("\n")
    stats.sort_stats("cumulative").print_stats(top)
    out.append(buf.getvalue())
    return "\n".join(out)
