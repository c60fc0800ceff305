"""Blogger's `alt=json-in-script`: an Atom feed as GData JSON, wrapped in a callback.

Blogger widgets and scripts written for Blogger blogs ("recent posts", tables of contents,
related posts) load `/feeds/posts/default?alt=json-in-script&callback=fn` with a <script>
tag and read `json.feed.entry[i].title.$t`. The shape is Google's mechanical mapping of the
Atom document (GData JSON, developers.google.com/gdata/docs/json):

- an element is an object: its attributes are string properties, its text is `$t`;
- a child element is a property named by its local name, `prefix$name` outside the
  default namespace (`openSearch$totalResults`, `thr$total`, `media$thumbnail`), and the
  namespace declarations are `xmlns` / `xmlns$prefix` properties;
- an element that may repeat (entry, link, category, author, contributor) is an array,
  even when it appears once, as Blogger sends it; a feed with no entries has no `entry`.

So the JSON is made from the Atom bytes already rendered (deterministic bytes in,
deterministic bytes out), not from the posts: every feed URL and query parameter that has
an Atom feed has the script form too, with the same entries.

Two Blogger habits that scripts rely on and our Atom does not spell out are added:
- each link has its `rel` (RFC 4287 §4.2.7.2: an absent rel means "alternate", and
  scripts compare `link.rel == "alternate"`); an entry's alternate link has Blogger's
  `type` text/html and the entry's title as `title`;
- an entry with comments gets Blogger's `replies` link of type text/html to the post's
  comments, titled "N Comments", which comment-count widgets read.

`alt=json` stays JSON Feed 1.1 (README): only the script form is Blogger's JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
THR_NS = "http://purl.org/syndication/thread/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
DEFAULT_CALLBACK = "gdata.io.handleScriptLoaded"
"""Blogger's name when the request gives none."""
_REPEATED = frozenset({"entry", "link", "category", "author", "contributor"})
_TEXT_CONSTRUCTS = frozenset({"title", "subtitle", "summary", "content", "rights"})
_CALLBACK = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*", re.ASCII)
MAX_CALLBACK = 128
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def valid_callback(name: str) -> bool:
    """A callback is a dotted JavaScript name (fn, jQuery1124_17, ns.widget.show): nothing
    that could end the call and add a statement of its own."""
    return len(name) <= MAX_CALLBACK and _CALLBACK.fullmatch(name) is not None


def _name(tag: str, nsmap: dict[str | None, str]) -> str:
    qname = etree.QName(tag)
    local = str(qname.localname)
    if qname.namespace in (None, ATOM_NS):
        return local
    if qname.namespace == XML_NS:
        return "xml$" + local
    prefix = next((p for p, uri in nsmap.items() if uri == qname.namespace and p), None)
    return f"{prefix}${local}" if prefix else local


def _object(el: Any, root: bool = False) -> dict[str, Any]:
    nsmap: dict[str | None, str] = el.nsmap
    out: dict[str, Any] = {}
    if root:
        for prefix, uri in sorted(nsmap.items(), key=lambda kv: kv[0] or ""):
            out["xmlns" if prefix is None else f"xmlns${prefix}"] = uri
    for attr, value in el.attrib.items():
        out[_name(attr, nsmap)] = value
    local = etree.QName(el).localname
    children = [c for c in el if isinstance(c.tag, str)]
    if local in _TEXT_CONSTRUCTS and children:  # type="xhtml": the markup as text
        out["$t"] = (el.text or "") + "".join(
            etree.tostring(c, encoding="unicode", with_tail=True) for c in children)
        return out
    if el.text or (not children and (not el.attrib or local in _TEXT_CONSTRUCTS)):
        out["$t"] = el.text or ""
    for child in children:
        name = _name(child.tag, nsmap)
        value = _object(child)
        if name in out or etree.QName(child).localname in _REPEATED:
            previous = out.get(name)
            if previous is None:
                out[name] = [value]
            elif isinstance(previous, list):
                previous.append(value)
            else:  # a second one of an element that does not usually repeat
                out[name] = [previous, value]
        else:
            out[name] = value
    return out


def _blogger_links(entry: dict[str, Any]) -> None:
    links: list[dict[str, Any]] = entry.get("link", [])
    alternate = None
    count = None
    for link in links:
        link.setdefault("rel", "alternate")
        if link["rel"] == "alternate" and alternate is None:
            alternate = link
            link.setdefault("type", "text/html")
            link.setdefault("title", entry.get("title", {}).get("$t", ""))
        elif link["rel"] == "replies" and "thr$count" in link:
            count = link["thr$count"]
    if alternate is not None and count is not None:
        links.append({"rel": "replies", "type": "text/html",
                      "href": alternate["href"].partition("#")[0] + "#comments",
                      "title": f"{count} Comments"})


def gdata_json(atom: bytes) -> bytes:
    """The GData JSON of an Atom feed or entry document (`feed` or `entry` at the top), as
    UTF-8 bytes."""
    root = etree.fromstring(atom, parser=_PARSER)
    top = _object(root, root=True)
    name = str(etree.QName(root).localname)
    if name == "entry":
        _blogger_links(top)
    else:
        for link in top.get("link", []):
            link.setdefault("rel", "alternate")
        for entry in top.get("entry", []):
            _blogger_links(entry)
    text = json.dumps({"version": "1.0", "encoding": "UTF-8", name: top},
                      ensure_ascii=False, separators=(",", ":"))
    # U+2028 and U+2029 are legal in JSON but ended a string literal in JavaScript before
    # ES2019: escaped, the script parses in every browser.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def script(callback: str, body: bytes) -> bytes:
    """Blogger's wrapping: a comment line, then the call (callback already validated)."""
    return b"// API callback\n" + callback.encode() + b"(" + body + b");"
