"""Where a label feed goes when its label is renamed or merged: the same feed (projection,
format, query, the other labels of an AND feed) of the new name, as a key and as the URL a
subscriber named it by. Pure string work on the canonical key (feeds/query.py feed_path:
each label a percent-encoded segment after "/-/") and on the subscriber's URL, which the
feed handler's 301 rewrites the same way (server/handlers/feeds.py)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, unquote

from feeds.posts import label_name

_LABELS = "/-/"


def label_segments(path: str) -> tuple[str, tuple[str, ...], str] | None:
    """A label feed's key or URL as (what comes before "/-/", its labels decoded, the
    query with its "?"); None for anything else."""
    head, sep, rest = path.partition(_LABELS)
    if not sep:
        return None
    segments, mark, query = rest.partition("?")
    labels = tuple(unquote(seg) for seg in segments.split("/"))
    if not all(labels):
        return None
    return head, labels, mark + query


def with_labels(path: str, labels: tuple[str, ...]) -> str | None:
    """`path` (a label feed's key or URL) naming `labels` instead; None if it is none."""
    parts = label_segments(path)
    if parts is None:
        return None
    head, _, query = parts
    return head + _LABELS + "/".join(quote(lb, safe="") for lb in labels) + query


def is_label(written: str, stored: str) -> bool:
    """Whether a label as a URL spelled it is the stored label (labels are NFC; one stored
    before they were normalised keeps its spelling)."""
    return written == stored or label_name(written) == stored


def relabelled(labels: tuple[str, ...], old: str, new: str) -> tuple[str, ...] | None:
    """The labels of a feed once `old` is renamed (or merged) into `new`; None when `old`
    is not among them. A label named twice (an AND feed of OLD and NEW) is named once: the
    posts with both are those with NEW."""
    if not any(is_label(lb, old) for lb in labels):
        return None
    return tuple(dict.fromkeys(new if is_label(lb, old) else lb for lb in labels))


def followed(labels: tuple[str, ...], targets: Mapping[str, str]) -> tuple[str, ...]:
    """The labels a feed URL names, each as it is now: in its composed form (NFC), then
    renamed or merged per `targets` (the site's "label:NAME" aliases, by composed name);
    a label named twice is named once."""
    return tuple(dict.fromkeys(targets.get(label_name(lb), label_name(lb)) for lb in labels))
