"""The effective settings as `syndic config` shows them: TOML that loads again as a config
file, or one JSON object (`--json`); secrets are never shown (API tokens left out or
"***", the password of a URL masked)."""

from __future__ import annotations

import json

from config import _SCHEMA, _SECRET
from config.redact import MASK, redact_url
from config.sections import SOURCE_KEYS, Settings


def settings_as_dict(settings: Settings) -> dict[str, dict[str, object]]:
    """``{section: {key: value}}`` of the given settings."""
    return {
        section: {key: getattr(getattr(settings, section), key) for key in keys}
        for section, (_, keys) in _SCHEMA.items()
    }


def _shown(value: object) -> object:
    """A value as `syndic config` shows it: the password of a URL masked."""
    if isinstance(value, str):
        return redact_url(value)
    if isinstance(value, tuple):
        return tuple(_shown(v) for v in value)
    return value


def settings_as_json(settings: Settings) -> str:
    """The effective settings as one JSON object (`syndic config --json`): {section: {key:
    value}} and "sources", a list. Secrets are not shown: each API token is "***", and so
    is the password of a URL."""
    data: dict[str, object] = {
        section: {key: ([MASK] * len(value)  # type: ignore[arg-type]
                        if f"{section}.{key}" in _SECRET else _shown(value))
                  for key, value in table.items()}
        for section, table in settings_as_dict(settings).items()}
    data["sources"] = [{k: _shown(getattr(s, k)) for k in SOURCE_KEYS}
                       for s in settings.sources]
    return json.dumps(data, ensure_ascii=False)


_ESCAPES = {i: f"\\u{i:04X}" for i in [*range(0x20), 0x7F]} | {
    ord('"'): '\\"', ord("\\"): "\\\\", ord("\b"): "\\b", ord("\t"): "\\t",
    ord("\n"): "\\n", ord("\f"): "\\f", ord("\r"): "\\r",
}


def _toml_value(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):  # validated, so finite
        return repr(value)
    if isinstance(value, str):
        return '"' + value.translate(_ESCAPES) + '"'
    raise TypeError(f"cannot write {value!r} as TOML")


def settings_as_toml(settings: Settings) -> str:
    """The effective settings as TOML text, loadable again as a config file (API tokens
    left out, and the password of a URL masked: postgresql://postgres:***@db/syndic)."""
    lines = ["# Effective syndic settings (default.toml <- config file <- environment"
             " <- command line)."]
    for section, table in settings_as_dict(settings).items():
        lines += ["", f"[{section}]"]
        lines += [f"{key} = {_toml_value(_shown(value))}" if f"{section}.{key}" not in _SECRET
                  else f"# {key} = ... ({len(value)} set, not shown)"  # type: ignore[arg-type]
                  for key, value in table.items()]
    for source in settings.sources:
        lines += ["", "[[sources]]"]
        lines += [f"{k} = {_toml_value(_shown(getattr(source, k)))}" for k in SOURCE_KEYS]
    return "\n".join(lines) + "\n"
