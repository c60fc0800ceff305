"""Stories about the hub's rules, each held to the W3C WebSub Recommendation
(https://www.w3.org/TR/websub/): who may subscribe, how intent is verified, what a delivery
carries and how it is retried, and what the ping services are told."""

from __future__ import annotations

import hashlib
import hmac
import xmlrpc.client
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from feeds.errors import FeedsError, InvalidInputError
from feeds.websub import (
    HubRequestError,
    Outcome,
    SubscriptionRequest,
    callback_host,
    clamp_lease,
    delivery_headers,
    delivery_outcome,
    is_private_address,
    lease_expires_at,
    new_challenge,
    next_attempt_at,
    parse_hub_request,
    ping_response_ok,
    publish_ping_form,
    should_retry,
    signature_header,
    verification_query,
    verification_succeeded,
    verification_unanswered,
    weblogs_extended_ping,
    weblogs_ping,
)

TOPIC = "https://blog.example.org/feeds/posts/default"
CALLBACK = "https://reader.example.net/push/7f3a9c"
HUB = "https://blog.example.org/hub"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def form(**overrides: str | None) -> dict[str, str]:
    base = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.callback": CALLBACK}
    for key, value in overrides.items():
        name = "hub." + key
        if value is None:
            base.pop(name, None)
        else:
            base[name] = value
    return base


def refused(field: str, **overrides: str | None) -> HubRequestError:
    with pytest.raises(HubRequestError) as info:
        parse_hub_request(form(**overrides))
    assert info.value.field == field
    return info.value


# --- §5.1 subscription requests ------------------------------------------------------------


def test_a_plain_subscription_request_is_taken_as_asked() -> None:
    request = parse_hub_request(form(lease_seconds="86400", secret="s3cret"))
    assert request == SubscriptionRequest("subscribe", CALLBACK, TOPIC, 86400, "s3cret")


def test_an_unsubscription_ignores_its_lease_seconds() -> None:
    # §5.1: hub.lease_seconds MAY be present for unsubscription and MUST be ignored by the hub.
    request = parse_hub_request(form(mode="unsubscribe", lease_seconds="nonsense"))
    assert request.mode == "unsubscribe"
    assert request.lease_seconds is None


def test_unknown_parameters_are_ignored() -> None:
    # §5.1: hubs MUST ignore additional request parameters they do not understand.
    request = parse_hub_request(form(verify="sync", verify_token="abc") | {"utm_source": "x"})
    assert request.callback == CALLBACK


def test_a_refusal_is_a_domain_input_error_naming_the_parameter() -> None:
    error = refused("hub.callback", callback=None)
    assert isinstance(error, InvalidInputError)
    assert isinstance(error, FeedsError)
    assert isinstance(error, ValueError)
    assert error.problem == "is required"


@pytest.mark.parametrize("missing", ["mode", "topic", "callback"])
def test_each_required_parameter_is_required(missing: str) -> None:
    refused(f"hub.{missing}", **{missing: None})
    refused(f"hub.{missing}", **{missing: ""})


def test_a_publish_ping_is_refused_with_a_reason() -> None:
    error = refused("hub.mode", mode="publish")
    assert "publish" in error.problem


@pytest.mark.parametrize("mode", ["Subscribe", "denied", "sub", "subscribe "])
def test_other_modes_are_refused(mode: str) -> None:
    refused("hub.mode", mode=mode)


def test_the_mode_is_judged_first_so_a_publish_ping_is_told_so() -> None:
    # A publisher's ping carries hub.url, no hub.callback: it must hear about hub.mode.
    refused("hub.mode", mode="publish", callback=None, url=TOPIC)


@pytest.mark.parametrize(
    "callback",
    [
        "reader.example.net/push",  # not absolute
        "/push",
        "ftp://reader.example.net/push",
        "javascript:alert(1)",
        "https:///push",  # no host
        "https://reader.example.net:99999/push",  # port out of range
        "https://reader.example.net/push me",  # whitespace
        "https://reader.example.net/push\n",
        "https://[::1/push",  # broken IPv6 literal
    ],
)
def test_a_callback_must_be_an_absolute_http_url(callback: str) -> None:
    refused("hub.callback", callback=callback)


