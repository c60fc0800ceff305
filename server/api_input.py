"""Reading API requests: bodies checked against the OpenAPI document's schemas (so the
document and the behaviour agree), unknown fields refused by name, query parameters for
paging and the site, and the Idempotency-Key header. Errors are InvalidInputError naming
the field: the middleware makes them problem+json (RFC 9457)."""

from __future__ import annotations

import hashlib
import json
from functools import partial
from typing import Any

import jsonschema_rs
from aiohttp import web
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from feeds.content import strip_xml_illegal
from feeds.errors import InvalidInputError, NotFoundError
from feeds.models import (
    CommentStatus,
    PostKind,
    PostStatus,
    Site,
)
from feeds.store import Idempotency
from server.api_body import read_body
from server.api_schemas import SCHEMAS
from server.auth import TOKEN_SCOPE
from server.keys import SETTINGS, SITES
from server.openapi import NDJSON_TYPES

_VALIDATORS = {
    name: Draft202012Validator({**schema, "$defs": SCHEMAS})
    for name, schema in SCHEMAS.items()
}
# The same schemas compiled by jsonschema-rs, which decides: ~1 us a post's body against
# ~90 us for jsonschema's iter_errors (0.9 s of CPU for a 10,000-post bulk request).
# jsonschema (above) then only explains a refusal: its messages and paths name the field.
# Formats are annotations in 2020-12 (§7.2.1), and neither validator checks them.
_DECIDERS = {
    name: jsonschema_rs.Draft202012Validator({**schema, "$defs": SCHEMAS},
                                             validate_formats=False)
    for name, schema in SCHEMAS.items()
}


def _field(error: ValidationError) -> str:
    """Where the error is: for a missing or unknown property, that property (jsonschema
    puts those errors on the object holding it)."""
    parts = list(error.absolute_path)
    schema, expected = error.schema, error.validator_value
    if isinstance(error.instance, dict):
        if error.validator == "required" and isinstance(expected, list):
            parts += [p for p in expected if p not in error.instance][:1]
        elif error.validator == "additionalProperties" and isinstance(schema, dict):
            allowed = schema.get("properties", {})
            parts += sorted(k for k in error.instance if k not in allowed)[:1]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    return path.lstrip(".") or "body"


def check(body: Any, schema: str, where: str = "") -> dict[str, Any]:
    """`body` if it matches the named schema; else InvalidInputError naming the field."""
    if not isinstance(body, dict):
        raise InvalidInputError(where.rstrip(".") or "body", "must be a JSON object")
    allowed = SCHEMAS[schema].get("properties", {})
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidInputError(f"{where}{unknown[0]}", "unknown field")
    if not _matches(body, schema):
        raise _refusal(body, schema, where)
    _xml_safe(body, CLEANED.get(schema, frozenset()), where.rstrip("."))
    return body


def _matches(body: dict[str, Any], schema: str) -> bool:
    try:
        return _DECIDERS[schema].is_valid(body)
    except ValueError:
        # A lone surrogate (JSON's "\ud800") is no Rust string: UnicodeEncodeError when a
        # pattern reads it. jsonschema decides such a body (it is refused later anyway,
        # unless in a field the domain cleans).
        return next(iter(_VALIDATORS[schema].iter_errors(body)), None) is None


def _refusal(body: dict[str, Any], schema: str, where: str) -> InvalidInputError:
    """Why `body` does not match: jsonschema's first error by path, or, where the two
    engines read a schema differently and jsonschema finds none (Python's `$` also matches
    before a last newline, ECMA-262's does not), jsonschema-rs's own."""
    error = next(iter(sorted(_VALIDATORS[schema].iter_errors(body),
                             key=lambda e: list(map(str, e.absolute_path)))), None)
    if error is not None:
        if error.context:  # oneOf: the failure within the branch that came closest
            error = best_match([error]) or error
        return InvalidInputError(f"{where}{_field(error)}", _short(
            _said(error.validator, error.schema, error.instance) or _in_json_terms(
                error.validator, error.validator_value, error.instance, error.message)))
    try:
        rs_error = next(iter(_DECIDERS[schema].iter_errors(body)), None)
    except ValueError:  # a lone surrogate, as in _matches
        rs_error = None
    if rs_error is None:
        return InvalidInputError(where.rstrip(".") or "body", "does not match the schema")
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rs_error.instance_path)
    node: Any = SCHEMAS[schema]
    for step in rs_error.schema_path[:-1]:
        node = node.get(step) if isinstance(node, dict) else None
    return InvalidInputError(f"{where}{path.lstrip('.') or 'body'}", _short(
        _said(rs_error.kind.name, node, rs_error.instance) or rs_error.message))


