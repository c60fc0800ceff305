"""The admin API's OpenAPI 3.1 document, served at /api/openapi.json. Its request schemas
(server/api_schemas.py) are also what the handlers validate bodies with
(server/api_input.py): the document and the behaviour cannot drift apart.
tests/server/test_api_openapi.py checks every route of server/routes.py against it."""

from __future__ import annotations

from typing import Any

from server.api_schemas import (
    COUNT,
    DELIVERY_STATES,
    JSON,
    NSTR,
    PROBLEM,
    SCHEMAS,
    SPACE,
    STR,
    out,
    ref,
)

__all__ = ["DELIVERY_STATES", "SCHEMAS", "SPACE", "openapi_document", "page_of"]


def page_of(item: str) -> dict[str, Any]:
    """A list page: the items, how many there are in all, the URL of the next page."""
    return out({"items": {"type": "array", "items": ref(item)}, "total": COUNT,
                 "next": {**NSTR, "description": "the next page (null on the last)"}})


def _resp(status: str, desc: str, schema: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": desc}
    if schema:
        media = PROBLEM if schema == "Problem" else JSON
        out["content"] = {media: {"schema": ref(schema)}}
    return out


_ERRORS = {"400": _resp("400", "bad input, naming the field", "Problem"),
           "401": _resp("401", "missing or wrong bearer token", "Problem"),
           "404": _resp("404", "no such thing", "Problem"),
           "409": _resp("409", "lost a race on a unique slug or entry id (or on an "
                        "Idempotency-Key sent twice at once): try again", "Problem"),
           "413": _resp("413", "body over api.max_body_bytes (decoded): the problem's "
                        "`max_bytes` says how many bytes are taken", "Problem"),
           "500": _resp("500", "a fault of the server (logged with its traceback; the "
                        "answer says nothing of the internals)", "Problem")}
_PAGE = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                     "maximum": 500}},
         {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                      "maximum": 10**12}}]
_415 = {"415": _resp("415", "a Content-Type this operation does not take (Accept-Post or "
                     "Accept-Patch lists those it does), a charset other than UTF-8, or a "
                     "Content-Encoding other than gzip, deflate or br (Accept-Encoding)",
                     "Problem")}
TEXT: dict[str, Any] = {"type": "string", "minLength": 1,
        # ECMA-262: what strip_xml_illegal removes (feeds/content.py), lone surrogates aside.
        "pattern": "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\ufffe\\uffff]+$",
        "description": "text without control characters (tab, line feed and carriage "
                       "return aside) or unpaired surrogates: those are a 400 naming it"}
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
IMPORT_TYPES = ("application/octet-stream", "application/xml", "text/xml",
                "application/atom+xml", "application/rss+xml", "application/json",
                "application/feed+json")
"""The media types an export may be uploaded as (the kind comes from ?kind=, not from the
type; any other +xml or +json type is taken too, and a body without a Content-Type is
application/octet-stream, RFC 9110 §8.3)."""
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
        op["responses"][ok]["headers"] = {**op["responses"][ok].get("headers", {}),
                                          **_ETAG_HEADER}
    if conditional is not None:
        op["responses"][conditional] = _CONDITIONAL[conditional]
    return op


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _op(summary: str, ok: str, schema: str | None, *, body: str | None = None,
        params: list[dict[str, Any]] | None = None, list_of: bool = False,
        location: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "parameters": [_SITE_PARAM, *(params or [])],
                          "responses": {ok: _resp(ok, summary, None if list_of else schema),
                                        **_ERRORS}}
    if list_of and schema:
        op["responses"][ok]["content"] = {JSON: {"schema": page_of(schema)}}
    if body:
        _taking(op, {JSON: {"schema": ref(body)}})
    if location:
        op["responses"][ok]["headers"] = {"Location": {
            "description": f"the URL of what was made ({location})", "schema": STR}}
    return op


def _taking(op: dict[str, Any], content: dict[str, Any], required: bool = True
            ) -> dict[str, Any]:
    """`op` with a request body in the media types of `content` (any other is a 415:
    server/api_body.py)."""
    op["requestBody"] = {"required": required, "content": content}
    op["responses"].update(_415)
    return op


POST_REF = _path_param("post", {**TEXT, "pattern": "^(?!bulk$)" + TEXT["pattern"][1:],
                                "description": "a post's id, slug or entry id "
                                "(`bulk` is no post's: /api/posts/bulk takes POST only; "
                                "a post with that slug is reached by its id)"})
COMMENT_ID = _path_param("comment_id", {"type": "integer", "minimum": 1})
SITE_ID = _path_param("site_id", {"type": "integer", "minimum": 1})
LABEL = _path_param("label", TEXT)
IMPORT_ID = _path_param("import_id", {"type": "integer", "minimum": 1})
POST_STATUS_Q = {"name": "status", "in": "query", "schema": {
    "type": "string", "enum": ["draft", "scheduled", "published", "deleted"]}}
POST_KIND_Q = {"name": "kind", "in": "query", "description": "only posts, or only pages",
               "schema": {"type": "string", "enum": ["post", "page"]}}
