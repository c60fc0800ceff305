"""One post alone, as Blogger answers /feeds/posts/default/POSTID: an Atom Entry Document
that a validator accepts on its own (RFC 4287 §4.1.2)."""

from __future__ import annotations

import pytest
from lxml import etree

from feeds.render.atom_entry import entry_document
from tests.atom_rules import assert_atom_entry_valid

FEED = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:thr="http://purl.org/syndication/thread/1.0" xmlns="http://www.w3.org/2005/Atom"
 xml:lang="fr"><id>tag:blog.test,2026:site-1</id><title>Le blog</title>\
<updated>2026-11-20T16:30:00+00:00</updated><author><name>Le blog</name></author>\
<entry><id>tag:blog.test,2026:post-1</id><title>Sans auteur</title>\
<updated>2026-11-20T16:30:00+00:00</updated><link href="http://blog.test/2026/11/a.html"/>\
<thr:total>2</thr:total></entry></feed>"""


def test_an_entry_with_no_author_of_its_own_takes_the_feeds() -> None:
    """In the feed the feed's author covers it; alone it must carry one."""
    alone = entry_document(FEED)
    assert_atom_entry_valid(alone)
    root = etree.fromstring(alone)
    assert root.findtext("{http://www.w3.org/2005/Atom}author/{http://www.w3.org/2005/Atom}name"
                         ) == "Le blog"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert root.findtext("{http://purl.org/syndication/thread/1.0}total") == "2"
    assert entry_document(FEED) == alone  # the same bytes every time


def test_a_feed_with_no_entry_has_no_entry_document() -> None:
    with pytest.raises(ValueError):
        entry_document(FEED.split(b"<entry>")[0] + b"</feed>")
