"""`syndic ...`: serve, migrate, config, post, comment, site, token, import, regenerate, hub.

Errors are one line on stderr and a non-zero exit, never a traceback:

- exit 2: a mistake the message explains (a bad option or argument, setting, file, value,
  a post that is not there, a database that cannot be opened, a URL that cannot be
  fetched): `syndic: <what>: <problem>`. argparse's usage errors exit 2 as well.
- exit 70 (EX_SOFTWARE, sysexits.h): anything else, a bug: `syndic: internal error:
  <ExcType>: <message> (run with SYNDIC_DEBUG=1 for the traceback)`. With SYNDIC_DEBUG
  set (to anything but "" or "0") the traceback is printed before that line. SYNDIC_DEBUG
  is not a setting: it is taken out of the environment the settings are read from. A
  module that fails as it is imported (a broken install) is exit 70 too (server/entry.py).
- exit 130: interrupted (Ctrl-C), quietly.
- A closed stdout (`syndic post list | head -1`) ends the command quietly, exit 141
  (128 + SIGPIPE, what a shell reports for a process killed by it)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import socket
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config import ConfigError, Settings, load_settings, redact_urls_in
from config.shown import settings_as_json, settings_as_toml
from feeds.errors import FeedsError, SchemaMismatchError, StoreUnavailableError
from feeds.store import Store, open_store
from server import cli_admin, cli_content, cli_push
from server.access_log import FastAccessLogger
from server.app import create_app
from server.cli_usage import EXIT_ERROR, SyndicParser, usage_error
from server.fastpath import FastSite
from server.keys import FOLLOWER_FD
from server.log_setup import configure_logging
from server.workers import Followers, listening_sockets


def _parser() -> argparse.ArgumentParser:
    # --config goes before or after the command (`syndic --config F serve`, `syndic serve
    # --config F`); SUPPRESS keeps a subcommand from resetting what was given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS,
                        help="a TOML settings file (see config/default.toml)")
    parser = SyndicParser(prog="syndic", description="A feed publisher.", parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help: str, into: Any = sub, site: bool = False,
            json_out: bool = False) -> argparse.ArgumentParser:
        cmd: argparse.ArgumentParser = into.add_parser(name, help=help, parents=[common])
        if site:
            cmd.add_argument("--site", help="site id or host (default: the default site)")
        if json_out:
            cmd.add_argument("--json", action="store_true", help="JSON output, one per line")
        return cmd

    def group(name: str, help: str) -> Any:
        return add(name, help).add_subparsers(dest=f"{name}_command", required=True)

    serve = add("serve", "run the feed server")
    serve.add_argument("--host")
    # Strings, read as the settings read SYNDIC_SERVER__PORT (ASCII digits only).
    serve.add_argument("--port")
    serve.add_argument("--workers", help="server processes (server.workers)")
    serve.add_argument("--demo", action="store_true", help="fill an empty store with a demo blog")
    # A follower process's end of its channel to the leader (server/workers.py): the leader
    # starts its followers with it; not for people.
    serve.add_argument("--follower-fd", type=int, help=argparse.SUPPRESS)
    serve.add_argument("--listen-fd", type=int, action="append", help=argparse.SUPPRESS)
    add("migrate", "apply database migrations", json_out=True)
    add("config", "print the effective settings (secrets not shown)", json_out=True)
    regen = add("regenerate", "mark every feed (or one) for rendering by the running server",
                site=True)
    regen.add_argument("feed", nargs="?", help="a feed path, e.g. /feeds/posts/default/-/x")
    hub = group("hub", "the WebSub hub: subscriptions and deliveries")
    add("list", "list subscriptions", hub, json_out=True)
    hdel = add("deliveries", "list recent deliveries", hub, json_out=True)
    hdel.add_argument("--state", choices=["pending", "sending", "delivered", "failed", "gone",
                                          "superseded"])
    hdel.add_argument("--limit", type=int, default=50)

    post = group("post", "add, edit, list, show or remove posts")
    padd = add("add", "add or update posts from Markdown/HTML files with front matter", post,
               True, True)
    padd.add_argument("files", nargs="+", type=Path)
    padd.add_argument("--page", action="store_true",
                      help="as pages (/p/SLUG.html, /feeds/pages/default), in no posts feed")
    edit = add("edit", "change a post (by id, slug or entry id)", post, True, True)
    edit.add_argument("ref")
    for flag in ("title", "slug", "summary", "labels", "file"):
        edit.add_argument(f"--{flag}", help="comma-separated" if flag == "labels" else None)
    edit.add_argument("--status", choices=["draft", "scheduled", "published"])
    edit.add_argument("--publish-at", dest="publish_at",
                      help="schedule it: 2026-12-25T10:00 (site time zone) or with an offset")
    listing = add("list", "list posts, newest first", post, True, True)
    listing.add_argument("--status", choices=["draft", "scheduled", "published", "deleted"])
    listing.add_argument("--label")
    add("show", "show a post", post, True, True).add_argument("ref")
    add("rm", "delete posts (by id, slug or entry id)", post, True, True).add_argument(
        "refs", nargs="+")

    comment = group("comment", "add, list, moderate or remove comments")
    cadd = add("add", "add a comment to a post", comment, True, True)
    cadd.add_argument("post", help="post id, slug or entry id")
    cadd.add_argument("--author", required=True)
    cadd.add_argument("--email")
    cadd.add_argument("--uri")
    cadd.add_argument("--content", help="the comment's HTML")
    cadd.add_argument("--file", help="a file holding the comment's HTML")
    cadd.add_argument("--status", default="approved", choices=["pending", "approved", "spam"])
    cadd.add_argument("--parent", type=int, help="the comment this one answers")
    clist = add("list", "list comments, newest first", comment, True, True)
    clist.add_argument("--post")
    clist.add_argument("--status", choices=["pending", "approved", "spam"])
    add("show", "show a comment", comment, True, True).add_argument("id", type=int)
    for verb, text in (("approve", "approve comments"), ("spam", "mark comments as spam"),
                       ("hold", "hold comments for moderation"), ("rm", "delete comments")):
        add(verb, text, comment, True, True).add_argument("ids", nargs="+", type=int)

    site = group("site", "list, show, create, change or remove sites")
    add("list", "list sites", site, json_out=True)
    add("show", "show a site", site, json_out=True).add_argument("ref", nargs="?",
                                                                 metavar="SITE")
    screate = add("create", "create a site", site, json_out=True)
    screate.add_argument("host")
    screate.add_argument("--title", required=True)
    screate.add_argument("--set", action="append", metavar="KEY=VALUE")
    sset = add("set", "change a site: KEY=VALUE ...", site, json_out=True)
    sset.add_argument("ref", help="site id or host", metavar="SITE")
    sset.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
    add("rm", "remove a site and everything in it", site, json_out=True).add_argument(
        "ref", metavar="SITE")

    token = group("token", "API tokens")
    add("create", "make a token (shown once)", token, json_out=True).add_argument("name")
    add("list", "list tokens", token, json_out=True)
    add("revoke", "revoke a token (id or name)", token, json_out=True).add_argument("ref")

    imp = add("import", "import a blog: Blogger or WordPress export, or any feed", site=True,
              json_out=True)
    imp.add_argument("kind", choices=["blogger", "wordpress", "feed"])
    imp.add_argument("source", help="the export file, or the feed's URL or file")
    imp.add_argument("--pages", action="store_true", help="import pages as posts too")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


Command = Callable[[Settings, Store, argparse.Namespace], Awaitable[int]]


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, dict[str, object]] = {}
    if getattr(args, "host", None):
        overrides.setdefault("server", {})["host"] = args.host
    if getattr(args, "port", None):
        overrides.setdefault("server", {})["port"] = args.port
    if getattr(args, "workers", None):
        overrides.setdefault("server", {})["workers"] = args.workers
    environ = {k: v for k, v in os.environ.items() if k.upper() != DEBUG_ENV}
    return load_settings(getattr(args, "config", None), environ, overrides)


def _check_storage(url: str) -> None:
    """A SQLite file must be in a directory that exists (SQLite creates the file, not the
    directory). Said here by setting name: SQLAlchemy's own error is a traceback-sized
    'unable to open database file'. The URL itself is never echoed (it may hold a
    password)."""
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 (read here: a port that is no number is a ValueError)
    except (ArgumentError, ValueError) as exc:  # load_settings checked the scheme
        raise ConfigError(f"storage.url: not a database URL that can be read: "
                          f"{redact_urls_in(str(exc))}") from None
    database = parsed.database
    if not parsed.get_backend_name().startswith("sqlite") or not database or (
            database == ":memory:" or database.startswith("file:")):
        return
    path = Path(database)
    if path.is_dir():
        raise ConfigError(f"storage.url: {path} is a directory, not a database file")
    if not path.parent.is_dir():
        raise ConfigError(f"storage.url: directory {path.parent} does not exist "
                          f"(for the database file {path.name})")


async def _with_store(settings: Settings, work: Callable[[Store], Awaitable[int]],
                      upgrade: bool = False) -> int:
    """`work` on the store. Only `syndic migrate` (`upgrade`) and the server's start
    upgrade a database an older syndic made: any other command stops, asking for `syndic
    migrate` (after an upgrade the older syndic cannot open it any more, and a command
    that was asked to list sites should not be what does that). An empty database gets the
    schema from any command."""
    store = await open_store(settings.storage.url, settings.storage.echo, upgrade=upgrade)
    try:
        return await work(store)
    finally:
        await store.close()


M_ARENA_MAX = -8  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MALLOC_ARENAS = 2
MMAP_THRESHOLD = 128 * 1024


def _tune_malloc() -> None:
    """At most two glibc malloc arenas. glibc gives threads arenas of their own (up to 8 per
    core); the render, compression and database threads each freed into theirs memory the
    others could not reuse, and the server serving every feed of a 100,000-post site peaked
    at 864 MiB instead of 630 (docs/benchmarks.md, "Second pass"). The same as setting
    MALLOC_ARENA_MAX=2; without glibc, nothing to do.

    Blocks of 128 KiB and more (a large feed's body, a batch of rows) are mapped and unmapped
    on their own: glibc otherwise raises that threshold each time one is freed, and such
    bodies ended up in the heap between smaller blocks, where their memory stayed after they
    were freed (start-up regeneration of that site: 540 -> 451 MiB at first serve)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_ARENA_MAX, MALLOC_ARENAS)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (OSError, AttributeError):
        pass


