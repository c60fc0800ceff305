"""`syndic ...`: serve, migrate, config, post add|list|rm, regenerate. Errors are one line
on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from config import ConfigError, Settings, load_settings, settings_as_toml
from feeds.errors import FeedsError, PostNotFoundError
from feeds.models import Post, PostDraft
from feeds.query import slugify
from feeds.render import FeedRenderer, InlineRenderer
from feeds.store import Store, open_store
from server.access_log import FastAccessLogger
from server.app import create_app, ensure_sites, make_publisher
from server.clock import SystemClock
from server.fastpath import FastSite
from server.frontmatter import read_post_file


def _parser() -> argparse.ArgumentParser:
    # --config goes before or after the command (`syndic --config F serve`, `syndic serve
    # --config F`); SUPPRESS keeps a subcommand from resetting what was given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS,
                        help="a TOML settings file (see config/default.toml)")
    parser = argparse.ArgumentParser(prog="syndic", description="A feed publisher.",
                                     parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help: str, into: Any = sub) -> argparse.ArgumentParser:
        return into.add_parser(name, help=help, parents=[common])  # type: ignore[no-any-return]

    serve = add("serve", "run the feed server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--demo", action="store_true", help="fill an empty store with a demo blog")
    add("migrate", "apply database migrations")
    add("config", "print the effective settings")
    add("regenerate", "mark every feed for rendering by the running server")
    post_sub = add("post", "add, list or remove posts").add_subparsers(
        dest="post_command", required=True)
    add("add", "add or update posts from Markdown/HTML files with front matter",
        post_sub).add_argument("files", nargs="+", type=Path)
    add("list", "list posts", post_sub).add_argument("--json", action="store_true")
    add("rm", "delete posts (by id, slug or entry id)", post_sub).add_argument(
        "refs", nargs="+")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, dict[str, object]] = {}
    if getattr(args, "host", None):
        overrides.setdefault("server", {})["host"] = args.host
    if getattr(args, "port", None):
        overrides.setdefault("server", {})["port"] = args.port
    return load_settings(getattr(args, "config", None), overrides=overrides)


async def _with_store(settings: Settings, work: Callable[[Store], Awaitable[int]]) -> int:
    store = await open_store(settings.storage.url, settings.storage.echo)
    try:
        return await work(store)
    finally:
        await store.close()


async def _post_add(settings: Settings, store: Store, files: list[Path]) -> int:
    clock = SystemClock()
    site = (await ensure_sites(store, settings, clock))[0]
    tz = ZoneInfo(site.timezone)
    drafts = [(path, read_post_file(path, tz, clock.now())) for path in files]  # all or nothing
    publisher = make_publisher(store, settings, InlineRenderer(FeedRenderer(1)))
    for path, draft in drafts:
        # A file whose slug (or id) names a stored post changes that post: edit the
        # file, add it again.
        existing = await _existing(store, site.id, draft)
        try:
            if existing is None:
                post = await publisher.add_post(site, draft, clock.now())
            else:
                post = await publisher.update_post(site, str(existing.id), draft, clock.now())
        except FeedsError as exc:
            raise FeedsError(f"{path}: {exc}") from None
        verb = "added" if existing is None else "updated"
        print(f"{verb} {post.id} {post.slug} {post.status.value}")
    return 0


async def _existing(store: Store, site_id: int, draft: PostDraft) -> Post | None:
    for ref in (draft.entry_id, slugify(draft.slug or draft.title)):
        if ref:
            try:
                return await store.get_post(site_id, ref)
            except PostNotFoundError:
                continue
    return None


async def _post_list(settings: Settings, store: Store, as_json: bool) -> int:
    site = (await ensure_sites(store, settings, SystemClock()))[0]
    for p in await store.list_posts(site.id):
        if as_json:
            print(json.dumps({"id": p.id, "slug": p.slug, "title": p.title, "status": p.status,
                              "published": p.published.isoformat(), "entry_id": p.entry_id},
                             ensure_ascii=False))
        else:
            print(f"{p.id}\t{p.status.value}\t{p.published:%Y-%m-%d %H:%M}\t{p.slug}\t{p.title}")
    return 0


async def _post_rm(settings: Settings, store: Store, refs: list[str]) -> int:
    clock = SystemClock()
    site = (await ensure_sites(store, settings, clock))[0]
    publisher = make_publisher(store, settings, InlineRenderer(FeedRenderer(1)))
    for ref in refs:
        post = await publisher.delete_post(site, ref, clock.now())
        print(f"deleted {post.id} {post.slug}")
    return 0


async def _regenerate(settings: Settings, store: Store) -> int:
    clock = SystemClock()
    publisher = make_publisher(store, settings, InlineRenderer(FeedRenderer(1)))
    for site in await ensure_sites(store, settings, clock):
        await publisher.mark_all(site, clock.now())
    print("every feed is marked; the running server renders them within a second")
    return 0


def _serve(settings: Settings, demo: bool) -> int:
    logging.basicConfig(level=settings.logging.level, format="%(asctime)s %(name)s %(message)s")
    # A run every change_poll_seconds would flood the log at INFO.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    asyncio.run(_run_server(create_app(settings, demo=demo), settings))
    return 0


async def _run_server(app: web.Application, settings: Settings) -> None:
    """Start, serve until SIGINT or SIGTERM, stop: every cleanup_ctx runs its stop."""
    runner = web.AppRunner(
        app,
        access_log_class=FastAccessLogger,
        # Lines go to the app's buffer (server/access_log.py); the logger here only
        # switches aiohttp's access logging on.
        access_log=logging.getLogger("aiohttp.access") if settings.server.access_log else None,
        handle_signals=False,
    )
    await runner.setup()
    host, port = settings.server.host, settings.server.port
    site: web.BaseSite = (FastSite(runner, host, port) if settings.server.fast_path
                          else web.TCPSite(runner, host, port))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await site.start()
        print(f"syndic: serving on http://{host}:{port}/", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = _settings(args)
    if args.command == "serve":
        return _serve(settings, args.demo)
    if args.command == "config":
        print(settings_as_toml(settings), end="")
        return 0
    if args.command == "migrate":
        return asyncio.run(_with_store(settings, lambda store: asyncio.sleep(0, 0)))
    if args.command == "regenerate":
        return asyncio.run(_with_store(settings, lambda s: _regenerate(settings, s)))
    if args.post_command == "add":
        return asyncio.run(_with_store(settings, lambda s: _post_add(settings, s, args.files)))
    if args.post_command == "list":
        return asyncio.run(_with_store(settings, lambda s: _post_list(settings, s, args.json)))
    return asyncio.run(_with_store(settings, lambda s: _post_rm(settings, s, args.refs)))


def main(argv: Sequence[str] | None = None) -> None:
    try:
        code = run(argv)
    except (ConfigError, FeedsError, OSError) as exc:
        print(f"syndic: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
