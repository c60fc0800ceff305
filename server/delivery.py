"""The client side of the hub: verification of intent, deliveries to subscribers, publish
pings to external hubs, weblogUpdates pings. One aiohttp ClientSession, no redirects followed
(WebSub §5.3.1, §7: a redirect is a failure), a timeout per attempt, and a resolver that
refuses loopback, private and link-local addresses unless settings allow them
(server/address_guard.py: checked when connecting, so a name that changes its address after
the subscription is caught too, and so is an IP-literal callback)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from config import WebSubSettings
from feeds.models import Intent
from feeds.websub import (
    delivery_headers,
    new_challenge,
    ping_response_ok,
    publish_ping_form,
    verification_query,
    verification_succeeded,
    weblogs_extended_ping,
    weblogs_ping,
)
from server.address_guard import AddressGuard


@dataclass(frozen=True, slots=True)
class Attempt:
    status: int | None
    error: str | None
    duration_ms: int


class Sender:
    def __init__(self, settings: WebSubSettings, guard: AddressGuard | None = None) -> None:
        """`guard` None: AddressGuard() unless websub.allow_private_callbacks."""
        self.settings = settings
        if guard is None and not settings.allow_private_callbacks:
            guard = AddressGuard()
        limits: dict[str, Any] = {"limit": settings.delivery_concurrency, "ttl_dns_cache": 60}
        self._resolver = None
        if guard is None:
            connector = aiohttp.TCPConnector(**limits)
        else:
            connector, self._resolver = guard.connector(**limits)
        self.session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(
                total=settings.delivery_timeout_seconds),
            headers={"User-Agent": "syndic-hub/1 (WebSub)"})

    async def close(self) -> None:
        await self.session.close()
        if self._resolver is not None:
            await self._resolver.close()

    async def _call(self, method: str, url: str, **kwargs: Any) -> tuple[Attempt, bytes]:
        started = time.monotonic()
        try:
            async with self.session.request(method, url, allow_redirects=False,
                                            **kwargs) as resp:
                # Read a bounded answer: a challenge echo, or an XML-RPC struct.
                body = await resp.content.read(64 * 1024)
                status: int | None = resp.status
                error = None if 200 <= resp.status < 300 else f"HTTP {resp.status}"
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            status, body = None, b""
            error = f"{type(exc).__name__}: {exc}"[:500]
        duration = int((time.monotonic() - started) * 1000)
        return Attempt(status, error, duration), body

    async def verify(self, intent: Intent) -> Attempt:
        """Verification of intent (§5.3): GET with a single-use challenge; only a 2xx whose
        body is exactly the challenge verifies. For a denial (§5.2) any answer will do."""
        if intent.mode == "denied":
            url = verification_query(intent.callback, "denied", intent.topic.url, None, None,
                                     intent.reason)
            attempt, _ = await self._call("GET", url)
            return attempt
        challenge = new_challenge(secrets.token_bytes(24))
        # A label's move asks the subscriber to subscribe to the new URL (store/label_moves).
        mode = "subscribe" if intent.mode == "move" else intent.mode
        lease = intent.lease_seconds if mode == "subscribe" else None
        url = verification_query(intent.callback, mode, intent.topic.url, challenge, lease)
        attempt, body = await self._call("GET", url)
        if attempt.status is not None and not verification_succeeded(
                attempt.status, body, challenge):
            reason = attempt.error or "the answer was not the challenge"
            return Attempt(attempt.status, reason, attempt.duration_ms)
        return attempt

    async def deliver(self, callback: str, body: bytes, content_type: str, hub_url: str,
                      self_url: str, secret: str | None) -> Attempt:
        """Content distribution (§7): the whole new document, the topic's Content-Type,
        Link rel=hub and rel=self, X-Hub-Signature when the subscriber gave a secret."""
        headers = delivery_headers(content_type, hub_url, self_url, secret,
                                   self.settings.signature_method, body)
        attempt, _ = await self._call("POST", callback, data=body, headers=headers)
        return attempt

    async def publish(self, hub: str, topic: str) -> Attempt:
        attempt, _ = await self._call("POST", hub, data=publish_ping_form(topic))
        return attempt

    async def ping(self, service: str, name: str, site_url: str, feed_url: str) -> Attempt:
        """weblogUpdates.extendedPing, and weblogUpdates.ping when the service does not
        know the extended one (a fault or flerror)."""
        headers = {"Content-Type": "text/xml"}
        body = weblogs_extended_ping(name, site_url, site_url, feed_url)
        attempt, answer = await self._call("POST", service, data=body, headers=headers)
        if attempt.error is None and ping_response_ok(answer):
            return attempt
        attempt, answer = await self._call("POST", service, data=weblogs_ping(name, site_url),
                                           headers=headers)
        if attempt.error is None and not ping_response_ok(answer):
            return Attempt(attempt.status, "the ping service answered flerror",
                           attempt.duration_ms)
        return attempt

