"""The OpenAPI document: served publicly, a well-formed OpenAPI 3.1 document, in step with the
route table, and the running API conforms to it (schemathesis against a real server on
loopback, bounded and deterministic)."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from jsonschema import Draft202012Validator
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks as oas_checks

from config import load_settings
from server.app import create_app
from server.clock import FakeClock
from server.fastpath import FastSite
from server.openapi import PATHS, SCHEMAS, openapi_document
from server.routes import ROUTES
from tests.conftest import NOW
from tests.server.api_conftest import AUTH, TOKEN, Api

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
OPERATIONS = [f"{m.upper()} {p}" for p, ops in PATHS.items() for m in ops]


def api_routes() -> set[tuple[str, str]]:
    out = set()
    for route in ROUTES:
        assert isinstance(route, web.RouteDef)
        if route.path.startswith("/api/"):
            out.add((route.method, re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.path)))
    return out


def test_every_api_route_is_documented_and_every_documented_operation_is_routed() -> None:
    documented = {(m.upper(), p) for p, ops in PATHS.items() for m in ops}
    assert api_routes() - {("GET", "/api/openapi.json")} == documented
    for path, ops in PATHS.items():
        names = set(re.findall(r"\{(\w+)\}", path))
        for method, op in ops.items():
            in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert in_path == names, (method, path)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


async def test_the_document_is_served_publicly_and_is_well_formed_openapi_3_1(
    api: Api,
) -> None:
    reply = await api.get("/api/openapi.json", auth=False, expect=200)
    assert reply.headers["Content-Type"].startswith("application/json")
    doc = reply.json
    assert doc == openapi_document()
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http",
                                                              "scheme": "bearer"}
    assert doc["security"] == [{"bearer": []}]
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
        assert re.fullmatch(r"[A-Za-z0-9._-]+", name)
    for ref in _refs(doc):
        prefix, _, name = ref.rpartition("/")
        assert prefix == "#/components/schemas" and name in doc["components"]["schemas"], ref
    operation_ids = set()
    for path, ops in doc["paths"].items():
        assert path.startswith("/api/")
        for method, op in ops.items():
            assert method in METHODS
            operation_ids.add((method, path))
            assert op["responses"] and op["summary"]
            for code, response in op["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", code) and response["description"]
                for media, content in response.get("content", {}).items():
                    assert "/" in media and "schema" in content
            seen = set()
            for param in op.get("parameters", []):
                assert param["in"] in ("query", "header", "path", "cookie")
                assert "schema" in param and (param["name"], param["in"]) not in seen
                seen.add((param["name"], param["in"]))
                if param["in"] == "path":
                    assert param["required"] is True
                Draft202012Validator.check_schema(param["schema"])
            if "requestBody" in op:
                assert op["requestBody"]["content"]
            if method in ("get", "delete"):
                assert "requestBody" not in op
    assert len(operation_ids) == len(OPERATIONS)
    # The request schemas the handlers validate with are the document's.
    assert doc["components"]["schemas"] == SCHEMAS


# -- schemathesis against a running server ------------------------------------------------


class Errors(logging.Handler):
    """ERROR records logged while the server runs: a failed regeneration, a crash."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class LiveServer:
    """syndic on loopback in a thread of its own (schemathesis calls it with `requests`)."""

    def __init__(self, db: Path) -> None:
        self.handler = Errors()
        logging.getLogger().addHandler(self.handler)
        settings_ = load_settings(environ={}, overrides={
            "storage": {"url": f"sqlite:///{db}"},
            "server": {"public_url": "http://blog.test", "access_log": False},
            "feeds": {"change_poll_seconds": 0.5},
            "api": {"tokens": [TOKEN], "max_body_bytes": 65536, "bulk_max_items": 20},
        })
        self.loop = asyncio.new_event_loop()
        # The loop runs in its thread from the start: a task that start-up leaves under way
        # (compressing what it loaded) must not move threads in the middle of a query.
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner = web.AppRunner(create_app(settings_, clock=FakeClock(NOW)))
        asyncio.run_coroutine_threadsafe(self.runner.setup(), self.loop).result(60)
        site = FastSite(self.runner, "127.0.0.1", 0)
        asyncio.run_coroutine_threadsafe(site.start(), self.loop).result(60)
        self.url = f"http://127.0.0.1:{site.port}"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
        logging.getLogger().removeHandler(self.handler)


def seed(url: str) -> None:
    """A little of everything, so generated ids (1, 2, ...) find things."""
    s = requests.Session()
    s.headers.update(AUTH)
    for i in range(3):
        r = s.post(f"{url}/api/posts", json={"title": f"Seed {i}", "labels": ["seed"]})
        assert r.status_code == 201, r.text
        r = s.post(f"{url}/api/posts/{r.json()['id']}/comments",
                   json={"author": "Bob", "content_html": "<p>Hi</p>"})
        assert r.status_code == 201, r.text
    r = s.post(f"{url}/api/sites", json={"host": "seed.test", "title": "Seed site"})
    assert r.status_code == 201, r.text


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    running = LiveServer(tmp_path_factory.mktemp("live") / "syndic.db")
    try:
        seed(running.url)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def live(server: LiveServer) -> str:
    return server.url


@pytest.fixture(scope="module")
def schema(live: str) -> Any:
    # Loaded from the running server, as a client would.
    return schemathesis.openapi.from_url(f"{live}/api/openapi.json")


CHECKS = [oas_checks.status_code_conformance, oas_checks.content_type_conformance,
          oas_checks.response_schema_conformance, oas_checks.response_headers_conformance,
          oas_checks.ignored_auth]
ALL = [schemathesis.checks.not_a_server_error, *CHECKS]
NEGATIVE = [schemathesis.checks.not_a_server_error,
            oas_checks.status_code_conformance, oas_checks.content_type_conformance,
            oas_checks.negative_data_rejection]
# A bulk create answers 200 with each bad item's error (one bad item sinks nothing): an
# array of invalid posts is not rejected as a whole, by design.
NEGATIVE_BULK = [c for c in NEGATIVE if c is not oas_checks.negative_data_rejection]


def _fuzz(live: str, operation: Any, mode: GenerationMode, checks: list[Any]) -> None:
    @settings(max_examples=20, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(base_url=live, headers=AUTH, timeout=30)
        case.validate_response(response, checks=checks, headers=AUTH,
                               transport_kwargs={"base_url": live, "headers": AUTH})

    run()


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_running_api_conforms_to_its_document(live: str, schema: Any, label: str) -> None:
    """Each operation, positive and negative data, 20 examples each, derandomized."""
    method, path = label.split(" ", 1)
    operation = schema[path][method]
    started = time.monotonic()
    _fuzz(live, operation, GenerationMode.POSITIVE, ALL)
    _fuzz(live, operation, GenerationMode.NEGATIVE,
          NEGATIVE_BULK if path == "/api/posts/bulk" else NEGATIVE)
    assert time.monotonic() - started < 30


def test_after_the_fuzzing_nothing_failed_and_the_feeds_still_regenerate(
    server: LiveServer,
) -> None:
    """Runs after the operations above (same module, same server)."""
    created = requests.post(f"{server.url}/api/posts", json={"title": "After the storm"},
                            headers=AUTH, timeout=30)
    assert created.status_code == 201, created.text
    deadline = time.monotonic() + 10
    while "After the storm" not in requests.get(f"{server.url}/feeds/posts/default",
                                                timeout=30).text:
        assert time.monotonic() < deadline, "the feed no longer regenerates"
        time.sleep(0.1)
    assert [r.getMessage() for r in server.handler.records] == []
