"""`syndic site ...`, `syndic token ...`, `syndic import ...` and `syndic migrate`."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from config import SUMMARY_LENGTH, Settings
from feeds.errors import InvalidInputError
from feeds.imports.apply import ImportReport
from feeds.imports.items import ImportFormatError
from feeds.models import FeedMode
from feeds.sites import host_base_url
from feeds.store import SiteSpec, Store, migrate, open_store
from server.api_input import check
from server.auth import new_token, token_hash
from server.cli_content import CLOCK, out, pick_site, publisher_for
from server.importing import ImportSource, ImportStopped, fetch_feed, is_feed_url, run_import
from server.representations import report_line, site_json, token_json
from server.sites import checked_site_fields, site_changes

SITE_KEYS = {"host": str, "title": str, "subtitle": str, "base_url": str, "timezone": str,
             "language": str, "default_feed": str, "summary_length": int,
             "wordpress_urls": bool}


# -- sites -------------------------------------------------------------------------------


async def site_list(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    await pick_site(store, settings, None)  # the default site exists from the first run
    for s in await store.sites():
        out(args, site_json(s), f"{s.id}\t{s.host}\t{s.base_url}\t{s.title}"
            + ("\t(default)" if s.is_default else ""))
    return 0


async def site_show(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    site = await pick_site(store, settings, args.ref, "SITE")
    data = site_json(site)
    print(json.dumps(data, ensure_ascii=False) if args.json
          else "\n".join(f"{k}: {v}" for k, v in data.items()))
    return 0


def _settings_pairs(pairs: list[str]) -> dict[str, Any]:
    """KEY=VALUE pairs as the API's JSON body would carry them (numbers and true/false
    converted); what each value may be is checked by _checked_site."""
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in SITE_KEYS:
            raise InvalidInputError(key or pair, f"expected KEY=VALUE, KEY one of "
                                    f"{', '.join(SITE_KEYS)}")
        kind = SITE_KEYS[key]
        if kind is int:
            if not (value.isascii() and value.lstrip("-").isdigit()):
                raise InvalidInputError(key, f"must be a whole number, got {value!r}")
            changes[key] = int(value)
        elif kind is bool:
            if value.lower() not in ("true", "false", "on", "off", "1", "0", "yes", "no"):
                raise InvalidInputError(key, "must be true or false")
            changes[key] = value.lower() in ("true", "on", "1", "yes")
        else:
            changes[key] = value
    return changes



"""The settings' range (config/default.toml, site.summary_length), narrower than the API's
schema (0..100000): a site made here may also be the settings' default."""


def _checked_site(changes: dict[str, Any], schema: str) -> dict[str, Any]:
    """The API's rules (server/api_input.check against the OpenAPI schema, the time zone
    check of server/handlers/api_sites.py), and the settings' range for summary_length;
    InvalidInputError naming the key."""
    low, high = SUMMARY_LENGTH
    length = changes.get("summary_length")
    if length is not None and not low <= length <= high:
        raise InvalidInputError("summary_length", f"must be between {low} and {high}, "
                                f"got {length}")
    return checked_site_fields(check(changes, schema))


