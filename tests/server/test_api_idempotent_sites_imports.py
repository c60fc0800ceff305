"""Idempotency-Key on POST /api/sites and POST /api/imports, as on posts, comments and bulk:
a retried create creates nothing twice and gets the first answer again; the key sent with
another request is a 400 naming the header."""

from __future__ import annotations

from pathlib import Path

from tests.server.api_conftest import Api

WXR = Path(__file__).parent.parent / "feeds" / "imports" / "fixtures" / "wordpress" / \
    "export-1.2.xml"


async def test_a_retried_site_create_with_its_key_returns_the_first_answer(api: Api) -> None:
    body = {"host": "notes.test", "title": "Notes"}
    key = {"Idempotency-Key": "site-1"}
    first = await api.post("/api/sites", body, headers=key, expect=201)
    assert "Idempotent-Replayed" not in first.headers

    again = await api.post("/api/sites", body, headers=key, expect=201)

    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"] == \
        f"/api/sites/{first.json['id']}"
    hosts = [s["host"] for s in (await api.get("/api/sites", expect=200)).json["items"]]
    assert hosts.count("notes.test") == 1
    # Without the key, the host is taken: a 400 naming it, as before.
    taken = await api.post("/api/sites", body, expect=400)
    assert taken.field == "host"


async def test_a_site_key_sent_with_another_body_is_refused(api: Api) -> None:
    key = {"Idempotency-Key": "site-2"}
    await api.post("/api/sites", {"host": "a.test", "title": "A"}, headers=key, expect=201)

    other = await api.post("/api/sites", {"host": "b.test", "title": "B"}, headers=key,
                           expect=400)

    assert other.field == "Idempotency-Key"
    hosts = {s["host"] for s in (await api.get("/api/sites")).json["items"]}
    assert "b.test" not in hosts
    bad = await api.post("/api/sites", {"host": "c.test", "title": "C"},
                         headers={"Idempotency-Key": "k" * 256}, expect=400)
    assert bad.field == "Idempotency-Key"


async def test_a_retried_import_with_its_key_runs_once_and_returns_the_first_run(
    api: Api,
) -> None:
    wxr = WXR.read_bytes()
    key = {"Idempotency-Key": "import-1"}
    first = await api.post("/api/imports?kind=wordpress", data=wxr, headers=key, expect=201)
    assert first.json["report"]["posts"]["added"] == 6

    again = await api.post("/api/imports?kind=wordpress", data=wxr, headers=key, expect=201)

    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert again.headers["Location"] == f"/api/imports/{first.json['id']}"
    runs = (await api.get("/api/imports", expect=200)).json
    assert runs["total"] == 1 and [r["id"] for r in runs["items"]] == [first.json["id"]]


async def test_an_import_key_sent_with_another_body_or_kind_is_refused(api: Api) -> None:
    wxr = WXR.read_bytes()
    key = {"Idempotency-Key": "import-2"}
    await api.post("/api/imports?kind=wordpress", data=wxr, headers=key, expect=201)

    changed = await api.post("/api/imports?kind=wordpress", data=wxr + b"\n", headers=key,
                             expect=400)
    other_kind = await api.post("/api/imports?kind=blogger", data=wxr, headers=key,
                                expect=400)

    assert changed.field == other_kind.field == "Idempotency-Key"
    assert (await api.get("/api/imports")).json["total"] == 1
