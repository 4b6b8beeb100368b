"""Response headers that make the browser refuse framing, sniffing and foreign scripts.

A plain ASGI middleware that edits the ``http.response.start`` message in passing: the
``@app.middleware("http")`` style costs a task and a thread hand-off per request. In production it
also sends HSTS, so a browser that reached the site once over HTTPS never tries plain HTTP again
(the site then answers over HTTPS only, behind its proxy).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
# Swagger UI on /docs (api/docs.py) runs only the app's own scripts; its stylesheet draws icons from
# data: URLs, which only that page needs.
DOCS_CSP = STRICT_CSP + "; img-src 'self' data:"
DOCS_PATHS = frozenset({"/docs"})
# Two years, subdomains included: the value hstspreload.org asks for.
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] in DOCS_PATHS else STRICT_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", csp)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
