"""Domain errors that faces translate into responses; each message names the problem for the user."""

from __future__ import annotations


class ServiceError(Exception):
    """Base: ``message`` is safe to show to the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ServiceError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAuthenticated(ServiceError):
    pass


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class TooEarly(Conflict):
    """Not yet: possible from ``not_before`` (seconds since the epoch, chain time); a 409 that says
    when, in its message, a ``not_before`` field and a ``Retry-After`` header."""

    def __init__(self, message: str, not_before: int, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.not_before = not_before
        self.retry_after_seconds = max(1, retry_after_seconds)


class RateLimited(ServiceError):
    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ConfigurationError(ServiceError):
    """The platform is configured in a way it refuses to run with."""