def test_a_callback_with_a_fragment_is_refused() -> None:
    refused("hub.callback", callback=CALLBACK + "#frag")
    refused("hub.callback", callback=CALLBACK + "#")


def test_a_callback_of_2000_characters_is_taken_and_one_more_is_refused() -> None:
    callback = "https://reader.example.net/" + "a" * (2000 - len("https://reader.example.net/"))
    assert len(callback) == 2000
    assert parse_hub_request(form(callback=callback)).callback == callback
    refused("hub.callback", callback=callback + "a")


def test_http_callbacks_and_topics_are_allowed() -> None:
    # §5.1.1: the topic and callback URLs MAY use HTTP or HTTPS.
    request = parse_hub_request(
        form(callback="HTTP://reader.example.net/p?x=1", topic="http://t.example/")
    )
    assert request.callback == "HTTP://reader.example.net/p?x=1"


@pytest.mark.parametrize("topic", ["feeds/posts/default", "mailto:me@example.org", "https://"])
def test_a_topic_must_be_an_absolute_http_url(topic: str) -> None:
    refused("hub.topic", topic=topic)


@pytest.mark.parametrize(
    "lease", ["0", "-5", "1.5", "1e3", "abc", " 60", "+60", "6_0", "²", "9" * 19]
)
def test_lease_seconds_must_be_a_positive_decimal_integer(lease: str) -> None:
    # §5.1: "given as a positive decimal integer".
    refused("hub.lease_seconds", lease_seconds=lease)


def test_lease_seconds_absent_or_empty_means_not_asked() -> None:
    assert parse_hub_request(form()).lease_seconds is None
    assert parse_hub_request(form(lease_seconds="")).lease_seconds is None
    assert parse_hub_request(form(lease_seconds="007")).lease_seconds == 7


def test_a_secret_of_199_bytes_is_taken() -> None:
    assert parse_hub_request(form(secret="s" * 199)).secret == "s" * 199


def test_a_secret_of_200_bytes_is_refused() -> None:
    # §5.1: hub.secret "MUST be less than 200 bytes in length".
    refused("hub.secret", secret="s" * 200)


def test_a_secret_is_measured_in_utf8_bytes_not_characters() -> None:
    secret = "é" * 100  # 100 characters, 200 bytes
    refused("hub.secret", secret=secret)


def test_an_empty_secret_is_no_secret() -> None:
    assert parse_hub_request(form(secret="")).secret is None


# --- §5.3 leases and verification of intent -----------------------------------------------


def test_the_lease_is_clamped_to_the_hubs_policy() -> None:
    # §5.3.1: the hub MAY change the lease; it MUST NOT issue perpetual leases.
    assert clamp_lease(None, 3600, 864000, 86400) == 86400
    assert clamp_lease(10, 3600, 864000, 86400) == 3600
    assert clamp_lease(10**12, 3600, 864000, 86400) == 864000
    assert clamp_lease(7200, 3600, 864000, 86400) == 7200
    assert clamp_lease(None, 3600, 7200, 86400) == 7200  # even the default obeys the cap
    with pytest.raises(ValueError):
        clamp_lease(None, 0, 10, 5)
    with pytest.raises(ValueError):
        clamp_lease(None, 10, 5, 5)


def test_the_lease_is_measured_from_the_verification() -> None:
    assert lease_expires_at(NOW, 86400) == NOW + timedelta(days=1)
    with pytest.raises(ValueError):
        lease_expires_at(NOW, 0)


def test_a_challenge_is_url_safe_text_from_the_callers_random_bytes() -> None:
    challenge = new_challenge(bytes(range(250, 256)) * 4)
    assert challenge == new_challenge(bytes(range(250, 256)) * 4)  # pure
    assert set(challenge) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert new_challenge(b"\x00" * 32) != new_challenge(b"\x01" * 32)