async def site_create(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    await pick_site(store, settings, None)
    changes = _checked_site({**_settings_pairs(args.set or []), "host": args.host,
                             "title": args.title}, "SiteCreate")
    del changes["host"], changes["title"]
    d = settings.site
    spec = SiteSpec(args.host, args.title, changes.pop("subtitle", ""),
                    changes.pop("base_url", host_base_url(args.host)),
                    changes.pop("timezone", d.timezone), changes.pop("language", d.language),
                    FeedMode(changes.pop("default_feed", d.default_feed)),
                    changes.pop("summary_length", d.summary_length))
    if any(s.host.lower() == args.host.lower() for s in await store.sites()):
        raise InvalidInputError("host", f"a site {args.host!r} exists already")
    site = await store.create_site(spec, CLOCK.now())
    if changes:
        site = await store.update_site(site.id, changes)
    await publisher_for(store, settings).mark_all(site, CLOCK.now())
    out(args, site_json(site), f"created site {site.id} {site.host}")
    return 0


async def site_set(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    site = await pick_site(store, settings, args.ref, "SITE")
    changes = _checked_site(_settings_pairs(args.pairs), "SitePatch")
    site = await store.update_site(site.id, site_changes(settings, site, changes))
    await publisher_for(store, settings).mark_all(site, CLOCK.now())
    out(args, site_json(site), f"changed site {site.id} {site.host}")
    return 0


async def site_rm(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    site = await pick_site(store, settings, args.ref, "SITE")
    await store.delete_site(site.id)
    out(args, {"id": site.id, "deleted": True}, f"deleted site {site.id} {site.host}")
    return 0


# -- tokens ------------------------------------------------------------------------------


async def token_create(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    token = new_token()
    made = await store.create_token(args.name, token_hash(token), CLOCK.now())
    # The token is shown once: only its hash is stored.
    out(args, {**token_json(made), "token": token}, token)
    return 0


async def token_list(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    for tok in await store.tokens():
        out(args, token_json(tok), f"{tok.id}\t{tok.name}\t{tok.created:%Y-%m-%d %H:%M}")
    return 0


async def token_revoke(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    removed = await store.revoke_token(args.ref)
    if not removed:
        raise InvalidInputError("token", f"no token {args.ref!r} (see syndic token list)")
    out(args, {"revoked": removed}, f"revoked {removed} token(s)")
    return 0


# -- imports -----------------------------------------------------------------------------


async def _feed_pages(source: str) -> list[tuple[bytes, str, str]]:
    """A feed's pages from its http(s) URL, or from a file."""
    if is_feed_url(source):
        return await fetch_feed(source)
    if "://" in source and not Path(source).exists():
        raise InvalidInputError(source, "not a valid http(s) URL or a file")
    return [(Path(source).read_bytes(), "", "")]


async def import_(settings: Settings, store: Store, args: argparse.Namespace) -> int:
    site = await pick_site(store, settings, args.site)
    console = Console(stderr=True)
    # No bar when stderr is not a terminal (a script, cron, a pipe): there it would be a
    # line of its own before any error, which must be the one line on stderr.
    show = not args.json and not args.quiet and console.is_terminal
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        TextColumn("{task.percentage:>3.0f}%"),
                        TextColumn("{task.fields[items]} items, {task.fields[rate]}/s"),
                        TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                        console=console, disable=not show, transient=False)
    with progress:
        if args.kind == "feed":
            pages = await _feed_pages(args.source)
            task = progress.add_task("importing", total=1, items=0, rate=0)
            source = ImportSource("feed", args.source, pages=pages)
        else:
            path = Path(args.source)
            with path.open("rb"):  # one that cannot be read (not there, a folder): one line
                pass
            task = progress.add_task("importing", total=path.stat().st_size, items=0, rate=0)
            source = ImportSource(args.kind, path.name, path=path, include_pages=args.pages,
                                  on_read=lambda read: progress.update(task, completed=read))
        started = CLOCK.now()

        def on_batch(report: ImportReport) -> None:
            seconds = max((CLOCK.now() - started).total_seconds(), 1e-6)
            progress.update(task, items=report.items, rate=f"{report.items / seconds:.0f}")

        try:
            run_id, report = await run_import(store, site, publisher_for(store, settings).ctx,
                                              source, CLOCK.now, on_batch,
                                              workers=os.cpu_count() or 1)
        except ImportStopped as stopped:
            raise _stopped(args, source.name, stopped) from None
        progress.update(task, completed=progress.tasks[0].total)
    seconds = (CLOCK.now() - started).total_seconds()
    if args.json:
        print(json.dumps({"import": run_id, "seconds": round(seconds, 3),
                          **report.as_dict()}, ensure_ascii=False))
        return 0
    for verb, said in (("skipped", report.skipped), ("note on", report.notes)):
        for where, title, why in said:
            console.print(f"{verb} {where}" + (f" {title!r}" if title else "") + f": {why}",
                          markup=False, highlight=False, soft_wrap=True)
    rate = (report.posts_added + report.posts_updated + report.posts_unchanged) / max(
        seconds, 1e-6)
    print(f"import {run_id}: {report_line(report)} in {seconds:.1f} s ({rate:.0f} posts/s)")
    return 0


def _stopped(args: argparse.Namespace, name: str, stopped: ImportStopped) -> ImportFormatError:
    """The one line of an import a malformed export stopped, naming the file and what the
    run stored before the bad part (with --json, its report goes to stdout first, as a
    finished run's does, with the error)."""
    error = f"{stopped.where}: {stopped.problem}"
    if args.json:
        print(json.dumps({"import": stopped.run_id, **stopped.report.as_dict(),
                          "error": error}, ensure_ascii=False))
    before = stopped.stored if stopped.report.items else ""
    return ImportFormatError(f"{name}: {stopped.where}", stopped.problem + before)


# -- migrate -----------------------------------------------------------------------------


async def migrate_schema(settings: Settings, as_json: bool) -> int:
    """`syndic migrate`: the schema brought to this syndic's, and one line saying what was
    done: "schema 0004 -> 0010", "schema 0010: up to date" (with --json, an object)."""
    store = await open_store(settings.storage.url, settings.storage.echo,
                             run_migrations=False)
    try:
        change = await migrate(store.engine, upgrade=True)
    finally:
        await store.close()
    if as_json:
        print(json.dumps({"before": change.before or None, "after": change.after,
                          "upgraded": change.before != change.after}))
    elif change.before == change.after:
        print(f"schema {change.after}: up to date")
    else:
        print(f"schema {change.before or '(new database)'} -> {change.after}")
    return 0
