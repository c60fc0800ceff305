"""Rendered feeds in memory, ready to answer: identity, gzip and br bodies (compressed once,
when the artifact is made), ETag, Last-Modified and the headers that go with them.

Two parts:
- standard feeds, held under a byte budget; the least recently requested bodies beyond it
  are dropped from memory, keeping their headers, and read back from the artifacts table
  when asked for (no rendering);
- query variants (?max-results=7 …), rendered on demand, an LRU bounded by count.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace

from feeds.models import Artifact, FeedFormat
from server.http_cache import http_date, link_header

CacheKey = tuple[int, str, FeedFormat]

@dataclass(slots=True)
class CachedFeed:
    artifact: Artifact
    bodies: dict[str, bytes]
    """"identity", "gzip", "br"; empty when the bodies were evicted."""
    headers: dict[str, str]
    last_modified: str | None
    size: int = field(default=0)
    wire: dict[str, bytes] = field(default_factory=dict)
    """HTTP/1.1 response heads, without Date and the blank line, for "identity", "gzip",
    "br" (200) and "304": what server/fastpath.py writes."""


def _wire_head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Server: syndic", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def wire_heads(headers: dict[str, str], sizes: dict[str, int]) -> dict[str, bytes]:
    wire = {"304": _wire_head("304 Not Modified", headers)}
    for encoding, size in sizes.items():
        extra = {} if encoding == "identity" else {"Content-Encoding": encoding}
        wire[encoding] = _wire_head("200 OK", {**headers, **extra, "Content-Length": str(size)})
    return wire


def make_cached(artifact: Artifact, hub_url: str | None, max_age: int) -> CachedFeed:
    links = [(artifact.self_url, "self")]
    if hub_url:
        links.insert(0, (hub_url, "hub"))
    last_modified = http_date(artifact.last_modified) if artifact.last_modified else None
    headers = {
        "Content-Type": artifact.content_type,
        "ETag": artifact.etag,
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Encoding",
        "Link": link_header(links),
        "Access-Control-Allow-Origin": "*",
    }
    if last_modified:
        headers["Last-Modified"] = last_modified
    # An artifact just regenerated has no compressed bodies yet (empty): it is served as
    # identity until they are made (server/feed_service.py); a gzip body is never empty.
    bodies = {k: v for k, v in (("identity", artifact.body), ("gzip", artifact.body_gzip),
                                ("br", artifact.body_br)) if v or k == "identity"}
    # The bodies live in `bodies` only, so evicting them frees them.
    meta = replace(artifact, body=b"", body_gzip=b"", body_br=b"")
    wire = wire_heads(headers, {k: len(v) for k, v in bodies.items()})
    return CachedFeed(meta, bodies, headers, last_modified, sum(len(b) for b in bodies.values()),
                      wire)


class FeedCache:
    def __init__(self, budget_bytes: int, variant_entries: int) -> None:
        self.budget = budget_bytes
        self.variant_entries = variant_entries
        self._standard: OrderedDict[CacheKey, CachedFeed] = OrderedDict()
        self._variants: OrderedDict[CacheKey, CachedFeed] = OrderedDict()
        self.resident_bytes = 0

    def get(self, key: CacheKey) -> CachedFeed | None:
        hit = self._standard.get(key)
        if hit is not None:
            if hit.bodies:
                self._standard.move_to_end(key)
            return hit
        hit = self._variants.get(key)
        if hit is not None:
            self._variants.move_to_end(key)
        return hit

    def peek(self, key: CacheKey) -> CachedFeed | None:
        """A standard feed, without counting it as requested."""
        return self._standard.get(key)

    def put(self, feed: CachedFeed) -> None:
        a = feed.artifact
        key = (a.site_id, a.key, a.format)
        old = self._standard.pop(key, None)
        if old is not None and old.bodies:
            self.resident_bytes -= old.size
        self._standard[key] = feed
        self.resident_bytes += feed.size
        self._evict()

    def put_evicted(self, feed: CachedFeed) -> None:
        """A feed known by its headers only; its bodies stay in the artifacts table."""
        feed.bodies = {}
        a = feed.artifact
        self._standard[(a.site_id, a.key, a.format)] = feed
        self._standard.move_to_end((a.site_id, a.key, a.format), last=False)

    def put_variant(self, feed: CachedFeed) -> None:
        a = feed.artifact
        self._variants[(a.site_id, a.key, a.format)] = feed
        while len(self._variants) > self.variant_entries:
            self._variants.popitem(last=False)

    def restore(self, feed: CachedFeed, bodies: tuple[bytes, bytes, bytes]) -> None:
        """Bodies read back from the artifacts table for an evicted feed."""
        if not feed.bodies:
            # Only the encodings its response heads (and size) were made for.
            feed.bodies = {k: v for k, v in zip(("identity", "gzip", "br"), bodies, strict=True)
                           if k in feed.wire}
            self.resident_bytes += feed.size
            a = feed.artifact
            self._standard.move_to_end((a.site_id, a.key, a.format))
            self._evict()

    def drop(self, site_id: int, key: str) -> None:
        for fmt in FeedFormat:
            old = self._standard.pop((site_id, key, fmt), None)
            if old is not None and old.bodies:
                self.resident_bytes -= old.size

    def clear_variants(self, site_id: int) -> None:
        for k in [k for k in self._variants if k[0] == site_id]:
            del self._variants[k]

    def _evict(self) -> None:
        # Least recently requested first; headers stay so a 304 needs no database read.
        for feed in self._standard.values():
            if self.resident_bytes <= self.budget:
                break
            if feed.bodies:
                feed.bodies = {}
                self.resident_bytes -= feed.size

    def has_base_url(self, site_id: int, base_url: str) -> bool:
        """Whether the site's cached feeds were rendered for this base URL (a changed
        public_url or port means every feed must be rendered again)."""
        for (sid, _, _), feed in self._standard.items():
            if sid == site_id:
                return feed.artifact.self_url.startswith(base_url + "/")
        return False

    def __len__(self) -> int:
        return len(self._standard)
