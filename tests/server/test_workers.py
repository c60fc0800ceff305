"""`syndic serve` with server.workers = 2: two processes answer on one port (the leader, which
renders, and a follower). Real processes (tests/server/process_server.py) on a SQLite file
or the PostgreSQL server; many keep-alive connections, each of which the kernel gives to one
of the two processes (which one is read from /proc, so the tests know both answered).

Regeneration polls once a minute here: a post shows at once only because the process that
took the create woke the leader."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path

import pytest

from feeds.store import open_store
from tests.conftest import reset_pg
from tests.server.process_server import SyndicProcess

TOKEN = "workers-test-token-0123456789"
CONNECTIONS = 12
FEED = "/feeds/posts/default"


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.add(int(entry.name))
    return found


def process_of_connection(server_port: int, client_port: int, pids: set[int]) -> int | None:
    """Which of `pids` holds the server's end of the loopback connection from client_port."""
    want = f"0100007F:{server_port:04X} 0100007F:{client_port:04X}"
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if f"{fields[1]} {fields[2]}" == want:
            inode = fields[9]
    if inode is None:
        return None
    for pid in pids:
        with_fd = Path(f"/proc/{pid}/fd")
        try:
            links = [os.readlink(fd) for fd in with_fd.iterdir()]
        except OSError:
            continue
        if f"socket:[{inode}]" in links:
            return pid
    return None


async def eventually(check: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.05)


class Connection:
    """One keep-alive HTTP/1.1 connection, by hand: which process holds its other end is
    known (its local port), and stays the same for every request sent on it."""

    def __init__(self, server: SyndicProcess) -> None:
        self.server = server
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.owner: int | None = None

    async def request(self, method: str, path: str, body: Mapping[str, object] | None = None,
                      host: str | None = None) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1",
                                                                     self.server.port)
            assert self.server.proc is not None
            leader = self.server.proc.pid
            self.owner = process_of_connection(
                self.server.port, self.writer.get_extra_info("sockname")[1],
                {leader, *children_of(leader)})
        assert self.reader is not None
        data = b"" if body is None else json.dumps(body).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {host or '127.0.0.1'}",
                f"Authorization: Bearer {TOKEN}", f"Content-Length: {len(data)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        status_line, *lines = (await asyncio.wait_for(
            self.reader.readuntil(b"\r\n\r\n"), 15)).decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines if ln)}
        answer = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return int(status_line.split()[1]), headers, answer

    async def feed(self, host: str | None = None) -> tuple[tuple[str, str], str]:
        """(ETag, Last-Modified: none while it is rendered on demand), and the feed."""
        status, headers, body = await self.request("GET", FEED, host=host)
        assert status == 200
        return (headers["etag"], headers.get("last-modified", "")), body.decode()

    async def create(self, title: str) -> str:
        status, _, answer = await self.request(
            "POST", "/api/posts", {"title": title, "content_html": f"<p>{title}</p>"})
        assert status == 201, answer
        entry_id: str = json.loads(answer)["entry_id"]
        return entry_id

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class Connections(list[Connection]):
    """CONNECTIONS connections, reopened until both processes hold some."""

    @classmethod
    async def to(cls, server: SyndicProcess, within: float = 20) -> Connections:
        conns = cls(Connection(server) for _ in range(CONNECTIONS))

        async def both_answer() -> bool:
            for conn in conns:
                await conn.feed()
            if len({c.owner for c in conns} - {None}) == 2:
                return True
            # Opened while the follower was not listening yet: new ones, the next time.
            conns.close()
            conns[:] = [Connection(server) for _ in range(CONNECTIONS)]
            return False

        try:
            await eventually(both_answer, within, f"both processes answering:\n{server.log()}")
        except BaseException:
            conns.close()
            raise
        return conns

    def close(self) -> None:
        for conn in self:
            conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def pg_url(request: pytest.FixtureRequest) -> str | None:
    """None: the SQLite file of SyndicProcess; else the PostgreSQL database's URL."""
    return request.getfixturevalue("pg_database") if request.param == "postgresql" else None


