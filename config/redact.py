"""Passwords in URLs masked wherever settings or errors are shown or logged (`syndic
config`, one-line errors, log lines): postgresql://postgres:***@db/syndic."""

from __future__ import annotations

import re

# A URL's user info with a password: "scheme://user:" kept, the password up to the last "@"
# masked (SQLAlchemy reads a password up to the first "@", urllib to the netloc's last: the
# mask covers both, and may hide more than the password of an odd URL, never less).
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@'\"]*):[^\s'\"]*@")
_VALUE_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/?#@]*):.*@", re.DOTALL)
MASK = "***"


def redact_url(value: str) -> str:
    """A setting's value with the password of a URL in it masked:
    postgresql://postgres:***@127.0.0.1:5432/x. Anything else unchanged."""
    return _VALUE_PASSWORD.sub(rf"\1:{MASK}@", value, count=1)


def redact_urls_in(text: str) -> str:
    """Free text (an error message, a log line) with the password of every URL in it
    masked; URLs end at white space or a quote."""
    return _URL_PASSWORD.sub(rf"\1:{MASK}@", text)
