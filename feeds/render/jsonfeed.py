"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1), written by hand: no library keeps up
with 1.1, and a dict plus json.dumps is the whole job. Keys are written in a fixed order
with fixed separators so the bytes are deterministic."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from feeds.models import Author
from feeds.render.document import EntryDoc, FeedDoc

VERSION_URL = "https://jsonfeed.org/version/1.1"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _date(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _author(author: Author) -> dict[str, str]:
    out = {"name": author.name}
    if author.uri:
        out["url"] = author.uri
    return out


def entry_json(e: EntryDoc) -> bytes:
    item: dict[str, Any] = {"id": e.entry_id, "url": e.url, "title": e.title}
    if e.content_html is not None:
        item["content_html"] = e.content_html
    else:
        item["content_text"] = e.summary
    item["summary"] = e.summary
    if e.thumbnail:
        item["image"] = e.thumbnail
    item["date_published"] = _date(e.published)
    item["date_modified"] = _date(e.updated)
    if e.authors:
        item["authors"] = [_author(a) for a in e.authors]
    if e.labels:
        item["tags"] = list(e.labels)
    if e.enclosures:
        item["attachments"] = [
            {"url": x.url, "mime_type": x.type, "size_in_bytes": x.length} for x in e.enclosures
        ]
    if e.in_reply_to:
        item["_syndic"] = {"in_reply_to": e.in_reply_to[0]}
    return _dumps(item)


def head_json(doc: FeedDoc) -> tuple[bytes, bytes]:
    """The document around the items: (prefix, suffix), items going in between."""
    head: dict[str, Any] = {
        "version": VERSION_URL,
        "title": doc.title,
        "home_page_url": doc.site_url,
        "feed_url": doc.self_url,
    }
    if doc.subtitle:
        head["description"] = doc.subtitle
    paging = dict(doc.paging)
    if "next" in paging:
        head["next_url"] = paging["next"]
    head["language"] = doc.language
    head["authors"] = [_author(doc.author)]
    if doc.hub_url:
        head["hubs"] = [{"type": "WebSub", "url": doc.hub_url}]
    head["items"] = []
    whole = _dumps(head)
    assert whole.endswith(b'"items":[]}')
    return whole[:-2], whole[-2:]


def render_json(doc: FeedDoc) -> bytes:
    """One-shot: the whole document by json.dumps, as the fragment path must reproduce."""
    prefix, suffix = head_json(doc)
    return prefix + b",".join(entry_json(e) for e in doc.entries) + suffix
