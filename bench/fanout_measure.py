"""One round of bench/fanout.py: a fresh server and subscriber farm, the subscriptions, the
publishes and their fan-out timed, and the records analysed against the target."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.fanout_cpu import cpu_of, cpu_stall_us
from bench.fanout_farm import Subscribers, start_subscribers
from bench.fanout_subscribers import HOST, Record
from bench.fanout_syndic import (
    FEED,
    TOKEN,
    api_post,
    content,
    create_posts,
    fetch,
    query_db,
    server_log_events,
    subscribe_all,
)
from bench.procs import free_port, syndic, wait_ready

TARGET_S = 2.0


def marker_of(marker: str, k: int) -> str:
    """What the title of publish k (0-based) carries, found in every document that has it."""
    return f"{marker}-p{k + 1}x"


@dataclass(slots=True)
class Push:
    """One publish and its fan-out."""

    sent: float
    returned: float
    """time.time() when the API call returned: the origin of this publish's latencies"""
    latencies: list[float] = field(default_factory=list)
    lost: int = 0

    @property
    def api_ms(self) -> float:
        return (self.returned - self.sent) * 1000

    @property
    def last_s(self) -> float:
        return max(self.latencies) if self.latencies else float("nan")

    @property
    def first_s(self) -> float:
        return min(self.latencies) if self.latencies else float("nan")

    @property
    def rate_window(self) -> float:
        span = self.last_s - self.first_s
        return len(self.latencies) / span if span > 0 else float("nan")

    @property
    def rate_total(self) -> float:
        return len(self.latencies) / self.last_s if self.latencies else float("nan")


@dataclass(slots=True)
class Round:
    n: int
    pushes: list[Push] = field(default_factory=list)
    feed_bytes: int = 0
    entries: int = 0
    subscribe_s: float = 0.0
    verified_s: float = 0.0
    subscribe_outcomes: Counter[str] = field(default_factory=Counter)
    deliveries: int = 0
    duplicated: int = 0
    other: int = 0
    bad_signatures: int = 0
    versions: int = 0
    refused: list[str] = field(default_factory=list)
    n_refused: int = 0
    states: dict[str, int] = field(default_factory=dict)
    retried_rows: int = 0
    cpu_server: float = 0.0
    cpu_subscribers: float = 0.0
    stall: float = float("nan")
    """share of the window in which some task waited for a CPU (PSI cpu some)"""
    loadavg: str = ""
    window_s: float = 0.0
    log_events: list[tuple[float, str]] = field(default_factory=list)

    def logged(self, prefix: str) -> float:
        """Offset of the first server log line of that kind (NaN: none)."""
        return next((at for at, text in self.log_events if text.startswith(prefix)),
                    float("nan"))
    missed: list[str] = field(default_factory=list)


def run_round(args: argparse.Namespace, work: Path) -> Round:
    db = work / "site.db"
    port = free_port()
    log = work / "serve.log"
    base = f"http://{HOST}:{port}"
    salt = secrets.token_hex(4)
    marker = f"fanout-probe-{salt}"
    markers = [marker_of(marker, k) for k in range(args.publishes)]
    result = Round(args.subscribers)
    records: list[Record] = []
    with syndic(db, port, work / "serve", log, access_log=True, api__tokens=TOKEN,
                websub__allow_private_callbacks="true") as server:
        assert server.proc is not None
        wait_ready(port, FEED, server.proc, timeout=120)
        if args.posts:
            asyncio.run(create_posts(base, args.posts))
        subs = start_subscribers(args.subscribers, args.procs, markers, salt,
                                 args.slow_subscribers, args.slow_seconds)
        try:
            measure(args, result, subs, server.pid, db, log, port, markers, salt)
        finally:
            records, result.refused, result.n_refused = subs.collect()
        analyse(args, result, records)
    if args.keep and result.pushes:
        (work / "arrivals.json").write_text(json.dumps(
            {"returned": [p.returned for p in result.pushes], "records": records}))
    return result


