"""Exceptions a page raises to leave early; ``mount.install_web`` turns each into an HTML answer."""

from __future__ import annotations


class LoginRequired(Exception):
    """The page needs an account: send the visitor to Login, then back to ``next_url``."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageNotFound(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CsrfRefused(Exception):
    """A form arrived without this visitor's CSRF token: it came from another site, or went stale."""
