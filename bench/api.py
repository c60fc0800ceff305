"""Posts created through the admin API by concurrent writers: create latency, creates/s, and
how long after a create returns its post shows in the site feed.

A 200-post site (--posts) is seeded (bench/seed.py, in-process) into a new SQLite file;
`syndic serve` runs on it as a subprocess on 127.0.0.1 with a bearer token from
SYNDIC_API__TOKENS. Then, from this one process (asyncio + aiohttp, one ClientSession and
so one keep-alive connection per writer), W writers each `POST /api/posts` in a loop for S
seconds: a 2-6 KB HTML body (paragraphs, links, a figure, a list), 1-3 of the site's
labels, one of its authors. Each create's latency is timed from sending the request to
reading the whole answer.

Visibility: one create in ten (from every writer in turn) is a probe. One poller GETs
/feeds/posts/default (Atom, identity, If-None-Match with the last ETag, so an unchanged feed
is a 304) every 5 ms; a probe is visible at the first answer, received after its create
returned, whose entries include the probe's entry id, or (a post pushed past the first page
by newer posts before any render showed it) whose entries are all newer than the probe.
Resolution: the 5 ms period plus one request.

Targets: p99 create latency <= 50 ms; every probe visible in the feed <= 100 ms after its
create returned. Exits 1 when one is missed. The client runs on the same 2 cores as the
server: its CPU time is printed beside the server's.

    .venv/bin/python -m bench.api --writers 50 --seconds 10
    .venv/bin/python -m bench.api --writers 1 --seconds 10     # the uncontended latency
    .venv/bin/python -m bench.api --writers 50 --rate 100      # 50 writers, 100 creates/s
    .venv/bin/python -m bench.api --writers 50 --posts 20000   # into a larger site
    .venv/bin/python -m bench.api --writers 50 --workers 2     # two server processes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.import_bench import busy_seconds, code_state, wait_serving
from bench.procs import HOST, free_port, run_in_workdir, stop_on_signals, syndic, vm_kib
from bench.seed import _figure, _paragraph, _sentence, author_names, label_names, seed_site

FEED = "/feeds/posts/default"
TOKEN = "bench-api-token-0123456789abcdef"
TARGET_P99_MS = 50.0
TARGET_VISIBLE_MS = 100.0
POLL_S = 0.005
_ENTRY = re.compile(r"<entry[ >](.*?)</entry>", re.S)
_ID = re.compile(r"<id>(.*?)</id>", re.S)
_PUBLISHED = re.compile(r"<published>(.*?)</published>", re.S)


def body_pool(n: int, seed: int = 7) -> list[str]:
    """n HTML bodies of 2-6 KB, made before the clock starts (the client stays cheap)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        target = rng.randint(2000, 6000)
        blocks = [_paragraph(rng, i)]
        if rng.random() < 0.6:
            blocks.append(_figure(rng, i, 0))
        while sum(map(len, blocks)) < target:
            if rng.random() < 0.85:
                blocks.append(_paragraph(rng, i))
            else:
                items = "".join(f"<li>{_sentence(rng)}</li>" for _ in range(rng.randint(2, 5)))
                blocks.append(f"<ul>{items}</ul>")
        out.append("\n".join(blocks))
    return out


def entries_of(atom: str) -> list[tuple[str, datetime]]:
    """(entry id, published) of each entry of an Atom document."""
    out = []
    for block in _ENTRY.findall(atom):
        id_match, pub = _ID.search(block), _PUBLISHED.search(block)
        if id_match and pub:
            out.append((html.unescape(id_match.group(1).strip()),
                        datetime.fromisoformat(pub.group(1).strip())))
    return out


@dataclass(slots=True)
class Probe:
    entry_id: str
    published: datetime
    returned: float
    visible: float | None = None
    pushed_past: bool = False


@dataclass(slots=True)
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    probes: list[Probe] = field(default_factory=list)
    polls: int = 0
    feed_versions: int = 0


