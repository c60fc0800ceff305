"""The JSON schemas of the admin API's bodies, requests and answers: the components of its
OpenAPI 3.1 document (server/openapi.py), and what the handlers validate request bodies with
(server/api_input.py), so the document and the behaviour cannot drift apart."""

from __future__ import annotations

from typing import Any

from config import PORT_PATTERN, SITE_HOST, SITE_HOST_MAX, SUMMARY_LENGTH
from feeds.posts import MAX_EMAIL, MAX_LABEL, MAX_NAME, MAX_TITLE, MAX_URL

JSON = "application/json"
PROBLEM = "application/problem+json"


def obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    return out


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
DATE = {"type": "string", "format": "date-time"}
NDATE = {"type": ["string", "null"], "format": "date-time"}
ID = {"type": "integer", "minimum": 1}
# Python's `\s` (str.isspace) spelled out, for patterns: ECMA-262's `\s`, which
# jsonschema-rs reads (server/api_input.py), lacks \x1c-\x1f and \x85 and has \ufeff.
SPACE = r"\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# An address readers make a link of: http(s) only (a javascript: or data: URI in an
# author's atom:uri or an enclosure is a link in every reader that shows it).
HTTP_URL = {"type": "string", "maxLength": MAX_URL, "pattern": f"^https?://[^{SPACE}]+$",
            "description": "an absolute http(s) URL: https://example.com/about"}
AUTHOR = obj({"name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
               "uri": {**HTTP_URL, "type": ["string", "null"]},
               "email": {"type": ["string", "null"], "maxLength": MAX_EMAIL,
                         "pattern": f"^[^{SPACE}@]+@[^{SPACE}@]+$",
                         "description": "an email address: name@example.com"}}, ("name",))
AUTHOR_NAME = {"type": "string", "minLength": 1, "maxLength": MAX_NAME}
AUTHOR_OR_NAME = {"oneOf": [AUTHOR_NAME, AUTHOR], "description": (
    "an author ({name, uri, email}) or a name: \"Marco Rossi\" is {\"name\": \"Marco Rossi\"}")}
ENCLOSURE = obj({"url": {**HTTP_URL, "minLength": 1},
                  "type": {"type": "string", "maxLength": MAX_NAME},
                  # bytes; 1e3 is an integer too (2020-12 §6.1.1): api_input makes it an int
                  "length": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}},
                 ("url",))
POST_STATUS = {"type": "string", "enum": ["draft", "scheduled", "published"]}
POST_KIND = {"type": "string", "enum": ["post", "page"], "description": (
    "`page`: a page (\"About\"), at /p/SLUG.html and in the pages feed "
    "(/feeds/pages/default), in no posts feed (site, label, author); default `post`")}
COMMENT_STATUS = {"type": "string", "enum": ["pending", "approved", "spam"]}
DELIVERY_STATES = ("pending", "sending", "delivered", "failed", "gone", "superseded")
LABELS = {"type": "array", "maxItems": 100,
          "items": {"type": "string", "minLength": 1, "maxLength": MAX_LABEL}}

PUBLISH_AT = {**NDATE, "description": (
    "When a scheduled post goes out. Only with status `scheduled` (or without a status: "
    "it makes the post scheduled); with status `draft` or `published` it is a 400 naming "
    "`publish_at` (date those with `published`). Given with `published`, the two must be "
    "the same instant. In a PATCH, null takes a scheduled post off its schedule (a "
    "draft without a date, unless `status` or `published` says otherwise).")}

