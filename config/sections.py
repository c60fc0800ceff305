"""The settings' sections, as frozen dataclasses: one per table of default.toml (which
documents every key), and `Settings`, all of them."""

# No `from __future__ import annotations`: config/__init__.py reads the fields' types.
from dataclasses import dataclass

# A list setting: an array of strings in TOML, comma-separated in the environment.
StrList = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str
    port: int
    fast_path: bool
    workers: int
    access_log: bool
    public_url: str


@dataclass(frozen=True, slots=True)
class StorageSettings:
    url: str
    echo: bool


@dataclass(frozen=True, slots=True)
class FeedSettings:
    default_max_results: int
    max_results_cap: int
    cache_max_age: int
    variant_cache_entries: int
    memory_budget_mb: int
    fragment_cache_mb: int
    change_poll_seconds: float
    site_feeds_gap_seconds: float
    other_feeds_gap_seconds: float
    compress_after_seconds: float
    startup_render_seconds: float


@dataclass(frozen=True, slots=True)
class SiteSettings:
    host: str
    title: str
    subtitle: str
    timezone: str
    language: str
    default_feed: str
    summary_length: int


@dataclass(frozen=True, slots=True)
class WebSubSettings:
    hub_url: str
    own_hub: bool
    lease_default_seconds: int
    lease_min_seconds: int
    lease_max_seconds: int
    signature_method: str
    allow_private_callbacks: bool
    max_pending_verifications: int
    max_subscriptions_per_host: int
    external_hubs: StrList
    delivery_concurrency: int
    delivery_timeout_seconds: float
    max_attempts: int
    retry_base_seconds: float
    retry_max_seconds: float
    keep_deliveries_days: int


@dataclass(frozen=True, slots=True)
class PingSettings:
    services: StrList


@dataclass(frozen=True, slots=True)
class SchedulerSettings:
    full_regeneration: str
    outbox_poll_seconds: float


@dataclass(frozen=True, slots=True)
class ApiSettings:
    tokens: StrList
    max_body_bytes: int
    bulk_max_items: int
    bulk_batch_size: int
    page_size: int
    idempotency_hours: int
    import_fetch_private: bool


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    level: str


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """One `[[sources]]` table: content imported on an interval (syndication in)."""

    name: str
    feed: str = ""
    """An RSS, Atom or JSON Feed URL (polled with conditional GET)."""
    folder: str = ""
    """A folder of Markdown/HTML files with front matter (server/frontmatter.py)."""
    every_minutes: int = 60
    site: str = ""
    """The site's host; empty: the default site."""


SOURCE_KEYS = {"name": str, "feed": str, "folder": str, "every_minutes": int, "site": str}


@dataclass(frozen=True, slots=True)
class Settings:
    server: ServerSettings
    storage: StorageSettings
    feeds: FeedSettings
    site: SiteSettings
    websub: WebSubSettings
    pings: PingSettings
    scheduler: SchedulerSettings
    api: ApiSettings
    logging: LoggingSettings
    sources: tuple[SourceSettings, ...] = ()
