"""The domain's one error root. Errors carry data (which field, which thing), never HTTP
status codes: server/middleware.py maps them to responses in one place."""

from __future__ import annotations


class FeedsError(Exception):
    """Root of every error the domain raises on purpose."""


class NotFoundError(FeedsError, LookupError):
    """A thing the request names does not exist (label, author, post, site)."""

    def __init__(self, what: str, name: str) -> None:
        super().__init__(f"no {what} {name!r}")
        self.what = what
        self.name = name


class PostNotFoundError(NotFoundError):
    def __init__(self, name: str) -> None:
        super().__init__("post", name)


class DeletedPostError(PostNotFoundError):
    """A change to a deleted post: the store keeps it (an import must not bring it back),
    and it can be read, not changed."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.args = (f"post {name!r} is deleted: it can be read, not changed",)


class InvalidInputError(FeedsError, ValueError):
    """Input that names a field and says what is wrong with it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class InvalidParameterError(InvalidInputError):
    """A bad query parameter of a feed URL."""


class InvalidPostError(InvalidInputError):
    """A post that cannot be stored as given."""


class ConflictError(FeedsError):
    """A write lost a race with another (the same idempotency key, slug or entry id
    written at the same moment): try again."""


class StaleWriteError(ConflictError):
    """A change made to a version of a post or comment that is no longer the stored one:
    another change landed between the read and the write, and nothing was written (the
    caller reads again and decides, so no change is lost)."""

    def __init__(self, what: str, version: int | None = None) -> None:
        which = "" if version is None else f" (version {version} is no longer the stored one)"
        super().__init__(f"the {what} changed meanwhile{which}: read it again")
        self.what = what
        self.version = version


class PreconditionFailedError(FeedsError):
    """A request's condition on the current state of what it changes (RFC 9110 §13.1.1
    If-Match) does not hold: nothing was done. `field` names the header; `etag` is the
    current version's entity tag, when it is known."""

    def __init__(self, field: str, problem: str, etag: str | None = None) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        self.etag = etag


class StoreBusyError(FeedsError):
    """Another process held the store's write lock for longer than a write waits for it (a
    stopped or hung `syndic` process on the same SQLite file): nothing was written."""


class StoreUnavailableError(FeedsError, ConnectionError):
    """The database cannot be opened: a server that does not answer or refuses the login,
    a database or host that does not exist, a file that is no database. `reason` is the
    driver's own words (never the URL: it may hold a password)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot open the database: {reason}")
        self.reason = reason


class SchemaMismatchError(FeedsError, RuntimeError):
    """The database's schema is not the one this code was written for, and was left as it
    is: older (`behind`, and the caller may not upgrade it) or newer (made by a newer
    version of the code, which this one cannot read)."""

    def __init__(self, problem: str, *, behind: bool) -> None:
        super().__init__(problem)
        self.behind = behind
