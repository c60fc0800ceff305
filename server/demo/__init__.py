"""The demo blog of `syndic serve --demo`: posts written for this project (posts/*.html)
and a few comments (comments.yaml), loaded through the same path as `syndic post add`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from feeds.models import Author, CommentDraft, Site
from feeds.publishing import Publisher
from feeds.query import parse_date
from server.frontmatter import read_post_file

DEMO_DIR = Path(__file__).parent
DEMO_TITLE = "Field Notes from the Syndic Workshop"
DEMO_SUBTITLE = "Feed formats, web publishing, and what grows and cooks around them."


async def seed_demo(publisher: Publisher, site: Site, now: datetime) -> int:
    """Add the demo posts to an empty site; returns how many were added."""
    if await publisher.store.list_posts(site.id):
        return 0
    tz = ZoneInfo(site.timezone)
    files = sorted((DEMO_DIR / "posts").glob("*.html"))
    for path in files:
        await publisher.add_post(site, read_post_file(path, tz, now), now)
    comments_file = DEMO_DIR / "comments.yaml"
    if comments_file.exists():
        for n, c in enumerate(yaml.safe_load(comments_file.read_text(encoding="utf-8")) or []):
            published = parse_date(str(c["published"]), "published", tz)
            draft = CommentDraft(Author(str(c["author"]), c.get("uri")), str(c["content"]),
                                 published)
            await publisher.add_comment(site, str(c["post"]), draft, now, n)
    return len(files)
