"""WebSub fan-out: one publish through the API, pushed by syndic's own hub to N subscribers.

`syndic serve` runs as a subprocess on a fresh SQLite file (127.0.0.1, a free port, a bearer
token in SYNDIC_API__TOKENS, SYNDIC_WEBSUB__ALLOW_PRIVATE_CALLBACKS=true, every other setting
its default: delivery_concurrency 200, outbox_poll_seconds 1). P subscriber processes
(bench/fanout_subscribers.py, multiprocessing "spawn") each serve N/P callbacks
(http://127.0.0.1:PORT/cb/K, K dealt round-robin, so consecutive subscriptions are on
different processes) from one aiohttp server: they echo hub.challenge, and for each
delivery record its arrival time (time.time(), the same machine clock as this process), the
SHA-256 of the body, whether X-Hub-Signature matches the callback's secret, and which
published post's title is the newest the body carries.

Steps: (optionally --posts K created through POST /api/posts/bulk first, so the pushed
document has min(K + 1, 25) entries; default 0: the pushed feed holds only the new post);
all N subscribe to the site feed (POST /hub, at most --subscribe-concurrency at once; a 429
for too many pending verifications is retried); wait until every callback was verified and
the `subscriptions` table holds N rows; one POST /api/posts (or --publishes of them, --gap s
apart: back-to-back posts); wait (at most --timeout s) until every callback received a
document carrying the last post, then --grace s more to catch duplicates.

Per round (and per publish): time from the API call returning to the last subscriber
receiving the new document; first arrival; p50 / p99 of per-subscriber latency (its first
delivery of the new document); deliveries per second; lost (subscribers without it) and
duplicated (deliveries of the same bytes to the same callback beyond the first); bad
signatures; the `deliveries` table's states and attempts; CPU seconds of the server and of
the subscribers, and the machine's CPU pressure (PSI); the server log's "regenerated" and
"deliveries:" lines as offsets from the API call's return.

Target: all N within 2 s of the API call returning, none lost, none duplicated (beyond
deliveries the hub itself retried). Exits 1 when a round misses it. Everything runs on this
machine's cores: the subscribers and this process compete with the server for CPU.

    .venv/bin/python -m bench.fanout --subscribers 1000 --procs 4
    .venv/bin/python -m bench.fanout --subscribers 1000 --procs 4 --rounds 3
    .venv/bin/python -m bench.fanout --subscribers 1000 --procs 4 --posts 24   # 25 entries
    .venv/bin/python -m bench.fanout --publishes 2 --gap 1   # a second post 1 s later
    .venv/bin/python -m bench.fanout --publishes 2 --gap 0.5 --slow-subscribers 1 --slow-seconds 5
    .venv/bin/python -m bench.fanout --profile /tmp/fanout.raw   # py-spy of the server
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import multiprocessing
import os
import platform
import random
import re
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import aiohttp

from bench.fanout_subscribers import HOST, Record, secret_for, serve
from bench.procs import REPO, free_port, get, stop_on_signals, syndic, wait_ready
from bench.seed import PUBLIC_URL, _paragraph

FEED = "/feeds/posts/default"
TOPIC = PUBLIC_URL + FEED
TOKEN = "bench-fanout-token-0123456789abcdef"
TARGET_S = 2.0
_LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (\S+) (.*)$")


PUSH_PATH = ("feeds/store/outbox.py", "feeds/store/artifacts.py", "feeds/publishing.py",
             "feeds/websub.py", "server/push_jobs.py", "server/delivery.py",
             "server/handlers/hub.py", "server/jobs.py", "server/scheduler.py")


def code_state() -> str:
    """The commit measured, and the uncommitted changes (others edit the tree meanwhile):
    those on the push path by name, with a hash of their diff."""
    def git(*argv: str) -> str:
        return subprocess.run(["git", *argv], cwd=REPO, capture_output=True, text=True,
                              check=False).stdout
    if not git("rev-parse", "--short", "HEAD").strip():
        return f"code in {REPO} (not a git checkout)"
    changed = [x[3:] for x in git("status", "--porcelain", "--untracked-files=no")
               .splitlines() if x]
    push = [f for f in changed if f in PUSH_PATH]
    state = f"code at {git('rev-parse', '--short', 'HEAD').strip()}"
    if push:
        digest = hashlib.sha256(git("diff", "HEAD", "--", *push).encode()).hexdigest()[:8]
        state += f" + uncommitted changes to {', '.join(push)} (diff {digest})"
    if len(changed) > len(push):
        state += f" + {len(changed) - len(push)} other tracked files changed"
    return state


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


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


def query_db(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """A read-only look at the server's store (WAL: does not block its writer)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as c:
        return c.execute(sql).fetchall()


