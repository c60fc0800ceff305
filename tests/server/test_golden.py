"""Golden feeds: the demo blog's feeds compared byte for byte with files in golden/.
After an intended change of output: SYNDIC_UPDATE_GOLDEN=1 pytest tests/server/test_golden.py"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.server.conftest import Client

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "site.atom": "/feeds/posts/default?max-results=3",
    "site.rss": "/feeds/posts/default?max-results=3&alt=rss",
    "site.json": "/feeds/posts/default?max-results=3&alt=json",
    "summary-label.atom": "/feeds/posts/summary/-/travel?max-results=2",
    "author.rss": "/feeds/authors/zoe-angstrom/summary?max-results=2&alt=rss",
    "comments.atom": "/feeds/comments/default?max-results=3",
    "comments.json": "/feeds/comments/default?max-results=3&alt=json",
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_the_demo_feeds_render_to_the_golden_bytes(demo: Client, name: str) -> None:
    body = await (await demo.get(CASES[name])).read()
    path = GOLDEN / name
    if os.environ.get("SYNDIC_UPDATE_GOLDEN") == "1":
        path.write_bytes(body)
    assert path.exists(), f"no golden file {name}: run with SYNDIC_UPDATE_GOLDEN=1"
    assert body == path.read_bytes()
