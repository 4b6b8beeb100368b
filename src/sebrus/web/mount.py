"""Plugging the web UI into an app: its routes, its static files, and HTML answers for its exceptions."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from sebrus.api.deps import SESSION_COOKIE
from sebrus.api.state import PlatformState
from sebrus.services.sessions import resolve_token
from sebrus.web.context import WebRequest
from sebrus.web.errors import CsrfRefused, LoginRequired, PageNotFound
from sebrus.web.routes import router
from sebrus.web.templating import STATIC_DIR


def _render_problem(
    request: Request, template: str, context: dict[str, object], status_code: int
) -> Response:
    state: PlatformState = request.app.state.platform
    with state.session_factory() as db:
        token = request.cookies.get(SESSION_COOKIE)
        session = resolve_token(db, token) if token else None
        web = WebRequest(request=request, db=db, state=state, session=session)
        return web.render(template, context, status_code=status_code)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse("/login?next=" + quote(exc.next_url, safe="/"), status_code=303)


async def _not_found(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageNotFound)
    return _render_problem(request, "problem.html", {"title": "Not found", "message": exc.message}, 404)


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    message = (
        "This form could not be accepted: it was not sent from this site's page, or the page had gone "
        "stale (for example after logging in or out elsewhere). Go back, reload the page and try again."
    )
    return _render_problem(request, "problem.html", {"title": "Form refused", "message": message}, 403)


def install_web(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PageNotFound, _not_found)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
