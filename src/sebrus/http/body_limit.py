"""Refuse request bodies over their route's allowance while they stream in, chunked ones included.

A plain ASGI middleware: it wraps ``receive`` and counts the bytes the app pulls. The first read past
the allowance (or any read at all when ``Content-Length`` already declares too much) raises
``BodyTooLarge``, so the app never holds more than the allowance, and nothing the handler would do
with the body (parsing, authenticating, storing) happens. ``BodyTooLarge`` is an ``HTTPException``:
FastAPI re-raises it from its body parsing, and each face's handler answers 413 in its own shape
(the API's JSON error, a page for a browser). The allowances are declared in ``body_allowances.py``.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sebrus.http.body_allowances import allowance_for, describe_bytes


class BodyTooLarge(HTTPException):
    def __init__(self, method: str, path: str, max_bytes: int) -> None:
        super().__init__(
            413, f"Request body too large: {method} {path} accepts at most {describe_bytes(max_bytes)}."
        )
        self.max_bytes = max_bytes


def _declared_length(scope: Scope) -> int | None:
    declared = Headers(scope=scope).get("content-length", "")
    return int(declared) if declared.isascii() and declared.isdigit() else None


class _CountedBody:
    """One request's ``receive``, refusing once more than ``max_bytes`` have arrived."""

    def __init__(self, receive: Receive, scope: Scope, max_bytes: int) -> None:
        self._receive = receive
        self._refusal = BodyTooLarge(scope["method"], scope["path"], max_bytes)
        self._max_bytes = max_bytes
        self._received = 0
        declared = _declared_length(scope)
        self._over = declared is not None and declared > max_bytes

    async def __call__(self) -> Message:
        if self._over:
            raise self._refusal
        message = await self._receive()
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            if self._received > self._max_bytes:
                self._over = True
                raise self._refusal
        return message


class BodySizeLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = allowance_for(scope["method"], scope["path"])
        await self.app(scope, _CountedBody(receive, scope, max_bytes), send)
