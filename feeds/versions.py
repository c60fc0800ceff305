"""What a process knows of the stored version of each feed: its ETag (is a rendering new?),
its Last-Modified (when did the feed's bytes last change?) and the settings it was made
with (must it be made again with this server's?)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from feeds.models import Artifact, FeedFormat

VersionKey = tuple[int, str, FeedFormat]


def version_modified(previous: datetime | None, now: datetime) -> datetime:
    """Last-Modified of a feed version first stored at `now`: when its bytes changed (RFC
    9110 §8.8.2), not its newest entry's `updated` (a backdated post, a deleted newest post,
    a site's new title change the bytes and not that date, and a reader polling with
    If-Modified-Since got 304s for them: §13.1.3). Whole seconds, as HTTP dates carry, and
    at least a second after `previous` (the version it replaces): a reader holding
    `previous`'s date never gets a 304 for this one, even when both were made within one
    second or the clock stepped back. It can then be ahead of the clock (a feed changing
    more than once a second); the server sends no date later than its Date (§8.8.2.1:
    server/feed_cache.py)."""
    second = now.replace(microsecond=0)
    if previous is None:
        return second
    return max(second, previous.replace(microsecond=0) + timedelta(seconds=1))


def settings_fingerprint(settings: Mapping[str, object]) -> str:
    """A short name for the settings that shape feed bytes ({setting name: value}), stored
    with each artifact (artifacts.made_with): the same settings give the same name on every
    host and every start (canonical JSON, keys sorted; the first 64 bits of its SHA-256)."""
    text = json.dumps(dict(settings), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class FeedVersions:
    def __init__(self) -> None:
        self._etags: dict[VersionKey, str] = {}
        self._modified: dict[VersionKey, datetime] = {}
        """The Last-Modified of each feed's newest version, stored or being stored."""
        self._made_with: dict[VersionKey, str | None] = {}
        """The settings fingerprint each stored version was recorded with."""

    def remember(self, artifacts: list[Artifact]) -> None:
        for a in artifacts:
            ck = (a.site_id, a.key, a.format)
            self._etags[ck] = a.etag
            self._made_with[ck] = a.made_with
            if a.last_modified is not None:
                self._modified[ck] = a.last_modified

    def note_made_with(self, ck: VersionKey, etag: str, made_with: str | None) -> None:
        """The store says version `etag` of a feed is recorded as made with `made_with`
        (another server recorded the same bytes as its own): kept if it is the one known."""
        if self._etags.get(ck) == etag:
            self._made_with[ck] = made_with

    def forget_feed(self, site_id: int, key: str) -> None:
        for fmt in FeedFormat:
            self._etags.pop((site_id, key, fmt), None)
            self._modified.pop((site_id, key, fmt), None)
            self._made_with.pop((site_id, key, fmt), None)

    def forget_site(self, site_id: int) -> None:
        """A deleted site: none of its feeds is stored any more."""
        self._etags = {k: v for k, v in self._etags.items() if k[0] != site_id}
        self._modified = {k: v for k, v in self._modified.items() if k[0] != site_id}
        self._made_with = {k: v for k, v in self._made_with.items() if k[0] != site_id}

    def any_stored(self, site_id: int, key: str) -> bool:
        return any((site_id, key, fmt) in self._etags for fmt in FeedFormat)

    def is_stored(self, artifact: Artifact) -> bool:
        return self._etags.get((artifact.site_id, artifact.key, artifact.format)) == artifact.etag

    def recorded_otherwise(self, artifact: Artifact) -> bool:
        """Whether this rendering's bytes are stored, recorded as made with other settings
        than its own (the same bytes under both: only the record is to change)."""
        ck = (artifact.site_id, artifact.key, artifact.format)
        return (self._etags.get(ck) == artifact.etag
                and self._made_with.get(ck, artifact.made_with) != artifact.made_with)

    def dated(self, artifacts: list[Artifact], now: datetime) -> list[Artifact]:
        """New versions with their Last-Modified (version_modified), each after the one
        given before it, even if that one's store failed."""
        dated = []
        for a in artifacts:
            ck = (a.site_id, a.key, a.format)
            modified = self._modified[ck] = version_modified(self._modified.get(ck), now)
            dated.append(replace(a, last_modified=modified))
        return dated
