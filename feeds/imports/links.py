"""Links as exports write them, read without failing on one Python's URL parser refuses.

urllib.parse raises ValueError for a host in brackets that is no IPv6 address
(`http://[87]/`, RFC 3986 §3.2.2) and for an unclosed bracket (`http://[::1/`). A link is
not what an item is about: such a one gives no path (no slug, no old URL to redirect) and
is not made absolute, and the item is imported (a ValueError made the whole post a skip, or
a 500)."""

from __future__ import annotations

from urllib.parse import SplitResult, urljoin, urlsplit

_NOTHING = urlsplit("")


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
