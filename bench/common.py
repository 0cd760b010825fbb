"""Shared by the benchmarks: the machine they ran on, timing, and the one-line result.

Every benchmark measures the project's figure and a baseline *in the same run, on the
same machine*, and ends with the line docs/design.md fixes::

    bench NAME: VALUE UNIT vs baseline VALUE UNIT, ratio R

``bench/run.py`` runs them all and writes docs/performance.md from what they print.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def machine() -> str:
    """One line describing the machine: CPU, cores, memory, Python, SQLite."""
    import sqlite3

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, Python "
            f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}")


@contextmanager
def timed(results: dict, key: str):
    """Store the wall time of the block, in seconds, under ``results[key]``."""
    start = time.perf_counter()
    yield
    results[key] = time.perf_counter() - start


def best_of(n: int, function, *args, **kwargs) -> float:
    """The fastest of n timed calls, in seconds (the least disturbed by other load)."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        function(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times)


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def result_line(name: str, value: float, unit: str, baseline: float, baseline_unit: str | None = None,
                ratio: float | None = None) -> str:
    """Print and return the line of docs/design.md. ``ratio`` defaults to value / baseline."""
    ratio = value / baseline if ratio is None else ratio
    line = (f"bench {name}: {value:.4g} {unit} vs baseline {baseline:.4g} "
            f"{baseline_unit or unit}, ratio {ratio:.2f}")
    print(line, flush=True)
    return line


def postgres_url() -> str | None:
    """The PostgreSQL to benchmark against (BENCH_PG_URL), if it answers."""
    url = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432"], check=True,
                       capture_output=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return url
