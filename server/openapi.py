"""The admin API's OpenAPI 3.1 document, served at /api/openapi.json. Its request schemas
are also what the handlers validate bodies with (server/api_input.py): the document and the
behaviour cannot drift apart. tests/server/test_api_openapi.py checks every route of
server/routes.py against it."""

from __future__ import annotations

from typing import Any

from config import SUMMARY_LENGTH

JSON = "application/json"
PROBLEM = "application/problem+json"


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
DATE = {"type": "string", "format": "date-time"}
NDATE = {"type": ["string", "null"], "format": "date-time"}
ID = {"type": "integer", "minimum": 1}
AUTHOR = _obj({"name": {"type": "string", "minLength": 1, "maxLength": 200},
               "uri": {"type": ["string", "null"], "maxLength": 2000},
               "email": {"type": ["string", "null"], "maxLength": 320}}, ("name",))
ENCLOSURE = _obj({"url": {"type": "string", "minLength": 1, "maxLength": 2000},
                  "type": {"type": "string", "maxLength": 200},
                  # bytes; 1e3 is an integer too (2020-12 §6.1.1): api_input makes it an int
                  "length": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}},
                 ("url",))
POST_STATUS = {"type": "string", "enum": ["draft", "scheduled", "published"]}
COMMENT_STATUS = {"type": "string", "enum": ["pending", "approved", "spam"]}
DELIVERY_STATES = ("pending", "sending", "delivered", "failed", "gone", "superseded")
LABELS = {"type": "array", "maxItems": 100,
          "items": {"type": "string", "minLength": 1, "maxLength": 200}}

PUBLISH_AT = {**NDATE, "description": (
    "When a scheduled post goes out. Only with status `scheduled` (or without a status: "
    "it makes the post scheduled); with status `draft` or `published` it is a 400 naming "
    "`publish_at` (date those with `published`). Given with `published`, the two must be "
    "the same instant.")}

_POST_FIELDS: dict[str, Any] = {
    "title": {"type": "string", "minLength": 1, "maxLength": 1000},
    "content_html": {"type": "string", "maxLength": 16_000_000},
    "summary": NSTR,
    "slug": {"type": ["string", "null"], "maxLength": 200},
    "labels": LABELS,
    "authors": {"type": "array", "maxItems": 20, "items": AUTHOR},
    "enclosures": {"type": "array", "maxItems": 20, "items": ENCLOSURE},
    "published": NDATE,
    "updated": NDATE,
    "publish_at": PUBLISH_AT,
    "status": POST_STATUS,
}
# Python's `\s` (str.isspace) spelled out, for patterns: ECMA-262's `\s`, which
# jsonschema-rs reads (server/api_input.py), lacks \x1c-\x1f and \x85 and has \ufeff.
SPACE = r"\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# A TCP port, 0-65535, for patterns.
PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
_SITE_FIELDS: dict[str, Any] = {
    # A refused pattern's 400 says its description (server/api_input._refusal).
    "host": {"type": "string", "minLength": 1, "maxLength": 255,
             "pattern": rf"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?(:{PORT})?$",
             "description": "a host name, with a port (0-65535) when not the default: "
                            "blog.example.com, localhost:8080"},
    "title": {"type": "string", "minLength": 1, "maxLength": 1000},
    "subtitle": {"type": "string", "maxLength": 2000},
    "base_url": {"type": "string",
                 "pattern": rf"^https?://(\[[0-9A-Fa-f:.]+\]|[^{SPACE}/:\[\]]+)(:{PORT})?"
                            f"(/[^{SPACE}]*)?$",
                 "description": "an absolute http(s) URL without spaces, its port (if any) "
                                "0-65535: https://blog.example.com/blog"},
    "timezone": {"type": "string", "minLength": 1, "maxLength": 64},
    "language": {"type": "string", "minLength": 1, "maxLength": 35,
                 "pattern": "^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$",
                 "description": "a language tag (RFC 5646): en, pt-BR"},
    "default_feed": {"type": "string", "enum": ["full", "summary"]},
    # The range the settings allow for site.summary_length (config.SUMMARY_LENGTH).
    "summary_length": {"type": "integer", "minimum": SUMMARY_LENGTH[0],
                       "maximum": SUMMARY_LENGTH[1]},
    "wordpress_urls": {"type": "boolean"},
}

