"""Response headers that make the browser refuse framing, sniffing and foreign scripts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

STRICT_CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
# Swagger UI on /docs (api/docs.py) runs only the app's own scripts; its stylesheet draws icons from
# data: URLs, which only that page needs.
DOCS_CSP = STRICT_CSP + "; img-src 'self' data:"
DOCS_PATHS = frozenset({"/docs"})


def install_security_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy", DOCS_CSP if request.url.path in DOCS_PATHS else STRICT_CSP
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
