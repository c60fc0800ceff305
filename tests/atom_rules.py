"""Is this a valid Atom document? The RFC 4287 RELAX NG grammar, plus the rules the grammar
cannot express (../shared/conformance/README.md lists them). Shared by the render tests and
the HTTP tests: `assert_atom_valid(body)`."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

from lxml import etree

from tests.conftest import ATOM_RNG

ATOM = "http://www.w3.org/2005/Atom"
THR = "http://purl.org/syndication/thread/1.0"
NS = {"a": ATOM, "thr": THR}

# RFC 3339 §5.6 date-time: the offset (Z or +hh:mm) is not optional.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})"
)
# RFC 3987 absolute IRI: a scheme, a colon, something, and no whitespace anywhere.
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+")


@cache
def _schema() -> Any:
    return etree.RelaxNG(etree.parse(str(ATOM_RNG)))


def _text(elem: Any) -> str:
    return "".join(elem.itertext())


def _where(elem: Any) -> str:
    return f"line {elem.sourceline}: <{etree.QName(elem).localname}>"


def _is_alternate(link: Any) -> bool:
    # RFC 4287 §4.2.7.2: a link without rel is an alternate link.
    return bool(link.get("rel", "alternate") == "alternate")


def _check_dates(root: Any) -> None:
    """RFC 4287 §3.3: Date constructs are RFC 3339 date-times, which carry a zone."""
    for elem in root.iter(f"{{{ATOM}}}updated", f"{{{ATOM}}}published"):
        value = _text(elem).strip()
        assert _RFC3339.fullmatch(value), f"{_where(elem)} {value!r} is not an RFC 3339 date-time with a time zone"
        parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        assert parsed.tzinfo is not None, f"{_where(elem)} {value!r} has no time zone"


def _check_ids(root: Any) -> None:
    """RFC 4287 §4.2.6: atom:id is an absolute IRI; RFC 4685 §3: so is thr:in-reply-to/@ref."""
    for elem in root.iter(f"{{{ATOM}}}id"):
        value = _text(elem).strip()
        assert _ABSOLUTE_IRI.fullmatch(value), f"{_where(elem)} {value!r} is not an absolute IRI"
    for elem in root.iter(f"{{{THR}}}in-reply-to"):
        ref = elem.get("ref", "")
        assert _ABSOLUTE_IRI.fullmatch(ref), f"{_where(elem)} ref {ref!r} is not an absolute IRI"


def _check_authors(root: Any) -> None:
    """RFC 4287 §4.1.1: a feed has an atom:author unless every entry has one."""
    if root.find("a:author", NS) is not None:
        return
    for entry in root.findall("a:entry", NS):
        has_own = entry.find("a:author", NS) is not None
        has_source = entry.find("a:source/a:author", NS) is not None
        assert has_own or has_source, (
            f"{_where(entry)} has no author, and neither does the feed (RFC 4287 §4.1.1)"
        )


def _check_links(container: Any) -> None:
    """RFC 4287 §4.1.1/§4.1.2: at most one alternate link per (type, hreflang)."""
    seen: set[tuple[str | None, str | None]] = set()
    for link in container.findall("a:link", NS):
        if not _is_alternate(link):
            continue
        combo = (link.get("type"), link.get("hreflang"))
        assert combo not in seen, f"{_where(link)} duplicates an alternate link {combo}"
        seen.add(combo)


def _check_entry(entry: Any) -> None:
    """RFC 4287 §4.1.2: an entry without atom:content has an alternate link."""
    _check_links(entry)
    if entry.find("a:content", NS) is not None:
        return
    alternates = [link for link in entry.findall("a:link", NS) if _is_alternate(link)]
    assert alternates, f"{_where(entry)} has neither content nor an alternate link"


def _check_entries(root: Any) -> None:
    for entry in root.findall("a:entry", NS):
        _check_entry(entry)


def _grammar_checked(xml_bytes: bytes, root_name: str) -> Any:
    """The document's root, once it passes the grammar, has `root_name` at the top, and
    has valid dates and ids."""
    root = etree.fromstring(xml_bytes)
    schema = _schema()
    if not schema.validate(root):
        raise AssertionError(f"not valid Atom (RFC 4287 grammar): {schema.error_log}")
    assert root.tag == f"{{{ATOM}}}{root_name}", f"root is {root.tag}, not atom:{root_name}"
    _check_dates(root)
    _check_ids(root)
    return root


def assert_atom_valid(xml_bytes: bytes) -> None:
    """Fail with a readable message unless `xml_bytes` is a valid Atom feed document."""
    root = _grammar_checked(xml_bytes, "feed")
    _check_authors(root)
    _check_links(root)
    _check_entries(root)


def assert_atom_entry_valid(xml_bytes: bytes) -> None:
    """Fail unless `xml_bytes` is a valid Atom Entry Document (RFC 4287 §4.1.2): the
    grammar, and an author of its own, as no feed's covers it."""
    root = _grammar_checked(xml_bytes, "entry")
    assert root.find("a:author", NS) is not None or root.find(
        "a:source/a:author", NS) is not None, "an entry document's entry has no author"
    _check_entry(root)
