"""An Atom Entry Document (RFC 4287 §4.1.2): the one entry of a rendered feed, standing
alone, as Blogger answers /feeds/posts/default/POSTID ("featured post" widgets load it)."""

from __future__ import annotations

import copy

from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def entry_document(feed: bytes) -> bytes:
    """The feed's first entry as the root of its own document. An entry with no author of
    its own takes the feed's (RFC 4287 §4.1.2: in a feed document the feed's author covers
    it, alone it must carry one), and the feed's xml:lang and namespaces go with it."""
    root = etree.fromstring(feed, parser=_PARSER)
    entry = root.find(ATOM + "entry")
    if entry is None:
        raise ValueError("a feed with no entry has no entry document")
    alone = etree.Element(entry.tag, attrib=dict(entry.attrib), nsmap=root.nsmap)
    if (lang := root.get(XML_LANG)) is not None:
        alone.set(XML_LANG, lang)
    alone.extend(list(entry))
    if alone.find(ATOM + "author") is None:
        alone.extend(copy.deepcopy(a) for a in root.iterfind(ATOM + "author"))
    out: bytes = etree.tostring(alone, xml_declaration=True, encoding="UTF-8")
    return out
