"""The in-process steps of one `POST /api/posts`, timed apart: parsing the body, checking it
against the OpenAPI schema, making the draft, preparing the post (sanitizing, summary,
links), and the answer (JSON and its ETag). No server, no store: what each step costs on
the CPU, for the bodies bench/api.py sends (2-6 KB of HTML, 2 labels, 1 author).

    .venv/bin/python -m bench.create_steps           # timeit, min of 5 repeats of 20 x 50
"""

from __future__ import annotations

import dataclasses
import json
import timeit
from collections.abc import Callable
from datetime import UTC, datetime

from bench.api import body_pool
from feeds.models import FeedMode, Site
from feeds.posts import prepare_post
from server.api_input import check, post_draft
from server.handlers.api_common import entity_tag, json_bytes
from server.representations import post_json

SITE = Site(1, "blog.example.com", "Bench", "", "http://blog.example.com", "UTC", "en",
            FeedMode.FULL, 250, datetime(2026, 1, 1, tzinfo=UTC))
NOW = datetime(2026, 12, 7, tzinfo=UTC)


def main() -> None:
    bodies = [{"title": f"Post {i}", "content_html": html, "labels": ["news", "tech"],
               "authors": [{"name": "Ann Author"}], "status": "published"}
              for i, html in enumerate(body_pool(50))]
    raw = [json.dumps(b).encode() for b in bodies]
    drafts = [post_draft(b, SITE, NOW) for b in bodies]
    posts = [dataclasses.replace(prepare_post(SITE, d, NOW), id=i + 1)
             for i, d in enumerate(drafts)]
    steps: list[tuple[str, Callable[[], object]]] = [
        ("json.loads", lambda: [json.loads(r) for r in raw]),
        ("check (schema, unknown fields, XML characters)",
         lambda: [check(b, "PostCreate") for b in bodies]),
        ("post_draft", lambda: [post_draft(b, SITE, NOW) for b in bodies]),
        ("prepare_post", lambda: [prepare_post(SITE, d, NOW) for d in drafts]),
        ("answer (JSON, ETag)",
         lambda: [entity_tag(json_bytes(post_json(SITE, p))) for p in posts]),
    ]
    print("| step | us a post |\n| --- | ---: |")
    for name, step in steps:
        best = min(timeit.repeat(step, number=20, repeat=5)) / (20 * len(bodies))
        print(f"| {name} | {best * 1e6:.1f} |")


if __name__ == "__main__":
    main()
