"""The one place errors become HTTP: problem+json (RFC 9457) naming the field."""

from __future__ import annotations

import json
import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from feeds.errors import (
    ConflictError,
    FeedsError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
    StoreBusyError,
)
from feeds.imports.items import ImportFormatError
from server.http_cache import SERVER

log = logging.getLogger("syndic.http")


def problem(status: int, title: str, detail: str, **extra: str) -> web.Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return web.Response(
        status=status,
        # ASCII: a detail may quote input, and input may hold unpaired surrogates.
        body=json.dumps(body).encode(),
        content_type="application/problem+json",
    )


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotFoundError as exc:
        return problem(404, "Not Found", str(exc))
    except ConflictError as exc:
        return problem(409, "Conflict", str(exc))
    except PreconditionFailedError as exc:
        return problem(412, "Precondition Failed", str(exc), field=exc.field)
    except InvalidInputError as exc:
        return problem(400, "Bad Request", str(exc), field=exc.field)
    except StoreBusyError as exc:  # another process holds the store: worth a retry
        answer = problem(503, "Service Unavailable", str(exc))
        answer.headers["Retry-After"] = "5"
        return answer
    except ImportFormatError as exc:  # "line 4: not well-formed XML: ...", in the export
        return problem(400, "Bad Request", str(exc), field=exc.field)
    except FeedsError as exc:
        return problem(400, "Bad Request", str(exc))
    except web.HTTPException as exc:
        if exc.status >= 400:
            return _with_headers_of(exc, problem(exc.status, exc.reason, exc.reason))
        raise
    except Exception:
        if not _is_api(request.path):
            raise  # aiohttp answers (and logs) the rest as ever
        # RFC 9457 §3.1: about:blank, the status phrase as the title. The detail names no
        # exception, path or value: the traceback goes to the log only.
        log.exception("%s %r failed", request.method, request.path)
        return problem(500, "Internal Server Error",
                       "the server failed to answer this request; the failure is logged")


async def server_header(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every answer aiohttp makes for the app (handlers, middlewares,
    its own 404/405/500) says Server: syndic, as the fast path's do."""
    response.headers["Server"] = SERVER


def _with_headers_of(exc: web.HTTPException, answer: web.Response) -> web.Response:
    """The answer with the exception's own headers: a 405's Allow above all, which RFC 9110
    §15.5.6 requires (aiohttp's router sets it, from the methods of every route matching the
    path). Its Content-* headers described the text/plain body the problem replaces."""
    for name, value in exc.headers.items():
        if not name.lower().startswith("content-"):
            answer.headers.add(name, value)
    return answer


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")