def _serve(settings: Settings, demo: bool, argv: list[str], follower_fd: int | None,
           listen_fds: list[int]) -> int:
    _tune_malloc()  # before any thread starts
    configure_logging(settings)
    app = create_app(settings, demo=demo, follower_fd=follower_fd)
    followers = (Followers(app, argv, settings.server.workers - 1)
                 if follower_fd is None and settings.server.workers > 1 else None)
    inherited = [socket.socket(fileno=fd) for fd in listen_fds]
    asyncio.run(_run_server(app, settings, followers, inherited))
    return 0


async def _run_server(app: web.Application, settings: Settings,
                      followers: Followers | None = None,
                      inherited: list[socket.socket] | None = None) -> None:
    """Start, serve until SIGINT or SIGTERM, stop: every cleanup_ctx runs its stop. With
    followers (server.workers > 1), the listening sockets are made here and inherited by
    them (`inherited`, in a follower); they start once this process serves, and stop
    first."""
    runner = web.AppRunner(
        app,
        access_log_class=FastAccessLogger,
        # Lines go to the app's buffer (server/access_log.py); the logger here only
        # switches aiohttp's access logging on.
        access_log=logging.getLogger("aiohttp.access") if settings.server.access_log else None,
        handle_signals=False,
    )
    try:
        await runner.setup()
    except BaseException:
        # What started before the failure (the store, the HTTP client) is stopped, not left
        # to asyncio's "Unclosed client session" warnings at exit.
        with contextlib.suppress(Exception):
            await runner.cleanup()
        raise
    host, port = settings.server.host, settings.server.port
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        fast = settings.server.fast_path
        socks = inherited or (listening_sockets(host, port) if followers is not None else [])
        sites: list[web.BaseSite]
        if socks:  # workers: the leader's sockets, shared
            sites = [FastSite(runner, sock=s) if fast else web.SockSite(runner, s)
                     for s in socks]
        else:
            sites = [FastSite(runner, host, port) if fast else web.TCPSite(runner, host, port)]
        for site in sites:
            await site.start()
        if followers is not None:
            await followers.start(socks)
        if FOLLOWER_FD not in app:
            print(f"syndic: serving on http://{host}:{port}/", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        if followers is not None:
            await followers.stop()
        await runner.cleanup()


COMMANDS: dict[tuple[str, str | None], Command] = {
    ("post", "add"): cli_content.post_add,
    ("post", "edit"): cli_content.post_edit,
    ("post", "list"): cli_content.post_list,
    ("post", "show"): cli_content.post_show,
    ("post", "rm"): cli_content.post_rm,
    ("comment", "add"): cli_content.comment_add,
    ("comment", "list"): cli_content.comment_list,
    ("comment", "show"): cli_content.comment_show,
    ("comment", "approve"): cli_content.comment_moderate,
    ("comment", "spam"): cli_content.comment_moderate,
    ("comment", "hold"): cli_content.comment_moderate,
    ("comment", "rm"): cli_content.comment_moderate,
    ("site", "list"): cli_admin.site_list,
    ("site", "show"): cli_admin.site_show,
    ("site", "create"): cli_admin.site_create,
    ("site", "set"): cli_admin.site_set,
    ("site", "rm"): cli_admin.site_rm,
    ("token", "create"): cli_admin.token_create,
    ("token", "list"): cli_admin.token_list,
    ("token", "revoke"): cli_admin.token_revoke,
    ("import", None): cli_admin.import_,
    ("regenerate", None): cli_push.regenerate,
    ("hub", "list"): cli_push.hub_list,
    ("hub", "deliveries"): cli_push.hub_deliveries,
}


def run(argv: Sequence[str] | None = None) -> int:
    # Said by the setting, whichever command (the server's start included) opened the store.
    try:
        return _run(argv)
    except (StoreUnavailableError, SchemaMismatchError) as exc:
        raise ConfigError(f"storage.url: {exc}") from exc


def _run(argv: Sequence[str] | None) -> int:
    args, unknown = _parser().parse_known_args(argv)
    if unknown:  # said by the command they were given to, not by `syndic` as argparse does
        words = (args.command, getattr(args, f"{args.command}_command", None))
        usage_error(" ".join(["syndic", *filter(None, words)]),
                    f"unrecognized arguments: {' '.join(unknown)}")
    settings = _settings(args)
    if args.command != "config":
        _check_storage(settings.storage.url)
    if args.command == "serve":
        return _serve(settings, args.demo, list(sys.argv[1:] if argv is None else argv),
                      args.follower_fd, args.listen_fd or [])
    if args.command == "config":
        print(settings_as_json(settings) + "\n" if args.json else settings_as_toml(settings),
              end="")
        return 0
    if args.command == "migrate":
        return asyncio.run(cli_admin.migrate_schema(settings, args.json))
    command = COMMANDS[(args.command, getattr(args, f"{args.command}_command", None))]
    return asyncio.run(_with_store(settings, lambda s: command(settings, s, args)))


DEBUG_ENV = "SYNDIC_DEBUG"
EXIT_INTERNAL = 70  # sysexits.h EX_SOFTWARE: distinct from argparse's and our own 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line ("" for none). A file that cannot be opened is
    named, then the system's words ("feed.atom: No such file or directory"), without
    Python's "[Errno 2]" and quotes."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return " ".join(f"{exc.filename}: {exc.strerror}".splitlines()).strip()
    return " ".join(str(exc).splitlines()).strip()


def main(argv: Sequence[str] | None = None) -> None:
    """Run `syndic` and exit; see the module's docstring for what each exit code means."""
    try:
        code = run(argv)
        sys.stdout.flush()  # here, not at exit: a closed pipe is then the BrokenPipeError below
    except BrokenPipeError:
        # Python docs (signal, "Note on SIGPIPE"): point stdout at devnull, or the flush at
        # exit fails again and prints a second error.
        with contextlib.suppress(OSError, ValueError):  # no file descriptor (captured)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_BROKEN_PIPE
    except (ConfigError, FeedsError, OSError, UnicodeDecodeError) as exc:
        print(f"syndic: {redact_urls_in(_one_line(exc)) or type(exc).__name__}",
              file=sys.stderr)
        code = EXIT_ERROR
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            traceback.print_exc()
        what = redact_urls_in(_one_line(exc))
        print(f"syndic: internal error: {type(exc).__name__}{what and ': ' + what} "
              f"(run with {DEBUG_ENV}=1 for the traceback)", file=sys.stderr)
        code = EXIT_INTERNAL
    sys.exit(code)
