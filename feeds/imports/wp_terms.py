"""A WordPress export's terms: its categories and tags, as labels and as the aliases that
let their old archive and feed URLs answer (feeds/imports/legacy_urls.py).

Term names are unescaped (WordPress stores "&" in them as "&amp;"), slugs percent-decoded,
like wp:post_name. A category's parents are kept: WordPress's category archive and feed
show the posts of its child categories too, so a post in Garden > Vegetables takes the
Garden label, and the old /category/garden/feed/ (the Garden label's feed here) keeps
showing it."""

from __future__ import annotations

import html
from typing import Any, Literal
from urllib.parse import unquote

from feeds.imports.items import LabelAlias

LabelKind = Literal["category", "tag"]
# Term domains that are labels (1.0 wrote "tag"; older exports also a bare <category>).
LABEL_KINDS: dict[str, LabelKind | None] = {
    "category": "category", "post_tag": "tag", "tag": "tag", "": None,
}  # fmt: skip


class Terms:
    def __init__(self) -> None:
        self.aliases: set[tuple[str, str]] = set()
        self.categories: dict[str, tuple[str, str]] = {}
        """Category nicename -> (its name, its parent's nicename or "")."""

    def channel_category(self, f: dict[str, str]) -> list[LabelAlias]:
        """A wp:category of the channel (its children's text by local name)."""
        slug = unquote(f.get("category_nicename", ""))
        if slug:
            self.categories[slug] = (html.unescape(f.get("cat_name", "")) or slug,
                                     unquote(f.get("category_parent", "")))
        return self.alias("category", f.get("category_nicename", ""), f.get("cat_name", ""),
                          f.get("term_id"))

    def alias(self, kind: LabelKind, slug: str, name: str, term_id: str | None
              ) -> list[LabelAlias]:
        """The alias of a term not announced yet (once per export)."""
        slug = unquote(slug.strip())
        if not slug or (kind, slug) in self.aliases:
            return []
        self.aliases.add((kind, slug))
        return [LabelAlias(kind, slug, html.unescape(name.strip()) or slug, term_id or None)]

    def labels(self, terms: list[Any]) -> tuple[list[str], list[LabelAlias]]:
        """An item's <category> terms -> its labels (a category's ancestors after its own
        terms), and the aliases of the terms the channel did not list."""
        labels: list[str] = []
        aliases: list[LabelAlias] = []
        for term in terms:
            domain, name = term.get("domain", ""), html.unescape((term.text or "").strip())
            if domain not in LABEL_KINDS or not name:
                continue  # post_format, custom taxonomies
            if name not in labels:
                labels.append(name)
            if (kind := LABEL_KINDS[domain]) is not None:
                aliases += self.alias(kind, term.get("nicename", ""), name, None)
        for term in terms:
            if LABEL_KINDS.get(term.get("domain", "")) == "category":
                labels += [a for a in self.ancestors(term.get("nicename", ""))
                           if a not in labels]
        return labels, aliases

    def ancestors(self, nicename: str) -> list[str]:
        """The names of a category's parent, its parent's, ...; a loop in the parents ends
        the walk."""
        out: list[str] = []
        seen = {slug := unquote(nicename)}
        while (parent := self.categories.get(slug, ("", ""))[1]) and parent not in seen:
            seen.add(parent)
            if parent in self.categories and self.categories[parent][0] not in out:
                out.append(self.categories[parent][0])
            slug = parent
        return out
