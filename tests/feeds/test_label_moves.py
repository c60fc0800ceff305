"""Where a label feed goes when its label is renamed or merged: its key and the URL a
subscriber named it by, rewritten as the feed handler's 301 does."""

from __future__ import annotations

import unicodedata

from feeds.label_moves import followed, label_segments, relabelled, with_labels

NFD = unicodedata.normalize("NFD", "été")
NFC = unicodedata.normalize("NFC", "été")


def test_a_label_feed_is_read_into_its_parts_and_nothing_else_is() -> None:
    assert label_segments("/feeds/posts/summary/-/a%2Fb/c?alt=rss") == (
        "/feeds/posts/summary", ("a/b", "c"), "?alt=rss")
    assert label_segments("http://blog.test/feeds/posts/default") is None
    assert label_segments("/feeds/posts/default/-/a//b") is None


def test_the_old_label_becomes_the_new_one_in_the_key_and_in_the_url() -> None:
    labels = relabelled(("old",), "old", "new name")
    assert labels == ("new name",)
    assert with_labels("/feeds/posts/default/-/old", labels) == "/feeds/posts/default/-/new%20name"
    assert with_labels("http://blog.test/feeds/posts/full/-/old?alt=json&x=1", labels) == (
        "http://blog.test/feeds/posts/full/-/new%20name?alt=json&x=1")
    assert with_labels("http://blog.test/feeds/posts/default", labels) is None


def test_an_and_feed_keeps_its_other_labels_and_names_a_merged_one_once() -> None:
    assert relabelled(("a", "old", "b"), "old", "new") == ("a", "new", "b")
    assert relabelled(("old", "new"), "old", "new") == ("new",)
    assert relabelled(("a", "b"), "old", "new") is None


def test_a_label_spelled_uncomposed_is_the_stored_one() -> None:
    assert relabelled((NFD,), NFC, "summer") == ("summer",)
    assert followed((NFD, "x"), {}) == (NFC, "x")
    assert followed(("first", "x"), {"first": "last"}) == ("last", "x")
    assert followed(("first", "last"), {"first": "last"}) == ("last",)
