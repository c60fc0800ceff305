"""Hub rules as pure functions: validate a request, lease math, challenge, signature, backoff
schedule, what a delivery must carry. No I/O, no clock: `now` and randomness come in as
arguments. Sections cited are those of the W3C WebSub Recommendation
(https://www.w3.org/TR/websub/)."""

from __future__ import annotations

import base64
import hmac
import ipaddress
import xmlrpc.client
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal
from urllib.parse import quote, urlencode, urlsplit
from xml.parsers.expat import ExpatError

from feeds.content import clean_text
from feeds.errors import InvalidInputError

MAX_URL_LENGTH = 2000
MAX_SECRET_BYTES = 200  # WebSub §5.1: hub.secret "MUST be less than 200 bytes in length"
MIN_CHALLENGE_BYTES = 16
# WebSub §7.1.1: the recognized algorithm names (also hashlib's names for them).
SIGNATURE_METHODS: frozenset[str] = frozenset({"sha1", "sha256", "sha384", "sha512"})

Mode = Literal["subscribe", "unsubscribe"]
_MODES: Mapping[str, Mode] = {"subscribe": "subscribe", "unsubscribe": "unsubscribe"}


class HubRequestError(InvalidInputError):
    """A refused hub request: `field` is the hub.* parameter, `problem` a plain-text reason
    (WebSub §5.1.2: a 4xx with a plain-text description of the error)."""


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    mode: Mode
    callback: str
    topic: str
    lease_seconds: int | None  # as asked; None when not asked (or for an unsubscription)
    secret: str | None


def _http_url(form: Mapping[str, str], field: str) -> str:
    raw = form.get(field, "")
    if not raw:
        raise HubRequestError(field, "is required")
    if len(raw) > MAX_URL_LENGTH:
        raise HubRequestError(field, f"is longer than {MAX_URL_LENGTH} characters")
    if any(ch <= " " or ch == "\x7f" for ch in raw):
        raise HubRequestError(field, "must not contain spaces or control characters")
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError on a port out of range or not a number
    except ValueError as exc:
        raise HubRequestError(field, f"is not a valid URL ({exc})") from None
    # WebSub §5.1.1: the topic and callback URLs MAY use HTTP or HTTPS schemes.
    if parts.scheme.lower() not in ("http", "https"):
        raise HubRequestError(field, "must be an absolute http or https URL")
    if not parts.hostname:
        raise HubRequestError(field, "must name a host")
    return raw


def _lease_seconds(raw: str) -> int:
    # WebSub §5.1: "given as a positive decimal integer". ASCII digits only: str.isdigit()
    # would take "²", int() would take " 5", "+5" and "5_0".
    if not raw.isascii() or not raw.isdigit():
        raise HubRequestError("hub.lease_seconds", "must be a positive whole number of seconds")
    if len(raw.lstrip("0")) > 18:
        raise HubRequestError("hub.lease_seconds", "is too large")
    value = int(raw)
    if value <= 0:
        raise HubRequestError("hub.lease_seconds", "must be a positive whole number of seconds")
    return value


def parse_hub_request(form: Mapping[str, str]) -> SubscriptionRequest:
    """A subscription request (WebSub §5.1) from the hub's form body, or HubRequestError.

    Parameters the hub does not understand are ignored (§5.1: hubs MUST ignore them)."""
    asked_mode = form.get("hub.mode", "")
    if not asked_mode:
        raise HubRequestError("hub.mode", "is required")
    if asked_mode == "publish":
        raise HubRequestError(
            "hub.mode", "publish notifications are not accepted: this hub publishes its own topics"
        )
    mode = _MODES.get(asked_mode)
    if mode is None:
        raise HubRequestError("hub.mode", 'must be "subscribe" or "unsubscribe"')
    topic = _http_url(form, "hub.topic")
    callback = _http_url(form, "hub.callback")
    if "#" in callback:
        raise HubRequestError("hub.callback", "must not have a fragment")
    # WebSub §5.1: hub.lease_seconds MAY be present for unsubscription and MUST be ignored.
    lease = form.get("hub.lease_seconds", "")
    lease_seconds = _lease_seconds(lease) if lease and mode == "subscribe" else None
    secret = form.get("hub.secret", "") or None
    if secret is not None and len(secret.encode("utf-8")) >= MAX_SECRET_BYTES:
        raise HubRequestError("hub.secret", f"must be less than {MAX_SECRET_BYTES} bytes")
    return SubscriptionRequest(mode, callback, topic, lease_seconds, secret)