def test_a_challenge_from_too_few_bytes_is_refused() -> None:
    # An empty challenge would let any empty 2xx body verify a subscription.
    with pytest.raises(ValueError):
        new_challenge(b"")
    with pytest.raises(ValueError):
        new_challenge(b"x" * 15)


def test_a_verification_carries_mode_topic_challenge_and_lease() -> None:
    url = verification_query(CALLBACK, "subscribe", TOPIC, "ch4ll", 86400)
    parts = urlsplit(url)
    assert url.startswith(CALLBACK + "?")
    assert parse_qsl(parts.query) == [
        ("hub.mode", "subscribe"),
        ("hub.topic", TOPIC),
        ("hub.challenge", "ch4ll"),
        ("hub.lease_seconds", "86400"),
    ]


def test_a_callbacks_own_query_string_is_kept_in_the_verification() -> None:
    # §5.1.1: hubs MUST preserve the query string, appending with "&".
    url = verification_query(CALLBACK + "?foo=bar&red=fish", "subscribe", TOPIC, "c", 60)
    assert url.startswith(CALLBACK + "?foo=bar&red=fish&hub.mode=subscribe&")
    assert parse_qsl(urlsplit(url).query)[:2] == [("foo", "bar"), ("red", "fish")]


def test_overlapping_parameters_of_the_callback_are_not_overwritten() -> None:
    # §5.1.1: existing parameters with overlapping names will not be overwritten.
    url = verification_query(CALLBACK + "?hub.mode=mine&x=%2F", "subscribe", TOPIC, "c", 60)
    assert url.startswith(CALLBACK + "?hub.mode=mine&x=%2F&hub.mode=subscribe")


@pytest.mark.parametrize("suffix", ["?", "?a=1&"])
def test_a_dangling_question_mark_or_ampersand_gets_no_second_separator(suffix: str) -> None:
    url = verification_query(CALLBACK + suffix, "unsubscribe", TOPIC, "c", None)
    assert (
        url
        == f"{CALLBACK}{suffix}hub.mode=unsubscribe&hub.topic=https%3A%2F%2Fblog.example.org%2Ffeeds%2Fposts%2Fdefault&hub.challenge=c"
    )


def test_a_callbacks_fragment_is_never_sent() -> None:
    url = verification_query(CALLBACK + "?a=1#frag", "unsubscribe", TOPIC, "c", None)
    assert "#" not in url
    assert url.startswith(CALLBACK + "?a=1&hub.mode=unsubscribe")


def test_a_denial_carries_mode_denied_topic_and_reason() -> None:
    # §5.2: hub.mode=denied, hub.topic, optional hub.reason.
    url = verification_query(CALLBACK + "?id=9", "denied", TOPIC, None, None, "callback is private")
    assert parse_qsl(urlsplit(url).query) == [
        ("id", "9"),
        ("hub.mode", "denied"),
        ("hub.topic", TOPIC),
        ("hub.reason", "callback is private"),
    ]
    assert "callback%20is%20private" in url


def test_verification_arguments_that_contradict_the_mode_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        verification_query(CALLBACK, "subscribe", TOPIC, "c", None)  # §5.3: lease MUST be given
    with pytest.raises(ValueError):
        verification_query(CALLBACK, "subscribe", TOPIC, None, 60)
    with pytest.raises(ValueError):
        verification_query(CALLBACK, "denied", TOPIC, "c", None)
    with pytest.raises(ValueError):
        verification_query(CALLBACK, "publish", TOPIC, "c", 60)


def test_a_2xx_echoing_the_challenge_verifies() -> None:
    assert verification_succeeded(200, b"abc123", "abc123")
    assert verification_succeeded(202, b"abc123", "abc123")


def test_a_302_is_a_failed_verification() -> None:
    # §5.3.1: other response codes (3xx, 4xx, 5xx) mean the verification failed.
    assert not verification_succeeded(302, b"abc123", "abc123")
    assert not verification_succeeded(404, b"abc123", "abc123")
    assert not verification_succeeded(500, b"abc123", "abc123")


