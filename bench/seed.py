"""A benchmark site: N posts of long, realistic HTML (5-10 KB each, with figures, images,
links, lists, quotes and code), L labels, A authors and a few comments, written through the
real Publisher in-process (no subprocess per post).

    .venv/bin/python -m bench.seed /tmp/bench.db --posts 1000 --labels 20 --authors 5

Pure helpers (`draft_for`, `label_names`, `author_names`) are reused by bench/render.py.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from config import Settings, load_settings
from feeds.models import Author, CommentDraft, PostDraft
from feeds.publishing import Publisher
from feeds.render.document import FeedDoc
from feeds.store import open_store
from server.app import ensure_sites, make_publisher
from server.clock import SystemClock

PUBLIC_URL = "http://bench.example"

_VOCABULARY = (
    "feed reader poll atom entry channel item syndication publisher subscriber hub lease "
    "bytes cache header etag gzip latency request server client worker kitchen bread flour "
    "water oven garden tomato seed soil winter spring train station platform ticket coffee "
    "morning market street river bridge mountain valley harbour island letter archive "
    "library index search page link image photo camera lens light shadow colour paper ink "
    "pen notebook draft revision editor chapter story season harvest frost rain wind"
)
_WORDS = _VOCABULARY.split()
_TOPICS = (
    "python", "feeds", "atom", "rss", "websub", "http", "caching", "baking", "gardening",
    "travel", "trains", "coffee", "photography", "books", "notes", "cooking", "cycling",
    "music", "typography", "history", "maps", "weather", "linux", "databases", "sqlite",
)  # fmt: skip
_FIRST = ("Ada", "Grace", "Kenji", "Zoë", "Marta", "Olu", "Priya", "Tomás", "Ines", "Lars")
_LAST = ("Lovelace", "Hopper", "Tanaka", "Dubois", "Kowalska", "Adeyemi", "Nair", "Ruiz",
         "Silva", "Berg")


def label_names(count: int) -> list[str]:
    """`count` distinct label names: topic words, then 'topic N' (spaces included)."""
    n = len(_TOPICS)
    return [_TOPICS[i % n] if i < n else f"{_TOPICS[i % n]} {i // n}" for i in range(count)]


def author_names(count: int) -> list[str]:
    names = [f"{f} {last}" for last in _LAST for f in _FIRST]
    return [names[i] if i < len(names) else f"{names[i % len(names)]} {i}" for i in range(count)]


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(8, 22))
    return " ".join(words).capitalize() + rng.choice((".", ".", ".", "?", "!"))


def _paragraph(rng: random.Random, i: int) -> str:
    parts = []
    for _ in range(rng.randint(3, 7)):
        s = _sentence(rng)
        roll = rng.random()
        if roll < 0.25:
            w = rng.choice(_WORDS)
            s += f' See <a href="https://example.org/{w}/{rng.randint(1, 999)}">the {w} notes</a>.'
        elif roll < 0.35:
            s += f' <a href="/{2020 + i % 6}/0{1 + i % 9}/post-{max(i - 1, 0)}.html">Earlier</a>.'
        elif roll < 0.45:
            s = s.replace(" ", " <em>", 1).replace(" ", "</em> ", 2)
        parts.append(s)
    return "<p>" + " ".join(parts) + "</p>"


def _figure(rng: random.Random, i: int, n: int) -> str:
    w, h = rng.choice(((1200, 800), (800, 600), (1600, 900)))
    src = f"https://img.example.net/posts/{i}/photo-{n}.jpg"
    return (
        f'<figure><img src="{src}" srcset="{src}?w=600 600w, {src}?w={w} {w}w" '
        f'alt="{_sentence(rng)[:60]}" width="{w}" height="{h}" loading="lazy">'
        f"<figcaption>{_sentence(rng)} Photo: "
        f'<a href="https://photos.example.net/u/{n}">{rng.choice(_FIRST)}</a></figcaption></figure>'
    )


def post_html(rng: random.Random, i: int) -> str:
    """A long post body: 5-10 KB of the HTML people really publish."""
    target = rng.randint(5000, 10000)
    blocks: list[str] = [_paragraph(rng, i), _figure(rng, i, 0)]
    n = 1
    while sum(map(len, blocks)) < target:
        roll = rng.random()
        if roll < 0.5:
            blocks.append(_paragraph(rng, i))
        elif roll < 0.6:
            blocks.append(f"<h2>{_sentence(rng)[:50]}</h2>")
        elif roll < 0.7:
            blocks.append(_figure(rng, i, n))
            n += 1
        elif roll < 0.8:
            items = "".join(f"<li>{_sentence(rng)}</li>" for _ in range(rng.randint(3, 6)))
            blocks.append(f"<ul>{items}</ul>")
        elif roll < 0.9:
            blocks.append(f"<blockquote><p>{_sentence(rng)} &amp; {_sentence(rng)}</p>"
                          f"<cite>{rng.choice(_LAST)}</cite></blockquote>")
        else:
            code = "\n".join(f"    x_{k} = fetch(url, etag=\"{k}\") &lt;&lt; {k}" for k in range(6))
            blocks.append(f'<pre><code class="language-python">def f():\n{code}</code></pre>')
    return "\n".join(blocks)


def draft_for(i: int, labels: list[str], authors: list[str], published: datetime) -> PostDraft:
    """Post number i: deterministic content, 1-4 labels and 1-2 authors, every label and
    author used by some post (label i % L and author i % A are always present)."""
    rng = random.Random(i)
    picked = [labels[i % len(labels)], *rng.sample(labels, k=min(len(labels), rng.randint(0, 3)))]
    by = [authors[i % len(authors)]] + ([rng.choice(authors)] if rng.random() < 0.1 else [])
    return PostDraft(
        title=f"{_sentence(rng)[:70].rstrip('.!?')} ({i})",
        content_html=post_html(rng, i),
        published=published,
        slug=f"post-{i}",
        authors=tuple(Author(a, email=f"author{k}@example.org" if k % 2 else None)
                      for k, a in enumerate(dict.fromkeys(by))),
        labels=tuple(dict.fromkeys(picked)),
    )


def bench_settings(db: Path) -> Settings:
    return load_settings(environ={}, overrides={
        "storage": {"url": f"sqlite:///{db.resolve()}"},
        "server": {"public_url": PUBLIC_URL},
    })


class _NoRenderer:
    """Seeding renders nothing: the server renders what is marked dirty. Callable (a render
    function) and with render/compress methods (a renderer object), whichever the
    Publisher of the day expects."""

    async def __call__(self, docs: list[FeedDoc]) -> list[tuple[bytes, bytes, bytes]]:
        raise AssertionError("seeding renders nothing")

    async def render(self, docs: list[FeedDoc]) -> list[bytes]:
        raise AssertionError("seeding renders nothing")

    async def compress(self, bodies: list[bytes]) -> list[tuple[bytes, bytes]]:
        raise AssertionError("seeding compresses nothing")


async def seed_site(db: Path, posts: int, labels: int, authors: int, comments: int = 5,
                    ) -> float:
    """Fill a new SQLite file; returns the seconds it took."""
    if db.exists():
        raise FileExistsError(f"{db} exists: seed a new file")
    started = time.perf_counter()
    settings = bench_settings(db)
    store = await open_store(settings.storage.url)
    try:
        clock = SystemClock()
        site = (await ensure_sites(store, settings, clock))[0]
        publisher: Publisher = make_publisher(store, settings, cast(Any, _NoRenderer()))
        label_list, author_list = label_names(labels), author_names(authors)
        now = clock.now()
        first = now - timedelta(hours=posts + 1)
        for i in range(posts):
            when = (first + timedelta(hours=i, minutes=i % 60)).replace(microsecond=0)
            await publisher.add_post(site, draft_for(i, label_list, author_list, when), now)
        # A few comments on the newest posts: the comment feeds have something to show.
        for n in range(comments):
            ref = f"post-{posts - 1 - n % max(1, min(posts, 3))}"
            html = f"<p>{_sentence(random.Random(n))} <a href=\"https://c.example/{n}\">me</a></p>"
            draft = CommentDraft(Author(f"Reader {n}"), html,
                                 now - timedelta(minutes=comments - n))
            await publisher.add_comment(site, ref, draft, now, n)
    finally:
        await store.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path, help="a new SQLite file")
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--labels", type=int, default=20)
    parser.add_argument("--authors", type=int, default=5)
    parser.add_argument("--comments", type=int, default=5)
    args = parser.parse_args()
    seconds = asyncio.run(seed_site(args.db, args.posts, args.labels, args.authors,
                                    args.comments))
    print(f"seeded {args.db}: {args.posts} posts, {args.labels} labels, {args.authors} authors,"
          f" {args.comments} comments in {seconds:.1f} s")


if __name__ == "__main__":
    main()
