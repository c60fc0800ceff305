"""storage.url as the store reads it: the two engines' forms, and an error that names the
setting without repeating a password."""

from __future__ import annotations

import pytest

from feeds.errors import InvalidInputError
from feeds.store.engine import async_url


def test_the_plain_forms_get_their_async_drivers() -> None:
    assert async_url("sqlite:///data/syndic.db") == "sqlite+aiosqlite:///data/syndic.db"
    assert async_url("postgresql://u@db/syndic") == "postgresql+asyncpg://u@db/syndic"


def test_an_unknown_url_is_refused_without_its_password() -> None:
    with pytest.raises(InvalidInputError) as caught:
        async_url("mysql://admin:hunter2@db.internal/syndic")
    assert caught.value.field == "storage.url"
    assert "hunter2" not in str(caught.value) and "db.internal" not in str(caught.value)
    assert "'mysql'" in str(caught.value)
