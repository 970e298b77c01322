"""Timing, results and reporting shared by the benchmarks."""

from __future__ import annotations

import dataclasses
import datetime
import gc
import importlib.metadata
import os
import platform
import statistics
import sys
import time
import typing as t


@dataclasses.dataclass
class Result:
    """One row of the results table."""

    bench: str
    case: str
    value: str
    baseline: str = ""
    ratio: float | None = None
    goal: str = ""
    #: True/False when the row has a goal, None when it only informs.
    met: bool | None = None
    note: str = ""

    @property
    def status(self) -> str:
        return {True: "ok", False: "MISSED", None: ""}[self.met]


def interleave(
    fns: t.Mapping[str, t.Callable[[], t.Any]],
    *,
    number: int,
    rounds: int,
    budget: float | None = None,
) -> dict[str, list[float]]:
    """Time each function ``number`` times per round, in alternating order, for
    ``rounds`` rounds (stopping early after ``budget`` seconds, at least 3 rounds).

    Timed in CPU time of this process (``time.process_time_ns``): the code timed is
    single-threaded and CPU-bound, and CPU time does not count the time other
    processes on a busy machine take the core away.

    :returns: per name, the seconds per call of each round.
    """
    names = list(fns)
    out: dict[str, list[float]] = {name: [] for name in names}
    start = time.perf_counter()
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            fn = fns[name]
            gc.collect()
            t0 = time.process_time_ns()
            for _ in range(number):
                fn()
            out[name].append((time.process_time_ns() - t0) / 1e9 / number)
        if budget is not None and r >= 2 and time.perf_counter() - start > budget:
            break
    return out


def median(values: t.Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: t.Sequence[float]) -> float:
    """Relative half inter-quartile range: the run-to-run noise of ``values``."""
    if len(values) < 4:
        return (max(values) - min(values)) / 2 / statistics.median(values)
    q1, _, q3 = statistics.quantiles(values, n=4)
    return (q3 - q1) / 2 / statistics.median(values)


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def fmt_ratio(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.2f}x"


def versions() -> dict[str, str]:
    from flask_server_functions import __version__

    try:
        from flask_server_functions.htmx import HTMX_VERSION
    except ImportError:  # pragma: no cover - moved
        HTMX_VERSION = "unknown"
    out = {
        "Python": platform.python_version(),
        "Flask-Server-Functions": __version__,
    }
    for dist in ("flask", "werkzeug", "jinja2", "marshmallow", "itsdangerous", "gunicorn"):
        try:
            out[importlib.metadata.distribution(dist).metadata["Name"]] = (
                importlib.metadata.version(dist)
            )
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "not installed"
    out["htmx"] = HTMX_VERSION
    return out


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


COLUMNS = ("Benchmark", "Case", "Median", "Baseline", "Ratio", "Goal", "Status")


def _rows(results: t.Sequence[Result]) -> list[tuple[str, ...]]:
    return [
        (r.bench, r.case, r.value, r.baseline, fmt_ratio(r.ratio), r.goal, r.status)
        for r in results
    ]


def text_table(results: t.Sequence[Result]) -> str:
    rows = [COLUMNS, *_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results: t.Sequence[Result]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in _rows(results):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def write_results(
    path: str,
    results: t.Sequence[Result],
    *,
    selected: t.Sequence[str],
    quick: bool,
    extra: t.Mapping[str, str],
    notes: t.Sequence[str],
) -> None:
    info = {**machine(), **extra}
    lines = [
        "# Benchmark results",
        "",
        "Written by `python -m benchmarks` (`make bench`); see `benchmarks/README.md` for",
        "what each benchmark measures. Ratios are the package over a hand-written Flask",
        "baseline measured in the same run (lower is better, except req/s).",
        "",
        f"- date: {info.pop('date')}",
        f"- machine: {info.pop('cores')} cores, {info.pop('cpu')}, {info.pop('os')}",
        f"- run: `{' '.join(['python -m benchmarks', *selected, *(['--quick'] if quick else [])])}`"
        + (" (quick: fewer rounds and requests; not for comparison)" if quick else ""),
    ]
    lines += [f"- {k}: {v}" for k, v in info.items()]
    lines.append("- versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    lines += ["", markdown_table(results), ""]
    row_notes = [f"- **{r.bench} / {r.case}**: {r.note}" for r in results if r.note]
    if row_notes or notes:
        lines += ["## Notes", "", *row_notes, *(f"- {n}" for n in notes), ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
