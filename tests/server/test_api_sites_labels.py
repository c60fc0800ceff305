"""Sites (a new host is served at once; changes show in its feeds) and labels (counts, put on
posts, renamed, merged, taken off) through the admin API."""

from __future__ import annotations

from urllib.parse import quote

from lxml import etree

from tests.server.api_conftest import ATOM, Api, until


async def feed_title(api: Api, host: str) -> str:
    reply = await api.feed(host=host)
    assert reply.status == 200, reply.text[:200]
    return etree.fromstring(reply.text.encode()).findtext(f"{ATOM}title") or ""


async def test_a_new_site_is_served_at_its_host_and_changes_show(api: Api) -> None:
    created = await api.post("/api/sites", {"host": "second.test", "title": "The Second Blog",
                                            "timezone": "Europe/Lisbon", "language": "pt"},
                             expect=201)
    site = created.json
    assert created.headers["Location"] == f"/api/sites/{site['id']}"
    assert site["host"] == "second.test" and site["base_url"] == "http://second.test"
    assert site["timezone"] == "Europe/Lisbon" and site["is_default"] is False
    assert site["default_feed"] == "full" and site["wordpress_urls"] is False
    await until(lambda: feed_title(api, "second.test"), lambda t: t == "The Second Blog")
    assert await feed_title(api, "SECOND.test:8080") == "The Second Blog"
    # The name written absolute, with its final dot (RFC 1034 §3.1), is the same host.
    assert await feed_title(api, "second.test.") == "The Second Blog"
    assert await feed_title(api, "second.test.:8080") == "The Second Blog"
    assert await feed_title(api, "elsewhere.test") == "syndic"

    await api.post("/api/posts?site=second.test", {"title": "Olá"}, expect=201)
    await api.post(f"/api/posts?site={site['id']}", {"title": "Outra"}, expect=201)
    await api.post("/api/posts", {"title": "Default only"}, expect=201)
    await until(lambda: api.feed_titles(host="second.test"), lambda t: t == ["Outra", "Olá"])
    await until(api.feed_titles, lambda t: t == ["Default only"])
    assert (await api.get("/api/posts", headers={"Host": "second.test"})).json["total"] == 2
    await api.get("/api/posts?site=nowhere.test", expect=404)

    assert (await api.get(f"/api/sites/{site['id']}", expect=200)).json == site
    listing = (await api.get("/api/sites")).json
    assert listing["total"] == 2 and [s["host"] for s in listing["items"]] == [
        "localhost", "second.test"]
    assert (await api.get("/api/sites?limit=1")).json["next"] == "/api/sites?limit=1&offset=1"

    changed = await api.patch(f"/api/sites/{site['id']}",
                              {"title": "Renamed Blog", "base_url": "https://second.test/"},
                              expect=200)
    assert changed.json["title"] == "Renamed Blog"
    assert changed.json["base_url"] == "https://second.test"
    await until(lambda: feed_title(api, "second.test"), lambda t: t == "Renamed Blog")
    feed = await api.feed(host="second.test")
    assert "https://second.test/feeds/posts/default" in feed.text


async def test_sites_are_deleted_but_never_the_default(api: Api) -> None:
    default = (await api.get("/api/sites")).json["items"][0]
    reply = await api.delete(f"/api/sites/{default['id']}", expect=400)
    assert reply.field == "site"
    site = (await api.post("/api/sites", {"host": "gone.test", "title": "Gone"},
                           expect=201)).json
    post = (await api.post("/api/posts?site=gone.test", {"title": "Doomed post"},
                           expect=201)).json
    await api.post(f"/api/posts/{post['id']}/comments?site=gone.test",
                   {"author": "A", "content_html": "x"}, expect=201)
    await until(lambda: api.feed_titles(host="gone.test"), lambda t: t == ["Doomed post"])
    await api.delete(f"/api/sites/{site['id']}", expect=204)
    await api.get(f"/api/sites/{site['id']}", expect=404)
    await api.delete(f"/api/sites/{site['id']}", expect=404)
    assert (await api.get("/api/sites")).json["total"] == 1
    # Its host now gets the default site.
    assert await feed_title(api, "gone.test") == "syndic"
    assert await api.feed_titles(host="gone.test") == []


async def test_bad_sites_are_400s_naming_the_field(api: Api) -> None:
    await api.post("/api/sites", {"host": "taken.test", "title": "First"}, expect=201)
    other = (await api.post("/api/sites", {"host": "other.test", "title": "Other"},
                            expect=201)).json
    for body, field in (({"host": "TAKEN.test", "title": "Again"}, "host"),
                        ({"host": "localhost", "title": "Again"}, "host"),
                        ({"host": "new.test", "title": "T", "timezone": "Mars/Olympus"},
                         "timezone"),
                        ({"host": "new.test", "title": "T", "timezone": "../../etc/passwd"},
                         "timezone"),
                        ({"host": "bad host", "title": "T"}, "host"),
                        ({"host": "new.test"}, "title"),
                        ({"host": "new.test", "title": "T", "base_url": "ftp://x"},
                         "base_url"),
                        ({"host": "new.test", "title": "T", "summary_length": -1},
                         "summary_length"),
                        ({"host": "new.test", "title": "T", "colour": "red"}, "colour")):
        reply = await api.post("/api/sites", body, expect=400)
        assert reply.field == field, (body, reply.json)
    patches: list[tuple[dict[str, object], str]] = [({"host": "taken.test"}, "host"),
                        ({"timezone": "Nowhere/Town"}, "timezone"),
                        ({"is_default": True}, "is_default"),
                        ({"title": ""}, "title")]
    for body, field in patches:
        reply = await api.patch(f"/api/sites/{other['id']}", body, expect=400)
        assert reply.field == field, (body, reply.json)
    for ref in ("abc", "0x1", "1e3", "99999999999"):
        assert (await api.get(f"/api/sites/{ref}", expect=400)).field == "site_id"
    await api.get("/api/sites/4242", expect=404)
    await api.patch("/api/sites/4242", {"title": "x"}, expect=404)
    assert (await api.get("/api/sites")).json["total"] == 3


