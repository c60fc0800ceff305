"""A running syndic on loopback (real HTTP), with the demo blog and a FakeClock.

The demo store is built once per session (as `syndic serve --demo` builds it) and copied for
each test, so each test starts from the same SQLite file without rendering it again."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from config import load_settings
from server import cli
from server.app import create_app
from server.clock import FakeClock
from server.fastpath import FastSite
from tests.conftest import NOW
from tests.server.api_conftest import TOKEN, Api
from tests.server.websub_subscriber import Subscriber, start_subscriber

Client = TestClient[Any, Any]


async def _build(settings: Any) -> None:
    runner = web.AppRunner(create_app(settings, clock=FakeClock(NOW), demo=True))
    await runner.setup()  # startup: migrate, seed the demo, render every feed
    await runner.cleanup()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    settings = load_settings(environ={}, overrides={
        "storage": {"url": f"sqlite:///{path}"},
        "server": {"public_url": "http://blog.test", "access_log": False},
    })
    asyncio.run(_build(settings))
    return path


class FastTestServer(TestServer):
    """aiohttp's TestServer listening through syndic's FastSite, as `syndic serve` does."""

    async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
        if self.runner:
            return
        self.runner = await self._make_runner(handler_cancellation=True, **kwargs)
        await self.runner.setup()
        sock = self.socket_factory(self.host, 0, socket.AF_INET)
        assert isinstance(self.runner, web.AppRunner)
        await FastSite(self.runner, sock=sock).start()
        self.port = sock.getsockname()[1]
        self.scheme = "http"
        self._root = URL(f"http://{self.host}:{self.port}")


@pytest.fixture(params=["aiohttp", "fast-path"])
async def demo(
    request: pytest.FixtureRequest,
    aiohttp_client: Callable[..., Awaitable[Client]],
    make_settings: Callable[..., Any],
    clock: FakeClock,
    demo_template: Path,
    tmp_path: Path,
) -> Client:
    """syndic serving the demo blog, as `syndic serve --demo` does: every HTTP story runs
    twice, through aiohttp's handlers and through the fast path in front of them."""
    shutil.copyfile(demo_template, tmp_path / "syndic.db")
    app = create_app(make_settings(), clock=clock, demo=True)
    if request.param == "fast-path":
        return await aiohttp_client(FastTestServer(app))
    return await aiohttp_client(app)


# -- the admin API (tests/server/test_api_*.py; helpers in tests/server/api_conftest.py) --


@pytest.fixture
async def subscriber() -> AsyncIterator[Subscriber]:
    """A real WebSub subscriber on loopback (tests/server/websub_subscriber.py)."""
    sub = await start_subscriber()
    yield sub
    await sub.server.close()


@pytest.fixture
def make_api(
    aiohttp_client: Callable[..., Awaitable[Client]],
    make_settings: Callable[..., Any],
    clock: FakeClock,
) -> Callable[..., Awaitable[Api]]:
    """Start syndic on an empty store (its default site only) behind the fast path, as
    `syndic serve` does (fast=False: aiohttp alone), with TOKEN accepted; `sections`
    override settings."""

    async def start(*, fast: bool = True, **sections: dict[str, object]) -> Api:
        api_section = {"tokens": [TOKEN], **sections.pop("api", {})}
        app = create_app(make_settings(api=api_section, **sections), clock=clock)
        return Api(await aiohttp_client(FastTestServer(app) if fast else app), clock)

    return start


@pytest.fixture
async def api(make_api: Callable[..., Awaitable[Api]]) -> Api:
    return await make_api()


@dataclass(frozen=True)
class Ran:
    code: int | str | None
    out: str
    err: str


Cli = Callable[..., Ran]


@pytest.fixture
def syndic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    """`syndic ARGS...` in this process (main(), the `syndic` script's code path, without
    starting Python each time), on a SQLite file of the test's own."""
    for var in list(os.environ):
        if var.upper().startswith("SYNDIC_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("SYNDIC_STORAGE__URL", f"sqlite:///{tmp_path / 'syndic.db'}")
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> Ran:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            cli.main(list(args))
        out, err = capsys.readouterr()
        return Ran(exited.value.code, out, err)

    yield run
