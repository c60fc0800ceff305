"""Comments through the API: added (author as a name or an object, content sanitized),
moderated (only approved comments show in the comment feeds and in the post's counts),
threaded, listed (the moderation queue) and deleted."""

from __future__ import annotations

from typing import Any

from lxml import etree

from tests.server.api_conftest import ATOM, THR, Api, entries, until

SLASH = "{http://purl.org/rss/1.0/modules/slash/}"


async def comment(api: Api, post_id: int, **fields: Any) -> dict[str, Any]:
    body = {"author": "Bob", "content_html": "<p>Nice post.</p>", **fields}
    reply = await api.post(f"/api/posts/{post_id}/comments", body, expect=201)
    assert reply.headers["Location"] == f"/api/comments/{reply.json['id']}"
    return reply.json  # type: ignore[no-any-return]


async def counts(api: Api, post_title: str) -> tuple[str | None, str | None]:
    """thr:total of the post's Atom entry and slash:comments of its RSS item."""
    atom = (await api.feed()).text
    total = next((e.findtext(f"{THR}total") for e in entries(atom)
                  if e.findtext(f"{ATOM}title") == post_title), None)
    rss = etree.fromstring((await api.feed("/feeds/posts/default?alt=rss")).text.encode())
    slash = next((i.findtext(f"{SLASH}comments") for i in rss.iter("item")
                  if i.findtext("title") == post_title), None)
    return total, slash


async def test_only_approved_comments_show_in_feeds_and_counts(api: Api) -> None:
    post = await api.create_post(title="Commented")
    other = await api.create_post(title="Quiet")
    approved = await comment(api, post["id"], author="Bob",
                             content_html="<p>Hello<script>alert(1)</script></p>")
    assert approved["status"] == "approved" and approved["post_id"] == post["id"]
    assert approved["author"] == {"name": "Bob", "uri": None, "email": None}
    assert "<script>" not in approved["content_html"] and "Hello" in approved["content_html"]
    assert approved["parent_id"] is None and approved["published"] == "2026-11-24T12:00:00Z"
    pending = await comment(api, post["id"], status="pending", content_html="<p>Wait.</p>",
                            author={"name": "Carol", "uri": "http://carol.test/",
                                    "email": "carol@example.com"})
    assert pending["author"]["uri"] == "http://carol.test/"
    await comment(api, post["id"], status="spam", content_html="<p>Buy pills.</p>")

    site_comments = f"/feeds/{post['id']}/comments/default"
    await until(lambda: api.feed_titles("/feeds/comments/default"), lambda t: t == ["Hello"])
    await until(lambda: api.feed_titles(site_comments), lambda t: t == ["Hello"])
    assert await until(lambda: counts(api, "Commented"), lambda c: c == ("1", "1"))
    assert await counts(api, "Quiet") == ("0", "0")
    assert (await api.get(f"/api/posts/{post['id']}")).json["comment_count"] == 1
    listed = (await api.get("/api/posts")).json["items"]
    assert {p["title"]: p["comment_count"] for p in listed} == {"Commented": 1, "Quiet": 0}
    assert await api.feed_titles(f"/feeds/{other['id']}/comments/default") == []

    # Moderation: approving the pending comment brings it out; spam stays out.
    moderated = await api.patch(f"/api/comments/{pending['id']}", {"status": "approved"},
                                expect=200)
    assert moderated.json["status"] == "approved"
    assert moderated.json["content_html"] == pending["content_html"]
    await until(lambda: api.feed_titles(site_comments), lambda t: t is not None and len(t) == 2)
    assert await until(lambda: counts(api, "Commented"), lambda c: c == ("2", "2"))
    await api.patch(f"/api/comments/{approved['id']}", {"status": "spam"}, expect=200)
    await until(lambda: api.feed_titles("/feeds/comments/default"), lambda t: t == ["Wait."])
    assert (await api.get(f"/api/posts/{post['id']}")).json["comment_count"] == 1


async def test_moderation_queue_and_per_post_lists(api: Api) -> None:
    one = await api.create_post(title="One")
    two = await api.create_post(title="Two")
    for i in range(3):
        await comment(api, one["id"], status="pending", content_html=f"<p>q{i}</p>")
    await comment(api, two["id"], status="pending")
    await comment(api, two["id"])
    queue = (await api.get("/api/comments?status=pending&limit=2")).json
    assert queue["total"] == 4 and len(queue["items"]) == 2
    assert queue["next"] == "/api/comments?status=pending&limit=2&offset=2"
    assert all(c["status"] == "pending" for c in queue["items"])
    assert (await api.get("/api/comments")).json["total"] == 5
    per_post = (await api.get(f"/api/posts/{one['id']}/comments")).json
    assert per_post["total"] == 3 and {c["post_id"] for c in per_post["items"]} == {one["id"]}
    by_slug = (await api.get("/api/posts/two/comments?status=approved")).json
    assert by_slug["total"] == 1
    assert (await api.get("/api/comments?status=rude", expect=400)).field == "status"
    await api.get("/api/posts/nothing/comments", expect=404)


