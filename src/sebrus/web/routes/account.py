"""Register, log in and log out, with the same services and ``session`` cookie as ``/api/session``."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from sebrus.db.models import SessionKind, User
from sebrus.http.deps import client_address
from sebrus.services.accounts import sessions, users
from sebrus.services.accounts.signup import sign_up
from sebrus.services.errors import Conflict, InvalidInput, NotAuthenticated, RateLimited, ServiceError
from sebrus.web.context import Web, WebRequest, safe_next
from sebrus.web.forms import FormErrors, text

router = APIRouter()


def _logged_in(web: WebRequest, user: User, next_url: str) -> Response:
    ttl = timedelta(hours=web.state.settings.session_ttl_hours)
    issued = sessions.create_session(web.db, user, kind=SessionKind.COOKIE, ttl=ttl)
    response = RedirectResponse(next_url, status_code=303)
    web.start_session(response, issued.token)
    return web.finish(response)


@router.get("/register")
def register_form(web: Web, next: str | None = None) -> Response:
    if web.user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return web.render("register.html", {"values": {}, "errors": FormErrors(), "next": safe_next(next)})


@router.post("/register")
async def register(web: Web) -> Response:
    form = await web.form()
    username = text(form, "username").strip()
    password = text(form, "password")
    next_url = safe_next(text(form, "next"))
    errors = FormErrors()
    if not username:
        errors.add("username", "Choose a username.")
    if not password:
        errors.add("password", "Choose a password.")
    elif password != text(form, "password_confirm"):
        errors.add("password_confirm", "The two passwords differ; type the same password twice.")
    user = None
    if not errors:
        try:
            user = await run_in_threadpool(
                sign_up,
                web.db,
                web.state.passwords,
                web.state.hooks,
                web.state.server_secret,
                username,
                password,
                client=client_address(web.request),
                limit=web.state.signup_limit,
            )
        except RateLimited as refused:
            errors.add("form", refused.message)
            refusal = web.render(
                "register.html",
                {"values": {"username": username}, "errors": errors, "next": next_url},
                status_code=429,
            )
            refusal.headers["Retry-After"] = str(refused.retry_after_seconds)
            return refusal
        except Conflict:
            errors.add("username", f"The username {username!r} is taken; choose another.")
        except InvalidInput as refused:
            errors.add(refused.field or "username", refused.message.replace("`", ""))
    if user is None:
        values = {"username": username}  # never echo a password back into the page
        return web.render(
            "register.html", {"values": values, "errors": errors, "next": next_url}, status_code=400
        )
    return _logged_in(web, user, next_url)


@router.get("/login")
def login_form(web: Web, next: str | None = None) -> Response:
    if web.user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return web.render("login.html", {"values": {}, "errors": FormErrors(), "next": safe_next(next)})


@router.post("/login")
async def login(web: Web) -> Response:
    form = await web.form()
    username = text(form, "username").strip()
    password = text(form, "password")
    next_url = safe_next(text(form, "next"))
    errors = FormErrors()
    if not username:
        errors.add("username", "Enter your username.")
    if not password:
        errors.add("password", "Enter your password.")
    user = None
    retry_after: int | None = None
    if not errors:
        try:
            user = await run_in_threadpool(
                users.authenticate,
                web.db,
                web.state.passwords,
                username,
                password,
                client=client_address(web.request),
                policy=web.state.throttle,
            )
        except NotAuthenticated:
            errors.add("password", "That username and password do not match an account.")
        except RateLimited as refused:
            errors.add("form", refused.message)
            retry_after = refused.retry_after_seconds
        except ServiceError as refused:
            errors.add("form", refused.message)
    if user is None:
        values = {"username": username}
        page = web.render(
            "login.html",
            {"values": values, "errors": errors, "next": next_url},
            status_code=400 if retry_after is None else 429,
        )
        if retry_after is not None:
            page.headers["Retry-After"] = str(retry_after)
        return page
    return _logged_in(web, user, next_url)


@router.get("/logout")
def logout_page(web: Web) -> Response:
    """A link may not log anyone out (a GET must not change state): this page holds the button."""
    if web.user is None:
        return RedirectResponse("/", status_code=303)
    return web.render("logout.html")


@router.post("/logout")
async def logout(web: Web) -> Response:
    await web.form()
    if web.session is not None and web.user is not None:
        sessions.revoke_session(web.db, web.session, web.user)
    response = RedirectResponse("/?logged_out=1", status_code=303)
    web.end_session(response)
    return web.finish(response)
