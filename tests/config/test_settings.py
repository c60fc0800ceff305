import dataclasses
import json
import os
import re
import tomllib
from pathlib import Path

import pytest

import config
from config import (
    ConfigError,
    FeedSettings,
    LoggingSettings,
    ServerSettings,
    Settings,
    SiteSettings,
    StorageSettings,
    load_settings,
)
from config.shown import settings_as_dict, settings_as_json, settings_as_toml

DEFAULT_TOML = Path(config.__file__).parent / "default.toml"


def load(**kwargs: object) -> Settings:
    """load_settings with an empty environment unless one is given."""
    kwargs.setdefault("environ", {})
    return load_settings(**kwargs)  # type: ignore[arg-type]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "syndic.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_load() -> None:
    settings = load()
    assert settings.server == ServerSettings(
        host="127.0.0.1", port=8080, fast_path=True, workers=1, access_log=True, public_url="")
    assert settings.storage == StorageSettings(url="sqlite:///syndic.db", echo=False)
    assert settings.feeds == FeedSettings(
        default_max_results=25, max_results_cap=500, cache_max_age=300,
        variant_cache_entries=512, memory_budget_mb=128, fragment_cache_mb=16,
        change_poll_seconds=0.25, site_feeds_gap_seconds=0.02, other_feeds_gap_seconds=0.5,
        compress_after_seconds=5.0, startup_render_seconds=10.0)
    assert settings.site == SiteSettings(
        host="localhost", title="syndic", subtitle="", timezone="UTC", language="en",
        default_feed="full", summary_length=300)
    assert settings.websub.hub_url == "" and settings.websub.own_hub is True
    assert settings.websub.lease_max_seconds == 10 * 24 * 3600
    assert settings.websub.signature_method == "sha256"
    assert settings.pings.services == ()
    assert settings.scheduler.full_regeneration == "0 3 * * *"
    assert settings.logging == LoggingSettings(level="INFO")
    assert isinstance(settings.feeds.change_poll_seconds, float)


def test_settings_are_frozen() -> None:
    settings = load()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.server.port = 1  # type: ignore[misc]


def test_default_toml_matches_dataclasses() -> None:
    data = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
    expected = {
        section.name: {f.name for f in dataclasses.fields(section.type)}  # type: ignore[arg-type]
        for section in dataclasses.fields(Settings) if section.name != "sources"
    }
    assert {section: set(table) for section, table in data.items()} == expected


def test_every_default_toml_key_has_a_comment_above() -> None:
    lines = DEFAULT_TOML.read_text(encoding="utf-8").splitlines()
    section, seen = None, set()
    for number, line in enumerate(lines):
        stripped = line.strip()
        if match := re.fullmatch(r"\[(\w+)\]", stripped):
            section = match.group(1)
        elif match := re.match(r"(\w+)\s*=", stripped):
            assert section is not None, f"line {number + 1}: key outside a section"
            above = lines[number - 1].strip()
            assert above.startswith("#"), f"{section}.{match.group(1)} has no comment above"
            seen.add(f"{section}.{match.group(1)}")
    assert len(seen) == sum(len(table) for table in settings_as_dict(load()).values())


def test_config_file_overrides_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, '[server]\nport = 9000\n[feeds]\nchange_poll_seconds = 2\n'
                           '[site]\ntimezone = "Europe/Paris"\n')
    settings = load(config_file=path)
    assert settings.server.port == 9000
    assert settings.server.host == "127.0.0.1"
    assert settings.feeds.change_poll_seconds == 2.0
    assert isinstance(settings.feeds.change_poll_seconds, float)
    assert settings.site.timezone == "Europe/Paris"
    assert load(config_file=str(path)).server.port == 9000


def test_env_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[server]\nport = 9000\naccess_log = true\n")
    environ = {
        "SYNDIC_SERVER__PORT": "9100",
        "syndic_server__access_log": "off",
        "SYNDIC_Storage__Url": "postgresql+asyncpg://u@db:5432/syndic",
        "SYNDIC_FEEDS__CHANGE_POLL_SECONDS": "1.5",
        "PATH": "/usr/bin",
    }
    settings = load(config_file=path, environ=environ)
    assert settings.server.port == 9100
    assert settings.server.access_log is False
    assert settings.storage.url == "postgresql+asyncpg://u@db:5432/syndic"
    assert settings.feeds.change_poll_seconds == 1.5


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("1", True), ("YES", True), (" on ", True),
    ("false", False), ("0", False), ("no", False), ("Off", False),
])
def test_env_booleans(text: str, expected: bool) -> None:
    assert load(environ={"SYNDIC_STORAGE__ECHO": text}).storage.echo is expected