def _said(keyword: object, schema: object, instance: object) -> str | None:
    """For a refused pattern, the form the field takes in words (its schema's description),
    not the regular expression; for a value none of a oneOf's forms takes (an author that
    is neither an object nor a name), those forms in words."""
    if keyword in ("pattern", "oneOf") and isinstance(schema, dict) and "description" in schema:
        return f"{as_json(instance)} is not {schema['description']}"
    return None


def _in_json_terms(keyword: object, expected: object, instance: object, message: str) -> str:
    """jsonschema's message with the value as JSON writes it ("null is not of type
    'string'", not "None ..."): its messages start with the value's repr()."""
    if keyword == "enum":
        return f"{as_json(instance)} is not one of {as_json(expected)}"
    said = repr(instance)
    if message.startswith(said):
        return as_json(instance) + message[len(said):]
    return message


def _short(message: str, most: int = 300) -> str:
    """A validator's message quotes the value it refused: a 2,000-character title, or a
    list nested 900 deep, is cut to its first `most` characters in the 400."""
    return message if len(message) <= most else f"{message[:most]}…"


CLEANED = {
    "PostCreate": frozenset({"title", "content_html", "summary", "labels", "slug",
                             "authors", "authors.name"}),
    "CommentCreate": frozenset({"author", "author.name", "content_html"}),
    "CommentPatch": frozenset({"author", "author.name", "content_html"}),
    "LabelCreate": frozenset({"name"}),
    "LabelPatch": frozenset({"name"}),
}
"""Text fields the domain cleans (sanitized HTML, clean_text): any character may come in.
Every other string goes into the feeds as it is (entry ids, author URIs and emails,
enclosures, a site's title and language...), where a character XML forbids would make
every render of the feed fail: those are refused."""
CLEANED["PostPatch"] = CLEANED["PostCreate"]


def _xml_safe(value: Any, cleaned: frozenset[str], path: str, shape: str = "") -> None:
    if isinstance(value, str):
        if shape not in cleaned and strip_xml_illegal(value) != value:
            raise InvalidInputError(path or "body", "control characters (or unpaired "
                                    "surrogates) are not allowed here")
    elif isinstance(value, dict):
        for key, item in value.items():
            _xml_safe(item, cleaned, f"{path}.{key}".lstrip("."), f"{shape}.{key}".lstrip("."))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _xml_safe(item, cleaned, f"{path}[{i}]", shape)


async def read_json(request: web.Request, schema: str) -> dict[str, Any]:
    return check(await read_any_json(request), schema)


async def read_any_json(request: web.Request) -> Any:
    return parse_json(await read_body(request), "body")


def parse_json(raw: bytes | str, field: str) -> Any:
    """The JSON value of `raw`, else InvalidInputError naming `field`. json.loads recurses
    per level of nesting: "[[[[...]]]]" 100,000 deep is a RecursionError, not a 500.
    Bytes are UTF-8 (RFC 8259 §8.1; a byte order mark ignored): json.loads would guess
    UTF-16 and UTF-32 too, which a charset label may not name (server/api_body.py). NaN,
    Infinity and -Infinity, which json.loads takes, are no JSON (RFC 8259 §6)."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise InvalidInputError(field, f"not UTF-8 (byte {exc.start}), as JSON must be: "
                                "send it in UTF-8") from None
    try:
        return json.loads(text, parse_constant=partial(_no_constant, field),
                          object_pairs_hook=partial(_one_each, field))
    except json.JSONDecodeError as exc:
        raise InvalidInputError(field, f"not JSON: {exc}") from None
    except RecursionError:
        raise InvalidInputError(field, "nested too deeply (arrays and objects more than "
                                "about 1,000 levels deep)") from None


def _one_each(field: str, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose names are each given once (RFC 8259 §4: a name given twice is read
    as one reader pleases, Python the last; I-JSON, RFC 7493 §2.3, forbids it). About
    0.1 s more for a 6 MB bulk body of 10,000 posts."""
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InvalidInputError(field, f"not JSON we can read one way: {as_json(key)} is "
                                        "given twice in one object")
            seen.add(key)
    return obj


def _no_constant(field: str, name: str) -> Any:
    raise InvalidInputError(field, f"not JSON: {name} is not a JSON number (RFC 8259 §6); "
                            "send a number, or null")


