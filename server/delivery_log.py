"""Failed deliveries in the log: one WARNING per failed attempt, at most one a minute per
target host (the ones held back are counted in the next), so that a subscriber that is down
for a day does not flood the log with its thousands of retries. It names the host, never the
whole callback URL (whose query may carry a token) nor the subscriber's secret."""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlsplit

from config import redact_urls_in
from feeds.models import Delivery

log = logging.getLogger("syndic.push")
EVERY_SECONDS = 60.0
MAX_HOSTS = 10_000
ERROR_CHARS = 200


def target_host(url: str) -> str:
    """The host (and port, if any) of a delivery's target; "?" for a URL that has none."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "?"
    if not host:
        return "?"
    return f"{host}:{port}" if port else host


def loggable_url(url: str) -> str:
    """A callback URL as the log shows it: without user info, query or fragment (a
    subscriber's callback may carry a token there)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "?"
    return f"{parts.scheme}://{target_host(url)}{parts.path}"


class FailureLog:
    """Counts failures per target host and says when one is to be logged."""

    def __init__(self, every_seconds: float = EVERY_SECONDS) -> None:
        self.every = every_seconds
        self.hosts: dict[str, tuple[datetime, int]] = {}
        """host -> (when its last line was logged, failures held back since)."""

    def failed(self, delivery: Delivery, status: int | None, error: str | None, state: str,
               retry_at: datetime | None, max_attempts: int, now: datetime) -> None:
        host = target_host(delivery.target)
        last = self.hosts.get(host)
        if last is not None and (now - last[0]).total_seconds() < self.every:
            self.hosts[host] = (last[0], last[1] + 1)
            return
        if len(self.hosts) >= MAX_HOSTS:
            self._forget_quiet(now)
        held_back = last[1] if last is not None else 0
        self.hosts[host] = (now, 0)
        what = error or (f"HTTP {status}" if status is not None else "failed")
        # An error message may quote the URL: the host instead, and no password.
        what = redact_urls_in(what.replace(delivery.target, host))[:ERROR_CHARS]
        attempt = delivery.attempts + 1
        if state == "pending" and retry_at is not None:
            then = f"attempt {attempt} of {max_attempts}, next at {retry_at:%Y-%m-%dT%H:%M:%SZ}"
        elif state == "gone":
            then = f"attempt {attempt}: the subscription ends (WebSub §7: 410 Gone)"
        else:
            then = f"attempt {attempt} of {max_attempts}: given up"
        more = (f" ({held_back} more failed to {host} since the last line)"
                if held_back else "")
        log.warning("%s delivery %d to %s failed: %s; %s; topic %s%s", delivery.kind.value,
                    delivery.id, host, what, then, delivery.topic.url, more)

    def _forget_quiet(self, now: datetime) -> None:
        """Hosts with nothing held back and no line within the minute are forgotten."""
        self.hosts = {host: seen for host, seen in self.hosts.items()
                      if seen[1] or (now - seen[0]).total_seconds() < self.every}
        while len(self.hosts) >= MAX_HOSTS:  # all busy: the oldest go, their counts lost
            del self.hosts[next(iter(self.hosts))]
