"""An export file's parse events, streamed: what came before a malformed part is delivered
before the error.

Why not `etree.iterparse`: from lxml 6.2 on, iterparse raises a syntax error found in the
chunk it has just read before handing out the events that chunk produced, so a small export
broken at line 28 gave no item at all (an import must keep the whole items before the bad
part). An `XMLPullParser` fed by hand keeps its events when `feed()` raises: they are read
out first, then the error is raised again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from lxml import etree

CHUNK = 64 * 1024
"""Bytes fed to the parser at a time (lxml's own iterparse reads 32 KiB)."""


class XmlEvents:
    """`for event, element in XmlEvents(file, events=..., **parser_options)`; `root` is the
    document element once an event has come (None before, or for a file with none)."""

    def __init__(self, source: BinaryIO, events: tuple[str, ...], **options: Any) -> None:
        self._source = source
        self._parser = etree.XMLPullParser(events=events, **options)
        self.root: Any = None

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        parser = self._parser
        while True:
            chunk = self._source.read(CHUNK)
            broken: etree.XMLSyntaxError | None = None
            try:
                if chunk:
                    parser.feed(chunk)
                else:
                    self.root = parser.close()
            except etree.XMLSyntaxError as exc:
                broken = exc
            for event, element in parser.read_events():
                if self.root is None:
                    self.root = element.getroottree().getroot()
                yield event, element
            if broken is not None:
                raise broken
            if not chunk:
                return
