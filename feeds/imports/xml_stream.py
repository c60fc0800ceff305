"""An export file's parse events, streamed: what came before a malformed part is delivered
before the error, and an element the break cut off comes as ("cut", element), not "end".

Why not `etree.iterparse`: from lxml 6.2 on, iterparse raises a syntax error found in the
chunk it has just read before handing out the events that chunk produced, so a small export
broken at line 28 gave no item at all (an import must keep the whole items before the bad
part). An `XMLPullParser` fed by hand keeps its events when `feed()` raises: they are read
out first, then the error is raised again.

An undefined entity (`&eacute;` with no DTD declaring it) is an error lxml does not raise
when entities are not resolved (`resolve_entities=False`, as the importers parse): `feed()`
returns, the parser has stopped there, and `close()` then said "no element found" on line 1
(a later `feed()` even began a new document mid-file). libxml2 has logged it, though, in the
parser's `feed_error_log`, whose entries are kept until the next document: after each chunk
(not each element) a fatal error there is raised as XMLSyntaxError("undefined entity
&eacute;") on the entity's line. An undefined entity that is not fatal (the DOCTYPE names an
external DTD, which may declare it) is accepted as before; libxml2 logs at most 100 such.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from lxml import etree

CHUNK = 64 * 1024
"""Bytes fed to the parser at a time (lxml's own iterparse reads 32 KiB)."""

_UNDEFINED_ENTITY = re.compile(r"Entity '([^']+)' not defined")
"""libxml2's words for ERR_UNDECLARED_ENTITY."""


class XmlEvents:
    """`for event, element in XmlEvents(file, events=..., **parser_options)`; `root` is the
    document element once an event has come (None before, or for a file with none)."""

    def __init__(self, source: BinaryIO, events: tuple[str, ...], **options: Any) -> None:
        self._source = source
        self._parser = etree.XMLPullParser(events=events, **options)
        self.root: Any = None

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        parser = self._parser
        seen = _Seen()
        opened: list[Any] = []  # elements started and not ended, innermost last
        while True:
            chunk = self._source.read(CHUNK)
            seen.add(chunk)
            broken: etree.XMLSyntaxError | None = None
            try:
                if chunk:
                    parser.feed(chunk)
                else:
                    self.root = parser.close()
            except etree.XMLSyntaxError as exc:
                broken = exc
            broken = _undefined_entity(parser.feed_error_log) or (
                broken and _forbidden_character(broken, seen))
            events = list(parser.read_events()) if broken is not None else parser.read_events()
            if broken is not None:
                # At an error lxml ends every element still open: an item cut off half-way
                # comes out whole. Such an "end" (after the last "start", where they all
                # are) whose closing tag the file does not have comes as "cut".
                starts = [i for i, (event, _) in enumerate(events) if event == "start"]
                after = starts[-1] + 1 if starts else 0
                events[after:] = [("cut" if e == "end" and not seen.closed(el) else e, el)
                                  for e, el in events[after:]]
            for event, element in events:
                if self.root is None:
                    self.root = element.getroottree().getroot()
                if event == "start":
                    opened.append(element)
                elif opened and opened[-1] is element:
                    opened.pop()
                yield event, element
            if broken is not None:
                # An error part-way (a tag mismatch, a character XML forbids, not the file's
                # end) ends no element: those begun are cut off all the same.
                while opened:
                    yield "cut", opened.pop()
                raise broken
            if not chunk:
                return


class _Seen:
    """The last two chunks read: where the closing tag of an element whose "end" came with
    an error must be, if the file has one, and the line an error names."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.lines_before = 0
        """Line breaks in the chunks read before those kept."""

    def add(self, chunk: bytes) -> None:
        if not chunk:
            return  # the end of the file
        self.chunks.append(chunk)
        if len(self.chunks) > 2:
            self.lines_before += self.chunks.pop(0).count(b"\n")

    def line(self, number: int) -> str | None:
        """Line `number` of the file (1 the first), if it is in the chunks kept."""
        lines = b"".join(self.chunks).split(b"\n")
        at = number - 1 - self.lines_before
        whole = at >= 1 or (at == 0 and self.lines_before == 0)  # else it began earlier
        return lines[at].decode("utf-8", "replace") if whole and at < len(lines) else None


    def closed(self, element: Any) -> bool:
        """Whether a `</name` comes after the last `<name` start tag read (or, that start
        tag being further back, whether one comes at all): the closing tag of this element,
        the last of its name opened. (Items and entries do not nest; a "</item" in a CDATA
        section of a cut item would fool it.)"""
        name = etree.QName(element).localname
        qname = f"{element.prefix}:{name}" if element.prefix else name
        data = b"".join(self.chunks)
        opened = max((m.start() for m in re.finditer(
            rb"<" + re.escape(qname.encode()) + rb"[\s/>]", data)), default=-1)
        return data.rfind(f"</{qname}".encode()) > opened


def _undefined_entity(log: Any) -> etree.XMLSyntaxError | None:
    """The error for the parse's first fatal error when that is an undefined entity (lxml
    passes it over; an error it raises stays as lxml words it), else None."""
    if log.last_error is None:  # nothing logged: the usual case, once per chunk
        return None
    for entry in log.filter_from_fatals():
        if entry.type != etree.ErrorTypes.ERR_UNDECLARED_ENTITY:
            return None
        said = _UNDEFINED_ENTITY.match(entry.message)
        problem = f"undefined entity &{said[1]};" if said else entry.message
        return etree.XMLSyntaxError(problem, entry.type, entry.line, entry.column)
    return None


_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 does not allow anywhere (§2.2), not even as a reference."""


