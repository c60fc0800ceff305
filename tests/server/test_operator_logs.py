"""What an operator reads in the log: a failed delivery once, at WARNING, with where it went
and what comes next, and never a subscriber's secret; no SQL statements (and their
parameters) at DEBUG unless storage.echo asks; no APScheduler warning for a run skipped
while the last one works; who asked for what, on which site, in the access log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES

from config import Settings
from feeds.models import Delivery, DeliveryKind, FeedFormat, Topic
from server.access_log import LogBuffer, access_line
from server.delivery_log import FailureLog
from server.keys import SETTINGS
from server.log_setup import QUIET, configure_logging
from server.scheduler import JOB_STATE, SCHEDULER
from tests.server.api_conftest import Api
from tests.server.test_hub_faults import FAULTS, publish, subscribed, wait_state
from tests.server.websub_subscriber import Subscriber, start_subscriber

SECRET = "s3cret-of-the-subscriber"


@pytest.fixture
def restore_levels() -> Iterator[None]:
    saved = {name: logging.getLogger(name).level for name in [*QUIET, ""]}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
async def subscriber() -> Subscriber:  # type: ignore[misc]
    sub = await start_subscriber()
    yield sub
    await sub.server.close()


async def test_a_failed_delivery_is_one_warning_saying_where_and_what_next_never_the_secret(
    make_api: Callable[..., Awaitable[Api]], subscriber: Subscriber,
    caplog: pytest.LogCaptureFixture, restore_levels: None,
) -> None:
    hub = await make_api(**FAULTS)
    await subscribed(hub, subscriber, **{"hub.secret": SECRET})
    caplog.set_level(logging.DEBUG)
    configure_logging(_debug_settings(hub))
    subscriber.statuses = [500]
    await publish(hub, "Refused once")
    await wait_state(hub, subscriber, "pending", 1)
    await asyncio.sleep(0.2)
    failed = [r for r in caplog.records if r.name == "syndic.push"
              and r.levelno == logging.WARNING]
    assert len(failed) == 1, [r.getMessage() for r in failed]
    line = failed[0].getMessage()
    host = f"127.0.0.1:{subscriber.server.port}"
    assert "websub delivery" in line and f"to {host} failed: HTTP 500" in line
    assert "attempt 1 of 3, next at " in line and "/feeds/posts/default" in line
    # Nothing logged carries the secret, nor a statement of the libraries below the store.
    assert SECRET not in caplog.text
    assert not [r for r in caplog.records
                if r.name.startswith(("aiosqlite", "sqlalchemy.engine", "asyncpg"))]


def _debug_settings(hub: Api) -> Settings:
    """The hub's settings at logging.level = DEBUG."""
    settings = hub.app[SETTINGS]
    return replace(settings, logging=replace(settings.logging, level="DEBUG"))


def _delivery(target: str, attempts: int = 0) -> Delivery:
    topic = Topic(1, "/feeds/posts/default", FeedFormat.ATOM, "http://blog.test/feeds/posts/default")
    return Delivery(7, DeliveryKind.WEBSUB, topic, 3, target, "etag", "sending", attempts,
                    datetime(2026, 1, 1, tzinfo=UTC), secret=SECRET)


def test_a_subscriber_down_for_long_is_a_line_a_minute_with_a_count_not_a_flood(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "syndic.push")
    failures, now = FailureLog(), datetime(2026, 1, 1, tzinfo=UTC)
    target = "https://user:pw@hooks.example.com/cb?token=abc"
    for i in range(100):
        failures.failed(_delivery(target, attempts=i % 8), None,
                        f"ClientConnectorError: Cannot connect to {target}", "pending",
                        now + timedelta(seconds=30), 8, now + timedelta(seconds=i / 10))
    failures.failed(_delivery(target), 410, "HTTP 410", "gone", None, 8,
                    now + timedelta(seconds=61))
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "to hooks.example.com failed: ClientConnectorError: Cannot connect to " \
           "hooks.example.com; attempt 1 of 8, next at 2026-01-01T00:00:30Z" in lines[0]
    assert "HTTP 410; attempt 1: the subscription ends" in lines[1]
    assert "(99 more failed to hooks.example.com since the last line)" in lines[1]
    assert not any(secret in caplog.text for secret in (SECRET, "pw", "token=abc"))


def test_at_debug_the_database_drivers_still_log_no_statements(restore_levels: None) -> None:
    from config import load_settings

    configure_logging(load_settings(environ={"SYNDIC_LOGGING__LEVEL": "DEBUG"}))
    for name in ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.engine.Engine"):
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
    assert not logging.getLogger("sqlalchemy.engine").isEnabledFor(logging.INFO)
    assert logging.getLogger("syndic.push").isEnabledFor(logging.DEBUG)


async def test_a_run_skipped_while_the_last_one_works_is_not_a_warning(
    make_api: Callable[..., Awaitable[Api]], caplog: pytest.LogCaptureFixture,
) -> None:
    api = await make_api(feeds={"change_poll_seconds": 0.02})
    skipped: list[str] = []
    api.app[SCHEDULER].add_listener(lambda event: skipped.append(event.job_id),
                                    EVENT_JOB_MAX_INSTANCES)
    caplog.set_level(logging.DEBUG, "apscheduler")
    async with api.app[JOB_STATE].running:  # a slow regeneration of the site feeds
        await asyncio.sleep(0.4)
    assert "regenerate_site_feeds" in skipped  # APScheduler did skip runs...
    assert "skipped: maximum number of running instances" not in caplog.text  # ...quietly
    # Another warning of the same logger still shows.
    logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
    assert "was missed" in caplog.text


def test_the_access_line_is_combined_log_format_with_the_host_and_quotes_escaped() -> None:
    buffer = LogBuffer(None)  # type: ignore[arg-type]
    line = access_line(buffer, "192.0.2.7", "GET", "/feed.atom?x=\"1\"", "1.1", 200, 5120, 0.31,
                       "blog.example.com", None, 'Reader "2" \\ \r\nInjected: é')
    assert line == (f'192.0.2.7 - - [{buffer.now_text()}] "GET /feed.atom?x=\\"1\\" HTTP/1.1" '
                    '200 5120 "-" "Reader \\"2\\" \\\\ \\x0D\\x0AInjected: \\xC3\\xA9" '
                    '"blog.example.com" 0.31ms\n')
    assert line.count("\n") == 1