def as_json(value: object) -> str:
    """A value as JSON writes it, for a message: null, true, "text", not Python's None,
    True, 'text'."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def page(request: web.Request) -> tuple[int, int]:
    """(limit, offset) from the query; limit defaults to api.page_size, at most 500."""
    out = []
    for name, default, low, high in (("limit", request.app[SETTINGS].api.page_size, 1, 500),
                                     ("offset", 0, 0, 10**12)):
        raw = query_value(request, name)
        try:
            value = default if raw is None else int(raw)
        except ValueError:
            raise InvalidInputError(name, f"must be a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise InvalidInputError(name, f"must be between {low} and {high}")
        out.append(value)
    return out[0], out[1]


def path_id(request: web.Request, name: str, digits: int = 18) -> int:
    """A numeric id from the path: ASCII digits, at most `digits` of them (ids are 64-bit;
    "²".isdigit() is true too), else a 400 naming it."""
    raw = request.match_info[name]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= digits):
        raise InvalidInputError(name, f"must be a whole number of at most {digits} digits")
    return int(raw)


def query_value(request: web.Request, name: str) -> str | None:
    """A query parameter given once, or None; given twice (`?label=a&label=b`) it is a 400
    naming it, not the first one silently."""
    values = request.query.getall(name, [])
    if len(values) > 1:
        raise InvalidInputError(name, "given more than once")
    return values[0] if values else None


def next_link(request: web.Request, total: int, limit: int, offset: int) -> str | None:
    if offset + limit >= total:
        return None
    return str(request.rel_url.update_query(limit=limit, offset=offset + limit))


def text_param(request: web.Request, name: str, *, path: bool = False) -> str | None:
    """A path or query parameter used to look things up. Characters XML forbids (NUL,
    controls, unpaired surrogates) are in no name we store, and PostgreSQL refuses NUL in
    text: refused here, naming the parameter."""
    value = request.match_info[name] if path else query_value(request, name)
    if value == "":  # no name is empty (the document's minLength 1)
        raise InvalidInputError(name, "must not be empty")
    if value is not None and strip_xml_illegal(value) != value:
        raise InvalidInputError(name, "control characters are not allowed")
    return value


def site_of(request: web.Request) -> Site:
    """The site `?site=` names (id or host), else the one the Host header names."""
    sites = request.app[SITES]
    ref = query_value(request, "site")
    if ref is None:
        return sites.for_host(request.host)
    for site in sites.by_id.values():
        if ref == str(site.id) or ref.lower() == site.host.lower():
            return site
    raise NotFoundError("site", ref)


def enum_param(request: web.Request, name: str,
               enum: type[PostStatus] | type[CommentStatus] | type[PostKind]) -> Any:
    raw = query_value(request, name)
    if raw is None:
        return None
    try:
        return enum(raw)
    except ValueError:
        choices = ", ".join(e.value for e in enum)
        raise InvalidInputError(name, f"must be one of {choices}") from None


def idempotency(request: web.Request, resource: str, body: bytes, *, as_json: bool = True
                ) -> Idempotency | None:
    """The request's Idempotency-Key, with a hash of what the request asks: method, site,
    path and query, and body (the same key sent to another site is another request). A
    JSON body is compared as the JSON it holds (fingerprint_of): the same document sent
    again with other whitespace or key order is the same request."""
    keys = request.headers.getall("Idempotency-Key", [])
    if not keys:
        return None
    if len(keys) > 1:  # which one would a retry send? Refused rather than guessed
        raise InvalidInputError("Idempotency-Key", "sent more than once")
    key = keys[0]
    if not 1 <= len(key) <= 255:
        raise InvalidInputError("Idempotency-Key", "must be 1 to 255 characters")
    if not key.isprintable():  # bytes that are no UTF-8 come as lone surrogates: a 500
        raise InvalidInputError("Idempotency-Key", "must be printable text in UTF-8")
    asked = f"{request.method} {site_of(request).id} {request.rel_url}\0".encode()
    fingerprint = fingerprint_of(body, request.content_type in NDJSON_TYPES) if as_json else body
    digest = hashlib.sha256(asked + fingerprint)
    return Idempotency(request[TOKEN_SCOPE], key, digest.hexdigest(), resource)


def fingerprint_of(body: bytes, ndjson: bool) -> bytes:
    """A JSON body in one spelling: keys sorted, no whitespace (NDJSON: line by line, blank
    lines left out). Bytes that are no JSON stay as they are (the request is refused
    anyway). One json.loads and dumps: ~0.15 s for a 6 MB, 10,000-post bulk body."""
    if ndjson:
        text = body.decode("utf-8", "replace")
        return "\n".join(_canonical(line) or line for line in text.splitlines()
                         if line.strip()).encode()
    canonical = _canonical(body)
    return body if canonical is None else canonical.encode()


def _canonical(raw: bytes | str) -> str | None:
    try:
        return json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError too
        return None


# -- bodies to domain drafts ---------------------------------------------------------------
