"""A video or audio page's URL -> the HTML of its player, without asking anyone.

WordPress turns a YouTube or Vimeo URL standing alone on a line (and `[embed]URL[/embed]`)
into the provider's player when it displays a post, by asking the provider (oEmbed); the
export holds only the URL. An import cannot ask (nothing is fetched), but the players of
the providers bloggers use most have URLs made from the page's own URL, so they are built
here. feeds/content.py keeps exactly these players' iframes (EMBED_PLAYERS) and drops every
other iframe.

The player goes out as a <figure> with a link to the page under it: many feed readers drop
every iframe, and their readers then still find the video.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import parse_qs, quote, urlsplit

__all__ = ["player_html"]

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DIGITS = re.compile(r"\d{1,20}")
_SPOTIFY_KINDS = frozenset({"track", "album", "playlist", "episode", "show", "artist"})
_VIDEO_SIZE = (640, 360)


def _youtube(host: str, path: str, query: dict[str, list[str]]) -> str | None:
    if host == "youtu.be":
        video = path.strip("/")
    elif path in ("/watch", "/watch/"):
        video = (query.get("v") or [""])[0]
    elif path in ("/playlist", "/playlist/"):
        listed = (query.get("list") or [""])[0]
        return f"https://www.youtube.com/embed/videoseries?list={listed}" \
            if _ID.fullmatch(listed) else None
    else:
        kind, _, video = path.strip("/").partition("/")
        if kind not in ("embed", "shorts", "live", "v"):
            return None
    return f"https://www.youtube.com/embed/{video}" if _ID.fullmatch(video) else None


def _vimeo(host: str, path: str, query: dict[str, list[str]]) -> str | None:
    # vimeo.com/76979871, vimeo.com/channels/staffpicks/76979871, player.vimeo.com/video/ID
    last = path.rstrip("/").rpartition("/")[2]
    return f"https://player.vimeo.com/video/{last}" if _DIGITS.fullmatch(last) else None


def _dailymotion(host: str, path: str, query: dict[str, list[str]]) -> str | None:
    if host == "dai.ly":
        video = path.strip("/")
    else:
        kind, _, rest = path.strip("/").rpartition("/")
        if not kind.endswith("video"):
            return None
        video = rest.partition("_")[0]  # /video/x7tgad0_some-title
    return f"https://www.dailymotion.com/embed/video/{video}" if _ID.fullmatch(video) else None


def _spotify(host: str, path: str, query: dict[str, list[str]]) -> str | None:
    parts = path.strip("/").split("/")
    if parts[:1] == ["embed"]:
        parts = parts[1:]
    if len(parts) == 4 and parts[0] == "user":  # /user/NAME/playlist/ID, the old form
        parts = parts[2:]
    if len(parts) == 2 and parts[0] in _SPOTIFY_KINDS and _ID.fullmatch(parts[1]):
        return f"https://open.spotify.com/embed/{parts[0]}/{parts[1]}"
    return None


def _soundcloud(host: str, path: str, query: dict[str, list[str]]) -> str | None:
    # The widget takes the track's (or set's) page URL itself, or its API URL, which is
    # what SoundCloud's "WordPress code" and Jetpack's [soundcloud url=...] give.
    if path.strip("/").count("/") < 1:
        return None  # a profile page, not a track
    page = f"https://{'api.' if host == 'api.soundcloud.com' else ''}soundcloud.com{path}"
    return f"https://w.soundcloud.com/player/?url={quote(page, safe='')}"


_Player = Callable[[str, str, dict[str, list[str]]], "str | None"]
_PROVIDERS: dict[str, tuple[_Player, int]] = {
    "youtube.com": (_youtube, 360), "www.youtube.com": (_youtube, 360),
    "m.youtube.com": (_youtube, 360), "youtu.be": (_youtube, 360),
    "youtube-nocookie.com": (_youtube, 360), "www.youtube-nocookie.com": (_youtube, 360),
    "vimeo.com": (_vimeo, 360), "www.vimeo.com": (_vimeo, 360), "player.vimeo.com": (_vimeo, 360),
    "dailymotion.com": (_dailymotion, 360), "www.dailymotion.com": (_dailymotion, 360),
    "dai.ly": (_dailymotion, 360),
    "open.spotify.com": (_spotify, 352),
    "soundcloud.com": (_soundcloud, 166), "www.soundcloud.com": (_soundcloud, 166),
    "m.soundcloud.com": (_soundcloud, 166), "api.soundcloud.com": (_soundcloud, 166),
}  # fmt: skip
"""Host -> (page path to player URL, the player's height at a width of 640)."""


def player_url(page: str) -> tuple[str, int] | None:
    """The player's URL for a page of a known provider, and its height; None otherwise."""
    try:
        url = urlsplit(page.strip())
        host = (url.hostname or "").lower()
        port = url.port
    except ValueError:
        return None
    if url.scheme.lower() not in ("http", "https") or url.username is not None or port:
        return None
    provider = _PROVIDERS.get(host)
    if provider is None:
        return None
    make, height = provider
    src = make(host, url.path, parse_qs(url.query))
    return (src, height) if src else None


def player_html(page: str, width: int | None = None, height: int | None = None) -> str | None:
    """The player of `page` (an unescaped URL) with a link to the page, or None when `page`
    is not a page of a known provider. `width`/`height`, when given (an [embed] shortcode's),
    size it."""
    found = player_url(page)
    if found is None:
        return None
    src, default_height = found
    w = width if width and width > 0 else _VIDEO_SIZE[0]
    h = height if height and height > 0 else round(default_height * w / _VIDEO_SIZE[0])
    link = html.escape(page.strip())
    return (
        f'<figure><iframe src="{html.escape(src)}" width="{w}" height="{h}" allowfullscreen'
        f' loading="lazy"></iframe><figcaption><a href="{link}">{link}</a></figcaption></figure>'
    )
