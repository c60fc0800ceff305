"""A 100,000-post WordPress import, then the first start of the server on what it stored.

1. The export: bench/wxr_gen.py's WXR of N posts (reused when the file exists and ends with
   the last item that generator writes for N posts, else generated).
2. `syndic import wordpress FILE --json --quiet` as a subprocess on a new SQLite file: wall
   time (process start to exit) and peak RSS (ru_maxrss of that very child, from wait4).
   posts/s = posts stored (added + updated + unchanged) / that wall time.
3. `syndic serve` on the imported file (127.0.0.1, a free port): time from process start to
   the first 200 on /feeds/posts/default; how many feeds were rendered (the server's "regenerated
   N feeds" log lines) against the site's standard feeds (bench/memory.py's list: site feeds,
   labels, authors, comment feeds) and the artifacts stored; then every stored feed is
   requested once (each artifact's self URL) and the server's peak RSS (VmHWM) is read.

Targets: >= 2,000 posts/s into SQLite; peak RSS < 500 MB (1 MB = 10^6 bytes) for the import
and for the server; each feed rendered once. Exits 1 when a target is missed (and says which).

    .venv/bin/python -m bench.import_bench --posts 100000            # work files in a temp dir
    .venv/bin/python -m bench.import_bench --posts 100000 --keep /tmp/ib100k
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import sqlite3
import subprocess
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.memory import feed_paths, request_all
from bench.procs import (
    REPO,
    SYNDIC,
    free_port,
    run_in_workdir,
    stop_on_signals,
    syndic,
    vm_kib,
    wait_ready,
)
from bench.seed import PUBLIC_URL
from bench.wxr_gen import write_wxr

TARGET_RATE = 2000.0  # posts/s
TARGET_BYTES = 500e6  # peak RSS, import and server
MIB = 2**20
_REGENERATED = re.compile(
    r"regenerated (\d+) feeds: (\d+) artifacts changed, (\d+) feeds gone")


def code_state() -> str:
    """The commit measured, and whether the working tree had uncommitted changes."""
    def git(*argv: str) -> str:
        return subprocess.run(["git", *argv], cwd=REPO, capture_output=True, text=True,
                              check=False).stdout.strip()
    changed = [line for line in git("status", "--porcelain", "--untracked-files=no")
               .splitlines() if line]
    return f"code at {git('rev-parse', '--short', 'HEAD')}" + (
        f" + uncommitted changes in {len(changed)} tracked files" if changed else "")


def busy_seconds() -> float:
    """CPU seconds all processes of the machine have used (/proc/stat: all but idle and
    iowait): what else ran during a measurement is this delta minus ours."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def default_wxr(posts: int) -> Path:
    name = f"wxr{posts // 1000}k.xml" if posts % 1000 == 0 else f"wxr{posts}.xml"
    return Path(tempfile.gettempdir()) / name


def wxr_complete(path: Path, posts: int) -> bool:
    """Whether `path` is wxr_gen's export of `posts` posts: it ends the channel, and its last
    item is the one the generator writes last (id 10 + posts + one attachment per 50)."""
    if not path.exists() or path.stat().st_size < 1000:
        return False
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 65536))
        tail = f.read().decode("utf-8", "replace")
    ids = re.findall(r"<wp:post_id>(\d+)</wp:post_id>", tail)
    return tail.endswith("</channel>\n</rss>\n") and bool(ids) and (
        int(ids[-1]) == 10 + posts + posts // 50)


def env_for(db: Path) -> dict[str, str]:
    return {**os.environ, "SYNDIC_STORAGE__URL": f"sqlite:///{db.resolve()}",
            "SYNDIC_SERVER__PUBLIC_URL": PUBLIC_URL}


def run_import(wxr: Path, db: Path, work: Path) -> dict[str, Any]:
    """The import as a child process: its JSON report, wall seconds and peak RSS (KiB)."""
    out, err = work / "import.json", work / "import.err"
    argv = [str(SYNDIC), "import", "wordpress", str(wxr), "--json", "--quiet"]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        busy = busy_seconds()
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=REPO, stdout=stdout, stderr=stderr, env=env_for(db))
        try:
            # wait4 gives this child's own rusage (ru_maxrss: its peak RSS, in KiB).
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - started
        busy = busy_seconds() - busy
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"import exited with {proc.returncode}: "
                           f"{err.read_text()[-2000:]}")
    report = json.loads(out.read_text().splitlines()[-1])
    return {"report": report, "wall": wall, "maxrss_kib": usage.ru_maxrss,
            "cpu": usage.ru_utime + usage.ru_stime,
            "others": busy - usage.ru_utime - usage.ru_stime}


def db_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        def one(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0])
        return {
            "posts": one("SELECT count(*) FROM posts"),
            "published": one("SELECT count(*) FROM posts WHERE status = 'published'"),
            "comments": one("SELECT count(*) FROM comments"),
            "dirty rows": one("SELECT count(*) FROM dirty_feeds"),
            "dirty keys": one("SELECT count(DISTINCT key) FROM dirty_feeds"),
            "artifacts": one("SELECT count(*) FROM artifacts"),
            "artifact keys": one("SELECT count(DISTINCT key) FROM artifacts"),
        }