def _forbidden_character(exc: etree.XMLSyntaxError, seen: _Seen) -> etree.XMLSyntaxError:
    """The error named for what it is when its line holds a character XML forbids, up to
    where libxml2 stopped: libxml2 words such a character by where it sits ("CData
    section not finished", "PCDATA invalid Char value 11", "Char 0xB out of allowed
    range"), never by the character."""
    line = seen.line(exc.lineno) if exc.lineno else None
    found = _FORBIDDEN.search(line) if line is not None else None
    if found is None or found.start() >= exc.position[1]:
        return exc  # past where libxml2 stopped (its column counts bytes from 1)
    column = found.start() + 1  # in characters, as an editor counts
    return etree.XMLSyntaxError(
        f"invalid character U+{ord(found[0]):04X}, which XML does not allow, line"
        f" {exc.lineno}, column {column}", exc.code, exc.lineno, column)


_POSITION = re.compile(r",? line \d+, column (\d+)$")
"""The position lxml appends to libxml2's message ("..., line 28, column 16")."""
_ENDS_INSIDE = re.compile(r"^Premature end of data in tag (\S+) line (\d+)$")
"""libxml2's words for a file that ends before the element is closed."""


def syntax_problem(exc: etree.XMLSyntaxError) -> str:
    """A syntax error's problem, on one line, for an ImportFormatError whose `where` says
    its line: "not well-formed XML: <libxml2's message> (column N)", the line not said a
    second time, and a file that breaks off as "the file ends inside <tag> (begun on line
    N)" (libxml2: "Premature end of data in tag TAG line N")."""
    problem = " ".join(exc.msg.split())
    column = ""
    if found := _POSITION.search(problem):
        problem, column = problem[:found.start()], f" (column {found[1]})"
    if found := _ENDS_INSIDE.match(problem):
        problem, column = f"the file ends inside <{found[1]}> (begun on line {found[2]})", ""
    return f"not well-formed XML: {problem}{column}"


def element_children(elem: Any) -> Iterator[Any]:
    """Element children only (an unresolved entity reference is a child too)."""
    return (c for c in elem if isinstance(c.tag, str))


def forget(elem: Any) -> None:
    """Drop what was processed (and anything before it) so a large file stays small."""
    elem.clear(keep_tail=True)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]
