"""Sites, posts, comments and import runs as JSON objects: one shape for the admin API and
`syndic ... --json` (documented in server/openapi.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.feedset import author_key
from feeds.imports.apply import ImportReport
from feeds.models import Author, Comment, Delivery, Post, PostStatus, Site, Subscription
from feeds.posts import link_of
from feeds.store import ApiToken, ImportRun


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def author_json(a: Author) -> dict[str, Any]:
    return {"name": a.name, "uri": a.uri, "email": a.email}


def post_author_json(site: Site, a: Author) -> dict[str, Any]:
    """A post's author, with the URL of their feed (authors whose names make one slug have
    one feed each: feeds/authors.py)."""
    return {**author_json(a), "feed": site.base_url + author_key(a.feed) if a.feed else None}


def site_json(site: Site) -> dict[str, Any]:
    return {
        "id": site.id, "host": site.host, "title": site.title, "subtitle": site.subtitle,
        "base_url": site.base_url, "timezone": site.timezone, "language": site.language,
        "default_feed": site.default_feed.value, "summary_length": site.summary_length,
        "wordpress_urls": site.wordpress_urls, "is_default": site.is_default,
        "created": iso(site.created),
    }


def post_json(site: Site, post: Post) -> dict[str, Any]:
    return {
        "id": post.id, "entry_id": post.entry_id, "slug": post.slug,
        "kind": post.kind.value, "url": link_of(site, post), "title": post.title,
        "summary": post.summary, "content_html": post.content_html,
        "status": post.status.value, "published": iso(post.published),
        "updated": iso(post.updated),
        "publish_at": iso(post.published) if post.status is PostStatus.SCHEDULED else None,
        "labels": list(post.labels), "authors": [post_author_json(site, a) for a in post.authors],
        "enclosures": [{"url": e.url, "type": e.type, "length": e.length}
                       for e in post.enclosures],
        "thumbnail": post.thumbnail, "comment_count": post.comment_count,
        "version": post.version,
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id, "post_id": comment.post_id, "entry_id": comment.entry_id,
        "author": author_json(comment.author), "content_html": comment.content_html,
        "status": comment.status.value, "published": iso(comment.published),
        "updated": iso(comment.updated), "parent_id": comment.parent_id,
    }


def import_json(run: ImportRun) -> dict[str, Any]:
    return {
        "id": run.id, "site_id": run.site_id, "source": run.source, "state": run.state,
        "started": iso(run.started), "finished": iso(run.finished), "report": run.report,
    }


def report_line(report: ImportReport) -> str:
    return (f"posts: {report.posts_added} added, {report.posts_updated} updated, "
            f"{report.posts_unchanged} unchanged; comments: {report.comments_added} added, "
            f"{report.comments_updated} updated, {report.comments_unchanged} unchanged; "
            f"{len(report.skipped)} skipped")


def token_json(token: ApiToken) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "created": iso(token.created)}


def subscription_json(s: Subscription) -> dict[str, Any]:
    return {"id": s.id, "site_id": s.topic.site_id, "topic": s.topic.url,
            "callback": s.callback, "signed": s.secret is not None,
            "lease_seconds": s.lease_seconds, "expires_at": iso(s.expires_at),
            "created": iso(s.created), "verified_at": iso(s.verified_at)}


def delivery_json(d: Delivery) -> dict[str, Any]:
    return {"id": d.id, "kind": d.kind.value, "site_id": d.topic.site_id,
            "topic": d.topic.url, "target": d.target, "version": d.etag, "state": d.state,
            "attempts": d.attempts, "next_attempt_at": iso(d.next_attempt_at)
            if d.state == "pending" else None, "last_status": d.last_status,
            "last_error": d.last_error}
