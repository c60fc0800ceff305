"""Links as exports write them, read without failing on one Python's URL parser refuses.

urllib.parse raises ValueError for a host in brackets that is no IPv6 address
(`http://[87]/`, RFC 3986 §3.2.2) and for an unclosed bracket (`http://[::1/`). A link is
not what an item is about: such a one gives no path (no slug, no old URL to redirect) and
is not made absolute, and the item is imported (a ValueError made the whole post a skip, or
a 500)."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import SplitResult, urljoin, urlsplit

from feeds.imports.items import ImportedComment, ImportedPost
from feeds.models import Author

_NOTHING = urlsplit("")
# The API's rule for an author's uri (server/api_schemas.py HTTP_URL: "^https?://" and no
# space), the scheme in any case (RFC 3986 §3.1).
_WEB_ADDRESS = re.compile(r"https?://\S+", re.IGNORECASE)


def split(url: str) -> SplitResult:
    """urlsplit(url), or an empty URL when it cannot be read."""
    try:
        return urlsplit(url)
    except ValueError:
        return _NOTHING


def joined(base_url: str, url: str) -> str:
    """`url` made absolute against `base_url`; as it is written when either cannot be read
    (the post's sanitizer then drops such a link in a body; an id is only compared)."""
    try:
        return urljoin(base_url, url)
    except ValueError:
        return url


def web_authors(authors: tuple[Author, ...]) -> tuple[tuple[Author, ...], list[str]]:
    """`authors` holding to the API's rule for their uri, and a note for each uri left out.
    A reader makes a link of an author's address (Atom's <uri>, JSON Feed's url, a comment's
    name): a javascript: or data: one there runs in every reader that follows it, and the
    API refuses it (400 author.uri). An export's does not pass either."""
    notes: list[str] = []
    out = []
    for author in authors:
        uri = (author.uri or "").strip()
        if uri and not _WEB_ADDRESS.fullmatch(uri):
            notes.append(f"{author.name}'s address {uri[:200]!r} left out: not an absolute"
                         " http(s) URL")
            author = replace(author, uri=None)
        out.append(author)
    return tuple(out), notes


def web_addresses(post: ImportedPost, notes: list[tuple[str, str, str]]) -> ImportedPost:
    """The post with its authors' addresses as the API takes them (`web_authors`), a note
    (where, title, note) in `notes` for each left out."""
    authors, left_out = web_authors(post.authors)
    notes += [(post.where, post.title, n) for n in left_out]
    return replace(post, authors=authors) if left_out else post


def web_address(comment: ImportedComment, notes: list[tuple[str, str, str]]) -> ImportedComment:
    """`web_addresses` for a comment's author."""
    authors, left_out = web_authors((comment.author,))
    notes += [(comment.where, "", f"comment: {n}") for n in left_out]
    return replace(comment, author=authors[0]) if left_out else comment
