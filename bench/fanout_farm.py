"""The subscriber farm of bench/fanout.py: P processes of bench/fanout_subscribers.py
("spawn"), started, watched through their shared counters and pipes, and stopped, as the
parent sees them."""

from __future__ import annotations

import contextlib
import multiprocessing
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from bench.fanout_cpu import cpu_of
from bench.fanout_subscribers import HOST, Record, serve
from bench.fanout_syndic import TOPIC


@dataclass(slots=True)
class Subscribers:
    procs: list[BaseProcess] = field(default_factory=list)
    conns: list[Connection] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    numbers: list[list[int]] = field(default_factory=list)
    counters: Any = None

    def callbacks(self) -> list[tuple[int, str]]:
        """(number, URL) of every callback, by number: the processes take turns."""
        return sorted((n, f"http://{HOST}:{port}/cb/{n}")
                      for port, numbers in zip(self.ports, self.numbers, strict=True)
                      for n in numbers)

    def verified(self) -> int:
        return sum(self.counters[2 * i] for i in range(len(self.procs)))

    def delivered(self) -> int:
        return sum(self.counters[2 * i + 1] for i in range(len(self.procs)))

    def cpu(self) -> float:
        return sum(cpu_of(p.pid) for p in self.procs if p.pid is not None)

    def collect(self) -> tuple[list[Record], list[str], int]:
        """Stop every subscriber process; their records."""
        records: list[Record] = []
        refused: list[str] = []
        n_refused = 0
        for proc, conn in zip(self.procs, self.conns, strict=True):
            if not proc.is_alive():
                continue
            with contextlib.suppress(OSError, EOFError):
                conn.send("stop")
                if conn.poll(30):
                    got, some, count = conn.recv()
                    records += got
                    refused += some
                    n_refused += count
        self.stop()
        return records, refused, n_refused

    def stop(self) -> None:
        for proc in self.procs:  # each by its own pid
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()


def start_subscribers(total: int, procs: int, markers: list[str], salt: str, slow: int = 0,
                      slow_seconds: float = 0.0) -> Subscribers:
    ctx = multiprocessing.get_context("spawn")
    subs = Subscribers(counters=ctx.RawArray("q", 2 * procs))
    for i in range(procs):
        numbers = list(range(i, total, procs))  # round-robin
        parent, child = ctx.Pipe()
        slow_here = {k for k in numbers if k < slow}  # the first subscribed are slow
        proc = ctx.Process(target=serve, args=(i, numbers, TOPIC, markers, salt, child,
                                               subs.counters, slow_here, slow_seconds),
                           daemon=True)
        proc.start()
        subs.procs.append(proc)
        subs.conns.append(parent)
        subs.numbers.append(numbers)
    for started, conn in zip(subs.procs, subs.conns, strict=True):
        if not conn.poll(60):
            subs.stop()
            raise TimeoutError(f"subscriber process {started.pid} did not start")
        subs.ports.append(conn.recv())
    return subs
