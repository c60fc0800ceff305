"""A request body is checked by jsonschema-rs and explained by jsonschema
(server/api_input.check): whatever body a client sends, the two give the same verdict, and
a refusal still names the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.errors import InvalidInputError
from feeds.models import FeedMode, Site
from server.api_drafts import post_draft
from server.api_input import _VALIDATORS, check
from server.api_schemas import SCHEMAS, SPACE

_SCALARS = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(st.characters(codec="utf-8"), max_size=12)
            | st.sampled_from(["", "x", "full", "published", "draft", "2026-12-07T10:00:00Z",
                               "http://blog.example.com", "example.com", "en-GB",
                               "http://a\u0085b", "host.test\n", " "]))
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["name", "url", "uri", "email", "type", "length", "x"]), inner,
    max_size=3), max_leaves=8)


@st.composite
def bodies(draw: st.DrawFn, schema: str) -> dict[str, Any]:
    """Objects with the schema's own fields (so the checks past unknown fields run),
    holding anything JSON can."""
    fields = sorted(SCHEMAS[schema].get("properties", {}))
    keys = draw(st.lists(st.sampled_from(fields), max_size=len(fields), unique=True))
    return {k: draw(_JSON) for k in keys}


def _jsonschema_accepts(schema: str, body: dict[str, Any]) -> bool:
    return next(iter(_VALIDATORS[schema].iter_errors(body)), None) is None


@pytest.mark.parametrize("schema", sorted(SCHEMAS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_both_validators_give_every_body_the_same_verdict(schema: str, data: st.DataObject
                                                          ) -> None:
    body = data.draw(bodies(schema))
    try:
        check(body, schema)
        accepted = True
    except InvalidInputError as exc:
        accepted = False
        assert exc.field, exc
        if "control characters" in str(exc):  # refused after the schema, on its own
            return
    # Python's `$` also matches before a last newline: jsonschema alone let "host\n" in.
    newline_tail = any(isinstance(v, str) and v.endswith("\n") for v in body.values())
    if not newline_tail:
        assert accepted == _jsonschema_accepts(schema, body), body


def test_a_host_with_a_newline_at_its_end_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInputError) as err:
        check({"host": "blog.test\n", "title": "Blog"}, "SiteCreate")
    assert err.value.field == "host"


@pytest.mark.parametrize("space", ["\x85", "\x1c", "\u3000", "\t"])
def test_a_base_url_with_any_whitespace_is_refused_naming_it(space: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        check({"base_url": f"http://blog.test/a{space}b"}, "SitePatch")
    assert err.value.field == "base_url"


def test_the_spelled_out_whitespace_is_pythons_and_reads_the_same_in_both_engines() -> None:
    python = re.compile(f"[{SPACE}]")
    rust = jsonschema_rs.Draft202012Validator({"type": "string", "pattern": f"^[{SPACE}]$"})
    for code in range(0x3100):
        char = chr(code)
        assert bool(python.fullmatch(char)) == char.isspace() == rust.is_valid(char), hex(code)
    for char in "\ufeff\U0001f600":
        assert not char.isspace() and not rust.is_valid(char)


@pytest.mark.parametrize(("length", "stored"), [(1e3, 1000), (0, 0), (2**63 - 1, 2**63 - 1)])
def test_an_enclosure_length_written_as_a_float_is_kept_as_a_whole_number(
    length: float, stored: int,
) -> None:
    site = Site(1, "b.test", "B", "", "http://b.test", "UTC", "en", FeedMode.FULL, 250,
                datetime(2026, 1, 1, tzinfo=UTC))
    body = check({"title": "t", "enclosures": [{"url": "http://b.test/a.mp3",
                                                 "length": length}]}, "PostCreate")
    enclosure = post_draft(body, site, datetime(2026, 12, 7, tzinfo=UTC)).enclosures[0]
    assert enclosure.length == stored and type(enclosure.length) is int


@pytest.mark.parametrize("length", [2**63, 1e300])
def test_an_enclosure_length_past_any_file_is_refused_naming_it(length: float) -> None:
    with pytest.raises(InvalidInputError) as err:
        check({"title": "t", "enclosures": [{"url": "http://b.test/a.mp3", "length": length}]},
              "PostCreate")
    assert err.value.field == "enclosures[0].length"


@pytest.mark.parametrize("field", ["email", "uri"])
def test_a_lone_surrogate_where_a_pattern_reads_it_is_refused_naming_the_field(
    field: str,
) -> None:
    with pytest.raises(InvalidInputError) as err:
        check({"title": "t", "authors": [{"name": "n", field: "x\ud800y@example.com"}]},
              "PostCreate")
    assert err.value.field == f"authors[0].{field}"