@pytest.fixture
async def server(pg_url: str | None, tmp_path: Path) -> AsyncIterator[SyndicProcess]:
    proc = SyndicProcess(tmp_path, {
        "SYNDIC_SERVER__WORKERS": "2",
        "SYNDIC_API__TOKENS": TOKEN,
        "SYNDIC_FEEDS__CHANGE_POLL_SECONDS": "60",
        "SYNDIC_FEEDS__SITE_FEEDS_GAP_SECONDS": "0",
    })
    if pg_url is not None:
        await reset_pg(pg_url)
        proc.env["SYNDIC_STORAGE__URL"] = pg_url
    proc.env["SYNDIC_SERVER__PUBLIC_URL"] = proc.url
    try:
        await proc.run()
        yield proc
    finally:
        proc.close()


@pytest.fixture
async def connections(server: SyndicProcess) -> AsyncIterator[Connections]:
    # The follower starts once the leader serves: connections until it has some too.
    conns = await Connections.to(server)
    try:
        yield conns
    finally:
        conns.close()


async def test_a_post_created_through_either_process_shows_on_every_connection(
        connections: Connections) -> None:
    assert connections[0].server.proc is not None
    leader = connections[0].server.proc.pid
    # First through the follower alone: only its wake-up can make the leader render now.
    through_follower = next(c for c in connections if c.owner != leader)
    ids = [await through_follower.create("Through the follower")]

    async def every_connection_shows_it() -> bool:
        return all([ids[0] in (await conn.feed())[1] for conn in connections])

    await eventually(every_connection_shows_it, 10, "the follower's post everywhere")
    ids += [await conn.create(f"Post number {i}") for i, conn in enumerate(connections)]

    async def every_connection_shows_them() -> bool:
        feeds = [await conn.feed() for conn in connections]
        return (all(entry_id in text for _, text in feeds for entry_id in ids)
                # The same bytes everywhere, dated alike.
                and len({validators for validators, _ in feeds}) == 1
                and all(modified for (_, modified), _ in feeds))

    await eventually(every_connection_shows_them, 10,
                     "every post in every connection's feed, one ETag and Last-Modified")


async def test_a_site_created_and_renamed_through_one_process_is_served_by_both(
        connections: Connections) -> None:
    spec = {"host": "second.example.com", "title": "Second blog",
            "base_url": "http://second.example.com"}
    status, _, answer = await connections[0].request("POST", "/api/sites", spec)
    assert status == 201, answer
    site_id = json.loads(answer)["id"]

    async def titled(title: str) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            texts = [(await conn.feed("second.example.com"))[1] for conn in connections]
            return all(re.search(rf"<title[^>]*>{title}</title>", t) for t in texts)
        return check

    await eventually(await titled("Second blog"), 10, "the new site's feed everywhere")
    # Through the other process than the one that created it.
    other = next(c for c in connections if c.owner != connections[0].owner)
    status, _, answer = await other.request("PATCH", f"/api/sites/{site_id}",
                                            {"title": "Renamed blog"})
    assert status == 200, answer
    await eventually(await titled("Renamed blog"), 10, "the new title everywhere")