def wait_serving(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Until this server (its own log says so) answers 200 on the site feed: other programs
    on the machine open loopback ports too, and one may have had this port a moment."""
    deadline = time.monotonic() + timeout
    banner = f"serving on http://127.0.0.1:{port}/"
    while banner not in log.read_text(errors="replace"):
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"server on port {port} not serving after {timeout} s")
        time.sleep(0.05)
    wait_ready(port, "/feeds/posts/default", proc, timeout=max(1.0, deadline - time.monotonic()))


def wait_rendered(db: Path, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Until the server has rendered every dirty feed (no dirty rows left)."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(db, timeout=30) as conn:
            (left,) = conn.execute("SELECT count(*) FROM dirty_feeds").fetchone()
        if not left:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{left} feeds still dirty after {timeout} s")
        time.sleep(0.5)


def artifact_paths(db: Path) -> list[str]:
    """Every stored artifact's path and query (its self URL), one per feed and format."""
    with sqlite3.connect(db) as conn:
        urls = [u for (u,) in conn.execute("SELECT self_url FROM artifacts ORDER BY key, format")]
    return [urlsplit(u).path + (f"?{urlsplit(u).query}" if urlsplit(u).query else "")
            for u in urls]


def regenerations(log: Path) -> list[tuple[int, int, int]]:
    """(feeds rendered, artifacts changed, feeds gone) of each regeneration the server logged."""
    return [(int(a), int(b), int(c)) for a, b, c in _REGENERATED.findall(log.read_text())]


def serve(db: Path, work: Path) -> dict[str, Any]:
    port = free_port()
    log = work / "serve.log"
    log.unlink(missing_ok=True)  # a kept work directory holds an earlier run's log
    standard = {p for p in asyncio.run(feed_paths(db)) if "?" not in p}  # one per feed
    before = db_counts(db)
    with sqlite3.connect(db) as conn:
        dirty = {k for (k,) in conn.execute("SELECT DISTINCT key FROM dirty_feeds")}
    with ExitStack() as stack:
        busy = busy_seconds()
        server = stack.enter_context(syndic(db, port, work / "serve", log, access_log=True))
        assert server.proc is not None
        wait_serving(port, server.proc, log, timeout=3600)
        first_serve = time.monotonic() - server.started
        hwm_ready = vm_kib(server.pid, "VmHWM")
        # Start-up renders for feeds.startup_render_seconds, the rest in the background.
        wait_rendered(db, server.proc, timeout=3600)
        all_rendered = time.monotonic() - server.started
        hwm_rendered = vm_kib(server.pid, "VmHWM")
        at_start = regenerations(log)
        paths = artifact_paths(db)
        statuses, size, seconds = request_all(port, paths)
        time.sleep(2.0)  # a regeneration the requests might have started would log by now
        hwm = vm_kib(server.pid, "VmHWM")
        rss = vm_kib(server.pid, "VmRSS")
        cpu = _cpu_seconds(server.pid)
        others = busy_seconds() - busy - cpu
        after = regenerations(log)
    return {"first_serve": first_serve, "all_rendered": all_rendered,
            "hwm_ready_kib": hwm_ready, "hwm_rendered_kib": hwm_rendered, "hwm_kib": hwm,
            "rss_kib": rss, "cpu": cpu, "others": others, "standard_feeds": len(standard),
            "missing": sorted(standard - set(paths)), "to_render": len(dirty | standard),
            "extra": sorted({p for p in paths if "?" not in p} - standard),
            "at_start": at_start, "after": after, "before": before, "stored": db_counts(db),
            "requests": (len(paths), statuses, size, seconds)}


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(args: argparse.Namespace, wxr: Path, gen_s: float | None, imp: dict[str, Any],
           srv: dict[str, Any]) -> tuple[list[str], list[str]]:
    rep = imp["report"]
    stored = sum(rep["posts"].values())
    rate = stored / imp["wall"]
    imp_bytes = imp["maxrss_kib"] * 1024
    srv_bytes = srv["hwm_kib"] * 1024
    rendered = sum(n for n, _, _ in srv["after"])
    gone = sum(g for _, _, g in srv["after"])
    st = srv["stored"]
    n_req, statuses, size, req_s = srv["requests"]
    lines = [
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"CPython {platform.python_version()}, {code_state()}",
        f"export: {wxr} ({wxr.stat().st_size / 1e6:.1f} MB, {args.posts} posts"
        + (f", generated in {gen_s:.1f} s)" if gen_s is not None else ", reused)"),
        "",
        "| import | figure |",
        "| --- | ---: |",
        f"| posts stored (added / updated / unchanged) | {stored} ({rep['posts']['added']} / "
        f"{rep['posts']['updated']} / {rep['posts']['unchanged']}) |",
        f"| comments stored | {sum(rep['comments'].values())} |",
        f"| items read / skipped | {rep['items']} / {len(rep['skipped'])} |",
        f"| wall time, process start to exit | {imp['wall']:.1f} s |",
        f"| the import's own timer | {rep['seconds']:.1f} s |",
        f"| CPU time (user + sys) | {imp['cpu']:.1f} s |",
        f"| CPU used by other processes meanwhile | {imp['others']:.1f} s |",
        f"| posts/s (stored / wall) | {rate:.0f} |",
        f"| peak RSS (ru_maxrss) | {imp_bytes / MIB:.0f} MiB = {imp_bytes / 1e6:.0f} MB |",
        f"| dirty feed rows / distinct keys after the import | {srv['before']['dirty rows']} / "
        f"{srv['before']['dirty keys']} |",
        "",
        "| first start of the server | figure |",
        "| --- | ---: |",
        f"| time to first serve (process start to first 200) | {srv['first_serve']:.1f} s |",
        f"| time until every feed is rendered (from process start) | "
        f"{srv['all_rendered']:.1f} s |",
        f"| standard feeds of the site | {srv['standard_feeds']} |",
        f"| regenerations logged (feeds rendered, artifacts changed, gone) | "
        f"{srv['after']} |",
        f"| feeds to render (marked by the import, or standard) / rendered in all | "
        f"{srv['to_render']} / {rendered} ({gone} of them gone: no such feed) |",
        f"| artifacts stored / distinct feeds | {st['artifacts']} / {st['artifact keys']} |",
        f"| standard feeds not stored / stored feeds not standard | {len(srv['missing'])} / "
        f"{len(srv['extra'])} {srv['extra'][:3]} |",
        f"| requests (every artifact once, one connection) | {n_req} in {req_s:.1f} s, "
        f"{size / MIB:.0f} MiB, {statuses} |",
        f"| VmHWM at first serve / every feed rendered / every artifact requested | "
        f"{srv['hwm_ready_kib'] / 1024:.0f} / {srv['hwm_rendered_kib'] / 1024:.0f} / "
        f"{srv['hwm_kib'] / 1024:.0f} MiB ({srv_bytes / 1e6:.0f} MB) |",
        f"| VmRSS after, server CPU time | {srv['rss_kib'] / 1024:.0f} MiB, "
        f"{srv['cpu']:.1f} s |",
        f"| CPU used meanwhile by other processes (this client included) | "
        f"{srv['others']:.1f} s |",
    ]
    missed = []
    if rate < TARGET_RATE:
        missed.append(f"import rate {rate:.0f} posts/s < {TARGET_RATE:.0f}")
    if imp_bytes >= TARGET_BYTES:
        missed.append(f"import peak RSS {imp_bytes / 1e6:.0f} MB >= 500 MB")
    if srv_bytes >= TARGET_BYTES:
        missed.append(f"server peak RSS {srv_bytes / 1e6:.0f} MB >= 500 MB")
    # Once each: every feed the import marked (each marked once) is rendered in the one
    # start-up regeneration and never again; every standard feed is among them.
    dirty = srv["before"]
    if dirty["dirty rows"] != dirty["dirty keys"]:
        missed.append(f"the import marked {dirty['dirty rows']} dirty rows for "
                      f"{dirty['dirty keys']} feeds: some more than once")
    if rendered != srv["to_render"] or (
            rendered - gone != st["artifact keys"] or st["artifacts"] != 3 * st["artifact keys"]):
        missed.append(f"{rendered} feed renders ({gone} gone) for {srv['to_render']} feeds to "
                      f"render and {st['artifact keys']} stored: not once each")
    if srv["missing"]:
        missed.append(f"{len(srv['missing'])} standard feeds not rendered: {srv['missing'][:5]}")
    if srv["after"] != srv["at_start"]:
        missed.append("the server rendered again after start-up: "
                      f"{srv['after'][len(srv['at_start']):]}")
    return lines, missed


def run(args: argparse.Namespace, work: Path) -> int:
    wxr = args.wxr or default_wxr(args.posts)
    gen_s = None
    if not wxr_complete(wxr, args.posts):
        print(f"generating {wxr} ({args.posts} posts) ...", flush=True)
        started = time.perf_counter()
        write_wxr(wxr, args.posts, args.seed)
        gen_s = time.perf_counter() - started
    db = work / "import.db"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    print(f"importing {wxr} into {db} ...", flush=True)
    imp = run_import(wxr, db, work)
    print(f"imported in {imp['wall']:.1f} s; starting the server ...", flush=True)
    srv = serve(db, work)
    lines, missed = report(args, wxr, gen_s, imp, srv)
    print("\n".join(lines))
    print()
    if missed:
        for m in missed:
            print(f"TARGET MISSED: {m}")
        return 1
    print("all targets met: >= 2,000 posts/s, peak RSS < 500 MB, each feed rendered once")
    return 0


def main() -> None:
    stop_on_signals()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--wxr", type=Path, help="the export (default /tmp/wxr{N/1000}k.xml)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the database and logs in this directory")
    args = parser.parse_args()
    run_in_workdir(lambda work: run(args, work), args.keep, "syndic-import-")


if __name__ == "__main__":
    main()
