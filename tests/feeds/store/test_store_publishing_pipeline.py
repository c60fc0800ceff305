"""The Publisher's change pipeline end to end on both engines: a change marks the feeds it
touches, regeneration renders them, and only artifacts whose bytes changed are saved."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from feeds.feedset import FeedContext, standard_keys, touched_keys
from feeds.models import (
    Artifact,
    Author,
    CommentDraft,
    Fanout,
    FeedFormat,
    Post,
    PostDraft,
    PostStatus,
    Site,
)
from feeds.publishing import Publisher, Regenerated
from feeds.query import feed_key_string, parse_key_string
from feeds.render import FeedRenderer, InlineRenderer, etag_for
from feeds.render.document import FeedDoc
from feeds.store import Store
from feeds.store import schema as t
from server.clock import FakeClock

HOUR = timedelta(hours=1)
CTX = FeedContext(default_max=25, hub_url=None)
SITE_FEEDS = ["/feeds/posts/default", "/feeds/posts/full", "/feeds/posts/summary"]
COMMENTS = "/feeds/comments/default"


def render() -> InlineRenderer:
    return InlineRenderer(FeedRenderer(10**7))


def label(name: str) -> str:
    return f"/feeds/posts/default/-/{quote(name, safe='')}"


def author(slug: str) -> str:
    return f"/feeds/authors/{quote(slug, safe='')}/default"


def post_comments(post: Post) -> str:
    return f"/feeds/{post.id}/comments/default"


def keys_of(artifacts: list[Artifact]) -> set[str]:
    return {a.key for a in artifacts}


def draft_of(post: Post, **changes: object) -> PostDraft:
    fields: dict[str, object] = {
        "title": post.title,
        "content_html": post.content_html,
        "published": post.published,
        "labels": post.labels,
        "authors": post.authors,
        "status": post.status,
    }
    fields.update(changes)
    return PostDraft(**fields)  # type: ignore[arg-type]


@dataclass
class Blog:
    store: Store
    publisher: Publisher
    site: Site
    clock: FakeClock
    first: Post  # labels feeds+atom, by Zoë, one comment
    second: Post  # label feeds, by Kenji
    third: Post  # label rss, by Kenji

    @property
    def sites(self) -> dict[int, Site]:
        return {self.site.id: self.site}

    async def regenerate(self) -> Regenerated:
        return await self.publisher.regenerate_dirty(self.sites, self.clock.now())

    async def body(self, key: str, fmt: FeedFormat = FeedFormat.ATOM) -> bytes:
        bodies = await self.store.artifact_bodies(self.site.id, key, fmt)
        assert bodies is not None, key
        return bodies[0]

    async def stored(self) -> dict[tuple[str, FeedFormat], Artifact]:
        return {(a.key, a.format): a for a in await self.store.load_artifacts(with_bodies=False)}

    async def rendered_at(self) -> dict[tuple[str, str], datetime]:
        a = t.artifacts.c
        async with self.store.engine.connect() as conn:
            rows = await conn.execute(select(a.key, a.format, a.rendered_at))
            return {(r[0], r[1]): r[2] for r in rows}

    async def standard(self) -> set[str]:
        now = self.clock.now()
        keys = standard_keys(
            [lb for lb, _ in await self.store.labels(self.site.id, now)],
            [slug for slug, _, _ in await self.store.authors(self.site.id, now)],
            await self.store.commented_posts(self.site.id, now),
            CTX,
        )
        return {feed_key_string(k, CTX.default_max) for k in keys}

    async def run_due(self, since: datetime) -> None:
        """What server/jobs.py does for posts that came due since the last run."""
        now = self.clock.now()
        for post in await self.store.came_due(since, now):
            keys = sorted(touched_keys(None, post, CTX))
            await self.store.mark_dirty(post.site_id, keys, now)


@pytest.fixture
async def blog(store: Store, site: Site, clock: FakeClock) -> Blog:
    """Three posts and a comment, fully regenerated at the clock's now."""
    publisher = Publisher(store, render(), CTX, cap=500)
    now = clock.now()
    zoe, kenji = Author("Zoë Ångström"), Author("Kenji 田中")
    first = await publisher.add_post(
        site, PostDraft("First", "<p>one</p>", now - 3 * HOUR, labels=("feeds", "atom"),
                        authors=(zoe,)), now,
    )
    second = await publisher.add_post(
        site, PostDraft("Second", "<p>two</p>", now - 2 * HOUR, labels=("feeds",),
                        authors=(kenji,)), now,
    )
    third = await publisher.add_post(
        site, PostDraft("Third", "<p>three</p>", now - HOUR, labels=("rss",), authors=(kenji,)),
        now,
    )
    await publisher.add_comment(
        site, str(first.id), CommentDraft(Author("Reader"), "<p>Nice</p>", now - HOUR / 2), now, n=1
    )
    await publisher.mark_all(site, now)
    await publisher.regenerate_dirty({site.id: site}, now)
    return Blog(store, publisher, site, clock, first, second, third)