COUNT = {"type": "integer", "minimum": 0}
STRS = {"type": "array", "items": STR}


def _out(props: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """A response object: every property but `optional` is always there. Further properties
    are allowed (a client must ignore what it does not know)."""
    return {"type": "object", "properties": props,
            "required": [name for name in props if name not in optional]}


AUTHOR_OUT = _out({"name": STR, "uri": NSTR, "email": NSTR})

SCHEMAS: dict[str, Any] = {
    "PostCreate": _obj({**_POST_FIELDS, "entry_id": {"type": ["string", "null"],
                                                     "minLength": 1, "maxLength": 2000}},
                       ("title",)),
    "PostPatch": _obj(_POST_FIELDS),
    "Post": _out({
        "id": ID, "entry_id": STR, "slug": STR, "url": STR, "title": STR, "summary": STR,
        "content_html": STR,
        "status": {"type": "string", "enum": ["draft", "scheduled", "published", "deleted"]},
        "published": DATE, "updated": DATE,
        "publish_at": {**NDATE, "description": "the publication instant of a scheduled "
                       "post; null for any other status"},
        "labels": STRS, "authors": {"type": "array", "items": AUTHOR_OUT},
        "enclosures": {"type": "array", "items": _out(
            {"url": STR, "type": STR, "length": COUNT})},
        "thumbnail": NSTR, "comment_count": COUNT, "version": ID}),
    "CommentCreate": _obj({"author": {"oneOf": [{"type": "string", "minLength": 1,
                                                 "maxLength": 200}, AUTHOR]},
                           "content_html": {"type": "string", "minLength": 1,
                                            "maxLength": 1_000_000},
                           "published": NDATE, "status": COMMENT_STATUS,
                           "parent_id": {"type": ["integer", "null"], "minimum": 1,
                                         "maximum": 2**63 - 1}},
                          ("author", "content_html")),
    "CommentPatch": _obj({"author": AUTHOR, "content_html": {"type": "string", "minLength": 1,
                                                             "maxLength": 1_000_000},
                          "published": DATE, "status": COMMENT_STATUS}),
    "Comment": _out({"id": ID, "post_id": ID, "entry_id": STR, "author": AUTHOR_OUT,
                     "content_html": STR, "status": COMMENT_STATUS, "published": DATE,
                     "updated": DATE, "parent_id": {"type": ["integer", "null"]}}),
    "SiteCreate": _obj(_SITE_FIELDS, ("host", "title")),
    "SitePatch": _obj(_SITE_FIELDS),
    "Site": _out({"id": ID, "host": STR, "title": STR, "subtitle": STR, "base_url": STR,
                  "timezone": STR, "language": STR,
                  "default_feed": _SITE_FIELDS["default_feed"],
                  "summary_length": COUNT,
                  "wordpress_urls": {"type": "boolean"}, "is_default": {"type": "boolean"},
                  "created": DATE}),
    "LabelCreate": _obj({"name": LABELS["items"],
                         "posts": {"type": "array", "minItems": 1, "maxItems": 10_000,
                                   "items": ID}}, ("name", "posts")),
    "LabelPatch": _obj({"name": LABELS["items"]}, ("name",)),
    "Label": _out({"name": STR, "count": COUNT,
                   "feed": {**STR, "description": "the label's Atom feed"}}),
    "Import": _out({
        "id": ID, "site_id": ID,
        "source": {**STR, "description": "kind:name (the upload, or the feed URL)"},
        "state": {"type": "string", "enum": ["running", "done", "failed"]},
        "started": DATE, "finished": NDATE,
        "report": {"type": "object", "description": "empty while running", "properties": {
            "posts": _out({"added": COUNT, "updated": COUNT, "unchanged": COUNT}),
            "comments": _out({"added": COUNT, "updated": COUNT, "unchanged": COUNT}),
            "aliases": COUNT, "items": COUNT,
            "skipped": {"type": "array", "items": _out(
                {"where": STR, "title": STR, "reason": STR})},
            "error": {**STR, "description": "why a failed run stopped"}}}}),
    "Subscription": _out({"id": ID, "site_id": ID, "topic": STR, "callback": STR,
                          "signed": {"type": "boolean"}, "lease_seconds": COUNT,
                          "expires_at": DATE, "created": DATE, "verified_at": NDATE}),
    "Delivery": _out({"id": ID, "kind": {"type": "string", "enum": ["websub", "hub", "ping"]},
                      "site_id": ID, "topic": STR, "target": STR, "version": STR,
                      "state": {"type": "string", "enum": list(DELIVERY_STATES)},
                      "attempts": COUNT, "next_attempt_at": NDATE,
                      "last_status": {"type": ["integer", "null"]}, "last_error": NSTR}),
    "Regeneration": _out({"marked": STR, "site_id": ID}),
    "BulkResult": _out({
        "results": {"type": "array", "items": {
            **_out({"index": COUNT,
                    "outcome": {"type": "string",
                                "enum": ["added", "updated", "unchanged", "error"]},
                    "id": ID, "error": STR}, optional=("id", "error")),
            "if": {"properties": {"outcome": {"const": "error"}}},
            "then": {"required": ["error"]}, "else": {"required": ["id"]}}},
        "added": COUNT, "updated": COUNT, "unchanged": COUNT, "errors": COUNT}),
    "Token": {**_out({"id": ID, "name": STR, "created": DATE}),
              "description": "an API token as `syndic token list --json` shows it"},
    "Problem": _out({"type": STR, "title": STR,
                     "status": {"type": "integer", "minimum": 400, "maximum": 599},
                     "detail": STR,
                     "field": {**STR, "description": "the field, parameter or header at "
                               "fault"}},
                    optional=("field",)),
}


def page_of(item: str) -> dict[str, Any]:
    """A list page: the items, how many there are in all, the URL of the next page."""
    return _out({"items": {"type": "array", "items": _ref(item)}, "total": COUNT,
                 "next": {**NSTR, "description": "the next page (null on the last)"}})


def _resp(status: str, desc: str, schema: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": desc}
    if schema:
        media = PROBLEM if schema == "Problem" else JSON
        out["content"] = {media: {"schema": _ref(schema)}}
    return out


_ERRORS = {"400": _resp("400", "bad input, naming the field", "Problem"),
           "401": _resp("401", "missing or wrong bearer token", "Problem"),
           "404": _resp("404", "no such thing", "Problem"),
           "409": _resp("409", "lost a race on a unique slug or entry id (or on an "
                        "Idempotency-Key sent twice at once): try again", "Problem"),
           "413": _resp("413", "body over api.max_body_bytes", "Problem"),
           "500": _resp("500", "a fault of the server (logged with its traceback; the "
                        "answer says nothing of the internals)", "Problem")}
_PAGE = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                     "maximum": 500}},
         {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}}]