_POST_FIELDS: dict[str, Any] = {
    "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE},
    "content_html": {"type": "string", "maxLength": 16_000_000},
    "summary": {**NSTR, "description": "null or empty: made from the content"},
    "slug": {"type": ["string", "null"], "maxLength": 200,
             "description": "null or empty: made from the title"},
    "labels": LABELS,
    "authors": {"type": "array", "maxItems": 20, "items": AUTHOR_OR_NAME},
    "enclosures": {"type": "array", "maxItems": 20, "items": ENCLOSURE},
    "published": NDATE,
    "updated": NDATE,
    "publish_at": PUBLISH_AT,
    "status": POST_STATUS,
    "kind": POST_KIND,
}
PORT = PORT_PATTERN  # a TCP port, 0-65535, for patterns
_SITE_FIELDS: dict[str, Any] = {
    # A refused pattern's 400 says its description (server/api_input._refusal).
    # The settings' site.host takes the same (config.SITE_HOST).
    "host": {"type": "string", "minLength": 1, "maxLength": SITE_HOST_MAX,
             "pattern": SITE_HOST,
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


def out(props: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """A response object: every property but `optional` is always there. Further properties
    are allowed (a client must ignore what it does not know)."""
    return {"type": "object", "properties": props,
            "required": [name for name in props if name not in optional]}


AUTHOR_OUT = out({"name": STR, "uri": NSTR, "email": NSTR})
POST_AUTHOR_OUT = out({**AUTHOR_OUT["properties"], "feed": {
    **NSTR, "description": "the URL of this author's feed on the site (Atom; ?alt=rss, "
    "?alt=json): two authors of one name (or of names alike) have two"}})

SCHEMAS: dict[str, Any] = {
    "PostCreate": obj({**_POST_FIELDS, "entry_id": {"type": ["string", "null"],
                                                     "minLength": 1, "maxLength": 2000}},
                       ("title",)),
    # A post always has its dates: null is no way to clear one (a 400 naming it); a slug
    # or summary of null (or "") is made again from the title or the content.
    "PostPatch": obj({**_POST_FIELDS,
                      "published": {**DATE, "description": "a post always has one: leave "
                                    "it out to keep it (null is a 400)"},
                      "updated": {**DATE, "description": "a post always has one: leave "
                                  "it out to have it set to the time of the change (null "
                                  "is a 400); never before `published`"}}),
    "Post": out({
        "id": ID, "entry_id": STR, "slug": STR, "url": STR, "title": STR, "summary": STR,
        "content_html": STR,
        "status": {"type": "string", "enum": ["draft", "scheduled", "published", "deleted"]},
        "published": DATE, "updated": DATE,
        "publish_at": {**NDATE, "description": "the publication instant of a scheduled "
                       "post; null for any other status"},
        "labels": STRS, "authors": {"type": "array", "items": POST_AUTHOR_OUT},
        "enclosures": {"type": "array", "items": out(
            {"url": STR, "type": STR, "length": COUNT})},
        "thumbnail": NSTR, "comment_count": COUNT, "version": ID, "kind": POST_KIND}),
    "CommentCreate": obj({"author": AUTHOR_OR_NAME,
                           "content_html": {"type": "string", "minLength": 1,
                                            "maxLength": 1_000_000},
                           "published": NDATE, "status": COMMENT_STATUS,
                           "parent_id": {"type": ["integer", "null"], "minimum": 1,
                                         "maximum": 2**63 - 1}},
                          ("author", "content_html")),
    "CommentPatch": obj({"author": AUTHOR_OR_NAME,
                         "content_html": {"type": "string", "minLength": 1,
                                          "maxLength": 1_000_000},
                          "published": DATE, "status": COMMENT_STATUS}),
    "Comment": out({"id": ID, "post_id": ID, "entry_id": STR, "author": AUTHOR_OUT,
                     "content_html": STR, "status": COMMENT_STATUS, "published": DATE,
                     "updated": DATE, "parent_id": {"type": ["integer", "null"]}}),
    "SiteCreate": obj(_SITE_FIELDS, ("host", "title")),
    "SitePatch": obj(_SITE_FIELDS),
    "Site": out({"id": ID, "host": STR, "title": STR, "subtitle": STR, "base_url": STR,
                  "timezone": STR, "language": STR,
                  "default_feed": _SITE_FIELDS["default_feed"],
                  "summary_length": COUNT,
                  "wordpress_urls": {"type": "boolean"}, "is_default": {"type": "boolean"},
                  "created": DATE}),
    "LabelCreate": obj({"name": LABELS["items"],
                         "posts": {"type": "array", "minItems": 1, "maxItems": 10_000,
                                   "items": ID}}, ("name", "posts")),
    "LabelPatch": obj({"name": LABELS["items"]}, ("name",)),
    "Label": out({"name": STR, "count": COUNT,
                   "feed": {**STR, "description": "the label's Atom feed"}}),
    "Import": out({
        "id": ID, "site_id": ID,
        "source": {**STR, "description": "kind:name (the upload, or the feed URL)"},
        "state": {"type": "string", "enum": ["running", "done", "failed"]},
        "started": DATE, "finished": NDATE,
        "report": {"type": "object", "description": "empty while running", "properties": {
            "posts": out({"added": COUNT, "updated": COUNT, "unchanged": COUNT}),
            "comments": out({"added": COUNT, "updated": COUNT, "unchanged": COUNT}),
            "aliases": COUNT, "items": COUNT,
            "skipped": {"type": "array", "items": out(
                {"where": STR, "title": STR, "reason": STR})},
            "notes": {"type": "array", "description": "items stored with something the "
                      "export did not quite say (a date that is no date)", "items": out(
                          {"where": STR, "title": STR, "note": STR})},
            "error": {**STR, "description": "why a failed run stopped"}}}}),
    "Subscription": out({"id": ID, "site_id": ID, "topic": STR, "callback": STR,
                          "signed": {"type": "boolean"}, "lease_seconds": COUNT,
                          "expires_at": DATE, "created": DATE, "verified_at": NDATE}),
    "Delivery": out({"id": ID, "kind": {"type": "string", "enum": ["websub", "hub", "ping"]},
                      "site_id": ID, "topic": STR, "target": STR, "version": STR,
                      "state": {"type": "string", "enum": list(DELIVERY_STATES)},
                      "attempts": COUNT, "next_attempt_at": NDATE,
                      "last_status": {"type": ["integer", "null"]}, "last_error": NSTR}),
    "Regeneration": out({"marked": STR, "site_id": ID}),
    "BulkResult": out({
        "results": {"type": "array", "items": {
            **out({"index": COUNT,
                    "outcome": {"type": "string",
                                "enum": ["added", "updated", "unchanged", "error"]},
                    "id": ID, "error": STR,
                    "field": {**STR, "description": "the item's field at fault, as the "
                              "error names it ([5].published; [5] for the item as a whole)"}},
                   optional=("id", "error", "field")),
            "if": {"properties": {"outcome": {"const": "error"}}},
            "then": {"required": ["error", "field"]}, "else": {"required": ["id"]}}},
        "added": COUNT, "updated": COUNT, "unchanged": COUNT, "errors": COUNT}),
    "Token": {**out({"id": ID, "name": STR, "created": DATE}),
              "description": "an API token as `syndic token list --json` shows it"},
    "Problem": out({"type": STR, "title": STR,
                     "status": {"type": "integer", "minimum": 400, "maximum": 599},
                     "detail": STR,
                     "field": {**STR, "description": "the field, parameter or header at "
                               "fault"},
                     "max_bytes": {"type": "integer", "description": "413: the largest body "
                                   "taken, in bytes (decoded)"},
                     "instance": {**STR, "description": "an import a malformed export "
                                  "stopped: that run (/api/imports/ID), whose report says "
                                  "what it stored before the bad part"}},
                    optional=("field", "max_bytes", "instance")),
}
