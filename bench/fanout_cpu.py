"""CPU readings for bench/fanout.py: a process's CPU seconds and the machine's CPU pressure,
read from /proc (Linux), without asking the processes measured."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_stall_us() -> float:
    """/proc/pressure/cpu "some" total: microseconds in which some runnable task waited
    for a CPU (machine-wide; other work on the machine shows here). NaN without PSI."""
    try:
        first = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return float("nan")
    return float(first.rpartition("total=")[2])
