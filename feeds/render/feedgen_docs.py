"""FeedDoc/EntryDoc -> feedgen objects, for Atom and RSS. With feedgen_ext.py, the ONLY
place feedgen is used.

Every timestamp feedgen would default to now is set from the data (design rule 8), and
entries are appended, not prepended (feedgen's add_entry default)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from feedgen.feed import FeedGenerator

from feeds.models import FeedFormat
from feeds.render.document import (
    GENERATOR_NAME,
    GENERATOR_URI,
    GENERATOR_VERSION,
    EntryDoc,
    FeedDoc,
)
from feeds.render.feedgen_ext import SyndicEntryExtension, SyndicFeedExtension

_NEUTRAL_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)


def new_generator(fmt: FeedFormat, doc: FeedDoc | None) -> Any:
    """A FeedGenerator for `doc`'s head; with doc None, a fixed neutral head that entry
    fragments are cut from (the entries do not depend on the head they sit under)."""
    fg = FeedGenerator()
    is_rss = fmt is FeedFormat.RSS
    fg.register_extension(
        "syndic", SyndicFeedExtension, SyndicEntryExtension, atom=not is_rss, rss=is_rss
    )
    fg.syndic.rss = is_rss
    fg.generator(GENERATOR_NAME, version=GENERATOR_VERSION, uri=GENERATOR_URI)
    if doc is None:
        fg.id("urn:syndic:fragment")
        fg.title("fragment")
        fg.description("fragment")
        fg.link(href="urn:syndic:fragment", rel="alternate")
        fg.updated(_NEUTRAL_UPDATED)
        fg.lastBuildDate(_NEUTRAL_UPDATED)
        return fg
    fg.syndic.doc = doc
    fg.id(doc.feed_id)
    fg.title(doc.title)
    if doc.subtitle:
        fg.subtitle(doc.subtitle)
    if is_rss:
        # feedgen's description() is also Atom's <subtitle>: RSS only (it is required there).
        fg.description(doc.subtitle or doc.title)
    fg.updated(doc.updated)
    fg.lastBuildDate(doc.updated)
    fg.language(doc.language)
    fg.author(_author_dict(doc.author))
    self_type = "application/atom+xml" if not is_rss else "application/rss+xml"
    fg.link(href=doc.self_url, rel="self", type=self_type)
    # feedgen's RSS <channel><link> is the href of the LAST link() call, whatever its rel:
    # the alternate link must come last.
    fg.link(href=doc.site_url, rel="alternate", type="text/html")
    return fg


def _author_dict(author: Any) -> dict[str, str]:
    out = {"name": author.name}
    if author.email:
        out["email"] = author.email
    if author.uri:
        out["uri"] = author.uri
    return out


def add_entry(fg: Any, fmt: FeedFormat, e: EntryDoc) -> None:
    fe = fg.add_entry(order="append")
    fe.syndic.entry = e
    fe.id(e.entry_id)
    fe.title(e.title)
    fe.updated(e.updated)
    fe.published(e.published)
    if fmt is FeedFormat.ATOM:
        for author in e.authors:
            fe.author(_author_dict(author))
        if e.content_html is not None:
            fe.content(e.content_html, type="html")
        else:
            fe.summary(e.summary)
    else:
        # RSS <author> needs an email; authors are written as dc:creator (feedgen_ext).
        fe.description(e.summary)
        if e.content_html is not None:
            fe.content(e.content_html)
        if e.comments_page_url and e.comment_count is not None:
            fe.comments(e.comments_page_url)
    # feedgen writes this as a bare <link href>: alternate is the default rel
    # (RFC 4287 §4.2.7.2), and it is the RSS item <link>.
    fe.link(href=e.url, rel="alternate")
    scheme = e.label_scheme if fmt is FeedFormat.ATOM and e.label_scheme else None
    for label in e.labels:
        category = {"term": label}
        if scheme:
            category["scheme"] = scheme
        fe.category(category)
    # feedgen's guid() and id() each set both atom:id and the RSS guid: the last one wins.
    if fmt is FeedFormat.ATOM:
        fe.id(e.atom_id or e.entry_id)
    else:
        fe.guid(e.entry_id, permalink=False)


def serialise(fg: Any, fmt: FeedFormat) -> bytes:
    out = fg.atom_str(pretty=False) if fmt is FeedFormat.ATOM else fg.rss_str(pretty=False)
    assert isinstance(out, bytes)
    return out