async def test_replies_thread_within_their_post(api: Api) -> None:
    post = await api.create_post(title="Thread")
    elsewhere = await api.create_post(title="Elsewhere")
    first = await comment(api, post["id"])
    reply = await comment(api, post["id"], parent_id=first["id"], content_html="<p>Re</p>")
    assert reply["parent_id"] == first["id"]
    foreign = await comment(api, elsewhere["id"])
    for parent in (foreign["id"], 999_999):
        bad = await api.post(f"/api/posts/{post['id']}/comments",
                             {"author": "Eve", "content_html": "<p>x</p>",
                              "parent_id": parent}, expect=400)
        assert bad.field == "parent_id"
    # Deleting a comment: its replies answer what it answered.
    await api.delete(f"/api/comments/{first['id']}", expect=204)
    await api.get(f"/api/comments/{first['id']}", expect=404)
    await api.delete(f"/api/comments/{first['id']}", expect=404)
    assert (await api.get(f"/api/comments/{reply['id']}")).json["parent_id"] is None
    await until(lambda: api.feed_titles(f"/feeds/{post['id']}/comments/default"),
                lambda t: t == ["Re"])
    assert (await api.get(f"/api/posts/{post['id']}")).json["comment_count"] == 1


async def test_patch_corrects_a_comment(api: Api) -> None:
    post = await api.create_post(title="Post")
    c = await comment(api, post["id"])
    api.clock.advance(minutes=5)
    changed = (await api.patch(f"/api/comments/{c['id']}", {
        "content_html": "<p>Edited<script>x</script> <a href='/p' onclick='x()'>a</a></p>",
        "author": {"name": "Robert"}, "published": "2026-11-20T08:00:00+01:00"},
        expect=200)).json
    assert "<script>" not in changed["content_html"] and "onclick" not in changed[
        "content_html"]
    assert changed["author"]["name"] == "Robert"
    assert changed["published"] == "2026-11-20T07:00:00Z"
    assert changed["updated"] == "2026-11-24T12:05:00Z"
    assert (await api.get(f"/api/comments/{c['id']}")).json == changed
    for body, field in (({"status": "hidden"}, "status"), ({"post_id": 3}, "post_id"),
                        ({"published": "soon"}, "published"),
                        ({"published": "9999-12-31T23:59:59-01:00"}, "published"),
                        ({"published": "2026-11-20T08:00:00+25:00"}, "published"),
                        ({"author": 7}, "author"),
                        ({"author": {"name": " "}}, "author.name"),
                        ({"content_html": ""}, "content_html")):
        reply = await api.patch(f"/api/comments/{c['id']}", body, expect=400)
        assert reply.field == field, (body, reply.json)
    await api.patch("/api/comments/999999", {"status": "spam"}, expect=404)
    # A name alone is an author, as when the comment was made (docs/publishing.md).
    named = await api.patch(f"/api/comments/{c['id']}", {"author": "Bob"}, expect=200)
    assert named.json["author"] == {"name": "Bob", "uri": None, "email": None}


async def test_bad_comments_are_400s_naming_the_field(api: Api) -> None:
    post = await api.create_post(title="Post")
    path = f"/api/posts/{post['id']}/comments"
    for body, field in (({"content_html": "<p>x</p>"}, "author"),
                        ({"author": "Bob"}, "content_html"),
                        ({"author": "", "content_html": "<p>x</p>"}, "author"),
                        ({"author": {}, "content_html": "<p>x</p>"}, "author.name"),
                        ({"author": "Bob", "content_html": "x", "rating": 5}, "rating"),
                        ({"author": "Bob", "content_html": "x", "status": "ok"}, "status"),
                        ({"author": "Bob", "content_html": "x", "parent_id": "1"},
                         "parent_id"),
                        ({"author": "Bob", "content_html": "x", "published": "never"},
                         "published"),
                        ({"author": "   ", "content_html": "x"}, "author.name"),
                        ([], "body")):
        reply = await api.post(path, body, expect=400)
        assert reply.field == field, (body, reply.json)
    for ref in ("abc", "1.5", "-1", "99999999999999999999", "%C2%B2"):
        assert (await api.get(f"/api/comments/{ref}", expect=400)).field == "comment_id"
    await api.post("/api/posts/999/comments", {"author": "Bob", "content_html": "x"},
                   expect=404)
    assert (await api.get("/api/comments")).json["total"] == 0