async def test_a_full_regeneration_stores_every_standard_feed_in_every_format(blog: Blog) -> None:
    expected = {
        *SITE_FEEDS, label("atom"), label("feeds"), label("rss"), author("kenji-田中"),
        author("zoe-angstrom"), COMMENTS, post_comments(blog.first),
    }
    assert await blog.standard() == expected
    stored = await blog.stored()
    assert set(stored) == {(k, f) for k in expected for f in FeedFormat}
    assert await blog.store.dirty_feeds() == {}

    site_feed = await blog.body("/feeds/posts/default")
    for post in (blog.first, blog.second, blog.third):
        assert post.entry_id.encode() in site_feed
    assert blog.first.entry_id.encode() not in await blog.body(label("rss"))
    assert b"Nice" in await blog.body(COMMENTS, FeedFormat.JSON)
    bodies = await blog.store.artifact_bodies(blog.site.id, label("feeds"), FeedFormat.RSS)
    assert bodies is not None
    body, gz, br = bodies
    assert (gz, br) == (b"", b"")  # made after, by the server (server/feed_service.py)
    compressed = await blog.publisher.render_feed(blog.site, parse_key_string(
        label("feeds"), CTX.default_max, 500), blog.clock.now(), (FeedFormat.RSS,))
    assert gzip.decompress(compressed[0].body_gzip) == body
    assert stored[(label("feeds"), FeedFormat.RSS)].etag == etag_for(body)
    # Last-Modified is when the bytes were stored, not the newest entry's date.
    assert stored[(label("feeds"), FeedFormat.RSS)].last_modified == blog.clock.now()


async def test_regenerating_with_nothing_dirty_changes_nothing(blog: Blog) -> None:
    before, rendered_before = await blog.stored(), await blog.rendered_at()
    blog.clock.advance(minutes=10)
    assert await blog.regenerate() == Regenerated(changed=[], dropped=[], rendered_keys=0)
    assert await blog.stored() == before
    assert await blog.rendered_at() == rendered_before


async def test_a_full_rerender_of_unchanged_data_saves_nothing(blog: Blog) -> None:
    """Same data, same bytes: marking everything again renders every feed, saves none."""
    before, rendered_before = await blog.stored(), await blog.rendered_at()
    blog.clock.advance(minutes=10)
    await blog.publisher.mark_all(blog.site, blog.clock.now())
    result = await blog.regenerate()
    assert result.rendered_keys == len(await blog.standard())
    assert (result.changed, result.dropped) == ([], [])
    assert await blog.rendered_at() == rendered_before
    assert await blog.stored() == before  # Last-Modified included: the bytes did not change
    assert await blog.store.dirty_feeds() == {}


async def test_after_a_restart_the_stored_etags_keep_an_unchanged_feed_from_being_saved(
    blog: Blog,
) -> None:
    restarted = Publisher(blog.store, render(), CTX, cap=500)
    restarted.remember(await blog.store.load_artifacts(with_bodies=False))
    blog.clock.advance(minutes=10)
    await restarted.mark_all(blog.site, blog.clock.now())
    result = await restarted.regenerate_dirty(blog.sites, blog.clock.now())
    assert result.changed == []
    assert result.rendered_keys == len(await blog.standard())