_SITE_PARAM = {"name": "site", "in": "query", "schema": STR,
               "description": "site id or host (default: the site the Host header names)"}
_IDEM = {"name": "Idempotency-Key", "in": "header",
         "schema": {"type": "string", "minLength": 1, "maxLength": 255},
         "description": "a create retried with the same key creates nothing twice: the same "
                        "request gets the first answer again (header Idempotent-Replayed: "
                        "true); another request with a used key is a 400 naming the header"}
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
"""The media types a bulk body of newline-delimited JSON may be sent as (x-ndjson is the
NDJSON spec's; the other two are in common use)."""
FETCH_PAGES = 100
FETCH_PAGE_SECONDS = 30
FETCH_SECONDS = 120
"""A feed fetched for POST /api/imports?url=: pages followed at most, and time allowed for
each page and for the whole fetch (bytes: api.max_body_bytes in all, as for an upload)."""
FEED_URL_PARAM = {
    "name": "url", "in": "query",
    # ASCII (an IRI's other characters percent-encoded): the request line stays short.
    "schema": {"type": "string", "maxLength": 2000, "pattern": "^https?://[!-~]+$"},
    "description": f"kind=feed only, with an empty body: the feed is fetched from this http "
                   f"or https URL, with the pages after it (RFC 5005 rel=next). At most "
                   f"api.max_body_bytes in all and {FETCH_PAGES} pages, each page within "
                   f"{FETCH_PAGE_SECONDS} s and the whole fetch within {FETCH_SECONDS} s; "
                   f"a fetch that fails is a 400 naming `url`. Unless the setting "
                   f"api.import_fetch_private is true, a host that is or resolves to a "
                   f"private, loopback, link-local or other non-global address is refused "
                   f"(400 naming `url`), at every hop: redirects and next pages too"}


