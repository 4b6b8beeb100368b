"""Who is asking and how to answer them: one object per page request.

Pages authenticate with the ``session`` cookie only (the browser's own credential); bearer tokens
are for programs and belong to the REST API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from sebrus.db.models import AuthSession, User
from sebrus.http.deps import SESSION_COOKIE, DbSession, State
from sebrus.runtime import PlatformState
from sebrus.services.accounts.sessions import resolve_token
from sebrus.web import csrf
from sebrus.web.errors import CsrfRefused, LoginRequired
from sebrus.web.templating import templates


def safe_next(value: str | None, default: str = "/dashboard") -> str:
    """Only same-site paths: an open redirect after login would hand the session to a phishing page."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 0x20 for c in value):
        return default
    return value


@dataclass
class WebRequest:
    request: Request
    db: Session
    state: PlatformState
    session: AuthSession | None
    _anon_nonce: str | None = None
    _new_nonce: bool = False

    @property
    def user(self) -> User | None:
        return self.session.user if self.session is not None else None

    def require_user(self) -> User:
        user = self.user
        if user is None:
            target = self.request.url.path
            if self.request.url.query:
                target += "?" + self.request.url.query
            raise LoginRequired(target)
        return user

    def csrf_token(self) -> str:
        """Called by templates; an anonymous visitor gets the cookie it is bound to on first use."""
        if self.session is not None:
            return self.session.csrf_secret
        if self._anon_nonce is None:
            self._anon_nonce = csrf.new_anonymous_nonce()
            self._new_nonce = True
        return csrf.anonymous_token(self.state.server_secret, self._anon_nonce)

    async def form(self, **limits: Any) -> FormData:
        """The submitted form, refused unless it carries this visitor's CSRF token."""
        form = await self.request.form(**limits)
        submitted = form.get(csrf.FIELD)
        if not csrf.form_token_ok(
            submitted if isinstance(submitted, str) else None,
            session=self.session,
            server_secret=self.state.server_secret,
            nonce=self.request.cookies.get(csrf.ANON_COOKIE),
        ):
            raise CsrfRefused()
        return form

    def render(
        self, template: str, context: dict[str, Any] | None = None, status_code: int = 200
    ) -> Response:
        values = {
            "user": self.user,
            "csrf_token": self.csrf_token,
            "path": self.request.url.path,
            "login_url": "/login?next=" + quote(self.request.url.path, safe="/"),
            **(context or {}),
        }
        response = templates.TemplateResponse(self.request, template, values, status_code=status_code)
        self.finish(response)
        return response

    def finish(self, response: Response) -> Response:
        """Cookies and caching rules every page answer shares."""
        response.headers["Cache-Control"] = "no-store"  # pages show one person's view
        if self._new_nonce and self._anon_nonce is not None:
            response.set_cookie(
                csrf.ANON_COOKIE,
                self._anon_nonce,
                httponly=True,
                samesite="lax",
                secure=self.state.settings.session_cookie_secure,
                path="/",
            )
        return response

    def start_session(self, response: Response, token: str) -> None:
        ttl = timedelta(hours=self.state.settings.session_ttl_hours)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(ttl.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=self.state.settings.session_cookie_secure,
            path="/",
        )

    def end_session(self, response: Response) -> None:
        response.delete_cookie(
            SESSION_COOKIE, path="/", secure=self.state.settings.session_cookie_secure, httponly=True
        )


def get_web_request(request: Request, db: DbSession, state: State) -> WebRequest:
    token = request.cookies.get(SESSION_COOKIE)
    session = resolve_token(db, token) if token else None
    return WebRequest(request=request, db=db, state=state, session=session)


Web = Annotated[WebRequest, Depends(get_web_request)]
