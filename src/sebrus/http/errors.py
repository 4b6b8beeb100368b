"""Every error answers JSON ``{"status": <message naming the problem>, "detail": ...}``.

``status`` is the prototype's field; ``detail`` is FastAPI's, kept so generic clients work too. A
refusal that mirrors a contract error adds ``error``: its name, for scripts (``status`` is the sentence).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from sebrus.primitives import iso_utc
from sebrus.services.errors import (
    ConfigurationError,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServiceError,
    TooEarly,
)

log = logging.getLogger(__name__)

_STATUS_CODES: dict[type[ServiceError], int] = {
    InvalidInput: 400,
    NotAuthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    RateLimited: 429,
    ConfigurationError: 500,
}


def error_response(
    status_code: int,
    message: str,
    detail: Any = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """The JSON error answer; ``extra`` adds machine-readable keys beside ``status`` and ``detail``."""
    body = {"status": message, "detail": jsonable_encoder(detail if detail is not None else message)}
    body.update(extra or {})
    return JSONResponse(body, status_code=status_code, headers=headers)


def status_code_for(exc: ServiceError) -> int:
    for klass in type(exc).__mro__:
        if klass in _STATUS_CODES:
            return _STATUS_CODES[klass]
    return 400


def _describe_location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) if parts else "body"


async def _service_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    headers = None
    extra = None
    if isinstance(exc, RateLimited | TooEarly):
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    if isinstance(exc, TooEarly):
        extra = {"not_before": iso_utc(exc.not_before)}
    if isinstance(exc, NotAuthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
    if exc.code is not None:
        extra = {**(extra or {}), "error": exc.code}
    return error_response(status_code_for(exc), exc.message, headers=headers, extra=extra)


def allowed_methods(request: Request) -> str:
    """Every method the app answers at the request's path, for ``Allow`` on a 405.

    Starlette's 405 names only the methods of the first route whose path matched, while one path is
    often served by several routes (``GET`` and ``PUT /api/dataset/{id}`` are two handlers).
    """
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):  # included routers' routes too
        if route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


def answer_headers(request: Request, exc: StarletteHTTPException) -> dict[str, str] | None:
    """The exception's headers, with a 405's ``Allow`` listing the path's methods in full."""
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        return {**(headers or {}), "Allow": allowed_methods(request)}
    return headers


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    return error_response(exc.status_code, message, exc.detail, headers=answer_headers(request, exc))


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    problems = [f"`{_describe_location(e.get('loc', ()))}`: {e.get('msg', 'invalid')}" for e in errors[:5]]
    message = "Invalid request: " + "; ".join(problems) if problems else "Invalid request."
    # Never echo the submitted input back: it may be a password.
    detail = [{k: v for k, v in e.items() if k not in ("input", "ctx", "url")} for e in errors]
    return error_response(422, message, detail)


async def _number_out_of_range(_request: Request, exc: Exception) -> JSONResponse:
    """A number in the request too large for the database (SQLite's driver raises OverflowError binding
    an integer beyond 64 bits, e.g. ``/api/dataset/99999999999999999999``): the client's mistake, not ours."""
    message = "Invalid request: a number in it is out of range (ids and sizes fit in 64 bits)."
    return error_response(422, message, [{"loc": ["request"], "msg": message, "type": "value_error"}])


async def _client_disconnected(request: Request, _exc: Exception) -> Response:
    """The client hung up before its request body was complete (e.g. an upload cut off half-way).

    Not a server fault, so one info line rather than a 500 with a traceback. Nothing was stored: every
    handler has the whole body before it calls a service (the upload handler streams it in first).
    The answer goes nowhere; 400 only keeps it out of the 5xx counts.
    """
    log.info(
        "%s %s: the client disconnected before sending the whole request body; nothing was stored.",
        request.method,
        request.url.path,
    )
    return Response(status_code=400)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ClientDisconnect, _client_disconnected)
    app.add_exception_handler(OverflowError, _number_out_of_range)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
