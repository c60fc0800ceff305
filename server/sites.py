"""The sites this deployment serves, chosen by the request's Host; and their base URLs as
the settings and the admin's changes make them."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from config import Settings
from feeds.errors import InvalidInputError
from feeds.models import Site
from feeds.sites import following_host, host_base_url

DEFAULT_BASE_URL = ("the default site's base URL is a setting: server.public_url "
                    "(SYNDIC_SERVER__PUBLIC_URL), else http://HOST:PORT from the site's host "
                    "and server.port; set it there and restart (at every start the site "
                    "takes it from the settings)")


def checked_site_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """What the JSON schema (server/api_schemas.py) cannot say of a site's fields, checked
    for the API and `syndic site` alike: the time zone is one the tz database has, and a
    base URL's host in brackets is an IPv6 address (RFC 3986 §3.2.2: the pattern takes
    hex digits, colons and dots there, and http://[87]/ is no URL Python reads: every later
    look at it failed). The base URL loses its trailing slashes. InvalidInputError naming
    the field."""
    if "timezone" in fields:
        try:
            zoneinfo.ZoneInfo(fields["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            raise InvalidInputError("timezone", "not an IANA time zone") from None
    if "base_url" in fields:
        try:
            urlsplit(fields["base_url"])
        except ValueError:
            raise InvalidInputError("base_url", (
                "the host in brackets must be an IPv6 address (RFC 3986 §3.2.2), such as "
                f"http://[2001:db8::1]/: {fields['base_url']!r}")) from None
        fields["base_url"] = fields["base_url"].rstrip("/")
    return fields


def default_base_url(settings: Settings, host: str) -> str:
    """The default site's base URL: server.public_url, else made from its host (`host`)
    and server.port."""
    if settings.server.public_url:
        return settings.server.public_url.rstrip("/")
    return host_base_url(host, settings.server.port)


def site_changes(settings: Settings, before: Site, changes: Mapping[str, Any]
                 ) -> dict[str, Any]:
    """A PATCH's (or `syndic site set`'s) changes to `before` as they are to be stored. A
    base_url equal to the stored one is no change (a client sending back what it read);
    another one on the default site is refused (DEFAULT_BASE_URL: the next start would
    undo it). A new host takes a base URL made from the host along (feeds/sites.py)."""
    given = {k: v for k, v in changes.items() if k != "base_url" or v != before.base_url}
    if before.is_default and "base_url" in given:
        raise InvalidInputError("base_url", DEFAULT_BASE_URL)
    if before.is_default:
        # Made from the host and the *server's* port, which this process (`syndic site
        # set` in a shell without the server's settings) may not know: the port is taken
        # from the stored base URL, which the server's start set (QA: a CLI run with
        # another port froze the base URL on the old host).
        port = _port_of(before.base_url)
        return following_host(before, given, lambda host: host_base_url(host, port))
    return following_host(before, given, host_base_url)


def _port_of(url: str) -> int:
    try:
        return urlsplit(url).port or 80
    except ValueError:
        return 80


class SiteDirectory:
    def __init__(self, sites: Iterable[Site]) -> None:
        self.generation = 0
        """Bumped on every change: memos of host -> site know when to forget."""
        self.by_id: dict[int, Site] = {}
        self.on_gone: list[Callable[[int], None]] = []
        """Told the id of each site a replace() no longer lists (deleted here, by another
        process, or by another server on the database): the feed cache drops its feeds."""
        self.replace(sites)

    def replace(self, sites: Iterable[Site]) -> None:
        listed = list(sites)
        if not listed:
            raise ValueError("a deployment serves at least one site")
        gone = set(self.by_id) - {s.id for s in listed}
        self.default = listed[0]
        self.generation += 1
        self.by_id = {s.id: s for s in listed}
        self._by_host = {s.host.lower(): s for s in listed}
        for site_id in sorted(gone):
            for tell in self.on_gone:
                tell(site_id)

    def for_host(self, host: str | None) -> Site:
        """The site of a Host header (with or without port); unknown hosts get the default."""
        if not host:
            return self.default
        host = host.lower()
        if "." in host:  # the name written absolute (RFC 1034 §3.1): "blog.example." is it too
            host = host[:-1] if host.endswith(".") else host.replace(".:", ":", 1)
        found = self._by_host.get(host)
        if found is None:
            found = self._by_host.get(host.rsplit(":", 1)[0] if not host.endswith("]") else host)
        return found or self.default
