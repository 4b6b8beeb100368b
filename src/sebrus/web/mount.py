"""Plugging the web UI into an app: its routes, its static files, and HTML answers for its exceptions.

A browser that asks for a page the app does not have, the wrong way or with a query the page cannot
read, gets a page saying so inside the site's layout; the REST API, its docs and programs (whatever
does not ask for HTML) keep the API's JSON errors.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from sebrus.http import errors as http_errors
from sebrus.http.deps import SESSION_COOKIE
from sebrus.runtime import PlatformState
from sebrus.services.accounts.sessions import resolve_token
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


# Paths whose errors stay JSON whatever the client accepts: they belong to the API and its docs.
_NOT_PAGES = ("/api/", "/api", "/docs", "/static/", "/openapi.json")


def _wants_page(request: Request) -> bool:
    if request.url.path.startswith(_NOT_PAGES):
        return False
    return "text/html" in request.headers.get("accept", "")


_PROBLEMS = {
    404: (
        "Page not found",
        "There is no page at {path}. Check the address, or start again from the dashboard.",
    ),
    405: (
        "Not a page to visit",
        "{path} answers a form, not a visit: submit the form on the page that holds it.",
    ),
}

# Titles for refusals whose message is the exception's own (BodyTooLarge names the route's limit).
_TITLES = {413: "Too large to accept"}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not _wants_page(request):
        return await http_errors.http_error(request, exc)
    if exc.status_code in _PROBLEMS:
        title, template = _PROBLEMS[exc.status_code]
        message = template.format(path=request.url.path)
    else:  # the detail as it is: it may quote the path, braces and all
        title = _TITLES.get(exc.status_code, "Request refused")
        message = exc.detail if isinstance(exc.detail, str) else "The request was refused."
    context: dict[str, object] = {"title": title, "message": message}
    response = _render_problem(request, "problem.html", context, exc.status_code)
    response.headers.update(http_errors.answer_headers(request, exc) or {})  # e.g. Allow on a 405
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    """A page's query or path value it cannot use (``/dashboard?page=two``)."""
    assert isinstance(exc, RequestValidationError)
    if not _wants_page(request):
        return await http_errors.validation_error(request, exc)
    problems = [f"“{e['loc'][-1]}”: {e.get('msg', 'invalid')}" for e in exc.errors()[:3] if e.get("loc")]
    message = "The address could not be read. " + "; ".join(problems) + "."
    return _render_problem(
        request, "problem.html", {"title": "Address not understood", "message": message}, 422
    )


def install_web(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PageNotFound, _not_found)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(StarletteHTTPException, _http_error)  # replaces the API's; JSON stays for it
    app.add_exception_handler(RequestValidationError, _validation_error)
