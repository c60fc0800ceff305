"""Passwords in URLs masked wherever settings or errors are shown or logged (`syndic
config`, one-line errors, log lines): postgresql://postgres:***@db/syndic, and the query's
form, which SQLAlchemy, asyncpg and libpq take too: postgresql://db/syndic?password=***
(and asyncpg's sslpassword=, the key of a client certificate)."""

from __future__ import annotations

import re

# A URL's user info with a password: "scheme://user:" kept, the password up to the last "@"
# masked (SQLAlchemy reads a password up to the first "@", urllib to the netloc's last: the
# mask covers both, and may hide more than the password of an odd URL, never less).
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@'\"]*):[^\s'\"]*@")
_VALUE_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/?#@]*):.*@", re.DOTALL)
# A password in a URL's query: "password=" or "sslpassword=" after "?", "&" or ";", up to
# the next parameter or the fragment. The key's case is not significant to asyncpg's parser.
_QUERY_PASSWORD = re.compile(r"([?&;](?:ssl)?password=)[^&;#\s'\"]*", re.IGNORECASE)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"]*")
MASK = "***"


def _mask_query(url: str) -> str:
    return _QUERY_PASSWORD.sub(rf"\1{MASK}", url)


def redact_url(value: str) -> str:
    """A setting's value with the password of a URL in it masked:
    postgresql://postgres:***@127.0.0.1:5432/x, postgresql://db/x?password=***. Anything
    else unchanged."""
    value = _VALUE_PASSWORD.sub(rf"\1:{MASK}@", value, count=1)
    return _mask_query(value) if "://" in value else value


def redact_urls_in(text: str) -> str:
    """Free text (an error message, a log line) with the password of every URL in it
    masked; URLs end at white space or a quote."""
    text = _URL_PASSWORD.sub(rf"\1:{MASK}@", text)
    return _URL.sub(lambda url: _masked_in_text(url.group()), text)


def _masked_in_text(url: str) -> str:
    # Punctuation that ends the sentence ("cannot connect to URL: refused") stays: it is
    # the message's, and at most its last character was the password's.
    body = url.rstrip(":,.;)")
    return _mask_query(body) + url[len(body):]