async def test_a_full_regeneration_reaches_every_stored_feed_not_only_the_standard_ones(
    blog: Blog,
) -> None:
    # An edit stores the post's comment feed, comments or not (feedset.touched_keys): a
    # feed no list of the site's standard feeds names.
    blog.clock.advance(hours=1)
    await blog.publisher.update_post(blog.site, blog.third,
                                     draft_of(blog.third, title="Third, edited"),
                                     blog.clock.now())
    await blog.regenerate()
    uncommented = post_comments(blog.third)
    assert uncommented in {key for key, _ in await blog.stored()}
    assert uncommented not in await blog.standard()

    # The site changes (title, language): that feed shows it too.
    changes = {"title": "Renamed Blog", "language": "fr"}
    renamed = await blog.store.update_site(blog.site.id, changes)
    await blog.publisher.mark_all(renamed, blog.clock.now())
    await blog.publisher.regenerate_dirty({renamed.id: renamed}, blog.clock.now())
    atom = await blog.body(uncommented)
    assert b"<name>Renamed Blog</name>" in atom and b'xml:lang="fr"' in atom
    assert b"<language>fr</language>" in await blog.body(uncommented, FeedFormat.RSS)
    assert b'"language":"fr"' in await blog.body(uncommented, FeedFormat.JSON)


async def test_editing_one_post_rerenders_only_the_feeds_it_touches(blog: Blog) -> None:
    before, rendered_before = await blog.stored(), await blog.rendered_at()
    blog.clock.advance(hours=1)
    edited = await blog.publisher.update_post(
        blog.site, blog.first, draft_of(blog.first, content_html="<p>one, edited</p>"),
        blog.clock.now(),
    )
    assert edited.version == 2 and edited.updated == blog.clock.now()

    result = await blog.regenerate()

    touched = {*SITE_FEEDS, label("feeds"), label("atom"), author("zoe-angstrom"), COMMENTS,
               post_comments(blog.first)}
    assert result.rendered_keys == len(touched)
    assert result.dropped == []
    # The comment feeds show the post's title and link only: same bytes, not saved again.
    assert keys_of(result.changed) == {*SITE_FEEDS, label("feeds"), label("atom"),
                                       author("zoe-angstrom")}
    assert len(result.changed) == 6 * len(FeedFormat)
    after, rendered_after = await blog.stored(), await blog.rendered_at()
    for (key, fmt), artifact in after.items():
        if key in keys_of(result.changed):
            assert artifact.etag != before[(key, fmt)].etag
            assert rendered_after[(key, fmt.value)] == blog.clock.now()
            assert artifact.last_modified == blog.clock.now()
        else:
            assert artifact == before[(key, fmt)]
            assert rendered_after[(key, fmt.value)] == rendered_before[(key, fmt.value)]
    assert b"one, edited" in await blog.body("/feeds/posts/full")
    assert b"one, edited" not in await blog.body(label("rss"))
    assert await blog.store.dirty_feeds() == {}


async def test_deleting_a_post_removes_it_and_drops_a_label_no_visible_post_has(
    blog: Blog,
) -> None:
    blog.clock.advance(hours=1)
    gone = await blog.publisher.delete_post(blog.site, blog.third, blog.clock.now())
    assert gone.status is PostStatus.DELETED

    result = await blog.regenerate()

    assert (blog.site.id, label("rss")) in result.dropped
    assert keys_of(result.changed) >= {*SITE_FEEDS, author("kenji-田中")}
    assert label("rss") not in keys_of(result.changed)
    stored = await blog.stored()
    assert not any(key == label("rss") for key, _ in stored)
    assert await blog.store.artifact_bodies(blog.site.id, label("rss"), FeedFormat.ATOM) is None
    for key in (*SITE_FEEDS, author("kenji-田中")):
        for fmt in FeedFormat:
            assert blog.third.entry_id.encode() not in await blog.body(key, fmt)
    assert blog.second.entry_id.encode() in await blog.body(author("kenji-田中"))
    assert keys_of(await blog.store.load_artifacts()) == await blog.standard()
    assert await blog.store.dirty_feeds() == {}


