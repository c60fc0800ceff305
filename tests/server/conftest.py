"""A running syndic on loopback (real HTTP), with the demo blog and a FakeClock.

The demo store is built once per session (as `syndic serve --demo` builds it) and copied for
each test, so each test starts from the same SQLite file without rendering it again."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from config import load_settings
from server.app import create_app
from server.clock import FakeClock
from tests.conftest import NOW

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


@pytest.fixture
async def demo(
    aiohttp_client: Callable[..., Awaitable[Client]],
    make_settings: Callable[..., Any],
    clock: FakeClock,
    demo_template: Path,
    tmp_path: Path,
) -> Client:
    """syndic serving the demo blog, as `syndic serve --demo` does."""
    shutil.copyfile(demo_template, tmp_path / "syndic.db")
    return await aiohttp_client(create_app(make_settings(), clock=clock, demo=True))
