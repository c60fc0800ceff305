"""Drafts made from checked API bodies (server/api_input.py checks them): a post's, with
its dates' rules (docs/publishing.md, "A post's dates"), and a comment's. Also used by the
command line (`syndic post add|edit`, `syndic comment add`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from feeds.content import summary_from_html
from feeds.errors import InvalidInputError
from feeds.models import (
    Author,
    CommentDraft,
    CommentStatus,
    Enclosure,
    Post,
    PostDraft,
    PostKind,
    PostStatus,
    Site,
)
from server.api_dates import date_field


def _date(body: dict[str, Any], name: str, tz: ZoneInfo, where: str) -> datetime | None:
    value = body.get(name)
    return None if value is None else date_field(value, f"{where}{name}", tz)


def _authors(raw: list[dict[str, Any] | str], before: Post | None = None
             ) -> tuple[Author, ...]:
    """The authors a body gives, each an object or a name alone ("Marco Rossi" is
    {"name": "Marco Rossi"}, as docs/publishing.md says). One the post has already (the
    same name, uri and email) stays who they were: their `account` (an import's login,
    which the API does not show) is kept, or a client sending the post's authors back as it
    read them would move the post to the feed of another author of that name
    (feeds/authors.py)."""
    had = {(a.name, a.uri, a.email): a.account for a in before.authors} if before else {}
    given = [{"name": a} if isinstance(a, str) else a for a in raw]
    return tuple(Author(a["name"], a.get("uri"), a.get("email"),
                        had.get((a["name"], a.get("uri"), a.get("email")))) for a in given)


def _enclosures(raw: list[dict[str, Any]]) -> tuple[Enclosure, ...]:
    return tuple(Enclosure(e["url"], e.get("type") or "application/octet-stream",
                           int(e.get("length") or 0)) for e in raw)


def _summary(body: dict[str, Any], site: Site, before: Post | None) -> str | None:
    """The summary the body gives; on a patch without one, the stored summary if the writer
    wrote it, else None (derived again from the content, which may have changed)."""
    if "summary" in body or before is None:
        return body.get("summary")
    derived = summary_from_html(before.content_html, site.summary_length)
    return None if before.summary == derived else before.summary


def post_draft(body: dict[str, Any], site: Site, now: datetime, before: Post | None = None,
               where: str = "") -> PostDraft:
    """A draft from a create (before None) or a patch of `before`: fields not in the body
    keep their stored values. docs/publishing.md ("A post's dates") states the rules:
    `publish_at` schedules the post (only with status scheduled or none); a post published
    or scheduled with a date ahead goes out at that date, a draft's date included; a draft
    never given a date, or a schedule taken back (status draft, or `publish_at: null`), is
    dated when it is published, as is a scheduled post published before its time; `updated`
    given is never before `published`."""
    tz = ZoneInfo(site.timezone)
    publish_at = _date(body, "publish_at", tz, where)
    asked = body.get("status")
    if publish_at is not None and asked not in (None, PostStatus.SCHEDULED):
        # It used to be dropped (draft) or taken as `published`: refused, so that a client
        # never believes a post is scheduled when it is not.
        raise InvalidInputError(f"{where}publish_at", "only a scheduled post has one (status "
                                f"is {asked}; date it with published instead)")
    given = _date(body, "published", tz, where)
    if publish_at is not None and given not in (None, publish_at):
        raise InvalidInputError(f"{where}published", "a scheduled post is published at "
                                "its publish_at: give one of the two, or the same instant")
    # `"publish_at": null` on a scheduled post takes it off the schedule (a draft, unless
    # the body says otherwise); on any other post there is no schedule to take off.
    unschedule = (before is not None and before.status is PostStatus.SCHEDULED
                  and "publish_at" in body and publish_at is None)
    if unschedule and asked == PostStatus.SCHEDULED and given is None:
        raise InvalidInputError(f"{where}publish_at", "null takes the post off its schedule;"
                                " to keep it scheduled, leave publish_at out or give a date")
    status = PostStatus(asked or (
        PostStatus.SCHEDULED if publish_at else PostStatus.DRAFT if unschedule
        else (before.status if before else "published")))
    if status is PostStatus.SCHEDULED and publish_at is None:
        # Its date: the one given, the one it is scheduled for, or a draft's own date ahead.
        kept = before is not None and not unschedule and (
            before.status is PostStatus.SCHEDULED
            or (_dated_draft(before) and before.published > now))
        publish_at = given or (before.published if before and kept else None)
        if publish_at is None:
            raise InvalidInputError(f"{where}publish_at", "a scheduled post needs publish_at "
                                    "(or a published date)")
    published = publish_at or given or _kept_date(before, status, now)
    if status is PostStatus.PUBLISHED and published > now:
        # Published with a date ahead (given now, or a draft's): it goes out then, as
        # WordPress makes such a post "future". Left published, it would be in no feed
        # while the API said published.
        status = PostStatus.SCHEDULED
    updated = _date(body, "updated", tz, where)
    if updated is not None and updated < published:
        # Imports clamp it (feeds/posts.prepare_post: an odd feed loses no item); a writer
        # is told, rather than shown another date than the one sent.
        raise InvalidInputError(f"{where}updated", "earlier than the post's published date "
                                f"({published.isoformat().replace('+00:00', 'Z')})")

    def keep(name: str, current: Any) -> Any:
        return body.get(name, current)

    return PostDraft(
        title=keep("title", before.title if before else ""),
        content_html=keep("content_html", before.content_html if before else "") or "",
        published=published,
        updated=updated,
        slug=keep("slug", before.slug if before else None),
        summary=_summary(body, site, before),
        authors=_authors(body["authors"], before) if "authors" in body else (
            before.authors if before else ()),
        labels=tuple(keep("labels", before.labels if before else ())),
        enclosures=_enclosures(body["enclosures"]) if "enclosures" in body else (
            before.enclosures if before else ()),
        status=status,
        entry_id=body.get("entry_id"),
        kind=PostKind(keep("kind", before.kind if before else PostKind.POST)),
    )


def _dated_draft(post: Post) -> bool:
    """A draft given a date of its own: one never given a date is dated when it is stored
    (its `published` is its `created`), and so is a schedule taken back."""
    return post.status is PostStatus.DRAFT and post.created is not None and (
        post.published != post.created)


def _kept_date(before: Post | None, status: PostStatus, now: datetime) -> datetime:
    """`published` when the body gives no date: now for a new post, for a draft without a
    date of its own going out, and for a scheduled post published before its time (the
    writer's "publish now"); the post's creation instant for a schedule taken back to a
    draft (a draft without a date again); else the post's date."""
    if before is None:
        return now
    if status is PostStatus.DRAFT and before.status is PostStatus.SCHEDULED:
        return before.created or now
    going_out = status is not PostStatus.DRAFT and (
        (before.status is PostStatus.DRAFT and not _dated_draft(before))
        or (before.status is PostStatus.SCHEDULED and status is PostStatus.PUBLISHED
            and before.published > now))
    return now if going_out else before.published


def comment_author(raw: dict[str, Any] | str) -> Author:
    """A comment's author as the API takes it: {name, uri, email}, or a name."""
    return _authors([raw])[0]


def comment_draft(body: dict[str, Any], site: Site) -> CommentDraft:
    author = comment_author(body["author"])
    return CommentDraft(
        author=author, content_html=body["content_html"],
        published=_date(body, "published", ZoneInfo(site.timezone), ""),
        status=CommentStatus(body.get("status", "approved")),
        parent_id=body.get("parent_id"),
    )