class Poller:
    """Polls the site feed; resolves the probes registered with it."""

    def __init__(self, session: aiohttp.ClientSession, base: str, results: Results) -> None:
        self.session, self.url, self.results = session, base + FEED, results
        self.pending: list[Probe] = []
        self.etag = ""
        self.entries: list[tuple[str, datetime]] = []
        self.stopping = False

    async def run(self) -> None:
        while not (self.stopping and not self.pending):
            sent = time.perf_counter()
            headers = {"Accept-Encoding": "identity"}
            if self.etag:
                headers["If-None-Match"] = self.etag
            async with self.session.get(self.url, headers=headers) as resp:
                body = await resp.read()
                seen = time.perf_counter()
                self.results.polls += 1
                if resp.status == 200:
                    self.etag = resp.headers.get("ETag", "")
                    self.results.feed_versions += 1
                    self.entries = entries_of(body.decode())
                # A 304 is the version held, served now (after creates that just returned).
                self._resolve(self.entries, seen)
            await asyncio.sleep(max(0.0, POLL_S - (time.perf_counter() - sent)))

    def _resolve(self, entries: list[tuple[str, datetime]], seen: float) -> None:
        ids = {e for e, _ in entries}
        oldest = min((p for _, p in entries), default=None)
        still = []
        for probe in self.pending:
            if seen < probe.returned:  # this answer may predate the create
                still.append(probe)
            elif probe.entry_id in ids:
                probe.visible = seen - probe.returned
            elif oldest is not None and len(entries) > 0 and oldest > probe.published:
                probe.visible, probe.pushed_past = seen - probe.returned, True
            else:
                still.append(probe)
        self.pending = still

    def add(self, probe: Probe) -> None:
        self.results.probes.append(probe)
        self.pending.append(probe)


