"""The command line: adding and removing posts from another process while the server runs,
refusing bad files with one clear line, printing the effective settings."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.server.conftest import Client

GOOD = """---
title: "Fresh from the command line"
slug: fresh-from-the-cli
labels: [cli, feeds]
authors: [{name: "Zoë Ångström"}]
published: 2026-11-23T23:00:00+01:00
---
<p>Written with <a href="/about">syndic post add</a>.</p>
"""


def syndic(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SYNDIC_")},
        "SYNDIC_STORAGE__URL": f"sqlite:///{tmp_path / 'syndic.db'}",
        "SYNDIC_SERVER__PUBLIC_URL": "http://blog.test",
    }
    return subprocess.run(
        [sys.executable, "-m", "server", *args], capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=60,
    )


async def _site_feed(demo: Client) -> dict[str, object]:
    return json.loads(await (await demo.get("/feeds/posts/default?alt=json")).read())  # type: ignore[no-any-return]


async def _wait_for(demo: Client, predicate: object, within: float = 1.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < within + 2:  # report how long, assert below
        doc = await _site_feed(demo)
        if predicate(doc):  # type: ignore[operator]
            return time.monotonic() - start
        await asyncio.sleep(0.02)
    raise AssertionError("the change never showed")


async def test_a_post_added_from_the_command_line_shows_in_the_running_servers_feed(
    demo: Client, tmp_path: Path
) -> None:
    (tmp_path / "fresh.html").write_text(GOOD, encoding="utf-8")
    result = await asyncio.to_thread(syndic, tmp_path, "post", "add", "fresh.html")
    assert result.returncode == 0, result.stderr
    took = await _wait_for(
        demo, lambda d: d["items"][0]["url"] == "http://blog.test/2026/11/fresh-from-the-cli.html"
    )
    assert took < 1.0
    label = await demo.get("/feeds/posts/default/-/cli?alt=json")
    assert label.status == 200


async def test_a_post_removed_from_the_command_line_leaves_the_feed(
    demo: Client, tmp_path: Path
) -> None:
    first = (await _site_feed(demo))["items"][0]  # type: ignore[index]
    slug = first["url"].rsplit("/", 1)[1].removesuffix(".html")
    result = await asyncio.to_thread(syndic, tmp_path, "post", "rm", slug)
    assert result.returncode == 0, result.stderr
    took = await _wait_for(demo, lambda d: d["items"][0]["id"] != first["id"])
    assert took < 1.0


def test_a_file_with_an_unknown_key_is_refused_naming_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text("---\ntitle: x\nflavour: mint\n---\nbody\n")
    result = syndic(tmp_path, "post", "add", "bad.md")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.md" in lines[0] and "flavour" in lines[0]
    assert "Traceback" not in result.stderr


def test_a_file_with_a_bad_date_or_no_title_is_refused_and_nothing_is_stored(
    tmp_path: Path,
) -> None:
    (tmp_path / "ok.md").write_text("---\ntitle: fine\n---\nbody\n")
    (tmp_path / "date.md").write_text("---\ntitle: x\npublished: the day after tomorrow\n---\n")
    (tmp_path / "untitled.md").write_text("---\nslug: x\n---\nbody\n")
    for bad, field in (("date.md", "published"), ("untitled.md", "title")):
        result = syndic(tmp_path, "post", "add", "ok.md", bad)
        assert result.returncode != 0
        assert bad in result.stderr and field in result.stderr
    listed = syndic(tmp_path, "post", "list")
    assert listed.returncode == 0 and listed.stdout == ""


def test_markdown_posts_are_rendered_and_listed(tmp_path: Path) -> None:
    (tmp_path / "md.md").write_text("---\ntitle: In *Markdown*\nstatus: draft\n---\n# Hi\n\n"
                                    "Some **bold** text.\n")
    assert syndic(tmp_path, "post", "add", "md.md").returncode == 0
    listed = syndic(tmp_path, "post", "list", "--json")
    post = json.loads(listed.stdout.strip())
    assert post["status"] == "draft" and post["title"] == "In *Markdown*"


def test_config_prints_the_effective_settings(tmp_path: Path) -> None:
    result = syndic(tmp_path, "config")
    assert result.returncode == 0
    assert 'public_url = "http://blog.test"' in result.stdout
    assert "[feeds]" in result.stdout


def test_a_bad_setting_stops_start_up_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[server]\nport = 99999\n")
    result = syndic(tmp_path, "--config", "bad.toml", "serve")
    assert result.returncode != 0
    assert "server.port" in result.stderr and "Traceback" not in result.stderr


async def test_a_post_changed_by_adding_its_file_again_shows_the_change(
    demo: Client, tmp_path: Path
) -> None:
    (tmp_path / "fresh.html").write_text(GOOD, encoding="utf-8")
    assert (await asyncio.to_thread(syndic, tmp_path, "post", "add", "fresh.html")).returncode == 0
    await _wait_for(demo, lambda d: d["items"][0]["title"] == "Fresh from the command line")
    first_id = (await _site_feed(demo))["items"][0]["id"]  # type: ignore[index]
    (tmp_path / "fresh.html").write_text(
        GOOD.replace('title: "Fresh from the command line"',
                     'title: "Revised from the command line"\nslug: fresh-from-the-cli'),
        encoding="utf-8",
    )
    result = await asyncio.to_thread(syndic, tmp_path, "post", "add", "fresh.html")
    assert result.returncode == 0 and result.stdout.startswith("updated"), result.stderr
    took = await _wait_for(demo, lambda d: d["items"][0]["title"] == "Revised from the command line")
    assert took < 1.0
    assert (await _site_feed(demo))["items"][0]["id"] == first_id  # the entry id never changes


def test_the_config_file_may_be_named_before_or_after_the_command(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text('[site]\ntitle = "Named in a file"\n')
    for args in (("--config", "site.toml", "config"), ("config", "--config", "site.toml")):
        result = syndic(tmp_path, *args)
        assert result.returncode == 0, result.stderr
        assert 'title = "Named in a file"' in result.stdout
