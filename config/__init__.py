"""syndic settings.

Settings are read from ``default.toml`` (next to this file, which documents every setting),
then a config file, then ``SYNDIC_<SECTION>__<KEY>`` environment variables, then
command-line overrides, later sources winning. The result is a frozen :class:`Settings`.
"""

import dataclasses
import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from config.checks import (
    CENTURY_MINUTES,
    PORT_PATTERN,
    SITE_HOST,
    SITE_HOST_MAX,
    SUMMARY_LENGTH,
    is_http_url,
    is_site_host,
    setting_problems,
)
from config.redact import redact_url, redact_urls_in
from config.sections import (
    SOURCE_KEYS,
    ApiSettings,
    FeedSettings,
    LoggingSettings,
    PingSettings,
    SchedulerSettings,
    ServerSettings,
    Settings,
    SiteSettings,
    SourceSettings,
    StorageSettings,
    StrList,
    WebSubSettings,
)

__all__ = [
    "ENV_PREFIX",
    "PORT_PATTERN",
    "SITE_HOST",
    "SITE_HOST_MAX",
    "SUMMARY_LENGTH",
    "ApiSettings",
    "ConfigError",
    "FeedSettings",
    "LoggingSettings",
    "PingSettings",
    "SchedulerSettings",
    "ServerSettings",
    "Settings",
    "SiteSettings",
    "SourceSettings",
    "StorageSettings",
    "WebSubSettings",
    "is_site_host",
    "load_settings",
    "redact_url",
    "redact_urls_in",
]

ENV_PREFIX = "SYNDIC_"

class ConfigError(ValueError):
    """An invalid setting, config file or environment variable; the message names the key."""


def _build_schema() -> dict[str, tuple[type[Any], dict[str, type]]]:
    schema: dict[str, tuple[type[Any], dict[str, type]]] = {}
    for section in dataclasses.fields(Settings):
        if section.name == "sources":  # an array of tables, read by _sources()
            continue
        cls = section.type
        assert isinstance(cls, type) and dataclasses.is_dataclass(cls)
        keys: dict[str, type] = {}
        for field in dataclasses.fields(cls):
            assert field.type in (str, int, float, bool, StrList), field
            keys[field.name] = field.type
        schema[section.name] = (cls, keys)
    return schema


# section -> (dataclass, {key: type}); derived from the dataclasses (config/sections.py).
_SCHEMA = _build_schema()
_TYPE_NAMES: dict[Any, str] = {str: "a string", int: "an integer", float: "a number",
                               bool: "a boolean", StrList: "a list of strings"}
# Settings whose values are secrets: `syndic config` does not print them.
_SECRET = frozenset({"api.tokens"})
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})

_ASCII_INT = re.compile(r"-?[0-9]+")
_ASCII_NUMBER = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")

# "section.key" -> (value, where it came from, e.g. " (in /etc/syndic.toml)")
_Values = dict[str, tuple[object, str]]


def _from_toml(value: object, kind: type, name: str, where: str) -> object:
    """Check a TOML (or Python) value against a setting's type."""
    if kind is StrList:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{name}: expected {_TYPE_NAMES[kind]}, got {value!r}{where}")
        return tuple(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(f"{name}: expected {_TYPE_NAMES[kind]}, got {value!r}{where}")
    return value


def _from_text(text: str, kind: type, name: str, where: str) -> object:
    """Convert an environment-variable (or command-line) string to a setting's type."""
    if kind is str:
        return text
    if kind is StrList:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    token = text.strip()
    if kind is bool and token.lower() in _TRUE | _FALSE:
        return token.lower() in _TRUE
    # ASCII only, whole: int() and float() also take "٩٠٠٠", "9_000", " 9000 " and "inf".
    # A minus sign is read, so that a negative value is refused by its range, named.
    if (kind is int and _ASCII_INT.fullmatch(text)) or (
            kind is float and _ASCII_NUMBER.fullmatch(text)):
        return kind(text)
    expected = {bool: "true/false, 1/0, yes/no or on/off", int: "an integer in ASCII digits",
                float: "a number in ASCII digits"}.get(kind, _TYPE_NAMES[kind])
    raise ConfigError(f"{name}: expected {expected}, got {text!r}{where}")


def _known(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(choices)})"


def _apply_table(values: _Values, data: Mapping[str, object], where: str,
                 from_cli: bool = False) -> None:
    """Merge ``{section: {key: value}}`` into ``values``; ``where`` says where it came from.

    Command-line values may be strings (converted like environment variables) or None
    (option not given, ignored)."""
    for section, table in data.items():
        if section not in _SCHEMA:
            first = next(iter(table), None) if isinstance(table, Mapping) else None
            name = f"{section}.{first}" if first is not None else section
            raise ConfigError(f"{name}: unknown section [{section}]{where}"
                              + _known(section, list(_SCHEMA)))
        if not isinstance(table, Mapping):
            raise ConfigError(f"{section}: expected a [{section}] table, got {table!r}{where}")
        keys = _SCHEMA[section][1]
        for key, value in table.items():
            name = f"{section}.{key}"
            if key not in keys:
                choices = [f"{section}.{k}" for k in keys]
                raise ConfigError(f"{name}: unknown setting{where}" + _known(name, choices))
            if from_cli and value is None:
                continue
            if from_cli and isinstance(value, str):
                values[name] = (_from_text(value, keys[key], name, where), where)
            else:
                values[name] = (_from_toml(value, keys[key], name, where), where)


