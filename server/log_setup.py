"""The server's logging: the level of `logging.level`, and the libraries' statement loggers
kept above DEBUG whatever it is.

At DEBUG, aiosqlite logs every call it hands to its thread with the call's arguments (the
statement's parameters: a WebSub subscriber's hub.secret among them), and SQLAlchemy's
engine logger, left to follow the root, logs every statement and its parameters at INFO: 916
of 956 lines in 10 s of an idle server, QA. SQL is logged only when `storage.echo` asks
(SQLAlchemy's own switch, which works whatever level its logger has), and never with its
parameters (feeds/store/engine.py: hide_parameters)."""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

from config import Settings

# name -> the lowest level it logs at. aiosqlite's DEBUG lines carry statement parameters;
# SQLAlchemy's INFO lines are statements (storage.echo turns them on by itself), its DEBUG
# ones result rows; asyncpg's are its pool's. APScheduler's INFO lines are each job run,
# every feeds.change_poll_seconds (server/scheduler.py quiets one warning more).
QUIET = {"aiosqlite": logging.INFO, "asyncpg": logging.INFO, "sqlalchemy": logging.WARNING,
         "apscheduler": logging.WARNING}
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def _not_a_client_error(record: logging.LogRecord) -> bool:
    """False for aiohttp's "Error handling request" about a request it could not parse (a
    port scanner, TLS bytes on the plain port, a folded header): the client's fault, already
    answered 400 and written to the access log; logged as an ERROR with its traceback, each
    would read as a fault of the server."""
    exc = record.exc_info[1] if record.exc_info else None
    return not isinstance(exc, HttpProcessingError)


def quiet_client_errors() -> None:
    """aiohttp.server's logger leaves out the requests it could not parse (above)."""
    server_log = logging.getLogger("aiohttp.server")
    if _not_a_client_error not in server_log.filters:
        server_log.addFilter(_not_a_client_error)


def configure_logging(settings: Settings) -> None:
    """Root handler on stderr at `logging.level`; the libraries in QUIET no lower than their
    level there."""
    logging.basicConfig(format=FORMAT)  # a handler, unless the root has one already
    logging.getLogger().setLevel(settings.logging.level)
    root = logging.getLogger().getEffectiveLevel()
    for name, lowest in QUIET.items():
        logging.getLogger(name).setLevel(max(root, lowest))