def test_a_2xx_with_another_body_is_a_failed_verification() -> None:
    assert not verification_succeeded(200, b"abc123\n", "abc123")
    assert not verification_succeeded(200, b"", "abc123")
    assert not verification_succeeded(200, b"ABC123", "abc123")


# --- §7 content distribution ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["sha1", "sha256", "sha384", "sha512"])
def test_signatures_match_hmac_for_all_four_methods(method: str) -> None:
    # §7.1: X-Hub-Signature: method=hex HMAC of the body keyed with hub.secret.
    body = "<feed>żółw</feed>".encode()
    expected = hmac.new("sécret".encode(), body, getattr(hashlib, method)).hexdigest()
    assert signature_header(method, "sécret", body) == f"{method}={expected}"


@pytest.mark.parametrize("method", ["md5", "SHA256", "sha3_256", ""])
def test_an_unknown_signature_method_is_refused(method: str) -> None:
    with pytest.raises(ValueError):
        signature_header(method, "s", b"x")


def test_a_delivery_carries_the_topics_content_type_and_the_hub_and_self_links() -> None:
    headers = delivery_headers(
        "application/atom+xml; charset=utf-8", HUB, TOPIC, None, "sha256", b"x"
    )
    assert headers == {
        "Content-Type": "application/atom+xml; charset=utf-8",
        "Link": f'<{HUB}>; rel="hub", <{TOPIC}>; rel="self"',
    }


def test_a_delivery_is_signed_only_with_a_secret() -> None:
    body = b"<feed/>"
    signed = delivery_headers("application/feed+json", HUB, TOPIC, "k", "sha512", body)
    assert signed["X-Hub-Signature"] == signature_header("sha512", "k", body)
    assert "X-Hub-Signature" not in delivery_headers(
        "application/feed+json", HUB, TOPIC, "", "sha512", body
    )


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_any_2xx_is_delivered(status: int) -> None:
    assert delivery_outcome(status) is Outcome.DELIVERED


def test_a_410_ends_the_subscription() -> None:
    # §7: a 410 indicates the subscription has been deleted; the hub MAY terminate it.
    assert delivery_outcome(410) is Outcome.GONE
    assert str(Outcome.GONE) == "gone"


@pytest.mark.parametrize("status", [None, 100, 301, 302, 307, 308, 400, 404, 429, 500, 503])
def test_everything_else_failed_redirects_included(status: int | None) -> None:
    # §7: subscribers MUST NOT use HTTP redirects for moving subscriptions.
    assert delivery_outcome(status) is Outcome.FAILED


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [(next_attempt_at(n, NOW, 30, 3600, 0.0) - NOW).total_seconds() for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_jitter_stretches_the_capped_delay() -> None:
    assert next_attempt_at(1, NOW, 30, 3600, 0.5) == NOW + timedelta(seconds=45)
    assert next_attempt_at(50, NOW, 30, 3600, 0.25) == NOW + timedelta(seconds=4500)


def test_a_huge_attempt_count_stays_at_the_cap() -> None:
    assert next_attempt_at(10**6, NOW, 30, 3600, 0.0) == NOW + timedelta(hours=1)


@pytest.mark.parametrize(("attempts", "jitter"), [(0, 0.0), (1, 1.0), (1, -0.1)])
def test_backoff_arguments_out_of_range_are_refused(attempts: int, jitter: float) -> None:
    with pytest.raises(ValueError):
        next_attempt_at(attempts, NOW, 30, 3600, jitter)


def test_retries_stop_at_the_limit() -> None:
    # §7: hubs SHOULD retry up to self-imposed limits.
    assert should_retry(1, 8)
    assert should_retry(7, 8)
    assert not should_retry(8, 8)
    assert not should_retry(9, 8)


# --- callbacks that must not be reached -----------------------------------------------------


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "169.254.169.254", "100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3", "224.0.0.1",
        "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.0.8", "198.18.0.1",
        "192.0.2.1", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "fe80::1%eth0",
        "fec0::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
        "::ffff:0.0.0.0", "::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "2001:db8::1",
    ],
)  # fmt: skip
def test_private_addresses_are_refused(ip: str) -> None:
    assert is_private_address(ip)