async def test_deleting_a_commented_post_drops_its_comment_feed_and_its_comments(
    blog: Blog,
) -> None:
    blog.clock.advance(hours=1)
    await blog.publisher.delete_post(blog.site, blog.first, blog.clock.now())

    result = await blog.regenerate()

    dropped = {key for _, key in result.dropped}
    assert dropped >= {label("atom"), author("zoe-angstrom"), post_comments(blog.first)}
    assert COMMENTS in keys_of(result.changed)
    assert b"Nice" not in await blog.body(COMMENTS)
    assert keys_of(await blog.store.load_artifacts()) == await blog.standard()
    assert label("feeds") in await blog.standard()


async def test_a_future_dated_post_shows_only_once_its_time_comes(blog: Blog) -> None:
    now = blog.clock.now()
    later = await blog.publisher.add_post(
        blog.site, PostDraft("Later", "<p>soon</p>", now + HOUR, labels=("soon",)), now
    )
    result = await blog.regenerate()
    assert (blog.site.id, label("soon")) in result.dropped
    assert later.entry_id.encode() not in await blog.body("/feeds/posts/default")

    blog.clock.advance(hours=2)
    await blog.run_due(since=now)
    await blog.regenerate()
    assert later.entry_id.encode() in await blog.body("/feeds/posts/default")
    assert later.entry_id.encode() in await blog.body(label("soon"), FeedFormat.JSON)


async def test_a_scheduled_draft_never_shows_until_due_and_then_does(blog: Blog) -> None:
    now = blog.clock.now()
    scheduled = await blog.publisher.add_post(
        blog.site,
        PostDraft("Planned", "<p>planned</p>", now + HOUR, status=PostStatus.SCHEDULED),
        now,
    )
    assert scheduled.status is PostStatus.SCHEDULED
    await blog.regenerate()
    assert scheduled.entry_id.encode() not in await blog.body("/feeds/posts/default")

    blog.clock.advance(minutes=30)  # not yet due
    await blog.run_due(since=now)
    await blog.regenerate()
    assert scheduled.entry_id.encode() not in await blog.body("/feeds/posts/default")

    blog.clock.advance(hours=1)
    await blog.run_due(since=now + HOUR / 2)
    await blog.regenerate()
    assert scheduled.entry_id.encode() in await blog.body("/feeds/posts/default")


async def test_the_site_feed_lists_newest_first(blog: Blog) -> None:
    site_feed = await blog.body("/feeds/posts/default")
    positions = [site_feed.index(p.entry_id.encode()) for p in (blog.third, blog.second,
                                                                blog.first)]
    assert positions == sorted(positions)


async def test_a_backdated_post_dates_the_feeds_it_changes_when_they_changed(blog: Blog) -> None:
    """RFC 9110 §8.8.2: Last-Modified is when the representation changed; the newest
    entry's date would stay put, and an If-Modified-Since reader would miss the post."""
    blog.clock.advance(minutes=30, microseconds=250_000)
    await blog.publisher.add_post(blog.site, PostDraft(
        "From the archive", "<p>old</p>", datetime(2020, 1, 1, tzinfo=UTC), labels=("rss",)),
        blog.clock.now())
    await blog.regenerate()
    stored = await blog.stored()
    for key in (*SITE_FEEDS, label("rss")):
        modified = stored[(key, FeedFormat.ATOM)].last_modified
        assert modified == blog.clock.now().replace(microsecond=0) and modified.tzinfo is UTC


async def test_deleting_the_newest_post_moves_last_modified_forward(blog: Blog) -> None:
    before = (await blog.stored())[("/feeds/posts/default", FeedFormat.ATOM)].last_modified
    assert before is not None
    blog.clock.advance(minutes=5)
    await blog.publisher.delete_post(blog.site, blog.third, blog.clock.now())
    await blog.regenerate()
    after = (await blog.stored())[("/feeds/posts/default", FeedFormat.ATOM)].last_modified
    assert after == blog.clock.now() and after > before