def clamp_lease(asked: int | None, minimum: int, maximum: int, default: int) -> int:
    """The lease the hub grants. WebSub §5.3.1: the hub MAY change the asked value by policy
    and MUST NOT issue perpetual leases; §5.1: it MAY set a default when none is asked."""
    if not 0 < minimum <= maximum:
        raise ValueError(f"lease bounds must satisfy 0 < minimum <= maximum: {minimum}, {maximum}")
    return min(max(default if asked is None else asked, minimum), maximum)


def new_challenge(random_bytes: bytes) -> str:
    """WebSub §5.3 hub.challenge: URL-safe text from the caller's random bytes."""
    # An empty (or short, guessable) challenge would let any 2xx with that body verify.
    if len(random_bytes) < MIN_CHALLENGE_BYTES:
        raise ValueError(f"a challenge needs at least {MIN_CHALLENGE_BYTES} random bytes")
    return base64.urlsafe_b64encode(random_bytes).rstrip(b"=").decode("ascii")


def verification_query(
    callback: str,
    mode: str,
    topic: str,
    challenge: str | None,
    lease_seconds: int | None,
    reason: str | None = None,
) -> str:
    """The GET URL for verification of intent (WebSub §5.3, mode subscribe/unsubscribe) or for
    a denial (§5.2, mode "denied" with an optional hub.reason)."""
    if mode == "denied":
        if challenge is not None or lease_seconds is not None:
            raise ValueError("a denial carries no challenge and no lease")
    elif mode in ("subscribe", "unsubscribe"):
        if challenge is None or reason is not None:
            raise ValueError("a verification carries a challenge and no reason")
        # WebSub §5.3: hubs MUST supply hub.lease_seconds when hub.mode is "subscribe".
        if mode == "subscribe" and lease_seconds is None:
            raise ValueError("a subscribe verification must carry hub.lease_seconds")
    else:
        raise ValueError(f"unknown verification mode {mode!r}")
    params = [("hub.mode", mode), ("hub.topic", topic)]
    if challenge is not None:
        params.append(("hub.challenge", challenge))
    if lease_seconds is not None:
        params.append(("hub.lease_seconds", str(lease_seconds)))
    if reason is not None:
        params.append(("hub.reason", reason))
    # WebSub §5.1.1: the callback's own query string is preserved and ours appended with "&";
    # its parameters are kept as they are even where names overlap. A fragment is never sent.
    base = callback.partition("#")[0]
    if "?" not in base:
        separator = "?"
    elif base.endswith(("?", "&")):
        separator = ""
    else:
        separator = "&"
    return base + separator + urlencode(params, quote_via=quote)


def verification_succeeded(status: int, body: bytes, challenge: str) -> bool:
    """WebSub §5.3.1: a 2xx whose body is exactly the challenge; every other status (3xx
    included: redirects are not followed) and any other body is a failed verification."""
    return 200 <= status < 300 and body == challenge.encode("utf-8")


def verification_unanswered(status: int | None) -> bool:
    """Whether a failed verification got no answer from the subscriber itself: no response
    (a network error, a timeout), a 5xx, 408 or 429. Every other failure is its answer
    (§5.3.1: a 404 when it does not agree; a redirect or another body is a failure too)."""
    return status is None or status >= 500 or status in (408, 429)


def signature_header(method: str, secret: str, body: bytes) -> str:
    """The X-Hub-Signature value, "method=hexdigest" (WebSub §7.1): HMAC of the request body
    keyed with hub.secret."""
    if method not in SIGNATURE_METHODS:
        known = ", ".join(sorted(SIGNATURE_METHODS))
        raise ValueError(f"unknown signature method {method!r}; use one of {known}")
    return f"{method}={hmac.new(secret.encode('utf-8'), body, method).hexdigest()}"


def delivery_headers(
    content_type: str, hub_url: str, self_url: str, secret: str | None, method: str, body: bytes
) -> dict[str, str]:
    """What a content distribution request must carry (WebSub §7): the topic's Content-Type,
    rel=hub and rel=self links (combined into one Link header, as §7 recommends), and an
    X-Hub-Signature when the subscriber gave a secret (§7.1)."""
    headers = {
        "Content-Type": content_type,
        "Link": f'<{hub_url}>; rel="hub", <{self_url}>; rel="self"',
    }
    if secret:  # parse_hub_request turns an empty hub.secret into None
        headers["X-Hub-Signature"] = signature_header(method, secret, body)
    return headers


class Outcome(StrEnum):
    DELIVERED = "delivered"
    GONE = "gone"
    FAILED = "failed"