def measure(args: argparse.Namespace, r: Round, subs: Subscribers, pid: int, db: Path,
            log: Path, port: int, markers: list[str], salt: str) -> None:
    n = args.subscribers
    base = f"http://{HOST}:{port}"
    started = time.monotonic()
    r.subscribe_outcomes = asyncio.run(subscribe_all(base, subs.callbacks(), salt,
                                                     args.subscribe_concurrency, 120))
    r.subscribe_s = time.monotonic() - started
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if subs.verified() >= n and query_db(db, "SELECT count(*) FROM subscriptions")[0][0] >= n:
            break
        time.sleep(0.05)
    r.verified_s = time.monotonic() - started
    in_db = query_db(db, "SELECT count(*) FROM subscriptions")[0][0]
    if subs.verified() < n or in_db < n:
        r.missed.append(f"only {subs.verified()} verifications seen and {in_db} subscriptions "
                        f"stored after 120 s")
        return
    time.sleep(args.settle)  # the outbox run that verified them ends; the server is idle
    before = subs.delivered()
    profiler = None
    if args.profile:
        profiler = subprocess.Popen(
            [str(args.py_spy), "record", "--pid", str(pid), "--rate", "200", "--format",
             "raw", "--threads", *(["--idle"] if args.profile_idle else []), "-o",
             str(args.profile), "--duration", str(args.profile_seconds), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # py-spy attached
    log_offset = log.stat().st_size
    r.loadavg = Path("/proc/loadavg").read_text().split(" ")[0]
    cpu_server, cpu_subs, stall = cpu_of(pid), subs.cpu(), cpu_stall_us()
    rng = random.Random(5)
    for k, mark in enumerate(markers):
        if k:  # the next publish, --gap s after the first one returned
            time.sleep(max(0.0, r.pushes[0].returned + k * args.gap - time.time()))
        status, answer, sent, returned = asyncio.run(api_post(base, "/api/posts", {
            "title": f"Fan-out {mark}", "content_html": content(rng, k, 3000),
            "labels": ["fanout"], "authors": [{"name": "Bench Writer"}]}))
        if status != 201:
            r.missed.append(f"publish {k + 1} failed: {status} {str(answer)[:200]}")
            return
        r.pushes.append(Push(sent, returned))
    # Every callback has a document carrying the last publish (counted by the subscribers).
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and subs.delivered() - before < n:
        time.sleep(0.002)
    origin = r.pushes[0]
    r.window_s = time.time() - origin.returned
    r.cpu_server, r.cpu_subscribers = cpu_of(pid) - cpu_server, subs.cpu() - cpu_subs
    r.stall = (cpu_stall_us() - stall) / 1e6 / (time.time() - origin.sent)
    time.sleep(args.grace)  # a duplicate would arrive now
    # Let the hub record its attempts (rows leave "sending"), bounded.
    until = time.monotonic() + 30
    while time.monotonic() < until and query_db(
            db, "SELECT count(*) FROM deliveries WHERE state = 'sending'")[0][0]:
        time.sleep(0.1)
    r.states = dict(query_db(db, "SELECT state, count(*) FROM deliveries GROUP BY state"))
    r.retried_rows = query_db(db, "SELECT count(*) FROM deliveries WHERE attempts > 1")[0][0]
    r.log_events = server_log_events(log, log_offset, origin.returned)
    body = fetch(port, FEED)
    r.feed_bytes, r.entries = len(body), body.count(b"<entry")
    if profiler is not None:
        profiler.wait(timeout=args.profile_seconds + 60)


def analyse(args: argparse.Namespace, r: Round, records: list[Record]) -> None:
    """Per publish k: each callback's first delivery of a document carrying publish k (or a
    later one). Duplicated: the same bytes to the same callback more than once."""
    n = args.subscribers
    seen: Counter[tuple[int, str]] = Counter()
    versions = set()
    firsts: list[dict[int, float]] = [{} for _ in r.pushes]
    r.deliveries = len(records)
    for cb, at, digest, sig_ok, newest in records:
        if not sig_ok:
            r.bad_signatures += 1
        seen[(cb, digest)] += 1
        if newest < 0:
            r.other += 1
            continue
        versions.add(digest)
        for k in range(min(newest + 1, len(firsts))):
            firsts[k][cb] = min(at, firsts[k].get(cb, at))
    r.versions = len(versions)
    r.duplicated = sum(c - 1 for c in seen.values() if c > 1)
    for k, (push, first) in enumerate(zip(r.pushes, firsts, strict=True)):
        push.latencies = [at - push.returned for at in first.values()]
        push.lost = n - len(first)
        what = f"publish {k + 1}: " if len(r.pushes) > 1 else ""
        if push.lost:
            r.missed.append(f"{what}{push.lost} of {n} subscribers never received the new "
                            f"document within {args.timeout:g} s")
        if push.latencies and push.last_s > TARGET_S:
            over = sum(1 for x in push.latencies if x > TARGET_S)
            r.missed.append(f"{what}the last subscriber received it {push.last_s:.2f} s after "
                            f"the API call returned > {TARGET_S:g} s ({over} of "
                            f"{len(push.latencies)} over)")
    if r.duplicated > r.retried_rows:
        r.missed.append(f"{r.duplicated} duplicated deliveries (hub retried {r.retried_rows})")
    if r.bad_signatures:
        r.missed.append(f"{r.bad_signatures} deliveries with a wrong X-Hub-Signature")
    if r.n_refused:
        r.missed.append(f"{r.n_refused} requests the subscribers refused: {r.refused[:3]}")
