"""Which author of a site a post's author is, and the slug of that author's feed. Pure: the
store (feeds/store/authors.py) and revision 0012 keep the authors and ask this.

Two authors are one when their names are the same but for case and Unicode form ("Zoë" typed
either way), and nothing they both give differs: a `uri`, an `email` (without case) or an
import's `account` (a WordPress login). So "José Núñez" and "Jose Nunez", or "A. Smith" and
"A Smith", are two authors although their names make one slug, and so are two "Sam Lee"
whose addresses differ; a "Sam Lee" with no address is the one Sam Lee met first (one who
shares an address with it first).

Each author of a site has its own slug, given once and never moved: the first author a
name's slug is asked for gets it plain (`jose-nunez`), later ones the first free `-2`, `-3`
(`jose-nunez-2`). An author keeps their slug when their posts are deleted, so a slug once
given out never leads to another author's posts.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from feeds.models import Author

IDENTIFIERS = ("uri", "email", "account")
"""What tells two authors of one name apart, when both give it."""


@dataclass(frozen=True, slots=True)
class KnownAuthor:
    """An author of a site, as the store keeps them."""

    id: int
    """Older authors have lower ids: the first met wins a tie."""
    slug: str
    name: str
    uri: str | None = None
    email: str | None = None
    account: str | None = None


def name_key(name: str) -> str:
    """What two names of one author share: the name without case, in Unicode's NFC form."""
    return unicodedata.normalize("NFC", name).casefold()


def _given(author: Author | KnownAuthor, field: str) -> str | None:
    value: str | None = getattr(author, field)
    return value.casefold() if value and field == "email" else value or None


def differs(known: KnownAuthor, author: Author) -> bool:
    """Whether something both give tells them apart."""
    return any((a := _given(known, f)) and (b := _given(author, f)) and a != b
               for f in IDENTIFIERS)


def shares(known: KnownAuthor, author: Author) -> bool:
    return any((a := _given(known, f)) and a == _given(author, f) for f in IDENTIFIERS)


def choose(known: Iterable[KnownAuthor], author: Author) -> KnownAuthor | None:
    """The known author `author` is (None: a new one): of those with the same name whom
    nothing tells apart from it, one sharing an identifier with it, else the oldest."""
    key = name_key(author.name)
    same = sorted((k for k in known if name_key(k.name) == key and not differs(k, author)),
                  key=lambda k: (not shares(k, author), k.id))
    return same[0] if same else None


def filled(known: KnownAuthor, author: Author) -> dict[str, str]:
    """The identifiers `author` gives that `known` lacks: kept from now on, so that an
    author of that name giving another one is told apart."""
    return {f: value for f in IDENTIFIERS
            if getattr(known, f) is None and (value := getattr(author, f))}


def slugs_for(base: str) -> Iterator[str]:
    """The slugs a new author whose name makes `base` may get, in the order they are given."""
    yield base
    n = 2
    while True:
        yield f"{base}-{n}"
        n += 1