def test_overrides_override_env(tmp_path: Path) -> None:
    path = write(tmp_path, "[server]\nport = 9000\n")
    settings = load(
        config_file=path,
        environ={"SYNDIC_SERVER__PORT": "9100", "SYNDIC_SERVER__FAST_PATH": "false"},
        overrides={"server": {"port": 9200, "fast_path": None}, "logging": {"level": "debug"}},
    )
    assert settings.server.port == 9200
    assert settings.server.fast_path is False  # None means "not given"
    assert settings.logging.level == "DEBUG"
    assert load(overrides={"server": {"port": "9300"}}).server.port == 9300


def test_missing_config_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=re.escape("nope.toml")):
        load(config_file=path)


def test_invalid_toml_names_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[server\nport = 1\n")
    with pytest.raises(ConfigError, match=re.escape("syndic.toml")):
        load(config_file=path)


@pytest.mark.parametrize(("text", "name"), [
    ("[server]\nprot = 1\n", "server.prot"),
    ("[serverr]\nport = 1\n", "serverr.port"),
    ("[feeds]\nmax_results = 1\n", "feeds.max_results"),
    ("debug = true\n", "debug"),
])
def test_unknown_key_in_file(tmp_path: Path, text: str, name: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load(config_file=path)
    assert name in str(info.value)
    assert str(path) in str(info.value)


def test_unknown_key_suggests_close_match(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("did you mean server.port")):
        load(config_file=write(tmp_path, "[server]\nprot = 1\n"))


@pytest.mark.parametrize("var", [
    "SYNDIC_SERVER__PROT", "SYNDIC_NOPE__PORT", "SYNDIC_SERVER_PORT", "SYNDIC_", "syndic_x",
])
def test_unknown_env_var(var: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(var)):
        load(environ={var: "1"})


def test_unknown_override() -> None:
    with pytest.raises(ConfigError, match=re.escape("server.prot")):
        load(overrides={"server": {"prot": 1}})
    with pytest.raises(ConfigError, match="nope"):
        load(overrides={"nope": {"port": 1}})


@pytest.mark.parametrize(("text", "name"), [
    ('[server]\nport = "x"\n', "server.port"),
    ("[server]\nport = 80.5\n", "server.port"),
    ("[server]\nport = true\n", "server.port"),
    ('[server]\naccess_log = "yes"\n', "server.access_log"),
    ("[site]\ntitle = 3\n", "site.title"),
    ('[feeds]\nchange_poll_seconds = "1"\n', "feeds.change_poll_seconds"),
    ("server = 1\n", "server"),
])
def test_bad_type_in_file(tmp_path: Path, text: str, name: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(name)):
        load(config_file=write(tmp_path, text))


@pytest.mark.parametrize(("var", "value", "name"), [
    ("SYNDIC_SERVER__PORT", "x", "server.port"),
    ("SYNDIC_SERVER__PORT", "", "server.port"),
    ("SYNDIC_SERVER__ACCESS_LOG", "maybe", "server.access_log"),
    ("SYNDIC_FEEDS__CHANGE_POLL_SECONDS", "soon", "feeds.change_poll_seconds"),
])
def test_bad_type_in_env(var: str, value: str, name: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(environ={var: value})
    assert name in str(info.value) and var in str(info.value)


def test_bad_type_in_overrides() -> None:
    with pytest.raises(ConfigError, match=re.escape("server.port")):
        load(overrides={"server": {"port": 1.5}})


@pytest.mark.parametrize(("section", "key", "value"), [
    ("server", "port", 0), ("server", "port", 65536),
    ("server", "public_url", "blog.example.com"),
    ("server", "public_url", "ftp://blog.example.com"),
    ("storage", "url", "mysql://u@h/db"), ("storage", "url", "syndic.db"),
    ("feeds", "default_max_results", 0), ("feeds", "max_results_cap", 900),
    ("feeds", "max_results_cap", 0), ("feeds", "cache_max_age", -1),
    ("feeds", "variant_cache_entries", -1), ("feeds", "memory_budget_mb", 0),
    ("feeds", "fragment_cache_mb", 0), ("feeds", "change_poll_seconds", 0),
    ("feeds", "change_poll_seconds", 60.5), ("feeds", "change_poll_seconds", float("nan")),
    ("feeds", "other_feeds_gap_seconds", -1), ("feeds", "other_feeds_gap_seconds", 61),
    ("feeds", "site_feeds_gap_seconds", -0.5), ("feeds", "site_feeds_gap_seconds", 61),
    ("feeds", "compress_after_seconds", -1), ("feeds", "compress_after_seconds", 601),
    ("feeds", "startup_render_seconds", -1), ("feeds", "startup_render_seconds", 3601),
    ("site", "timezone", "Mars/Olympus"), ("site", "timezone", "../etc"),
    ("site", "default_feed", "both"), ("site", "summary_length", 19),
    ("site", "summary_length", 10001), ("websub", "hub_url", "hub"),
    ("logging", "level", "LOUD"), ("server", "workers", 0), ("server", "workers", 65),
])
def test_out_of_range(section: str, key: str, value: object) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"{section}.{key}:")):
        load(overrides={section: {key: value}})


def test_out_of_range_message_and_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(overrides={"feeds": {"max_results_cap": 900}})
    assert str(info.value).startswith(
        "feeds.max_results_cap: must be between 1 and 500, got 900")
    with pytest.raises(ConfigError, match="SYNDIC_SERVER__PORT"):
        load(environ={"SYNDIC_SERVER__PORT": "70000"})
    path = write(tmp_path, "[site]\nsummary_length = 5\n")
    with pytest.raises(ConfigError, match=re.escape(str(path))):
        load(config_file=path)


def test_default_max_results_bounded_by_cap() -> None:
    with pytest.raises(ConfigError, match=re.escape("feeds.default_max_results")):
        load(overrides={"feeds": {"max_results_cap": 10}})
    settings = load(overrides={"feeds": {"max_results_cap": 10, "default_max_results": 10}})
    assert settings.feeds.default_max_results == 10


def test_storage_url_error_does_not_echo_password() -> None:
    with pytest.raises(ConfigError) as info:
        load(environ={"SYNDIC_STORAGE__URL": "mysql://user:s3cret@db/syndic"})
    assert "s3cret" not in str(info.value)


def test_valid_urls_accepted() -> None:
    settings = load(overrides={
        "server": {"public_url": "https://blog.example.com"},
        "websub": {"hub_url": "http://hub.example.com/"},
        "storage": {"url": "postgresql://user@db:5432/syndic"},
    })
    assert settings.server.public_url == "https://blog.example.com"
    assert settings.websub.hub_url == "http://hub.example.com/"


def test_settings_as_dict() -> None:
    data = settings_as_dict(load())
    assert data["server"]["port"] == 8080
    assert list(data) == ["server", "storage", "feeds", "site", "websub", "pings", "scheduler",
                          "api", "logging"]


def test_settings_as_toml_round_trips(tmp_path: Path) -> None:
    settings = load(overrides={
        "site": {"title": 'A "quoted" \\ title\twith\ncontrol\x7f and ünïcode ✓',
                 "subtitle": "x" * 3},
        "feeds": {"change_poll_seconds": 1e-7},
    })
    text = settings_as_toml(settings)
    assert tomllib.loads(text) == _without_secrets(settings_as_dict(settings))
    assert load(config_file=write(tmp_path, text)) == settings


def test_default_settings_as_toml_round_trips() -> None:
    settings = load()
    assert tomllib.loads(settings_as_toml(settings)) == _without_secrets(settings_as_dict(settings))


def _without_secrets(data: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    return {s: {k: list(v) if isinstance(v, tuple) else v for k, v in t.items()
                if (s, k) != ("api", "tokens")}
            for s, t in data.items()}


def test_api_tokens_come_from_a_toml_list_or_a_comma_separated_variable(tmp_path: Path) -> None:
    from_file = load(config_file=write(tmp_path, '[api]\ntokens = ["a-long-enough-token-1"]\n'))
    assert from_file.api.tokens == ("a-long-enough-token-1",)
    from_env = load(environ={"SYNDIC_API__TOKENS": "a-long-enough-token-1, a-long-enough-token-2"})
    assert from_env.api.tokens == ("a-long-enough-token-1", "a-long-enough-token-2")


def test_a_short_api_token_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"api\.tokens\[0\]"):
        load(environ={"SYNDIC_API__TOKENS": "short"})


def test_api_import_fetch_private_is_off_unless_set(tmp_path: Path) -> None:
    """Off by default: an API feed import fetches from global addresses only."""
    assert load().api.import_fetch_private is False
    path = write(tmp_path, "[api]\nimport_fetch_private = true\n")
    assert load(config_file=path).api.import_fetch_private is True
    env = {"SYNDIC_API__IMPORT_FETCH_PRIVATE": "yes"}
    assert load(environ=env).api.import_fetch_private is True
    with pytest.raises(ConfigError) as info:
        load(environ={"SYNDIC_API__IMPORT_FETCH_PRIVATE": "maybe"})
    assert "api.import_fetch_private" in str(info.value)
    with pytest.raises(ConfigError, match=re.escape("api.import_fetch_private")):
        load(config_file=write(tmp_path, '[api]\nimport_fetch_private = "true"\n'))


def test_syndic_config_never_prints_the_tokens() -> None:
    text = settings_as_toml(load(environ={"SYNDIC_API__TOKENS": "a-long-enough-secret-9"}))
    assert "a-long-enough-secret-9" not in text and "1 set, not shown" in text


def test_uses_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in list(os.environ):
        if var.upper().startswith("SYNDIC_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("SYNDIC_SERVER__PORT", "8181")
    assert load_settings().server.port == 8181
    monkeypatch.setenv("SYNDIC_BOGUS", "1")
    with pytest.raises(ConfigError, match="SYNDIC_BOGUS"):
        load_settings()


def test_sources_are_tables_each_with_a_feed_or_a_folder(tmp_path: Path) -> None:
    text = ('[[sources]]\nname = "up"\nfeed = "https://example.org/feed.atom"\n'
            'every_minutes = 5\n[[sources]]\nname = "notes"\nfolder = "/srv/notes"\n')
    settings = load(config_file=write(tmp_path, text))
    assert [(s.name, s.feed, s.folder, s.every_minutes) for s in settings.sources] == [
        ("up", "https://example.org/feed.atom", "", 5), ("notes", "", "/srv/notes", 60)]
    assert load(config_file=write(tmp_path, settings_as_toml(settings))) == settings


@pytest.mark.parametrize(("text", "named"), [
    ('[[sources]]\nname = "x"\n', "sources[0]: give either feed or folder"),
    ('[[sources]]\nname = "x"\nfeed = "ftp://x"\n', "sources[0].feed"),
    ('[[sources]]\nname = "x"\nfolder = "/a"\nflavour = 1\n', "sources[0].flavour"),
    ('[[sources]]\nfolder = "/a"\n', "sources[0].name"),
])
def test_a_bad_source_stops_start_up_naming_it(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)):
        load(config_file=write(tmp_path, text))


# -- what `syndic config` shows, and what the loader refuses (QA) ---------------------------

PG_URL = "postgresql://postgres:SuperSecretPw@127.0.0.1:5432/x"


def test_syndic_config_masks_the_password_of_every_url_as_it_masks_the_tokens(
    tmp_path: Path,
) -> None:
    text = ('[[sources]]\nname = "up"\nfeed = "https://reader:FeedPw@example.org/f.atom"\n'
            '[websub]\nexternal_hubs = ["https://pub:HubPw@hub.example.org/"]\n')
    settings = load(config_file=write(tmp_path, text), environ={
        "SYNDIC_STORAGE__URL": PG_URL, "SYNDIC_API__TOKENS": "a-long-enough-secret-9"})
    for shown in (settings_as_toml(settings), settings_as_json(settings)):
        for secret in ("SuperSecretPw", "FeedPw", "HubPw", "a-long-enough-secret-9"):
            assert secret not in shown
        assert "postgresql://postgres:***@127.0.0.1:5432/x" in shown
        assert "https://pub:***@hub.example.org/" in shown
    data = json.loads(settings_as_json(settings))
    assert data["storage"] == {"url": "postgresql://postgres:***@127.0.0.1:5432/x",
                               "echo": False}
    assert data["api"]["tokens"] == ["***"] and data["server"]["port"] == 8080
    assert data["sources"][0]["feed"] == "https://reader:***@example.org/f.atom"


@pytest.mark.parametrize("url", [
    "postgresql://postgres@127.0.0.1:5432/x?password=QuerySecret",
    "postgresql://postgres@127.0.0.1:5432/x?sslmode=require&PASSWORD=QuerySecret",
    "postgresql+asyncpg://postgres@db/x?ssl=verify-full&sslpassword=QuerySecret#f",
])
def test_a_password_given_in_the_urls_query_is_masked_too(url: str) -> None:
    settings = load(environ={"SYNDIC_STORAGE__URL": url})
    for shown in (settings_as_toml(settings), settings_as_json(settings)):
        assert "QuerySecret" not in shown and "password=***" in shown.lower()
    assert f'url = "{url.replace("QuerySecret", "***")}"' in settings_as_toml(settings)
    error = f"cannot connect to {url}: refused"
    assert config.redact_urls_in(error) == error.replace("QuerySecret", "***")


def test_a_query_without_a_password_is_shown_as_it_is() -> None:
    url = "postgresql://db/x?sslmode=require&passfile=/etc/pgpass&user=password"
    assert config.redact_url(url) == url and config.redact_urls_in(f"'{url}'") == f"'{url}'"
    assert config.redact_url("see ?password=x") == "see ?password=x"  # not a URL


@pytest.mark.parametrize(("url", "shown"), [
    ("sqlite:///syndic.db", "sqlite:///syndic.db"),
    ("postgresql://postgres@db/x", "postgresql://postgres@db/x"),
    ("postgresql://:pw@db/x", "postgresql://:***@db/x"),
    ("postgresql://u:p@ss/w@rd@db/x", "postgresql://u:***@db/x"),  # unescaped: hide it all
])
def test_a_url_without_a_password_is_shown_as_it_is(url: str, shown: str) -> None:
    assert config.redact_url(url) == shown


def test_an_error_quoting_a_url_setting_never_shows_its_password() -> None:
    with pytest.raises(ConfigError) as info:
        load(environ={"SYNDIC_WEBSUB__HUB_URL": "ftp://pub:HubPw@hub.example.org/"})
    assert "HubPw" not in str(info.value) and "ftp://pub:***@hub.example.org/" in str(info.value)


@pytest.mark.parametrize("host", ["bad host", "blog.example.com/x", "", "ünï.example",
                                  "blog.example.com:99999", "a" * 256, "host\n"])
def test_the_default_sites_host_is_one_syndic_site_create_would_take(host: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(environ={"SYNDIC_SITE__HOST": host})
    assert str(info.value).startswith("site.host: must be a host name")
    assert "SYNDIC_SITE__HOST" in str(info.value) and "\n" not in str(info.value)


def test_hosts_syndic_site_create_takes_are_taken() -> None:
    for host in ("blog.example.com", "localhost:8080", "blog.example.com."):
        assert load(environ={"SYNDIC_SITE__HOST": host}).site.host == host


@pytest.mark.parametrize(("url", "why"), [
    ("https://blog.example.com/sub?x=1", "query"),
    ("https://blog.example.com/#top", "fragment"),
    ("https://blog.example.com/?", "query"),
    ("https://me:pw@blog.example.com", "user info"),
    ("https://me@blog.example.com", "user info"),
    ("https://blog.example.com/a b", "white space"),
    ("https://blog.example.com:99999", "port"),
    ("/relative", "absolute"),
])
def test_public_url_is_an_absolute_http_url_without_query_fragment_or_user(
    url: str, why: str,
) -> None:
    with pytest.raises(ConfigError) as info:
        load(environ={"SYNDIC_SERVER__PUBLIC_URL": url})
    assert str(info.value).startswith("server.public_url: ") and why in str(info.value)
    assert "pw@" not in str(info.value)


@pytest.mark.parametrize("text", ["٩٠٠٠", "9_000", " 9000 ", "9000 ", "+9000", "0x2328",
                                  "９０００", "9000.0"])
def test_an_integer_from_the_environment_is_ascii_digits(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(environ={"SYNDIC_SERVER__PORT": text})
    assert str(info.value).startswith("server.port: expected an integer in ASCII digits")


def test_a_negative_integer_is_read_and_refused_by_its_range() -> None:
    with pytest.raises(ConfigError, match=re.escape("feeds.cache_max_age: must be at least 0, got -1")):
        load(environ={"SYNDIC_FEEDS__CACHE_MAX_AGE": "-1"})
    assert load(environ={"SYNDIC_SERVER__PORT": "9000"}).server.port == 9000


@pytest.mark.parametrize(("text", "value"), [("1", 1.0), ("0.5", 0.5), (".5", 0.5),
                                             ("1e-1", 0.1), ("2.", 2.0)])
def test_a_number_from_the_environment_is_ascii_too(text: str, value: float) -> None:
    assert load(environ={"SYNDIC_FEEDS__CHANGE_POLL_SECONDS": text}
                ).feeds.change_poll_seconds == value
    for bad in ("٠.٥", "0_5", " 1", "inf", "nan"):
        with pytest.raises(ConfigError, match="a number in ASCII digits"):
            load(environ={"SYNDIC_FEEDS__CHANGE_POLL_SECONDS": bad})
# -- the schedule and other intervals: refused when read, not when the server reaches them --


@pytest.mark.parametrize(("line", "problem"), [
    ("99 * * * *", "the last value (99) is higher than the maximum value (59)"),
    ("0 25 * * *", "the last value (25) is higher than the maximum value (23)"),
    ("*/0 * * * *", "Increment must be higher than 0"),
    ("0 3 * *", "Wrong number of fields; got 4, expected 5"),
    ("@daily", "Wrong number of fields"),
    ("0 0 30 2 *", "never comes"),
    ("0 3 * * 1-5", "write the weekday by name (mon-fri, sun), not '1-5'"),
    ("0 3 * * 7", "write the weekday by name"),
])
def test_a_cron_line_the_scheduler_would_refuse_stops_start_up_naming_it(
    tmp_path: Path, line: str, problem: str,
) -> None:
    path = write(tmp_path, f'[scheduler]\nfull_regeneration = "{line}"\n')
    with pytest.raises(ConfigError) as info:
        load(config_file=path)
    message = str(info.value)
    assert message.startswith("scheduler.full_regeneration: ") and "\n" not in message
    assert problem in message and message.endswith(f"(in {path})")


@pytest.mark.parametrize("line", ["", "0 3 * * *", "*/15 * * * *", "30 4 1,15 * mon-fri",
                                  "0 0 29 2 *", "0 3 * * sun", "0 3 * * */2"])
def test_a_cron_line_the_scheduler_takes_is_accepted(line: str) -> None:
    settings = load(environ={"SYNDIC_SCHEDULER__FULL_REGENERATION": line})
    assert settings.scheduler.full_regeneration == line


def test_a_bad_cron_line_in_a_real_process_is_one_line_and_exit_2_before_the_store(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SYNDIC_")}
    env.update(SYNDIC_SCHEDULER__FULL_REGENERATION="99 * * * *",
               SYNDIC_STORAGE__URL=f"sqlite:///{tmp_path / 'syndic.db'}")
    ran = subprocess.run([sys.executable, "-m", "server", "serve", "--port", "18431"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert ran.returncode == 2
    assert ran.stderr.startswith("syndic: scheduler.full_regeneration: ")
    assert ran.stderr.count("\n") == 1
    assert "(from environment variable SYNDIC_SCHEDULER__FULL_REGENERATION)" in ran.stderr
    assert not (tmp_path / "syndic.db").exists()  # nothing touched the store


@pytest.mark.parametrize(("section", "key", "value"), [
    ("api", "idempotency_hours", 10**9), ("websub", "keep_deliveries_days", 10**7),
    ("websub", "lease_max_seconds", 10**12),
])
def test_an_interval_past_what_dates_can_hold_is_refused(
    section: str, key: str, value: int,
) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"{section}.{key}: must be between")):
        load(overrides={section: {key: value}})


def test_a_source_interval_past_what_dates_can_hold_is_refused(tmp_path: Path) -> None:
    text = '[[sources]]\nname = "x"\nfolder = "/a"\nevery_minutes = 10000000000\n'
    with pytest.raises(ConfigError, match=re.escape("sources[0].every_minutes: must be")):
        load(config_file=write(tmp_path, text))
