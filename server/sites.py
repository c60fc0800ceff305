"""The sites this deployment serves, chosen by the request's Host."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from feeds.models import Site


class SiteDirectory:
    def __init__(self, sites: Iterable[Site]) -> None:
        self.generation = 0
        """Bumped on every change: memos of host -> site know when to forget."""
        self.by_id: dict[int, Site] = {}
        self.on_gone: list[Callable[[int], None]] = []
        """Told the id of each site a replace() no longer lists (deleted here, by another
        process, or by another server on the database): the feed cache drops its feeds."""
        self.replace(sites)

    def replace(self, sites: Iterable[Site]) -> None:
        listed = list(sites)
        if not listed:
            raise ValueError("a deployment serves at least one site")
        gone = set(self.by_id) - {s.id for s in listed}
        self.default = listed[0]
        self.generation += 1
        self.by_id = {s.id: s for s in listed}
        self._by_host = {s.host.lower(): s for s in listed}
        for site_id in sorted(gone):
            for tell in self.on_gone:
                tell(site_id)

    def for_host(self, host: str | None) -> Site:
        """The site of a Host header (with or without port); unknown hosts get the default."""
        if not host:
            return self.default
        host = host.lower()
        found = self._by_host.get(host)
        if found is None:
            found = self._by_host.get(host.rsplit(":", 1)[0] if not host.endswith("]") else host)
        return found or self.default
