"""One schema for SQLite and PostgreSQL (SQLAlchemy Core). Alembic migrations in
migrations/ create it; tests/feeds/store checks the two agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# SQLite has no big-integer autoincrement: use INTEGER there (it is 64-bit anyway).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on both engines (SQLite keeps naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

sites = Table(
    "sites",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host", String(255), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("subtitle", Text, nullable=False, default=""),
    Column("base_url", Text, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("language", String(35), nullable=False),
    Column("default_feed", String(16), nullable=False),
    Column("summary_length", Integer, nullable=False),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("created", UTCDateTime, nullable=False),
    # After a WordPress import: answer WordPress's feed URLs with 301s (server/handlers/legacy).
    Column("wordpress_urls", Boolean, nullable=False, default=False, server_default="0"),
    # Ids are never given twice (SQLite: AUTOINCREMENT, revision 0007; PostgreSQL's
    # sequences never do): a site, post or comment made after one was deleted must not
    # answer at its URLs (/feeds/POSTID/comments/default, #comment-ID) or under its id.
    sqlite_autoincrement=True,
)

posts = Table(
    "posts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("entry_id", Text, nullable=False),
    Column("slug", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("content_html", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("published", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Column("authors_json", Text, nullable=False, default="[]"),
    Column("enclosures_json", Text, nullable=False, default="[]"),
    Column("thumbnail", Text, nullable=True),
    Column("version", Integer, nullable=False, default=1),
    Column("created", UTCDateTime, nullable=False),
    # What an import last wrote (feeds/store/imports.py post_digest): a post whose fields
    # no longer match was changed in syndic since, and a re-import leaves it alone. NULL: no
    # import wrote it (made in syndic, or imported before revision 0005).
    Column("import_digest", String(64), nullable=True),
    # 'post' or 'page' (models.PostKind): pages are in no posts feed, only the pages feed
    # (revision 0013; the rows before it are posts).
    Column("kind", String(8), nullable=False, server_default="post"),
    # The kind of import that made the post (feed, wordpress, blogger, folder, api; 'import'
    # for one made before revision 0014, kind unknown). NULL: made in syndic (the API, the
    # command line) or imported before revision 0005. A feed import changes only the posts
    # a feed import made (feeds/imports/apply.py; docs/design-notes.md).
    Column("imported_by", String(16), nullable=True),
    UniqueConstraint("site_id", "entry_id", name="uq_posts_site_entry"),
    UniqueConstraint("site_id", "slug", name="uq_posts_site_slug"),
    sqlite_autoincrement=True,  # as sites
)
Index("ix_posts_site_status_published", posts.c.site_id, posts.c.status, posts.c.published)
Index("ix_posts_status_published", posts.c.status, posts.c.published)

post_labels = Table(
    "post_labels",
    metadata,
    Column("post_id", BigId, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("label", Text, primary_key=True),
    Column("position", Integer, nullable=False),
)
Index("ix_post_labels_label", post_labels.c.label)

post_authors = Table(
    "post_authors",
    metadata,
    Column("post_id", BigId, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("slug", Text, nullable=False),
    Column("name", Text, nullable=False),
)
Index("ix_post_authors_slug", post_authors.c.slug)

# The authors of each site (feeds/authors.py): who a post's author is, and the slug of their
# feed, given once and never moved (post_authors.slug is it). A row is never deleted but
# with its site: a slug once given out never leads to another author's posts. `name` is the
# name as first met, `name_key` what names of one author share (feeds.authors.name_key).
authors = Table(
    "authors",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("slug", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("name_key", Text, nullable=False),
    Column("uri", Text, nullable=True),
    Column("email", Text, nullable=True),
    Column("account", Text, nullable=True),
    UniqueConstraint("site_id", "slug", name="uq_authors_site_slug"),
)
Index("ix_authors_site_name", authors.c.site_id, authors.c.name_key)

comments = Table(
    "comments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("post_id", BigId, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("entry_id", Text, nullable=False),
    Column("author_name", Text, nullable=False),
    Column("author_uri", Text, nullable=True),
    Column("author_email", Text, nullable=True),
    Column("content_html", Text, nullable=False),
    Column("status", String(16), nullable=False, default="approved"),
    Column("published", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    # The comment this one answers; no foreign key (added by ALTER TABLE on SQLite): a
    # deleted comment's replies are re-parented by the store.
    Column("parent_id", BigId, nullable=True),
    # As posts.import_digest (comment_digest): a comment moderated or edited in syndic since
    # its import keeps syndic's version.
    Column("import_digest", String(64), nullable=True),
    UniqueConstraint("site_id", "entry_id", name="uq_comments_site_entry"),
    sqlite_autoincrement=True,  # as sites
)
Index("ix_comments_post", comments.c.post_id, comments.c.status)

# Entry ids of comments deleted in syndic: the row is gone (feeds and counts need no
# filter), the tombstone stays, so a re-import of the blog's export does not bring it back.
comment_tombstones = Table(
    "comment_tombstones",
    metadata,
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("entry_id", Text, primary_key=True),
    Column("deleted_at", UTCDateTime, nullable=False),
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("key", Text, primary_key=True),
    Column("format", String(8), primary_key=True),
    Column("body", LargeBinary, nullable=False),
    Column("body_gzip", LargeBinary, nullable=False),
    Column("body_br", LargeBinary, nullable=False),
    Column("etag", String(80), nullable=False),
    Column("last_modified", UTCDateTime, nullable=True),
    Column("content_type", String(80), nullable=False),
    Column("self_url", Text, nullable=False),
    Column("rendered_at", UTCDateTime, nullable=False),
    # The fingerprint of the settings that shaped the bytes (feeds/versions.py
    # settings_fingerprint; revision 0010): a server started with other ones renders the
    # feed again (server/made_with.py). NULL: not recorded.
    Column("made_with", String(32), nullable=True),
)

# Feeds a change touched, waiting for the regeneration job. Written in the same transaction
# as the change, by whichever process made it: the server notices other processes' changes
# by looking here (level-triggered: a row is deleted only after its feed is stored).
dirty_feeds = Table(
    "dirty_feeds",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("key", Text, nullable=False),
    Column("marked_at", UTCDateTime, nullable=False),
)

# Every feed a regeneration stored, dropped or rendered again, in the order those
# transactions committed: how a server learns of versions another server stored
# (server/stored_changes.py). The id is not a sequence's: each saving transaction takes
# max(id) + 1 under a lock held to its commit (SQLite's one writer; LOCK TABLE on
# PostgreSQL), so ids commit in increasing order without gaps, and a reader that has seen
# id N has seen every change before it. No foreign key: deleting a site must not leave a
# gap. Old rows are pruned from the lowest id up, the newest always kept.
feed_changes = Table(
    "feed_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=False),
    Column("site_id", Integer, nullable=False),
    Column("key", Text, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)

# API tokens made with `syndic token create`: only the SHA-256 of the token is kept.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created", UTCDateTime, nullable=False),
)

# A client's Idempotency-Key on a create, written in the create's own transaction: a retry
# finds it and gets the same resource back instead of a second one.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("scope", String(64), nullable=False),
    Column("key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("resource", String(16), nullable=False),
    Column("resource_id", BigInteger, nullable=True),
    Column("response", Text, nullable=True),
    Column("created", UTCDateTime, nullable=False),
    UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),
)

# Imports and bulk creates under way: while one holds a site (heartbeat recent), the
# regeneration job leaves the site's dirty feeds alone, so each feed renders once at the end.
import_runs = Table(
    "import_runs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("source", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("started", UTCDateTime, nullable=False),
    Column("heartbeat", UTCDateTime, nullable=False),
    Column("finished", UTCDateTime, nullable=True),
    Column("report_json", Text, nullable=False, default="{}"),
)
Index("ix_import_runs_site_state", import_runs.c.site_id, import_runs.c.state)

# Old URLs of imported blogs (WordPress category, tag and author slugs, post paths, ?p= and
# ?cat= ids) and the syndic path each one now is.
url_aliases = Table(
    "url_aliases",
    metadata,
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("path", Text, primary_key=True),
    Column("target", Text, nullable=False),
)

# -- WebSub hub and the outbox (feeds/store/outbox.py) ---------------------------------------

# Verified subscriptions. A topic is one feed in one format of one site (feed_key, format);
# `topic` keeps the URL exactly as the subscriber gave it (deliveries name it).
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("topic", Text, nullable=False),
    Column("feed_key", Text, nullable=False),
    Column("format", String(8), nullable=False),
    Column("callback", Text, nullable=False),
    Column("callback_host", String(255), nullable=False),
    Column("secret", Text, nullable=True),
    Column("lease_seconds", Integer, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("verified_at", UTCDateTime, nullable=False),
    UniqueConstraint("callback", "topic", name="uq_subscriptions_callback_topic"),
)
Index("ix_subscriptions_topic", subscriptions.c.site_id, subscriptions.c.feed_key,
      subscriptions.c.format)
Index("ix_subscriptions_host", subscriptions.c.callback_host)

# Subscription requests waiting for verification of intent (WebSub §5.3), denials to send
# (§5.2), and label moves: a subscription whose label was renamed, asked to take the new
# label feed's URL (mode "move", `moved_from` the URL it is named by; label_moves.py). A
# request replaces a subscription only once verified.
intents = Table(
    "intents",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("topic", Text, nullable=False),
    Column("feed_key", Text, nullable=False),
    Column("format", String(8), nullable=False),
    Column("callback", Text, nullable=False),
    Column("callback_host", String(255), nullable=False),
    Column("secret", Text, nullable=True),
    Column("lease_seconds", Integer, nullable=False),
    Column("reason", Text, nullable=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_until", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created", UTCDateTime, nullable=False),
    Column("moved_from", Text, nullable=True),  # revision 0011
)
Index("ix_intents_due", intents.c.state, intents.c.next_attempt_at)

# The outbox: one row per notification to send (a WebSub delivery, an external hub's publish
# ping, a weblogUpdates ping), written in the same transaction as the artifact that caused
# it. The body is the topic's latest artifact at send time: a retry sends the newest version.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("feed_key", Text, nullable=False),
    Column("format", String(8), nullable=False),
    Column("subscription_id", BigInteger, nullable=True),
    Column("target", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("etag", String(80), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_until", UTCDateTime, nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
)
Index("ix_deliveries_due", deliveries.c.state, deliveries.c.next_attempt_at)
Index("ix_deliveries_subscription", deliveries.c.subscription_id, deliveries.c.state)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", BigId, ForeignKey("deliveries.id", ondelete="CASCADE"),
           nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("status", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
)
Index("ix_delivery_attempts_delivery", delivery_attempts.c.delivery_id)

# Scheduled content sources (settings' [[sources]]): what a feed source answered last
# (ETag, Last-Modified, for conditional GET) and when it was last checked.
source_state = Table(
    "source_state",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("etag", Text, nullable=True),
    Column("last_modified", Text, nullable=True),
    Column("checked_at", UTCDateTime, nullable=True),
    Column("next_check_at", UTCDateTime, nullable=False),
    Column("last_error", Text, nullable=True),
)

# Facts about the store as a whole, one row each by name (server/made_with.py):
# "started_with", the settings that shape feed bytes of the server started last (JSON), and
# "settings:FINGERPRINT", each such set of settings a server started with (JSON), by the
# fingerprint its artifacts record (artifacts.made_with).
store_values = Table(
    "store_values",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
