"""Rendered feeds in memory, ready to answer: identity, gzip and br bodies (compressed once,
when the artifact is made), ETag, Last-Modified and the headers that go with them.

Two parts:
- standard feeds, held under a byte budget; the least recently requested bodies beyond it
  are dropped from memory, keeping their headers, and read back from the artifacts table
  when asked for (no rendering);
- query variants (?max-results=7 …), rendered on demand, an LRU bounded by count.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from feeds.models import Artifact, FeedFormat
from server.http_cache import SERVER, coded_etag, http_date, link_header

CacheKey = tuple[int, str, FeedFormat]

@dataclass(slots=True)
class CachedFeed:
    artifact: Artifact
    bodies: dict[str, bytes]
    """"identity", "gzip", "br"; empty when the bodies were evicted."""
    headers: dict[str, str]
    """The identity form's; the others differ in their ETag (coded_etag) and Content-Encoding."""
    modified_second: int | None
    """Last-Modified in seconds since the epoch (None: not sent); it can be ahead of the
    clock (feeds/versions.py), and is then sent as the response's Date (RFC 9110 §8.8.2.1)."""
    size: int = field(default=0)
    wire: dict[str, bytes] = field(default_factory=dict)
    """HTTP/1.1 response heads, without Date and the blank line, for "identity", "gzip",
    "br" (200) and NOT_MODIFIED[coding] (304): what server/fastpath.py writes."""


def _wire_head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Server: {SERVER}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


NOT_MODIFIED = {"identity": "304", "gzip": "304 gzip", "br": "304 br"}
"""The wire head of a 304 for each coding: each carries that coding's ETag (RFC 9110 §15.4.5),
made whether its body is made yet or not (a 304 sends none)."""


def coded_headers(headers: dict[str, str], coding: str) -> dict[str, str]:
    """The headers of a feed's `coding` form (200 and 304), from its identity form's."""
    if coding == "identity":
        return headers
    return {**headers, "ETag": coded_etag(headers["ETag"], coding)}


def wire_heads(headers: dict[str, str], sizes: dict[str, int]) -> dict[str, bytes]:
    wire = {}
    for coding, key in NOT_MODIFIED.items():
        coded = coded_headers(headers, coding)
        wire[key] = _wire_head("304 Not Modified", coded)
        if coding in sizes:
            extra = {} if coding == "identity" else {"Content-Encoding": coding}
            wire[coding] = _wire_head("200 OK", {**coded, **extra,
                                                 "Content-Length": str(sizes[coding])})
    return wire


def make_cached(artifact: Artifact, hub_url: str | None, max_age: int) -> CachedFeed:
    links = [(artifact.self_url, "self")]
    if hub_url:
        links.insert(0, (hub_url, "hub"))
    modified = artifact.last_modified
    headers = {
        "Content-Type": artifact.content_type,
        "ETag": artifact.etag,
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Encoding",
        "Link": link_header(links),
    }
    if modified is not None:
        headers["Last-Modified"] = http_date(modified)
    # An artifact just regenerated has no compressed bodies yet (empty): it is served as
    # identity until they are made (server/feed_service.py); a gzip body is never empty.
    bodies = {k: v for k, v in (("identity", artifact.body), ("gzip", artifact.body_gzip),
                                ("br", artifact.body_br)) if v or k == "identity"}
    # The bodies live in `bodies` only, so evicting them frees them.
    meta = replace(artifact, body=b"", body_gzip=b"", body_br=b"")
    wire = wire_heads(headers, {k: len(v) for k, v in bodies.items()})
    modified_second = None if modified is None else int(modified.timestamp())
    return CachedFeed(meta, bodies, headers, modified_second, resident_size(bodies, wire), wire)


ENTRY_OVERHEAD = 1024
"""Bytes a cached feed holds besides its bodies and heads (its headers, its artifact's
fields, the dicts): measured with tracemalloc on the 38,259 feeds of a 100,000-post blog."""


def resident_size(bodies: dict[str, bytes], wire: dict[str, bytes]) -> int:
    """What holding a feed's bodies costs, as the budget counts it: the bodies, the
    response heads that go with them (~2.3 KB a feed, a 304 per coding included: more than
    the body of a small comment feed) and the rest of the entry."""
    return (sum(len(b) for b in bodies.values()) + sum(len(h) for h in wire.values())
            + ENTRY_OVERHEAD)


def _key(feed: CachedFeed) -> CacheKey:
    a = feed.artifact
    return (a.site_id, a.key, a.format)


def _forget_bodies(feed: CachedFeed) -> None:
    # The response heads go too (rebuilt with the bodies): kept for each of the 38,000
    # feeds of a 100,000-post blog, they alone held 64 MiB outside the budget.
    feed.bodies = {}
    feed.wire = {}


