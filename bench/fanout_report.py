"""The report of bench/fanout.py: the code measured, each round's lines as it ends, and the
closing Markdown table (per round and publish, then the medians)."""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import subprocess
from datetime import UTC, datetime
from typing import Any

from bench.fanout_measure import Push, Round
from bench.procs import REPO

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
