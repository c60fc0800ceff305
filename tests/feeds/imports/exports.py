"""Exports the import stories write or read (tests/feeds/imports/test_import_*.py): a Blogger
takeout around a few posts written in the test, the items the parser reads from an export and
those a reader would see now, and the link an Atom entry points to."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from feeds.imports.items import ImportedPost, ImportFormatError, ImportItem
from feeds.models import PostStatus
from server.importing import file_source, items_of
from tests.feeds.imports.conftest import ATOM

BLOG = "tag:blogger.com,1999:blog-7001234567890123456"
HEAD = ("<?xml version='1.0' encoding='utf-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom' "
        "xmlns:blogger='http://schemas.google.com/blogger/2018'>\n")


def exported(kind: str, data: bytes) -> list[ImportItem]:
    """What the parser reads from an export (stopping where a malformed one breaks)."""
    got: list[ImportItem] = []
    source = file_source(kind, data, "export")  # type: ignore[arg-type]
    with contextlib.suppress(ImportFormatError):
        got.extend(items_of(source, ZoneInfo("Asia/Kathmandu")))
    return got


def visible(items: list[ImportItem], now: datetime) -> dict[str, ImportedPost]:
    """The posts a reader sees: published or scheduled, and due (a date in the future waits)."""
    return {i.entry_id: i for i in items if isinstance(i, ImportedPost)
            and i.status in (PostStatus.PUBLISHED, PostStatus.SCHEDULED)
            and (i.published or now) <= now}


def takeout_post(n: int, title: str, path: str, published: str, *, labels: tuple[str, ...] = (),
                 content: str = "&lt;p&gt;Words.&lt;/p&gt;", post_id: int | None = None) -> str:
    terms = "".join(f"<category term='{lb}'/>" for lb in labels)
    return (f"<entry><id>{BLOG}.post-{post_id or 900 + n}</id><blogger:type>POST</blogger:type>"
            f"<blogger:status>LIVE</blogger:status><title>{title}</title>"
            f"<content type='html'>{content}</content><published>{published}</published>"
            f"{terms}<blogger:filename>{path}</blogger:filename></entry>\n")


def alternate(entry: Any) -> str:
    return next(str(link.get("href")) for link in entry.iter(f"{ATOM}link")
                if link.get("rel", "alternate") == "alternate")


def wxr_export(*items: str) -> bytes:
    """A small WordPress export around the given <item>s."""
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<rss version='2.0' "
            "xmlns:content='http://purl.org/rss/1.0/modules/content/' "
            "xmlns:dc='http://purl.org/dc/elements/1.1/' "
            "xmlns:wp='http://wordpress.org/export/1.2/'>\n<channel><title>T</title>\n"
            + "".join(items) + "</channel></rss>").encode()


def wxr_post(n: int, title: str, gmt: str, *, modified: str = "", comments: str = "",
             link: str = "") -> str:
    """A published post, `?p=N` its guid; `link`: its permalink on the old blog."""
    updated = f"<wp:post_modified_gmt>{modified}</wp:post_modified_gmt>" if modified else ""
    permalink = f"<link>{link}</link>" if link else ""
    return (f"<item><title>{title}</title>{permalink}<guid isPermaLink='false'>"
            f"https://old.example/?p={n}</guid><content:encoded><![CDATA[<p>{title}.</p>]]></content:encoded>"
            f"<wp:post_id>{n}</wp:post_id><wp:post_date_gmt>{gmt}</wp:post_date_gmt>{updated}"
            f"<wp:post_name>post-{n}</wp:post_name><wp:status>publish</wp:status>"
            f"<wp:post_type>post</wp:post_type>{comments}</item>\n")


def wxr_comment(n: int, author: str, text: str, gmt: str = "2023-06-01 10:00:00") -> str:
    """An approved comment, wp:comment_id N."""
    return (f"<wp:comment><wp:comment_id>{n}</wp:comment_id><wp:comment_author>{author}"
            f"</wp:comment_author><wp:comment_date_gmt>{gmt}</wp:comment_date_gmt>"
            f"<wp:comment_content><![CDATA[{text}]]></wp:comment_content>"
            "<wp:comment_approved>1</wp:comment_approved></wp:comment>")