async def writer(w: int, base: str, deadline: float, bodies: list[str], results: Results,
                 poller: Poller, budget: list[int], probe_every: int,
                 pace: tuple[float, float] | None = None) -> None:
    """Creates in a loop, each sent when the last returned; with `pace` = (start, period),
    the n-th create is sent no sooner than start + n * period (an offered load)."""
    labels, authors = label_names(20), author_names(5)
    rng = random.Random(1000 + w)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        n = 0
        while time.perf_counter() < deadline and budget[0] > 0:
            if pace is not None:
                await asyncio.sleep(max(0.0, pace[0] + n * pace[1] - time.perf_counter()))
            budget[0] -= 1
            payload = json.dumps({
                "title": f"API bench {w}-{n}: {_sentence(rng)[:60]}",
                "content_html": rng.choice(bodies),
                "labels": rng.sample(labels, rng.randint(1, 3)),
                "authors": [{"name": rng.choice(authors)}],
            })
            started = time.perf_counter()
            async with session.post(base + "/api/posts", data=payload, headers=headers) as resp:
                answer = await resp.read()
                returned = time.perf_counter()
                status = resp.status
            if status != 201:
                key = f"{status} {answer[:120].decode('utf-8', 'replace')}"
                results.errors[key] = results.errors.get(key, 0) + 1
            else:
                results.latencies.append(returned - started)
                if (n + w) % probe_every == 0:
                    post = json.loads(answer)
                    poller.add(Probe(post["entry_id"],
                                     datetime.fromisoformat(post["published"]), returned))
            n += 1


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def cpu_of(pid: int) -> float:
    """CPU seconds of the server: its process and its children (its worker processes)."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = _stat(int(entry.name))
            if int(entry.name) == pid or int(fields[1]) == pid:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(args: argparse.Namespace, port: int, pid: int) -> dict[str, Any]:
    base = f"http://{HOST}:{port}"
    bodies = body_pool(200)
    results = Results()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        # Warm-up: a few creates, then let the regeneration they caused finish.
        warm = Results()
        warm_poller = Poller(session, base, warm)
        await writer(-1, base, time.perf_counter() + 1.0, bodies, warm, warm_poller, [5], 10**9)
        await asyncio.sleep(1.5)
        poller = Poller(session, base, results)
        poll_task = asyncio.create_task(poller.run())
        await asyncio.sleep(0.2)  # the poller holds the current version
        profiler = None
        if args.profile:
            profiler = subprocess.Popen(
                [str(args.py_spy), "record", "--pid", str(pid), "--rate", "100", "--format",
                 "raw", "--threads", "-o", str(args.profile), "--duration", f"{args.seconds:g}",
                 "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu_server, cpu_client, busy = cpu_of(pid), self_cpu(), busy_seconds()
        started = time.perf_counter()
        deadline = started + args.seconds
        budget = [args.max_creates]
        # With --rate, writer w starts w/rate after the others, each then every writers/rate.
        paces = [None if not args.rate else (started + w / args.rate, args.writers / args.rate)
                 for w in range(args.writers)]
        await asyncio.gather(*(writer(w, base, deadline, bodies, results, poller, budget,
                                      args.probe_every, paces[w])
                               for w in range(args.writers)))
        wall = time.perf_counter() - started
        cpu_server, cpu_client = cpu_of(pid) - cpu_server, self_cpu() - cpu_client
        others = busy_seconds() - busy - cpu_server - cpu_client
        poller.stopping = True
        with contextlib.suppress(TimeoutError):  # wait_for cancels the poller then
            await asyncio.wait_for(poll_task, timeout=args.visible_timeout)
        if profiler is not None:
            profiler.wait(timeout=60)
    return {"results": results, "wall": wall, "cpu_server": cpu_server,
            "cpu_client": cpu_client, "others": others}


def report(args: argparse.Namespace, m: dict[str, Any], log: Path, hwm_kib: int,
           ) -> tuple[list[str], list[str]]:
    r: Results = m["results"]
    lat = [x * 1000 for x in r.latencies]
    vis = [p.visible * 1000 for p in r.probes if p.visible is not None]
    unseen = sum(1 for p in r.probes if p.visible is None)
    pushed = sum(1 for p in r.probes if p.pushed_past)
    regen = [(int(a), int(b)) for a, b in re.findall(
        r"regenerated (\d+) feeds: (\d+) artifacts changed", log.read_text())]
    runs = [float(ms) for ms in re.findall(r"\(site feeds, ([\d.]+) ms\)", log.read_text())]
    wall = m["wall"]
    lines = [
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores; "
        f"{args.posts}-post site, {args.writers} writers for {args.seconds:g} s "
        f"(one aiohttp session each, 127.0.0.1"
        f"{f', {args.rate:g} creates/s offered' if args.rate else ', back to back'}); "
        f"server ({args.workers} worker{'s' if args.workers > 1 else ''}) and client on the "
        f"same cores; {code_state()}",
        "",
        "| figure | value |",
        "| --- | ---: |",
        f"| creates (201) / errors | {len(lat)} / {sum(r.errors.values())} {r.errors or ''} |",
        f"| creates/s | {len(lat) / wall:.1f} |",
        f"| create latency p50 / p90 / p99 / max ms | {pct(lat, .5):.1f} / {pct(lat, .9):.1f} /"
        f" {pct(lat, .99):.1f} / {max(lat, default=float('nan')):.1f} |",
        f"| mean latency ms | {statistics.fmean(lat) if lat else float('nan'):.1f} |",
        f"| probes (1 create in {args.probe_every}) / not visible within "
        f"{args.visible_timeout:g} s / pushed past page 1 | {len(r.probes)} / {unseen} / "
        f"{pushed} |",
        f"| visible after the create returned, p50 / p99 / max ms | {pct(vis, .5):.0f} / "
        f"{pct(vis, .99):.0f} / {max(vis, default=float('nan')):.0f} |",
        f"| feed polls / new feed versions seen | {r.polls} / {r.feed_versions} |",
        f"| regenerations logged (whole run) / feeds rendered / artifacts changed | "
        f"{len(regen)} / {sum(a for a, _ in regen)} / {sum(b for _, b in regen)} |",
        f"| site-feed runs that changed bytes (whole run): count / p50 / p90 / max ms | "
        f"{len(runs)} / {pct(runs, .5):.0f} / {pct(runs, .9):.0f} / "
        f"{max(runs, default=float('nan')):.0f} |",
        f"| CPU in the window: server / client / other processes (s, of {wall:.1f} s x "
        f"{os.cpu_count()} cores) | {m['cpu_server']:.1f} / {m['cpu_client']:.1f} / "
        f"{m['others']:.1f} |",
        f"| server VmHWM | {hwm_kib / 1024:.0f} MiB |",
    ]
    missed = []
    if not lat:
        missed.append("no create succeeded")
    elif pct(lat, .99) > TARGET_P99_MS:
        missed.append(f"p99 create latency {pct(lat, .99):.1f} ms > {TARGET_P99_MS:g} ms")
    if r.errors:
        missed.append(f"{sum(r.errors.values())} creates failed: {r.errors}")
    if unseen:
        missed.append(f"{unseen} of {len(r.probes)} probes not visible within "
                      f"{args.visible_timeout:g} s")
    if vis and max(vis) > TARGET_VISIBLE_MS:
        over = sum(1 for v in vis if v > TARGET_VISIBLE_MS)
        missed.append(f"visible after up to {max(vis):.0f} ms > {TARGET_VISIBLE_MS:g} ms "
                      f"({over} of {len(vis)} probes over; p99 {pct(vis, .99):.0f} ms)")
    return lines, missed


def run(args: argparse.Namespace, work: Path) -> int:
    db = work / "site.db"
    seconds = asyncio.run(seed_site(db, args.posts, 20, 5))
    print(f"seeded {db}: {args.posts} posts in {seconds:.1f} s", flush=True)
    port = free_port()
    log = work / "serve.log"
    with syndic(db, port, work / "serve", log, access_log=True, api__tokens=TOKEN,
                server__workers=str(args.workers)) as server:
        assert server.proc is not None
        wait_serving(port, server.proc, log, timeout=600)
        print(f"server ready in {time.monotonic() - server.started:.1f} s; "
              f"{args.writers} writers for {args.seconds:g} s ...", flush=True)
        m = asyncio.run(measure(args, port, server.pid))
        hwm = vm_kib(server.pid, "VmHWM")
    lines, missed = report(args, m, log, hwm)
    print("\n".join(lines))
    print()
    for miss in missed:
        print(f"TARGET MISSED: {miss}")
    if not missed:
        print(f"all targets met: p99 create <= {TARGET_P99_MS:g} ms, visible <= "
              f"{TARGET_VISIBLE_MS:g} ms")
    return 1 if missed else 0


def main() -> None:
    stop_on_signals()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes (server.workers; the server's CPU is theirs)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=0,
                        help="offered load: creates per second from all writers together "
                             "(0: each writer sends its next create when the last returns)")
    parser.add_argument("--posts", type=int, default=200, help="posts seeded before the run")
    parser.add_argument("--max-creates", type=int, default=100_000,
                        help="stop after this many creates in all")
    parser.add_argument("--probe-every", type=int, default=10,
                        help="one create in N is a visibility probe")
    parser.add_argument("--visible-timeout", type=float, default=10,
                        help="seconds a probe may wait after the run")
    parser.add_argument("--keep", type=Path, help="keep the database and log in this directory")
    parser.add_argument("--profile", type=Path, help="py-spy raw profile of the server here")
    parser.add_argument("--py-spy", type=Path, default=Path("/tmp/pyspy-venv/bin/py-spy"))
    args = parser.parse_args()

    def in_dir(work: Path) -> int:
        for old in work.glob("site.db*"):  # a kept directory's database of an earlier run
            old.unlink()
        return run(args, work)

    run_in_workdir(in_dir, args.keep, "syndic-api-")


if __name__ == "__main__":
    main()
