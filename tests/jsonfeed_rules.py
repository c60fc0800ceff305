"""Is this a valid JSON Feed 1.1 document (https://jsonfeed.org/version/1.1)? feedparser's
released versions (6.0.x) do not read JSON Feed, so the spec's rules are checked here."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _absolute(url: Any, where: str) -> None:
    assert isinstance(url, str) and urlsplit(url).scheme in ("http", "https"), (where, url)


def assert_jsonfeed_valid(body: bytes) -> dict[str, Any]:
    doc = json.loads(body)
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(doc["title"], str) and doc["title"]
    for key in ("home_page_url", "feed_url", "next_url"):
        if key in doc:
            _absolute(doc[key], key)
    for author in doc.get("authors", []):
        assert isinstance(author.get("name"), str)
    for hub in doc.get("hubs", []):
        assert hub["type"] and hub["url"]
    assert isinstance(doc["items"], list)
    ids = set()
    for item in doc["items"]:
        assert isinstance(item["id"], str) and item["id"], item
        ids.add(item["id"])
        assert "content_html" in item or "content_text" in item  # §items: one is required
        _absolute(item["url"], "url")
        for key in ("date_published", "date_modified"):
            if key in item:
                assert _RFC3339.match(item[key]), (key, item[key])
        if "image" in item:
            _absolute(item["image"], "image")
        assert all(isinstance(t, str) for t in item.get("tags", []))
        for att in item.get("attachments", []):
            _absolute(att["url"], "attachments.url")
            assert att["mime_type"]
    assert len(ids) == len(doc["items"]), "item ids are unique"
    return doc  # type: ignore[no-any-return]
