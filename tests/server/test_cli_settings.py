"""`syndic config` shows the settings without their secrets, as TOML or (--json) as one JSON
object; a setting refused is one line that never shows a password; a site named on the
command line is named back as it was given."""

from __future__ import annotations

import json

import pytest

from tests.server.conftest import Cli
from tests.server.test_cli_errors import one_line

PG_URL = "postgresql://postgres:SuperSecretPw@127.0.0.1:5432/x"


def test_syndic_config_shows_the_database_url_without_its_password(
    syndic: Cli, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SYNDIC_STORAGE__URL", PG_URL)
    monkeypatch.setenv("SYNDIC_API__TOKENS", "token-number-one-16,token-number-two-16")
    ran = syndic("config")
    assert ran.code == 0, ran.err
    assert 'url = "postgresql://postgres:***@127.0.0.1:5432/x"' in ran.out
    assert "# tokens = ... (2 set, not shown)" in ran.out
    assert "SuperSecretPw" not in ran.out + ran.err and "token-number" not in ran.out


def test_syndic_config_json_is_one_object_of_the_settings_secrets_masked(
    syndic: Cli, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SYNDIC_STORAGE__URL", PG_URL)
    monkeypatch.setenv("SYNDIC_API__TOKENS", "token-number-one-16")
    monkeypatch.setenv("SYNDIC_SERVER__PUBLIC_URL", "https://blog.example.com")
    ran = syndic("config", "--json")
    assert ran.code == 0, ran.err
    assert ran.out.count("\n") == 1
    settings = json.loads(ran.out)
    assert settings["server"]["public_url"] == "https://blog.example.com"
    assert settings["storage"]["url"] == "postgresql://postgres:***@127.0.0.1:5432/x"
    assert settings["api"]["tokens"] == ["***"] and settings["sources"] == []
    assert "SuperSecretPw" not in ran.out and "token-number" not in ran.out


def test_a_database_url_that_cannot_be_read_is_one_line_without_its_password(
    syndic: Cli, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SYNDIC_STORAGE__URL", "postgresql://postgres:SuperSecretPw@db:abc/x")
    line = one_line(syndic("post", "list"))
    assert line.startswith("syndic: storage.url: not a database URL that can be read")
    assert "SuperSecretPw" not in line


@pytest.mark.parametrize(("var", "value", "named"), [
    ("SYNDIC_SITE__HOST", "bad host", "site.host"),
    ("SYNDIC_SERVER__PUBLIC_URL", "https://blog.example.com/sub?x=1", "server.public_url"),
    ("SYNDIC_SERVER__PORT", "٩٠٠٠", "server.port"),
    ("SYNDIC_SERVER__PORT", "9_000", "server.port"),
    ("SYNDIC_SERVER__PORT", " 9000 ", "server.port"),
])
def test_a_setting_the_loader_refuses_stops_every_command_in_one_line(
    syndic: Cli, monkeypatch: pytest.MonkeyPatch, var: str, value: str, named: str,
) -> None:
    monkeypatch.setenv(var, value)
    for command in (("config",), ("site", "list"), ("serve",)):
        line = one_line(syndic(*command))
        assert line.startswith(f"syndic: {named}: ") and var in line


def test_serve_port_takes_ascii_digits_as_the_setting_does(syndic: Cli) -> None:
    line = one_line(syndic("serve", "--port", "٩٠٠٠"))
    assert line.startswith("syndic: server.port: expected an integer in ASCII digits")


@pytest.mark.parametrize("command", [("site", "set", "99", "title=x"), ("site", "rm", "99"),
                                     ("site", "show", "99")])
def test_a_site_given_as_the_argument_is_named_as_the_argument(
    syndic: Cli, command: tuple[str, ...],
) -> None:
    assert one_line(syndic(*command)) == "syndic: SITE: no site '99' (see `syndic site list`)"


def test_a_site_given_with_the_option_is_named_as_the_option(syndic: Cli) -> None:
    assert one_line(syndic("post", "list", "--site", "99")) == (
        "syndic: --site: no site '99' (see `syndic site list`)")