async def test_two_versions_within_one_second_are_dated_a_second_apart(blog: Blog) -> None:
    """HTTP dates have whole seconds: a reader holding the first version's date must not be
    told the second is not modified, so it is dated a second later, even past the clock (the
    server sends it as no later than its Date: tests/server/test_feed_validators.py)."""
    dates = []
    for title in ("One", "Two", "Three"):
        await blog.publisher.add_post(blog.site, PostDraft(
            title, "<p>x</p>", blog.clock.now()), blog.clock.now())
        await blog.regenerate()
        dates.append((await blog.stored())[("/feeds/posts/default", FeedFormat.ATOM)]
                     .last_modified)
    start = blog.clock.now()  # the clock did not move
    assert dates == [start + timedelta(seconds=n) for n in (1, 2, 3)]


async def test_after_a_restart_a_new_version_is_dated_after_the_stored_one(blog: Blog) -> None:
    """Even when the clock reads earlier than the stored date (it was stepped back)."""
    stored = (await blog.stored())[("/feeds/posts/default", FeedFormat.ATOM)].last_modified
    assert stored is not None
    restarted = Publisher(blog.store, render(), CTX, cap=500)
    restarted.remember(await blog.store.load_artifacts(with_bodies=False))
    blog.clock.advance(hours=-1)
    await restarted.add_post(blog.site, PostDraft("After", "<p>x</p>", blog.clock.now()),
                             blog.clock.now())
    await restarted.regenerate_dirty(blog.sites, blog.clock.now())
    after = (await blog.stored())[("/feeds/posts/default", FeedFormat.ATOM)].last_modified
    assert after == stored + timedelta(seconds=1)


async def test_moving_a_post_to_another_label_rerenders_both_and_drops_the_emptied_one(
    blog: Blog,
) -> None:
    blog.clock.advance(hours=1)
    await blog.publisher.update_post(
        blog.site, blog.third, draft_of(blog.third, labels=("feeds",)), blog.clock.now()
    )
    result = await blog.regenerate()

    assert {key for _, key in result.dropped} == {label("rss")}
    assert label("feeds") in keys_of(result.changed)
    assert blog.third.entry_id.encode() in await blog.body(label("feeds"), FeedFormat.RSS)
    stored = keys_of(await blog.store.load_artifacts())
    assert label("rss") not in stored
    assert await blog.standard() <= stored
    # (An edit also renders the post's own, empty, comment feed: not a standard key.)
    assert stored - await blog.standard() <= {post_comments(blog.third)}


async def test_a_new_comment_adds_its_posts_comment_feed_and_updates_the_counts(
    blog: Blog,
) -> None:
    before = await blog.stored()
    blog.clock.advance(hours=1)
    now = blog.clock.now()
    await blog.publisher.add_comment(
        blog.site, blog.second.slug, CommentDraft(Author("Other reader"), "<p>Agreed</p>", now), now, n=1
    )
    result = await blog.regenerate()

    assert result.dropped == []
    changed = keys_of(result.changed)
    assert {post_comments(blog.second), COMMENTS, *SITE_FEEDS, label("feeds")} <= changed
    assert post_comments(blog.second) in await blog.standard()
    assert (post_comments(blog.second), FeedFormat.ATOM) not in before
    assert b"Agreed" in await blog.body(post_comments(blog.second))
    assert b"Agreed" in await blog.body(COMMENTS)
    # The label feed the post shares with the commented first post shows both counts.
    assert (await blog.body(label("feeds"))).count(b"<thr:total>1</thr:total>") == 2
    assert label("rss") not in changed