def delivery_outcome(status: int | None) -> Outcome:
    """WebSub §7: a 2xx is success; a 410 says the subscription has been deleted (the hub MAY
    terminate it); every other code is a failure ("subscribers MUST NOT use HTTP redirects
    for moving subscriptions"). None is a network error or timeout."""
    if status is None:
        return Outcome.FAILED
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if status == 410:
        return Outcome.GONE
    return Outcome.FAILED


def next_attempt_at(
    attempts: int, now: datetime, base_seconds: float, max_seconds: float, jitter: float
) -> datetime:
    """When to try again after `attempts` failed attempts: base * 2**(attempts-1), capped at
    max_seconds, then stretched by (1 + jitter). WebSub §7: hubs SHOULD retry up to
    self-imposed limits on the number of times and the overall time period."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    if not 0.0 <= jitter < 1.0:
        raise ValueError(f"jitter must be in [0, 1), not {jitter}")
    if base_seconds < 0 or max_seconds < 0:
        raise ValueError("backoff seconds must not be negative")
    # The exponent is bounded so a huge attempt count cannot overflow the float.
    delay = min(base_seconds * 2.0 ** min(attempts - 1, 1000), max_seconds)
    return now + timedelta(seconds=delay * (1.0 + jitter))


def should_retry(attempts: int, max_attempts: int) -> bool:
    """Whether a delivery that has failed `attempts` times gets another try."""
    return attempts < max_attempts


def lease_expires_at(now: datetime, lease_seconds: int) -> datetime:
    """WebSub §5.3: the lease is measured from the time the verification request was made."""
    if lease_seconds <= 0:
        raise ValueError(f"a lease must be positive, not {lease_seconds}")
    return now + timedelta(seconds=lease_seconds)


# Not global, yet some Python versions call them global (or not private).
_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4",
        "fc00::/7", "fe80::/10", "fec0::/10",
    )
)  # fmt: skip
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_private_address(ip: str) -> bool:
    """Whether a callback resolving to `ip` must be refused: anything but a global unicast
    address. IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4) are judged by it.
    ValueError if `ip` is not an IP address."""
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = addr.ipv4_mapped or addr.sixtofour
        if embedded is None and addr in _NAT64:
            embedded = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if embedded is not None:
            return is_private_address(str(embedded))
    return (
        not addr.is_global
        or addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_reserved
        or addr.is_multicast
        or addr.is_unspecified
        or any(addr.version == net.version and addr in net for net in _BLOCKED_NETWORKS)
    )


def callback_host(callback: str) -> str:
    """The callback's host, lower-cased and without a trailing dot, for per-host limits."""
    host = urlsplit(callback).hostname
    if not host:
        raise HubRequestError("hub.callback", "must name a host")
    return host.rstrip(".")


def publish_ping_form(hub_topic: str) -> dict[str, str]:
    """The body of a publish notification to an external hub. WebSub §6 leaves the mechanism
    open; public hubs take hub.mode=publish with hub.url, some read hub.topic: send both."""
    return {"hub.mode": "publish", "hub.url": hub_topic, "hub.topic": hub_topic}


def _xmlrpc_call(methodname: str, params: tuple[str, ...]) -> bytes:
    # XML 1.0 forbids some characters outright; a name carrying one would spoil the body.
    cleaned = tuple(clean_text(param) for param in params)
    return xmlrpc.client.dumps(cleaned, methodname=methodname, encoding="utf-8").encode("utf-8")


def weblogs_extended_ping(name: str, site_url: str, changes_url: str, feed_url: str) -> bytes:
    """An XML-RPC weblogUpdates.extendedPing request body: site name, site URL, the page to
    check for changes, the feed URL, in that order (weblogs.com ping API)."""
    return _xmlrpc_call("weblogUpdates.extendedPing", (name, site_url, changes_url, feed_url))


def weblogs_ping(name: str, site_url: str) -> bytes:
    """An XML-RPC weblogUpdates.ping request body: site name and site URL."""
    return _xmlrpc_call("weblogUpdates.ping", (name, site_url))


def ping_response_ok(body: bytes) -> bool:
    """Whether a ping service accepted the ping: a methodResponse whose one value is a struct
    with flerror false. A Fault, flerror true or missing, or anything unparseable is not."""
    try:
        params, methodname = xmlrpc.client.loads(body)
    except (xmlrpc.client.Error, ExpatError, ValueError, TypeError, LookupError):
        return False
    if methodname is not None or len(params) != 1 or not isinstance(params[0], dict):
        return False
    flerror = params[0].get("flerror")
    return isinstance(flerror, int) and not flerror  # bool is an int; some send <int>0</int>
