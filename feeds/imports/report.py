"""What an import did: counts, and every item it did not store with the reason (the
command line prints them, the API returns them, an import run keeps them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from feeds.players import link_host

DELETED_IN_SYNDIC = "deleted in syndic: an import does not bring it back"
CHANGED_IN_SYNDIC = "changed in syndic since import"
NO_IMPORT_RECORD = "no import record: syndic's version is kept"
FEEDS_OWN = ("feed", "import")
"""The posts a feed import may change: those a feed import made, and those an import made
before revision 0014 (which kind is not known; they were updated before)."""


def not_a_feeds(imported_by: str | None) -> str:
    """Why a feed import leaves a post alone that it did not make."""
    by = f"a {imported_by} import" if imported_by else "syndic (the API or the command line)"
    return f"made by {by}: a feed import does not change it"


def embeds_linked(urls: Sequence[str]) -> str:
    """The note on a post whose body lost embeds to links (feeds/content.py, Sanitized.links),
    naming their hosts."""
    hosts = ", ".join(dict.fromkeys(link_host(url) or url for url in urls))
    return (f"embedded content from {hosts} is a link now: a feed keeps the players of"
            " well-known video and audio sites only")


@dataclass(slots=True)
class ImportReport:
    posts_added: int = 0
    posts_updated: int = 0
    posts_unchanged: int = 0
    comments_added: int = 0
    comments_updated: int = 0
    comments_unchanged: int = 0
    aliases: int = 0
    items: int = 0
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    """(where, title, reason) of every item not stored."""

    notes: list[tuple[str, str, str]] = field(default_factory=list)
    """(where, title, note) of items stored with something the export did not quite say."""

    def skip(self, where: str, title: str, reason: str) -> None:
        self.skipped.append((where, title, reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "posts": {"added": self.posts_added, "updated": self.posts_updated,
                      "unchanged": self.posts_unchanged},
            "comments": {"added": self.comments_added, "updated": self.comments_updated,
                         "unchanged": self.comments_unchanged},
            "aliases": self.aliases, "items": self.items,
            "skipped": [{"where": w, "title": t, "reason": r} for w, t, r in self.skipped],
            "notes": [{"where": w, "title": t, "note": n} for w, t, n in self.notes],
        }