# -- the subscriber processes --------------------------------------------------------------


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


# -- talking to syndic -----------------------------------------------------------------


async def subscribe_all(base: str, callbacks: list[tuple[int, str]], salt: str,
                        concurrency: int, timeout: float) -> Counter[str]:
    """POST /hub for each callback; 429 (too many verifications pending) is retried."""
    gate = asyncio.Semaphore(concurrency)
    outcomes: Counter[str] = Counter()
    deadline = time.monotonic() + timeout

    async def one(session: aiohttp.ClientSession, n: int, url: str) -> None:
        form = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.callback": url,
                "hub.secret": secret_for(n, salt), "hub.lease_seconds": "86400"}
        async with gate:
            while True:
                async with session.post(base + "/hub", data=form) as resp:
                    text = await resp.text()
                    status = resp.status
                if status == 429 and time.monotonic() < deadline:
                    outcomes["429 (retried)"] += 1
                    await asyncio.sleep(0.1 + random.random() * 0.1)
                    continue
                outcomes[str(status) if status == 202 else f"{status} {text.strip()[:80]}"] += 1
                return

    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn,
                                     timeout=aiohttp.ClientTimeout(total=60)) as session:
        await asyncio.gather(*(one(session, n, url) for n, url in callbacks))
    return outcomes