_IF_MATCH = {"name": "If-Match", "in": "header", "schema": STR,
             "description": "change it only while it is the version with one of these ETags "
                            "(or, for \"*\", any): else 412, nothing changed (RFC 9110 "
                            "§13.1.1, strong comparison). Without it a change is made to "
                            "the post, comment or site as it is at the write, never undoing "
                            "a change made meanwhile"}
_LABEL_IF_MATCH = {**_IF_MATCH, "description": "change it only while the label is the "
                   "version with one of these ETags (the same name on the same number of "
                   "posts), checked before its posts are changed one by one; else 412, "
                   "nothing changed"}
_IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "schema": STR,
                  "description": "304, no body, while its ETag is one of these"}
_ETAG_HEADER = {"ETag": {"description": "the entity tag of what the answer carries, for "
                                        "If-Match and If-None-Match", "schema": STR}}
_CONDITIONAL = {"304": _resp("304", "it still has the ETag If-None-Match named"),
                "412": _resp("412", "If-Match named an ETag it no longer has (another change "
                                    "landed): read it again", "Problem")}


def _with_etag(op: dict[str, Any], ok: str | None, conditional: str | None
               ) -> dict[str, Any]:
    """`op` with the ETag header on its `ok` answer and the conditional answer (304 or
    412) it may give (server/handlers/api_conditional.py)."""
    if ok is not None:
        op["responses"][ok]["headers"] = _ETAG_HEADER
    if conditional is not None:
        op["responses"][conditional] = _CONDITIONAL[conditional]
    return op


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _op(summary: str, ok: str, schema: str | None, *, body: str | None = None,
        params: list[dict[str, Any]] | None = None, list_of: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": [_SITE_PARAM, *(params or [])],
                          "responses": {ok: _resp(ok, summary, None if list_of else schema),
                                        **_ERRORS}}
    if list_of and schema:
        op["responses"][ok]["content"] = {JSON: {"schema": page_of(schema)}}
    if body:
        op["requestBody"] = {"required": True, "content": {JSON: {"schema": _ref(body)}}}
    return op


POST_REF = _path_param("post", {"type": "string", "minLength": 1})
COMMENT_ID = _path_param("comment_id", {"type": "integer", "minimum": 1})
SITE_ID = _path_param("site_id", {"type": "integer", "minimum": 1})
LABEL = _path_param("label", {"type": "string", "minLength": 1})
IMPORT_ID = _path_param("import_id", {"type": "integer", "minimum": 1})
STATUS_Q = {"name": "status", "in": "query", "schema": STR}

