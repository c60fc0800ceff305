"""syndic vs nginx serving the SAME feed bytes, with wrk, interleaved in one run.

syndic serves a 1,000-post site's /feeds/posts/default from memory (compressed once). nginx
serves the bytes syndic sent, from static files: the identity body and syndic's own gzip body
as a .gz beside it (gzip_static: nothing is compressed per request). Access logging is on in
both (syndic's to a file through stderr, nginx's to a file); syndic also runs with its access
log off to show the logger's cost. nginx runs with 1 worker (syndic is one process) and with
`worker_processes auto` (2 on this machine). Cases: 200 identity, 200 gzip, 304.
"aiohttp-floor" (bench/floor.py) serves the same bytes from a do-nothing aiohttp handler
without a log: the most any change to syndic's handler could reach in one aiohttp process.

    .venv/bin/python -m bench.serve                      # seeds a 1,000-post site in a temp dir
    .venv/bin/python -m bench.serve --db /tmp/bench-1000.db --rounds 3 --duration 10

Prints a markdown table: median req/s and p99 over the rounds, and syndic/nginx ratios.
Always exits 0: it is a report.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import statistics
import sys
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from bench.procs import (
    HOST,
    REPO,
    Server,
    WrkResult,
    free_port,
    get,
    stop_on_signals,
    syndic,
    wait_ready,
    wrk,
)
from bench.seed import seed_site

FEED = "/feeds/posts/default"
CASES = ("200 identity", "200 gzip", "304")
SERVERS = ("syndic", "syndic-nolog", "nginx-1", "nginx-auto", "aiohttp-floor")

NGINX_CONF = """
daemon off;
master_process on;
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    # Buffered as syndic's is (server/access_log.py: 64 KiB, flushed after a second).
    access_log {prefix}/access.log combined buffer=64k flush=1s;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    server_tokens off;
    server {{
        listen {host}:{port};
        location = {feed} {{
            alias {root}/feed.atom;
            default_type "application/atom+xml; charset=utf-8";
            gzip off;
            gzip_static on;
            gzip_vary on;
            add_header Cache-Control "public, max-age=300";
            add_header Link '<http://bench.example{feed}>; rel="self"';
            add_header Access-Control-Allow-Origin "*";
        }}
    }}
}}
"""


def nginx(root: Path, prefix: Path, port: int, workers: str) -> Server:
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workers=workers, prefix=prefix, host=HOST, port=port,
                                      feed=FEED, root=root))
    # -e: the startup error log goes to our prefix too, never to /var/log/nginx.
    argv = ["/usr/sbin/nginx", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    # SIGQUIT to the master: graceful stop of the master and its workers.
    return Server(argv, prefix, prefix / "stdout.log", {}, stop_signal=signal.SIGQUIT)


def case_headers(case: str, etag: str) -> dict[str, str]:
    if case == "200 gzip":
        return {"Accept-Encoding": "gzip"}
    if case == "304":
        return {"If-None-Match": etag}
    return {}


def check(port: int, case: str, etag: str, identity: bytes, gz: bytes) -> None:
    """One request per case, before the load: right status, right bytes."""
    status, headers, body = get(port, FEED, case_headers(case, etag))
    want = {"200 identity": (200, identity), "200 gzip": (200, gz), "304": (304, b"")}[case]
    if (status, body) != want:
        raise AssertionError(f"port {port} {case}: got {status}, {len(body)} bytes")
    if case == "200 gzip" and headers.get("content-encoding") != "gzip":
        raise AssertionError(f"port {port}: gzip case without Content-Encoding: gzip")


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def run(args: argparse.Namespace, work: Path) -> str:
    db = args.db or work / "site.db"
    if not db.exists():
        seconds = asyncio.run(seed_site(db, args.posts, 20, 5))
        print(f"seeded {db} ({args.posts} posts) in {seconds:.0f} s", flush=True)
    root = work / "www"
    root.mkdir(mode=0o755, exist_ok=True)
    os.chmod(work, 0o755)  # nginx workers run as nobody and must read the files
    ports = {name: free_port() for name in SERVERS}
    logs = {"syndic": work / "syndic.log", "syndic-nolog": work / "syndic-nolog.log"}
    results: dict[tuple[str, str], list[WrkResult]] = {}
    with ExitStack() as stack:
        for name in ("syndic", "syndic-nolog"):
            server = stack.enter_context(syndic(db, ports[name], work / name, logs[name],
                                                access_log=name == "syndic"))
            assert server.proc is not None
            wait_ready(ports[name], FEED, server.proc, timeout=600)
        _, headers, identity = get(ports["syndic"], FEED)
        _, _, gz = get(ports["syndic"], FEED, {"Accept-Encoding": "gzip"})
        (root / "feed.atom").write_bytes(identity)
        (root / "feed.atom.gz").write_bytes(gz)
        for f in root.iterdir():
            f.chmod(0o644)
        etags = {n: headers["etag"] for n in ("syndic", "syndic-nolog")}
        for name, workers in (("nginx-1", "1"), ("nginx-auto", "auto")):
            server = stack.enter_context(nginx(root, work / name, ports[name], workers))
            assert server.proc is not None
            wait_ready(ports[name], FEED, server.proc, timeout=30)
            etags[name] = get(ports[name], FEED)[1]["etag"]
            logs[name] = work / name / "access.log"
        floor = stack.enter_context(Server(
            [sys.executable, "-m", "bench.floor", str(root), str(ports["aiohttp-floor"]),
             etags["syndic"]], REPO, work / "floor.log", {"PYTHONPATH": str(REPO)}))
        assert floor.proc is not None
        wait_ready(ports["aiohttp-floor"], FEED, floor.proc, timeout=30)
        etags["aiohttp-floor"] = etags["syndic"]
        for name, port in ports.items():
            for case in CASES:
                check(port, case, etags[name], identity, gz)
        names = list(ports)
        for case in CASES:  # warm-up: every server, every case
            for name in names:
                wrk(ports[name], FEED, case_headers(case, etags[name]), args.warmup, args.conns)
        for r in range(args.rounds):
            order = names[r % len(names):] + names[: r % len(names)]  # rotate who goes first
            for case in CASES:
                for name in order:
                    res = wrk(ports[name], FEED, case_headers(case, etags[name]), args.duration,
                              args.conns)
                    results.setdefault((case, name), []).append(res)
                    print(f"round {r + 1} {case:12} {name:12} {res.rps:9.0f} req/s "
                          f"p99 {res.p99_ms:7.2f} ms {res.errors}", flush=True)
        lines = {name: count_lines(path) for name, path in logs.items()}
    return report(args, results, lines, len(identity), len(gz))


def report(args: argparse.Namespace, results: dict[tuple[str, str], list[WrkResult]],
           lines: dict[str, int], size: int, gz_size: int) -> str:
    def med(case: str, name: str) -> tuple[float, float]:
        runs = results[(case, name)]
        return (statistics.median(x.rps for x in runs), statistics.median(x.p99_ms for x in runs))

    out = [
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.node()}, {os.cpu_count()} cores, "
        f"`wrk -t1 -c{args.conns} -d{args.duration:g}s --latency`, median of {args.rounds} "
        f"interleaved rounds after a {args.warmup:g} s warm-up per server and case. "
        f"Feed: {size} bytes identity, {gz_size} bytes gzip.",
        "",
        "| case | server | req/s | req/s min-max | p99 ms | syndic/nginx-1 | syndic/nginx-auto |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case in CASES:
        n1, na = med(case, "nginx-1")[0], med(case, "nginx-auto")[0]
        for name in SERVERS:
            rps, p99 = med(case, name)
            low, high = (f(x.rps for x in results[(case, name)]) for f in (min, max))
            ratios = (f"{rps / n1:.2f} | {rps / na:.2f}" if name not in ("nginx-1", "nginx-auto")
                      else " | ")
            out.append(f"| {case} | {name} | {rps:.0f} | {low:.0f}-{high:.0f} | {p99:.2f} "
                       f"| {ratios} |")
    out.append("")
    for case in CASES:
        ratio = med(case, "syndic")[0] / med(case, "nginx-1")[0]
        verdict = "met" if ratio >= 0.5 else f"MISSED by {0.5 - ratio:.2f}"
        cost = 1 - med(case, "syndic")[0] / med(case, "syndic-nolog")[0]
        ceiling = med(case, "aiohttp-floor")[0] / med(case, "nginx-1")[0]
        out.append(f"- {case}: syndic (log on) / nginx 1 worker (log on) = {ratio:.2f}, target"
                   f" >= 0.5 {verdict}; access log costs syndic {cost:.0%} of its req/s;"
                   f" the aiohttp floor reaches {ceiling:.2f} of nginx 1 worker")
    out.append(f"- access log lines written: {lines}")
    return "\n".join(out)


def main() -> None:
    stop_on_signals()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an existing seeded SQLite file (else seeded)")
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--conns", type=int, default=32)
    args = parser.parse_args()
    try:
        with tempfile.TemporaryDirectory(prefix="syndic-bench-") as tmp:
            print(run(args, Path(tmp)))
    except Exception as exc:  # a report: say what failed, exit 0
        print(f"benchmark failed: {type(exc).__name__}: {exc}")
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc}); every server was stopped")


if __name__ == "__main__":
    main()