async def api_post(base: str, path: str, payload: Any) -> tuple[int, Any, float, float]:
    """(status, JSON answer, time sent, time the call returned) with time.time()."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        sent = time.time()
        async with session.post(base + path, data=json.dumps(payload), headers=headers) as r:
            raw = await r.read()
            returned = time.time()
            status = r.status
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = raw[:200].decode("utf-8", "replace")
    return status, answer, sent, returned


def content(rng: random.Random, i: int, size: int) -> str:
    blocks: list[str] = []
    while sum(map(len, blocks)) < size:
        blocks.append(_paragraph(rng, i))
    return "\n".join(blocks)


async def create_posts(base: str, count: int) -> None:
    """`count` posts in one bulk create, then wait until the site feed shows them."""
    rng = random.Random(11)
    items = [{"title": f"Fan-out background post {i}", "content_html": content(rng, i, 6000),
              "labels": ["fanout"], "authors": [{"name": "Bench Writer"}]}
             for i in range(count)]
    status, answer, _, _ = await api_post(base, "/api/posts/bulk", items)
    if status != 200 or answer.get("added") != count:
        raise RuntimeError(f"bulk create: {status} {str(answer)[:300]}")
    want = min(count, 25)
    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            async with session.get(base + FEED) as resp:
                if (await resp.read()).count(b"<entry") >= want:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError("the background posts never showed in the feed")


def server_log_events(log: Path, offset: int, origin: float) -> list[tuple[float, str]]:
    """The server's regeneration and delivery log lines written after `offset`, as (seconds
    after `origin`, message) (the log's asctime is local time, millisecond precision).
    "regenerated" is logged once the changed artifacts and their deliveries are stored;
    "deliveries:" once the outbox run recorded the outcome of every attempt it sent."""
    with log.open("rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    out = []
    for line in text.splitlines():
        m = _LOG_LINE.match(line)
        if m and ("regenerated" in m.group(3) or m.group(3).startswith("deliveries:")):
            at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
            out.append((at - origin, m.group(3)))
    return out


# -- one round -------------------------------------------------------------------------


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


def fetch(port: int, path: str) -> bytes:
    status, _, body = get(port, path)
    if status != 200:
        raise RuntimeError(f"GET {path}: {status}")
    return body


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


# -- the report ------------------------------------------------------------------------


def round_lines(r: Round, i: int) -> list[str]:
    out = []
    for k, p in enumerate(r.pushes):
        lat = p.latencies
        label = f"round {i}" + (f" publish {k + 1}" if len(r.pushes) > 1 else "")
        out.append(
            f"{label}: last {p.last_s:.3f} s, first {p.first_s:.3f} s, p50 {pct(lat, .5):.3f}"
            f" s, p99 {pct(lat, .99):.3f} s; {p.rate_window:.0f} deliveries/s (first to "
            f"last), {p.rate_total:.0f}/s (from the API return); lost {p.lost}; API call "
            f"{p.api_ms:.0f} ms")
    if not r.pushes:
        out.append(f"round {i}: no publish")
    return [
        *out,
        f"  {r.deliveries} deliveries received, duplicated {r.duplicated}, without the new "
        f"post {r.other}, bad signatures {r.bad_signatures}, distinct documents "
        f"{r.versions}; feed pushed: {r.feed_bytes} bytes, {r.entries} entries",
        f"  subscribe requests {r.subscribe_s:.1f} s ({dict(r.subscribe_outcomes)}), all "
        f"verified after {r.verified_s:.1f} s",
        f"  deliveries table {r.states}, rows tried more than once {r.retried_rows}; CPU "
        f"in the {r.window_s:.2f} s window: server {r.cpu_server:.2f} s, subscribers "
        f"{r.cpu_subscribers:.2f} s; machine: load average {r.loadavg} at the publish, some "
        f"task waiting for a CPU {r.stall:.0%} of the window (PSI)",
        *(f"  server log +{at:.3f} s {text}" for at, text in r.log_events),
        *(f"  MISSED: {m}" for m in r.missed),
    ]


def secs(x: float) -> str:
    return "n/a" if x != x else f"{x:.3f}"  # NaN: no such log line


def summary(args: argparse.Namespace, rounds: list[Round]) -> list[str]:
    lines = [
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores; "
        f"{args.subscribers} subscribers in {args.procs} processes, {len(rounds)} rounds (a "
        f"fresh server each), {args.publishes} publish(es) a round"
        + (f" {args.gap:g} s apart" if args.publishes > 1 else "")
        + (f", {args.slow_subscribers} subscriber(s) answering {args.slow_seconds:g} s late"
           if args.slow_subscribers else "") +
        f"; server, subscribers and this process on the same cores; {code_state()}",
        "",
        "| round | last s | first s | p50 s | p99 s | deliveries/s (first-last) | lost | "
        "duplicated | regenerated s | recorded s | server CPU s | subscribers CPU s | "
        "CPU wait (PSI) | load avg |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: |",
    ]
    for i, r in enumerate(rounds, 1):
        for k, p in enumerate(r.pushes):
            name = f"{i}" + (f" publish {k + 1}" if len(r.pushes) > 1 else "")
            common = (f"{r.duplicated} | {secs(r.logged('regenerated'))} | "
                      f"{secs(r.logged('deliveries:'))} | {r.cpu_server:.2f} | "
                      f"{r.cpu_subscribers:.2f} | {r.stall:.0%} | {r.loadavg}" if k == 0
                      else " | | | | | |")
            lines.append(
                f"| {name} | {p.last_s:.3f} | {p.first_s:.3f} | {pct(p.latencies, .5):.3f} |"
                f" {pct(p.latencies, .99):.3f} | {p.rate_window:.0f} | {p.lost} | {common} |")
    for k in range(args.publishes):
        pushes = [r.pushes[k] for r in rounds if len(r.pushes) > k and r.pushes[k].latencies]
        if len(pushes) < 2:
            continue

        def med(f: Any, pushes: list[Push] = pushes) -> float:
            return float(statistics.median(f(p) for p in pushes))

        name = "median" + (f" publish {k + 1}" if args.publishes > 1 else "")
        lines.append(
            f"| {name} | {med(lambda p: p.last_s):.3f} | {med(lambda p: p.first_s):.3f} | "
            f"{med(lambda p: pct(p.latencies, .5)):.3f} | "
            f"{med(lambda p: pct(p.latencies, .99)):.3f} | {med(lambda p: p.rate_window):.0f}"
            f" | | | | | | | | |")
    return lines


def main() -> None:
    stop_on_signals()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--procs", type=int, default=4, help="subscriber processes")
    parser.add_argument("--rounds", type=int, default=1, help="each with a fresh server")
    parser.add_argument("--posts", type=int, default=0,
                        help="posts created (bulk API) before subscribing")
    parser.add_argument("--publishes", type=int, default=1,
                        help="posts published, --gap s apart (each must reach every "
                        "subscriber within the target)")
    parser.add_argument("--gap", type=float, default=1.0)
    parser.add_argument("--slow-subscribers", type=int, default=0,
                        help="this many callbacks (the first subscribed) answer a delivery "
                        "only --slow-seconds after receiving it")
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    parser.add_argument("--subscribe-concurrency", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=30,
                        help="seconds to wait for the deliveries after the publish")
    parser.add_argument("--grace", type=float, default=1.0,
                        help="seconds to wait after the last delivery for duplicates")
    parser.add_argument("--settle", type=float, default=1.5,
                        help="seconds of quiet between the verifications and the publish")
    parser.add_argument("--keep", type=Path, help="keep the database and logs here")
    parser.add_argument("--profile", type=Path, help="py-spy raw profile of the server here")
    parser.add_argument("--profile-seconds", type=int, default=8,
                        help="whole seconds (py-spy), from 1 s before the publish")
    parser.add_argument("--profile-idle", action="store_true",
                        help="py-spy --idle: keep the samples of threads waiting")
    parser.add_argument("--py-spy", type=Path, default=Path("/tmp/pyspy-venv/bin/py-spy"))
    args = parser.parse_args()
    if (not 1 <= args.procs <= args.subscribers <= 100_000 or args.rounds < 1
            or not 1 <= args.publishes <= 10):
        parser.error("need 1 <= procs <= subscribers <= 100000, rounds >= 1, "
                     "1 <= publishes <= 10")
    rounds: list[Round] = []
    code = 0
    try:
        for i in range(1, args.rounds + 1):
            with contextlib.ExitStack() as stack:
                if args.keep:
                    work = args.keep / f"round{i}"
                    work.mkdir(parents=True, exist_ok=True)
                    for old in work.glob("site.db*"):
                        old.unlink()
                    for old in work.glob("*.log"):
                        old.unlink()
                else:
                    work = Path(stack.enter_context(
                        tempfile.TemporaryDirectory(prefix="syndic-fanout-")))
                r = run_round(args, work)
            rounds.append(r)
            print("\n".join(round_lines(r, i)), flush=True)
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc}); the server and subscribers were stopped")
        sys.exit(130)
    print()
    print("\n".join(summary(args, rounds)))
    print()
    missed = [m for r in rounds for m in r.missed]
    for m in missed:
        print(f"TARGET MISSED: {m}")
    if not missed:
        print(f"target met in every round: all {args.subscribers} within {TARGET_S:g} s, "
              "none lost, none duplicated")
    else:
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
