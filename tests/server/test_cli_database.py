"""The database a command opens: only `syndic serve` and `syndic migrate` upgrade one an
older syndic made (after that the older one cannot open it); every other command stops and
says to run `syndic migrate`, and leaves it as it was. A database a newer syndic made is
refused by every command, the server included. One that cannot be opened at all (no
server on the port, no such host, no such database) is the same one line from every
command, the server included: `storage.url: cannot open the database: <reason>`, exit 2."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from server.app import create_app
from server.clock import FakeClock
from tests.feeds.store.conftest import alembic
from tests.server.conftest import Cli, Client
from tests.server.test_cli import GOOD
from tests.server.test_cli_errors import one_line

HEAD = sorted(p.name[:4] for p in (Path(__file__).parents[2] / "feeds" / "store" / "migrations"
                                   / "versions").glob("0*.py"))[-1]


def made_by_an_older_syndic(path: Path, revision: str = "0004") -> None:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        alembic(conn, "upgrade", revision)
    engine.dispose()


def schema_of(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def made_by_a_newer_syndic(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '0099'")


@pytest.mark.parametrize("command", [
    ("site", "list"), ("post", "list"), ("post", "add", "good.md"), ("token", "list"),
    ("import", "feed", "feed.xml"), ("regenerate",), ("hub", "list"),
])
def test_a_command_on_a_database_an_older_syndic_made_asks_for_migrate_and_changes_nothing(
    syndic: Cli, tmp_path: Path, command: tuple[str, ...],
) -> None:
    db = tmp_path / "syndic.db"
    made_by_an_older_syndic(db)
    (tmp_path / "good.md").write_text(GOOD)
    (tmp_path / "feed.xml").write_text("<rss version='2.0'><channel><title>t</title>"
                                       "</channel></rss>")
    line = one_line(syndic(*command))
    assert line == (f"syndic: storage.url: the database's schema is 0004, older than this "
                    f"syndic's {HEAD}: run `syndic migrate` to upgrade it")
    assert schema_of(db) == "0004"


def test_migrate_upgrades_it_and_then_every_command_works(syndic: Cli, tmp_path: Path) -> None:
    db = tmp_path / "syndic.db"
    made_by_an_older_syndic(db)
    migrated = syndic("migrate")
    assert migrated.code == 0 and migrated.out == f"schema 0004 -> {HEAD}\n"
    assert schema_of(db) == HEAD
    again = syndic("migrate")
    assert again.code == 0 and again.out == f"schema {HEAD}: up to date\n"
    listed = syndic("site", "list")
    assert listed.code == 0 and "localhost" in listed.out


def test_migrate_says_what_it_did_in_json_too(syndic: Cli, tmp_path: Path) -> None:
    made_by_an_older_syndic(tmp_path / "syndic.db")
    assert json.loads(syndic("migrate", "--json").out) == {
        "before": "0004", "after": HEAD, "upgraded": True}
    assert json.loads(syndic("migrate", "--json").out) == {
        "before": HEAD, "after": HEAD, "upgraded": False}
    (tmp_path / "syndic.db").unlink()
    assert syndic("migrate").out == f"schema (new database) -> {HEAD}\n"


def test_a_new_empty_database_is_made_by_any_command(syndic: Cli, tmp_path: Path) -> None:
    # Nothing, and no older syndic, uses it yet: `syndic post add` on a new machine works.
    (tmp_path / "good.md").write_text(GOOD)
    assert syndic("post", "add", "good.md").code == 0
    assert schema_of(tmp_path / "syndic.db") == HEAD


async def test_the_servers_start_upgrades_it(
    aiohttp_client: Callable[..., Awaitable[Client]], make_settings: Any, clock: FakeClock,
    tmp_path: Path,
) -> None:
    made_by_an_older_syndic(tmp_path / "syndic.db")
    client = await aiohttp_client(create_app(make_settings(), clock=clock))
    assert (await client.get("/feeds/posts/default")).status == 200
    assert schema_of(tmp_path / "syndic.db") == HEAD


@pytest.mark.parametrize("command", [("site", "list"), ("migrate",),
                                     ("serve", "--port", "18432")])
def test_a_database_a_newer_syndic_made_is_refused_by_every_command(
    syndic: Cli, tmp_path: Path, command: tuple[str, ...],
) -> None:
    db = tmp_path / "syndic.db"
    assert syndic("migrate").code == 0
    made_by_a_newer_syndic(db)
    assert one_line(syndic(*command)) == (
        f"syndic: storage.url: the database was made by a newer syndic: schema 0099, this "
        f"one knows up to {HEAD}")
    assert schema_of(db) == "0099"


@pytest.mark.parametrize(("url", "reason"), [
    pytest.param("postgresql://postgres@127.0.0.1:1/syndic", "Connect call failed",
                 id="nothing-on-the-port"),
    pytest.param("postgresql://postgres@no-such-host.invalid:5432/syndic", "",
                 id="no-such-host"),
])
@pytest.mark.parametrize("command", [("site", "list"), ("serve", "--port", "18432")])
def test_a_database_server_that_cannot_be_reached_is_one_line_from_every_command(
    syndic: Cli, monkeypatch: pytest.MonkeyPatch, url: str, reason: str,
    command: tuple[str, ...],
) -> None:
    monkeypatch.setenv("SYNDIC_STORAGE__URL", url)
    line = one_line(syndic(*command))
    assert line.startswith("syndic: storage.url: cannot open the database: "), line
    assert reason in line


@pytest.mark.parametrize("command", [("site", "list"), ("serve", "--port", "18432")])
def test_a_database_that_does_not_exist_on_postgresql_is_one_line_from_every_command(
    syndic: Cli, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...],
) -> None:
    admin = os.environ.get("SYNDIC_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("SYNDIC_STORAGE__URL", admin.rsplit("/", 1)[0] + "/no_such_database_x")
    assert one_line(syndic(*command)) == ('syndic: storage.url: cannot open the database: '
                                          'database "no_such_database_x" does not exist')
