"""CSRF tokens for HTML forms.

A logged-in visitor's forms carry the session's own ``csrf_secret``, the same token the REST API
expects in ``X-CSRF-Token``, so one mechanism guards both faces. An anonymous visitor (the Login and
Register forms, where login CSRF is the risk) gets a random ``sebrus_csrf`` cookie and the form
carries an HMAC of it under the server secret: another site can neither read the cookie nor compute
the matching token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sebrus.db.models import AuthSession
from sebrus.services.accounts.sessions import csrf_matches

ANON_COOKIE = "sebrus_csrf"
FIELD = "csrf_token"


def new_anonymous_nonce() -> str:
    return secrets.token_urlsafe(24)


def anonymous_token(server_secret: str, nonce: str) -> str:
    return hmac.new(server_secret.encode(), f"web-csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def form_token_ok(
    submitted: str | None, *, session: AuthSession | None, server_secret: str, nonce: str | None
) -> bool:
    if not submitted:
        return False
    if session is not None:
        return csrf_matches(session, submitted)
    if not nonce:
        return False
    return hmac.compare_digest(anonymous_token(server_secret, nonce).encode(), submitted.encode())