async def test_comments_on_a_deleted_post_are_refused(api: Api) -> None:
    post = await api.create_post(title="Soon gone")
    kept = await comment(api, post["id"], status="pending")
    await api.delete(f"/api/posts/{post['id']}", expect=204)
    await api.post(f"/api/posts/{post['id']}/comments", {"author": "B", "content_html": "x"},
                   expect=404)
    await api.get(f"/api/posts/{post['id']}/comments", expect=404)
    # Its comments can still be found and moderated from the queue.
    assert (await api.get(f"/api/comments/{kept['id']}")).json["post_id"] == post["id"]


async def test_a_retried_comment_with_an_idempotency_key_is_added_once(api: Api) -> None:
    post = await api.create_post(title="Post")
    body = {"author": "Bob", "content_html": "<p>Once.</p>"}
    key = {"Idempotency-Key": "comment-1"}
    path = f"/api/posts/{post['id']}/comments"
    first = await api.post(path, body, headers=key, expect=201)
    again = await api.post(path, body, headers=key, expect=201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert (await api.post(path, {**body, "author": "Eve"}, headers=key, expect=400)
            ).field == "Idempotency-Key"
    assert (await api.get("/api/comments")).json["total"] == 1


async def test_a_reply_to_a_comment_names_that_comment_and_no_email_is_published(
    api: Api,
) -> None:
    """RFC 4685 §3: thr:in-reply-to is the resource replied to. A reply to a pending
    comment (not shown) names the post. Commenters' emails are for moderation only."""
    post = await api.create_post(title="Threads")
    first = await comment(api, post["id"], author={"name": "Ann", "email": "ann@example.com"})
    reply = await comment(api, post["id"], author="Bo", parent_id=first["id"])
    held = await comment(api, post["id"], author="Cy", status="pending")
    to_held = await comment(api, post["id"], author="Di", parent_id=held["id"])
    path = f"/feeds/{post['id']}/comments/default"
    atom = await until(lambda: api.feed(path), lambda r: len(entries(r.text)) == 3)
    by_author = {e.findtext(f"{ATOM}author/{ATOM}name"): e for e in entries(atom.text)}
    post_id = next(e.findtext(f"{ATOM}id") for e in entries((await api.feed()).text)
                   if e.findtext(f"{ATOM}title") == "Threads")
    answered = {name: (e.find(f"{THR}in-reply-to").get("ref"),
                       e.find(f"{THR}in-reply-to").get("href"))
                for name, e in by_author.items()}
    assert answered["Bo"][0] == by_author["Ann"].findtext(f"{ATOM}id")
    assert answered["Bo"][1].endswith(f"#comment-{first['id']}")
    assert answered["Ann"][0] == post_id and answered["Di"][0] == post_id
    assert to_held["parent_id"] == held["id"] and reply["parent_id"] == first["id"]
    for alt in ("", "?alt=rss", "?alt=json"):
        assert "ann@example.com" not in (await api.feed(path + alt)).text
    assert (await api.get(f"/api/comments/{first['id']}")).json["author"]["email"] == \
        "ann@example.com"


async def test_a_comment_entrys_link_leads_to_the_comment_on_the_posts_page(api: Api) -> None:
    post = await api.create_post(title="Talked about")
    first = await comment(api, post["id"], author="Ann <Lee>", content_html="<p>First!</p>")
    await comment(api, post["id"], author="Spam", content_html="<p>Buy</p>", status="pending")
    second = await comment(api, post["id"], author="Bob", content_html="<p>Second.</p>")
    feed = await until(lambda: api.feed(f"/feeds/{post['id']}/comments/default"),
                       lambda r: len(entries(r.text)) == 2)

    # The post's comment feed is the feed of the post's page (as on Blogger), not the site's.
    alternate = etree.fromstring(feed.text.encode()).find(f"{ATOM}link[@rel='alternate']")
    assert alternate.get("href") == post["url"]
    links = [e.find(f"{ATOM}link").get("href") for e in entries(feed.text)]
    page, fragment = links[0].split("#")
    assert [link.split("#")[1] for link in links] == [f"comment-{second['id']}",
                                                      f"comment-{first['id']}"]
    html = (await api.feed(page.removeprefix("http://blog.test"))).text
    # Oldest first, as a blog shows them; the pending one is not there.
    assert html.index(f'id="comment-{first["id"]}"') < html.index(f'id="{fragment}"')
    assert "Ann &lt;Lee&gt;" in html and "<p>First!</p>" in html and "Buy" not in html


async def test_the_comments_of_a_deleted_post_leave_the_moderation_queue(api: Api) -> None:
    post = await api.create_post(title="Going away")
    kept = await api.create_post(title="Staying")
    held = await comment(api, post["id"], status="pending")
    other = await comment(api, kept["id"], status="pending")
    await api.delete(f"/api/posts/{post['id']}", expect=204)

    queue = (await api.get("/api/comments?status=pending")).json
    assert [c["id"] for c in queue["items"]] == [other["id"]] and queue["total"] == 1
    # Still found by its id: a commenter may ask for theirs to be removed.
    await api.delete(f"/api/comments/{held['id']}", expect=204)
