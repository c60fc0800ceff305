"""The comment list of a post's page: times on the site's clock with the zone's abbreviation
(or its offset where the zone has none), the instant for machines, replies nested in the
comment they answer, and every name escaped."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import lxml.html

from feeds.models import Author, Comment
from feeds.render.comment_list import comment_list_html, local_time_html

AT = datetime(2019, 12, 15, 14, 30, tzinfo=UTC)


def test_a_time_is_shown_on_the_sites_clock_with_its_zone() -> None:
    assert local_time_html(AT, ZoneInfo("America/New_York")) == \
        '<time datetime="2019-12-15T14:30:00Z">15 December 2019, 09:30 EST</time>'
    summer = datetime(2019, 7, 4, 1, 5, 59, 123456, tzinfo=UTC)
    assert local_time_html(summer, ZoneInfo("America/New_York")) == \
        '<time datetime="2019-07-04T01:05:59Z">3 July 2019, 21:05 EDT</time>'
    assert ">15 December 2019, 15:30 CET<" in local_time_html(AT, ZoneInfo("Europe/Paris"))
    assert ">15 December 2019, 14:30 UTC<" in local_time_html(AT, ZoneInfo("UTC"))


def test_a_zone_without_an_abbreviation_shows_its_offset() -> None:
    # The tz database names these zones by their offset ("+0330", "-03").
    assert ">15 December 2019, 18:00 UTC+03:30<" in local_time_html(AT, ZoneInfo("Asia/Tehran"))
    assert ">15 December 2019, 11:30 UTC-03:00<" in local_time_html(
        AT, ZoneInfo("America/Sao_Paulo"))
    assert ">16 December 2019, 04:15 UTC+13:45<" in local_time_html(
        AT, ZoneInfo("Pacific/Chatham"))  # its abbreviation is "+1345" in December


def test_replies_nest_in_the_comment_they_answer_and_names_are_escaped() -> None:
    def c(cid: int, parent: int | None, name: str) -> Comment:
        return Comment(id=cid, post_id=1, site_id=1, entry_id=str(cid), author=Author(name),
                       content_html=f"<p>Said {cid}.</p>", published=AT, updated=AT,
                       parent_id=parent)

    html = comment_list_html([c(1, None, "Ann <b>&amp;</b>"), c(2, 1, "Bo"), c(3, None, "Cy")],
                             ZoneInfo("UTC"), {1: "comment-12"})
    doc = lxml.html.fragment_fromstring(html)
    assert doc.tag == "ol"
    assert [li.get("id") for li in doc.xpath("li")] == ["comment-1", "comment-3"]
    assert doc.xpath("li[@id='comment-1']/ol/li/@id") == ["comment-2"]
    assert doc.xpath("//li[@id='comment-1']/a/@id") == ["comment-12"]
    assert doc.xpath("string(//li[@id='comment-1']/p)").startswith("Ann <b>&amp;</b>, ")
    assert comment_list_html([], ZoneInfo("UTC"), {}) == ""


def test_a_chain_ten_thousand_deep_is_five_lists_deep() -> None:
    chain = [Comment(id=i, post_id=1, site_id=1, entry_id=str(i), author=Author("R"),
                     content_html=f"<p>{i}</p>", published=AT, updated=AT,
                     parent_id=i - 1 if i > 1 else None) for i in range(1, 10_001)]
    doc = lxml.html.fragment_fromstring(comment_list_html(chain, ZoneInfo("UTC"), {}))
    items = doc.xpath("//li")
    assert len(items) == 10_000 and items[-1].get("id") == "comment-10000"
    assert [len(li.xpath("ancestor::ol")) for li in items[:7]] == [1, 2, 3, 4, 5, 5, 5]
    assert max(len(li.xpath("ancestor::ol")) for li in items) == 5