@pytest.mark.parametrize(
    "ip", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_allowed(ip: str) -> None:
    assert not is_private_address(ip)


def test_a_host_name_is_not_an_address() -> None:
    with pytest.raises(ValueError):
        is_private_address("localhost")


def test_the_callback_host_is_lowercased_for_per_host_limits() -> None:
    assert callback_host("https://Reader.EXAMPLE.net:8443/push?x=1") == "reader.example.net"
    assert callback_host("https://reader.example.net./push") == "reader.example.net"
    assert callback_host("http://[::1]:8080/cb") == "::1"
    with pytest.raises(HubRequestError):
        callback_host("/push")


# --- telling others -------------------------------------------------------------------------


def test_a_publish_ping_names_the_topic_both_ways() -> None:
    assert publish_ping_form(TOPIC) == {"hub.mode": "publish", "hub.url": TOPIC, "hub.topic": TOPIC}


def test_the_extended_ping_body_round_trips_through_xmlrpc() -> None:
    body = weblogs_extended_ping(
        "I ♥ São Paulo & <co>", "https://b.example/", "https://b.example/changes", TOPIC
    )
    assert body.startswith(b"<?xml")
    params, method = xmlrpc.client.loads(body)
    assert method == "weblogUpdates.extendedPing"
    assert params == (
        "I ♥ São Paulo & <co>",
        "https://b.example/",
        "https://b.example/changes",
        TOPIC,
    )


def test_the_plain_ping_body_round_trips_through_xmlrpc() -> None:
    params, method = xmlrpc.client.loads(weblogs_ping("My blog", "https://b.example/"))
    assert (params, method) == (("My blog", "https://b.example/"), "weblogUpdates.ping")


def test_a_name_with_xml_illegal_characters_still_makes_a_well_formed_ping() -> None:
    params, _ = xmlrpc.client.loads(weblogs_ping("My\x0bblog\x00", "https://b.example/"))
    assert params[0] == "My blog"


def response(struct: str) -> bytes:
    return (
        "<?xml version='1.0'?><methodResponse><params><param><value><struct>"
        f"{struct}</struct></value></param></params></methodResponse>"
    ).encode()


def member(name: str, value: str) -> str:
    return f"<member><name>{name}</name><value>{value}</value></member>"


def test_a_ping_answered_with_flerror_false_is_ok() -> None:
    ok = {"flerror": False, "message": "Thanks for the ping."}
    assert ping_response_ok(xmlrpc.client.dumps((ok,), methodresponse=True).encode())
    assert ping_response_ok(response(member("flerror", "<boolean>0</boolean>")))
    assert ping_response_ok(response(member("flerror", "<int>0</int>")))


@pytest.mark.parametrize(
    "body",
    [
        response(member("flerror", "<boolean>1</boolean>") + member("message", "Slow down")),
        response(member("message", "Thanks")),  # no flerror
        response(member("flerror", "<string>0</string>")),
        xmlrpc.client.dumps(xmlrpc.client.Fault(500, "boom"), methodresponse=True).encode(),
        xmlrpc.client.dumps(("not a struct",), methodresponse=True).encode(),
        weblogs_ping("a call, not a response", "https://b.example/"),
        b"",
        b"Thanks for the ping.",
        b"<html><body>502 Bad Gateway</body></html>",
        b"<?xml version='1.0'?><methodResponse><params><param><value><int>x</int>",
    ],
)
def test_anything_but_flerror_false_is_not_ok(body: bytes) -> None:
    assert not ping_response_ok(body)


def test_a_verification_unanswered_is_told_from_one_the_subscriber_refused() -> None:
    # §5.3.1: a 404 is the subscriber's "no"; a redirect or another 4xx is a failure it
    # answered. No response, a 5xx, 408 or 429 said nothing yet: a move asks again.
    for status in (None, 500, 502, 503, 408, 429):
        assert verification_unanswered(status), status
    for status in (200, 302, 400, 403, 404, 410):
        assert not verification_unanswered(status), status