async def test_a_run_start_reads_what_is_due_and_what_is_dirty_in_one_go(blog: Blog) -> None:
    # Runs.regeneration_start answers what the separate reads answer (server/jobs.py).
    now = blog.clock.now()
    scheduled = await blog.publisher.add_post(
        blog.site, PostDraft("Planned", "<p>p</p>", now + HOUR, status=PostStatus.SCHEDULED),
        now)
    future = await blog.publisher.add_post(
        blog.site, PostDraft("Dated later", "<p>d</p>", now + HOUR, labels=("later",)), now)
    site_keys = frozenset(SITE_FEEDS)

    start = await blog.store.regeneration_start(now, HOUR, due_since=now, only=site_keys)
    assert (start.any_due, start.came_due, start.held) == (False, [], frozenset())
    assert start.dirty == await blog.store.dirty_feeds(only=site_keys)
    assert set(start.dirty[blog.site.id][1]) <= site_keys

    blog.clock.advance(hours=2)
    later = blog.clock.now()
    start = await blog.store.regeneration_start(later, HOUR, due_since=now, besides=site_keys)
    assert start.any_due
    # Both are dated in (now, later] and were stored before their date (a scheduled post
    # shows as its time comes, whether or not publish_due has run yet).
    assert sorted(p.id for p in start.came_due) == sorted([future.id, scheduled.id])
    assert start.dirty == await blog.store.dirty_feeds(besides=site_keys)
    assert all(not set(keys) & site_keys for _, keys in start.dirty.values())
    assert label("later") in start.dirty[blog.site.id][1]
    # Without due_since (the job of the other feeds) nothing about due posts is read.
    start = await blog.store.regeneration_start(later, HOUR)
    assert (start.any_due, start.came_due) == (False, [])
    # A post "published" with a date ahead was stored as scheduled (feeds/posts.py).
    assert future.status is PostStatus.SCHEDULED
    assert sorted(p.id for p in await blog.store.publish_due(later, lambda p: ())) == sorted(
        [future.id, scheduled.id])


async def test_with_a_pause_each_feed_waits_its_turn_and_renders_the_same_bytes(
        blog: Blog) -> None:
    # The other feeds' job renders a feed at a time, letting the site feeds' run go first
    # (server/jobs.py); what it stores is what a batch rendered at once stores.
    turns: list[int] = []

    async def pause() -> None:
        turns.append(len(turns))

    before = {k: a.etag for k, a in (await blog.stored()).items()}  # rendered in batches
    # A fresh publisher knows no etags: everything it renders looks new to it.
    fresh = Publisher(blog.store, render(), CTX, cap=500)
    await fresh.mark_all(blog.site, blog.clock.now())
    keys = (await blog.store.dirty_feeds())[blog.site.id][1]
    result = await fresh.regenerate_dirty(blog.sites, blog.clock.now(), pause=pause)
    assert len(turns) == len(keys)
    assert {(a.key, a.format): a.etag for a in result.changed} == before


class _BrokenForOneLabel(InlineRenderer):
    """A renderer that fails on the documents of one label feed (a fault, injected)."""

    async def render(self, docs: list[FeedDoc]) -> list[bytes]:
        if any("/-/broken" in d.self_url for d in docs):
            raise ValueError("cannot render this one")
        return await super().render(docs)


async def test_a_feed_that_cannot_be_rendered_leaves_the_others_of_its_batch_stored(
        blog: Blog, caplog: pytest.LogCaptureFixture) -> None:
    now = blog.clock.now()
    post = await blog.publisher.add_post(
        blog.site, PostDraft("Both", "<p>b</p>", now - HOUR, labels=("broken", "fine")), now)
    publisher = Publisher(blog.store, _BrokenForOneLabel(FeedRenderer(10**7)), CTX, cap=500)
    result = await publisher.regenerate_dirty(blog.sites, now)
    assert label("fine") in keys_of(result.changed)
    assert label("broken") not in keys_of(result.changed)
    assert post.entry_id.encode() in await blog.body(label("fine"))
    assert any("could not be rendered" in r.getMessage() and "broken" in r.getMessage()
               for r in caplog.records)


async def test_a_run_says_how_many_deliveries_it_wrote_so_an_idle_outbox_is_left_asleep(
        blog: Blog) -> None:
    # server/jobs.py wakes the outbox only when a run wrote deliveries.
    now = blog.clock.now()
    quiet = Publisher(blog.store, render(), CTX, cap=500, fanout=Fanout())
    await blog.publisher.add_post(blog.site, PostDraft("Nobody listens", "<p>q</p>",
                                                       now - HOUR), now)
    result = await quiet.regenerate_dirty(blog.sites, now)
    assert result.changed and result.deliveries == 0

    pinged = Publisher(blog.store, render(), CTX, cap=500,
                       fanout=Fanout(external_hubs=("http://hub.test/",)))
    await blog.publisher.add_post(blog.site, PostDraft("A hub listens", "<p>h</p>",
                                                       now - HOUR / 2), now)
    result = await pinged.regenerate_dirty(blog.sites, now)
    assert result.deliveries == len(result.changed) > 0  # one per changed topic
