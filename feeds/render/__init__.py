"""Bytes out: Atom and RSS through feedgen, JSON Feed by hand.

FeedRenderer renders each entry once per version and format and reuses the fragment in every
feed that shows it; the assembled document is byte-identical to a one-shot feedgen render
(tests/feeds/render/test_fragments.py proves it). Rendering is CPU work and feedgen calls
locale.setlocale (process-global): callers render on one thread, the server on its event
loop in slices (server/feed_service.LoopRenderer)."""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict

import brotli

from feeds.models import FeedFormat
from feeds.render.atom_entry import entry_document
from feeds.render.document import EntryDoc, FeedDoc
from feeds.render.feedgen_docs import add_entry, new_generator, serialise
from feeds.render.jsonfeed import entry_json, head_json, render_json


def etag_for(body: bytes) -> str:
    """Strong ETag: the first 128 bits of the SHA-256 of the bytes (design rule 8)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


# Compressed once per artifact, so a high level is affordable; brotli 11 costs ~20x
# quality 6 for a few percent, too slow for a full regeneration of a large site.
# gzip 6, not 9: a third less time for output under 1 % larger (docs/benchmarks.md).
GZIP_LEVEL = 6
BROTLI_QUALITY = 6


def compress(body: bytes) -> tuple[bytes, bytes]:
    """(gzip, br) of a body; gzip with mtime 0 so the bytes are deterministic."""
    return (
        gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0),
        brotli.compress(body, quality=BROTLI_QUALITY),
    )


_CLOSERS = {FeedFormat.ATOM: b"</feed>", FeedFormat.RSS: b"</channel></rss>"}


def render_oneshot(doc: FeedDoc) -> bytes:
    """The plain way: one feedgen document with every entry (JSON: one json.dumps)."""
    if doc.format is FeedFormat.JSON:
        return render_json(doc)
    fg = new_generator(doc.format, doc)
    for e in doc.entries:
        add_entry(fg, doc.format, e)
    feed = serialise(fg, doc.format)
    return entry_document(feed) if doc.atom_entry else feed


FragmentKey = tuple[FeedFormat, EntryDoc, object, object]


def _cost(key: FragmentKey, fragment: bytes) -> int:
    """What a cached fragment holds alive: its bytes and its key's EntryDoc texts."""
    entry = key[1]
    return len(fragment) + len(entry.content_html or "") + len(entry.summary) + 512


class InlineRenderer:
    """Renders on the calling thread: for command-line tools and tests. The server uses
    server/feed_service.LoopRenderer, which gives the event loop a turn every few ms."""

    def __init__(self, renderer: FeedRenderer) -> None:
        self.renderer = renderer

    async def render(self, docs: list[FeedDoc]) -> list[bytes]:
        return [self.renderer.render(d) for d in docs]

    async def compress(self, bodies: list[bytes]) -> list[tuple[bytes, bytes]]:
        return [compress(b) for b in bodies]


class FeedRenderer:
    """Assembles feeds from cached entry fragments, within a byte budget (LRU)."""

    def __init__(self, fragment_budget: int) -> None:
        self._budget = fragment_budget
        self._fragments: OrderedDict[FragmentKey, bytes] = OrderedDict()
        self._bytes = 0
        self._neutral_prefix: dict[FeedFormat, bytes] = {}
        self.fragments_rendered = 0

    def render(self, doc: FeedDoc) -> bytes:
        return self.assemble(doc, [self.fragment(doc.format, e) for e in doc.entries])

    def assemble(self, doc: FeedDoc, fragments: list[bytes]) -> bytes:
        """The document around its entries' fragments (``fragment``, in entry order)."""
        if doc.format is FeedFormat.JSON:
            prefix, suffix = head_json(doc)
            # One join: the document is copied once, not three times (prefix + ... + suffix).
            return b"".join([prefix, b",".join(fragments), suffix])
        prefix, suffix = self._head(doc)
        feed = b"".join([prefix, *fragments, suffix])
        return entry_document(feed) if doc.atom_entry else feed

    def _head(self, doc: FeedDoc) -> tuple[bytes, bytes]:
        whole = serialise(new_generator(doc.format, doc), doc.format)
        closer = _CLOSERS[doc.format]
        assert whole.endswith(closer)
        return whole[: -len(closer)], closer

    def fragment(self, fmt: FeedFormat, entry: EntryDoc) -> bytes:
        """The entry's fragment in ``fmt``: from the cache, or rendered and cached."""
        # Equal datetimes in different zones compare equal but render differently: the
        # offsets are part of the key.
        key = (fmt, entry, entry.published.utcoffset(), entry.updated.utcoffset())
        cached = self._fragments.get(key)
        if cached is not None:
            self._fragments.move_to_end(key)
            return cached
        fragment = self._render_fragment(fmt, entry)
        self.fragments_rendered += 1
        self._fragments[key] = fragment
        self._bytes += _cost(key, fragment)
        while self._bytes > self._budget and self._fragments:
            dropped_key, dropped = self._fragments.popitem(last=False)
            self._bytes -= _cost(dropped_key, dropped)
        return fragment

    def _render_fragment(self, fmt: FeedFormat, entry: EntryDoc) -> bytes:
        if fmt is FeedFormat.JSON:
            return entry_json(entry)
        prefix = self._neutral_prefix.get(fmt)
        if prefix is None:
            empty = serialise(new_generator(fmt, None), fmt)
            prefix = self._neutral_prefix[fmt] = empty[: -len(_CLOSERS[fmt])]
        fg = new_generator(fmt, None)
        add_entry(fg, fmt, entry)
        whole = serialise(fg, fmt)
        # The entry does not depend on the head it sits under: cut it out.
        assert whole.startswith(prefix) and whole.endswith(_CLOSERS[fmt])
        return whole[len(prefix) : -len(_CLOSERS[fmt])]