class FeedCache:
    def __init__(self, budget_bytes: int, variant_entries: int) -> None:
        self.budget = budget_bytes
        self.variant_entries = variant_entries
        # Standard feeds with their bodies, least recently requested first, and those
        # whose bodies were evicted (headers only) apart: with both in one ordered dict,
        # each eviction walked past every evicted feed first, and serving each feed of a
        # 38,000-artifact site once under a small budget took minutes of CPU.
        self._resident: OrderedDict[CacheKey, CachedFeed] = OrderedDict()
        self._evicted: dict[CacheKey, CachedFeed] = {}
        self._variants: OrderedDict[CacheKey, CachedFeed] = OrderedDict()
        self.resident_bytes = 0

    def get(self, key: CacheKey) -> CachedFeed | None:
        hit = self._resident.get(key)
        if hit is not None:
            self._resident.move_to_end(key)
            return hit
        hit = self._evicted.get(key)
        if hit is not None:
            return hit
        hit = self._variants.get(key)
        if hit is not None:
            self._variants.move_to_end(key)
        return hit

    def peek(self, key: CacheKey) -> CachedFeed | None:
        """A standard feed, without counting it as requested."""
        return self._resident.get(key) or self._evicted.get(key)

    def standard_keys(self) -> list[CacheKey]:
        """Every standard feed held, its bodies in memory or not."""
        return [*self._resident, *self._evicted]

    def put(self, feed: CachedFeed) -> None:
        key = _key(feed)
        self._remove(key)
        self._resident[key] = feed
        self.resident_bytes += feed.size
        self._evict()

    def put_evicted(self, feed: CachedFeed) -> None:
        """A feed known by its headers only; its bodies stay in the artifacts table."""
        key = _key(feed)
        self._remove(key)
        _forget_bodies(feed)
        self._evicted[key] = feed

    def put_variant(self, feed: CachedFeed) -> None:
        self._variants[_key(feed)] = feed
        while len(self._variants) > self.variant_entries:
            self._variants.popitem(last=False)

    def restore(self, feed: CachedFeed, bodies: tuple[bytes, bytes, bytes]) -> None:
        """Bodies read back from the artifacts table for an evicted feed."""
        if feed.bodies:
            return
        # The compressed bodies too when they were made since (never empty when made).
        feed.bodies = {k: v for k, v in zip(("identity", "gzip", "br"), bodies, strict=True)
                       if v or k == "identity"}
        feed.wire = wire_heads(feed.headers, {k: len(v) for k, v in feed.bodies.items()})
        feed.size = resident_size(feed.bodies, feed.wire)
        key = _key(feed)
        if self._evicted.get(key) is feed:  # else replaced meanwhile: served this once
            del self._evicted[key]
            self._resident[key] = feed
            self.resident_bytes += feed.size
            self._evict()

    def drop(self, site_id: int, key: str) -> None:
        for fmt in FeedFormat:
            self._remove((site_id, key, fmt))

    def drop_site(self, site_id: int) -> None:
        """Every feed of a deleted site, standard and variant: nothing of it is served."""
        for k in [k for k in (*self._resident, *self._evicted) if k[0] == site_id]:
            self._remove(k)
        self.clear_variants(site_id)

    def clear_variants(self, site_id: int) -> None:
        for k in [k for k in self._variants if k[0] == site_id]:
            del self._variants[k]

    def _remove(self, key: CacheKey) -> None:
        old = self._resident.pop(key, None)
        if old is not None:
            self.resident_bytes -= old.size
        self._evicted.pop(key, None)

    def _evict(self) -> None:
        # Least recently requested first; headers stay so a 304 needs no database read.
        # The feed just put or read back keeps its bodies even alone past the budget: its
        # caller is about to send them.
        while self.resident_bytes > self.budget and len(self._resident) > 1:
            key, feed = self._resident.popitem(last=False)
            self.resident_bytes -= feed.size
            _forget_bodies(feed)
            self._evicted[key] = feed

    def has_base_url(self, site_id: int, base_url: str) -> bool:
        """Whether every cached feed of the site was rendered for this base URL (a changed
        public_url or port means every feed must be rendered again; one feed left in an
        older one, say a comment feed no site change had reached, is enough)."""
        found = False
        for (sid, _, _), feed in itertools.chain(self._resident.items(), self._evicted.items()):
            if sid == site_id:
                if not feed.artifact.self_url.startswith(base_url + "/"):
                    return False
                found = True
        return found

    def made_otherwise(self, made_with: str | None) -> dict[tuple[int, str], set[str | None]]:
        """The standard feeds held whose version records being made with other settings
        than `made_with` (server/made_with.py), each with the fingerprints recorded."""
        found: dict[tuple[int, str], set[str | None]] = {}
        for (sid, key, _), feed in itertools.chain(self._resident.items(),
                                                   self._evicted.items()):
            if feed.artifact.made_with != made_with:
                found.setdefault((sid, key), set()).add(feed.artifact.made_with)
        return found

    def __len__(self) -> int:
        return len(self._resident) + len(self._evicted)
