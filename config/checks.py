"""The checks of the settings' values once every source is merged (ranges, choices, URLs, the
storage URL's scheme, the time zone, the cron line, the API tokens), and the rules for a site's
host and summary length that the admin API and the command line share."""

import re
import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from config.cron import cron_problem

_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_DB_SCHEMES = ("sqlite", "postgresql", "postgresql+asyncpg")


def is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _base_url_problem(value: str) -> str | None:
    """Why `value` cannot be server.public_url (the default site's base URL); None if it
    can: an absolute http(s) URL with a host, and no user info, query, fragment, white
    space or control character (each would be copied into every link of every feed)."""
    if not is_http_url(value):
        return "must be empty or an absolute http(s) URL such as https://blog.example.com"
    parts = urlsplit(value)
    if any(c.isspace() or not c.isprintable() for c in value):
        return "must not hold white space or control characters"
    if "@" in parts.netloc:
        return "must not hold user info (user@ or user:password@)"
    if "?" in value or "#" in value:
        return "must not hold a query (?) or fragment (#): it is the base of the site's URLs"
    try:
        parts.port  # noqa: B018 (a port past 65535 or not a number raises)
    except ValueError:
        return "has a bad port"
    return None


PORT_PATTERN = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
"""A TCP port, 0-65535, for patterns."""
SITE_HOST = rf"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?(:{PORT_PATTERN})?$"
"""A site's host, with a port when not the default (blog.example.com, localhost:8080), at most
255 characters: wherever a host is set (the settings' site.host, the admin API, `syndic site
create`). Both Python's re (fullmatch) and ECMA-262 (the API's JSON schema) read it."""
SITE_HOST_MAX = 255


def is_site_host(value: str) -> bool:
    return 0 < len(value) <= SITE_HOST_MAX and re.fullmatch(SITE_HOST, value) is not None


SUMMARY_LENGTH = (20, 10000)
"""Inclusive range of a site's summary length, wherever it is set: the settings, the admin
API, the command line."""
CENTURY_MINUTES = 100 * 365 * 24 * 60
"""The longest interval a setting may give (100 years, in minutes): the clock plus a longer
one leaves the dates Python can hold (year 9999), and the job or request that adds it
fails each time instead of the start refusing the setting once."""
# Inclusive integer ranges and lower bounds; other checks are in setting_problems().
_RANGES: dict[str, tuple[int, int]] = {
    "server.port": (1, 65535), "server.workers": (1, 64), "feeds.max_results_cap": (1, 500),
    "site.summary_length": SUMMARY_LENGTH,
    "api.idempotency_hours": (1, CENTURY_MINUTES // 60),
    "websub.keep_deliveries_days": (1, CENTURY_MINUTES // (24 * 60)),
    "websub.lease_max_seconds": (60, CENTURY_MINUTES * 60),
}
_MINIMUMS = {"feeds.cache_max_age": 0, "feeds.variant_cache_entries": 0,
             "feeds.memory_budget_mb": 1, "feeds.fragment_cache_mb": 1,
             "api.max_body_bytes": 1024, "api.bulk_max_items": 1, "api.bulk_batch_size": 1,
             "api.page_size": 1,
             "websub.lease_min_seconds": 60, "websub.max_pending_verifications": 1,
             "websub.max_subscriptions_per_host": 1, "websub.delivery_concurrency": 1,
             "websub.max_attempts": 1}
_CHOICES = {"site.default_feed": ("full", "summary"), "logging.level": _LEVELS,
            "websub.signature_method": ("sha1", "sha256", "sha384", "sha512")}


def setting_problems(get: Callable[[str], Any]) -> list[tuple[str, str]]:
    """Range and format checks; returns (key, problem) pairs."""
    found: list[tuple[str, str]] = []
    for name, (low, high) in _RANGES.items():
        if not low <= get(name) <= high:
            found.append((name, f"must be between {low} and {high}, got {get(name)}"))
    for name, low in _MINIMUMS.items():
        if get(name) < low:
            found.append((name, f"must be at least {low}, got {get(name)}"))
    for name, choices in _CHOICES.items():
        if get(name) not in choices:
            found.append((name, f"must be one of {', '.join(choices)}, got {get(name)!r}"))
    if get("server.public_url") and (why := _base_url_problem(get("server.public_url"))):
        found.append(("server.public_url", f"{why}, got {get('server.public_url')!r}"))
    if get("websub.hub_url") and not is_http_url(get("websub.hub_url")):
        found.append(("websub.hub_url",
                      f"must be empty or an http(s) URL, got {get('websub.hub_url')!r}"))
    if not is_site_host(get("site.host")):
        found.append(("site.host", "must be a host name, with a port (0-65535) when not the "
                      f"default: blog.example.com, localhost:8080; got {get('site.host')!r}"))
    cap, default = get("feeds.max_results_cap"), get("feeds.default_max_results")
    if not 1 <= default <= cap:
        found.append(("feeds.default_max_results",
                      f"must be between 1 and feeds.max_results_cap ({cap}), got {default}"))
    if not 0 < get("feeds.change_poll_seconds") <= 60:
        found.append(("feeds.change_poll_seconds", "must be greater than 0 and at most 60, "
                      f"got {get('feeds.change_poll_seconds')}"))
    for gap in ("feeds.site_feeds_gap_seconds", "feeds.other_feeds_gap_seconds"):
        if not 0 <= get(gap) <= 60:
            found.append((gap, f"must be between 0 and 60, got {get(gap)}"))
    if not 0 <= get("feeds.compress_after_seconds") <= 600:
        found.append(("feeds.compress_after_seconds", "must be between 0 and 600, "
                      f"got {get('feeds.compress_after_seconds')}"))
    if not 0 <= get("feeds.startup_render_seconds") <= 3600:
        found.append(("feeds.startup_render_seconds", "must be between 0 and 3600, "
                      f"got {get('feeds.startup_render_seconds')}"))
    # Never echo the URL itself: it may hold a password.
    scheme, sep, _ = get("storage.url").partition("://")
    if not sep:
        found.append(("storage.url", "must be a database URL such as sqlite:///syndic.db"))
    elif scheme.lower() not in _DB_SCHEMES:
        found.append(("storage.url",
                      f"scheme must be one of {', '.join(_DB_SCHEMES)}, got {scheme!r}"))
    try:
        zoneinfo.ZoneInfo(get("site.timezone"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        found.append(("site.timezone", f"unknown IANA time zone {get('site.timezone')!r}"))
    low, default, high = (get(f"websub.lease_{k}_seconds") for k in ("min", "default", "max"))
    if not low <= default <= high:
        found.append(("websub.lease_default_seconds", "must be between websub."
                      f"lease_min_seconds ({low}) and websub.lease_max_seconds ({high})"))
    for name in ("websub.delivery_timeout_seconds", "websub.retry_base_seconds",
                 "websub.retry_max_seconds", "scheduler.outbox_poll_seconds"):
        if not 0 < get(name) <= 86400:
            found.append((name, f"must be greater than 0, got {get(name)}"))
    for name in ("websub.external_hubs", "pings.services"):
        for i, url in enumerate(get(name)):
            if not is_http_url(url):
                found.append((f"{name}[{i}]", f"must be an http(s) URL, got {url!r}"))
    cron = get("scheduler.full_regeneration")
    if cron.strip() and (problem := cron_problem(cron)):
        found.append(("scheduler.full_regeneration", problem))
    for i, token in enumerate(get("api.tokens")):
        if len(token) < 16:
            found.append((f"api.tokens[{i}]", "must be at least 16 characters"))
    return found
