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
from server.api_body import UnacceptableBodyError
from server.cors import is_public
from server.http_cache import SERVER
from server.importing import ImportStopped

log = logging.getLogger("syndic.http")


def problem(status: int, title: str, detail: str, **extra: object) -> web.Response:
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
        answer = problem(412, "Precondition Failed", str(exc), field=exc.field)
        if exc.etag is not None:  # the current version's, so the client need not GET it
            answer.headers["ETag"] = exc.etag
        return answer
    except UnacceptableBodyError as exc:
        answer = problem(415, "Unsupported Media Type", str(exc), field=exc.field)
        answer.headers[_accept_header(request, exc.field)] = ", ".join(exc.accepted)
        return answer
    except InvalidInputError as exc:
        return problem(400, "Bad Request", str(exc), field=exc.field)
    except StoreBusyError as exc:  # another process holds the store: worth a retry
        answer = problem(503, "Service Unavailable", str(exc))
        answer.headers["Retry-After"] = "5"
        return answer
    except ImportStopped as exc:  # the run it stopped, and what that stored, named
        return problem(400, "Bad Request", str(exc), field=exc.field,
                       instance=f"/api/imports/{exc.run_id}")
    except ImportFormatError as exc:  # "line 4: not well-formed XML: ...", in the export
        return problem(400, "Bad Request", str(exc), field=exc.field)
    except FeedsError as exc:
        return problem(400, "Bad Request", str(exc))
    except web.HTTPRequestEntityTooLarge as exc:
        limit = request.client_max_size
        return _with_headers_of(request, exc, problem(
            413, exc.reason, f"the request body is over {limit} bytes (api.max_body_bytes; "
            "decoded, for a compressed body): send less, a bulk request in parts",
            field="body", max_bytes=limit))
    except web.HTTPException as exc:
        if exc.status >= 400:
            return _with_headers_of(request, exc,
                                    problem(exc.status, exc.reason, exc.reason))
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


def _accept_header(request: web.Request, field: str) -> str:
    """The header a 415 lists what is taken in: Accept-Encoding for a coding (RFC 9110
    §15.5.16); for a media type, Accept-Post (W3C LDP §7.1.2) or, on PATCH, Accept-Patch
    (RFC 5789 §3.1)."""
    if field == "Content-Encoding":
        return "Accept-Encoding"
    return "Accept-Patch" if request.method == "PATCH" else "Accept-Post"


def _with_headers_of(request: web.Request, exc: web.HTTPException, answer: web.Response
                     ) -> web.Response:
    """The answer with the exception's own headers: a 405's Allow above all, which RFC 9110
    §15.5.6 requires (aiohttp's router sets it, from the methods of every route matching the
    path; an API path and a public GET path take OPTIONS too, server/cors.py). Its
    Content-* headers described the text/plain body the problem replaces."""
    for name, value in exc.headers.items():
        if name.lower() == "allow" and (_is_api(request.path) or (
                is_public(request.path) and "GET" in value.split(","))):
            value = ",".join(sorted({*value.split(","), "OPTIONS"} - {""}))
        if not name.lower().startswith("content-"):
            answer.headers.add(name, value)
    return answer


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")
