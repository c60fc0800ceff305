"""Post files: Markdown (.md) or HTML (.html) with YAML front matter between `---` lines.

    ---
    title: "A post"
    slug: a-post
    labels: [feeds, atom]
    authors: [{name: "Zoë", uri: "https://…", email: "…"}]   # or plain names
    published: 2026-03-04T09:15:00+01:00   # no zone: the site's time zone
    updated: 2026-03-05T10:00:00Z
    summary: "optional"
    status: published | draft | scheduled
    id: "tag:example.org,2020:post-1"      # optional: keep an existing entry id
    ---
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import markdown
import yaml

from feeds.errors import FeedsError, InvalidInputError
from feeds.models import Author, PostDraft, PostStatus
from feeds.query import parse_date

KNOWN_KEYS = {"title", "slug", "labels", "authors", "published", "updated", "summary", "status",
              "id"}


class PostFileError(FeedsError, ValueError):
    """A post file that cannot be read: names the file and the field."""

    def __init__(self, path: Path, field: str, problem: str) -> None:
        super().__init__(f"{path}: {field}: {problem}")
        self.path = path
        self.field = field


def _split(text: str, path: Path) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        raise PostFileError(path, "front matter", "the file must start with a --- line")
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise PostFileError(path, "front matter", "no closing --- line")
    try:
        meta = yaml.safe_load(parts[0].removeprefix("---"))
    except yaml.YAMLError as exc:
        raise PostFileError(path, "front matter", f"not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise PostFileError(path, "front matter", "must be a mapping of keys to values")
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return meta, body


def _date(meta: dict[str, Any], name: str, path: Path, tz: tzinfo) -> datetime | None:
    value = meta.get(name)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or tz).astimezone(UTC)
    try:
        return parse_date(str(value), name, tz)
    except InvalidInputError:
        raise PostFileError(path, name, f"not a date: {value!r}") from None


def _authors(meta: dict[str, Any], path: Path) -> tuple[Author, ...]:
    raw = meta.get("authors") or []
    if isinstance(raw, (str, dict)):
        raw = [raw]
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            out.append(Author(item))
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            unknown = set(item) - {"name", "uri", "email"}
            if unknown:
                raise PostFileError(path, f"authors[{i}].{sorted(unknown)[0]}", "unknown key")
            out.append(Author(item["name"], item.get("uri"), item.get("email")))
        else:
            raise PostFileError(path, f"authors[{i}]", "must be a name or {name, uri, email}")
    return tuple(out)


def read_post_file(path: Path, tz: tzinfo, now: datetime) -> PostDraft:
    """A draft from a post file, or PostFileError naming the file and the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PostFileError(path, "file", str(exc)) from None
    meta, body = _split(text, path)
    unknown = set(meta) - KNOWN_KEYS
    if unknown:
        raise PostFileError(path, sorted(unknown)[0], "unknown key")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise PostFileError(path, "title", "missing")
    labels = meta.get("labels") or []
    if isinstance(labels, str):
        labels = [labels]
    if not isinstance(labels, list) or not all(isinstance(x, (str, int)) for x in labels):
        raise PostFileError(path, "labels", "must be a list of names")
    try:
        status = PostStatus(str(meta.get("status", "published")))
    except ValueError:
        raise PostFileError(path, "status", "must be published, draft or scheduled") from None
    html = markdown.markdown(body, extensions=["extra"]) if path.suffix == ".md" else body
    published = _date(meta, "published", path, tz) or now
    return PostDraft(
        title=title,
        content_html=html,
        published=published,
        updated=_date(meta, "updated", path, tz),
        slug=str(meta["slug"]) if meta.get("slug") else None,
        summary=str(meta["summary"]) if meta.get("summary") else None,
        authors=_authors(meta, path),
        labels=tuple(str(x) for x in labels),
        status=status,
        entry_id=str(meta["id"]) if meta.get("id") else None,
    )
