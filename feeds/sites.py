"""Where a site's links lead. Its base URL is the root of every absolute URL in its feeds
(rel=self, rel=alternate, entry links, the hub): made from its host until one is set, it
moves with the host, and it never names another site's host, whose requests that site
answers (a reader following rel=self there would switch blogs). Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from feeds.errors import InvalidInputError
from feeds.models import Site


def host_base_url(host: str, port: int = 80) -> str:
    """The base URL made from a host: http, and the port unless it is 80."""
    return f"http://{host}" + ("" if port == 80 else f":{port}")


def following_host(before: Site, changes: Mapping[str, Any],
                   base_for: Callable[[str], str]) -> dict[str, Any]:
    """`changes` to `before` as they are to be stored: a new host takes the base URL along
    while the base URL is the one made from the host (`base_for`), and no base URL is
    given with it. A base URL set otherwise (https://blog.example.com behind a proxy)
    stays."""
    out = dict(changes)
    if ("host" in out and "base_url" not in out
            and before.base_url.lower() == base_for(before.host).lower()):
        out["base_url"] = base_for(out["host"])
    return out


def _answers(url: str, host: str) -> bool:
    """Whether requests to `url` reach the site with this host (server/sites.py for_host:
    the Host header as sent, or without its port)."""
    netloc = urlsplit(url).netloc.rpartition("@")[2].lower()
    host = host.lower()
    return netloc == host or (not netloc.endswith("]") and netloc.rsplit(":", 1)[0] == host)


def base_url_clash(site_id: int | None, host: str, base_url: str,
                   sites: Iterable[Site]) -> InvalidInputError | None:
    """Why a site with this host and base URL (id None: a new one) cannot be stored beside
    `sites`: its base URL is on another site's host, or another site's base URL is on its
    host. None when neither."""
    for other in sites:
        if other.id == site_id:
            continue
        if _answers(other.base_url, host):
            return InvalidInputError(
                "host", f"the feeds of site {other.id} link to {host} (its base_url is "
                f"{other.base_url}): change that first")
        if _answers(base_url, other.host):
            return InvalidInputError(
                "base_url", f"{base_url} is on the host of site {other.id} ({other.host}): "
                "its feeds would send readers to that site")
    return None