PATHS: dict[str, dict[str, Any]] = {
    "/api/sites": {
        "get": _op("list sites", "200", "Site", list_of=True, params=_PAGE),
        "post": _with_etag(_op("create a site", "201", "Site", body="SiteCreate",
                               params=[_IDEM]), "201", None),
    },
    "/api/sites/{site_id}": {
        "get": _with_etag(_op("a site", "200", "Site", params=[SITE_ID, _IF_NONE_MATCH]),
                          "200", "304"),
        "patch": _with_etag(_op("change a site", "200", "Site", body="SitePatch",
                                params=[SITE_ID, _IF_MATCH]), "200", "412"),
        "delete": _with_etag(_op("delete a site and everything in it", "204", None,
                                 params=[SITE_ID, _IF_MATCH]), None, "412"),
    },
    "/api/posts": {
        "get": _op("list posts, newest first", "200", "Post", list_of=True,
                   params=[*_PAGE, STATUS_Q, {"name": "label", "in": "query", "schema": STR}]),
        "post": {**_with_etag(_op("create a post (draft, scheduled or published)", "201",
                                  "Post", body="PostCreate", params=[_IDEM]), "201", None),
                 "description": "`publish_at` schedules a post: it is allowed only with "
                                "status `scheduled` (or no status, which then means "
                                "scheduled); with any other status it is a 400 naming "
                                "`publish_at`. `published` dates a draft or published post."},
    },
    "/api/posts/bulk": {
        "post": {**_op("create up to api.bulk_max_items posts (JSON array or NDJSON)",
                       "200", "BulkResult", params=[_IDEM]),
                 "requestBody": {"required": True, "content": {
                     JSON: {"schema": {"type": "array", "items": _ref("PostCreate")}},
                     **{media: {"schema": {"type": "string"}} for media in NDJSON_TYPES}}}},
    },
    "/api/posts/{post}": {
        "get": _with_etag(_op("a post (by id, slug or entry id)", "200", "Post",
                              params=[POST_REF, _IF_NONE_MATCH]), "200", "304"),
        "patch": _with_etag(_op("change a post", "200", "Post", body="PostPatch",
                                params=[POST_REF, _IF_MATCH]), "200", "412"),
        "delete": _with_etag(_op("delete a post: it leaves the feeds", "204", None,
                                 params=[POST_REF, _IF_MATCH]), None, "412"),
    },
    "/api/posts/{post}/comments": {
        "get": _op("a post's comments", "200", "Comment", list_of=True,
                   params=[POST_REF, *_PAGE, STATUS_Q]),
        "post": _with_etag(_op("add a comment", "201", "Comment", body="CommentCreate",
                               params=[POST_REF, _IDEM]), "201", None),
    },
    "/api/comments": {
        "get": _op("list comments (moderation queue with status=pending)", "200", "Comment",
                   list_of=True, params=[*_PAGE, STATUS_Q]),
    },
    "/api/comments/{comment_id}": {
        "get": _with_etag(_op("a comment", "200", "Comment",
                              params=[COMMENT_ID, _IF_NONE_MATCH]), "200", "304"),
        "patch": _with_etag(_op("moderate or correct a comment", "200", "Comment",
                                body="CommentPatch", params=[COMMENT_ID, _IF_MATCH]),
                            "200", "412"),
        "delete": _with_etag(_op("delete a comment", "204", None,
                                 params=[COMMENT_ID, _IF_MATCH]), None, "412"),
    },
    "/api/labels": {
        "get": _op("labels with their post counts", "200", "Label", list_of=True,
                   params=_PAGE),
        "post": _with_etag(_op("put a label on posts", "201", "Label", body="LabelCreate"),
                           "201", None),
    },
    "/api/labels/{label}": {
        "get": _with_etag(_op("a label", "200", "Label", params=[LABEL, _IF_NONE_MATCH]),
                          "200", "304"),
        "patch": _with_etag(_op("rename a label (or merge it into another)", "200", "Label",
                                body="LabelPatch", params=[LABEL, _LABEL_IF_MATCH]),
                            "200", "412"),
        "delete": _with_etag(_op("take a label off every post", "204", None,
                                 params=[LABEL, _LABEL_IF_MATCH]), None, "412"),
    },
    "/api/imports": {
        "get": _op("import runs, newest first", "200", "Import", list_of=True, params=_PAGE),
        "post": {**_op("import an export (the body) of the kind given, or a feed by URL",
                       "201", "Import",
                       params=[{"name": "kind", "in": "query", "required": True,
                                "schema": {"type": "string",
                                           "enum": ["blogger", "wordpress", "feed"]}},
                               {"name": "pages", "in": "query",
                                "schema": {"type": "boolean"}},
                               FEED_URL_PARAM, _IDEM]),
                 "requestBody": {"required": False, "content": {
                     "application/octet-stream": {"schema": {"type": "string",
                                                             "format": "binary"}}}}},
    },
    "/api/imports/{import_id}": {
        "get": _op("an import run and its report", "200", "Import", params=[IMPORT_ID]),
    },
    "/api/subscriptions": {
        "get": _op("the hub's subscriptions to the site's feeds", "200", "Subscription",
                   list_of=True, params=_PAGE),
    },
    "/api/deliveries": {
        "get": _op("deliveries, newest first: state, attempts, last status and error, "
                   "next attempt", "200", "Delivery", list_of=True,
                   params=[*_PAGE, {"name": "state", "in": "query", "schema": {
                       "type": "string", "enum": list(DELIVERY_STATES)}}]),
    },
    "/api/regenerate": {
        "post": _op("render every feed of the site (or ?feed=PATH) now", "202",
                    "Regeneration", params=[{"name": "feed", "in": "query",
                                             "schema": {"type": "string", "minLength": 1}}]),
    },
}


def query_parameters(path: str, method: str) -> frozenset[str] | None:
    """The query parameters the document gives an operation (path as in the route table,
    e.g. /api/posts/{post}); None for an operation it does not document."""
    op = PATHS.get(path, {}).get(method.lower())
    if op is None:
        return None
    return frozenset(p["name"] for p in op.get("parameters", []) if p["in"] == "query")


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "syndic admin API", "version": "1"},
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": PATHS,
    }
