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
import contextlib
import sys
import tempfile
from pathlib import Path

from bench.fanout_measure import TARGET_S, Round, run_round
from bench.fanout_report import round_lines, summary
from bench.procs import stop_on_signals


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
