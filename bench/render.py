"""Re-rendering a 50-entry feed after one entry changed: FeedRenderer with a warm fragment
cache (49 fragments reused, 1 rendered, head serialised) vs a plain one-shot feedgen render
of the same 50 entries (render_oneshot). Atom and RSS (JSON Feed shown for reference).

    .venv/bin/python -m bench.render                 # --number 20 --repeat 7

Each timed call renders a different document: entry k % 50 replaced by an edited version
(new title and updated time), the others unchanged, so every call has exactly one fragment
miss. Both paths are checked to give the same bytes. Also shown: the compression that
follows a render on the publishing path (gzip + brotli at feeds.render's levels),
and a proposed FeedRenderer.render that joins head, fragments and closer in ONE b"".join
(today: prefix + b"".join(fragments) + suffix, three copies of the whole feed).
Target: fragment/one-shot <= 0.1.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import statistics
import timeit
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import brotli

from bench.seed import PUBLIC_URL, author_names, draft_for, label_names
from feeds.feedset import FeedContext, build_doc, post_entry
from feeds.models import FeedFormat, FeedKey, FeedKind, FeedMode, FeedQuery, Site
from feeds.posts import prepare_post
from feeds.render import BROTLI_QUALITY, GZIP_LEVEL, FeedRenderer, compress, render_oneshot
from feeds.render.document import EntryDoc, FeedDoc
from feeds.render.jsonfeed import head_json

ENTRIES = 50
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SITE = Site(1, "bench.example", "Bench blog", "A benchmark site", PUBLIC_URL, "UTC", "en",
            FeedMode.FULL, 300, datetime(2020, 1, 1, tzinfo=UTC))
CTX = FeedContext(ENTRIES, None)


def entries(count: int) -> tuple[EntryDoc, ...]:
    """`count` realistic full-content entries (bench/seed.py posts), newest first."""
    labels, authors = label_names(20), author_names(5)
    out = []
    for i in range(count):
        draft = draft_for(i, labels, authors, NOW - timedelta(hours=count - i))
        post = replace(prepare_post(SITE, draft, NOW), id=i + 1, comment_count=i % 3)
        out.append(post_entry(SITE, post, FeedMode.FULL, CTX))
    return tuple(reversed(out))


def doc(fmt: FeedFormat, items: tuple[EntryDoc, ...]) -> FeedDoc:
    key = FeedKey(FeedKind.POSTS, FeedQuery(max_results=ENTRIES))
    return build_doc(SITE, key, fmt, items, 1000, SITE.title, CTX)


def edited_docs(fmt: FeedFormat, base: tuple[EntryDoc, ...], count: int) -> list[FeedDoc]:
    """Documents that each differ from `base` in one edited entry."""
    docs = []
    for k in range(count):
        j = k % len(base)
        old = base[j]
        new = replace(old, title=f"{old.title} (edit {k})",
                      updated=old.updated + timedelta(seconds=k + 1))
        docs.append(doc(fmt, (*base[:j], new, *base[j + 1:])))
    return docs


def render_one_join(renderer: FeedRenderer, d: FeedDoc) -> bytes:
    """The proposed FeedRenderer.render: one allocation and one copy of the feed."""
    if d.format is FeedFormat.JSON:
        prefix, suffix = head_json(d)
        return b"".join([prefix, b",".join(renderer.fragment(d.format, e) for e in d.entries),
                         suffix])
    prefix, suffix = renderer._head(d)
    return b"".join([prefix, *(renderer.fragment(d.format, e) for e in d.entries), suffix])


def per_call_ms(fn: Callable[[], object], number: int, repeat: int) -> float:
    """Median over `repeat` runs of the mean time of one call, in ms."""
    runs = timeit.repeat(fn, number=number, repeat=repeat)
    return statistics.median(runs) / number * 1000


def bench_format(fmt: FeedFormat, base: tuple[EntryDoc, ...], number: int, repeat: int,
                 ) -> dict[str, float]:
    renderer = FeedRenderer(64 * 1024 * 1024)
    warm = doc(fmt, base)
    body = renderer.render(warm)  # warm: every unchanged entry's fragment is cached
    assert body == render_oneshot(warm), f"{fmt}: fragment render differs from one-shot"
    docs = edited_docs(fmt, base, number * repeat + 1)
    assert renderer.render(docs[-1]) == render_oneshot(docs[-1])
    before = renderer.fragments_rendered
    it: Iterator[FeedDoc] = iter(docs)
    fragment = per_call_ms(lambda: renderer.render(next(it)), number, repeat)
    assert renderer.fragments_rendered - before == number * repeat, "one miss per call"
    it2: Iterator[FeedDoc] = iter(docs)
    oneshot = per_call_ms(lambda: render_oneshot(next(it2)), number, repeat)
    proposed = FeedRenderer(64 * 1024 * 1024)
    assert render_one_join(proposed, warm) == body
    it3: Iterator[FeedDoc] = iter(docs)
    one_join = per_call_ms(lambda: render_one_join(proposed, next(it3)), number, repeat)
    return {
        "one_join": one_join,
        "bytes": len(body),
        "fragment": fragment,
        "oneshot": oneshot,
        "gzip": per_call_ms(lambda: gzip.compress(body, GZIP_LEVEL, mtime=0), number, repeat),
        "brotli": per_call_ms(lambda: brotli.compress(body, quality=BROTLI_QUALITY), number,
                              repeat),
        "compress": per_call_ms(lambda: compress(body), number, repeat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=20, help="calls per timing run")
    parser.add_argument("--repeat", type=int, default=7, help="timing runs (median taken)")
    args = parser.parse_args()
    base = entries(ENTRIES)
    print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.node()}, {os.cpu_count()} cores, "
          f"{platform.python_implementation()} {platform.python_version()}; {ENTRIES} entries, "
          f"one changed per call; timeit number={args.number}, repeat={args.repeat} (median)\n")
    print("| format | feed bytes | fragment re-render ms | one-shot feedgen ms | ratio | target"
          f" <= 0.1 | proposed one-join ms (ratio) | gzip-{GZIP_LEVEL} ms |"
          f" brotli-{BROTLI_QUALITY} ms |"
          " render + compress ms |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for fmt in (FeedFormat.ATOM, FeedFormat.RSS, FeedFormat.JSON):
        r = bench_format(fmt, base, args.number, args.repeat)
        ratio = r["fragment"] / r["oneshot"]
        verdict = "met" if ratio <= 0.1 else f"MISSED by {ratio - 0.1:.2f}"
        if fmt is FeedFormat.JSON:
            verdict = "(reference: no feedgen)"
        proposed = f"{r['one_join']:.2f} ({r['one_join'] / r['oneshot']:.3f})"
        print(f"| {fmt.value} | {r['bytes']:.0f} | {r['fragment']:.2f} | {r['oneshot']:.2f} | "
              f"{ratio:.3f} | {verdict} | {proposed} | "
              f"{r['gzip']:.2f} | {r['brotli']:.2f} | "
              f"{r['fragment'] + r['compress']:.2f} |")


if __name__ == "__main__":
    main()
