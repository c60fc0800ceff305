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
    kind: post | page                      # a page: /p/SLUG.html, the pages feed only
    ---
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import markdown
import yaml

from feeds.errors import FeedsError, InvalidInputError
from feeds.models import Author, Post, PostDraft, PostKind, PostStatus
from server.api_dates import date_field

KNOWN_KEYS = {"title", "slug", "labels", "authors", "published", "updated", "summary", "status",
              "id", "kind"}


class PostFileError(FeedsError, ValueError):
    """A post file that cannot be read: names the file and the field."""

    def __init__(self, path: Path, field: str, problem: str) -> None:
        super().__init__(f"{path}: {field}: {problem}")
        self.path = path
        self.field = field


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _FrontMatterLoader(yaml.SafeLoader):
    """yaml.safe_load's loader, with two changes.

    A date stays the text it was written as. YAML 1.1's timestamp pattern checks the shape
    only (2026-02-30 and 2026-13-45 match it), and PyYAML's constructor then raises
    ValueError, not YAMLError, for a day no calendar has. As text, every date goes to _date
    and the API's rule (date_field), which names the field; for every date PyYAML can
    construct, its text gives the same instant the object's isoformat() gave (a bare date
    is midnight, a time without a zone is in the site's time zone). An explicit !!timestamp
    stays text too.

    A scalar its tag's constructor cannot take (`!!int x`, `!!bool maybe`, or `0b_`, which
    YAML 1.1's int pattern matches and int() refuses) is a YAMLError at its line, as a
    syntax error is, not the ValueError or KeyError PyYAML lets out."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            kind = (node.tag or "").rsplit(":", 1)[-1]
            shown = node.value if isinstance(node, yaml.ScalarNode) else kind
            # A KeyError's text is the value again (`!!bool maybe`: 'maybe').
            why = "" if isinstance(exc, KeyError) else f" ({_one_line(exc)})"
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {shown!r} as {kind}{why}", node.start_mark) from None


def _as_text(loader: _FrontMatterLoader, node: yaml.Node) -> str:
    return loader.construct_yaml_str(node)


# A table of the subclass's own (as add_implicit_resolver makes one): SafeLoader, and so
# yaml.safe_load elsewhere, still reads timestamps.
_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_FrontMatterLoader.add_constructor(_TIMESTAMP, _as_text)


def _split(text: str, path: Path) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        raise PostFileError(path, "front matter", "the file must start with a --- line")
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise PostFileError(path, "front matter", "no closing --- line")
    try:
        # The opening --- becomes an empty line: YAML's line numbers are the file's.
        meta = yaml.load(parts[0].removeprefix("---"), Loader=_FrontMatterLoader)
    except yaml.YAMLError as exc:
        raise PostFileError(path, "front matter", _yaml_problem(exc)) from None
    except RecursionError:
        # PyYAML composes nested collections recursively: a few hundred [ or { deep
        # (labels: [[[[...]]]]) exhaust Python's stack before any check of its own.
        raise PostFileError(path, "front matter", "not valid YAML: nested too deeply") from None
    except Exception as exc:
        # Anything else PyYAML lets through is still a file that cannot be read, never a
        # bug of ours: one line naming the front matter (cli.py's exit 2, not 70).
        raise PostFileError(path, "front matter",
                            f"not valid YAML: {_one_line(exc)}") from None
    if meta is None:
        meta = {}  # "---\n---": no field given (an edit's file may give only a body)
    if not isinstance(meta, dict):
        raise PostFileError(path, "front matter", "must be a mapping of keys to values")
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return meta, body


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line: where (the file's line and column) and what. PyYAML's own text is several
    lines (the context, a caret under the source line)."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return f"not valid YAML: {_one_line(exc)}"
    mark = exc.problem_mark or exc.context_mark
    what = " ".join((exc.problem or exc.context or "syntax error").split())
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"not valid YAML{where}: {what}"


def _date(meta: dict[str, Any], name: str, path: Path, tz: tzinfo) -> datetime | None:
    value = meta.get(name)
    if value is None:
        return None
    # A date, written bare or quoted, is text here (_FrontMatterLoader).
    if not isinstance(value, str):
        raise PostFileError(path, name, f"not a date: {value!r}")
    try:
        # The API's rule: a date every time zone can show (no overflow further on).
        return date_field(value, name, tz)
    except InvalidInputError as exc:
        raise PostFileError(path, name, exc.problem) from None


def _text(meta: dict[str, Any], name: str, path: Path) -> str | None:
    """An optional text field. A number is taken as its text (`slug: 2024`); a list, a
    mapping or true/false is refused, naming the field."""
    value = meta.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PostFileError(path, name, f"must be text, got {_yaml_type(value)}")
    return str(value)


def _yaml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return type(value).__name__


def _authors(meta: dict[str, Any], path: Path) -> tuple[Author, ...]:
    raw = meta.get("authors")
    if raw is None:
        return ()
    if isinstance(raw, (str, dict)):
        raw = [raw]
    if not isinstance(raw, list):
        raise PostFileError(path, "authors", "must be a list of names or {name, uri, email}, "
                            f"got {_yaml_type(raw)}")
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, str) and item.strip():
            out.append(Author(item))
        elif isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]:
            unknown = sorted(map(str, set(item) - {"name", "uri", "email"}))
            if unknown:
                raise PostFileError(path, f"authors[{i}].{unknown[0]}", "unknown key")
            for key in ("uri", "email"):
                if not isinstance(item.get(key), (str, type(None))):
                    raise PostFileError(path, f"authors[{i}].{key}", "must be text, got "
                                        f"{_yaml_type(item[key])}")
            out.append(Author(item["name"], item.get("uri"), item.get("email")))
        else:
            raise PostFileError(path, f"authors[{i}]", "must be a name or {name, uri, email}")
    return tuple(out)


def read_post_file(path: Path, tz: tzinfo, now: datetime) -> PostDraft:
    """A draft from a post file, or PostFileError naming the file and the field."""
    return _read(path, tz, now)[0]


def read_post_file_keys(path: Path, tz: tzinfo, now: datetime) -> tuple[PostDraft, set[str]]:
    """read_post_file, and the keys its front matter gives (what it leaves to the stored
    post: `syndic post add` of a stored page without `kind` keeps it a page)."""
    return _read(path, tz, now)


def patch_from_file(path: Path, tz: tzinfo, before: Post) -> dict[str, Any]:
    """A post file as the body of a PATCH of `before` (`syndic post edit --file`): its
    content, and each field its front matter gives (a title, labels, a date, ...); what it
    leaves out stays as it is. A status `scheduled` schedules the post at its date."""
    draft, given = _read(path, tz, before.published, need_title=False)
    if "id" in given and draft.entry_id != before.entry_id:
        raise PostFileError(path, "id", f"is the post's entry id, {before.entry_id!r}: an "
                            "edit does not change it (add the file as a new post instead)")
    body: dict[str, Any] = {"content_html": draft.content_html}
    fields = {
        "title": draft.title, "slug": draft.slug, "summary": draft.summary,
        "labels": list(draft.labels),
        "authors": [{"name": a.name, "uri": a.uri, "email": a.email} for a in draft.authors],
        "published": draft.published.isoformat(),
        "updated": draft.updated.isoformat() if draft.updated else None,
    }  # fmt: skip
    body |= {name: value for name, value in fields.items() if name in given}
    if "kind" in given:
        body["kind"] = draft.kind.value
    if "status" in given and draft.status is PostStatus.SCHEDULED:
        body["publish_at"] = body.pop("published", draft.published.isoformat())
    elif "status" in given:
        body["status"] = draft.status.value
    return body


def _read(path: Path, tz: tzinfo, now: datetime, *, need_title: bool = True
          ) -> tuple[PostDraft, set[str]]:
    """The draft a post file makes, and the keys its front matter has."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:  # the system's words, the file named once ("...: file: Is a directory")
        raise PostFileError(path, "file", exc.strerror or str(exc)) from None
    except UnicodeDecodeError as exc:
        raise PostFileError(path, "file", str(exc)) from None
    meta, body = _split(text, path)
    unknown = sorted(map(str, set(meta) - KNOWN_KEYS))  # keys may be numbers too
    if unknown:
        raise PostFileError(path, unknown[0], "unknown key")
    title = _text(meta, "title", path)
    if need_title and (title is None or not title.strip()):
        raise PostFileError(path, "title", "missing")
    labels = meta.get("labels")
    if labels is None:
        labels = []
    if isinstance(labels, (str, int)) and not isinstance(labels, bool):
        labels = [labels]
    if not isinstance(labels, list) or not all(
            isinstance(x, (str, int)) and not isinstance(x, bool) and str(x).strip()
            for x in labels):
        raise PostFileError(path, "labels", "must be a list of names")
    status_value = meta.get("status", "published")
    try:
        if not isinstance(status_value, str):
            raise ValueError(status_value)
        status = PostStatus(status_value)
        if status is PostStatus.DELETED:
            raise ValueError(status_value)
    except ValueError:
        raise PostFileError(path, "status", "must be published, draft or scheduled") from None
    kind_value = meta.get("kind", PostKind.POST.value)
    if kind_value not in (PostKind.POST.value, PostKind.PAGE.value):
        raise PostFileError(path, "kind", "must be post or page")
    html = markdown.markdown(body, extensions=["extra"]) if path.suffix == ".md" else body
    published = _date(meta, "published", path, tz) or now
    return PostDraft(
        title=title or "",
        content_html=html,
        published=published,
        updated=_date(meta, "updated", path, tz),
        slug=_text(meta, "slug", path),
        summary=_text(meta, "summary", path),
        authors=_authors(meta, path),
        labels=tuple(str(x) for x in labels),
        status=status,
        entry_id=_text(meta, "id", path),
        kind=PostKind(kind_value),
    ), set(map(str, meta))