async def test_a_site_deleted_through_one_process_is_served_by_neither(
        connections: Connections) -> None:
    status, _, answer = await connections[0].request(
        "POST", "/api/sites", {"host": "a.test", "title": "Site A"})
    assert status == 201, answer
    site_id = json.loads(answer)["id"]
    status, _, answer = await connections[0].request(
        "POST", "/api/posts?site=a.test",
        {"title": "Private to A", "content_html": "<p>A</p>", "labels": ["alabel"]})
    assert status == 201, answer
    label = "/feeds/posts/default/-/alabel"

    async def label_feed(host: str) -> list[tuple[int, bytes]]:
        return [(status, body) for status, _, body in
                [await conn.request("GET", label, host=host) for conn in connections]]

    async def shown_everywhere() -> bool:
        return all(b"Private to A" in body for _, body in await label_feed("a.test"))

    await eventually(shown_everywhere, 10, "site A's label feed on every connection")

    async def rendered_ahead() -> bool:  # not only as a query variant: held till deleted
        store = await open_store(connections[0].server.env["SYNDIC_STORAGE__URL"],
                                 run_migrations=False)
        try:
            return any(a.site_id == site_id and a.key == label
                       for a in await store.load_artifacts(with_bodies=False))
        finally:
            await store.close()

    await eventually(rendered_ahead, 10, "site A's label feed stored")
    await eventually(shown_everywhere, 10, "site A's label feed on every connection")
    other = next(c for c in connections if c.owner != connections[0].owner)
    status, _, answer = await other.request("DELETE", f"/api/sites/{site_id}")
    assert status == 204, answer
    status, _, answer = await other.request("POST", "/api/sites",
                                            {"host": "b.test", "title": "Site B"})
    assert status == 201 and json.loads(answer)["id"] != site_id, answer

    async def gone_everywhere() -> bool:
        answers = await label_feed("a.test") + await label_feed("b.test")
        return all(status == 404 and b"Private to A" not in body for status, body in answers)

    await eventually(gone_everywhere, 10, "site A's label feed nowhere")


async def test_a_worker_that_dies_is_started_again_and_serves_the_current_feeds(
        server: SyndicProcess, connections: Connections) -> None:
    assert server.proc is not None
    [follower] = children_of(server.proc.pid)
    os.kill(follower, signal.SIGKILL)

    async def replaced() -> bool:
        return len(children_of(server.proc.pid) - {follower}) == 1  # type: ignore[union-attr]

    await eventually(replaced, 15, "a new follower")
    fresh = await Connections.to(server)  # on the leader and the new follower
    try:
        entry_id = await fresh[0].create("After the restart")

        async def both_show_it() -> bool:
            return all([entry_id in (await conn.feed())[1] for conn in fresh])

        await eventually(both_show_it, 10, "the new post on both processes")
    finally:
        fresh.close()
    # Every message between the processes was understood, the new follower's start-up
    # catch-up ("feeds": versions not stored yet) included.
    assert "not handled" not in server.log(), server.log()


async def test_stopping_the_server_stops_every_worker(server: SyndicProcess,
                                                      connections: Connections) -> None:
    assert server.proc is not None
    followers = children_of(server.proc.pid)
    assert len(followers) == 1
    server.signal(signal.SIGTERM)
    assert server.proc.wait(timeout=30) == 0
    for pid in followers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(
            f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


async def test_a_follower_whose_leader_was_killed_stops(server: SyndicProcess,
                                                        connections: Connections) -> None:
    assert server.proc is not None
    [follower] = children_of(server.proc.pid)
    server.kill9()

    async def gone() -> bool:
        return not Path(f"/proc/{follower}").exists()

    await eventually(gone, 15, "the follower gone after its leader")


def test_a_worker_count_out_of_range_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    proc = SyndicProcess(tmp_path)
    done = subprocess.run([sys.executable, "-m", "server", "serve", "--workers", "0"],
                          cwd=tmp_path, env=proc.env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "syndic: server.workers: must be between 1 and 64, got 0 (from command line)"]


async def test_a_second_server_on_the_same_port_fails_to_start_and_takes_nothing(
        server: SyndicProcess, connections: Connections, tmp_path: Path) -> None:
    # Listening sockets are inherited, not SO_REUSEPORT: the port is not shared by mistake.
    other = SyndicProcess(tmp_path / "other", port=server.port)
    other.workdir.mkdir()
    other.env["SYNDIC_SERVER__WORKERS"] = "2"
    done = subprocess.run([sys.executable, "-m", "server", "serve"], cwd=other.workdir,
                          env=other.env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "address already in use" in done.stderr.strip().splitlines()[-1]
    fresh = await Connections.to(server)  # both of the first server's processes answer
    fresh.close()