async def test_labels_are_listed_put_on_renamed_merged_and_taken_off(api: Api) -> None:
    a = await api.create_post(title="Alpha", labels=["news"])
    b = await api.create_post(title="Beta", labels=["news", "misc"])
    c = await api.create_post(title="Gamma", status="draft", labels=["misc"])
    labels = (await api.get("/api/labels", expect=200)).json
    assert labels["total"] == 2
    assert [(x["name"], x["count"]) for x in labels["items"]] == [("misc", 2), ("news", 2)]
    assert labels["items"][1]["feed"] == "http://blog.test/feeds/posts/default/-/news"
    assert (await api.get("/api/labels/news", expect=200)).json["count"] == 2

    made = await api.post("/api/labels", {"name": "C++ & Rust", "posts": [a["id"], c["id"]]},
                          expect=201)
    assert made.json["count"] == 2 and made.json["name"] == "C++ & Rust"
    assert made.json["feed"].endswith("/-/C%2B%2B%20%26%20Rust")
    label_feed = "/feeds/posts/default/-/" + quote("C++ & Rust")
    await until(lambda: api.feed_titles(label_feed), lambda t: t == ["Alpha"])
    post_a = (await api.get(f"/api/posts/{a['id']}")).json
    assert post_a["labels"] == ["news", "C++ & Rust"]
    # Putting it on again changes nothing.
    again = await api.post("/api/labels", {"name": "C++ & Rust", "posts": [a["id"]]},
                           expect=201)
    assert again.json["count"] == 2
    assert (await api.get(f"/api/posts/{a['id']}")).json["version"] == post_a["version"]

    renamed = await api.patch("/api/labels/news", {"name": "headlines"}, expect=200)
    assert renamed.json == {"name": "headlines", "count": 2,
                            "feed": "http://blog.test/feeds/posts/default/-/headlines"}
    await until(lambda: api.feed_titles("/feeds/posts/default/-/headlines"),
                lambda t: t == ["Beta", "Alpha"])
    # Its subscribers follow it (tests/server/test_api_label_moves.py).
    await until(lambda: moved(api, "/feeds/posts/default/-/news"),
                lambda r: r == (301, "http://blog.test/feeds/posts/default/-/headlines"))
    await api.get("/api/labels/news", expect=404)
    await api.patch("/api/labels/news", {"name": "again"}, expect=404)

    # Renaming into a label that exists merges them (no label twice on a post).
    merged = await api.patch("/api/labels/misc", {"name": "headlines"}, expect=200)
    assert merged.json["count"] == 3
    assert (await api.get(f"/api/posts/{b['id']}")).json["labels"] == ["headlines"]

    await api.delete("/api/labels/headlines", expect=204)
    await api.get("/api/labels/headlines", expect=404)
    await api.delete("/api/labels/headlines", expect=404)
    await until(lambda: api.feed_titles("/feeds/posts/default/-/headlines"),
                lambda t: t is None)
    assert (await api.get(f"/api/posts/{b['id']}")).json["labels"] == []
    assert [x["name"] for x in (await api.get("/api/labels")).json["items"]] == ["C++ & Rust"]
    assert (await api.get(f"/api/labels/{quote('C++ & Rust')}")).json["count"] == 2


async def moved(api: Api, path: str) -> tuple[int, str | None]:
    async with api.client.get(path, allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location")


async def test_bad_label_requests_are_refused(api: Api) -> None:
    post = await api.create_post(title="Alpha", labels=["news"])
    gone = await api.create_post(title="Gone")
    await api.delete(f"/api/posts/{gone['id']}", expect=204)
    for body, field in (({"name": "x", "posts": []}, "posts"),
                        ({"name": "", "posts": [post["id"]]}, "name"),
                        ({"name": "x", "posts": ["1"]}, "posts[0]"),
                        ({"name": "x"}, "posts"),
                        ({"name": "x", "posts": [post["id"]], "why": 1}, "why")):
        reply = await api.post("/api/labels", body, expect=400)
        assert reply.field == field, (body, reply.json)
    await api.post("/api/labels", {"name": "x", "posts": [424242]}, expect=404)
    await api.post("/api/labels", {"name": "x", "posts": [gone["id"]]}, expect=404)
    assert (await api.patch("/api/labels/news", {}, expect=400)).field == "name"
    assert (await api.patch("/api/labels/news", {"name": "  "}, expect=400)).field == "name"
    assert [x["name"] for x in (await api.get("/api/labels")).json["items"]] == ["news"]