def _parse_toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: invalid TOML: {exc}") from exc


def _apply_environ(values: _Values, environ: Mapping[str, str]) -> None:
    for var in sorted(environ):
        if not var.upper().startswith(ENV_PREFIX):
            continue
        section, sep, key = var[len(ENV_PREFIX):].lower().partition("__")
        if not sep or section not in _SCHEMA or key not in _SCHEMA[section][1]:
            raise ConfigError(
                f"{var}: environment variable names no syndic setting (expected "
                f"{ENV_PREFIX}<SECTION>__<KEY>, e.g. {ENV_PREFIX}SERVER__PORT)")
        name, where = f"{section}.{key}", f" (from environment variable {var})"
        values[name] = (_from_text(environ[var], _SCHEMA[section][1][key], name, where), where)


def _sources(data: dict[str, Any], where: str) -> tuple[SourceSettings, ...] | None:
    """`[[sources]]` tables, taken out of `data` (None: the file has none)."""
    raw = data.pop("sources", None)
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise ConfigError(f"sources: expected [[sources]] tables{where}")
    out = []
    for i, table in enumerate(raw):
        if not isinstance(table, dict):
            raise ConfigError(f"sources[{i}]: expected a table{where}")
        for key, value in table.items():
            if key not in SOURCE_KEYS:
                raise ConfigError(f"sources[{i}].{key}: unknown setting{where}"
                                  + _known(key, list(SOURCE_KEYS)))
            _from_toml(value, SOURCE_KEYS[key], f"sources[{i}].{key}", where)
        if not table.get("name"):
            raise ConfigError(f"sources[{i}].name: missing{where}")
        source = SourceSettings(**table)
        if bool(source.feed) == bool(source.folder):
            raise ConfigError(f"sources[{i}]: give either feed or folder{where}")
        if source.feed and not is_http_url(source.feed):
            raise ConfigError(f"sources[{i}].feed: must be an http(s) URL{where}")
        if not 1 <= source.every_minutes <= CENTURY_MINUTES:
            raise ConfigError(f"sources[{i}].every_minutes: must be between 1 and "
                              f"{CENTURY_MINUTES}, got {source.every_minutes}{where}")
        out.append(source)
    if len({s.name for s in out}) != len(out):
        raise ConfigError(f"sources: two sources have the same name{where}")
    return tuple(out)


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, object]] | None = None,
) -> Settings:
    """Resolve settings: default.toml <- config_file <- SYNDIC_* environment <- overrides.

    ``environ`` defaults to ``os.environ``. In ``overrides`` a ``None`` value is ignored
    (option not given) and a string is converted like an environment variable.
    Raises :class:`ConfigError` naming the offending key on any problem.
    """
    try:
        return _load(config_file, environ, overrides)
    except ConfigError as exc:  # a message may quote a URL setting: never its password
        raise ConfigError(redact_urls_in(str(exc))) from None


def _load(config_file: str | os.PathLike[str] | None, environ: Mapping[str, str] | None,
          overrides: Mapping[str, Mapping[str, object]] | None) -> Settings:
    values: _Values = {}
    defaults = resources.files(__name__).joinpath("default.toml").read_text(encoding="utf-8")
    default_data = _parse_toml(defaults, "default.toml")
    sources = _sources(default_data, "") or ()
    _apply_table(values, default_data, "")
    for name in (f"{s}.{k}" for s, (_, keys) in _SCHEMA.items() for k in keys):
        if name not in values:
            raise ConfigError(f"{name}: missing from default.toml")

    if config_file is not None:
        path = Path(config_file)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        file_data = _parse_toml(text, str(path))
        sources = _sources(file_data, f" (in {path})") or sources
        _apply_table(values, file_data, f" (in {path})")

    _apply_environ(values, os.environ if environ is None else environ)
    _apply_table(values, overrides or {}, " (from command line)", from_cli=True)

    level, where = values["logging.level"]
    values["logging.level"] = (str(level).upper(), where)
    problems = setting_problems(lambda name: values[name][0])
    if problems:
        raise ConfigError("\n".join(f"{name}: {text}{values[name.split('[')[0]][1]}"
                                    for name, text in problems))

    sections = {
        section: cls(**{key: values[f"{section}.{key}"][0] for key in keys})
        for section, (cls, keys) in _SCHEMA.items()
    }
    return Settings(**sections, sources=sources)