COMMENT_STATUS_Q = {"name": "status", "in": "query", "schema": {
    "type": "string", "enum": ["pending", "approved", "spam"]}}

PATHS: dict[str, dict[str, Any]] = {
    "/api/sites": {
        "get": _op("list sites", "200", "Site", list_of=True, params=_PAGE),
        "post": {**_with_etag(_op("create a site", "201", "Site", body="SiteCreate",
                                  params=[_IDEM], location="/api/sites/{id}"), "201", None),
                 "description": "Without `base_url`, `http://HOST`. A `base_url` on another "
                                "site's host, or a `host` under another site's `base_url`, "
                                "is a 400 naming it."},
    },
    "/api/sites/{site_id}": {
        "get": _with_etag(_op("a site", "200", "Site", params=[SITE_ID, _IF_NONE_MATCH]),
                          "200", "304"),
        "patch": {**_with_etag(_op("change a site", "200", "Site", body="SitePatch",
                                   params=[SITE_ID, _IF_MATCH]), "200", "412"),
                  "description": "A `base_url` made from the host (`http://HOST`) moves with "
                                 "a new `host`; one set otherwise stays. A `base_url` on "
                                 "another site's host, or a `host` under another site's "
                                 "`base_url`, is a 400 naming it. The default site's "
                                 "`base_url` is the server.public_url setting (else "
                                 "http://HOST:PORT): another one is a 400 naming `base_url`; "
                                 "the stored one is no change."},
        "delete": _with_etag(_op("delete a site and everything in it", "204", None,
                                 params=[SITE_ID, _IF_MATCH]), None, "412"),
    },
    "/api/posts": {
        "get": _op("list posts, newest first", "200", "Post", list_of=True,
                   params=[*_PAGE, POST_STATUS_Q,
                           {"name": "label", "in": "query", "schema": TEXT}, POST_KIND_Q]),
        "post": {**_with_etag(_op("create a post (draft, scheduled or published)", "201",
                                  "Post", body="PostCreate", params=[_IDEM],
                                  location="/api/posts/{id}"), "201", None),
                 "description": "`publish_at` schedules a post: it is allowed only with "
                                "status `scheduled` (or no status, which then means "
                                "scheduled); with any other status it is a 400 naming "
                                "`publish_at`. `published` dates a draft or published post."},
    },
    "/api/posts/bulk": {
        "post": _taking(_op("create up to api.bulk_max_items posts (JSON array or NDJSON)",
                            "200", "BulkResult", params=[_IDEM]),
                        {JSON: {"schema": {"type": "array", "items": ref("PostCreate")}},
                         **{media: {"schema": {"type": "string"}} for media in NDJSON_TYPES}}),
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
                   params=[POST_REF, *_PAGE, COMMENT_STATUS_Q]),
        "post": _with_etag(_op("add a comment", "201", "Comment", body="CommentCreate",
                               params=[POST_REF, _IDEM], location="/api/comments/{id}"),
                           "201", None),
    },
    "/api/comments": {
        "get": _op("list comments (moderation queue with status=pending)", "200", "Comment",
                   list_of=True, params=[*_PAGE, COMMENT_STATUS_Q]),
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
        "post": _with_etag(_op("put a label on posts", "201", "Label", body="LabelCreate",
                               location="/api/labels/{name}, the name percent-encoded"),
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
        "post": _taking(_op("import an export (the body) of the kind given, or a feed by URL",
                            "201", "Import", location="/api/imports/{id}",
                            params=[{"name": "kind", "in": "query", "required": True,
                                     "schema": {"type": "string",
                                                "enum": ["blogger", "wordpress", "feed"]}},
                                    {"name": "pages", "in": "query",
                                     "schema": {"type": "boolean"}},
                                    FEED_URL_PARAM, _IDEM]),
                        {media: {"schema": {"type": "string", "format": "binary"}}
                         for media in IMPORT_TYPES}, required=False),
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


DESCRIPTION = (
    "HTTP rules (docs/publishing.md): errors are application/problem+json (RFC 9457) with "
    "a `field`. A method a path does not take is a 405 with `Allow`; OPTIONS on any path "
    "is a 204 with `Allow`, `Accept-Post` and `Accept-Patch`, without a token; every "
    "answer allows any origin (CORS, no credentials). Paths have no trailing slash (a 404). "
    "A body in a media type, charset (UTF-8 only) or content coding (gzip, deflate, br) "
    "the operation does not take is a 415; a corrupt compressed body a 400 naming "
    "Content-Encoding. Control characters (tab, line feed and carriage return aside) and "
    "unpaired surrogates are a 400 naming the field in paths, query parameters and body "
    "fields that go into the feeds as they are; titles, names, labels, slugs and HTML "
    "content are cleaned of them instead.")


def request_media_types(path: str, method: str) -> tuple[str, ...]:
    """The media types the document gives an operation's request body (path as in the route
    table); () for an operation that takes none."""
    op = PATHS.get(path, {}).get(method.lower(), {})
    return tuple(op.get("requestBody", {}).get("content", {}))


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "syndic admin API", "version": "1", "description": DESCRIPTION},
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": PATHS,
    }
